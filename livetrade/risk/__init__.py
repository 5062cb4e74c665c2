"""Pre-trade risk: trading state, throttles and order checks (pure)."""

from livetrade.risk.engine import RiskEngine as RiskEngine
from livetrade.risk.engine import RiskStatistics as RiskStatistics
from livetrade.risk.throttle import Throttler as Throttler

__all__ = ["RiskEngine", "RiskStatistics", "Throttler"]
