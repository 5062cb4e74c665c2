"""The link between a sandbox venue's data client and its execution client.

The data client produces the market; the execution client owns the simulated
exchange that must see every quote and trade to match orders, including those
of instruments no strategy subscribed to. ``SandboxVenue`` is the small hub
they share: the data client hands each market record to it, and it passes them
on to the attached execution client (if any) synchronously, before the node
sees them.

When a node is built from TOML, both clients of one venue get the same hub
from ``hub_for(node_config, venue)``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Final

from livetrade.model.data import QuoteTick, TradeTick
from livetrade.model.identifiers import Venue

__all__ = ["SandboxVenue", "hub_for"]

MarketListener = Callable[[QuoteTick | TradeTick], None]


class SandboxVenue:
    """One simulated venue: its name and the listener of its market data."""

    def __init__(self, name: str = "SANDBOX") -> None:
        self.venue = Venue(name)
        self._listener: MarketListener | None = None

    def attach(self, listener: MarketListener) -> None:
        if self._listener is not None:
            raise RuntimeError(f"sandbox venue {self.venue} already has an execution client")
        self._listener = listener

    def detach(self) -> None:
        self._listener = None

    def on_market(self, item: QuoteTick | TradeTick) -> None:
        listener = self._listener
        if listener is not None:
            listener(item)

    def on_market_batch(self, items: list[QuoteTick | TradeTick]) -> None:
        listener = self._listener
        if listener is not None:
            for item in items:
                listener(item)


_HUBS: Final[dict[tuple[int, str], SandboxVenue]] = {}


def hub_for(owner: object, venue: str) -> SandboxVenue:
    """The hub of ``venue`` shared by every client built for ``owner`` (a node config)."""
    key = (id(owner), venue)
    hub = _HUBS.get(key)
    if hub is None:
        hub = _HUBS[key] = SandboxVenue(venue)
        weakref.finalize(owner, _HUBS.pop, key, None)
    return hub
