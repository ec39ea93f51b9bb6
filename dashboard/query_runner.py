"""Run a view's independent store queries side by side.

A filter change runs half a dozen queries (totals, counts per axis, series,
newest items) that do not depend on each other. SQLite and the PostgreSQL
driver release the interpreter lock while the database works, so on a
machine with two cores or more they overlap: at 1M items the Overview's
queries took p95 77 -> 56 ms with two threads (in-process, the benchmark's
filter changes). Each call takes its own pooled connection; nothing is
shared but the engine.

The calling thread works too (the first call, then whatever no pool thread
has picked up), so `threads=1` or a single call is plain sequential code and
a busy server loses only a thread hand-off. When a call raises, `all`
raises that exception in the caller and the other results are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class QueryRunner:
    """`all(f, g, h)` -> [f(), g(), h()], computed on up to `threads` threads at once."""

    def __init__(self, threads: int = 2) -> None:
        if threads < 1:
            raise ValueError(f"query threads must be at least 1, not {threads}")
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None

    def _executor(self) -> ThreadPoolExecutor:
        # Created on first use: an app built before a fork starts no thread in the parent.
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="tm-query")
        return self._pool

    def all(self, *calls: Callable[[], Any]) -> list[Any]:
        """The results of `calls`, in order.

        The calling thread runs the first call, then every call no pool thread
        has started yet (newest first), so no thread sits waiting while work
        is queued.
        """
        if self.threads == 1 or len(calls) < 2:
            return [call() for call in calls]
        pool = self._executor()
        futures = [pool.submit(call) for call in calls[1:]]
        results: list[Any] = [None] * len(calls)
        try:
            results[0] = calls[0]()
            for i in range(len(futures), 0, -1):
                if futures[i - 1].cancel():  # not started: do it here
                    results[i] = calls[i]()
            for i, future in enumerate(futures, start=1):
                if not future.cancelled():
                    results[i] = future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return results
