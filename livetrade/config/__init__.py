"""Configuration of a live node: schema classes, the TOML loader, and ``Secret``.

The schema modules (``node``, ``engines``, ``persistence``, ``strategies``,
``clients``, ``secrets``) are pure: engines import them without pulling in the
loader. ``loading`` is the edge that reads files; see ``docs/configuration.md``.
"""

from __future__ import annotations

from livetrade.config.clients import AdapterConfigClasses as AdapterConfigClasses
from livetrade.config.clients import ClientConfig as ClientConfig
from livetrade.config.clients import ClientKind as ClientKind
from livetrade.config.clients import adapter_config_classes as adapter_config_classes
from livetrade.config.clients import register_adapter_config as register_adapter_config
from livetrade.config.clients import registered_adapters as registered_adapters
from livetrade.config.engines import DataEngineConfig as DataEngineConfig
from livetrade.config.engines import ExecEngineConfig as ExecEngineConfig
from livetrade.config.engines import PortfolioConfig as PortfolioConfig
from livetrade.config.engines import RateLimit as RateLimit
from livetrade.config.engines import RiskEngineConfig as RiskEngineConfig
from livetrade.config.engines import parse_rate_limit as parse_rate_limit
from livetrade.config.loading import LoadedConfig as LoadedConfig
from livetrade.config.loading import dump_config as dump_config
from livetrade.config.loading import load_config as load_config
from livetrade.config.loading import load_config_text as load_config_text
from livetrade.config.node import NodeConfig as NodeConfig
from livetrade.config.node import config_warnings as config_warnings
from livetrade.config.persistence import CacheConfig as CacheConfig
from livetrade.config.persistence import DatabaseConfig as DatabaseConfig
from livetrade.config.persistence import MessageBusConfig as MessageBusConfig
from livetrade.config.secrets import Secret as Secret
from livetrade.config.strategies import StopPolicy as StopPolicy
from livetrade.config.strategies import StrategyConfig as StrategyConfig

__all__ = [
    "AdapterConfigClasses",
    "CacheConfig",
    "ClientConfig",
    "ClientKind",
    "DataEngineConfig",
    "DatabaseConfig",
    "ExecEngineConfig",
    "LoadedConfig",
    "MessageBusConfig",
    "NodeConfig",
    "PortfolioConfig",
    "RateLimit",
    "RiskEngineConfig",
    "Secret",
    "StopPolicy",
    "StrategyConfig",
    "adapter_config_classes",
    "config_warnings",
    "dump_config",
    "load_config",
    "load_config_text",
    "parse_rate_limit",
    "register_adapter_config",
    "registered_adapters",
]
