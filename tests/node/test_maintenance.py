"""Continuous reconciliation on a running node, under ``autojump_clock``.

Test policy: every test runs a real node (scripted data client, ``FakeVenue``
execution client whose report queries the test controls, ``Driver`` strategy)
with maintenance started beside it at virtual time 0, exactly when the node
became RUNNING. Defaults are the guide's: the first check runs
``reconciliation_startup_delay_secs`` (10 s) after that, the in-flight check
every 2 s with a 5 s threshold and 5 retries. Every resolution is asserted at
its exact virtual time, read from the ``ts_init`` of the event that applied it
(the node's clock when it was made).
"""

from __future__ import annotations

import logging

import pytest
import trio
import trio.testing
from maintenance_support import (
    NS,
    Setup,
    build,
    fill_report_of,
    maintained,
    quote,
    venue_accept,
    venue_fill,
)

from livetrade.model import Order, OrderStatus, Price
from livetrade.node.clocks import DEFAULT_TEST_EPOCH_NS
from livetrade.testing.node import settle

S = OrderStatus
FULL_HISTORY = {"open_check_interval_secs": 5.0, "open_check_open_only": False}


def applied_at(order: Order) -> float:
    """Virtual seconds at which the order's last event was made by the node."""
    return (order.last_event.ts_init - DEFAULT_TEST_EPOCH_NS) / NS


async def run_until(setup: Setup, seconds: float) -> None:
    await trio.sleep_until(seconds)
    await settle(setup.node)


# -- jobs ------------------------------------------------------------------------------------------


async def test_only_enabled_jobs_have_a_task(autojump_clock: trio.testing.MockClock) -> None:
    setup = build()
    async with maintained(setup) as maintenance:
        assert maintenance._nursery is not None
        names = sorted(t.name for t in maintenance._nursery.child_tasks)
        assert names == ["maintenance.inflight_check", "maintenance.prune_recent_fills"]
    everything = build(
        open_check_interval_secs=5.0,
        position_check_interval_secs=30.0,
        own_books_audit_interval_secs=60.0,
        purge_closed_orders_interval_mins=10,
        purge_closed_positions_interval_mins=10,
        purge_account_events_interval_mins=10,
        snapshot_positions=True,
        snapshot_positions_interval_secs=60.0,
    )
    async with maintained(everything) as maintenance:
        assert [job.name for job in maintenance.jobs] == [
            "inflight_check",
            "open_check",
            "position_check",
            "own_books_audit",
            "purge_closed_orders",
            "purge_closed_positions",
            "purge_account_events",
            "prune_recent_fills",
            "snapshot_positions",
        ]
    nothing = build(inflight_check_interval_ms=0)
    async with maintained(nothing) as maintenance:
        assert [job.name for job in maintenance.jobs] == ["prune_recent_fills"]


