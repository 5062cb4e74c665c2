"""Account balances keep total == locked + free; account states are coherent."""

from __future__ import annotations

import pytest

from livetrade.errors import CurrencyMismatch, InvalidValue
from livetrade.model.account import AccountBalance, AccountState, MarginBalance
from livetrade.model.enums import AccountType
from livetrade.model.identifiers import AccountId, InstrumentId
from livetrade.model.money import Currency, Money

USDT = Currency.from_str("USDT")
BTC = Currency.from_str("BTC")
ACCOUNT = AccountId("BINANCE-001")


def usdt(value: str) -> Money:
    return Money(value, USDT)


def balance(total: str, locked: str, currency: Currency = USDT) -> AccountBalance:
    return AccountBalance.from_total_and_locked(Money(total, currency), Money(locked, currency))


class TestAccountBalance:
    def test_free_is_total_minus_locked(self) -> None:
        bal = balance("100.5", "20.25")
        assert bal.free == usdt("80.25")
        assert bal.currency == USDT

    def test_identity_is_enforced(self) -> None:
        with pytest.raises(InvalidValue, match=r"total 100\.00000000 USDT is not locked"):
            AccountBalance(total=usdt("100"), locked=usdt("20"), free=usdt("79.99999999"))

    def test_currencies_must_match(self) -> None:
        with pytest.raises(CurrencyMismatch, match="mixes currencies"):
            AccountBalance(total=usdt("1"), locked=Money("0", BTC), free=usdt("1"))


class TestMarginBalance:
    def test_valid(self) -> None:
        margin = MarginBalance(
            initial=usdt("10"), maintenance=usdt("5"), instrument_id=InstrumentId("X.BINANCE")
        )
        assert margin.currency == USDT

    def test_currencies_must_match(self) -> None:
        with pytest.raises(CurrencyMismatch):
            MarginBalance(initial=usdt("10"), maintenance=Money("1", BTC))

    def test_cannot_be_negative(self) -> None:
        with pytest.raises(InvalidValue, match="cannot be negative"):
            MarginBalance(initial=usdt("-1"), maintenance=usdt("0"))


class TestAccountState:
    def make(self, **overrides: object) -> AccountState:
        fields: dict[str, object] = {
            "account_id": ACCOUNT,
            "account_type": AccountType.MARGIN,
            "base_currency": None,
            "reported": True,
            "balances": (balance("100", "10"), balance("1", "0", BTC)),
            "margins": (MarginBalance(initial=usdt("10"), maintenance=usdt("5")),),
            "ts_event": 1,
            "ts_init": 2,
        }
        fields.update(overrides)
        return AccountState(**fields)  # type: ignore[arg-type]

    def test_lookup_balance_by_currency(self) -> None:
        state = self.make()
        assert state.balance(BTC) == balance("1", "0", BTC)
        assert state.balance(Currency.from_str("ETH")) is None
        assert len(state.event_id) == 36

    def test_one_balance_per_currency(self) -> None:
        with pytest.raises(InvalidValue, match="two balances in USDT"):
            self.make(balances=(balance("1", "0"), balance("2", "0")))

    def test_single_currency_account_holds_only_its_base(self) -> None:
        assert self.make(base_currency=USDT, balances=(balance("1", "0"),)).base_currency == USDT
        with pytest.raises(CurrencyMismatch, match="balance in BTC on a single-currency USDT"):
            self.make(base_currency=USDT)

    def test_one_margin_per_instrument_and_currency(self) -> None:
        margin = MarginBalance(initial=usdt("1"), maintenance=usdt("1"))
        with pytest.raises(InvalidValue, match="two margins for the account in USDT"):
            self.make(margins=(margin, margin))
