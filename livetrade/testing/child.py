"""``python -m livetrade run`` as a real child process, read line by line from its stderr.

Signals, exit codes, ``kill -9`` and what a user reads on the terminal can only be
tested against a real process. Such tests run on the real clock, capped by
``trio.fail_after``, and learn the child's progress from its log (the node logs
``node TRADER-001: RUNNING`` once started): never by polling with sleeps. One
``Child`` here serves every such test instead of a copy in each test module::

    async def test_ctrl_c(tmp_path):
        with trio.fail_after(30):
            async with livetrade_run(tmp_path / "node.toml", "--status-every", "1") as child:
                await child.wait_for("node TRADER-001: RUNNING")
                child.process.send_signal(signal.SIGINT)
                code = await child.finish()
        assert code == 0, child.output
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import trio

__all__ = ["Child", "livetrade_run", "start_livetrade_run"]


class Child:
    """A running child whose stderr is read line by line; every line read is kept."""

    def __init__(self, process: trio.Process) -> None:
        self.process = process
        #: the stderr lines read so far, without their line ends
        self.lines: list[str] = []
        self._buffer = b""

    @property
    def output(self) -> str:
        """The lines read so far, joined (for assertion messages)."""
        return "\n".join(self.lines)

    def index(self, text: str) -> int:
        """Index of the first kept line containing ``text`` (-1 when none)."""
        return next((i for i, line in enumerate(self.lines) if text in line), -1)

    async def readline(self) -> str | None:
        """The next stderr line (kept in ``lines``), or None at the end of stderr."""
        assert self.process.stderr is not None, "the child's stderr is not piped"
        while b"\n" not in self._buffer:
            chunk = await self.process.stderr.receive_some()
            if not chunk:  # EOF: a last line without its newline still counts
                if not self._buffer:
                    return None
                self._buffer += b"\n"
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\n")
        self.lines.append(raw.decode("utf-8", "replace"))
        return self.lines[-1]

    async def wait_for(self, text: str) -> str:
        """Read until a line contains ``text`` and return that line.

        Raises:
            AssertionError: stderr ended first (the message holds the whole output).
        """
        while (line := await self.readline()) is not None:
            if text in line:
                return line
        raise AssertionError(f"stderr ended without {text!r}:\n{self.output}")

    async def finish(self) -> int:
        """Read stderr to its end, then wait for the exit status."""
        while await self.readline() is not None:
            pass
        return await self.process.wait()

    async def aclose(self) -> None:
        """Kill the child if it still runs, reap it and close its stderr (shielded)."""
        if self.process.returncode is None:
            self.process.kill()
        with trio.CancelScope(shield=True):
            await self.process.wait()
            if self.process.stderr is not None:
                await self.process.stderr.aclose()


async def start_livetrade_run(
    config: Path, *args: str, env: Mapping[str, str] | None = None
) -> Child:
    """Start ``python -m livetrade run CONFIG ARGS...`` with stderr piped.

    The child runs in the config file's directory (so ``path = "module:Class"``
    strategies next to it import), with this interpreter, the current environment
    plus ``env``, no stdin and stdout discarded. The caller must ``aclose()`` it;
    ``livetrade_run`` does that.
    """
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "livetrade", "run", str(config), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=config.parent,
        env={**os.environ, **(env or {})},
    )
    return Child(process)


@asynccontextmanager
async def livetrade_run(
    config: Path, *args: str, env: Mapping[str, str] | None = None
) -> AsyncIterator[Child]:
    """``start_livetrade_run`` as a context manager: the child is killed and reaped on exit."""
    child = await start_livetrade_run(config, *args, env=env)
    try:
        yield child
    finally:
        await child.aclose()
