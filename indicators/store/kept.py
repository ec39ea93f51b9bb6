"""What a process keeps between queries: bounded, least recently used out first, each
missing entry computed once while other threads asking for it wait.

The dashboard runs a view's queries side by side (`dashboard.query_runner`),
and they all want the same search's match set (`textsearch.exact_matches`)
and counted facts (`match_facts`): without the per-key lock each thread would
compute its own copy at the same moment.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Entries under keys, their total `size` kept within a budget given per store."""

    def __init__(self, size: Callable[[V], int]) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._building: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first (a snapshot)."""
        with self._lock:
            return iter(list(self._entries))

    def values(self) -> list[V]:
        with self._lock:
            return list(self._entries.values())

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def get_or_compute(
        self, key: K, compute: Callable[[], tuple[K, V] | None], budget: int
    ) -> V | None:
        """The entry under `key`, or what `compute` returns: (the key it is true
        under, the value), kept there; None (nothing kept) when it cannot say.
        Only one thread computes a key; the others wait and take its result."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            found = self.get(key)  # computed while this thread waited
            if found is not None:
                return found
            try:
                computed = compute()
            finally:
                with self._lock:
                    self._building.pop(key, None)
        if computed is None:
            return None
        true_under, value = computed
        self.put(true_under, value, budget)
        return value

    def put(self, key: K, value: V, budget: int) -> None:
        """Keep `value` under `key` (true under it), the oldest out beyond `budget`."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            held = sum(self._size(v) for v in self._entries.values())
            while held > budget and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                held -= self._size(dropped)
