"""The README's first command as a user runs it: a real process, Ctrl+C, run it again.

Real subprocess and real clock, capped by ``trio.fail_after``; progress is read
from the child's stderr line by line, never polled.
"""

from __future__ import annotations

import shutil
import signal
import sys
from pathlib import Path

import pytest
import trio
from sandbox_node_support import ROOT

from livetrade.testing.child import Child, livetrade_run

CAP = 60.0


async def run_until_status_then_ctrl_c(config: Path) -> tuple[int, Child]:
    async with livetrade_run(config, "--status-every", "1") as child:
        await child.wait_for("livetrade.status: orders open")
        child.process.send_signal(signal.SIGINT)
        return await child.finish(), child


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_example_runs_prints_status_stops_on_ctrl_c_and_restarts(tmp_path: Path) -> None:
    for name in ("sandbox.toml", "sandbox_strategy.py"):
        shutil.copy(ROOT / "examples" / name, tmp_path / name)
    config = tmp_path / "sandbox.toml"
    with trio.fail_after(CAP):
        code, first = await run_until_status_then_ctrl_c(config)
    out = first.output
    assert code == 0, out
    assert "new venue state, kept in" in out, out
    assert first.lines[-1] == "livetrade: stopped (SIGINT)", out
    assert first.lines[-2].startswith("livetrade: summary: orders open "), out
    assert "Traceback" not in out, out
    assert (tmp_path / "sandbox-state.json").exists()

    with trio.fail_after(CAP):
        code, second = await run_until_status_then_ctrl_c(config)
    out = second.output
    assert code == 0, out
    assert "state loaded from" in out, out
    assert "reconciliation of SANDBOX:" in out, out
    assert "Traceback" not in out, out