async def test_every_job_first_runs_after_the_startup_delay(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(reconciliation_startup_delay_secs=12.5, open_check_interval_secs=5.0)
    async with maintained(setup) as maintenance:
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        await run_until(setup, 12.4)
        assert setup.venue.queries == []
        await run_until(setup, 23)
        assert [(q.at, q.kind) for q in setup.venue.queries] == [
            (12.5, "bulk"),
            (17.5, "bulk"),
            (22.5, "bulk"),
        ]
        assert maintenance.statistics().cycles["inflight_check"] == 6  # 12.5, 14.5, ... 22.5
        assert order.status is S.ACCEPTED


async def test_cancel_ends_every_job(autojump_clock: trio.testing.MockClock) -> None:
    setup = build(open_check_interval_secs=5.0)
    setup.venue.bulk_mode = "hang"
    async with maintained(setup) as maintenance:
        await run_until(setup, 11)
        bus = setup.node.msgbus
        # the cache database records order events too; maintenance adds its own handler
        assert len(bus._handlers_for("events.order.NOBODY")) == 2
        maintenance.cancel()
        await trio.testing.wait_all_tasks_blocked()
        assert maintenance._nursery is None
        assert len(bus._handlers_for("events.order.NOBODY")) == 1  # maintenance unsubscribed


# -- the in-flight table --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "target", "issued_at", "resolved_at"),
    [
        pytest.param("submit", S.REJECTED, 0.0, 18.0, id="SUBMITTED-to-REJECTED"),
        pytest.param("modify", S.CANCELED, 7.0, 20.0, id="PENDING_UPDATE-to-CANCELED"),
        pytest.param("cancel", S.CANCELED, 1.0, 18.0, id="PENDING_CANCEL-to-CANCELED"),
    ],
)
async def test_inflight_row_resolves_after_five_unanswered_queries(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    row: str,
    target: S,
    issued_at: float,
    resolved_at: float,
) -> None:
    """Checks at 10, 12, 14... query orders in flight for 5 s; the 5th "not found" resolves."""
    caplog.set_level(logging.INFO, logger="livetrade.maintenance")
    setup = build(
        venue_options={
            "on_submit": "ignore" if row == "submit" else "accept",
            "on_modify": "ignore",
            "on_cancel": "ignore",
        }
    )
    async with maintained(setup):
        await run_until(setup, min(issued_at, 0.5))
        order = setup.driver.limit("99.00")
        await run_until(setup, issued_at)
        if row == "modify":
            setup.driver.modify_order(order, price=Price("98.00"))
        elif row == "cancel":
            setup.driver.cancel_order(order)
        await settle(setup.node)
        status = order.status
        await run_until(setup, resolved_at - 0.001)
        assert order.status is status
        await run_until(setup, resolved_at + 1)
        assert order.status is target
        assert applied_at(order) == resolved_at
        singles = [q.at for q in setup.venue.singles()]
        assert singles == [resolved_at - 8 + 2 * n for n in range(5)]
    assert (
        f"{order.client_order_id} {status.name} with no venue response after 5 retries: "
        f"resolved {target.name}"
    ) in caplog.text


