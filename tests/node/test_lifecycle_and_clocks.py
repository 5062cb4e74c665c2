"""Node lifecycle moves and clocks (the Trio clock follows virtual time exactly)."""

from __future__ import annotations

import pytest
import trio

from livetrade.clock import millis_to_nanos, secs_to_nanos
from livetrade.errors import LifecycleError
from livetrade.node.clocks import DEFAULT_TEST_EPOCH_NS, LiveClock, TrioClock
from livetrade.node.lifecycle import NodeState, check_transition

S = NodeState


@pytest.mark.parametrize(
    ("current", "new"),
    [
        pytest.param(S.IDLE, S.STARTING, id="start"),
        pytest.param(S.IDLE, S.STOPPED, id="stop-before-run"),
        pytest.param(S.STARTING, S.RUNNING, id="started"),
        pytest.param(S.STARTING, S.SHUTTING_DOWN, id="stop-during-start"),
        pytest.param(S.RUNNING, S.SHUTTING_DOWN, id="stop"),
        pytest.param(S.SHUTTING_DOWN, S.STOPPED, id="stopped"),
    ],
)
def test_allowed_moves(current: NodeState, new: NodeState) -> None:
    assert check_transition(current, new) is new


@pytest.mark.parametrize(
    ("current", "new"),
    [
        pytest.param(S.RUNNING, S.STARTING, id="restart-while-running"),
        pytest.param(S.STOPPED, S.STARTING, id="run-twice"),
        pytest.param(S.IDLE, S.RUNNING, id="skip-start"),
        pytest.param(S.SHUTTING_DOWN, S.RUNNING, id="resume"),
    ],
)
def test_forbidden_moves_raise(current: NodeState, new: NodeState) -> None:
    with pytest.raises(LifecycleError, match=f"from {current.name} to {new.name}"):
        check_transition(current, new)


def test_only_idle_accepts_components() -> None:
    assert [s for s in NodeState if s.accepts_components] == [S.IDLE]


async def test_trio_clock_follows_virtual_time(autojump_clock: trio.testing.MockClock) -> None:
    """After sleeping 1.5 virtual seconds the clock has moved exactly 1.5 s."""
    clock = TrioClock()
    start = clock.timestamp_ns()
    assert start == DEFAULT_TEST_EPOCH_NS + round(trio.current_time() * 1e9)
    await trio.sleep(1.5)
    assert clock.timestamp_ns() - start == 1_500_000_000


def test_live_clock_is_unix_time() -> None:
    assert LiveClock().timestamp_ns() > DEFAULT_TEST_EPOCH_NS


def test_unit_conversions() -> None:
    assert secs_to_nanos(10.0) == 10_000_000_000
    assert secs_to_nanos(0.1) == 100_000_000
    assert millis_to_nanos(2_000) == 2_000_000_000
