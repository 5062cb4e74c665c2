"""``python -m livetrade run`` as a real subprocess: signals, exit codes and stderr.

These tests talk to another process, so they run on the real clock with generous
``trio.fail_after`` caps; readiness is never polled with sleeps, it is read from the
child's stderr line by line (the node logs ``node TRADER-001: RUNNING`` once started).
"""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import pytest
import trio

from livetrade.testing.child import Child, livetrade_run

CAP = 30.0  # seconds; a generous bound on every test, never a pacing device

# Popen.send_signal on Windows accepts only SIGTERM (a hard kill) and CTRL_*_EVENT.
unix_signals = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

CLIENTS = """
[data_clients.DATA]
adapter = "scripted"
{data}
[exec_clients.EXEC]
adapter = "scripted"
{exec}
"""

# Submits one order on start; with a slow venue it stays in flight during the stop.
PENDING_STRATEGY = """
from livetrade import Strategy
from livetrade.model import InstrumentId, OrderSide, Price, Quantity


class Pending(Strategy):
    def on_start(self) -> None:
        self.submit_order(self.order_factory.limit(
            InstrumentId("BTCUSDT.SIM"), OrderSide.BUY, Quantity("1"), Price("100.00")
        ))
        self.log.info("order submitted")
"""


def config(tmp_path: Path, head: str = "", data: str = "", exec_: str = "", tail: str = "") -> Path:
    path = tmp_path / "node.toml"
    path.write_text(head + CLIENTS.format(data=data, exec=exec_) + tail, encoding="utf-8")
    return path


def assert_clean_stop(child: Child, code: int, reason: str) -> None:
    out = child.output
    assert code == 0, f"exit status {code}:\n{out}"
    stopped_cleanly = rf"node TRADER-001 stopped cleanly \(reason: {re.escape(reason)}\) in \d+ ms"
    assert re.search(stopped_cleanly, out), out
    assert child.lines[-1] == f"livetrade: stopped ({reason})", out
    assert "Traceback" not in out, out
    shutting, stopped = child.index(": SHUTTING_DOWN"), child.index(": STOPPED")
    assert 0 <= shutting < stopped, out


@unix_signals
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_signal_on_running_node_stops_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    with trio.fail_after(CAP):
        async with livetrade_run(config(tmp_path)) as child:
            await child.wait_for("node TRADER-001: RUNNING")
            child.process.send_signal(signum)
            code = await child.finish()
    assert_clean_stop(child, code, signum.name)
    assert child.index(f"{signum.name} received: stopping") < child.index(": SHUTTING_DOWN")
    assert "received again" not in child.output


@unix_signals
async def test_sigint_during_hanging_connect_stops_at_once(tmp_path: Path) -> None:
    path = config(tmp_path, data="connect_hangs = true")  # default timeout_connection: 30s
    with trio.fail_after(CAP):
        async with livetrade_run(path) as child:
            await child.wait_for("node TRADER-001: STARTING")
            child.process.send_signal(signal.SIGINT)
            sent = trio.current_time()
            code = await child.finish()
            elapsed = trio.current_time() - sent
    assert_clean_stop(child, code, "SIGINT")
    out = child.output
    assert elapsed < 10.0, f"took {elapsed:.1f}s (timeout_disconnection is 10s):\n{out}"
    assert child.index(": RUNNING") == -1, out
    assert child.index(": STARTING") < child.index("stop requested: SIGINT"), out
    assert child.index("stop requested: SIGINT") < child.index(": SHUTTING_DOWN"), out
    assert "could not start" not in out and "timeout_connection" not in out, out


async def test_connect_timeout_cannot_start(tmp_path: Path) -> None:
    path = config(tmp_path, head="timeout_connection = 1.0\n", data="connect_hangs = true")
    with trio.fail_after(CAP):
        async with livetrade_run(path) as child:
            code = await child.finish()
    out = child.output
    assert code == 1, f"exit status {code}:\n{out}"
    prefix = "livetrade: could not start: timeout_connection (1s) expired; not connected:"
    failures = [line for line in child.lines if line.startswith(prefix)]
    assert failures == [f"{prefix} DATA, EXEC"], out  # EXEC waits for DATA: never tried
    assert "Traceback" not in out, out


