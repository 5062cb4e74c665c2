"""The in-memory cache: the node's state, indexed, and the read-only view of it.

The node's dispatcher writes the ``Cache``; strategies and reconciliation rules
read it through ``CacheView``. Pure: no trio, no I/O, no clock.
"""

from livetrade.cache.cache import Cache as Cache
from livetrade.cache.cache import CacheError as CacheError
from livetrade.cache.view import CacheStatistics as CacheStatistics
from livetrade.cache.view import CacheView as CacheView

__all__ = ["Cache", "CacheError", "CacheStatistics", "CacheView"]
