"""Startup reconciliation as pure functions: cache x mass status x settings -> result.

``reconcile_mass_status`` computes, without changing anything, the orders to
register, the events to apply and a ``ReconciliationReport`` saying what was
cached, what the venue said, what was done and why.
``ExecutionEngine.apply_reconciliation`` applies a result. See
``docs/reconciliation.md`` for the rules.
"""

from livetrade.execution.reconciliation.errors import (
    DuplicateClientOrderIds as DuplicateClientOrderIds,
)
from livetrade.execution.reconciliation.errors import (
    ReconciliationError as ReconciliationError,
)
from livetrade.execution.reconciliation.filters import (
    duplicate_client_order_ids as duplicate_client_order_ids,
)
from livetrade.execution.reconciliation.mass_status import (
    reconcile_mass_status as reconcile_mass_status,
)
from livetrade.execution.reconciliation.report import DeferredFills as DeferredFills
from livetrade.execution.reconciliation.report import OrderAction as OrderAction
from livetrade.execution.reconciliation.report import OrderEntry as OrderEntry
from livetrade.execution.reconciliation.report import PositionAction as PositionAction
from livetrade.execution.reconciliation.report import PositionEntry as PositionEntry
from livetrade.execution.reconciliation.report import PriceSource as PriceSource
from livetrade.execution.reconciliation.report import (
    ReconciliationReport as ReconciliationReport,
)
from livetrade.execution.reconciliation.report import (
    ReconciliationResult as ReconciliationResult,
)
from livetrade.execution.reconciliation.report import Severity as Severity
from livetrade.execution.reconciliation.settings import (
    ReconciliationSettings as ReconciliationSettings,
)
from livetrade.execution.reconciliation.settings import collect_claims as collect_claims

__all__ = [
    "DeferredFills",
    "DuplicateClientOrderIds",
    "OrderAction",
    "OrderEntry",
    "PositionAction",
    "PositionEntry",
    "PriceSource",
    "ReconciliationError",
    "ReconciliationReport",
    "ReconciliationResult",
    "ReconciliationSettings",
    "Severity",
    "collect_claims",
    "duplicate_client_order_ids",
    "reconcile_mass_status",
]
