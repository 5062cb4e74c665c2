"""A small adapter whose settings classes exercise the loader's client tables."""

from __future__ import annotations

from typing import Literal

import attrs
import pytest

from livetrade.config import Secret, register_adapter_config

TEST_ADAPTER = "testvenue"
EXEC_ONLY_ADAPTER = "execonly"


@attrs.frozen(kw_only=True)
class VenueDataSettings:
    """Data settings: a required secret and two typed options."""

    api_key: Secret
    testnet: bool = False
    reconnect_delay_secs: float = 1.0


@attrs.frozen(kw_only=True)
class VenueExecSettings:
    """Exec settings: secrets, a literal and a validated integer."""

    api_key: Secret
    api_secret: Secret | None = None
    account_type: Literal["SPOT", "MARGIN"] = "SPOT"
    recv_window_ms: int = attrs.field(default=5_000, validator=attrs.validators.ge(1))


@pytest.fixture
def test_adapter() -> str:
    """Register the test adapters (idempotent) and return the full one's name."""
    register_adapter_config(TEST_ADAPTER, VenueDataSettings, VenueExecSettings)
    register_adapter_config(EXEC_ONLY_ADAPTER, None, VenueExecSettings)
    return TEST_ADAPTER
