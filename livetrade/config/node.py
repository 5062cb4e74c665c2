"""``NodeConfig``: everything a live node needs, as one immutable value.

It is what ``load_config`` returns and what ``LiveNode`` takes, so a node can
be configured from a TOML file or built in Python with the same checks. Every
key has the guide's default, so an empty file is a valid configuration.
"""

from __future__ import annotations

from typing import Final, final

import attrs

from livetrade.config._checks import Check, describe, positive_seconds, token
from livetrade.config.clients import ClientConfig
from livetrade.config.engines import (
    DataEngineConfig,
    ExecEngineConfig,
    PortfolioConfig,
    RiskEngineConfig,
)
from livetrade.config.persistence import CacheConfig, MessageBusConfig
from livetrade.config.strategies import StrategyConfig
from livetrade.errors import ConfigError
from livetrade.model.identifiers import ClientId, TraderId

__all__ = [
    "MIN_OPEN_CHECK_LOOKBACK_MINS",
    "MIN_RECONCILIATION_STARTUP_DELAY_SECS",
    "NodeConfig",
    "config_warnings",
]

#: Below these the guide warns that continuous reconciliation can misjudge orders.
MIN_OPEN_CHECK_LOOKBACK_MINS: Final = 60
MIN_RECONCILIATION_STARTUP_DELAY_SECS: Final = 10.0

_TRADER_ID_CHECK = Check(
    "a trader id in NAME-TAG form such as 'TRADER-001'", lambda v: type(v) is TraderId
)


def _check_strategies(node: NodeConfig) -> list[str]:
    """Problems with strategy identities: two strategies must never share an id or an order tag.

    A shared tag would let two strategies generate the same client order id.
    """
    problems = []
    ids: dict[str, int] = {}
    tags: dict[str, int] = {}
    for index, strategy in enumerate(node.strategies):
        here = f"strategies[{index}]"
        strategy_id = strategy.effective_strategy_id.value
        tag = strategy.effective_order_id_tag
        if strategy_id in ids:
            key = f"{here}.strategy_id" if strategy.strategy_id is not None else here
            problems.append(
                f"{key}: strategy id {strategy_id!r} is already used by "
                f"strategies[{ids[strategy_id]}]; give each strategy its own "
                "strategy_id or order_id_tag"
            )
        elif tag in tags:
            key = f"{here}.order_id_tag" if strategy.order_id_tag is not None else here
            problems.append(
                f"{key}: order id tag {tag!r} is already used by strategies[{tags[tag]}]; "
                "give each strategy its own order_id_tag"
            )
        ids.setdefault(strategy_id, index)
        tags.setdefault(tag, index)
    return problems


def _check_client_names(node: NodeConfig) -> list[str]:
    tables = {"data_clients": node.data_clients, "exec_clients": node.exec_clients}
    return [
        f"{table}: expected a ClientId as client name, found {describe(name)}"
        for table, clients in tables.items()
        for name in clients
        if type(name) is not ClientId
    ]


@final
@attrs.frozen(kw_only=True)
class NodeConfig:
    """The whole configuration of one live node.

    The five timeouts bound the startup and shutdown steps that share their
    names (seconds, > 0). Strategies and clients are checked together: ids and
    order tags must be unique across strategies.
    """

    trader_id: TraderId = attrs.field(default=TraderId("TRADER-001"), validator=_TRADER_ID_CHECK)
    instance_id: str | None = attrs.field(
        default=None, validator=token("an instance id", optional=True)
    )
    timeout_connection: float = attrs.field(default=30.0, validator=positive_seconds())
    timeout_reconciliation: float = attrs.field(default=10.0, validator=positive_seconds())
    timeout_portfolio: float = attrs.field(default=10.0, validator=positive_seconds())
    timeout_disconnection: float = attrs.field(default=10.0, validator=positive_seconds())
    timeout_post_stop: float = attrs.field(default=5.0, validator=positive_seconds())
    cache: CacheConfig = attrs.field(factory=CacheConfig)
    message_bus: MessageBusConfig = attrs.field(factory=MessageBusConfig)
    data_engine: DataEngineConfig = attrs.field(factory=DataEngineConfig)
    risk_engine: RiskEngineConfig = attrs.field(factory=RiskEngineConfig)
    exec_engine: ExecEngineConfig = attrs.field(factory=ExecEngineConfig)
    portfolio: PortfolioConfig = attrs.field(factory=PortfolioConfig)
    strategies: list[StrategyConfig] = attrs.field(factory=list)
    data_clients: dict[ClientId, ClientConfig] = attrs.field(factory=dict)
    exec_clients: dict[ClientId, ClientConfig] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        problems = _check_strategies(self) + _check_client_names(self)
        if problems:
            raise ConfigError(problems)


def config_warnings(config: NodeConfig) -> list[str]:
    """Settings that are valid but risky in production, one line each with its key path."""
    warnings = []
    exec_engine = config.exec_engine
    if exec_engine.open_check_lookback_mins < MIN_OPEN_CHECK_LOOKBACK_MINS:
        warnings.append(
            f"exec_engine.open_check_lookback_mins: {exec_engine.open_check_lookback_mins} is "
            f"below {MIN_OPEN_CHECK_LOOKBACK_MINS} minutes; open orders last changed before "
            "the window can look missing at the venue and be resolved wrongly"
        )
    if exec_engine.reconciliation_startup_delay_secs < MIN_RECONCILIATION_STARTUP_DELAY_SECS:
        warnings.append(
            "exec_engine.reconciliation_startup_delay_secs: "
            f"{exec_engine.reconciliation_startup_delay_secs:g} is below "
            f"{MIN_RECONCILIATION_STARTUP_DELAY_SECS:g} seconds; continuous checks may start "
            "before the node has settled after startup reconciliation"
        )
    return warnings
