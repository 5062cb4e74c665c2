"""Sandbox settings from TOML, the random walk, and CSV replay."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest
import trio
from sandbox_node_support import BTC, ROOT

from livetrade.adapters.sandbox import SandboxDataClient, SandboxExecutionClient
from livetrade.adapters.sandbox.config import SandboxInstrumentConfig, build_instrument
from livetrade.adapters.sandbox.feed import CsvProblem, RandomWalk, parse_csv
from livetrade.config.loading import load_config_text
from livetrade.errors import ConfigError
from livetrade.model import CryptoPerpetual, CurrencyPair, QuoteTick, TradeTick
from livetrade.runner import build_node, load_node_config
from livetrade.testing.node import running_node, settle
from livetrade.testing.sandbox import sandbox_node
from livetrade.trading.strategy import Strategy

SPOT = SandboxInstrumentConfig(symbol="BTCUSDT", base="BTC", quote="USDT")


def test_the_example_config_builds_two_clients_sharing_one_venue() -> None:
    config = load_node_config(ROOT / "examples" / "sandbox.toml")
    node = build_node(config)
    (data,) = node.data_clients
    (execution,) = node.exec_clients
    assert isinstance(data, SandboxDataClient) and isinstance(execution, SandboxExecutionClient)
    assert data.hub is execution.hub
    assert execution.state is not None
    assert execution.state.path == ROOT / "examples" / "sandbox-state.json"
    assert data.rate == 20


def test_bad_sandbox_settings_name_their_keys(tmp_path: Path) -> None:
    text = """
[data_clients.S]
adapter = "sandbox"
rate = 0
[[data_clients.S.instruments]]
symbol = "BTCUSDT"
base = "BTC"
quote = "USDT"
kind = "future"
[exec_clients.S]
adapter = "sandbox"
latency = 5
[exec_clients.S.faults]
drop_fill = 1.5
"""
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, source="x.toml")
    problems = "\n".join(caught.value.problems)
    assert "data_clients.S.rate: expected a positive integer" in problems
    assert "data_clients.S.instruments[0].kind: expected one of 'spot', 'perpetual'" in problems
    assert "exec_clients.S: unknown key 'latency'" in problems
    assert "exec_clients.S.faults.drop_fill" in problems and "probability" in problems


def test_instruments_from_settings() -> None:
    spot = build_instrument("SANDBOX", SPOT)
    assert isinstance(spot, CurrencyPair)
    assert str(spot.price_increment) == "0.01" and str(spot.size_increment) == "0.001"
    perp = build_instrument(
        "SANDBOX",
        SandboxInstrumentConfig(
            symbol="ETHUSDT-PERP", kind="perpetual", base="ETH", quote="USDT", price_precision=1
        ),
    )
    assert isinstance(perp, CryptoPerpetual)
    assert perp.margin_init == Decimal("0.1")
    assert str(perp.price_increment) == "0.1"


def test_random_walk_is_seeded_and_stays_on_the_grid() -> None:
    instrument = build_instrument("SANDBOX", SPOT)

    def walk() -> list[QuoteTick | TradeTick]:
        return RandomWalk(instrument, seed=42, start_price=Decimal(50000)).records(
            1000, 1_000, 100_000_000
        )

    first, second = walk(), walk()
    assert first == second
    quotes = [r for r in first if isinstance(r, QuoteTick)]
    trades = [r for r in first if isinstance(r, TradeTick)]
    assert len(quotes) == 1000 and len(trades) == 200  # one per 5 quotes
    assert [q.ts_event for q in quotes[:3]] == [1_000, 100_001_000, 200_001_000]
    for q in quotes:
        # Built through the slots (fast path): equal to what the constructor builds.
        assert q == QuoteTick(**attrs.asdict(q, recurse=False))
        assert q.ask_price.raw - q.bid_price.raw == 2 * instrument.price_increment.raw
        assert instrument.check_price(q.bid_price) is None
        assert q.bid_size.is_positive()
    assert len({q.bid_size for q in quotes}) > 10


def test_csv_parsing_keeps_good_rows_and_reports_bad_ones() -> None:
    instrument = build_instrument("SANDBOX", SPOT)
    lines = [
        "timestamp,bid_price,ask_price,bid_size,ask_size",
        "1.5,100.00,100.02,1.000,2.000",
        "2000000000,100.01,100.03,1.000,2.000",
        "3,100.001,100.03,1.000,2.000",
        "4,abc,100.03,1.000,2.000",
        "5,100.01,100.03",
    ]
    items = list(parse_csv(instrument, lines))
    quotes = [i for i in items if isinstance(i, QuoteTick)]
    problems = [i for i in items if isinstance(i, CsvProblem)]
    assert [q.ts_event for q in quotes] == [1_500_000_000, 2_000_000_000]
    assert [p.line for p in problems] == [4, 5, 6]
    assert "expected 5 columns" in problems[2].problem
    trades = list(
        parse_csv(instrument, ["timestamp,price,size,side", "1,100.00,0.5,SELL", "2,1,1,SIDEWAYS"])
    )
    assert isinstance(trades[0], TradeTick) and isinstance(trades[1], CsvProblem)
    (bad,) = parse_csv(instrument, ["when,what"])
    assert isinstance(bad, CsvProblem) and bad.line == 1


class Quotes(Strategy):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, str]] = []

    def on_start(self) -> None:
        self.subscribe_quote_ticks(BTC)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        self.seen.append((tick.ts_event, str(tick.bid_price)))


async def test_csv_replay_keeps_the_recorded_spacing(
    autojump_clock: trio.testing.MockClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    csv = tmp_path / "quotes.csv"
    csv.write_text(
        "timestamp,bid_price,ask_price,bid_size,ask_size\n"
        "10.0,100.00,100.02,1.000,1.000\n"
        "10.25,100.01,100.03,1.000,1.000\n"
        "oops,1,2,3,4\n"
        "12.0,100.02,100.04,1.000,1.000\n"
    )
    spec = SandboxInstrumentConfig(symbol="BTCUSDT", base="BTC", quote="USDT", csv=csv)
    strategy = Quotes()
    setup = sandbox_node(strategy, instruments=[spec])
    async with running_node(setup.node) as node:
        await trio.sleep(5)
        await settle(node)
    start = strategy.seen[0][0]
    assert [(ts - start, bid) for ts, bid in strategy.seen] == [
        (0, "100.00"),
        (250_000_000, "100.01"),
        (2_000_000_000, "100.02"),
    ]
    assert setup.data.skipped_rows == 1
    assert "line 4 skipped" in caplog.text


async def test_only_subscribed_data_reaches_the_node_but_the_venue_sees_all(
    autojump_clock: trio.testing.MockClock,
) -> None:
    setup = sandbox_node(rate=10)
    async with running_node(setup.node) as node:
        await trio.sleep(10)
        await settle(node)
        assert node.cache.quote_tick(BTC) is None
        assert setup.venue.exchange.last_quote(BTC) is not None
        assert setup.data.generated == 100 + 20  # 10 quotes/s and one trade per 5