@unix_signals
async def test_second_sigint_right_after_first(tmp_path: Path) -> None:
    """Two SIGINTs back to back: both handled, or coalesced into one; never a crash."""
    with trio.fail_after(CAP):
        async with livetrade_run(config(tmp_path)) as child:
            await child.wait_for("node TRADER-001: RUNNING")
            child.process.send_signal(signal.SIGINT)
            child.process.send_signal(signal.SIGINT)
            code = await child.finish()
    assert_clean_stop(child, code, "SIGINT")
    out = child.output
    assert sum("SIGINT received: stopping" in line for line in child.lines) == 1, out
    again = child.index("SIGINT received again: skipping the remaining grace periods")
    if again == -1:  # trio's signal receiver coalesced the second into the first
        assert "(second stop request)" not in out, out
    else:  # the second arrived while the stop path was running
        assert child.index("SIGINT received: stopping") < again < child.index(": STOPPED"), out


@unix_signals
async def test_sigint_after_the_stop_finished_is_ignored(tmp_path: Path) -> None:
    """A Ctrl+C pressed as the stop completes must not turn a clean stop into an error."""
    with trio.fail_after(CAP):
        async with livetrade_run(config(tmp_path)) as child:
            await child.wait_for("node TRADER-001: RUNNING")
            child.process.send_signal(signal.SIGINT)
            await child.wait_for("stopped cleanly")
            child.process.send_signal(signal.SIGINT)
            code = await child.finish()
    assert_clean_stop(child, code, "SIGINT")
    assert "Traceback" not in child.output and "interrupted" not in child.output, child.output


@unix_signals
async def test_second_sigint_skips_residual_grace(tmp_path: Path) -> None:
    """An order stays in flight (venue latency 60s), so the residual wait would last 20s."""
    (tmp_path / "pending_strategy.py").write_text(PENDING_STRATEGY, encoding="utf-8")
    path = config(
        tmp_path,
        head="timeout_post_stop = 20\ntimeout_disconnection = 20\n",
        exec_="latency_secs = 60",
        tail='[[strategies]]\npath = "pending_strategy:Pending"\n',
    )
    with trio.fail_after(CAP):
        async with livetrade_run(path, env={"PYTHONPATH": str(tmp_path)}) as child:
            await child.wait_for("node TRADER-001: RUNNING")
            assert child.index("order submitted") >= 0, child.output
            child.process.send_signal(signal.SIGINT)
            first = trio.current_time()
            await child.wait_for("node TRADER-001: SHUTTING_DOWN")  # residual wait begins
            child.process.send_signal(signal.SIGINT)
            code = await child.finish()
            elapsed = trio.current_time() - first
    assert_clean_stop(child, code, "SIGINT")
    out = child.output
    assert elapsed < 10.0, f"took {elapsed:.1f}s despite the second SIGINT:\n{out}"
    again = child.index("SIGINT received again: skipping the remaining grace periods")
    assert child.index(": SHUTTING_DOWN") < again < child.index(": STOPPED"), out
    assert child.index("residual events: cut short (second stop request)") > again, out
    assert child.index("disconnection: skipped (second stop request)") > again, out
    assert "timeout_disconnection" not in out, out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bogus_key = 1\n", "unknown key 'bogus_key'"),
        (
            '[[strategies]]\npath = "nope.module:Thing"\n',
            "strategies[0].path: cannot import module 'nope.module'",
        ),
    ],
    ids=["unknown-key", "unimportable-strategy"],
)
async def test_invalid_config_exits_2(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "node.toml"
    path.write_text(text, encoding="utf-8")
    with trio.fail_after(CAP):
        async with livetrade_run(path) as child:
            code = await child.finish()
    out = child.output
    assert code == 2, f"exit status {code}:\n{out}"
    errors = [line for line in child.lines if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0], out
    assert child.lines[-1] == f"{path}: invalid, nothing was started", out
    assert "STARTING" not in out, out


async def test_duration_stops_cleanly(tmp_path: Path) -> None:
    with trio.fail_after(CAP):
        async with livetrade_run(config(tmp_path), "--duration", "0.2") as child:
            code = await child.finish()
    assert_clean_stop(child, code, "--duration 0.2s elapsed")
    assert child.index(": RUNNING") < child.index("stop requested: --duration 0.2s elapsed")


async def test_run_help_mentions_duration() -> None:
    with trio.fail_after(CAP):
        result = await trio.run_process(
            [sys.executable, "-m", "livetrade", "run", "--help"],
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    out = result.stdout.decode()
    assert result.returncode == 0, f"{out}\n{result.stderr.decode()}"
    assert out.startswith("usage: livetrade run"), out
    assert "--duration SECONDS" in out, out
