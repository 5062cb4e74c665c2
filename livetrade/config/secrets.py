"""``Secret``: a password or API key that cannot leak through ``repr``, ``str`` or a log.

Redaction lives in the type, not in each log call: whatever formats a
``Secret`` sees ``***``. Code that really needs the value calls ``reveal()``,
which is easy to find in a review.

In a TOML file a secret is either written literally or, better, referenced as
``env:NAME`` and read from the environment when the file is loaded.
"""

from __future__ import annotations

import hmac
from typing import Final, final

__all__ = ["ENV_PREFIX", "MASK", "Secret", "env_variable_name"]

MASK: Final = "***"
ENV_PREFIX: Final = "env:"


@final
class Secret:
    """A string that shows as ``***`` everywhere except through ``reveal()``."""

    __slots__ = ("_value",)

    _value: str

    def __init__(self, value: str) -> None:
        if type(value) is not str:
            raise TypeError(f"Secret holds a str, not {type(value).__name__}")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """Return the clear value; call it only where the value is sent to its owner."""
        return self._value

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if type(other) is not Secret:
            return NotImplemented
        # Constant-time comparison: equality on secrets should not leak timing.
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))


def env_variable_name(text: str) -> str | None:
    """Return ``NAME`` for a TOML value ``env:NAME``, or ``None`` for a literal secret."""
    if text.startswith(ENV_PREFIX):
        return text[len(ENV_PREFIX) :]
    return None
