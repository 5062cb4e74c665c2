"""``NodeHandle``: stop a node or read its state from any thread or task."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from livetrade.node.lifecycle import NodeState
    from livetrade.node.node import LiveNode

__all__ = ["NodeHandle"]


class NodeHandle:
    """A thread-safe remote control for one ``LiveNode``.

    ``stop()`` may be called from the node's own Trio thread, from any other
    thread (a GUI, a web server, a test), before ``run()`` or after it returned.
    """

    __slots__ = ("_node",)

    def __init__(self, node: LiveNode) -> None:
        self._node = node

    @property
    def state(self) -> NodeState:
        return self._node.state

    def stop(self, reason: str = "handle.stop()") -> None:
        """Ask the node to stop (the same path as Ctrl+C); never blocks, never raises."""
        node = self._node
        token = node._token
        if token is None:
            node.request_stop(reason)  # not running yet: run() will stop at once
            return
        try:
            same_thread = trio.lowlevel.current_trio_token() is token
        except RuntimeError:
            same_thread = False
        if same_thread:
            node.request_stop(reason)
            return
        with contextlib.suppress(trio.RunFinishedError):  # run() returned: already stopped
            token.run_sync_soon(node.request_stop, reason)
