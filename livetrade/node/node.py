"""``LiveNode``: the root of the task tree, its lifecycle and its one stop path.

Theory of operation
-------------------
``run()`` opens the root nursery (DESIGN section 3): the dispatcher, the timer
task, a nursery for client tasks and one for tasks spawned by actors. It then
starts in the reference's order (DESIGN section 4):

0. open the cache database and rebuild the cache from it; start its writer
   task, the write-ahead gate and the bus streamer (``NodePersistence``);
1. connect data clients, then flush what they published (instruments) into the cache;
2. connect execution clients (they find the instruments in the cache);
   steps 1-2 are bounded together by ``timeout_connection``;
3. drain everything that arrived meanwhile;
4. startup reconciliation, per execution client, each bounded by ``timeout_reconciliation``;
5. portfolio initialisation (an account state from every execution venue),
   bounded by ``timeout_portfolio``;
6. start the trader: state RUNNING.

Every stop request, whatever its source (signal, ``NodeHandle.stop`` from any
thread, ``ShutdownSystem``, an engine error with ``graceful_shutdown_on_exception``,
the end of ``--duration``), calls ``request_stop``. During start that cancels the
start scope at once; when running it wakes the main task. Then, once:

1. state SHUTTING_DOWN; the trader stops its strategies (their stop policies
   queue cancels and closes);
2. residual events are processed until nothing is queued and no order awaits
   its venue, for at most ``timeout_post_stop``;
3. clients disconnect, bounded by ``timeout_disconnection``; laggards are named;
4. client and actor tasks are cancelled, the streams drained one last time;
5. commands still held for write-ahead are rejected, and the cache database
   gets its final flush (shielded, bounded by its ``timeout``);
   state STOPPED; the root nursery closes, so no task outlives ``run()``.

Every timeout is a Trio cancel scope: under ``MockClock`` it fires at exactly
its configured virtual time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import trio

from livetrade.config.node import NodeConfig
from livetrade.errors import LifecycleError, StartupError
from livetrade.node.clocks import LiveClock
from livetrade.node.handle import NodeHandle
from livetrade.node.kernel import NodeKernel
from livetrade.node.lifecycle import NodeState, check_transition
from livetrade.node.maintenance import Maintenance
from livetrade.node.persistence import NodePersistence
from livetrade.node.signals import watch_signals
from livetrade.node.startup import Startup

if TYPE_CHECKING:
    from livetrade.adapters.base import DataClient, ExecutionClient
    from livetrade.cache.view import CacheView
    from livetrade.clock import Clock
    from livetrade.execution.reconciliation import ReconciliationReport
    from livetrade.model.identifiers import ClientId
    from livetrade.msgbus import MessageBus
    from livetrade.persistence.database import CacheDatabase
    from livetrade.trading.actor import Actor
    from livetrade.trading.portfolio import Portfolio
    from livetrade.trading.strategy import Strategy
    from livetrade.trading.trader import Trader

__all__ = ["LiveNode", "RunResult"]

log = logging.getLogger("livetrade.node")


@attrs.frozen
class RunResult:
    """What ``run()`` reports after a clean stop."""

    #: what asked for the stop (``SIGINT``, ``handle.stop()``, ``ShutdownSystem ...``)
    reason: str
    #: the node reached RUNNING before it stopped
    was_running: bool
    #: clients that had not finished disconnecting when ``timeout_disconnection`` expired
    not_disconnected: tuple[str, ...]
    #: seconds from the stop request to the end of ``run()`` (Trio clock)
    stop_secs: float


class LiveNode:
    """Runs actors and strategies against venue clients; see the module docstring."""

    def __init__(
        self,
        config: NodeConfig | None = None,
        *,
        clock: Clock | None = None,
        cache_database: CacheDatabase | None = None,
    ) -> None:
        """``cache_database`` replaces the backend ``config.cache.database`` describes."""
        self.config = config or NodeConfig()
        self.clock: Clock = clock or LiveClock()
        self._kernel = NodeKernel(self.config, self.clock, self.request_stop)
        self._data_clients: list[DataClient] = []
        self._exec_clients: list[ExecutionClient] = []
        self._state = NodeState.IDLE
        self._run_called = False
        self._stop_reason: str | None = None
        self._stop_requested_at: float | None = None
        self._stop_event: trio.Event | None = None
        self._start_scope = trio.CancelScope()
        self._grace_scope: trio.CancelScope | None = None
        self._skip_grace = False
        self._token: trio.lowlevel.TrioToken | None = None
        self._handle = NodeHandle(self)
        self.startup = Startup(self, self._kernel)
        #: continuous reconciliation, purges and snapshots (started once RUNNING)
        self.maintenance = Maintenance(self._kernel)
        #: the cache database, the write-ahead gate and the bus streamer
        self.persistence = NodePersistence(self._kernel, cache_database)
        self.maintenance.purge_sink = self.persistence.service
        self._kernel.busy_checks.append(lambda: self.persistence.busy)

    # -- building (IDLE only) ----------------------------------------------------------------

    def _check_idle(self, what: str) -> None:
        if not self._state.accepts_components:
            raise LifecycleError(f"cannot add {what}: the node is {self._state.name}, not IDLE")

    def add_data_client(self, client: DataClient) -> None:
        self._check_idle(f"data client {client.id}")
        self._kernel.data_engine.register_client(client)
        self._data_clients.append(client)

    def add_exec_client(self, client: ExecutionClient) -> None:
        self._check_idle(f"execution client {client.id}")
        self._kernel.exec_engine.register_client(client)
        self._exec_clients.append(client)

    def add_actor(self, actor: Actor) -> None:
        self._check_idle(f"actor {actor.id}")
        self._kernel.trader.add(actor)

    def add_strategy(self, strategy: Strategy) -> None:
        self._check_idle(f"strategy {strategy.id}")
        self._kernel.trader.add(strategy)

    # -- observation ---------------------------------------------------------------------------

    @property
    def state(self) -> NodeState:
        return self._state

    @property
    def handle(self) -> NodeHandle:
        """Stop the node or watch its state from any thread or task."""
        return self._handle

    @property
    def kernel(self) -> NodeKernel:
        return self._kernel

    @property
    def cache(self) -> CacheView:
        return self._kernel.cache

    @property
    def portfolio(self) -> Portfolio:
        return self._kernel.portfolio

    @property
    def msgbus(self) -> MessageBus:
        return self._kernel.msgbus

    @property
    def trader(self) -> Trader:
        return self._kernel.trader

    @property
    def data_clients(self) -> list[DataClient]:
        return list(self._data_clients)

    @property
    def exec_clients(self) -> list[ExecutionClient]:
        return list(self._exec_clients)

    @property
    def reconciliation_reports(self) -> dict[ClientId, ReconciliationReport]:
        """Startup reconciliation's report per execution client (filled in during start).

        A client whose reconciliation was disabled, timed out or failed has no entry.
        """
        return dict(self.startup.reports)

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    def _set_state(self, state: NodeState) -> None:
        self._state = check_transition(self._state, state)
        log.info("node %s: %s", self.config.trader_id, state.name)

    # -- stopping (from the Trio thread; NodeHandle.stop for other threads) ------------------

    def request_stop(self, reason: str = "stop requested") -> None:
        """Ask the node to stop; the first reason wins, later requests are no-ops."""
        if self._stop_reason is not None or self._state is NodeState.STOPPED:
            return
        self._stop_reason = reason
        if self._token is not None:
            self._stop_requested_at = trio.current_time()
        log.info("stop requested: %s", reason)
        self._start_scope.cancel()
        if self._stop_event is not None:
            self._stop_event.set()

    @property
    def grace_skipped(self) -> bool:
        """A second stop request asked to skip the remaining grace periods."""
        return self._skip_grace

    def skip_grace(self) -> None:
        """Skip the remaining grace periods of the stop path (a second Ctrl+C)."""
        if self._stop_reason is None:
            self.request_stop("skip_grace")
        self._skip_grace = True
        if self._grace_scope is not None:
            self._grace_scope.cancel()

    # -- running -------------------------------------------------------------------------------

    async def run(  # noqa: ASYNC128
        self,
        *,
        handle_signals: bool | None = None,
        task_status: trio.TaskStatus[NodeHandle] = trio.TASK_STATUS_IGNORED,
    ) -> RunResult:
        """Start, run until asked to stop, stop; returns after every task of the node ended.

        ``handle_signals`` (default: when called on the main thread) turns
        SIGINT/SIGTERM/SIGBREAK into stop requests. ``task_status.started`` is
        called with the node's handle once it is RUNNING.

        Raises:
            LifecycleError: ``run()`` was already called on this node.
            StartupError: the node could not start (it has stopped again).
        """
        if self._run_called:
            raise LifecycleError("run() was already called on this node; build a new node")
        self._run_called = True
        if handle_signals is None:
            handle_signals = threading.current_thread() is threading.main_thread()
        failure: StartupError | None = None
        async with trio.open_nursery() as outer:
            if handle_signals:
                await outer.start(watch_signals, self)
            try:
                result = await self._run(task_status.started)
            except StartupError as exc:  # raised below, not wrapped in the nursery's group
                failure = exc
            finally:
                outer.cancel_scope.cancel()
        if failure is not None:
            raise failure
        return result

    async def _run(self, started: Callable[[NodeHandle], None]) -> RunResult:
        kernel = self._kernel
        self._token = trio.lowlevel.current_trio_token()
        self._stop_event = trio.Event()
        if self._stop_reason is not None:  # stopped before it ran
            self._stop_requested_at = trio.current_time()
            self._set_state(NodeState.STOPPED)
            return self._result(was_running=False, not_disconnected=())
        self._set_state(NodeState.STARTING)
        failure: str | None = None
        was_running = False
        async with trio.open_nursery() as root:
            clients = await root.start(self._hold_nursery, "client")
            tasks = await root.start(self._hold_nursery, "actor")
            kernel.task_nursery = tasks
            await root.start(kernel.dispatcher.run)
            await root.start(kernel.timers.run)
            with self._start_scope:
                try:
                    await self.persistence.open()
                    await self.persistence.start_tasks(root)
                    await self.startup.run(clients)
                except StartupError as exc:
                    failure = str(exc)
                else:
                    if self._stop_reason is None:
                        self._set_state(NodeState.RUNNING)
                        was_running = True
                        started(self._handle)
            if was_running and self._stop_reason is None:
                await root.start(self.maintenance.run)
            if failure is None and self._stop_reason is None:
                await self._stop_event.wait()
            if failure is not None and self._stop_reason is None:
                self._stop_reason = f"start failed: {failure}"
                self._stop_requested_at = trio.current_time()
            not_disconnected = await self._stop(clients, tasks)
            root.cancel_scope.cancel()
        kernel.task_nursery = None
        self._set_state(NodeState.STOPPED)
        result = self._result(was_running=was_running, not_disconnected=not_disconnected)
        if failure is not None:
            log.error("node %s could not start: %s", self.config.trader_id, failure)
            raise StartupError(failure)
        log.info(
            "node %s stopped cleanly (reason: %s) in %.0f ms",
            self.config.trader_id,
            result.reason,
            result.stop_secs * 1000,
        )
        return result

    def _result(self, *, was_running: bool, not_disconnected: tuple[str, ...]) -> RunResult:
        asked = self._stop_requested_at
        return RunResult(
            reason=self._stop_reason or "",
            was_running=was_running,
            not_disconnected=not_disconnected,
            stop_secs=0.0 if asked is None else trio.current_time() - asked,
        )

    async def _hold_nursery(
        self, kind: str, *, task_status: trio.TaskStatus[trio.Nursery] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Own a nursery for client or actor tasks; a crash there stops the node gracefully."""
        try:
            async with trio.open_nursery() as nursery:
                task_status.started(nursery)
                await trio.sleep_forever()
        except* Exception as group:
            for exc in group.exceptions:
                log.error("%s task failed: %r", kind, exc, exc_info=exc)
            self.request_stop(f"{kind} task failed: {group.exceptions[0]!r}")

    # -- the stop path --------------------------------------------------------------------------

    async def _stop(self, clients: trio.Nursery, tasks: trio.Nursery) -> tuple[str, ...]:
        kernel = self._kernel
        self._set_state(NodeState.SHUTTING_DOWN)
        self.maintenance.cancel()
        kernel.trader.stop()
        await self._grace("residual events", self.config.timeout_post_stop, self._wait_quiet)
        not_disconnected = await self.startup.disconnect_all(self._grace)
        clients.cancel_scope.cancel()
        tasks.cancel_scope.cancel()
        kernel.dispatcher.drain()
        self.persistence.abandon_held()
        kernel.dispatcher.drain()
        await self.persistence.close()
        return not_disconnected

    async def _wait_quiet(self) -> None:
        kernel = self._kernel
        while not kernel.is_quiet():
            await kernel.dispatcher.wait_drained()

    async def _grace(self, what: str, seconds: float, wait: Any) -> str:
        """Run ``await wait()`` for at most ``seconds``.

        Returns ``"done"``, ``"timeout"``, or ``"skipped"`` (a second stop signal).
        """
        if self._skip_grace:
            log.warning("%s: skipped (second stop request)", what)
            return "skipped"
        with trio.move_on_after(seconds) as scope:
            self._grace_scope = scope
            await wait()
        self._grace_scope = None
        if not scope.cancelled_caught:
            return "done"
        if self.grace_skipped:
            log.warning("%s: cut short (second stop request)", what)
            return "skipped"
        log.warning("%s: timeout of %gs expired", what, seconds)
        return "timeout"
