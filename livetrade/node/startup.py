"""The start sequence and the client disconnection of a node (DESIGN section 4).

Kept apart from ``LiveNode`` so the ordering is readable top to bottom:
connect data clients, flush their instruments into the cache, connect execution
clients, drain, reconcile per execution client, wait for the portfolio, start
the trader. Every bound is a Trio cancel scope with the configured timeout.

Startup reconciliation (``Startup.reconcile``, the default ``reconciler``) runs
the pure ``reconcile_mass_status`` for one client, applies the result through
the execution engine in the same synchronous step (so the cache cannot change
in between), logs the report (INFO per change, WARNING per discrepancy) and
keeps it in ``reports``. A client whose reconciliation raises is logged and
skipped, with nothing of it applied; the other clients go on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import trio

from livetrade.adapters.base import ClientContext
from livetrade.errors import StartupError
from livetrade.execution.reconciliation import (
    ReconciliationError,
    ReconciliationSettings,
    Severity,
    collect_claims,
    duplicate_client_order_ids,
    reconcile_mass_status,
)
from livetrade.execution.reconciliation.errors import describe_duplicates

if TYPE_CHECKING:
    from livetrade.adapters.base import DataClient, ExecutionClient
    from livetrade.execution.reconciliation import ReconciliationReport, ReconciliationResult
    from livetrade.model.identifiers import ClientId
    from livetrade.model.reports import ExecutionMassStatus
    from livetrade.node.kernel import NodeKernel
    from livetrade.node.node import LiveNode

__all__ = ["Reconciler", "Startup"]

log = logging.getLogger("livetrade.node")

Reconciler = Callable[["ExecutionClient", "ExecutionMassStatus"], None]
"""Applies one client's mass status to the node (``Startup.reconcile`` by default)."""

_LEVELS = {
    Severity.DEBUG: logging.DEBUG,
    Severity.INFO: logging.INFO,
    Severity.WARNING: logging.WARNING,
}

Grace = Callable[[str, float, Callable[[], Awaitable[None]]], Awaitable[str]]


def _log_mass_status(client: ExecutionClient, mass: ExecutionMassStatus) -> None:
    log.info(
        "mass status from %s: %d order reports, %d fill reports, %d position reports",
        client.id,
        len(mass.all_order_reports),
        sum(len(fills) for fills in mass.fill_reports.values()),
        sum(len(p) for p in mass.position_reports.values()),
    )


def _kind(client: object, node: LiveNode) -> str:
    return "data" if client in node.data_clients else "execution"


