"""Building a node from a TOML config, and the synchronous ``livetrade.run`` entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio
import trio.testing
from node_support import Recorder

import livetrade
from livetrade import ConfigError
from livetrade.config.loading import load_config_text
from livetrade.node.clocks import TrioClock
from livetrade.runner import build_node
from livetrade.testing.node import running_node
from livetrade.testing.scripted import ScriptedDataClient, ScriptedExecutionClient

CONFIG = """
trader_id = "TRADER-007"

[data_clients.SIM]
adapter = "scripted"
symbols = ["BTCUSDT", "ETHUSDT"]

[exec_clients.SIM]
adapter = "scripted"
on_submit = "fill"

[[strategies]]
path = "node_support:Recorder"
order_id_tag = "042"
params = { size = "0.5" }
"""


def test_build_node_from_toml() -> None:
    config = load_config_text(CONFIG).config
    node = build_node(config)
    (data,) = node.data_clients
    (venue,) = node.exec_clients
    assert isinstance(data, ScriptedDataClient) and isinstance(venue, ScriptedExecutionClient)
    assert [str(i.instrument_id) for i in data.instruments] == ["BTCUSDT.SIM", "ETHUSDT.SIM"]
    assert venue.on_submit == "fill"
    (strategy,) = node.trader.strategies
    assert isinstance(strategy, Recorder)
    assert strategy.id == "Recorder-042" and strategy.params == {"size": "0.5"}


async def test_node_from_toml_runs(autojump_clock: trio.testing.MockClock) -> None:
    node = build_node(load_config_text(CONFIG).config, clock=TrioClock())
    async with running_node(node):
        assert sorted(str(i) for i in node.cache.instrument_ids()) == ["BTCUSDT.SIM", "ETHUSDT.SIM"]
    (strategy,) = node.trader.strategies
    assert isinstance(strategy, Recorder) and strategy.kinds() == ["on_start", "on_stop"]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (
            "no_such_module_here:Thing",
            "strategies[0].path: cannot import module 'no_such_module_here'",
        ),
        (
            "node_support:BTC",
            "strategies[0].path: 'node_support:BTC' is not a livetrade.Strategy subclass",
        ),
    ],
)
def test_bad_strategy_path_is_a_config_error(path: str, problem: str) -> None:
    config = load_config_text(f'[[strategies]]\npath = "{path}"\n').config
    with pytest.raises(ConfigError) as info:
        build_node(config)
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems


def test_run_from_synchronous_code(tmp_path: Path) -> None:
    """``livetrade.run`` owns its own ``trio.run``; a short real-clock duration ends it."""
    path = tmp_path / "node.toml"
    path.write_text(CONFIG.replace("node_support:Recorder", "livetrade:Strategy"))
    result = livetrade.run(path, duration=0.05, handle_signals=False)
    assert result.reason == "--duration 0.05s elapsed"
    assert result.was_running
