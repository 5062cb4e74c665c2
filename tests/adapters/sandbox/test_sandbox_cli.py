"""The README's first command as a user runs it: a real process, Ctrl+C, run it again.

Real subprocess and real clock, capped by ``trio.fail_after``; progress is read
from the child's stderr line by line, never polled.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from sandbox_node_support import ROOT

CAP = 60.0


class Child:
    def __init__(self, process: trio.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._buffer = b""

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def readline(self) -> str | None:
        assert self.process.stderr is not None
        while b"\n" not in self._buffer:
            chunk = await self.process.stderr.receive_some()
            if not chunk:
                if not self._buffer:
                    return None
                self._buffer += b"\n"
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\n")
        self.lines.append(raw.decode("utf-8", "replace"))
        return self.lines[-1]

    async def wait_for(self, text: str) -> None:
        while (line := await self.readline()) is not None:
            if text in line:
                return
        raise AssertionError(f"stderr ended without {text!r}:\n{self.output}")

    async def finish(self) -> int:
        while await self.readline() is not None:
            pass
        return await self.process.wait()


async def run_until_status_then_ctrl_c(config: Path) -> tuple[int, Child]:
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "livetrade", "run", str(config), "--status-every", "1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=config.parent,
        env={**os.environ},
    )
    child = Child(process)
    try:
        await child.wait_for("livetrade.status: orders open")
        process.send_signal(signal.SIGINT)
        return await child.finish(), child
    finally:
        if process.returncode is None:
            process.kill()
        with trio.CancelScope(shield=True):
            await process.wait()
            if process.stderr is not None:
                await process.stderr.aclose()


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
