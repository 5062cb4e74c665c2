"""Load a TOML config file into a ``NodeConfig`` (EDGE: file I/O, tomllib, cattrs, environ).

Loading either returns a complete, valid configuration or raises one
``ConfigError`` listing every problem, each line naming the file, the key path,
what was expected and what was found. Nothing is started on a bad file.

After structuring, SQLite paths are resolved against the config file's
directory, so a node finds the same database wherever it is started from.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, final

import attrs

from livetrade.config._dump import dump_config
from livetrade.config._problems import render_problems
from livetrade.config._structure import make_converter
from livetrade.config.clients import ClientConfig
from livetrade.config.node import NodeConfig, config_warnings
from livetrade.config.persistence import DEFAULT_SQLITE_FILE, DatabaseConfig
from livetrade.errors import ConfigError
from livetrade.model.identifiers import ClientId

__all__ = ["LoadedConfig", "dump_config", "load_config", "load_config_text"]

_TOML_POSITION = re.compile(
    r"(?P<msg>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)"
)


@final
@attrs.frozen(kw_only=True)
class LoadedConfig:
    """A valid configuration and the warnings about risky (but allowed) settings in it."""

    config: NodeConfig
    warnings: tuple[str, ...] = ()


def load_config(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> LoadedConfig:
    """Read and check the TOML file at ``path``.

    Args:
        path: the config file; errors name it as given.
        environ: where ``env:NAME`` secrets are looked up; ``os.environ`` by default.

    Raises:
        ConfigError: the file is missing, unreadable, not TOML, or has any invalid key.
    """
    source = os.fspath(path)
    file = Path(source)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{source}: file not found"], source=source) from None
    except IsADirectoryError:
        raise ConfigError([f"{source}: is a directory, not a file"], source=source) from None
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read file ({exc.strerror})"], source=source) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"{source}: not UTF-8 text (invalid byte at offset {exc.start})"
        raise ConfigError([problem], source=source) from None
    return load_config_text(text, source=source, base_dir=file.parent, environ=environ)


def load_config_text(
    text: str,
    *,
    source: str = "<string>",
    base_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Check TOML ``text`` as if it were a config file named ``source``.

    Args:
        text: the TOML document.
        source: the name errors and warnings start with.
        base_dir: the directory relative SQLite paths are resolved against;
            the current directory when ``None``.
        environ: where ``env:NAME`` secrets are looked up; ``os.environ`` by default.

    Raises:
        ConfigError: the text is not TOML or has any invalid key.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(source, exc)], source=source) from None
    converter = make_converter(os.environ if environ is None else environ)
    try:
        config = converter.structure(raw, NodeConfig)
    except Exception as exc:
        problems = [f"{source}: {line}" for line in render_problems(exc, raw)]
        raise ConfigError(problems, source=source) from None
    base = Path.cwd() if base_dir is None else Path(base_dir)
    config = _resolve_paths(config, base.absolute())
    warnings = tuple(f"{source}: {warning}" for warning in config_warnings(config))
    return LoadedConfig(config=config, warnings=warnings)


def _syntax_problem(source: str, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    match = _TOML_POSITION.fullmatch(message)
    if match is None:
        return f"{source}: TOML syntax error: {message}"
    where = f"line {match['line']}, column {match['col']}" if match["line"] else "end of file"
    return f"{source}: {where}: TOML syntax error: {match['msg']}"


def _resolve_database(database: DatabaseConfig, base_dir: Path) -> DatabaseConfig:
    path = database.path
    if path is None and database.type == "sqlite":
        path = Path(DEFAULT_SQLITE_FILE)
    if path is None:
        return database
    path = path.expanduser()
    return attrs.evolve(database, path=path if path.is_absolute() else base_dir / path)


def _resolve_client_paths(
    clients: dict[ClientId, ClientConfig], base_dir: Path
) -> dict[ClientId, ClientConfig]:
    """Relative ``Path`` settings of adapters are relative to the config file's directory."""
    resolved = {}
    for client_id, client in clients.items():
        settings: Any = client.settings
        if attrs.has(type(settings)):
            changes = {
                field.name.lstrip("_"): value.expanduser()
                if value.expanduser().is_absolute()
                else base_dir / value.expanduser()
                for field in attrs.fields(type(settings))
                if isinstance(value := getattr(settings, field.name), Path)
            }
            if changes:
                client = attrs.evolve(client, settings=attrs.evolve(settings, **changes))
        resolved[client_id] = client
    return resolved


def _resolve_paths(config: NodeConfig, base_dir: Path) -> NodeConfig:
    cache = attrs.evolve(config.cache, database=_resolve_database(config.cache.database, base_dir))
    message_bus = config.message_bus
    if message_bus.database is not None:
        database = _resolve_database(message_bus.database, base_dir)
        message_bus = attrs.evolve(message_bus, database=database)
    return attrs.evolve(
        config,
        cache=cache,
        message_bus=message_bus,
        data_clients=_resolve_client_paths(config.data_clients, base_dir),
        exec_clients=_resolve_client_paths(config.exec_clients, base_dir),
    )
