"""Adapter registry: from ``adapter = "name"`` in a config to client objects.

An adapter registers its settings classes (so the config loader can check
``[data_clients.NAME]``/``[exec_clients.NAME]`` tables) together with factories
that build its clients from those settings. Adapters shipped with livetrade are
registered when ``load_builtin_adapters()`` runs; third-party packages register
through the ``livetrade.adapters`` entry-point group (each entry point names a
module that calls ``register_adapter`` when imported).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Final

import attrs

from livetrade.config.clients import register_adapter_config

if TYPE_CHECKING:
    from livetrade.adapters.base import DataClient, ExecutionClient
    from livetrade.config.node import NodeConfig
    from livetrade.model.identifiers import ClientId

__all__ = [
    "BUILTIN_ADAPTER_MODULES",
    "AdapterFactories",
    "adapter_factories",
    "load_builtin_adapters",
    "register_adapter",
]

log = logging.getLogger(__name__)

DataFactory = Callable[["ClientId", Any, "NodeConfig"], "DataClient"]
ExecFactory = Callable[["ClientId", Any, "NodeConfig"], "ExecutionClient"]

BUILTIN_ADAPTER_MODULES: Final[tuple[str, ...]] = (
    "livetrade.adapters.sandbox",
    "livetrade.testing.scripted",
)
"""Modules imported by ``load_builtin_adapters`` (each registers one adapter)."""


@attrs.frozen
class AdapterFactories:
    data: DataFactory | None
    exec: ExecFactory | None


_FACTORIES: Final[dict[str, AdapterFactories]] = {}


def register_adapter(
    name: str,
    *,
    data_config_cls: type[Any] | None = None,
    exec_config_cls: type[Any] | None = None,
    data_factory: DataFactory | None = None,
    exec_factory: ExecFactory | None = None,
) -> None:
    """Register adapter ``name``: settings classes for the loader, factories for the node."""
    if (data_config_cls is None) != (data_factory is None) or (exec_config_cls is None) != (
        exec_factory is None
    ):
        raise ValueError(f"adapter {name!r}: give a factory for each settings class and vice versa")
    register_adapter_config(name, data_config_cls, exec_config_cls)
    _FACTORIES[name] = AdapterFactories(data=data_factory, exec=exec_factory)


def adapter_factories(name: str) -> AdapterFactories:
    """The factories of adapter ``name``; KeyError if it registered none."""
    return _FACTORIES[name]


def load_builtin_adapters() -> None:
    """Import livetrade's own adapters and those installed through entry points."""
    for module in BUILTIN_ADAPTER_MODULES:
        importlib.import_module(module)
    for entry_point in entry_points(group="livetrade.adapters"):
        try:
            entry_point.load()
        except Exception:
            log.exception("could not load adapter entry point %s", entry_point.name)
