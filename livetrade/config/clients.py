"""Named data and execution clients, and the registry of adapter settings classes.

A ``[data_clients.NAME]`` or ``[exec_clients.NAME]`` table names its
``adapter`` and, beside it, that adapter's own keys. The config layer does not
know any venue: each adapter registers the attrs classes that hold its data
and execution settings, and the loader checks the table against them with the
same strict rules as the rest of the file.
"""

from __future__ import annotations

from typing import Any, Final, Literal, final

import attrs

from livetrade.errors import ConfigError

__all__ = [
    "AdapterConfigClasses",
    "ClientConfig",
    "ClientKind",
    "adapter_config_classes",
    "register_adapter_config",
    "registered_adapters",
]

ClientKind = Literal["data", "exec"]


@final
@attrs.frozen(kw_only=True)
class ClientConfig:
    """One named client: the adapter that implements it and that adapter's settings.

    ``settings`` is an instance of the class the adapter registered for this
    kind of client; the adapter narrows it with ``isinstance``.
    """

    adapter: str
    settings: object


@final
@attrs.frozen(kw_only=True)
class AdapterConfigClasses:
    """The settings classes of one adapter; ``None`` when it has no such client."""

    data: type[Any] | None
    exec: type[Any] | None

    def for_kind(self, kind: ClientKind) -> type[Any] | None:
        """The class for ``data`` or ``exec`` clients."""
        return self.data if kind == "data" else self.exec


_REGISTRY: Final[dict[str, AdapterConfigClasses]] = {}


def register_adapter_config(
    adapter_name: str,
    data_config_cls: type[Any] | None,
    exec_config_cls: type[Any] | None,
) -> None:
    """Make ``adapter = "<adapter_name>"`` usable in client tables.

    Registering the same classes again is a no-op, so an adapter module may be
    imported twice; registering other classes under a taken name is an error.

    Raises:
        ConfigError: a class is not an attrs class, both are ``None``, or the
            name is already registered with other classes.
    """
    problems = []
    if type(adapter_name) is not str or not adapter_name or adapter_name.split() != [adapter_name]:
        problems.append(f"adapter name must be a non-empty word, not {adapter_name!r}")
    if data_config_cls is None and exec_config_cls is None:
        problems.append(f"adapter {adapter_name!r} must register a data or an exec settings class")
    problems.extend(
        f"adapter {adapter_name!r}: {cls!r} is not an attrs class"
        for cls in (data_config_cls, exec_config_cls)
        if cls is not None and not attrs.has(cls)
    )
    classes = AdapterConfigClasses(data=data_config_cls, exec=exec_config_cls)
    existing = _REGISTRY.get(adapter_name)
    if existing is not None and existing != classes:
        problems.append(f"adapter {adapter_name!r} is already registered with other classes")
    if problems:
        raise ConfigError(problems)
    _REGISTRY[adapter_name] = classes


def registered_adapters() -> tuple[str, ...]:
    """The registered adapter names, sorted."""
    return tuple(sorted(_REGISTRY))


def adapter_config_classes(adapter_name: str) -> AdapterConfigClasses:
    """The settings classes registered for ``adapter_name``.

    Raises:
        KeyError: no adapter of that name is registered.
    """
    return _REGISTRY[adapter_name]
