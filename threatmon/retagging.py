"""`threatmon retag`'s loop: read stale items, tag them, write the verdicts, batch by batch.

Tagging and writing are the two halves of a retag's cost (about even for a
broad lexicon change at a million items, bench/bench_retag.py), and each runs
on one core. So with `tag_workers` >= 1 the tagging happens in helper
processes while this process writes the previous batch: a bounded pipeline
(at most `tag_workers + 1` batches tagged ahead), read and written in id
order. Each batch is written in its own transaction, as before, so an
interrupted retag loses at most the batches in flight and the next run picks
up every item still carrying another lexicon version.

A helper loads the lexicon itself, from the same settings; a batch tagged
with any other lexicon version than the one this process checked (the files
changed in between), or a helper that fails to start or dies, stops the
retag before that batch is written.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import Engine

from indicators.models import Tags
from indicators.store import collector, read, write
from threatmon.settings import Settings
from threatmon.tagging import LexiconTagging, tagging_for

BATCH = 5000  # items per read, tagging job and write transaction
# Fewer stale items than this many batches are tagged in-process: a helper's
# start (imports, lexicon load, ~1 s) would cost more than it saves.
POOL_FROM_BATCHES = 2

Verdicts = list[tuple[int, Tags]]
Job = list[tuple[int, str, str, str]]  # (id, title, summary, lang): what a helper is sent


class RetagStopped(RuntimeError):
    """The helpers could not tag a batch as this process would have: nothing of it is written."""


_helper_tagging: LexiconTagging | None = None


def _start_helper(settings: Settings) -> None:
    """Helper process start: load the lexicon once (from the cache folder when it can)."""
    global _helper_tagging
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to handle
    _helper_tagging = tagging_for(settings, strict=True)


def _tag_job(job: Job) -> tuple[str, Verdicts]:
    """Helper side: the verdicts of one batch, with the lexicon version that made them."""
    tagging = _helper_tagging
    if tagging is None:  # pragma: no cover - the pool's initializer always runs first
        raise RuntimeError("retag helper started without its lexicon")
    return tagging.version, [(i, tagging.tag(t, s, lang)) for i, t, s, lang in job]


def _stale_batches(engine: Engine, version: str, batch: int) -> Iterator[list[read.ItemText]]:
    """The stale items in id order, `batch` at a time, each read in a short transaction."""
    after_id = 0
    while True:
        with engine.connect() as conn:
            found = read.items_to_retag(conn, version, after_id=after_id, limit=batch)
        if not found:
            return
        after_id = found[-1].id
        yield found


def _tagged_here(
    tagging: LexiconTagging, batches: Iterator[list[read.ItemText]]
) -> Iterator[Verdicts]:
    for found in batches:
        yield [(i.id, tagging.tag(i.title, i.summary, i.lang)) for i in found]


def _tagged_by_helpers(
    settings: Settings, version: str, workers: int, batches: Iterator[list[read.ItemText]]
) -> Iterator[Verdicts]:
    """Verdicts of each batch in order, tagged by `workers` helper processes ahead of use."""
    spawn = multiprocessing.get_context("spawn")  # no fork of a process holding connections
    pool = ProcessPoolExecutor(workers, spawn, initializer=_start_helper, initargs=(settings,))
    try:
        ahead: deque[Future[tuple[str, Verdicts]]] = deque()
        for found in batches:
            ahead.append(pool.submit(_tag_job, [(i.id, i.title, i.summary, i.lang) for i in found]))
            if len(ahead) > workers:
                yield _checked(ahead.popleft(), version)
        while ahead:
            yield _checked(ahead.popleft(), version)
    finally:  # also when the writer fails or Ctrl-C stops it: drop the batches not started
        pool.shutdown(wait=True, cancel_futures=True)


def _checked(job: Future[tuple[str, Verdicts]], version: str) -> Verdicts:
    try:
        used, verdicts = job.result()
    except BrokenProcessPool as exc:  # a helper failed to load the lexicon, or was killed
        raise RetagStopped(
            f"a tagging helper stopped ({exc}); the batches it held were not written: "
            "check the lexicon files (`threatmon lexicon check`) and run `threatmon retag` again, "
            "or set tag_workers to 0"
        ) from exc
    if used != version:
        raise RetagStopped(
            f"the lexicon changed during the retag ({version} -> {used}); "
            "nothing of this batch was written: run `threatmon retag` again"
        )
    return verdicts


def retag_stale(
    engine: Engine,
    tagging: LexiconTagging,
    settings: Settings,
    *,
    stale: int,
    progress: Callable[[int], None] = lambda n: None,
    batch: int = BATCH,
) -> int:
    """Re-tag every item not tagged with `tagging`'s version; returns how many were written.

    `stale` (the count of such items, for the progress bar) decides whether
    helper processes are worth starting (`settings.tag_workers`, 0: never).
    """
    version = tagging.version
    batches = _stale_batches(engine, version, batch)
    workers = settings.tag_workers if stale >= POOL_FROM_BATCHES * batch else 0
    tagged = (
        _tagged_by_helpers(settings, version, workers, batches)
        if workers
        else _tagged_here(tagging, batches)
    )
    written = 0
    for verdicts in tagged:
        with collector.paused(), engine.begin() as conn:
            written += write.replace_tags_many(conn, verdicts, version)
        progress(len(verdicts))
    return written
