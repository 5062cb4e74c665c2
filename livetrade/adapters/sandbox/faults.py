"""Faults the sandbox injects into its execution stream, seeded and reproducible.

A real venue loses acks, drops and repeats fill messages, delivers a fill
before the ack it belongs to, disconnects, and answers report queries with
errors or not at all. The venue's *state* is never affected: an order whose
fill message was dropped is still filled at the venue, and its reports say so.
That is exactly the gap reconciliation exists to close.

``Faults`` is mutable on purpose: a test flips a fault on at the moment it
wants (``client.faults.drop_fill = 1.0``), and a run sets them from TOML.
Every decision is drawn from one ``random.Random(seed)``, so the same seed and
the same message sequence inject the same faults.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

import attrs

from livetrade.adapters.sandbox.config import SandboxFaultsConfig
from livetrade.adapters.sandbox.messages import Accepted, Filled, VenueMessage

__all__ = ["Delivery", "Faults", "ReportMode"]

ReportMode = Literal["ok", "fail", "hang"]


@attrs.frozen(kw_only=True, slots=True)
class Delivery:
    """One message to deliver after ``extra_delay_ns`` on top of the venue's latency."""

    message: VenueMessage
    extra_delay_ns: int = 0


@attrs.define(kw_only=True)
class Faults:
    """Probabilities (0 to 1) and switches of the faults to inject."""

    seed: int = 0
    drop_ack: float = 0.0
    drop_fill: float = 0.0
    duplicate_fill: float = 0.0
    reorder_fill_before_ack: float = 0.0
    delay: float = 0.0
    delay_ms: int = 0
    reports: ReportMode = "ok"
    #: What was injected so far, by fault name (for logs and tests).
    injected: dict[str, int] = attrs.field(factory=dict)
    _rng: random.Random = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def from_config(cls, config: SandboxFaultsConfig) -> Faults:
        return cls(
            seed=config.seed,
            drop_ack=config.drop_ack,
            drop_fill=config.drop_fill,
            duplicate_fill=config.duplicate_fill,
            reorder_fill_before_ack=config.reorder_fill_before_ack,
            delay=config.delay,
            delay_ms=config.delay_ms,
            reports=config.reports,
        )

    @property
    def active(self) -> bool:
        return bool(
            self.drop_ack
            or self.drop_fill
            or self.duplicate_fill
            or self.reorder_fill_before_ack
            or (self.delay and self.delay_ms)
        )

    def _hit(self, name: str, probability: float) -> bool:
        if probability <= 0.0:
            return False
        if probability < 1.0 and self._rng.random() >= probability:
            return False
        self.injected[name] = self.injected.get(name, 0) + 1
        return True

    def apply(self, messages: Sequence[VenueMessage]) -> list[Delivery]:
        """The deliveries for one batch of venue messages, with faults injected."""
        if not self.active:
            return [Delivery(message=m) for m in messages]
        batch = list(messages)
        if self.reorder_fill_before_ack:
            batch = self._reorder(batch)
        out: list[Delivery] = []
        delay_ns = self.delay_ms * 1_000_000
        for message in batch:
            if isinstance(message, Accepted) and self._hit("drop_ack", self.drop_ack):
                continue
            if isinstance(message, Filled) and self._hit("drop_fill", self.drop_fill):
                continue
            extra = delay_ns if delay_ns and self._hit("delay", self.delay) else 0
            out.append(Delivery(message=message, extra_delay_ns=extra))
            if isinstance(message, Filled) and self._hit("duplicate_fill", self.duplicate_fill):
                out.append(Delivery(message=message, extra_delay_ns=extra))
        return out

    def _reorder(self, batch: list[VenueMessage]) -> list[VenueMessage]:
        """Move an ack after the first fill of the same order, when the fault hits."""
        index = 0
        moved: set[int] = set()
        while index < len(batch):
            message = batch[index]
            if isinstance(message, Accepted) and id(message) not in moved:
                fill_at = next(
                    (
                        j
                        for j in range(index + 1, len(batch))
                        if isinstance(batch[j], Filled)
                        and batch[j].client_order_id == message.client_order_id
                    ),
                    None,
                )
                if fill_at is not None and self._hit(
                    "reorder_fill_before_ack", self.reorder_fill_before_ack
                ):
                    moved.add(id(message))
                    batch.insert(fill_at, batch.pop(index))
                    continue
            index += 1
        return batch
