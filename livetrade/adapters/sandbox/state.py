"""The sandbox venue's memory between runs: a snapshot plus a journal of inputs.

A real venue never forgets a fill because a client process died, so neither
may the sandbox: every input that changes the exchange (a command, a quote or
trade that matched, an expiry) is appended to a journal line *before* the
resulting messages leave for the node. The exchange is deterministic, so
replaying the journal over the last snapshot rebuilds it exactly, even after
``kill -9``. A clean disconnect writes a fresh snapshot and empties the journal.

Files: ``<state_file>`` (JSON snapshot, replaced atomically) and
``<state_file>.journal`` (JSON lines, each with a sequence number; lines at or
below the snapshot's ``journal_seq`` are already in it). A torn last line (the
process died mid-write) is ignored.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.adapters.sandbox.messages import VenueMessage
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import (
    AggressorSide,
    ContingencyType,
    OrderSide,
    OrderType,
    TimeInForce,
)
from livetrade.model.events import OrderInitialized
from livetrade.model.identifiers import (
    ClientOrderId,
    InstrumentId,
    OrderListId,
    StrategyId,
    TradeId,
    TraderId,
)
from livetrade.model.instruments import Instrument
from livetrade.model.quantities import Price, Quantity

__all__ = ["StateFile"]

log = logging.getLogger(__name__)

VERSION: Final = 1


def _px(value: Price | None) -> str | None:
    return None if value is None else str(value)


def _to_px(text: str | None) -> Price | None:
    return None if text is None else Price(Decimal(text))


def _to_qty(text: str | None) -> Quantity | None:
    return None if text is None else Quantity(Decimal(text))


def encode_order(order: OrderInitialized) -> dict[str, Any]:
    """The parts of an order definition the venue uses, as JSON values."""
    return {
        "trader_id": order.trader_id.value,
        "strategy_id": order.strategy_id.value,
        "instrument_id": order.instrument_id.value,
        "client_order_id": order.client_order_id.value,
        "ts_event": order.ts_event,
        "order_side": order.order_side.name,
        "order_type": order.order_type.name,
        "quantity": str(order.quantity),
        "time_in_force": order.time_in_force.name,
        "price": _px(order.price),
        "trigger_price": _px(order.trigger_price),
        "expire_time_ns": order.expire_time_ns,
        "post_only": order.post_only,
        "reduce_only": order.reduce_only,
        "contingency_type": order.contingency_type.name,
        "order_list_id": None if order.order_list_id is None else order.order_list_id.value,
        "event_id": order.event_id,
    }


def decode_order(data: dict[str, Any]) -> OrderInitialized:
    list_id = data["order_list_id"]
    return OrderInitialized(
        trader_id=TraderId(data["trader_id"]),
        strategy_id=StrategyId(data["strategy_id"]),
        instrument_id=InstrumentId(data["instrument_id"]),
        client_order_id=ClientOrderId(data["client_order_id"]),
        ts_event=data["ts_event"],
        event_id=data["event_id"],
        order_side=OrderSide[data["order_side"]],
        order_type=OrderType[data["order_type"]],
        quantity=Quantity(Decimal(data["quantity"])),
        time_in_force=TimeInForce[data["time_in_force"]],
        price=_to_px(data["price"]),
        trigger_price=_to_px(data["trigger_price"]),
        expire_time_ns=data["expire_time_ns"],
        post_only=data["post_only"],
        reduce_only=data["reduce_only"],
        contingency_type=ContingencyType[data["contingency_type"]],
        order_list_id=None if list_id is None else OrderListId(list_id),
    )


def encode_market(item: QuoteTick | TradeTick) -> dict[str, Any]:
    if isinstance(item, QuoteTick):
        return {
            "kind": "quote",
            "instrument_id": item.instrument_id.value,
            "bid": str(item.bid_price),
            "ask": str(item.ask_price),
            "bid_size": str(item.bid_size),
            "ask_size": str(item.ask_size),
            "ts": item.ts_event,
        }
    return {
        "kind": "trade",
        "instrument_id": item.instrument_id.value,
        "price": str(item.price),
        "size": str(item.size),
        "aggressor": item.aggressor_side.name,
        "trade_id": item.trade_id.value,
        "ts": item.ts_event,
    }


def decode_market(data: dict[str, Any]) -> QuoteTick | TradeTick:
    instrument_id = InstrumentId(data["instrument_id"])
    ts = data["ts"]
    if data["kind"] == "quote":
        return QuoteTick(
            instrument_id=instrument_id,
            bid_price=Price(Decimal(data["bid"])),
            ask_price=Price(Decimal(data["ask"])),
            bid_size=Quantity(Decimal(data["bid_size"])),
            ask_size=Quantity(Decimal(data["ask_size"])),
            ts_event=ts,
            ts_init=ts,
        )
    return TradeTick(
        instrument_id=instrument_id,
        price=Price(Decimal(data["price"])),
        size=Quantity(Decimal(data["size"])),
        aggressor_side=AggressorSide[data["aggressor"]],
        trade_id=TradeId(data["trade_id"]),
        ts_event=ts,
        ts_init=ts,
    )


def replay(exchange: SandboxExchange, op: dict[str, Any]) -> Sequence[VenueMessage]:
    """Apply one journal entry to ``exchange`` (the same call the client made)."""
    kind = op["op"]
    ts = op["ts"]
    if kind == "submit":
        return exchange.submit(decode_order(op["order"]), ts)
    if kind == "modify":
        return exchange.modify(
            ClientOrderId(op["client_order_id"]),
            ts,
            quantity=_to_qty(op["quantity"]),
            price=_to_px(op["price"]),
            trigger_price=_to_px(op["trigger_price"]),
            instrument_id=InstrumentId(op["instrument_id"]),
        )
    if kind == "cancel":
        return exchange.cancel(
            ClientOrderId(op["client_order_id"]),
            ts,
            instrument_id=InstrumentId(op["instrument_id"]),
        )
    if kind == "market":
        item = decode_market(op["item"])
        if isinstance(item, QuoteTick):
            return exchange.on_quote(item)
        return exchange.on_trade(item)
    if kind == "advance":
        return exchange.advance(ts)
    raise ValueError(f"unknown journal entry {kind!r}")


class StateFile:
    """Snapshot and journal of one sandbox exchange (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal_path = path.with_name(path.name + ".journal")
        self._seq = 0
        self._journal: IO[str] | None = None

    def load(
        self, instruments: Sequence[Instrument], make_new: Callable[[], SandboxExchange]
    ) -> tuple[SandboxExchange, int]:
        """The exchange as the files left it (or ``make_new()``), and journal entries replayed."""
        exchange: SandboxExchange | None = None
        snapshot_seq = 0
        if self.path.exists():
            data = json.loads(self.path.read_text(encoding="utf-8"))
            version = data.get("version")
            if version != VERSION:
                raise ValueError(
                    f"sandbox state file {self.path}: version {version!r} is not {VERSION}; "
                    "move the file away to start the venue fresh"
                )
            exchange = SandboxExchange.from_dict(data["exchange"], instruments=instruments)
            snapshot_seq = data["journal_seq"]
        if exchange is None:
            exchange = make_new()
        self._seq = snapshot_seq
        replayed = 0
        if self.journal_path.exists():
            with self.journal_path.open(encoding="utf-8") as journal:
                for number, line in enumerate(journal, start=1):
                    try:
                        op = json.loads(line)
                    except json.JSONDecodeError:
                        log.warning(
                            "sandbox journal %s: line %d is torn (ignored)",
                            self.journal_path,
                            number,
                        )
                        break
                    if op["seq"] <= snapshot_seq:
                        continue
                    replay(exchange, op)
                    self._seq = op["seq"]
                    replayed += 1
        return exchange, replayed

    def open(self) -> None:
        self._journal = self.journal_path.open("a", encoding="utf-8")

    def record(self, op: dict[str, Any]) -> None:
        """Append one input; it reaches the OS before the call returns (survives kill -9)."""
        if self._journal is None:
            return
        self._seq += 1
        op["seq"] = self._seq
        self._journal.write(json.dumps(op, separators=(",", ":")) + "\n")
        self._journal.flush()

    def snapshot(self, exchange: SandboxExchange) -> None:
        """Write the whole state and start an empty journal."""
        data = {"version": VERSION, "journal_seq": self._seq, "exchange": exchange.to_dict()}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self.path)
        if self._journal is not None:
            self._journal.close()
        self.journal_path.write_text("", encoding="utf-8")
        if self._journal is not None:
            self._journal = self.journal_path.open("a", encoding="utf-8")

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
