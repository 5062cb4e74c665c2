"""What every rule of one reconciliation reads: the cache, the mass status, the settings."""

from __future__ import annotations

from livetrade.cache.view import CacheView
from livetrade.execution.reconciliation.settings import ReconciliationSettings
from livetrade.model.identifiers import InstrumentId
from livetrade.model.instruments import Instrument
from livetrade.model.reports import ExecutionMassStatus

__all__ = ["Context"]


class Context:
    """Read-only inputs of one reconciliation, with the instrument lookups memoised."""

    __slots__ = ("_instruments", "cache", "mass", "settings")

    def __init__(
        self, cache: CacheView, mass: ExecutionMassStatus, settings: ReconciliationSettings
    ) -> None:
        self.cache = cache
        self.mass = mass
        self.settings = settings
        self._instruments: dict[InstrumentId, Instrument | None] = {}

    def instrument(self, instrument_id: InstrumentId) -> Instrument | None:
        try:
            return self._instruments[instrument_id]
        except KeyError:
            found = self._instruments[instrument_id] = self.cache.instrument(instrument_id)
            return found
