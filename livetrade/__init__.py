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
from livetrade.errors import StartupError as StartupError
from livetrade.node.handle import NodeHandle as NodeHandle
from livetrade.node.lifecycle import NodeState as NodeState
from livetrade.node.node import LiveNode as LiveNode
from livetrade.node.node import RunResult as RunResult
from livetrade.runner import build_node as build_node
from livetrade.runner import run as run
from livetrade.trading.actor import Actor as Actor
from livetrade.trading.strategy import Strategy as Strategy

__all__ = [
    "Actor",
    "ConfigError",
    "InvalidOrderTransition",
    "LifecycleError",
    "LiveNode",
    "LiveTradeError",
    "NodeConfig",
    "NodeHandle",
    "NodeState",
    "OrderError",
    "RunResult",
    "StartupError",
    "Strategy",
    "__version__",
    "build_node",
    "load_config",
    "run",
]
