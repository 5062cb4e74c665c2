"""The sandbox's execution client: order entry against the simulated exchange.

Commands reach the exchange at once (the call is synchronous and cheap); what
the venue answers is delivered to the node ``latency_ms`` later by one delivery
task, in order per order, through the fault injector. Market data reaches the
exchange through the venue hub before the node sees it, so a resting order
fills on the quote that crosses it.

Everything that changes the exchange is journaled first (see ``state.py``), so
a restarted node meets the venue exactly as it was, fills the node never heard
about included.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.adapters.sandbox.faults import Faults
from livetrade.adapters.sandbox.messages import (
    Accepted,
    Amended,
    AmendRejected,
    Canceled,
    CancelRejected,
    Expired,
    Filled,
    Rejected,
    Triggered,
    VenueMessage,
)
from livetrade.adapters.sandbox.state import StateFile, encode_market, encode_order
from livetrade.adapters.sandbox.venue import SandboxVenue
from livetrade.errors import VenueQueryError
from livetrade.model.account import AccountState
from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.enums import AccountType, OmsType
from livetrade.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModifyRejected,
    OrderRejected,
    OrderTriggered,
    OrderUpdated,
)
from livetrade.model.identifiers import (
    AccountId,
    ClientId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    Venue,
    VenueOrderId,
)
from livetrade.model.money import Money
from livetrade.model.reports import (
    ExecutionMassStatus,
    FillReport,
    OrderStatusReport,
    PositionStatusReport,
)

if TYPE_CHECKING:
    from livetrade.adapters.base import ClientContext
    from livetrade.execution.messages import (
        CancelAllOrders,
        CancelOrder,
        ModifyOrder,
        QueryOrder,
        SubmitOrder,
        SubmitOrderList,
    )

__all__ = ["SandboxExecutionClient"]

log = logging.getLogger(__name__)

_EXPIRY_CHECK_SECS = 1.0


class SandboxExecutionClient:
    """An account at a sandbox venue (cash for spot pairs, margin for perpetuals)."""

    def __init__(
        self,
        client_id: str = "SANDBOX",
        venue: SandboxVenue | None = None,
        *,
        account_id: str | None = None,
        account_type: AccountType = AccountType.CASH,
        starting_balances: Sequence[Money] = (),
        leverage: Decimal = Decimal(1),
        latency_ms: int = 0,
        state_file: Path | None = None,
        faults: Faults | None = None,
        disconnects: Sequence[tuple[float, float]] = (),
    ) -> None:
        self._id = ClientId(client_id)
        self.hub = venue if venue is not None else SandboxVenue()
        self._venue = self.hub.venue
        self._account_id = AccountId(account_id or f"{self._venue}-001")
        self.account_type = account_type
        self.starting_balances = tuple(starting_balances)
        self.leverage = leverage
        self.latency = latency_ms / 1000
        self.faults = faults if faults is not None else Faults()
        self.disconnects = tuple(disconnects)
        self.state = StateFile(state_file) if state_file is not None else None
        self._exchange: SandboxExchange | None = None
        self._ctx: ClientContext | None = None
        self._owners: dict[ClientOrderId, StrategyId] = {}
        self._heap: list[tuple[float, int, VenueMessage | AccountState]] = []
        self._order_due: dict[ClientOrderId, float] = {}
        self._seq = itertools.count()
        self._wake = trio.Event()
        self._down_until: float | None = None
        self._unjournaled: dict[InstrumentId, list[QuoteTick | TradeTick]] = {}
        self.lost_while_down = 0
        self.reconnects = 0
        self.is_connected = False

    # -- identity ---------------------------------------------------------------------------

    @property
    def id(self) -> ClientId:
        return self._id

    @property
    def venue(self) -> Venue:
        return self._venue

    @property
    def account_id(self) -> AccountId:
        return self._account_id

    @property
    def oms_type(self) -> OmsType:
        return OmsType.NETTING

    @property
    def exchange(self) -> SandboxExchange:
        if self._exchange is None:
            raise RuntimeError(f"{self._id} is not connected: no exchange yet")
        return self._exchange

    @property
    def _context(self) -> ClientContext:
        if self._ctx is None:
            raise RuntimeError(f"{self._id} is not connected")
        return self._ctx

    def _now(self) -> int:
        return self._context.clock.timestamp_ns()

    # -- lifetime ---------------------------------------------------------------------------

    async def connect(self, ctx: ClientContext, nursery: trio.Nursery) -> None:
        self._ctx = ctx
        instruments = ctx.cache.instruments(venue=self._venue)
        if not instruments:
            raise RuntimeError(
                f"sandbox venue {self._venue} has no instruments: add a "
                f'[data_clients.NAME] table with adapter = "sandbox" and venue = "{self._venue}"'
            )
        self._exchange = self._open_exchange(instruments)
        self.hub.attach(self._on_market)
        nursery.start_soon(self._deliver_loop)
        nursery.start_soon(self._expiry_loop)
        nursery.start_soon(self._close_state_on_exit)
        start = trio.current_time()
        for at, duration in self.disconnects:
            nursery.start_soon(self._disconnect_later, start + at, duration)
        await ctx.events.send(self.exchange.account_state(self._now()))
        self.is_connected = True

    def _open_exchange(self, instruments: Sequence[Any]) -> SandboxExchange:
        def make_new() -> SandboxExchange:
            return SandboxExchange(
                venue=self._venue,
                account_id=self._account_id,
                account_type=self.account_type,
                instruments=instruments,
                starting_balances=self.starting_balances,
                leverage=self.leverage,
            )

        if self.state is None:
            return make_new()
        existed = self.state.path.exists() or self.state.journal_path.exists()
        exchange, replayed = self.state.load(instruments, make_new)
        if existed:
            log.info(
                "sandbox %s: state loaded from %s (%d journal entries replayed): "
                "%d orders (%d open), %d fills",
                self._venue,
                self.state.path,
                replayed,
                len(exchange.orders()),
                len(exchange.open_orders()),
                len(exchange.fills()),
            )
        else:
            log.info("sandbox %s: new venue state, kept in %s", self._venue, self.state.path)
        self.state.open()
        return exchange

    async def _close_state_on_exit(self) -> None:
        """The journal file is closed however the client's tasks end (even cancelled)."""
        try:
            await trio.sleep_forever()
        finally:
            if self.state is not None:
                self.state.close()

    async def disconnect(self) -> None:
        self.hub.detach()
        self.is_connected = False
        if self.state is not None and self._exchange is not None:
            self.state.snapshot(self._exchange)
            self.state.close()

    # -- faults a test can trigger ----------------------------------------------------------

    def drop_stream(self, seconds: float) -> None:
        """Lose every venue message for ``seconds`` (the venue keeps trading)."""
        self._down_until = trio.current_time() + seconds
        log.warning("sandbox %s: execution stream disconnected for %gs", self._venue, seconds)
        self._wake.set()

    async def _disconnect_later(self, at: float, duration: float) -> None:
        await trio.sleep_until(at)
        self.drop_stream(duration)

    # -- commands ---------------------------------------------------------------------------

    def submit_order(self, command: SubmitOrder) -> None:
        order = command.order
        self._owners[order.client_order_id] = command.strategy_id
        ts = self._now()
        self._journal(order.instrument_id, {"op": "submit", "order": encode_order(order), "ts": ts})
        self._schedule(self.exchange.submit(order, ts))

    def submit_order_list(self, command: SubmitOrderList) -> None:
        for order in command.orders:
            self._owners[order.client_order_id] = command.strategy_id
            ts = self._now()
            op = {"op": "submit", "order": encode_order(order), "ts": ts}
            self._journal(order.instrument_id, op)
            self._schedule(self.exchange.submit(order, ts))

    def modify_order(self, command: ModifyOrder) -> None:
        ts = self._now()
        self._journal(
            command.instrument_id,
            {
                "op": "modify",
                "client_order_id": command.client_order_id.value,
                "instrument_id": command.instrument_id.value,
                "quantity": None if command.quantity is None else str(command.quantity),
                "price": None if command.price is None else str(command.price),
                "trigger_price": None
                if command.trigger_price is None
                else str(command.trigger_price),
                "ts": ts,
            },
        )
        self._schedule(
            self.exchange.modify(
                command.client_order_id,
                ts,
                quantity=command.quantity,
                price=command.price,
                trigger_price=command.trigger_price,
                instrument_id=command.instrument_id,
            )
        )

    def cancel_order(self, command: CancelOrder) -> None:
        self._cancel(command.instrument_id, command.client_order_id)

    def cancel_all_orders(self, command: CancelAllOrders) -> None:
        """Cancel what the venue has working (as a venue's cancel-all does), not what the
        node thinks is open: an order whose ack has not arrived yet is cancelled too."""
        cache = self._context.cache
        for working in self.exchange.open_orders():
            if working.instrument_id != command.instrument_id:
                continue
            if command.order_side is not None and working.side is not command.order_side:
                continue
            if command.strategy_id is not None:
                order = cache.order(working.client_order_id)
                if order is None or order.strategy_id != command.strategy_id:
                    continue
            self._cancel(working.instrument_id, working.client_order_id)

    def _cancel(self, instrument_id: InstrumentId, client_order_id: ClientOrderId) -> None:
        ts = self._now()
        self._journal(
            instrument_id,
            {
                "op": "cancel",
                "client_order_id": client_order_id.value,
                "instrument_id": instrument_id.value,
                "ts": ts,
            },
        )
        self._schedule(self.exchange.cancel(client_order_id, ts, instrument_id=instrument_id))

    def query_order(self, command: QueryOrder) -> None:
        log.debug("sandbox %s: query of %s ignored", self._venue, command.client_order_id)

    # -- market data and expiries -----------------------------------------------------------

    def _on_market(self, item: QuoteTick | TradeTick) -> None:
        exchange = self._exchange
        if exchange is None:
            return
        if type(item) is QuoteTick:
            messages = exchange.on_quote(item)
        else:
            messages = exchange.on_trade(item)
        if messages:
            pending = self._unjournaled.pop(item.instrument_id, None)
            if pending:
                self._journal_market(pending, upto=item)
            self._record({"op": "market", "item": encode_market(item), "ts": item.ts_event})
            self._schedule(messages)
        elif self.state is not None:
            self._remember(item)

    def _remember(self, item: QuoteTick | TradeTick) -> None:
        """Keep the latest quote and trade not yet journaled (replay needs the book top)."""
        pending = self._unjournaled.setdefault(item.instrument_id, [])
        for index, previous in enumerate(pending):
            if type(previous) is type(item):
                del pending[index]
                break
        pending.append(item)

    def _journal_market(
        self, pending: list[QuoteTick | TradeTick], upto: QuoteTick | TradeTick | None = None
    ) -> None:
        for item in pending:
            if item is not upto:
                self._record({"op": "market", "item": encode_market(item), "ts": item.ts_event})

    def _journal(self, instrument_id: InstrumentId, op: dict[str, Any]) -> None:
        pending = self._unjournaled.pop(instrument_id, None)
        if pending:
            self._journal_market(pending)
        self._record(op)

    def _record(self, op: dict[str, Any]) -> None:
        if self.state is not None:
            self.state.record(op)

    async def _expiry_loop(self) -> None:
        while True:
            await trio.sleep(_EXPIRY_CHECK_SECS)
            ts = self._now()
            messages = self.exchange.advance(ts)
            if messages:
                for pending in list(self._unjournaled.values()):
                    self._journal_market(pending)
                self._unjournaled.clear()
                self._record({"op": "advance", "ts": ts})
                self._schedule(messages)

    # -- delivery ---------------------------------------------------------------------------

    def _schedule(self, messages: Sequence[VenueMessage]) -> None:
        now = trio.current_time()
        base_due = now + self.latency
        items: list[VenueMessage | AccountState] = []
        extra: list[int] = []
        for delivery in self.faults.apply(messages):
            items.append(delivery.message)
            extra.append(delivery.extra_delay_ns)
        exchange = self.exchange
        if exchange.balances_changed:
            items.append(exchange.account_state(self._now()))
            extra.append(0)
        for item, extra_ns in zip(items, extra, strict=True):
            due = base_due + extra_ns / 1e9
            if isinstance(item, VenueMessage):
                coid = item.client_order_id
                previous = self._order_due.get(coid)
                if previous is not None and previous > due:
                    due = previous
                self._order_due[coid] = due
            heapq.heappush(self._heap, (due, next(self._seq), item))
        self._wake.set()

    async def _deliver_loop(self) -> None:
        ctx = self._context
        while True:
            now = trio.current_time()
            down = self._stream_down(now)
            ready: list[object] = []
            heap = self._heap
            while heap and heap[0][0] <= now:
                due, _, item = heapq.heappop(heap)
                if isinstance(item, VenueMessage):
                    if self._order_due.get(item.client_order_id) == due:
                        del self._order_due[item.client_order_id]
                    if down:
                        self.lost_while_down += 1
                        continue
                    event = self._to_event(item)
                    if event is not None:
                        ready.append(event)
                elif not down:
                    ready.append(item)
            for ready_item in ready:
                await ctx.events.send(ready_item)
            self._wake = trio.Event()
            deadline = heap[0][0] if heap else self._down_until or float("inf")
            with trio.move_on_at(deadline):
                await self._wake.wait()

    def _stream_down(self, now: float) -> bool:
        until = self._down_until
        if until is None:
            return False
        if now < until:
            return True
        self._down_until = None
        self.reconnects += 1
        log.warning(
            "sandbox %s: execution stream reconnected; %d messages were lost",
            self._venue,
            self.lost_while_down,
        )
        self._heap.append((now, next(self._seq), self.exchange.account_state(self._now())))
        heapq.heapify(self._heap)
        self._context.reconnected(self.id)
        return False

    def _to_event(self, message: VenueMessage) -> OrderEvent | None:
        ctx = self._context
        coid = message.client_order_id
        strategy_id = self._owners.get(coid)
        if strategy_id is None:
            order = ctx.cache.order(coid)
            if order is None:
                log.warning(
                    "sandbox %s: message for an order the node does not know (%r); "
                    "reconciliation will pick it up",
                    self._venue,
                    message,
                )
                return None
            strategy_id = order.strategy_id
        ts = self._now()
        base: dict[str, Any] = {
            "trader_id": ctx.trader_id,
            "strategy_id": strategy_id,
            "instrument_id": message.instrument_id,
            "client_order_id": coid,
            "ts_event": message.ts,
            "ts_init": ts,
        }
        account = self._account_id
        venue_order_id: VenueOrderId | None = message.venue_order_id
        if isinstance(message, Filled):
            instrument = ctx.cache.instrument(message.instrument_id)
            assert instrument is not None
            assert venue_order_id is not None
            return OrderFilled(
                **base,
                account_id=account,
                venue_order_id=venue_order_id,
                trade_id=message.trade_id,
                order_side=message.order_side,
                order_type=message.order_type,
                last_qty=message.last_qty,
                last_px=message.last_px,
                currency=instrument.quote_currency,
                commission=message.commission,
                liquidity_side=message.liquidity_side,
            )
        if isinstance(message, Accepted):
            assert venue_order_id is not None
            return OrderAccepted(**base, account_id=account, venue_order_id=venue_order_id)
        if isinstance(message, Rejected):
            self._owners.pop(coid, None)
            return OrderRejected(
                **base,
                account_id=account,
                reason=message.reason,
                due_post_only=message.due_post_only,
            )
        if isinstance(message, Canceled):
            self._owners.pop(coid, None)
            return OrderCanceled(**base, account_id=account, venue_order_id=venue_order_id)
        if isinstance(message, Expired):
            self._owners.pop(coid, None)
            return OrderExpired(**base, account_id=account, venue_order_id=venue_order_id)
        if isinstance(message, Triggered):
            return OrderTriggered(**base, account_id=account, venue_order_id=venue_order_id)
        if isinstance(message, Amended):
            return OrderUpdated(
                **base,
                account_id=account,
                venue_order_id=venue_order_id,
                quantity=message.quantity,
                price=message.price,
                trigger_price=message.trigger_price,
            )
        if isinstance(message, AmendRejected):
            return OrderModifyRejected(
                **base, account_id=account, venue_order_id=venue_order_id, reason=message.reason
            )
        if isinstance(message, CancelRejected):
            return OrderCancelRejected(
                **base, account_id=account, venue_order_id=venue_order_id, reason=message.reason
            )
        log.error("sandbox %s: unknown venue message %r (skipped)", self._venue, message)
        return None

    # -- reports ----------------------------------------------------------------------------

    async def _report_gate(self, what: str) -> None:
        mode = self.faults.reports
        if mode == "hang":
            self.faults.injected["report_hang"] = self.faults.injected.get("report_hang", 0) + 1
            await trio.sleep_forever()
        if self.latency:
            await trio.sleep(self.latency)
        if mode == "fail":
            self.faults.injected["report_fail"] = self.faults.injected.get("report_fail", 0) + 1
            raise VenueQueryError(f"sandbox {self._venue}: {what} failed (fault injection)")

    async def generate_order_status_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        open_only: bool = False,
        start_ns: int | None = None,
    ) -> list[OrderStatusReport]:
        await self._report_gate("order status query")
        return self.exchange.order_status_reports(
            self._now(), instrument_id=instrument_id, open_only=open_only, start_ns=start_ns
        )

    async def generate_order_status_report(
        self,
        *,
        instrument_id: InstrumentId,
        client_order_id: ClientOrderId | None = None,
        venue_order_id: VenueOrderId | None = None,
    ) -> OrderStatusReport | None:
        await self._report_gate("single order query")
        return self.exchange.order_status_report(
            self._now(), client_order_id=client_order_id, venue_order_id=venue_order_id
        )

    async def generate_fill_reports(
        self,
        *,
        instrument_id: InstrumentId | None = None,
        venue_order_id: VenueOrderId | None = None,
        start_ns: int | None = None,
    ) -> list[FillReport]:
        await self._report_gate("fill query")
        return self.exchange.fill_reports(
            self._now(),
            instrument_id=instrument_id,
            venue_order_id=venue_order_id,
            start_ns=start_ns,
        )

    async def generate_position_status_reports(
        self, *, instrument_id: InstrumentId | None = None
    ) -> list[PositionStatusReport]:
        await self._report_gate("position query")
        return self.exchange.position_status_reports(self._now(), instrument_id=instrument_id)

    async def generate_mass_status(self, lookback_mins: int | None) -> ExecutionMassStatus | None:
        await self._report_gate("mass status query")
        ts = self._now()
        start_ns = None if lookback_mins is None else ts - lookback_mins * 60_000_000_000
        exchange = self.exchange
        mass = ExecutionMassStatus(
            client_id=self._id, account_id=self._account_id, venue=self._venue, ts_init=ts
        )
        mass.add_order_reports(exchange.order_status_reports(ts, start_ns=start_ns))
        mass.add_fill_reports(exchange.fill_reports(ts, start_ns=start_ns))
        mass.add_position_reports(exchange.position_status_reports(ts))
        return mass
