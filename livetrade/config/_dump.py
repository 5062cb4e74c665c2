"""Render a ``NodeConfig`` as TOML text: every key, defaults included, secrets masked.

This is what ``livetrade check`` prints, so a user sees exactly what the node
would run with. Unset keys are shown commented out as ``# key = (unset)``.
Apart from masked secrets the output loads back to an equal configuration.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

import attrs

from livetrade.config._checks import bare_key
from livetrade.config.clients import ClientConfig
from livetrade.config.node import NodeConfig
from livetrade.config.secrets import MASK, Secret
from livetrade.model.identifiers import Identifier

__all__ = ["dump_config"]

_UNSET = "(unset)"


def _string(text: str) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes.
    return json.dumps(text, ensure_ascii=False)


def _value(value: Any) -> str:
    """One TOML value (inline form)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, Secret):
        return _string(MASK)
    if isinstance(value, Enum):
        return _value(value.value)
    if isinstance(value, Identifier | Decimal | PurePath):
        return _string(str(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{bare_key(str(k))} = {_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    if attrs.has(type(value)):
        return _value(_fields(value))
    return _string(str(value))


def _fields(obj: Any) -> dict[str, Any]:
    """An attrs instance's values by key; a client's adapter sits beside its settings."""
    if isinstance(obj, ClientConfig):
        if not attrs.has(type(obj.settings)):  # built in Python with a plain object
            return {"adapter": obj.adapter, "settings": repr(obj.settings)}
        return {"adapter": obj.adapter, **_fields(obj.settings)}
    return {field.name: getattr(obj, field.name) for field in attrs.fields(type(obj))}


def _is_table_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(attrs.has(type(v)) for v in value)


def _is_subtable(value: object) -> bool:
    return attrs.has(type(value)) or (isinstance(value, dict) and bool(value))


def _emit(
    lines: list[str], header: str | None, values: dict[str, Any], array: bool = False
) -> None:
    """Write one table: its plain keys first, then its subtables (TOML requires that order)."""
    plain: list[str] = []
    nested: list[tuple[str, Any]] = []
    for key, value in values.items():
        if value is None:
            plain.append(f"# {bare_key(key)} = {_UNSET}")
        elif _is_table_list(value) or _is_subtable(value):
            nested.append((key, value))
        else:
            plain.append(f"{bare_key(key)} = {_value(value)}")
    # A table holding only subtables needs no header of its own (array items always do).
    if header is not None and (plain or array):
        lines.extend(["", f"[[{header}]]" if array else f"[{header}]"])
    lines.extend(plain)
    for key, value in nested:
        child = f"{header}.{bare_key(key)}" if header else bare_key(key)
        if _is_table_list(value):
            for item in value:
                _emit(lines, child, _fields(item), array=True)
        elif isinstance(value, dict):
            _emit(lines, child, {str(k): v for k, v in value.items()})
        else:
            _emit(lines, child, _fields(value))


def dump_config(config: NodeConfig) -> str:
    """The resolved configuration as TOML text, every key shown, secrets as ``***``."""
    lines = [
        "# Resolved livetrade configuration: every key with the value the node uses.",
        f"# '# key = {_UNSET}' marks a key with no value; secrets are shown as {MASK!r}.",
    ]
    _emit(lines, None, _fields(config))
    return "\n".join(lines) + "\n"
