"""A node wired to a sandbox venue, for tests of strategies under a mock clock.

::

    async def test_my_strategy(autojump_clock, tmp_path):
        setup = sandbox_node(MyStrategy(config), rate=10, latency_ms=5)
        async with running_node(setup.node):
            await trio.sleep(600)          # ten virtual minutes of market
        assert setup.venue.exchange.fills() ...

Everything runs inside the test's ``trio.run``, so ``autojump_clock`` keeps
every timestamp exact and reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import attrs

from livetrade.adapters.sandbox.config import SandboxInstrumentConfig
from livetrade.adapters.sandbox.data import SandboxDataClient
from livetrade.adapters.sandbox.execution import SandboxExecutionClient
from livetrade.adapters.sandbox.faults import Faults
from livetrade.adapters.sandbox.venue import SandboxVenue
from livetrade.config.node import NodeConfig
from livetrade.model.enums import AccountType
from livetrade.model.money import Currency, Money
from livetrade.node.node import LiveNode
from livetrade.persistence.database import CacheDatabase
from livetrade.testing.node import make_test_node
from livetrade.trading.actor import Actor
from livetrade.trading.strategy import Strategy

__all__ = ["SandboxSetup", "sandbox_node"]


@attrs.frozen
class SandboxSetup:
    node: LiveNode
    data: SandboxDataClient
    venue: SandboxExecutionClient


def sandbox_node(
    *components: Actor,
    venue: str = "SANDBOX",
    instruments: Sequence[SandboxInstrumentConfig] = (),
    rate: int = 10,
    trade_every: int = 5,
    seed: int = 1,
    account_type: AccountType = AccountType.CASH,
    balances: Sequence[str] = ("100000 USDT", "1 BTC"),
    latency_ms: int = 5,
    state_file: Path | None = None,
    faults: Faults | None = None,
    config: NodeConfig | None = None,
    cache_database: CacheDatabase | None = None,
    **config_fields: object,
) -> SandboxSetup:
    """A test node with a sandbox data and execution client and ``components`` added."""
    node = make_test_node(config, cache_database=cache_database, **config_fields)
    hub = SandboxVenue(venue)
    data = SandboxDataClient(
        venue, hub, instruments=instruments, rate=rate, trade_every=trade_every, seed=seed
    )
    starting = []
    for text in balances:
        amount, code = text.split()
        starting.append(Money(Decimal(amount), Currency.from_str(code)))
    execution = SandboxExecutionClient(
        venue,
        hub,
        account_type=account_type,
        starting_balances=starting,
        latency_ms=latency_ms,
        state_file=state_file,
        faults=faults,
    )
    node.add_data_client(data)
    node.add_exec_client(execution)
    for component in components:
        if isinstance(component, Strategy):
            node.add_strategy(component)
        else:
            node.add_actor(component)
    return SandboxSetup(node=node, data=data, venue=execution)
