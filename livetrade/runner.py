"""Build a node from a configuration and run it from plain synchronous code.

``build_node`` turns a ``NodeConfig`` into a ``LiveNode``: clients from their
adapters' factories, strategies from their import paths (``package.module:Class``,
instantiated with their ``StrategyConfig``). ``run`` is the one-call entry point
used by ``python -m livetrade run``: it handles Ctrl+C/SIGTERM and returns after a
clean stop.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from livetrade.adapters.registry import adapter_factories, load_builtin_adapters
from livetrade.config.loading import load_config
from livetrade.config.node import NodeConfig
from livetrade.errors import ConfigError, StartupError
from livetrade.node.lifecycle import NodeState
from livetrade.node.node import LiveNode, RunResult
from livetrade.node.signals import STOP_SIGNALS
from livetrade.trading.strategy import Strategy

if TYPE_CHECKING:
    from livetrade.clock import Clock
    from livetrade.config.strategies import StrategyConfig

__all__ = ["build_node", "load_node_config", "run", "run_node"]

log = logging.getLogger("livetrade.node")


def load_node_config(path: str | os.PathLike[str]) -> NodeConfig:
    """Load and check a TOML config (adapters registered first); warnings are logged.

    The config file's directory is added to the end of ``sys.path``, so a
    strategy ``path`` can name a module that sits beside the config.
    """
    load_builtin_adapters()
    loaded = load_config(path)
    for warning in loaded.warnings:
        log.warning("config: %s", warning)
    config_dir = str(Path(path).resolve().parent)
    if config_dir not in sys.path:
        sys.path.append(config_dir)  # strategy modules may sit next to the config file
    return loaded.config


def _strategy_class(index: int, config: StrategyConfig) -> type[Strategy]:
    key = f"strategies[{index}].path"
    try:
        module = importlib.import_module(config.module_name)
    except Exception as exc:
        raise ConfigError([f"{key}: cannot import module {config.module_name!r}: {exc!r}"]) from exc
    cls = getattr(module, config.class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise ConfigError(
            [f"{key}: {config.path!r} is not a livetrade.Strategy subclass (found {cls!r})"]
        )
    return cls


def build_node(config: NodeConfig, *, clock: Clock | None = None) -> LiveNode:
    """A node with the config's clients and strategies added (state IDLE).

    Raises:
        ConfigError: a strategy cannot be imported or a client cannot be built;
            the message names the key.
    """
    load_builtin_adapters()
    node = LiveNode(config, clock=clock)
    problems: list[str] = []
    for kind, table in (("data", config.data_clients), ("exec", config.exec_clients)):
        for client_id, client_config in table.items():
            factories = adapter_factories(client_config.adapter)
            factory = factories.data if kind == "data" else factories.exec
            if factory is None:
                problems.append(f"{kind}_clients.{client_id}: adapter has no {kind} client")
                continue
            client = factory(client_id, client_config.settings, config)
            if kind == "data":
                node.add_data_client(client)  # type: ignore[arg-type]
            else:
                node.add_exec_client(client)  # type: ignore[arg-type]
    for index, strategy_config in enumerate(config.strategies):
        try:
            node.add_strategy(_strategy_class(index, strategy_config)(strategy_config))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return node


def run(
    config: NodeConfig | str | os.PathLike[str],
    *,
    duration: float | None = None,
    handle_signals: bool = True,
) -> RunResult:
    """Build a node and run it until Ctrl+C, SIGTERM, ``duration`` seconds or a shutdown.

    Raises:
        ConfigError: the configuration is invalid (nothing was started).
        StartupError: the node could not start (it has stopped again).
    """
    if not isinstance(config, NodeConfig):
        config = load_node_config(Path(config))
    return run_node(build_node(config), duration=duration, handle_signals=handle_signals)


def run_node(
    node: LiveNode, *, duration: float | None = None, handle_signals: bool = True
) -> RunResult:
    """Run an already built node in a new ``trio.run`` (see ``run``)."""

    async def main() -> RunResult | StartupError:
        async with trio.open_nursery() as nursery:
            if duration is not None:
                nursery.start_soon(_stop_after, node, duration)
            try:
                result: RunResult | StartupError = await node.run(handle_signals=handle_signals)
            except StartupError as exc:  # re-raised outside, not wrapped in the nursery's group
                result = exc
            nursery.cancel_scope.cancel()
        return result

    with _quiet_after_stop(node, enabled=handle_signals):
        outcome = trio.run(main)
    if isinstance(outcome, StartupError):
        raise outcome
    return outcome


@contextlib.contextmanager
def _quiet_after_stop(node: LiveNode, *, enabled: bool) -> Iterator[None]:
    """Outside the node's own signal watcher, make late stop signals harmless.

    Before the node runs, Ctrl+C interrupts as usual (``KeyboardInterrupt``).
    Once the node has stopped, a late signal (a second Ctrl+C pressed as the
    stop finished, or one trio re-delivers when its receiver closes) has nothing
    left to stop: it is logged and ignored, so a clean stop still exits 0.
    """
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if node.state is NodeState.STOPPED:
            log.info("%s after the node stopped: ignored", signal.Signals(signum).name)
            return
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


async def _stop_after(node: LiveNode, seconds: float) -> None:
    await trio.sleep(seconds)
    node.request_stop(f"--duration {seconds:g}s elapsed")
