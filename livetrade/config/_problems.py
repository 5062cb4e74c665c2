"""Turn the loader's exception tree into one line per problem (EDGE).

cattrs groups the errors of a table in a ``ClassValidationError`` (or an
``IterableValidationError`` for arrays and named tables) and notes on each
sub-exception which key it came from. Walking the tree rebuilds the dotted
TOML path (``exec_engine.inflight_check_interval_ms``, ``strategies[0].path``)
and each leaf says what was expected and what was found.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import attrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)

from livetrade.config._checks import bare_key
from livetrade.config._structure import Problem
from livetrade.errors import ConfigError

__all__ = ["format_path", "render_problems"]

Segment = str | int


def format_path(path: Sequence[Segment]) -> str:
    """``("strategies", 0, "path")`` → ``strategies[0].path``."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += ("." if text else "") + bare_key(segment)
    return text


def _at(path: Sequence[Segment], message: str) -> str:
    where = format_path(path)
    return f"{where}: {message}" if where else message


def _key_note(exc: BaseException) -> AttributeValidationNote | IterableValidationNote | None:
    for note in reversed(getattr(exc, "__notes__", ())):
        if isinstance(note, AttributeValidationNote | IterableValidationNote):
            return note
    return None


def _raw_at(raw: object, path: Sequence[Segment]) -> object:
    """The parsed TOML value at ``path``, or ``None`` when it cannot be followed."""
    for segment in path:
        in_table = isinstance(raw, dict) and segment in raw
        in_array = isinstance(raw, list) and isinstance(segment, int) and segment < len(raw)
        if not (in_table or in_array):
            return None
        raw = raw[segment]  # type: ignore[index]
    return raw


def _unknown_keys(
    exc: ForbiddenExtraKeysError, path: tuple[Segment, ...], raw: object
) -> list[str]:
    known = [field.name for field in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
    lines = []
    for key in sorted(exc.extra_fields):
        value = _raw_at(raw, (*path, key))
        is_table = isinstance(value, dict) or (
            isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
        )
        message = f"unknown {'table' if is_table else 'key'} {key!r}"
        close = difflib.get_close_matches(key, known, n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        lines.append(_at(path, message))
    return lines


def _leaf(
    exc: BaseException, path: tuple[Segment, ...], noted_field: bool, raw: object
) -> list[str]:
    if isinstance(exc, Problem):
        return [_at(path, exc.reason)]
    if isinstance(exc, ConfigError):
        # Schema checks word their problems relative to the table holding the field.
        table = path[:-1] if noted_field else path
        prefix = format_path(table)
        return [f"{prefix}.{problem}" if prefix else problem for problem in exc.problems]
    if isinstance(exc, ForbiddenExtraKeysError):
        return _unknown_keys(exc, path, raw)
    if isinstance(exc, KeyError):
        return [_at(path, "required key is missing")]
    if isinstance(exc, ValueError | TypeError):
        # A validator of an adapter's own settings class, for instance.
        return [_at(path, f"invalid value ({exc})")]
    return [_at(path, f"unexpected {type(exc).__name__} ({exc})")]


def _walk(
    exc: BaseException, path: tuple[Segment, ...], noted_field: bool, raw: object
) -> list[str]:
    if not isinstance(exc, BaseValidationError):
        return _leaf(exc, path, noted_field, raw)
    lines = []
    for sub in exc.exceptions:
        note = _key_note(sub)
        if note is None:
            lines.extend(_walk(sub, path, False, raw))
        elif isinstance(note, AttributeValidationNote):
            lines.extend(_walk(sub, (*path, note.name), True, raw))
        else:
            lines.extend(_walk(sub, (*path, note.index), False, raw))
    return lines


def render_problems(exc: BaseException, raw: Any) -> list[str]:
    """Every problem in ``exc`` as ``<key path>: <what is wrong>``; ``raw`` is the parsed TOML."""
    return _walk(exc, (), False, raw)
