"""livetrade: run trading strategies live against real venues, in Python, on Trio.

The top level re-exports what most users need; everything else is importable from
its package (``livetrade.model``, ``livetrade.config``, ``livetrade.testing``).
"""

from livetrade._version import __version__ as __version__
from livetrade.config import NodeConfig as NodeConfig
from livetrade.config import load_config as load_config
from livetrade.errors import ConfigError as ConfigError
from livetrade.errors import InvalidOrderTransition as InvalidOrderTransition
from livetrade.errors import LifecycleError as LifecycleError
from livetrade.errors import LiveTradeError as LiveTradeError
from livetrade.errors import OrderError as OrderError

__all__ = [
    "ConfigError",
    "InvalidOrderTransition",
    "LifecycleError",
    "LiveTradeError",
    "NodeConfig",
    "OrderError",
    "__version__",
    "load_config",
]
