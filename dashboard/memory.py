"""Keep the dashboard server's resident memory from growing with its threads.

The server answers each request on a new thread (gunicorn workers on a few).
glibc's allocator gives threads their own heaps ("arenas", up to eight per
core) and keeps what was freed in them mapped, so a process whose requests
briefly need tens of megabytes (an emerging-terms count, a long item page)
ends up holding that much once per arena. Two arenas bound it: at 1M items,
every view through the server (`bench_dashboard.py --server --all-views`),
peak RSS 265 -> 189 MB with the same latencies. Elsewhere (musl, macOS) there
is no such setting and nothing changes.
"""

from __future__ import annotations

import ctypes
from typing import Any

M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS, libc: Any = None) -> bool:
    """Cap the allocator's arenas for threads started from now on; True if it took effect.

    Call before the server starts its threads. `libc` is for tests; by default
    the C library this process runs on.
    """
    try:
        lib = libc if libc is not None else ctypes.CDLL(None)
        mallopt = lib.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
