"""Scripted data and execution clients: a venue whose every reply a test decides.

They implement the client protocols over Trio memory channels only, so a node
using them runs entirely inside one ``trio.run`` and pytest-trio's
``autojump_clock`` makes every delay exact. Knobs:

- connect: ``connect_delay`` seconds, ``connect_hangs`` forever, or ``connect_error``;
  ``disconnect_delay``/``disconnect_hangs`` likewise;
- execution replies after ``latency`` seconds: ``on_submit`` = ``"accept"``,
  ``"fill"`` (accept, then fill completely at the order price or the quote),
  ``"reject"`` or ``"ignore"``; ``on_cancel`` = ``"cancel"``, ``"reject"`` or
  ``"ignore"``; ``on_modify`` = ``"update"``, ``"reject"`` or ``"ignore"``;
- reports: ``mass_status`` (returned by ``generate_mass_status`` after
  ``mass_status_delay``, or never with ``mass_status_hangs``);
- every command received is kept in ``commands``; ``push``/``push_event`` inject
  market data and events as a venue would.

The ``scripted`` adapter registered here makes the same clients usable from a
TOML file (``adapter = "scripted"``), for subprocess tests and dry runs.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs
import trio

from livetrade.adapters.registry import register_adapter
from livetrade.execution.messages import (
    CancelAllOrders,
    CancelOrder,
    ModifyOrder,
    QueryOrder,
    SubmitOrder,
    SubmitOrderList,
    Subscribe,
    Unsubscribe,
)
from livetrade.model.account import AccountBalance, AccountState
from livetrade.model.enums import AccountType, LiquiditySide, OmsType, OrderSide
from livetrade.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderInitialized,
    OrderModifyRejected,
    OrderRejected,
    OrderUpdated,
)
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    TradeId,
    Venue,
    VenueOrderId,
)
from livetrade.model.instruments import CurrencyPair, Instrument
from livetrade.model.money import Currency, Money
from livetrade.model.quantities import Price, Quantity

if TYPE_CHECKING:
    from livetrade.adapters.base import ClientContext
    from livetrade.config.node import NodeConfig
    from livetrade.model.reports import (
        ExecutionMassStatus,
        FillReport,
        OrderStatusReport,
        PositionStatusReport,
    )

__all__ = [
    "ScriptedDataClient",
    "ScriptedDataConfig",
    "ScriptedExecConfig",
    "ScriptedExecutionClient",
    "make_instrument",
]

SIM = Venue("SIM")


def make_instrument(symbol: str = "BTCUSDT", venue: str = "SIM") -> CurrencyPair:
    """A spot pair priced to 0.01 and sized to 0.001, quoted in USDT."""
    base = symbol.removesuffix("USDT") or "BTC"
    return CurrencyPair(
        instrument_id=InstrumentId(f"{symbol}.{venue}"),
        raw_symbol=InstrumentId(f"{symbol}.{venue}").symbol,
        base_currency=Currency.from_str(base),
        quote_currency=Currency.from_str("USDT"),
        price_precision=2,
        size_precision=3,
        price_increment=Price("0.01"),
        size_increment=Quantity("0.001"),
    )


class _Connectable:
    """Connect/disconnect behaviour shared by both scripted clients."""

    def __init__(
        self,
        client_id: str,
        venue: Venue,
        *,
        connect_delay: float = 0.0,
        connect_hangs: bool = False,
        connect_error: Exception | None = None,
        disconnect_delay: float = 0.0,
        disconnect_hangs: bool = False,
    ) -> None:
        self._id = ClientId(client_id)
        self._venue = venue
        self.connect_delay = connect_delay
        self.connect_hangs = connect_hangs
        self.connect_error = connect_error
        self.disconnect_delay = disconnect_delay
        self.disconnect_hangs = disconnect_hangs
        self.is_connected = False
        self.connected_at: float | None = None
        self.disconnected_at: float | None = None
        self._ctx: ClientContext | None = None

    @property
    def id(self) -> ClientId:
        return self._id

    @property
    def ctx(self) -> ClientContext:
        if self._ctx is None:
            raise RuntimeError(f"{self._id} is not connected")
        return self._ctx

    async def _connect(self, ctx: ClientContext) -> None:
        self._ctx = ctx
        if self.connect_hangs:
            await trio.sleep_forever()
        await trio.sleep(self.connect_delay)
        if self.connect_error is not None:
            raise self.connect_error

    async def disconnect(self) -> None:
        if self.disconnect_hangs:
            await trio.sleep_forever()
        await trio.sleep(self.disconnect_delay)
        self.is_connected = False
        self.disconnected_at = trio.current_time()


class ScriptedDataClient(_Connectable):
    """A data client whose instruments and market data the test provides."""

    def __init__(
        self,
        client_id: str = "SCRIPTED-DATA",
        venue: Venue | None = SIM,
        *,
        instruments: list[Instrument] | None = None,
        **connect_options: Any,
    ) -> None:
        super().__init__(client_id, venue or SIM, **connect_options)
        self._serves = venue
        self.instruments = list(instruments) if instruments is not None else [make_instrument()]
        self.subscriptions: list[Subscribe] = []
        self.unsubscriptions: list[Unsubscribe] = []
        self.cache_seen_at_connect: list[InstrumentId] = []

    @property
    def venue(self) -> Venue | None:
        return self._serves

    async def connect(self, ctx: ClientContext, nursery: trio.Nursery) -> None:
        await self._connect(ctx)
        for instrument in self.instruments:
            await ctx.data.send(instrument)
        self.is_connected = True
        self.connected_at = trio.current_time()

    def subscribe(self, command: Subscribe) -> None:
        self.subscriptions.append(command)

    def unsubscribe(self, command: Unsubscribe) -> None:
        self.unsubscriptions.append(command)

    async def push(self, item: object) -> None:
        """Deliver market data as the venue would (waits if the node is behind)."""
        await self.ctx.data.send(item)

    def push_nowait(self, item: object) -> None:
        self.ctx.data.send_nowait(item)


Reply = Literal["accept", "fill", "reject", "ignore", "cancel", "update"]


class ScriptedExecutionClient(_Connectable):
    """An execution client that answers commands as the test scripted."""

    def __init__(
        self,
        client_id: str = "SCRIPTED-EXEC",
        venue: Venue = SIM,
        *,
        account_id: str = "SIM-001",
        oms_type: OmsType = OmsType.NETTING,
        balances: dict[str, str] | None = None,
        send_account_state: bool = True,
        latency: float = 0.0,
        on_submit: Reply = "accept",
        on_cancel: Reply = "cancel",
        on_modify: Reply = "update",
        mass_status: ExecutionMassStatus | None = None,
        mass_status_delay: float = 0.0,
        mass_status_hangs: bool = False,
        **connect_options: Any,
    ) -> None:
        super().__init__(client_id, venue, **connect_options)
        self._account_id = AccountId(account_id)
        self._oms_type = oms_type
        self.balances = balances if balances is not None else {"USDT": "100000"}
        self.send_account_state = send_account_state
        self.latency = latency
        self.on_submit = on_submit
        self.on_cancel = on_cancel
        self.on_modify = on_modify
        self.mass_status = mass_status
        self.mass_status_delay = mass_status_delay
        self.mass_status_hangs = mass_status_hangs
        self.commands: list[object] = []
        self.instruments_seen_at_connect: list[InstrumentId] = []
        self._ids = itertools.count(1)
        self._outbox: trio.MemorySendChannel[object] | None = None

    @property
    def venue(self) -> Venue:
        return self._venue

    @property
    def account_id(self) -> AccountId:
        return self._account_id

    @property
    def oms_type(self) -> OmsType:
        return self._oms_type

    async def connect(self, ctx: ClientContext, nursery: trio.Nursery) -> None:
        await self._connect(ctx)
        self.instruments_seen_at_connect = ctx.cache.instrument_ids()
        send, receive = trio.open_memory_channel[object](math.inf)
        self._outbox = send
        nursery.start_soon(self._reply_loop, receive)
        if self.send_account_state:
            await ctx.events.send(self.account_state())
        self.is_connected = True
        self.connected_at = trio.current_time()

    def account_state(self) -> AccountState:
        ts = self.ctx.clock.timestamp_ns()
        balances = tuple(
            AccountBalance.from_total_and_locked(
                Money(amount, Currency.from_str(code)), Money("0", Currency.from_str(code))
            )
            for code, amount in self.balances.items()
        )
        return AccountState(
            account_id=self._account_id,
            account_type=AccountType.CASH,
            base_currency=None,
            reported=True,
            balances=balances,
            ts_event=ts,
            ts_init=ts,
        )

    async def generate_mass_status(self, lookback_mins: int | None) -> ExecutionMassStatus | None:
        if self.mass_status_hangs:
            await trio.sleep_forever()
        await trio.sleep(self.mass_status_delay)
        return self.mass_status

    async def generate_order_status_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        open_only: bool = False,
        start_ns: int | None = None,
    ) -> list[OrderStatusReport]:
        await self._report_wait()
        if self.mass_status is None:
            return []
        return [
            r
            for r in self.mass_status.order_reports.values()
            if (instrument_id is None or r.instrument_id == instrument_id)
            and (not open_only or r.is_open)
            and (start_ns is None or r.is_open or r.ts_last >= start_ns)
        ]

    async def generate_order_status_report(
        self,
        *,
        instrument_id: InstrumentId,
        client_order_id: ClientOrderId | None = None,
        venue_order_id: VenueOrderId | None = None,
    ) -> OrderStatusReport | None:
        for report in await self.generate_order_status_reports(instrument_id=instrument_id):
            if (venue_order_id is not None and report.venue_order_id == venue_order_id) or (
                client_order_id is not None and report.client_order_id == client_order_id
            ):
                return report
        return None

    async def generate_fill_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        venue_order_id: VenueOrderId | None = None,
        start_ns: int | None = None,
    ) -> list[FillReport]:
        await self._report_wait()
        if self.mass_status is None:
            return []
        return [
            f
            for fills in self.mass_status.fill_reports.values()
            for f in fills
            if (instrument_id is None or f.instrument_id == instrument_id)
            and (venue_order_id is None or f.venue_order_id == venue_order_id)
            and (start_ns is None or f.ts_event >= start_ns)
        ]

    async def generate_position_status_reports(
        self, *, instrument_id: InstrumentId | None = None
    ) -> list[PositionStatusReport]:
        await self._report_wait()
        if self.mass_status is None:
            return []
        return [
            p
            for reports in self.mass_status.position_reports.values()
            for p in reports
            if instrument_id is None or p.instrument_id == instrument_id
        ]

    async def _report_wait(self) -> None:
        if self.mass_status_hangs:
            await trio.sleep_forever()
        await trio.sleep(self.mass_status_delay)

    # -- commands (synchronous; replies come from the reply task) ---------------------------

    def _queue(self, command: object) -> None:
        self.commands.append(command)
        if self._outbox is None:
            raise RuntimeError(f"{self._id} got {command!r} before it connected")
        self._outbox.send_nowait(command)

    def submit_order(self, command: SubmitOrder) -> None:
        self._queue(command)

    def submit_order_list(self, command: SubmitOrderList) -> None:
        self._queue(command)

    def modify_order(self, command: ModifyOrder) -> None:
        self._queue(command)

    def cancel_order(self, command: CancelOrder) -> None:
        self._queue(command)

    def cancel_all_orders(self, command: CancelAllOrders) -> None:
        self._queue(command)

    def query_order(self, command: QueryOrder) -> None:
        self.commands.append(command)

    async def push_event(self, event: object) -> None:
        """Deliver an order event or account state as the venue would."""
        await self.ctx.events.send(event)

    async def _reply_loop(self, commands: trio.MemoryReceiveChannel[object]) -> None:
        async for command in commands:
            if self.latency:
                await trio.sleep(self.latency)
            for event in self._replies(command):
                await self.ctx.events.send(event)

    def _replies(self, command: object) -> list[object]:
        if isinstance(command, SubmitOrder):
            return self._submit_replies(command.order)
        if isinstance(command, SubmitOrderList):
            return [e for init in command.orders for e in self._submit_replies(init)]
        if isinstance(command, CancelOrder):
            return self._cancel_replies(command.client_order_id)
        if isinstance(command, CancelAllOrders):
            cache = self.ctx.cache
            orders = cache.orders_open(
                instrument_id=command.instrument_id,
                strategy_id=command.strategy_id,
                side=command.order_side,
            )
            return [e for o in orders for e in self._cancel_replies(o.client_order_id)]
        if isinstance(command, ModifyOrder):
            return self._modify_replies(command)
        return []

    def _base(self, client_order_id: ClientOrderId) -> dict[str, Any]:
        order = self.ctx.cache.order(client_order_id)
        assert order is not None, client_order_id
        ts = self.ctx.clock.timestamp_ns()
        return {
            "trader_id": order.trader_id,
            "strategy_id": order.strategy_id,
            "instrument_id": order.instrument_id,
            "client_order_id": order.client_order_id,
            "ts_event": ts,
            "ts_init": ts,
        }

    def _venue_order_id(self, client_order_id: ClientOrderId) -> VenueOrderId:
        order = self.ctx.cache.order(client_order_id)
        if order is not None and order.venue_order_id is not None:
            return order.venue_order_id
        return VenueOrderId(f"V-{client_order_id}")

    def _submit_replies(self, init: OrderInitialized) -> list[object]:
        coid = init.client_order_id
        base = self._base(coid)
        if self.on_submit == "ignore":
            return []
        if self.on_submit == "reject":
            return [OrderRejected(**base, account_id=self._account_id, reason="scripted reject")]
        venue_order_id = self._venue_order_id(coid)
        events: list[object] = [
            OrderAccepted(**base, account_id=self._account_id, venue_order_id=venue_order_id)
        ]
        if self.on_submit == "fill":
            events.append(self._fill(init, venue_order_id, base))
        return events

    def _fill(
        self, init: OrderInitialized, venue_order_id: VenueOrderId, base: dict[str, Any]
    ) -> OrderFilled:
        price = init.price
        if price is None:
            quote = self.ctx.cache.quote_tick(init.instrument_id)
            if quote is None:
                raise RuntimeError(f"no quote to fill market order {init.client_order_id}")
            price = quote.ask_price if init.order_side is OrderSide.BUY else quote.bid_price
        instrument = self.ctx.cache.instrument(init.instrument_id)
        currency = instrument.quote_currency if instrument else Currency.from_str("USDT")
        return OrderFilled(
            **base,
            account_id=self._account_id,
            venue_order_id=venue_order_id,
            trade_id=TradeId(f"T-{next(self._ids)}"),
            order_side=init.order_side,
            order_type=init.order_type,
            last_qty=init.quantity,
            last_px=price,
            currency=currency,
            commission=Money(Decimal(0), currency),
            liquidity_side=LiquiditySide.TAKER,
        )

    def _cancel_replies(self, client_order_id: ClientOrderId) -> list[object]:
        base = self._base(client_order_id)
        venue_order_id = self._venue_order_id(client_order_id)
        if self.on_cancel == "ignore":
            return []
        if self.on_cancel == "reject":
            return [
                OrderCancelRejected(
                    **base,
                    account_id=self._account_id,
                    venue_order_id=venue_order_id,
                    reason="scripted reject",
                )
            ]
        return [OrderCanceled(**base, account_id=self._account_id, venue_order_id=venue_order_id)]

    def _modify_replies(self, command: ModifyOrder) -> list[object]:
        base = self._base(command.client_order_id)
        order = self.ctx.cache.order(command.client_order_id)
        assert order is not None
        venue_order_id = self._venue_order_id(command.client_order_id)
        if self.on_modify == "ignore":
            return []
        if self.on_modify == "reject":
            return [
                OrderModifyRejected(
                    **base,
                    account_id=self._account_id,
                    venue_order_id=venue_order_id,
                    reason="scripted reject",
                )
            ]
        return [
            OrderUpdated(
                **base,
                quantity=command.quantity or order.quantity,
                price=command.price or order.price,
                trigger_price=command.trigger_price or order.trigger_price,
                account_id=self._account_id,
                venue_order_id=venue_order_id,
            )
        ]


# -- the ``scripted`` adapter for TOML configs ------------------------------------------------


@attrs.frozen(kw_only=True)
class ScriptedDataConfig:
    """``[data_clients.NAME] adapter = "scripted"``: instruments and connect delay."""

    venue: str = "SIM"
    symbols: list[str] = attrs.field(factory=lambda: ["BTCUSDT"])
    connect_delay_secs: float = 0.0
    connect_hangs: bool = False
    disconnect_delay_secs: float = 0.0
    disconnect_hangs: bool = False


@attrs.frozen(kw_only=True)
class ScriptedExecConfig:
    """``[exec_clients.NAME] adapter = "scripted"``: account and reply behaviour."""

    venue: str = "SIM"
    account_id: str = "SIM-001"
    latency_secs: float = 0.0
    on_submit: str = attrs.field(
        default="accept", validator=attrs.validators.in_(("accept", "fill", "reject", "ignore"))
    )
    on_cancel: str = attrs.field(
        default="cancel", validator=attrs.validators.in_(("cancel", "reject", "ignore"))
    )
    connect_delay_secs: float = 0.0
    connect_hangs: bool = False
    disconnect_delay_secs: float = 0.0
    disconnect_hangs: bool = False


def _data_client(
    client_id: ClientId, settings: ScriptedDataConfig, config: NodeConfig
) -> ScriptedDataClient:
    return ScriptedDataClient(
        client_id.value,
        Venue(settings.venue),
        instruments=[make_instrument(s, settings.venue) for s in settings.symbols],
        connect_delay=settings.connect_delay_secs,
        connect_hangs=settings.connect_hangs,
        disconnect_delay=settings.disconnect_delay_secs,
        disconnect_hangs=settings.disconnect_hangs,
    )


def _exec_client(
    client_id: ClientId, settings: ScriptedExecConfig, config: NodeConfig
) -> ScriptedExecutionClient:
    return ScriptedExecutionClient(
        client_id.value,
        Venue(settings.venue),
        account_id=settings.account_id,
        latency=settings.latency_secs,
        on_submit=cast("Reply", settings.on_submit),
        on_cancel=cast("Reply", settings.on_cancel),
        connect_delay=settings.connect_delay_secs,
        connect_hangs=settings.connect_hangs,
        disconnect_delay=settings.disconnect_delay_secs,
        disconnect_hangs=settings.disconnect_hangs,
    )


register_adapter(
    "scripted",
    data_config_cls=ScriptedDataConfig,
    exec_config_cls=ScriptedExecConfig,
    data_factory=_data_client,
    exec_factory=_exec_client,
)