class Startup:
    """Connects, reconciles and starts; later disconnects what it connected."""

    def __init__(self, node: LiveNode, kernel: NodeKernel) -> None:
        self._node = node
        self._kernel = kernel
        self.reconciler: Reconciler = self.reconcile
        #: startup reconciliation's report per execution client that was reconciled
        self.reports: dict[ClientId, ReconciliationReport] = {}
        self._reconciliation_settings: ReconciliationSettings | None = None
        self.attempted: list[DataClient | ExecutionClient] = []
        self.connected: set[str] = set()
        self.failed: dict[str, str] = {}

    def context(self) -> ClientContext:
        kernel = self._kernel
        return ClientContext(
            trader_id=kernel.trader_id,
            clock=kernel.clock,
            cache=kernel.cache,
            data=kernel.channels.inbox("data_events"),
            events=kernel.channels.inbox("exec_events"),
            reconnected=self._client_reconnected,
        )

    def _client_reconnected(self, client_id: ClientId) -> None:
        """A client's stream came back: maintenance reconciles it (data clients: nothing)."""
        for client in self._node.exec_clients:
            if client.id == client_id:
                log.warning("execution client %s reconnected: reconciling its orders", client_id)
                self._node.maintenance.on_client_reconnected(client)
                return

    async def run(self, client_nursery: trio.Nursery) -> None:
        node, kernel = self._node, self._kernel
        config = node.config
        ctx = self.context()
        with trio.move_on_after(config.timeout_connection) as scope:
            await self._connect_all(node.data_clients, ctx, client_nursery)
            kernel.dispatcher.drain()  # instruments into the cache before exec clients connect
            await self._connect_all(node.exec_clients, ctx, client_nursery)
        if scope.cancelled_caught:
            self._log_connection_table()
            everyone: list[DataClient | ExecutionClient] = [*node.data_clients, *node.exec_clients]
            missing = [str(c.id) for c in everyone if str(c.id) not in self.connected]
            raise StartupError(
                f"timeout_connection ({config.timeout_connection:g}s) expired; "
                f"not connected: {', '.join(missing)}"
            )
        if self.failed:
            raise StartupError(
                "clients failed to connect: "
                + "; ".join(f"{name}: {error}" for name, error in sorted(self.failed.items()))
            )
        kernel.dispatcher.drain()
        await self._reconcile_all()
        await self._initialize_portfolio()
        kernel.trader.start()

    async def _connect_all(
        self,
        clients: Sequence[DataClient | ExecutionClient],
        ctx: ClientContext,
        client_nursery: trio.Nursery,
    ) -> None:
        async with trio.open_nursery() as nursery:
            for client in clients:
                nursery.start_soon(self._connect_one, client, ctx, client_nursery)

    async def _connect_one(
        self, client: DataClient | ExecutionClient, ctx: ClientContext, nursery: trio.Nursery
    ) -> None:
        self.attempted.append(client)
        try:
            await client.connect(ctx, nursery)
        except Exception as exc:
            log.error("client %s failed to connect: %r", client.id, exc, exc_info=exc)
            self.failed[str(client.id)] = repr(exc)
            return
        self.connected.add(str(client.id))
        log.info("%s client %s connected", _kind(client, self._node), client.id)

    def _log_connection_table(self) -> None:
        node = self._node
        rows = [(str(c.id), "data") for c in node.data_clients]
        rows += [(str(c.id), "execution") for c in node.exec_clients]
        width = max([len("client"), *(len(name) for name, _ in rows)])
        lines = [f"{'client':<{width}}  {'type':<9}  connected"]
        lines += [
            f"{name:<{width}}  {kind:<9}  {'yes' if name in self.connected else 'NO'}"
            for name, kind in rows
        ]
        log.error(
            "timeout_connection (%gs) expired waiting for clients to connect:\n%s",
            node.config.timeout_connection,
            "\n".join(lines),
        )

    async def _reconcile_all(self) -> None:
        config = self._node.config
        if not config.exec_engine.reconciliation:
            log.info("startup reconciliation disabled (exec_engine.reconciliation = false)")
            return
        for client in self._node.exec_clients:
            mass = await self._fetch_mass_status(client)
            if mass is None:
                continue
            duplicates = duplicate_client_order_ids(mass, self._settings())
            if duplicates:
                raise StartupError(
                    f"mass status from {client.id} has duplicate client order ids: "
                    f"{describe_duplicates(duplicates)}; reconciliation refused to guess "
                    "(list them in exec_engine.filtered_client_order_ids to skip them)"
                )
            self.reconciler(client, mass)
            self._kernel.dispatcher.drain()

    def _settings(self) -> ReconciliationSettings:
        """Built once: strategies (and their claims) are fixed once the node left IDLE."""
        if self._reconciliation_settings is not None:
            return self._reconciliation_settings
        config = self._node.config
        claims, problems = collect_claims(
            (strategy.strategy_id, strategy.config.external_order_claims)
            for strategy in self._kernel.trader.strategies
        )
        for problem in problems:
            log.warning("external_order_claims: %s", problem)
        settings = ReconciliationSettings.from_config(
            config.exec_engine, trader_id=config.trader_id, external_order_claims=claims
        )
        self._reconciliation_settings = settings
        return settings

    def reconcile(self, client: ExecutionClient, mass: ExecutionMassStatus) -> None:
        """Reconcile one client's mass status and apply the result, whole or not at all."""
        _log_mass_status(client, mass)
        kernel = self._kernel
        result: ReconciliationResult | None = None
        try:
            result = reconcile_mass_status(kernel.cache, mass, self._settings())
            kernel.exec_engine.apply_reconciliation(result)  # checks all, then applies
        except Exception as exc:  # one client must not stop the others
            # The pure function changes nothing, and apply raises ReconciliationError only
            # before its first change; anything else would be an engine bug mid-way.
            untouched = result is None or isinstance(exc, ReconciliationError)
            applied = "nothing of it was applied" if untouched else "it may be partly applied"
            log.error(
                "reconciliation of %s failed: %r; %s, other clients go on",
                client.id,
                exc,
                applied,
                exc_info=exc,
            )
            return
        report = result.report
        self.reports[client.id] = report
        for severity, line in report.lines():
            log.log(_LEVELS[severity], "reconciliation %s: %s", client.id, line)
        log.info("%s", report.summary())

    async def _fetch_mass_status(self, client: ExecutionClient) -> ExecutionMassStatus | None:
        config = self._node.config
        mass = None
        with trio.move_on_after(config.timeout_reconciliation) as scope:
            try:
                mass = await client.generate_mass_status(
                    config.exec_engine.reconciliation_lookback_mins
                )
            except Exception as exc:
                log.error("reconciliation of %s failed: %r; other clients go on", client.id, exc)
                return None
        if scope.cancelled_caught:
            log.error(
                "reconciliation of %s: timeout_reconciliation (%gs) expired; other clients go on",
                client.id,
                config.timeout_reconciliation,
            )
            return None
        if mass is None:
            log.warning("no mass status from %s: nothing to reconcile", client.id)
        return mass

    async def _initialize_portfolio(self) -> None:
        node, kernel = self._node, self._kernel
        venues = [client.venue for client in node.exec_clients]
        portfolio = kernel.portfolio
        with trio.move_on_after(node.config.timeout_portfolio) as scope:
            while portfolio.missing_accounts(venues):
                await kernel.dispatcher.wait_drained()
        if scope.cancelled_caught:
            missing = ", ".join(str(v) for v in portfolio.missing_accounts(venues))
            raise StartupError(
                f"timeout_portfolio ({node.config.timeout_portfolio:g}s) expired: "
                f"no account state from venues {missing}"
            )
        portfolio.initialize(venues)

    async def disconnect_all(self, grace: Grace) -> tuple[str, ...]:
        """Disconnect every client whose connect was attempted; return the laggards."""
        pending = {str(client.id): client for client in self.attempted}
        if not pending:
            return ()

        async def disconnect_one(client: DataClient | ExecutionClient) -> None:
            try:
                await client.disconnect()
            except Exception as exc:
                log.error("client %s failed to disconnect: %r", client.id, exc, exc_info=exc)
            pending.pop(str(client.id), None)

        async def disconnect() -> None:
            async with trio.open_nursery() as nursery:
                for client in list(pending.values()):
                    nursery.start_soon(disconnect_one, client)

        outcome = await grace("disconnection", self._node.config.timeout_disconnection, disconnect)
        if pending and outcome == "skipped":
            log.warning(
                "disconnection skipped by a second stop request; not disconnected: %s "
                "(their tasks are cancelled)",
                ", ".join(sorted(pending)),
            )
        elif pending:
            log.error(
                "timeout_disconnection (%gs) expired; not disconnected: %s",
                self._node.config.timeout_disconnection,
                ", ".join(sorted(pending)),
            )
        return tuple(sorted(pending))
