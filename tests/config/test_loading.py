"""Loading TOML into a NodeConfig: strictness, every error kind, defaults, warnings, dump."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import livetrade.config
from livetrade.config import (
    CacheConfig,
    ClientConfig,
    DataEngineConfig,
    ExecEngineConfig,
    MessageBusConfig,
    NodeConfig,
    PortfolioConfig,
    Secret,
    StrategyConfig,
    dump_config,
    load_config,
    load_config_text,
)
from livetrade.errors import ConfigError
from livetrade.model.enums import OmsType
from livetrade.model.identifiers import ClientId, ClientOrderId, InstrumentId, StrategyId, TraderId

ENV = {"TV_KEY": "key-123", "TV_SECRET": "secret-456", "EMPTY": ""}


def load(text: str) -> NodeConfig:
    return load_config_text(text, source="config.toml", environ=ENV).config


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        load(text)
    assert info.value.source == "config.toml"
    return info.value.problems


ERRORS = [
    # Coercion traps: cattrs would silently accept every one of these.
    pytest.param(
        '[exec_engine]\nreconciliation = "false"',
        "exec_engine.reconciliation: expected a boolean (true or false), found 'false' (str)",
        id="str-for-bool",
    ),
    pytest.param(
        '[cache.database]\nport = "6379"',
        "cache.database.port: expected an integer port from 1 to 65535, found '6379' (str)",
        id="str-for-int",
    ),
    pytest.param(
        "[exec_engine]\ninflight_check_retries = 1.9",
        "exec_engine.inflight_check_retries: expected a non-negative integer (retries), "
        "found 1.9 (float)",
        id="float-for-int",
    ),
    pytest.param(
        "[data_engine]\nqsize = true",
        "data_engine.qsize: expected a positive integer (messages), found True (bool)",
        id="bool-for-int",
    ),
    pytest.param(
        "[cache.database]\nusername = 1",
        "cache.database.username: expected a string, found 1 (int)",
        id="int-for-str",
    ),
    pytest.param(
        'timeout_connection = "30"',
        "timeout_connection: expected a positive number of seconds, found '30' (str)",
        id="str-for-float",
    ),
    pytest.param(
        '[exec_engine]\ninflight_check_interval_ms = "2s"',
        "exec_engine.inflight_check_interval_ms: expected a non-negative integer "
        "(milliseconds), found '2s' (str)",
        id="str-for-milliseconds",
    ),
    pytest.param(
        "[message_bus]\nstream_per_topic = 1",
        "message_bus.stream_per_topic: expected a boolean (true or false), found 1 (int)",
        id="int-for-bool",
    ),
    pytest.param(
        '[cache]\nencoding = "yaml"',
        "cache.encoding: expected one of 'msgpack', 'json', found 'yaml' (str)",
        id="literal",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\noms_type = "netting"',
        "strategies[0].oms_type: expected one of 'UNSPECIFIED', 'NETTING', 'HEDGING', "
        "found 'netting' (str)",
        id="enum-case-matters",
    ),
    pytest.param(
        '[exec_engine]\nreconciliation_instrument_ids = "ETHUSDT.BINANCE"',
        "exec_engine.reconciliation_instrument_ids: expected an array, "
        "found 'ETHUSDT.BINANCE' (str)",
        id="str-for-array",
    ),
    pytest.param(
        "cache = 5",
        "cache: expected a table, found 5 (int)",
        id="int-for-table",
    ),
    pytest.param(
        '[strategies]\npath = "a.b:C"',
        "strategies: expected an array of tables, found {'path': 'a.b:C'} (dict)",
        id="table-for-array-of-tables",
    ),
    pytest.param(
        "[message_bus]\ntypes_filter = [1]",
        "message_bus.types_filter[0]: expected a string, found 1 (int)",
        id="array-element",
    ),
    # Out of range.
    pytest.param(
        "[exec_engine]\nqsize = 0",
        "exec_engine.qsize: expected a positive integer (messages), found 0 (int)",
        id="qsize-zero",
    ),
    pytest.param(
        "[exec_engine]\ninflight_check_threshold_ms = -1",
        "exec_engine.inflight_check_threshold_ms: expected a non-negative integer "
        "(milliseconds), found -1 (int)",
        id="negative-ms",
    ),
    pytest.param(
        "[exec_engine]\nmax_single_order_queries_per_cycle = 0",
        "exec_engine.max_single_order_queries_per_cycle: expected a positive integer "
        "(queries), found 0 (int)",
        id="queries-per-cycle-zero",
    ),
    pytest.param(
        "[exec_engine]\nopen_check_interval_secs = -0.5",
        "exec_engine.open_check_interval_secs: expected a non-negative number of seconds, "
        "found -0.5 (float)",
        id="negative-secs",
    ),
    pytest.param(
        "[exec_engine]\npurge_closed_orders_buffer_mins = -10",
        "exec_engine.purge_closed_orders_buffer_mins: expected a non-negative integer "
        "(minutes), found -10 (int)",
        id="negative-mins",
    ),
    pytest.param(
        "timeout_post_stop = 0",
        "timeout_post_stop: expected a positive number of seconds, found 0 (int)",
        id="zero-timeout",
    ),
    pytest.param(
        "timeout_connection = nan",
        "timeout_connection: expected a positive number of seconds, found nan (float)",
        id="nan-timeout",
    ),
    pytest.param(
        "[cache.database]\nport = 70000",
        "cache.database.port: expected an integer port from 1 to 65535, found 70000 (int)",
        id="port-range",
    ),
    pytest.param(
        "[cache]\ntick_capacity = 0",
        "cache.tick_capacity: expected a positive integer (ticks), found 0 (int)",
        id="tick-capacity",
    ),
    # Unknown keys and tables.
    pytest.param(
        "[exec_engine]\ninflight_check_interval_msec = 2000",
        "exec_engine: unknown key 'inflight_check_interval_msec'; "
        "did you mean 'inflight_check_interval_ms'?",
        id="unknown-key-with-hint",
    ),
    pytest.param(
        "[portfolio]\nzzz = 1",
        "portfolio: unknown key 'zzz'",
        id="unknown-key-no-hint",
    ),
    pytest.param(
        "environment = 'live'",
        "unknown key 'environment'",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "[exec_engin]\nqsize = 1",
        "unknown table 'exec_engin'; did you mean 'exec_engine'?",
        id="unknown-table",
    ),
    pytest.param(
        "[[strategy]]\npath = 'a:B'",
        "unknown table 'strategy'; did you mean 'strategies'?",
        id="unknown-array-of-tables",
    ),
    pytest.param(
        "[cache.redis]\nport = 1",
        "cache: unknown table 'redis'",
        id="unknown-nested-table",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\nstrategy = "X-1"',
        "strategies[0]: unknown key 'strategy'; did you mean 'strategy_id'?",
        id="unknown-strategy-key",
    ),
    # Identifiers.
    pytest.param(
        'trader_id = "TRADER"',
        "trader_id: expected a trader id in NAME-TAG form such as 'TRADER-001', "
        "found 'TRADER' (str)",
        id="trader-id-form",
    ),
    pytest.param(
        '[exec_engine]\nreconciliation_instrument_ids = ["ETHUSDT.BINANCE", "ETHUSDT"]',
        "exec_engine.reconciliation_instrument_ids[1]: expected an instrument id "
        "(SYMBOL.VENUE such as 'ETHUSDT.BINANCE'), found 'ETHUSDT' (str)",
        id="instrument-id-in-array",
    ),
    pytest.param(
        '[exec_engine]\nfiltered_client_order_ids = ["O 1"]',
        "exec_engine.filtered_client_order_ids[0]: expected a client order id "
        "(a non-empty string without whitespace), found 'O 1' (str)",
        id="client-order-id",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\nexternal_order_claims = ["BTC"]',
        "strategies[0].external_order_claims[0]: expected an instrument id "
        "(SYMBOL.VENUE such as 'ETHUSDT.BINANCE'), found 'BTC' (str)",
        id="claim-instrument-id",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\nstrategy_id = "EMACross"',
        "strategies[0].strategy_id: expected a strategy id (NAME-TAG form such as "
        "'EMACross-001' (a hyphen between two non-empty parts)), found 'EMACross' (str)",
        id="strategy-id-form",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\nstrategy_id = "EXTERNAL"',
        "strategies[0].strategy_id: 'EXTERNAL' is reserved for orders the node did not "
        "create; choose another strategy id",
        id="reserved-external",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\nstrategy_id = "INTERNAL-DIFF"',
        "strategies[0].strategy_id: 'INTERNAL-DIFF' is reserved for orders generated by "
        "position reconciliation; choose another strategy id",
        id="reserved-internal-diff",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\norder_id_tag = "A-1"',
        "strategies[0].order_id_tag: expected an order id tag of letters, digits and "
        "underscores, found 'A-1' (str)",
        id="order-id-tag-form",
    ),
    # Rates.
    pytest.param(
        '[risk_engine]\nmax_order_submit_rate = "100"',
        "risk_engine.max_order_submit_rate: expected a rate 'N/HH:MM:SS' with N ≥ 1 and a "
        "non-zero interval, e.g. '100/00:00:01', found '100' (str)",
        id="rate-without-interval",
    ),
    pytest.param(
        '[risk_engine]\nmax_order_modify_rate = "0/00:00:01"',
        "risk_engine.max_order_modify_rate: expected a rate 'N/HH:MM:SS' with N ≥ 1 and a "
        "non-zero interval, e.g. '100/00:00:01', found '0/00:00:01' (str)",
        id="rate-zero-count",
    ),
    pytest.param(
        '[risk_engine]\nmax_order_submit_rate = "10/00:00:00"',
        "risk_engine.max_order_submit_rate: expected a rate 'N/HH:MM:SS' with N ≥ 1 and a "
        "non-zero interval, e.g. '100/00:00:01', found '10/00:00:00' (str)",
        id="rate-zero-interval",
    ),
    pytest.param(
        '[risk_engine]\nmax_order_submit_rate = "10/00:61:00"',
        "risk_engine.max_order_submit_rate: expected a rate 'N/HH:MM:SS' with N ≥ 1 and a "
        "non-zero interval, e.g. '100/00:00:01', found '10/00:61:00' (str)",
        id="rate-bad-minutes",
    ),
    pytest.param(
        "[risk_engine]\nmax_order_submit_rate = 100",
        "risk_engine.max_order_submit_rate: expected a rate 'N/HH:MM:SS' with N ≥ 1 and a "
        "non-zero interval, e.g. '100/00:00:01', found 100 (int)",
        id="rate-int",
    ),
    # Notional limits: exact decimals only.
    pytest.param(
        '[risk_engine.max_notional_per_order]\n"ETHUSDT.BINANCE" = 1000.5',
        'risk_engine.max_notional_per_order."ETHUSDT.BINANCE": expected a decimal amount '
        "written as a string or an integer (floats are not exact), found 1000.5 (float)",
        id="float-notional",
    ),
    pytest.param(
        '[risk_engine.max_notional_per_order]\n"ETHUSDT.BINANCE" = "lots"',
        'risk_engine.max_notional_per_order."ETHUSDT.BINANCE": expected a decimal amount '
        "written as a string or an integer (floats are not exact), found 'lots' (str)",
        id="text-notional",
    ),
    pytest.param(
        '[risk_engine.max_notional_per_order]\n"ETHUSDT.BINANCE" = "-5"',
        'risk_engine.max_notional_per_order."ETHUSDT.BINANCE": expected a positive decimal '
        "amount written as a string or an integer (floats are not exact), "
        "found Decimal('-5') (Decimal)",
        id="negative-notional",
    ),
    pytest.param(
        '[risk_engine.max_notional_per_order]\nETHUSDT = "5"',
        "risk_engine.max_notional_per_order.ETHUSDT: expected an instrument id "
        "(SYMBOL.VENUE such as 'ETHUSDT.BINANCE'), found 'ETHUSDT' (str)",
        id="notional-instrument-key",
    ),
    # Secrets.
    pytest.param(
        '[cache.database]\npassword = "env:NOT_SET_ANYWHERE"',
        "cache.database.password: environment variable 'NOT_SET_ANYWHERE' is not set "
        "(named by 'env:NOT_SET_ANYWHERE')",
        id="missing-env-var",
    ),
    pytest.param(
        '[cache.database]\npassword = "env:EMPTY"',
        "cache.database.password: environment variable 'EMPTY' is empty (named by 'env:EMPTY')",
        id="empty-env-var",
    ),
    pytest.param(
        '[cache.database]\npassword = "env:"',
        "cache.database.password: expected an environment variable name after 'env:', "
        "found 'env:' (str)",
        id="env-without-name",
    ),
    pytest.param(
        "[cache.database]\npassword = 1234",
        "cache.database.password: expected a string or 'env:NAME', found 1234 (int)",
        id="int-secret",
    ),
    # Strategies.
    pytest.param(
        '[[strategies]]\npath = "strategies.ema"',
        "strategies[0].path: expected an import path 'package.module:ClassName', "
        "found 'strategies.ema' (str)",
        id="path-without-class",
    ),
    pytest.param(
        '[[strategies]]\npath = "1pkg.ema:EMACross"',
        "strategies[0].path: expected an import path 'package.module:ClassName', "
        "found '1pkg.ema:EMACross' (str)",
        id="path-bad-module",
    ),
    pytest.param(
        '[[strategies]]\npath = "pkg..ema:EMACross"',
        "strategies[0].path: expected an import path 'package.module:ClassName', "
        "found 'pkg..ema:EMACross' (str)",
        id="path-empty-part",
    ),
    pytest.param(
        "[[strategies]]\norder_id_tag = '001'",
        "strategies[0].path: required key is missing",
        id="path-missing",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\nstop_policy = "flatten"',
        "strategies[0].stop_policy: expected one of 'leave', 'cancel_orders', "
        "'cancel_and_flatten', found 'flatten' (str)",
        id="stop-policy",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\nstrategy_id = "EMA-001"\n'
        '[[strategies]]\npath = "a.b:D"\nstrategy_id = "EMA-001"',
        "strategies[1].strategy_id: strategy id 'EMA-001' is already used by strategies[0]; "
        "give each strategy its own strategy_id or order_id_tag",
        id="duplicate-strategy-id",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:EMACross"\n[[strategies]]\npath = "c.d:EMACross"',
        "strategies[1]: strategy id 'EMACross-000' is already used by strategies[0]; "
        "give each strategy its own strategy_id or order_id_tag",
        id="duplicate-derived-strategy-id",
    ),
    pytest.param(
        '[[strategies]]\npath = "a.b:C"\norder_id_tag = "001"\n'
        '[[strategies]]\npath = "a.b:D"\norder_id_tag = "001"',
        "strategies[1].order_id_tag: order id tag '001' is already used by strategies[0]; "
        "give each strategy its own order_id_tag",
        id="duplicate-order-id-tag",
    ),
]


@pytest.mark.parametrize(("text", "problem"), ERRORS)
def test_error_names_file_key_expected_and_found(text: str, problem: str) -> None:
    assert problems_of(text) == (f"config.toml: {problem}",)


CLIENT_ERRORS = [
    pytest.param(
        '[data_clients.TV]\nadapter = "testvenu"\napi_key = "k"',
        "data_clients.TV.adapter: unknown adapter 'testvenu'; registered adapters: ",
        id="unknown-adapter",
    ),
    pytest.param(
        '[data_clients.TV]\napi_key = "k"',
        "data_clients.TV.adapter: required key is missing",
        id="adapter-missing",
    ),
    pytest.param(
        '[data_clients.TV]\nadapter = "execonly"',
        "data_clients.TV.adapter: adapter 'execonly' has no data client",
        id="adapter-without-data-client",
    ),
    pytest.param(
        '[data_clients."TV 1"]\nadapter = "testvenue"\napi_key = "k"',
        'data_clients."TV 1": expected a client id (a non-empty string without whitespace), '
        "found 'TV 1' (str)",
        id="bad-client-name",
    ),
    pytest.param(
        '[data_clients.TV]\nadapter = "testvenue"',
        "data_clients.TV.api_key: required key is missing",
        id="settings-required-key",
    ),
    pytest.param(
        '[data_clients.TV]\nadapter = "testvenue"\napi_key = "k"\ntestnet = "yes"',
        "data_clients.TV.testnet: expected a boolean (true or false), found 'yes' (str)",
        id="settings-strict-bool",
    ),
    pytest.param(
        '[exec_clients.TV]\nadapter = "testvenue"\napi_key = "k"\napi_secret = "env:NOPE"',
        "exec_clients.TV.api_secret: environment variable 'NOPE' is not set (named by 'env:NOPE')",
        id="settings-missing-env-var",
    ),
    pytest.param(
        '[exec_clients.TV]\nadapter = "testvenue"\napi_key = "k"\naccount_typ = "SPOT"',
        "exec_clients.TV: unknown key 'account_typ'; did you mean 'account_type'?",
        id="settings-unknown-key",
    ),
    pytest.param(
        '[exec_clients.TV]\nadapter = "testvenue"\napi_key = "k"\nrecv_window_ms = 0',
        "exec_clients.TV.recv_window_ms: invalid value ('recv_window_ms' must be >= 1: 0)",
        id="settings-own-validator",
    ),
    pytest.param(
        "[exec_clients]\nTV = 3",
        "exec_clients.TV: expected a table with an 'adapter' key and the adapter's settings, "
        "found 3 (int)",
        id="client-not-a-table",
    ),
]


@pytest.mark.usefixtures("test_adapter")
@pytest.mark.parametrize(("text", "problem"), CLIENT_ERRORS)
def test_client_error_names_key_path(text: str, problem: str) -> None:
    (line,) = problems_of(text)
    assert line.startswith(f"config.toml: {problem}")


@pytest.mark.usefixtures("test_adapter")
def test_unknown_adapter_lists_registered_adapters_and_suggests() -> None:
    (line,) = problems_of('[data_clients.TV]\nadapter = "testvenu"')
    assert "'testvenue'" in line
    assert "'execonly'" in line
    assert line.endswith("; did you mean 'testvenue'?")


def test_every_error_is_reported_at_once() -> None:
    text = """
