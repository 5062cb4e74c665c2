"""What the continuous checks are allowed to do, as plain values.

Like ``ReconciliationSettings``, the rules never import ``livetrade.config``:
``CheckSettings`` carries the keys they read, under the guide's names and with
the guide's defaults, and ``from_config`` copies them from anything shaped like
``ExecEngineConfig`` (checked structurally).
"""

from __future__ import annotations

from typing import Final, Protocol, Self, final

import attrs

__all__ = ["CheckSettings", "CheckSettingsSource"]

_NS_PER_MS: Final = 1_000_000
_NS_PER_MIN: Final = 60_000_000_000


class CheckSettingsSource(Protocol):
    """The keys of ``ExecEngineConfig`` the continuous checks read."""

    @property
    def inflight_check_threshold_ms(self) -> int: ...

    @property
    def inflight_check_retries(self) -> int: ...

    @property
    def open_check_open_only(self) -> bool: ...

    @property
    def open_check_lookback_mins(self) -> int: ...

    @property
    def open_check_threshold_ms(self) -> int: ...

    @property
    def open_check_missing_retries(self) -> int: ...

    @property
    def max_single_order_queries_per_cycle(self) -> int: ...

    @property
    def position_check_lookback_mins(self) -> int: ...

    @property
    def position_check_threshold_ms(self) -> int: ...


def _non_negative(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"{attribute.name}: expected a non-negative integer, got {value!r}")


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{attribute.name}: expected a positive integer, got {value!r}")


@final
@attrs.frozen(kw_only=True)
class CheckSettings:
    """The configuration the in-flight, open-order and position rules run with.

    Attributes:
        inflight_check_threshold_ms: an in-flight order is queried once its last
            event is this old.
        inflight_check_retries: definitive "not found" answers before an in-flight
            order is resolved (at least one query is always made).
        open_check_open_only: the bulk query asks for open orders only, so an
            order missing from it may simply have closed: "not found" is never
            resolved in this mode.
        open_check_lookback_mins: closed orders updated within this window are
            part of the full-history bulk query.
        open_check_threshold_ms: orders whose last event is younger are left alone.
        open_check_missing_retries: bulk queries an open order may be missing from
            before the targeted single-order query that can resolve it.
        max_single_order_queries_per_cycle: single-order queries one cycle of one
            check may make per client; the rest wait for the next cycle.
        position_check_lookback_mins: fill reports this old are fetched to explain
            a position drift.
        position_check_threshold_ms: an instrument with order activity younger
            than this is not checked.
    """

    inflight_check_threshold_ms: int = attrs.field(default=5_000, validator=_non_negative)
    inflight_check_retries: int = attrs.field(default=5, validator=_non_negative)
    open_check_open_only: bool = True
    open_check_lookback_mins: int = attrs.field(default=60, validator=_non_negative)
    open_check_threshold_ms: int = attrs.field(default=5_000, validator=_non_negative)
    open_check_missing_retries: int = attrs.field(default=5, validator=_non_negative)
    max_single_order_queries_per_cycle: int = attrs.field(default=10, validator=_positive)
    position_check_lookback_mins: int = attrs.field(default=60, validator=_non_negative)
    position_check_threshold_ms: int = attrs.field(default=5_000, validator=_non_negative)

    @classmethod
    def from_config(cls, config: CheckSettingsSource) -> Self:
        """Copy the continuous-check keys of an ``ExecEngineConfig``."""
        return cls(
            inflight_check_threshold_ms=config.inflight_check_threshold_ms,
            inflight_check_retries=config.inflight_check_retries,
            open_check_open_only=config.open_check_open_only,
            open_check_lookback_mins=config.open_check_lookback_mins,
            open_check_threshold_ms=config.open_check_threshold_ms,
            open_check_missing_retries=config.open_check_missing_retries,
            max_single_order_queries_per_cycle=config.max_single_order_queries_per_cycle,
            position_check_lookback_mins=config.position_check_lookback_mins,
            position_check_threshold_ms=config.position_check_threshold_ms,
        )

    @property
    def inflight_threshold_ns(self) -> int:
        return self.inflight_check_threshold_ms * _NS_PER_MS

    @property
    def inflight_limit(self) -> int:
        """Not-found answers that resolve an in-flight order (0 retries still asks once)."""
        return max(1, self.inflight_check_retries)

    @property
    def open_threshold_ns(self) -> int:
        return self.open_check_threshold_ms * _NS_PER_MS

    @property
    def open_lookback_ns(self) -> int:
        return self.open_check_lookback_mins * _NS_PER_MIN

    @property
    def missing_limit(self) -> int:
        """Bulk misses before the targeted query (0 retries probes at the first miss)."""
        return max(1, self.open_check_missing_retries)

    @property
    def position_threshold_ns(self) -> int:
        return self.position_check_threshold_ms * _NS_PER_MS

    @property
    def position_lookback_ns(self) -> int:
        return self.position_check_lookback_mins * _NS_PER_MIN
