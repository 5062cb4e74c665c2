"""The sandbox venue: a simulated exchange, livetrade's embedded default.

Nothing to sign up for: ``adapter = "sandbox"`` in a data and an execution
client table gives a node a market (random walk or CSV replay), a matching
engine, a cash or margin account, a state file that survives restarts, and
seeded fault injection. See ``docs/sandbox.md``.
"""

from __future__ import annotations

from livetrade.adapters.registry import register_adapter
from livetrade.adapters.sandbox.config import (
    SandboxDataConfig,
    SandboxExecConfig,
    parse_balance,
)
from livetrade.adapters.sandbox.data import SandboxDataClient
from livetrade.adapters.sandbox.execution import SandboxExecutionClient
from livetrade.adapters.sandbox.faults import Faults
from livetrade.adapters.sandbox.venue import SandboxVenue, hub_for
from livetrade.config.node import NodeConfig
from livetrade.model.enums import AccountType
from livetrade.model.identifiers import ClientId

__all__ = [
    "Faults",
    "SandboxDataClient",
    "SandboxDataConfig",
    "SandboxExecConfig",
    "SandboxExecutionClient",
    "SandboxVenue",
    "data_client_from_config",
    "exec_client_from_config",
]


def data_client_from_config(
    client_id: ClientId, settings: SandboxDataConfig, config: NodeConfig
) -> SandboxDataClient:
    return SandboxDataClient(
        client_id.value,
        hub_for(config, settings.venue),
        instruments=settings.instruments,
        rate=settings.rate,
        trade_every=settings.trade_every,
        seed=settings.seed,
        replay_speed=settings.replay_speed,
    )


def exec_client_from_config(
    client_id: ClientId, settings: SandboxExecConfig, config: NodeConfig
) -> SandboxExecutionClient:
    return SandboxExecutionClient(
        client_id.value,
        hub_for(config, settings.venue),
        account_id=settings.account_id,
        account_type=AccountType.MARGIN if settings.account_type == "margin" else AccountType.CASH,
        starting_balances=[parse_balance(text) for text in settings.starting_balances],
        leverage=settings.leverage,
        latency_ms=settings.latency_ms,
        state_file=settings.state_file,
        faults=Faults.from_config(settings.faults),
        disconnects=[(d.at_secs, d.duration_secs) for d in settings.faults.disconnects],
    )


register_adapter(
    "sandbox",
    data_config_cls=SandboxDataConfig,
    exec_config_cls=SandboxExecConfig,
    data_factory=data_client_from_config,
    exec_factory=exec_client_from_config,
)
