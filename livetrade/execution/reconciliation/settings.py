"""What startup reconciliation is allowed to do, as plain values.

The rules never import ``livetrade.config``: ``ReconciliationSettings`` carries
the few keys they read, under the guide's names, and ``from_config`` copies them
from anything shaped like ``ExecEngineConfig`` (checked structurally).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol, Self, final

import attrs

from livetrade.errors import InvalidValue
from livetrade.model.identifiers import ClientOrderId, InstrumentId, StrategyId, TraderId

__all__ = ["ExecSettingsSource", "ReconciliationSettings", "collect_claims"]


class ExecSettingsSource(Protocol):
    """The keys of ``ExecEngineConfig`` that startup reconciliation reads."""

    @property
    def reconciliation_instrument_ids(self) -> Sequence[InstrumentId] | None: ...

    @property
    def filtered_client_order_ids(self) -> Sequence[ClientOrderId] | None: ...

    @property
    def filter_unclaimed_external_orders(self) -> bool: ...

    @property
    def filter_position_reports(self) -> bool: ...

    @property
    def generate_missing_orders(self) -> bool: ...


def _instrument_scope(value: Iterable[InstrumentId] | None) -> frozenset[InstrumentId] | None:
    return None if value is None else frozenset(value)


def _client_order_ids(value: Iterable[ClientOrderId] | None) -> frozenset[ClientOrderId]:
    return frozenset(() if value is None else value)


def _claims(value: Mapping[InstrumentId, StrategyId] | None) -> dict[InstrumentId, StrategyId]:
    return {} if value is None else dict(value)


def _non_negative(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if type(value) is not Decimal or not value.is_finite() or value < 0:
        raise InvalidValue(f"{attribute.name}: expected a non-negative Decimal, got {value!r}")


@final
@attrs.frozen(kw_only=True)
class ReconciliationSettings:
    """The configuration one reconciliation runs with.

    Attributes:
        trader_id: the node's trader id, given to orders created from reports.
        reconciliation_instrument_ids: only these instruments are reconciled
            (None: all of them).
        filtered_client_order_ids: reports about these orders are skipped.
        filter_unclaimed_external_orders: skip external orders no strategy claims.
        filter_position_reports: skip position reports (no INTERNAL-DIFF orders).
        generate_missing_orders: create INTERNAL-DIFF orders for position differences.
        external_order_claims: instrument -> strategy that owns its external orders.
        price_tolerance: a fill report's price may differ from the cached fill's by
            this much (absolute) before the difference is reported.
        commission_tolerance: the same for commissions.
    """

    trader_id: TraderId
    reconciliation_instrument_ids: frozenset[InstrumentId] | None = attrs.field(
        default=None, converter=_instrument_scope
    )
    filtered_client_order_ids: frozenset[ClientOrderId] = attrs.field(
        default=None, converter=_client_order_ids
    )
    filter_unclaimed_external_orders: bool = False
    filter_position_reports: bool = False
    generate_missing_orders: bool = True
    external_order_claims: dict[InstrumentId, StrategyId] = attrs.field(
        default=None, converter=_claims, eq=False
    )
    price_tolerance: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)
    commission_tolerance: Decimal = attrs.field(default=Decimal(0), validator=_non_negative)

    @classmethod
    def from_config(
        cls,
        config: ExecSettingsSource,
        *,
        trader_id: TraderId,
        external_order_claims: Mapping[InstrumentId, StrategyId] | None = None,
    ) -> Self:
        """Copy the reconciliation keys of an ``ExecEngineConfig``."""
        return cls(
            trader_id=trader_id,
            reconciliation_instrument_ids=config.reconciliation_instrument_ids,
            filtered_client_order_ids=config.filtered_client_order_ids,
            filter_unclaimed_external_orders=config.filter_unclaimed_external_orders,
            filter_position_reports=config.filter_position_reports,
            generate_missing_orders=config.generate_missing_orders,
            external_order_claims=external_order_claims,
        )

    def in_scope(self, instrument_id: InstrumentId) -> bool:
        """False when ``reconciliation_instrument_ids`` is set and leaves it out."""
        scope = self.reconciliation_instrument_ids
        return scope is None or instrument_id in scope


def collect_claims(
    claims: Iterable[tuple[StrategyId, Iterable[InstrumentId] | None]],
) -> tuple[dict[InstrumentId, StrategyId], list[str]]:
    """Merge strategies' ``external_order_claims`` into instrument -> strategy.

    The first strategy to claim an instrument keeps it; each later claim is
    returned as a problem sentence (for the caller to log).
    """
    owners: dict[InstrumentId, StrategyId] = {}
    problems: list[str] = []
    for strategy_id, instrument_ids in claims:
        for instrument_id in instrument_ids or ():
            owner = owners.setdefault(instrument_id, strategy_id)
            if owner != strategy_id:
                problems.append(
                    f"strategy {strategy_id} claims external orders of {instrument_id}, "
                    f"already claimed by {owner}: {owner} keeps them"
                )
    return owners, problems
