"""Jobs that run once per ingest cycle for the whole team of workers, not once per worker.

Alert detection looks at the last day of news in the whole store, so after
a cycle in which four workers each fetched a quarter of the feeds, one run
is right and four are waste (and four at once compete for the database).
After its cycle a worker takes the job's lease (`indicators/store/leases.py`;
waiting while another worker runs it), then runs the job when `worth_running`
says so, and records the newest fetch run the job has seen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from indicators.store import leases

log = logging.getLogger(__name__)

DETECTION_JOB = "detection"
MIN_GAP = timedelta(minutes=1)  # the scheduler's poll interval: one run per cycle at most


def worth_running(
    *,
    new_fetch_runs: bool,
    others_fetching: bool,
    last_finished_at: datetime | None,
    now: datetime,
    min_gap: timedelta = MIN_GAP,
) -> bool:
    """Whether a worker that just ended its cycle should run the shared job (pure).

    Nothing fetched since the job's last run: no. Otherwise yes when no other
    worker is still fetching (the team's cycle is over: the last worker to
    finish runs it, and sees everything), and also when one is but the last
    run is `min_gap` old, so a team that is never idle all at once still runs
    the job about once per cycle.
    """
    if not new_fetch_runs:
        return False
    if not others_fetching:
        return True
    return last_finished_at is None or now - last_finished_at >= min_gap


def once_per_cycle(
    engine: Engine,
    job: str,
    worker: str,
    lease_seconds: float,
    run: Callable[[object], object],
    *,
    poll: float = 0.2,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Callable[[object], None]:
    """`run(cycle result)` wrapped so that one worker of the team runs it per cycle.

    A cycle that fetched nothing (an empty list) needs no run from this worker
    (whoever fetched will consider it). Otherwise: take the job's lease,
    waiting up to `lease_seconds` while another worker holds it (then give
    up: that worker runs it now, and the next cycle catches up); decide with
    `worth_running`; run, keeping the lease alive; record the run and release
    the lease, also when `run` raises (the exception goes on to the caller).
    """
    lease = timedelta(seconds=lease_seconds)

    def after(cycle_result: object) -> None:
        if isinstance(cycle_result, list) and not cycle_result:
            return
        give_up = time.monotonic() + lease_seconds
        while not leases.claim_job(engine, job, worker, clock(), clock() + lease):
            if time.monotonic() >= give_up:
                log.info("%s: another worker holds the job; leaving it to them", job)
                return
            time.sleep(poll)
        started = clock()
        ran = False
        mark = 0
        try:
            state = leases.job_state(engine, job)
            mark = leases.newest_fetch_run(engine)
            others = leases.held_elsewhere(engine, worker, started)
            if not worth_running(
                new_fetch_runs=mark > ((state.mark if state else None) or 0),
                others_fetching=bool(others),
                last_finished_at=state.last_finished_at if state else None,
                now=started,
            ):
                return
            ran = True
            with _kept_alive(engine, job, worker, lease, clock):
                run(cycle_result)
        finally:
            leases.finish_job(
                engine,
                job,
                worker,
                started_at=started if ran else None,
                finished_at=clock(),
                mark=mark,
            )

    return after


class _kept_alive:
    """Renews the job's lease every third of its length while the job runs."""

    def __init__(
        self, engine: Engine, job: str, worker: str, lease: timedelta, clock: Callable[[], datetime]
    ) -> None:
        self._stop = threading.Event()

        def beat() -> None:
            while not self._stop.wait(lease.total_seconds() / 3):
                try:
                    leases.renew_job(engine, job, worker, clock() + lease)
                except Exception:
                    log.exception("%s: renewing the job lease failed", job)

        self._thread = threading.Thread(target=beat, name=f"{job}-lease", daemon=True)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
