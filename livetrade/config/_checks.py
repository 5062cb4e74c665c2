"""Field checks shared by the schema classes.

A ``Check`` is an attrs validator that also *describes* what it accepts
("a non-negative integer (milliseconds)"). The same description is used when a
value built in Python is wrong and when the TOML loader finds a value of the
wrong type, so both paths report a key the same way.

Checks raise ``ConfigError`` whose problem lines start with the attribute name;
the loader prefixes them with the table they were found in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final

import attrs

from livetrade.errors import ConfigError

__all__ = [
    "Check",
    "bare_key",
    "describe",
    "non_negative_int",
    "non_negative_seconds",
    "one_of",
    "positive_int",
    "positive_seconds",
    "token",
]

_MAX_FOUND_LEN: Final = 60
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def describe(value: object) -> str:
    """Render a found value for an error message: its repr (shortened) and its type."""
    text = repr(value)
    if len(text) > _MAX_FOUND_LEN:
        text = text[: _MAX_FOUND_LEN - 3] + "..."
    return f"{text} ({type(value).__name__})"


def bare_key(key: str) -> str:
    """Spell one key of a dotted path as TOML would: bare when it can be, quoted otherwise."""
    if _BARE_KEY.fullmatch(key):
        return key
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@attrs.frozen
class Check:
    """An attrs validator that knows how to say what it expects.

    ``optional`` lets ``None`` through, for keys whose default is "unset".
    """

    expected: str
    accepts: Callable[[object], bool]
    optional: bool = False

    def accepts_value(self, value: object) -> bool:
        """True when ``value`` passes, ``None`` included for optional keys."""
        return (value is None and self.optional) or self.accepts(value)

    def __call__(self, instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not self.accepts_value(value):
            problem = f"{attribute.name}: expected {self.expected}, found {describe(value)}"
            raise ConfigError([problem])


def _as_number(value: object) -> float | None:
    """``value`` as a float when it is a finite int or float (never a bool), else ``None``."""
    if type(value) is int or type(value) is float:
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _unit(unit: str | None) -> str:
    return f" ({unit})" if unit else ""


def non_negative_int(unit: str | None = None, *, optional: bool = False) -> Check:
    """An integer ≥ 0, such as an interval where 0 disables the job."""
    return Check(
        f"a non-negative integer{_unit(unit)}",
        # ``type(v) is int`` rather than isinstance: ``true`` is never a count.
        lambda v: type(v) is int and v >= 0,
        optional,
    )


def positive_int(unit: str | None = None, *, optional: bool = False) -> Check:
    """An integer ≥ 1, such as a queue size or a per-cycle cap."""
    return Check(
        f"a positive integer{_unit(unit)}",
        lambda v: type(v) is int and v >= 1,
        optional,
    )


def non_negative_seconds(*, optional: bool = False) -> Check:
    """A finite number of seconds ≥ 0 (integers are accepted)."""
    return Check(
        "a non-negative number of seconds",
        lambda v: (number := _as_number(v)) is not None and number >= 0,
        optional,
    )


def positive_seconds(*, optional: bool = False) -> Check:
    """A finite number of seconds > 0 (integers are accepted)."""
    return Check(
        "a positive number of seconds",
        lambda v: (number := _as_number(v)) is not None and number > 0,
        optional,
    )


def one_of(*choices: str, optional: bool = False) -> Check:
    """One string out of a closed set, compared exactly (case matters)."""
    listed = ", ".join(repr(c) for c in choices)
    return Check(f"one of {listed}", lambda v: type(v) is str and v in choices, optional)


def token(what: str, *, optional: bool = False) -> Check:
    """A non-empty string without whitespace, such as an instance id or a host name."""
    return Check(
        f"{what} (a non-empty string without whitespace)",
        lambda v: type(v) is str and v != "" and v.isprintable() and v.split() == [v],
        optional,
    )
