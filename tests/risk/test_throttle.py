"""The throttler: a sliding window (ts - interval, ts], exact at its boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livetrade.config.engines import RateLimit, parse_rate_limit
from livetrade.errors import InvalidValue
from livetrade.risk import Throttler

SEC = 1_000_000_000


def throttler(count: int = 2, interval_ns: int = 10) -> Throttler:
    return Throttler(RateLimit(count=count, interval_ns=interval_ns))


class TestWindow:
    def test_allows_count_then_refuses_and_records_nothing(self) -> None:
        t = throttler(count=2, interval_ns=10)
        assert [t.try_acquire(0), t.try_acquire(3), t.try_acquire(5)] == [True, True, False]
        assert t.used(5) == 2
        assert t.available(5) == 0

    @pytest.mark.parametrize(
        ("ts", "allowed", "used_before"),
        [
            pytest.param(9, False, 2, id="one-ns-before-the-first-leaves"),
            pytest.param(10, True, 1, id="exactly-interval-later-is-allowed"),
            pytest.param(13, True, 0, id="both-left-the-window"),
            pytest.param(12, True, 1, id="second-still-inside"),
        ],
    )
    def test_boundaries(self, ts: int, allowed: bool, used_before: int) -> None:
        t = throttler(count=2, interval_ns=10)
        assert t.try_acquire(0)
        assert t.try_acquire(3)
        assert t.used(ts) == used_before
        assert t.try_acquire(ts) is allowed
        assert t.used(ts) == used_before + int(allowed)

    def test_parsed_rate_one_per_second(self) -> None:
        t = Throttler(parse_rate_limit("1/00:00:01"))
        assert t.try_acquire(0)
        assert not t.try_acquire(SEC - 1)
        assert t.try_acquire(SEC)
        assert not t.try_acquire(2 * SEC - 1)
        assert t.try_acquire(2 * SEC)

    def test_the_example_of_docs_risk_md(self) -> None:
        t = Throttler(parse_rate_limit("2/00:00:01"))
        assert t.try_acquire(0)
        assert t.try_acquire(3 * SEC // 10)
        results = [t.try_acquire(ts) for ts in (SEC // 2, SEC - 1, SEC, 12 * SEC // 10)]
        assert results == [False, False, True, False]

    def test_acquiring_several_is_all_or_nothing(self) -> None:
        t = throttler(count=3, interval_ns=10)
        assert t.try_acquire(0)
        assert not t.try_acquire(1, 3)
        assert t.used(1) == 1
        assert t.try_acquire(1, 2)
        assert t.used(1) == 3
        assert not t.try_acquire(9)
        assert t.try_acquire(10, 1)  # the one at 0 left; the two at 1 remain
        assert t.used(10) == 3

    def test_more_than_the_count_at_once_never_fits(self) -> None:
        t = throttler(count=2, interval_ns=10)
        assert not t.try_acquire(0, 3)
        assert t.used(0) == 0

    def test_clock_stepping_back_counts_as_the_newest_time_seen(self) -> None:
        t = throttler(count=1, interval_ns=10)
        assert t.try_acquire(100)
        assert not t.try_acquire(50)  # treated as 100: the window is full
        assert not t.try_acquire(109)
        assert t.try_acquire(110)
        # A look at a later time also moves time forward for later calls.
        assert t.used(200) == 0
        assert t.try_acquire(150)
        assert not t.try_acquire(209)
        assert t.try_acquire(210)

    @pytest.mark.parametrize(
        ("limit", "n", "message"),
        [
            pytest.param(RateLimit(count=0, interval_ns=10), 1, "positive count", id="zero-count"),
            pytest.param(
                RateLimit(count=1, interval_ns=0), 1, "positive count", id="zero-interval"
            ),
        ],
    )
    def test_invalid_limits_are_refused(self, limit: RateLimit, n: int, message: str) -> None:
        with pytest.raises(InvalidValue, match=message):
            Throttler(limit)

    def test_acquiring_zero_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="at least one slot, got 0"):
            throttler().try_acquire(0, 0)


steps = st.lists(
    st.tuples(st.integers(min_value=-5, max_value=15), st.integers(min_value=1, max_value=3)),
    max_size=60,
)


@given(
    count=st.integers(min_value=1, max_value=5),
    interval=st.integers(min_value=1, max_value=20),
    steps=steps,
)
def test_matches_a_naive_window_and_never_exceeds_the_count(
    count: int, interval: int, steps: list[tuple[int, int]]
) -> None:
    """Against a model that scans every recorded stamp; time is the running maximum."""
    t = throttler(count=count, interval_ns=interval)
    recorded: list[int] = []
    ts = 0
    now: int | None = None
    for delta, n in steps:
        ts += delta
        now = ts if now is None else max(now, ts)
        in_window = sum(1 for s in recorded if now - interval < s <= now)
        expected = in_window + n <= count
        assert t.used(ts) == in_window
        assert t.try_acquire(ts, n) is expected
        if expected:
            recorded.extend([now] * n)
    for end in recorded:
        assert sum(1 for s in recorded if end - interval < s <= end) <= count
