"""Identifiers validate their form once and compare only within their own kind."""

from __future__ import annotations

import pickle

import pytest

from livetrade.errors import InvalidIdentifier
from livetrade.model.identifiers import (
    EXTERNAL_STRATEGY_ID,
    INTERNAL_DIFF_STRATEGY_ID,
    AccountId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TraderId,
    Venue,
    VenueOrderId,
)


@pytest.mark.parametrize(
    ("cls", "value"),
    [
        pytest.param(TraderId, "TRADER-001", id="trader"),
        pytest.param(TraderId, "MultiVenue-001", id="trader-mixed-case"),
        pytest.param(StrategyId, "EMACross-001", id="strategy"),
        pytest.param(StrategyId, "EXTERNAL", id="strategy-external"),
        pytest.param(StrategyId, "INTERNAL-DIFF", id="strategy-internal-diff"),
        pytest.param(AccountId, "BINANCE-001", id="account"),
        pytest.param(InstrumentId, "ETHUSDT.BINANCE", id="instrument"),
        pytest.param(InstrumentId, "ES.FUT.CME", id="instrument-dotted-symbol"),
        pytest.param(ClientOrderId, "O-20261123-001", id="client-order"),
    ],
)
def test_valid_identifiers_keep_their_value(cls: type, value: str) -> None:
    """A valid id keeps its exact string value."""
    assert str(cls(value)) == value


@pytest.mark.parametrize(
    ("cls", "value", "message"),
    [
        pytest.param(
            TraderId,
            "TRADER001",
            "invalid trader id 'TRADER001': expected NAME-TAG",
            id="no-hyphen",
        ),
        pytest.param(TraderId, "TRADER-", "invalid trader id 'TRADER-'", id="empty-tag"),
        pytest.param(TraderId, "-001", "invalid trader id '-001'", id="empty-name"),
        pytest.param(
            StrategyId, "EMACross", "invalid strategy id 'EMACross'", id="strategy-no-tag"
        ),
        pytest.param(AccountId, "BINANCE", "invalid account id 'BINANCE'", id="account-no-tag"),
        pytest.param(InstrumentId, "ETHUSDT", "expected SYMBOL.VENUE", id="no-venue"),
        pytest.param(
            InstrumentId, "ETHUSDT.", "invalid instrument id 'ETHUSDT.'", id="empty-venue"
        ),
        pytest.param(ClientOrderId, "", "invalid client order id ''", id="empty"),
        pytest.param(ClientOrderId, "O 1", "invalid client order id 'O 1'", id="whitespace"),
        pytest.param(VenueOrderId, 123, "invalid venue order id 123", id="not-a-string"),
        pytest.param(Venue, "BIN.ANCE", "without whitespace or dots", id="venue-dot"),
    ],
)
def test_invalid_identifiers_name_the_kind_and_value(
    cls: type, value: object, message: str
) -> None:
    """A malformed id raises InvalidIdentifier saying which kind and what was given."""
    with pytest.raises(InvalidIdentifier) as info:
        cls(value)
    assert message in str(info.value)
    assert info.value.value == value


def test_instrument_id_splits_at_last_dot() -> None:
    """Symbols may contain dots; the venue is after the last one."""
    iid = InstrumentId("ES.FUT.CME")
    assert (iid.symbol.value, iid.venue.value) == ("ES.FUT", "CME")
    assert InstrumentId.from_parts("ETHUSDT", "BINANCE") == InstrumentId("ETHUSDT.BINANCE")


def test_ids_of_different_kinds_never_compare_equal() -> None:
    """A client order id is not a venue order id even with the same text."""
    assert ClientOrderId("X-1") != VenueOrderId("X-1")
    assert ClientOrderId("X-1") == ClientOrderId("X-1")
    assert hash(ClientOrderId("X-1")) == hash(ClientOrderId("X-1"))
    assert sorted([ClientOrderId("b"), ClientOrderId("a")])[0] == ClientOrderId("a")


def test_identifiers_are_immutable_and_picklable() -> None:
    """Ids cannot be changed after construction and survive a pickle round trip."""
    iid = InstrumentId("ETHUSDT.BINANCE")
    with pytest.raises(AttributeError):
        iid.value = "X.Y"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(iid)) == iid


def test_reserved_strategy_ids() -> None:
    """EXTERNAL and INTERNAL-DIFF are recognised and keep their meaning."""
    assert EXTERNAL_STRATEGY_ID.is_external and not EXTERNAL_STRATEGY_ID.is_internal_diff
    assert INTERNAL_DIFF_STRATEGY_ID.is_internal_diff
    assert StrategyId("EMACross-001").tag == "001"
    assert TraderId("TRADER-001").tag == "001"
    assert AccountId("BINANCE-001").issuer == "BINANCE"
