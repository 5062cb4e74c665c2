"""The schema classes used from Python: validation, rate limits, adapter registry, exports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import livetrade.config
from livetrade.config import (
    CacheConfig,
    ClientConfig,
    DatabaseConfig,
    ExecEngineConfig,
    NodeConfig,
    RiskEngineConfig,
    StrategyConfig,
)
from livetrade.errors import ConfigError
from livetrade.model.identifiers import ClientId, InstrumentId, StrategyId


class TestDirectConstruction:
    def test_range_check_raises_config_error(self) -> None:
        with pytest.raises(ConfigError) as info:
            ExecEngineConfig(qsize=0)
        assert info.value.problems == (
            "qsize: expected a positive integer (messages), found 0 (int)",
        )

    def test_duplicate_strategies_raise(self) -> None:
        strategy = StrategyConfig(path="a.b:C", strategy_id=StrategyId("C-001"))
        with pytest.raises(ConfigError, match=r"strategies\[1\]\.strategy_id: strategy id"):
            NodeConfig(strategies=[strategy, strategy])

    def test_reserved_strategy_id(self) -> None:
        with pytest.raises(ConfigError, match="'INTERNAL-DIFF' is reserved"):
            StrategyConfig(path="a.b:C", strategy_id=StrategyId("INTERNAL-DIFF"))

    def test_notional_must_be_decimal(self) -> None:
        with pytest.raises(ConfigError, match=r"found 1\.5 \(float\)"):
            RiskEngineConfig(max_notional_per_order={InstrumentId("A.B"): 1.5})  # type: ignore[dict-item]

    def test_client_names_must_be_client_ids(self) -> None:
        client = ClientConfig(adapter="x", settings=object())
        with pytest.raises(ConfigError, match="data_clients: expected a ClientId"):
            NodeConfig(data_clients={"X": client})  # type: ignore[dict-item]

    def test_database_type(self) -> None:
        with pytest.raises(ConfigError, match="type: expected one of 'sqlite'"):
            DatabaseConfig(type="postgres")  # type: ignore[arg-type]


class TestRateLimit:
    @pytest.mark.parametrize(
        ("text", "count", "interval_ns"),
        [
            pytest.param("100/00:00:01", 100, 1_000_000_000, id="per-second"),
            pytest.param("5/01:00:00", 5, 3_600_000_000_000, id="per-hour"),
            pytest.param("1/00:00:30", 1, 30_000_000_000, id="per-30s"),
        ],
    )
    def test_parse(self, text: str, count: int, interval_ns: int) -> None:
        limit = livetrade.config.parse_rate_limit(text)
        assert (limit.count, limit.interval_ns) == (count, interval_ns)

    def test_parse_rejects_bad_form(self) -> None:
        with pytest.raises(ConfigError, match="expected a rate 'N/HH:MM:SS'"):
            livetrade.config.parse_rate_limit("1/1:00:00")

    def test_default_modify_rate(self) -> None:
        limit = RiskEngineConfig().modify_rate_limit
        assert (limit.count, limit.interval_ns) == (100, 1_000_000_000)


class TestRegistry:
    def test_settings_class_must_be_attrs(self) -> None:
        with pytest.raises(ConfigError, match="is not an attrs class"):
            livetrade.config.register_adapter_config("plain", dict, None)

    def test_needs_at_least_one_class(self) -> None:
        with pytest.raises(ConfigError, match="must register a data or an exec settings class"):
            livetrade.config.register_adapter_config("none", None, None)

    @pytest.mark.usefixtures("test_adapter")
    def test_name_cannot_be_taken_twice(self) -> None:
        with pytest.raises(ConfigError, match="already registered with other classes"):
            livetrade.config.register_adapter_config("testvenue", None, CacheConfig)

    @pytest.mark.usefixtures("test_adapter")
    def test_same_registration_twice_is_fine(self, test_adapter: str) -> None:
        classes = livetrade.config.adapter_config_classes(test_adapter)
        livetrade.config.register_adapter_config(test_adapter, classes.data, classes.exec)
        assert test_adapter in livetrade.config.registered_adapters()


def test_public_names() -> None:
    assert sorted(livetrade.config.__all__) == [
        "AdapterConfigClasses",
        "CacheConfig",
        "ClientConfig",
        "ClientKind",
        "DataEngineConfig",
        "DatabaseConfig",
        "ExecEngineConfig",
        "LoadedConfig",
        "MessageBusConfig",
        "NodeConfig",
        "PortfolioConfig",
        "RateLimit",
        "RiskEngineConfig",
        "Secret",
        "StopPolicy",
        "StrategyConfig",
        "adapter_config_classes",
        "config_warnings",
        "dump_config",
        "load_config",
        "load_config_text",
        "parse_rate_limit",
        "register_adapter_config",
        "registered_adapters",
    ]
    for name in livetrade.config.__all__:
        assert hasattr(livetrade.config, name)


SCHEMA_MODULES = [
    "_checks",
    "_dump",
    "clients",
    "engines",
    "node",
    "persistence",
    "secrets",
    "strategies",
]


@pytest.mark.parametrize("module", SCHEMA_MODULES)
def test_schema_modules_stay_pure(module: str) -> None:
    """Engines import the schema; it must not pull in the loader's libraries or I/O."""
    path = Path(livetrade.config.__file__).parent / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    allowed_livetrade = ("livetrade.model", "livetrade.errors", "livetrade.config.")
    for name in imported:
        top = name.split(".")[0]
        assert top not in {"cattrs", "tomllib", "os", "trio", "logging"}, name
        if top == "livetrade":
            assert name.startswith(allowed_livetrade), name
        assert name != "livetrade.config.loading", name


def test_strategy_tag_comes_from_strategy_id() -> None:
    strategy = StrategyConfig(path="a.b:C", strategy_id=StrategyId("Grid-007"))
    assert strategy.effective_order_id_tag == "007"
    tagged = StrategyConfig(path="a.b:C", order_id_tag="X9")
    assert tagged.effective_strategy_id == StrategyId("C-X9")


def test_dump_tolerates_settings_built_in_python() -> None:
    client = ClientConfig(adapter="x", settings=object())
    text = livetrade.config.dump_config(NodeConfig(data_clients={ClientId("X"): client}))
    assert '[data_clients.X]\nadapter = "x"\nsettings = "<object object at ' in text
