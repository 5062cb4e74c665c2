"""Shared pytest configuration.

pytest-trio wraps every failure of an async test in an ExceptionGroup; unwrap a
group of one so tracebacks are short and ``pytest.raises``/xfail match.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    try:
        return (yield)
    except BaseExceptionGroup as group:
        leaves = list(_leaves(group))
        if len(leaves) == 1:
            raise leaves[0] from None
        raise