async def test_inflight_order_the_venue_knows_is_reconciled_not_rejected(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(venue_options={"on_submit": "ignore"})
    async with maintained(setup):
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        setup.venue.know(order, S.ACCEPTED)
        await run_until(setup, 11)
        assert order.status is S.ACCEPTED
        assert applied_at(order) == 10.0
        assert order.venue_order_id is not None


async def test_failed_and_hung_queries_never_count_as_not_found(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """Errors from 10 s to 60 s, hangs (cut at timeout_reconciliation) to 100 s: no retry spent."""
    setup = build(venue_options={"on_submit": "ignore"})
    setup.venue.single_mode = "fail"
    async with maintained(setup) as maintenance:
        order = setup.driver.limit("99.00")
        await run_until(setup, 60.5)
        assert order.status is S.SUBMITTED
        assert len(setup.venue.singles()) == 26  # 10, 12, ... 60
        setup.venue.single_mode = "hang"
        await run_until(setup, 100.5)
        assert order.status is S.SUBMITTED
        assert maintenance.tracker.retries(order.client_order_id) == 0
        setup.venue.single_mode = "ok"  # the venue answers again: still "not found"
        await run_until(setup, 130)
        assert order.status is S.REJECTED
        unknown = maintenance.statistics().checks.unknown
        assert unknown == 26 + 4  # hung queries at 62, 72, 82, 92 (each cut after 10 s)
        assert applied_at(order) == 110.0  # 102, 104, 106, 108, 110


# -- the consistency table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cached", "venue", "target"),
    [
        pytest.param(S.ACCEPTED, S.CANCELED, S.CANCELED, id="ACCEPTED-venue-CANCELED"),
        pytest.param(S.ACCEPTED, S.EXPIRED, S.EXPIRED, id="ACCEPTED-venue-EXPIRED"),
        pytest.param(S.ACCEPTED, S.REJECTED, S.REJECTED, id="ACCEPTED-venue-REJECTED"),
        pytest.param(S.PARTIALLY_FILLED, S.CANCELED, S.CANCELED, id="PARTIAL-venue-CANCELED"),
    ],
)
async def test_consistency_row_reported_by_the_venue(
    autojump_clock: trio.testing.MockClock, cached: S, venue: S, target: S
) -> None:
    setup = build(**FULL_HISTORY)
    async with maintained(setup):
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        if cached is S.PARTIALLY_FILLED:
            await venue_fill(setup, order, "0.400", "T-1")
            await settle(setup.node)
        assert order.status is cached
        setup.venue.know(order, venue)
        await run_until(setup, 9.9)
        assert order.status is cached
        await run_until(setup, 11)
        assert order.status is target
        assert applied_at(order) == 10.0
        assert str(order.filled_qty) == ("0.400" if cached is S.PARTIALLY_FILLED else "0.000")


@pytest.mark.parametrize(
    ("cached", "target"),
    [
        pytest.param(S.ACCEPTED, S.REJECTED, id="ACCEPTED-not-found-REJECTED"),
        pytest.param(S.PARTIALLY_FILLED, S.CANCELED, id="PARTIAL-not-found-CANCELED"),
    ],
)
async def test_consistency_row_not_found(
    autojump_clock: trio.testing.MockClock,
    caplog: pytest.LogCaptureFixture,
    cached: S,
    target: S,
) -> None:
    """Missing at 10, 15, 20, 25, 30; the targeted query at 30 says "not found" too."""
    caplog.set_level(logging.INFO, logger="livetrade.maintenance")
    setup = build(**FULL_HISTORY)
    async with maintained(setup):
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        if cached is S.PARTIALLY_FILLED:
            await venue_fill(setup, order, "0.400", "T-1")
            await settle(setup.node)
        await run_until(setup, 29.9)
        assert order.status is cached
        await run_until(setup, 31)
        assert order.status is target
        assert applied_at(order) == 30.0
        assert [(q.at, q.kind) for q in setup.venue.queries if q.at == 30.0] == [
            (30.0, "bulk"),
            (30.0, "single"),
        ]
    coid = order.client_order_id
    for n in range(1, 5):
        assert f"{coid} {cached.name} not found at the venue (retry {n}/5)" in caplog.text
    assert f"{coid} {cached.name} not found at the venue after 5 checks: targeted query" in (
        caplog.text
    )
    assert f"{coid} {cached.name} not found at the venue after 5 checks and a targeted " in (
        caplog.text
    )


async def test_caveat_open_only_mode_never_resolves_missing_orders(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(open_check_interval_secs=5.0)  # open_check_open_only = True, the default
    async with maintained(setup):
        order = setup.driver.limit("99.00")
        await run_until(setup, 300)
        assert order.status is S.ACCEPTED
        assert {q.kind for q in setup.venue.queries} == {"bulk"}


async def test_caveat_recent_activity_postpones_the_resolution(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The order's last event at 8 s: the check at 10 s leaves it, the one at 15 s acts."""
    setup = build(**FULL_HISTORY)
    async with maintained(setup):
        order = setup.driver.limit("99.00")
        await run_until(setup, 8)
        setup.driver.modify_order(order, price=Price("98.00"))  # scripted venue updates at 8 s
        await settle(setup.node)
        setup.venue.know(order, S.CANCELED)
        await run_until(setup, 14.9)
        assert order.status is S.ACCEPTED
        await run_until(setup, 16)
        assert order.status is S.CANCELED
        assert applied_at(order) == 15.0


async def test_caveat_targeted_query_keeps_an_order_the_bulk_query_misses(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(**FULL_HISTORY)
    async with maintained(setup) as maintenance:
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        setup.venue.know(order, S.ACCEPTED)
        setup.venue.bulk_hides.add(order.client_order_id)
        await run_until(setup, 100)
        assert order.status is S.ACCEPTED
        assert [q.at for q in setup.venue.singles()] == [30.0, 55.0, 80.0]
        assert maintenance.tracker.retries(order.client_order_id) == 4  # 85, 90, 95, 100


async def test_caveat_filled_orders_missing_at_the_venue_are_ignored_silently(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="livetrade.maintenance")
    setup = build(venue_options={"on_submit": "fill"}, **FULL_HISTORY)
    async with maintained(setup):
        order = setup.driver.limit("99.00")
        await run_until(setup, 100)
        assert order.status is S.FILLED
        assert setup.venue.singles() == []
    assert str(order.client_order_id) not in caplog.text


# -- rate protection, non-blocking, races ---------------------------------------------------------


async def test_500_missing_orders_are_probed_ten_per_cycle_100_ms_apart(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(**FULL_HISTORY)
    async with maintained(setup) as maintenance:
        orders = [setup.driver.limit("99.00") for _ in range(500)]
        await settle(setup.node)
        assert {o.status for o in orders} == {S.ACCEPTED}
        # Missing from the bulk answers at 10, 15, 20, 25, 30; probes from 30 on, 10 a cycle.
        await run_until(setup, 274.99)
        assert sum(o.status is S.REJECTED for o in orders) == 490
        await run_until(setup, 280)
        assert {o.status for o in orders} == {S.REJECTED}
        singles = [q.at for q in setup.venue.singles()]
        assert len(singles) == 500
        cycles: dict[float, list[float]] = {}
        for at in singles:
            cycles.setdefault(10 + 5 * ((at - 10) // 5), []).append(at)
        assert sorted(cycles) == [30.0 + 5 * n for n in range(50)]
        for start, times in cycles.items():
            assert times == pytest.approx([start + 0.1 * n for n in range(10)])
        assert max(applied_at(o) for o in orders) == pytest.approx(275.9)
        assert maintenance.statistics().checks.deferred == sum(490 - 10 * n for n in range(50))


async def test_a_hung_venue_query_blocks_neither_quotes_nor_orders(
    autojump_clock: trio.testing.MockClock,
) -> None:
    """The open-order check's bulk query takes 30 s; meanwhile the node trades on."""
    setup = build(open_check_interval_secs=5.0, venue_options={"latency": 0.05})
    setup.venue.bulk_delay = 30.0
    async with maintained(setup, query_timeout=60.0):
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        await run_until(setup, 10.5)
        assert [(q.at, q.kind) for q in setup.venue.queries] == [(10.0, "bulk")]
        for n in range(20):
            await trio.sleep_until(11 + n)
            await setup.data.push(quote(ts=DEFAULT_TEST_EPOCH_NS + (11 + n) * NS))
        await settle(setup.node)
        assert setup.driver.quotes == [float(11 + n) for n in range(20)]
        await run_until(setup, 31)
        setup.driver.cancel_order(order)
        await run_until(setup, 32)
        assert order.status is S.CANCELED
        assert applied_at(order) == pytest.approx(31.05)
        assert [q.at for q in setup.venue.queries] == [10.0]  # still asking
        await run_until(setup, 41)
        assert [q.at for q in setup.venue.queries] == [10.0, 40.0]


async def test_an_order_that_fills_during_the_inflight_query_is_not_rejected(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(venue_options={"on_submit": "ignore"})
    async with maintained(setup) as maintenance:
        order = setup.driver.limit("99.00")
        await run_until(setup, 17)  # four "not found" so far
        setup.venue.single_delay = 1.0  # the fifth query (at 18) takes a second
        await run_until(setup, 18.5)
        await venue_accept(setup, order)
        await settle(setup.node)
        await venue_fill(setup, order, "0.400", "T-1")
        await run_until(setup, 25)
        assert order.status is S.PARTIALLY_FILLED
        assert maintenance.statistics().checks.stale == 1
        assert not any(e.reconciliation for e in order.events)


async def test_an_order_that_fills_during_the_targeted_query_is_not_canceled(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = build(**FULL_HISTORY)
    async with maintained(setup) as maintenance:
        order = setup.driver.limit("99.00")
        await settle(setup.node)
        await venue_fill(setup, order, "0.400", "T-1")
        setup.venue.single_delay = 2.0
        await run_until(setup, 31)  # the probe at 30 takes 2 s
        fill = await venue_fill(setup, order, "0.100", "T-2")
        await run_until(setup, 33)
        assert order.status is S.PARTIALLY_FILLED
        assert str(order.filled_qty) == "0.500"
        assert maintenance.statistics().checks.stale == 1
        assert fill_report_of(setup, fill).trade_id in order.trade_ids
