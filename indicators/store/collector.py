"""Python's cyclic garbage collector held back while a bulk write runs.

Why: a feed's batch creates tens of thousands of objects that live until the
transaction ends (parameter rows, summary states, term rows). Every 700 new
objects the collector starts a pass, and as the survivors pile up it runs
full passes over the whole heap (the lexicon, the models, every imported
module) that find nothing to free: on a 5,000-item feed two full passes cost
a tenth of the store's time (bench/bench_ingest.py). Reference counting still
frees everything at once as it always does; only cycles wait, and the
collector, switched back on when the outermost write ends, finds them then.

The collector's switch is process-wide, so nested and concurrent writes
(ingest threads beside the dashboard's) share one count: the first to enter
switches it off if it was on, the last to leave switches it back on. A
collector someone else switched off stays off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restore = False  # whether the outermost writer found the collector on


@contextmanager
def paused() -> Iterator[None]:
    """Hold the cyclic collector back for the duration of the block (see the module)."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
