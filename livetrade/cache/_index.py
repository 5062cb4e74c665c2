"""Multi-key indexes (key -> set of ids) and the intersection the cache queries use.

A query filtered by venue, instrument, strategy and side intersects one set per
filter. Starting from the smallest set and testing membership in the others
makes its cost follow the smallest matching set, not every item ever seen.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["bucket", "in_added_order", "index_add", "index_discard", "intersect", "select"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V", bound=Hashable)
T = TypeVar("T")

_NOTHING: tuple[()] = ()


def bucket(index: dict[K, set[V]], key: K) -> Collection[V]:
    """The ids under ``key``; an unknown key matches nothing."""
    return index.get(key, _NOTHING)


def index_add(index: dict[K, set[V]], key: K, item: V) -> None:
    """Add ``item`` under ``key``, creating the bucket on first use."""
    bucket = index.get(key)
    if bucket is None:
        index[key] = {item}
    else:
        bucket.add(item)


def index_discard(index: dict[K, set[V]], key: K, item: V) -> None:
    """Remove ``item`` from ``key``'s bucket, dropping the bucket once it is empty.

    Dropping empty buckets keeps a long-running node's indexes from growing with
    every instrument or strategy it ever traded once purges have run.
    """
    bucket = index.get(key)
    if bucket is not None:
        bucket.discard(item)
        if not bucket:
            del index[key]


def intersect(everything: Collection[V], sets: list[Collection[V]]) -> Collection[V]:
    """The ids in every one of ``sets`` (``everything`` when there is none).

    The result may be one of the arguments itself: callers copy before they keep it.
    """
    if not sets:
        return everything
    if len(sets) == 1:
        return sets[0]
    smallest = min(sets, key=len)
    others = [s for s in sets if s is not smallest]
    return [item for item in smallest if all(item in s for s in others)]


def select(
    everything: Collection[V],
    status_set: Collection[V] | None,
    filters: Iterable[tuple[dict[Any, set[V]], object | None]],
) -> Collection[V]:
    """Ids in ``status_set`` (all if None) under every ``(index, key)`` whose key is set.

    May alias an index: callers copy before they keep it.
    """
    sets: list[Collection[V]] = [] if status_set is None else [status_set]
    sets.extend(bucket(index, key) for index, key in filters if key is not None)
    return intersect(everything, sets)


def in_added_order(items: Mapping[V, T], ids: Collection[V], seq: Mapping[V, int]) -> list[T]:
    """The items for ``ids``, oldest added first, so results do not depend on hashing."""
    if ids is items:
        return list(items.values())
    return [items[key] for key in sorted(ids, key=seq.__getitem__)]
