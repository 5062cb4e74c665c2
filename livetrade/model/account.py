"""Account balances, margins and the ``AccountState`` event that reports them.

A venue (or the node, after a fill) reports an account's state as a whole: one
balance per currency and the margins held. Each balance keeps the identity
``total == locked + free`` exactly, checked at construction, so a consumer can
rely on any two of the three.
"""

from __future__ import annotations

from typing import final

import attrs

from livetrade.errors import CurrencyMismatch, InvalidValue
from livetrade.model.enums import AccountType
from livetrade.model.events import new_event_id
from livetrade.model.identifiers import AccountId, InstrumentId
from livetrade.model.money import Currency, Money

__all__ = ["AccountBalance", "AccountState", "MarginBalance"]


@final
@attrs.frozen(kw_only=True)
class AccountBalance:
    """One currency's balance: ``total`` = ``locked`` (held by orders) + ``free``."""

    total: Money
    locked: Money
    free: Money

    def __attrs_post_init__(self) -> None:
        currency = self.total.currency
        if self.locked.currency != currency or self.free.currency != currency:
            raise CurrencyMismatch(
                f"account balance mixes currencies: total {self.total}, "
                f"locked {self.locked}, free {self.free}"
            )
        if self.total.raw != self.locked.raw + self.free.raw:
            raise InvalidValue(
                f"account balance: total {self.total} is not locked {self.locked} "
                f"+ free {self.free}"
            )

    @classmethod
    def from_total_and_locked(cls, total: Money, locked: Money) -> AccountBalance:
        """The balance whose free part is ``total - locked``."""
        return cls(total=total, locked=locked, free=total - locked)

    @property
    def currency(self) -> Currency:
        return self.total.currency


@final
@attrs.frozen(kw_only=True)
class MarginBalance:
    """Margin held, for one instrument or (``instrument_id`` None) the whole account."""

    initial: Money
    maintenance: Money
    instrument_id: InstrumentId | None = None

    def __attrs_post_init__(self) -> None:
        if self.initial.currency != self.maintenance.currency:
            raise CurrencyMismatch(
                f"margin balance mixes currencies: initial {self.initial}, "
                f"maintenance {self.maintenance}"
            )
        if self.initial.raw < 0 or self.maintenance.raw < 0:
            raise InvalidValue(
                f"margin balance cannot be negative: initial {self.initial}, "
                f"maintenance {self.maintenance}"
            )

    @property
    def currency(self) -> Currency:
        return self.initial.currency


@final
@attrs.frozen(kw_only=True)
class AccountState:
    """The full state of an account at ``ts_event``.

    ``reported`` is True when the venue sent it and False when the node computed
    it (after a fill, say). A single-currency account sets ``base_currency`` and
    holds only balances in it; a multi-currency account leaves it None. Each
    currency appears at most once in ``balances``.
    """

    account_id: AccountId
    account_type: AccountType
    base_currency: Currency | None
    reported: bool
    balances: tuple[AccountBalance, ...]
    margins: tuple[MarginBalance, ...] = ()
    ts_event: int
    ts_init: int
    event_id: str = attrs.field(factory=new_event_id)

    def __attrs_post_init__(self) -> None:
        where = f"account state {self.account_id}"
        seen: set[str] = set()
        for balance in self.balances:
            code = balance.currency.code
            if code in seen:
                raise InvalidValue(f"{where}: two balances in {code}")
            seen.add(code)
            if self.base_currency is not None and balance.currency != self.base_currency:
                raise CurrencyMismatch(
                    f"{where}: balance in {code} on a single-currency {self.base_currency} account"
                )
        margin_keys: set[tuple[InstrumentId | None, str]] = set()
        for margin in self.margins:
            key = (margin.instrument_id, margin.currency.code)
            if key in margin_keys:
                raise InvalidValue(
                    f"{where}: two margins for {margin.instrument_id or 'the account'} "
                    f"in {margin.currency.code}"
                )
            margin_keys.add(key)

    def balance(self, currency: Currency) -> AccountBalance | None:
        """The balance in ``currency``, or None if the account holds none."""
        for balance in self.balances:
            if balance.currency == currency:
                return balance
        return None