trader_id = "BAD"
[cache.database]
port = "6379"
[exec_engine]
inflight_check_interval_ms = "2s"
inflight_check_interval_msec = 5
[[strategies]]
path = "nocolon"
[[strategies]]
path = "a.b:C"
oms_type = 1
"""
    assert problems_of(text) == (
        "config.toml: trader_id: expected a trader id in NAME-TAG form such as 'TRADER-001', "
        "found 'BAD' (str)",
        "config.toml: cache.database.port: expected an integer port from 1 to 65535, "
        "found '6379' (str)",
        "config.toml: exec_engine.inflight_check_interval_ms: expected a non-negative integer "
        "(milliseconds), found '2s' (str)",
        "config.toml: exec_engine: unknown key 'inflight_check_interval_msec'; "
        "did you mean 'inflight_check_interval_ms'?",
        "config.toml: strategies[0].path: expected an import path 'package.module:ClassName', "
        "found 'nocolon' (str)",
        "config.toml: strategies[1].oms_type: expected one of 'UNSPECIFIED', 'NETTING', "
        "'HEDGING', found 1 (int)",
    )


def test_config_error_message_counts_and_lists_problems() -> None:
    with pytest.raises(ConfigError, match=r"^config\.toml: 2 configuration errors:\n") as info:
        load("[data_engine]\nqsize = 0\ndebug = 'no'")
    assert str(info.value).splitlines()[1:] == list(info.value.problems)


def test_toml_syntax_error_has_line_and_column() -> None:
    assert problems_of('trader_id = "TRADER-001"\n[exec_engine]\nqsize = = 3\n') == (
        "config.toml: line 3, column 9: TOML syntax error: Invalid value",
    )


def test_duplicate_key_is_a_syntax_error() -> None:
    (line,) = problems_of("[data_engine]\nqsize = 1\nqsize = 2\n")
    assert line.startswith("config.toml: line 3, column ")
    assert "TOML syntax error" in line


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == (f"{path}: file not found",)
    assert info.value.source == str(path)


def test_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.problems == (f"{tmp_path}: is a directory, not a file",)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'trader_id = "CAF\xc9-001"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == (f"{path}: not UTF-8 text (invalid byte at offset 16)",)


# Defaults


GUIDE_DEFAULTS: dict[str, object] = {
    "trader_id": TraderId("TRADER-001"),
    "instance_id": None,
    "timeout_connection": 30.0,
    "timeout_reconciliation": 10.0,
    "timeout_portfolio": 10.0,
    "timeout_disconnection": 10.0,
    "timeout_post_stop": 5.0,
    "strategies": [],
    "data_clients": {},
    "exec_clients": {},
}
EXEC_DEFAULTS: dict[str, object] = {
    "reconciliation": True,
    "reconciliation_lookback_mins": None,
    "reconciliation_instrument_ids": None,
    "filtered_client_order_ids": None,
    "filter_unclaimed_external_orders": False,
    "filter_position_reports": False,
    "inflight_check_interval_ms": 2_000,
    "inflight_check_threshold_ms": 5_000,
    "inflight_check_retries": 5,
    "open_check_interval_secs": None,
    "open_check_open_only": True,
    "open_check_lookback_mins": 60,
    "open_check_threshold_ms": 5_000,
    "open_check_missing_retries": 5,
    "max_single_order_queries_per_cycle": 10,
    "single_order_query_delay_ms": 100,
    "reconciliation_startup_delay_secs": 10.0,
    "own_books_audit_interval_secs": None,
    "position_check_interval_secs": None,
    "position_check_lookback_mins": 60,
    "position_check_threshold_ms": 5_000,
    "generate_missing_orders": True,
    "snapshot_orders": False,
    "snapshot_positions": False,
    "snapshot_positions_interval_secs": None,
    "debug": False,
    "purge_closed_orders_interval_mins": None,
    "purge_closed_orders_buffer_mins": None,
    "purge_closed_positions_interval_mins": None,
    "purge_closed_positions_buffer_mins": None,
    "purge_account_events_interval_mins": None,
    "purge_account_events_lookback_mins": None,
    "purge_from_database": False,
    "qsize": 100_000,
    "graceful_shutdown_on_exception": False,
}


def _values(obj: object, keys: Iterable[str]) -> dict[str, object]:
    return {key: getattr(obj, key) for key in keys}


class TestDefaults:
    def test_empty_file_is_every_default(self) -> None:
        config = load("")
        assert _values(config, GUIDE_DEFAULTS) == GUIDE_DEFAULTS
        assert config.data_engine == DataEngineConfig()
        assert config.portfolio == PortfolioConfig()

    def test_exec_engine_has_every_guide_key_and_default(self) -> None:
        exec_engine = load("").exec_engine
        assert _values(exec_engine, EXEC_DEFAULTS) == EXEC_DEFAULTS
        assert [field.name for field in attrs.fields(ExecEngineConfig)] == list(EXEC_DEFAULTS)

    def test_engines_and_portfolio(self) -> None:
        config = load("")
        assert config.data_engine.qsize == 100_000
        assert not config.data_engine.graceful_shutdown_on_exception
        assert not config.data_engine.debug
        risk = config.risk_engine
        assert (risk.bypass, risk.debug, risk.qsize) == (False, False, 100_000)
        assert risk.max_order_submit_rate == risk.max_order_modify_rate == "100/00:00:01"
        assert risk.max_notional_per_order == {}
        assert not risk.graceful_shutdown_on_exception
        portfolio = config.portfolio
        assert (portfolio.use_mark_prices, portfolio.debug) == (False, False)
        assert portfolio.convert_to_account_base_currency

    def test_cache_and_message_bus(self) -> None:
        config = load("")
        assert config.cache == CacheConfig(database=config.cache.database)
        cache = config.cache
        assert (cache.encoding, cache.timestamps_as_iso8601, cache.buffer_interval_ms) == (
            "msgpack",
            False,
            None,
        )
        assert (cache.flush_on_start, cache.use_instance_id, cache.tick_capacity) == (
            False,
            False,
            10_000,
        )
        database = cache.database
        assert (database.type, database.host, database.port) == ("sqlite", None, None)
        assert (database.username, database.password, database.ssl) == (None, None, False)
        assert database.timeout == 20.0
        assert config.message_bus == MessageBusConfig()
        bus = config.message_bus
        assert (bus.database, bus.encoding, bus.types_filter) == (None, "msgpack", None)
        assert (bus.stream_per_topic, bus.timestamps_as_iso8601, bus.use_instance_id) == (
            True,
            False,
            False,
        )
        assert (bus.autotrim_mins, bus.heartbeat_interval_secs, bus.buffer_interval_ms) == (
            None,
            None,
            None,
        )

    def test_strategy_defaults(self) -> None:
        (strategy,) = load('[[strategies]]\npath = "pkg.ema:EMACross"').strategies
        assert strategy == StrategyConfig(path="pkg.ema:EMACross")
        assert strategy.strategy_id is None
        assert strategy.order_id_tag is None
        assert strategy.oms_type is None
        assert strategy.external_order_claims is None
        assert not strategy.use_uuid_client_order_ids
        assert not strategy.manage_contingent_orders
        assert not strategy.manage_gtd_expiry
        assert strategy.stop_policy == "leave"
        assert strategy.params == {}
        assert strategy.effective_strategy_id == StrategyId("EMACross-000")

    def test_only_trader_id_is_valid(self) -> None:
        config = load('trader_id = "ME-042"')
        assert config.trader_id == TraderId("ME-042")
        assert config.exec_engine == ExecEngineConfig()

    def test_loaded_default_equals_python_default_apart_from_resolved_path(self) -> None:
        config = load("")
        assert config.cache.database.path is not None
        default = NodeConfig()
        assert default.cache.database.path is None
        assert _values(config, GUIDE_DEFAULTS) == _values(default, GUIDE_DEFAULTS)


# Values that load


FULL = """
trader_id = "ALPHA-007"
instance_id = "blue"
timeout_connection = 45   # an integer is fine for a float key

