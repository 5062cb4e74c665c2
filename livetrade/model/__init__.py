"""The pure domain model: values, orders, positions, reports (no trio, no I/O).

Everything here is importable as ``livetrade.model.X``; see ``docs/model.md``.
"""

from __future__ import annotations

from livetrade.model.account import AccountBalance as AccountBalance
from livetrade.model.account import AccountState as AccountState
from livetrade.model.account import MarginBalance as MarginBalance
from livetrade.model.book import BookLevel as BookLevel
from livetrade.model.book import OrderBook as OrderBook
from livetrade.model.data import BookOrder as BookOrder
from livetrade.model.data import OrderBookDelta as OrderBookDelta
from livetrade.model.data import OrderBookDeltas as OrderBookDeltas
from livetrade.model.data import QuoteTick as QuoteTick
from livetrade.model.data import RecordFlag as RecordFlag
from livetrade.model.data import TradeTick as TradeTick
from livetrade.model.enums import AccountType as AccountType
from livetrade.model.enums import AggressorSide as AggressorSide
from livetrade.model.enums import BookAction as BookAction
from livetrade.model.enums import ContingencyType as ContingencyType
from livetrade.model.enums import CurrencyType as CurrencyType
from livetrade.model.enums import LiquiditySide as LiquiditySide
from livetrade.model.enums import OmsType as OmsType
from livetrade.model.enums import OrderSide as OrderSide
from livetrade.model.enums import OrderStatus as OrderStatus
from livetrade.model.enums import OrderType as OrderType
from livetrade.model.enums import PositionSide as PositionSide
from livetrade.model.enums import TimeInForce as TimeInForce
from livetrade.model.enums import TradingState as TradingState
from livetrade.model.events import OrderAccepted as OrderAccepted
from livetrade.model.events import OrderCanceled as OrderCanceled
from livetrade.model.events import OrderCancelRejected as OrderCancelRejected
from livetrade.model.events import OrderDenied as OrderDenied
from livetrade.model.events import OrderEvent as OrderEvent
from livetrade.model.events import OrderExpired as OrderExpired
from livetrade.model.events import OrderFilled as OrderFilled
from livetrade.model.events import OrderInitialized as OrderInitialized
from livetrade.model.events import OrderModifyRejected as OrderModifyRejected
from livetrade.model.events import OrderPendingCancel as OrderPendingCancel
from livetrade.model.events import OrderPendingUpdate as OrderPendingUpdate
from livetrade.model.events import OrderRejected as OrderRejected
from livetrade.model.events import OrderSubmitted as OrderSubmitted
from livetrade.model.events import OrderTriggered as OrderTriggered
from livetrade.model.events import OrderUpdated as OrderUpdated
from livetrade.model.events import new_event_id as new_event_id
from livetrade.model.identifiers import EXTERNAL_STRATEGY_ID as EXTERNAL_STRATEGY_ID
from livetrade.model.identifiers import INTERNAL_DIFF_STRATEGY_ID as INTERNAL_DIFF_STRATEGY_ID
from livetrade.model.identifiers import AccountId as AccountId
from livetrade.model.identifiers import ClientId as ClientId
from livetrade.model.identifiers import ClientOrderId as ClientOrderId
from livetrade.model.identifiers import Identifier as Identifier
from livetrade.model.identifiers import InstrumentId as InstrumentId
from livetrade.model.identifiers import OrderListId as OrderListId
from livetrade.model.identifiers import PositionId as PositionId
from livetrade.model.identifiers import StrategyId as StrategyId
from livetrade.model.identifiers import Symbol as Symbol
from livetrade.model.identifiers import TradeId as TradeId
from livetrade.model.identifiers import TraderId as TraderId
from livetrade.model.identifiers import Venue as Venue
from livetrade.model.identifiers import VenueOrderId as VenueOrderId
from livetrade.model.instruments import CryptoPerpetual as CryptoPerpetual
from livetrade.model.instruments import CurrencyPair as CurrencyPair
from livetrade.model.instruments import Instrument as Instrument
from livetrade.model.money import Currency as Currency
from livetrade.model.money import Money as Money
from livetrade.model.orders import Order as Order
from livetrade.model.position_events import PositionChanged as PositionChanged
from livetrade.model.position_events import PositionClosed as PositionClosed
from livetrade.model.position_events import PositionEvent as PositionEvent
from livetrade.model.position_events import PositionOpened as PositionOpened
from livetrade.model.positions import Position as Position
from livetrade.model.positions import position_id_for as position_id_for
from livetrade.model.quantities import FIXED_PRECISION as FIXED_PRECISION
from livetrade.model.quantities import FIXED_SCALAR as FIXED_SCALAR
from livetrade.model.quantities import Price as Price
from livetrade.model.quantities import Quantity as Quantity
from livetrade.model.quantities import Rounding as Rounding
from livetrade.model.quantities import exact_number as exact_number
from livetrade.model.quantities import round_div as round_div
from livetrade.model.reports import ExecutionMassStatus as ExecutionMassStatus
from livetrade.model.reports import FillReport as FillReport
from livetrade.model.reports import OrderStatusReport as OrderStatusReport
from livetrade.model.reports import PositionStatusReport as PositionStatusReport
from livetrade.model.reports import new_report_id as new_report_id

__all__ = [
    "EXTERNAL_STRATEGY_ID",
    "FIXED_PRECISION",
    "FIXED_SCALAR",
    "INTERNAL_DIFF_STRATEGY_ID",
    "AccountBalance",
    "AccountId",
    "AccountState",
    "AccountType",
    "AggressorSide",
    "BookAction",
    "BookLevel",
    "BookOrder",
    "ClientId",
    "ClientOrderId",
    "ContingencyType",
    "CryptoPerpetual",
    "Currency",
    "CurrencyPair",
    "CurrencyType",
    "ExecutionMassStatus",
    "FillReport",
    "Identifier",
    "Instrument",
    "InstrumentId",
    "LiquiditySide",
    "MarginBalance",
    "Money",
    "OmsType",
    "Order",
    "OrderAccepted",
    "OrderBook",
    "OrderBookDelta",
    "OrderBookDeltas",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderInitialized",
    "OrderListId",
    "OrderModifyRejected",
    "OrderPendingCancel",
    "OrderPendingUpdate",
    "OrderRejected",
    "OrderSide",
    "OrderStatus",
    "OrderStatusReport",
    "OrderSubmitted",
    "OrderTriggered",
    "OrderType",
    "OrderUpdated",
    "Position",
    "PositionChanged",
    "PositionClosed",
    "PositionEvent",
    "PositionId",
    "PositionOpened",
    "PositionSide",
    "PositionStatusReport",
    "Price",
    "Quantity",
    "QuoteTick",
    "RecordFlag",
    "Rounding",
    "StrategyId",
    "Symbol",
    "TimeInForce",
    "TradeId",
    "TradeTick",
    "TraderId",
    "TradingState",
    "Venue",
    "VenueOrderId",
    "exact_number",
    "new_event_id",
    "new_report_id",
    "position_id_for",
    "round_div",
]
