"""When each feed is next due, and the thin APScheduler wrapper around `run_due_feeds`.

Scheduling state (next due time, error streak) lives on the feed rows, not in
APScheduler job stores: one interval job wakes up every minute, asks the store
which feeds are due, and runs them. `--once` calls the same function.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)

MIN_DELAY = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=24)
JITTER = 0.1  # +-10% on a healthy feed's interval, so feeds do not all fire together


def next_due(
    now: datetime,
    interval: timedelta,
    consecutive_errors: int,
    retry_after: float | None,
    rng: random.Random,
) -> datetime:
    """The next time a feed should be fetched.

    Healthy feed: `interval` with +-10% jitter. Failing feed: exponential
    backoff (interval x 2^(errors-1), capped at 24 h) with "equal jitter"
    (between half and all of it), so a dead host is not hammered and many
    failing feeds do not retry in lockstep. A server's Retry-After is a floor.
    The result always lies between now + 1 minute and now + max(24 h, interval).
    """
    ceiling = max(MAX_BACKOFF, interval)
    if consecutive_errors <= 0:
        delay = interval * (1 + rng.uniform(-JITTER, JITTER))
    else:
        exponent = min(consecutive_errors - 1, 16)
        backoff = min(interval * (2**exponent), ceiling)
        delay = backoff / 2 + (backoff / 2) * rng.random()
    if retry_after is not None and retry_after > 0:
        delay = max(delay, timedelta(seconds=retry_after))
    delay = min(max(delay, MIN_DELAY), ceiling)
    return now + delay


def then_after(
    run_due: Callable[[], object], after_cycle: Callable[[object], object]
) -> Callable[[], object]:
    """`run_due`, then `after_cycle(its result)` (e.g. early-warning detection).

    A failing `after_cycle` is logged and swallowed: whatever happens after a
    cycle (the caller records its own failures) must never stop the fetching.
    The callable is passed down by the caller, so ingest imports nothing of it.
    """

    def cycle() -> object:
        result = run_due()
        try:
            after_cycle(result)
        except Exception:
            log.exception("the step after the ingest cycle failed; ingest goes on")
        return result

    return cycle


@dataclass(frozen=True)
class SideJob:
    """Another periodic job next to the feed cycle (e.g. sending alert notifications).

    It runs in its own job, so a slow one never delays fetching; the caller
    passes the callable down, so ingest imports nothing of it.
    """

    id: str
    run: Callable[[], object]
    seconds: int = 60


def make_scheduler(
    run_due: Callable[[], object],
    *,
    blocking: bool,
    poll_seconds: int = 60,
    after_cycle: Callable[[object], object] | None = None,
    side_jobs: Sequence[SideJob] = (),
) -> BaseScheduler:
    """A scheduler with one non-overlapping job that runs the due feeds.

    `max_instances=1` and `coalesce=True`: if a run takes longer than the poll
    interval, missed wake-ups collapse into one and runs never overlap.
    The first run starts immediately. `after_cycle` runs after each cycle in
    the same job (see `then_after`), so it never overlaps a cycle either.
    Each of `side_jobs` is a separate non-overlapping interval job, run in
    the scheduler's thread pool alongside the cycle.
    """
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone=UTC)
    scheduler.add_job(
        run_due if after_cycle is None else then_after(run_due, after_cycle),
        "interval",
        seconds=poll_seconds,
        id="run_due_feeds",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
        misfire_grace_time=None,
    )
    for job in side_jobs:
        scheduler.add_job(
            job.run,
            "interval",
            seconds=job.seconds,
            id=job.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    return scheduler


class StopFlag:
    """Set by SIGINT/SIGTERM: the current feed batches finish, no new feed starts."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()
