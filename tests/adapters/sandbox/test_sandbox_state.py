"""The venue's state file: journal replay after a crash, snapshot on a clean stop, restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
from sandbox_node_support import example_strategy, venue_mismatches

from livetrade.adapters.sandbox.exchange import SandboxExchange
from livetrade.adapters.sandbox.state import StateFile
from livetrade.model import OrderStatus
from livetrade.testing.node import running_node, settle
from livetrade.testing.sandbox import SandboxSetup, sandbox_node


def fresh(setup: SandboxSetup) -> SandboxExchange:
    """The venue as it was before any order (what a run without state starts from)."""
    return SandboxExchange(
        venue=setup.venue.venue,
        account_id=setup.venue.account_id,
        account_type=setup.venue.account_type,
        instruments=setup.data.instruments,
        starting_balances=setup.venue.starting_balances,
    )


def state_of(exchange: SandboxExchange) -> dict[str, object]:
    data = exchange.to_dict()
    data.pop("balances_changed", None)  # "an account state is due", not venue state
    return data


def reload(setup: SandboxSetup, path: Path) -> SandboxExchange:
    exchange, _ = StateFile(path).load(setup.data.instruments, lambda: fresh(setup))
    return exchange


async def test_journal_rebuilds_the_venue_exactly_without_a_snapshot(
    autojump_clock: trio.testing.MockClock, tmp_path: Path
) -> None:
    path = tmp_path / "venue.json"
    setup = sandbox_node(example_strategy(), state_file=path, seed=5)
    async with running_node(setup.node) as node:
        await trio.sleep(120)
        await settle(node)
        # As if the process were killed now: only the journal exists.
        assert not path.exists()
        live = state_of(setup.venue.exchange)
        assert len(setup.venue.exchange.fills()) > 5
        assert state_of(reload(setup, path)) == live


async def test_clean_stop_writes_a_snapshot_and_restart_reconciles_against_it(
    autojump_clock: trio.testing.MockClock, tmp_path: Path
) -> None:
    path = tmp_path / "venue.json"
    first = sandbox_node(example_strategy(), state_file=path, seed=5)
    async with running_node(first.node):
        await trio.sleep(120)
    venue_before = state_of(first.venue.exchange)
    assert path.exists()
    assert (tmp_path / "venue.json.journal").read_text() == ""
    assert state_of(reload(first, path)) == venue_before

    # A new node (empty cache: persistence is not configured) meets the same venue.
    second = sandbox_node(example_strategy(), state_file=path, seed=6)
    async with running_node(second.node) as node:
        assert state_of(second.venue.exchange) == venue_before
        report = node.reconciliation_reports[second.venue.id]
        assert report is not None
        venue_orders = first.venue.exchange.orders()
        cached = {o.client_order_id: o for o in node.cache.orders()}
        for venue_order in venue_orders:
            order = cached[venue_order.client_order_id]
            assert order.strategy_id.value == "EXTERNAL"
            assert order.filled_qty == venue_order.filled_qty
        assert any(o.status is OrderStatus.FILLED for o in cached.values())
        second.data.pause()
        await trio.sleep(0.5)
        await settle(node)
        assert venue_mismatches(second) == []


def test_a_torn_last_journal_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "venue.json"
    journal = tmp_path / "venue.json.journal"
    journal.write_text('{"op":"advance","ts":1,"seq":1}\n{"op":"subm')
    setup = sandbox_node()
    made: list[SandboxExchange] = []

    def make_new() -> SandboxExchange:
        made.append(fresh(setup))
        return made[-1]

    exchange, replayed = StateFile(path).load(setup.data.instruments, make_new)
    assert replayed == 1
    assert exchange is made[0]


def test_an_unknown_state_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "venue.json"
    path.write_text(json.dumps({"version": 99, "journal_seq": 0, "exchange": {}}))
    setup = sandbox_node()
    with pytest.raises(ValueError, match="version 99 is not 1"):
        StateFile(path).load(setup.data.instruments, lambda: pytest.fail("not reached"))
    assert json.loads(path.read_text())["version"] == 99