[cache]
encoding = "json"
buffer_interval_ms = 0

[cache.database]
type = "redis"
host = "localhost"
port = 6379
password = "env:TV_SECRET"

[message_bus]
types_filter = ["QuoteTick", "TradeTick"]
heartbeat_interval_secs = 1

[message_bus.database]
type = "redis"

[risk_engine]
max_order_submit_rate = "20/00:01:00"

[risk_engine.max_notional_per_order]
"ETHUSDT.BINANCE" = "25000.50"
"BTCUSDT.BINANCE" = 100000

[exec_engine]
reconciliation_instrument_ids = ["ETHUSDT.BINANCE"]
filtered_client_order_ids = ["O-1"]
open_check_interval_secs = 5
purge_closed_orders_interval_mins = 15

[[strategies]]
path = "strategies.ema:EMACross"
order_id_tag = "001"
oms_type = "NETTING"
external_order_claims = ["ETHUSDT.BINANCE"]
stop_policy = "cancel_and_flatten"

[strategies.params]
fast = 10
slow = 20.5
instrument = "ETHUSDT.BINANCE"
levels = [1, 2]
nested = { a = true }

[[strategies]]
path = "strategies.mm:MarketMaker"
strategy_id = "MM-002"
"""


def test_full_file_loads_typed_values() -> None:
    config = load(FULL)
    assert config.trader_id == TraderId("ALPHA-007")
    assert config.instance_id == "blue"
    assert config.timeout_connection == 45.0
    assert type(config.timeout_connection) is float
    assert config.cache.database.password == Secret("secret-456")
    assert config.cache.database.path is None  # redis: no file
    assert config.message_bus.types_filter == ["QuoteTick", "TradeTick"]
    assert config.risk_engine.submit_rate_limit == livetrade.config.RateLimit(
        count=20, interval_ns=60_000_000_000
    )
    assert config.risk_engine.max_notional_per_order == {
        InstrumentId("ETHUSDT.BINANCE"): Decimal("25000.50"),
        InstrumentId("BTCUSDT.BINANCE"): Decimal(100000),
    }
    assert config.exec_engine.reconciliation_instrument_ids == [InstrumentId("ETHUSDT.BINANCE")]
    assert config.exec_engine.filtered_client_order_ids == [ClientOrderId("O-1")]
    assert config.exec_engine.open_check_interval_secs == 5.0
    ema, mm = config.strategies
    assert ema.oms_type is OmsType.NETTING
    assert ema.external_order_claims == [InstrumentId("ETHUSDT.BINANCE")]
    assert ema.stop_policy == "cancel_and_flatten"
    assert ema.params == {
        "fast": 10,
        "slow": 20.5,
        "instrument": "ETHUSDT.BINANCE",
        "levels": [1, 2],
        "nested": {"a": True},
    }
    assert (ema.effective_strategy_id, ema.effective_order_id_tag) == (
        StrategyId("EMACross-001"),
        "001",
    )
    assert (mm.effective_strategy_id, mm.effective_order_id_tag) == (StrategyId("MM-002"), "002")
    assert (mm.module_name, mm.class_name) == ("strategies.mm", "MarketMaker")


@pytest.mark.usefixtures("test_adapter")
def test_clients_structure_into_registered_settings() -> None:
    config = load(
        '[data_clients.TV]\nadapter = "testvenue"\napi_key = "env:TV_KEY"\ntestnet = true\n'
        '[exec_clients.TV]\nadapter = "testvenue"\napi_key = "literal-key"\n'
        'account_type = "MARGIN"\n'
    )
    data = config.data_clients[ClientId("TV")]
    assert data.adapter == "testvenue"
    assert data.settings.api_key.reveal() == "key-123"  # type: ignore[attr-defined]
    assert data.settings.testnet is True  # type: ignore[attr-defined]
    exec_client = config.exec_clients[ClientId("TV")]
    assert exec_client.settings.account_type == "MARGIN"  # type: ignore[attr-defined]
    assert exec_client.settings.api_key == Secret("literal-key")  # type: ignore[attr-defined]
    assert isinstance(exec_client, ClientConfig)


class TestPaths:
    def test_default_sqlite_file_sits_next_to_config(self, tmp_path: Path) -> None:
        path = tmp_path / "node.toml"
        path.write_text("")
        config = load_config(path).config
        assert config.cache.database.path == tmp_path / "livetrade.sqlite"

    def test_relative_path_is_resolved_against_config_dir(self, tmp_path: Path) -> None:
        path = tmp_path / "node.toml"
        path.write_text('[cache.database]\npath = "state/node.db"\n')
        config = load_config(path).config
        assert config.cache.database.path == tmp_path / "state" / "node.db"

    def test_absolute_path_is_kept(self, tmp_path: Path) -> None:
        target = tmp_path / "elsewhere.db"
        config = load_config_text(f'[cache.database]\npath = "{target}"', base_dir="/nowhere")
        assert config.config.cache.database.path == target

    def test_text_uses_base_dir(self, tmp_path: Path) -> None:
        config = load_config_text("", base_dir=tmp_path).config
        assert config.cache.database.path == tmp_path / "livetrade.sqlite"

    def test_memory_database_has_no_path(self) -> None:
        config = load('[cache.database]\ntype = "memory"')
        assert config.cache.database.path is None


# Warnings


WARNINGS = [
    pytest.param(
        "[exec_engine]\nopen_check_lookback_mins = 30",
        "config.toml: exec_engine.open_check_lookback_mins: 30 is below 60 minutes; open "
        "orders last changed before the window can look missing at the venue and be "
        "resolved wrongly",
        id="open-check-lookback",
    ),
    pytest.param(
        "[exec_engine]\nreconciliation_startup_delay_secs = 2",
        "config.toml: exec_engine.reconciliation_startup_delay_secs: 2 is below 10 "
        "seconds; continuous checks may start before the node has settled after startup "
        "reconciliation",
        id="startup-delay",
    ),
]


@pytest.mark.parametrize(("text", "warning"), WARNINGS)
def test_risky_values_warn_without_failing(text: str, warning: str) -> None:
    loaded = load_config_text(text, source="config.toml")
    assert loaded.warnings == (warning,)


def test_defaults_do_not_warn() -> None:
    assert load_config_text("").warnings == ()


# Secrets and dump


class TestSecrets:
    def test_secret_is_masked_but_revealable(self) -> None:
        secret = Secret("hunter2")
        assert repr(secret) == "Secret('***')"
        assert str(secret) == "***"
        assert f"{secret}" == "***"
        assert secret.reveal() == "hunter2"

    def test_secret_equality_is_by_value(self) -> None:
        assert Secret("a") == Secret("a")
        assert Secret("a") != Secret("b")
        assert Secret("a") != "a"
        assert len({Secret("a"), Secret("a")}) == 1

    def test_secret_never_appears_in_config_repr(self) -> None:
        config = load('[cache.database]\npassword = "env:TV_SECRET"')
        assert "secret-456" not in repr(config)
        assert "Secret('***')" in repr(config)

    @pytest.mark.usefixtures("test_adapter")
    def test_secret_never_appears_in_dump(self) -> None:
        config = load(
            '[cache.database]\npassword = "env:TV_SECRET"\n'
            '[data_clients.TV]\nadapter = "testvenue"\napi_key = "env:TV_KEY"\n'
        )
        text = dump_config(config)
        assert "secret-456" not in text
        assert "key-123" not in text
        assert 'password = "***"' in text
        assert '[data_clients.TV]\nadapter = "testvenue"\napi_key = "***"\n' in text

    def test_secret_rejects_non_string(self) -> None:
        with pytest.raises(TypeError, match="Secret holds a str, not int"):
            Secret(5)  # type: ignore[arg-type]


class TestDump:
    def test_every_key_is_shown_with_unset_marked(self) -> None:
        text = dump_config(load(""))
        for key, value in EXEC_DEFAULTS.items():
            if value is None:
                assert f"# {key} = (unset)\n" in text
            else:
                assert f"\n{key} = " in text
        assert "\n[exec_engine]\n" in text
        assert "\n[cache.database]\n" in text
        assert "# database = (unset)\n" in text  # message_bus streams nowhere

    def test_dump_loads_back_to_the_same_config(self) -> None:
        config = load(FULL.replace('password = "env:TV_SECRET"\n', ""))
        assert load(dump_config(config)) == config

    def test_full_dump_shape(self) -> None:
        text = dump_config(load(FULL))
        assert '\n[[strategies]]\npath = "strategies.ema:EMACross"\n' in text
        assert "\n[strategies.params]\nfast = 10\nslow = 20.5\n" in text
        assert "\n[strategies.params.nested]\na = true\n" in text
        assert (
            '\n[risk_engine.max_notional_per_order]\n"ETHUSDT.BINANCE" = "25000.50"\n'
            '"BTCUSDT.BINANCE" = "100000"\n'
        ) in text


def test_documented_example_is_valid_apart_from_its_adapter() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    section = docs.read_text(encoding="utf-8").split("## A complete example", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (line,) = problems_of(example)
    assert line.startswith("config.toml: exec_clients.BINANCE.adapter: unknown adapter 'binance'; ")
