"""The ``livetrade`` command line (EDGE): wiring only, the work is in the library.

Each subcommand is a parser plus a handler ``(args) -> exit code``. Exit codes:
0 success (a clean stop), 1 the node could not start, 2 bad usage or an invalid
configuration (nothing was started), 130 interrupted before the node started.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Final

from livetrade._version import __version__
from livetrade.adapters.registry import load_builtin_adapters
from livetrade.config.loading import dump_config, load_config
from livetrade.errors import ConfigError, StartupError
from livetrade.node.lifecycle import NodeState
from livetrade.node.node import LiveNode
from livetrade.node.signals import STOP_SIGNALS
from livetrade.runner import build_node, load_node_config, run_node
from livetrade.trading.status import StatusReporter

__all__ = [
    "EXIT_CONFIG_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_START_FAILED",
    "EXIT_USAGE",
    "main",
]

EXIT_OK: Final = 0
EXIT_CONFIG_ERROR: Final = 2
EXIT_USAGE: Final = 2  # argparse's own code for a bad command line
EXIT_START_FAILED: Final = 1
EXIT_INTERRUPTED: Final = 130

Handler = Callable[[argparse.Namespace], int]


def _check(args: argparse.Namespace) -> int:
    """Load the file, print the resolved configuration, and report warnings or errors."""
    source: str = args.config
    load_builtin_adapters()
    try:
        loaded = load_config(source)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        count = len(exc.problems)
        print(f"{source}: invalid, {count} error{'s' if count != 1 else ''}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    sys.stdout.write(dump_config(loaded.config))
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    count = len(loaded.warnings)
    print(f"{source}: valid, {count} warning{'s' if count != 1 else ''}", file=sys.stderr)
    return EXIT_OK


def _ignore_late_signals() -> None:
    """After the node ran, a stop signal has nothing left to stop: ignore it.

    ``SIG_IGN`` rather than a Python handler, because the interpreter puts Python
    handlers back to the default while it shuts down, and a late Ctrl+C would then
    kill the process (exit -2) after a clean stop. ``SIG_IGN`` survives shutdown.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _run(args: argparse.Namespace) -> int:
    """Run a node until Ctrl+C, SIGTERM, ``--duration`` or a strategy's shutdown request."""
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    source: str = args.config
    node: LiveNode | None = None

    def on_signal(signum: int, frame: object) -> None:
        # Active whenever the node's own watcher is not: before it runs, interrupt;
        # once it has stopped, a late Ctrl+C has nothing left to stop.
        if node is None or node.state is NodeState.IDLE:
            raise KeyboardInterrupt

    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    try:
        node = build_node(load_node_config(source))
        reporter = StatusReporter(args.status_every)
        node.add_actor(reporter)
        try:
            result = run_node(node, duration=args.duration)
        finally:
            _ignore_late_signals()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{source}: invalid, nothing was started", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except StartupError as exc:
        print(f"livetrade: could not start: {exc}", file=sys.stderr)
        return EXIT_START_FAILED
    except KeyboardInterrupt:  # Ctrl+C before the node took over the signals
        print("livetrade: interrupted before the node started", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"livetrade: summary: {reporter.summary()}", file=sys.stderr)
    print(f"livetrade: stopped ({result.reason})", file=sys.stderr)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livetrade",
        description="Run trading strategies live against real venues.",
    )
    parser.add_argument("--version", action="version", version=f"livetrade {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="validate a config file and print the resolved configuration",
        description=(
            "Load CONFIG with the rules a node uses at startup, print every key with the value "
            "the node would use (secrets masked) to stdout, and warnings to stderr. "
            "Exit status 0 when valid, 2 when the file has errors."
        ),
    )
    check.add_argument("config", metavar="CONFIG", help="path to the TOML config file")
    check.set_defaults(handler=_check)

    run_ = commands.add_parser(
        "run",
        help="run a node from a config file until Ctrl+C, SIGTERM or --duration",
        description=(
            "Start a node from CONFIG and run it until Ctrl+C (twice skips the grace periods), "
            "SIGTERM, --duration seconds, or a strategy's shutdown request. Exit status 0 after a "
            "clean stop, 1 when the node could not start, 2 when CONFIG is invalid."
        ),
    )
    run_.add_argument("config", metavar="CONFIG", help="path to the TOML config file")
    run_.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after this many seconds"
    )
    run_.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="stderr log level (default INFO)",
    )
    run_.add_argument(
        "--status-every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="log a one-line status this often (default 5; 0 turns it off)",
    )
    run_.set_defaults(handler=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` when ``None``); return the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        # argparse exits for --help, --version and usage errors; report its code instead.
        code = exc.code
        if isinstance(code, int):
            return code
        return EXIT_OK if code is None else EXIT_USAGE
    handler: Handler = args.handler
    return handler(args)
