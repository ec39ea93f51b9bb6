"""All SQL about leases: which ingest worker fetches which feed, and who runs a shared job.

Several `threatmon ingest` processes share one database. A worker *claims*
feeds by writing its id and an expiry (`lease_until`) on their rows, in one
statement that skips rows another worker holds: on PostgreSQL the candidate
rows are picked with `SELECT ... FOR UPDATE SKIP LOCKED`, so two workers
claiming at once take different feeds without waiting for each other; on
SQLite the whole UPDATE runs under the database's single write lock, which
makes it just as atomic. The lease ends in the transaction that stores the
feed's batch (`write.store_feed_batch`), so a feed is never free while its
items are half written; a worker killed with `kill -9` never ends it, and
the feed is free again when `lease_until` has passed. A worker renews the
leases of the feeds it is still fetching, so a lease can be short (a crash
is noticed soon) whatever a fetch takes.

Shared jobs (`job_leases`, alert detection) use the same idea on one row per
job: whoever sets the lease runs the job; the row also keeps what the last
run saw, so the next worker can tell whether running again is worth it.

The team's `--once` cycle is one more such row (`ONCE_CYCLE`): its start is
what "not fetched since the run began" means for every worker taking part.
Workers started by cron on several machines never start at the same instant;
with each worker's own start time, one starting a second late fetched again
every feed the others had stored in that second. The first worker of a
cycle writes its start; any worker starting while the cycle is live (its
lease renewed by the workers still at it) joins it and reads that start;
the cycle ends when a worker finds nothing left to fetch or wait for, so the
next `--once` begins a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, Table, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from indicators.store.read import FEED_COLUMNS, FeedRow
from indicators.store.schema import feeds, fetch_runs, job_leases


def _free(table: Table, now: datetime) -> ColumnElement[bool]:
    """Rows nobody holds: never leased, released, or whose holder let the lease run out."""
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def _wanted(now: datetime, fetched_before: datetime | None) -> ColumnElement[bool]:
    """Enabled feeds that are due now, or (a `--once` run) not fetched since it began."""
    if fetched_before is not None:
        recent = or_(feeds.c.last_fetched_at.is_(None), feeds.c.last_fetched_at < fetched_before)
    else:
        recent = or_(feeds.c.next_due_at.is_(None), feeds.c.next_due_at <= now)
    return and_(feeds.c.enabled.is_(True), recent)


def claim_feeds(
    engine: Engine,
    worker: str,
    now: datetime,
    until: datetime,
    *,
    limit: int,
    fetched_before: datetime | None = None,
) -> list[FeedRow]:
    """Lease up to `limit` wanted feeds nobody holds to `worker` until `until`.

    Wanted: due at `now` (most overdue first), or with `fetched_before` every
    enabled feed not fetched since then. Returns the claimed feeds, whose
    rows now name `worker`; another worker's concurrent claim gets others.
    """
    if limit <= 0:
        return []
    candidates = (
        select(feeds.c.id)
        .where(_wanted(now, fetched_before), _free(feeds, now))
        .order_by(feeds.c.next_due_at.is_not(None), feeds.c.next_due_at, feeds.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's compiler leaves it out
    )
    with engine.begin() as conn:
        rows = conn.execute(
            update(feeds)
            .where(feeds.c.id.in_(candidates.scalar_subquery()))
            .values(lease_owner=worker, lease_until=until)
            .returning(*FEED_COLUMNS)
        ).all()
    claimed = [FeedRow(*row) for row in rows]
    # RETURNING follows no ORDER BY: restore the candidates' order.
    return sorted(claimed, key=lambda f: (f.next_due_at is not None, f.next_due_at or now, f.id))


def renew_feeds(engine: Engine, worker: str, feed_ids: Sequence[int], until: datetime) -> int:
    """Extend `worker`'s leases on `feed_ids` (the fetches still running); how many it held."""
    if not feed_ids:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            update(feeds)
            .where(feeds.c.id.in_(list(feed_ids)), feeds.c.lease_owner == worker)
            .values(lease_until=until)
        )
        return int(result.rowcount)


def release_feeds(engine: Engine, worker: str) -> int:
    """End every lease `worker` still holds (a worker stopping early); how many."""
    with engine.begin() as conn:
        result = conn.execute(
            update(feeds)
            .where(feeds.c.lease_owner == worker)
            .values(lease_owner=None, lease_until=None)
        )
        return int(result.rowcount)


@dataclass(frozen=True)
class HeldFeed:
    """A wanted feed another worker holds now."""

    id: int
    name: str
    owner: str
    until: datetime


def held_elsewhere(
    engine: Engine, worker: str, now: datetime, *, fetched_before: datetime | None = None
) -> list[HeldFeed]:
    """Feeds other workers hold at `now` (only wanted ones with `fetched_before`).

    A `--once` run waits for these before it ends; a cycle is over for the
    whole team when, after this worker's own feeds, none is left.
    """
    query = select(feeds.c.id, feeds.c.name, feeds.c.lease_owner, feeds.c.lease_until).where(
        feeds.c.lease_until >= now,
        or_(feeds.c.lease_owner.is_(None), feeds.c.lease_owner != worker),
    )
    if fetched_before is not None:
        query = query.where(_wanted(now, fetched_before))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(feeds.c.id)).all()
    return [HeldFeed(int(r[0]), str(r[1]), str(r[2] or ""), r[3]) for r in rows]


# --- shared jobs -----------------------------------------------------------------------


@dataclass(frozen=True)
class JobState:
    """A shared job's row: when it last ran, by whom, and the newest fetch run it had seen."""

    job: str
    lease_owner: str | None
    lease_until: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_worker: str | None
    mark: int | None


def claim_job(engine: Engine, job: str, worker: str, now: datetime, until: datetime) -> bool:
    """Take `job`'s lease for `worker` until `until`; False while another worker holds it.

    The job's row is created on first use (a concurrent creation loses on the
    primary key and simply reads as "held").
    """
    with engine.begin() as conn:
        taken = conn.execute(
            update(job_leases)
            .where(job_leases.c.job == job, _free(job_leases, now))
            .values(lease_owner=worker, lease_until=until)
        )
        if taken.rowcount == 1:
            return True
        if conn.execute(select(job_leases.c.job).where(job_leases.c.job == job)).first():
            return False
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(job_leases),
                {"job": job, "lease_owner": worker, "lease_until": until},
            )
        return True
    except Exception:  # another worker created the row first: it holds the job
        return False


def renew_job(engine: Engine, job: str, worker: str, until: datetime) -> bool:
    """Extend `worker`'s lease on `job` (a long run); False when it no longer holds it."""
    with engine.begin() as conn:
        result = conn.execute(
            update(job_leases)
            .where(job_leases.c.job == job, job_leases.c.lease_owner == worker)
            .values(lease_until=until)
        )
        return result.rowcount == 1


def finish_job(
    engine: Engine,
    job: str,
    worker: str,
    *,
    started_at: datetime | None,
    finished_at: datetime,
    mark: int | None,
) -> None:
    """End `worker`'s lease on `job`; with `started_at`, record the run and what it saw."""
    values: dict[str, object] = {"lease_owner": None, "lease_until": None}
    if started_at is not None:
        values |= {
            "last_started_at": started_at,
            "last_finished_at": finished_at,
            "last_worker": worker,
            "mark": mark,
        }
    with engine.begin() as conn:
        conn.execute(
            update(job_leases)
            .where(job_leases.c.job == job, job_leases.c.lease_owner == worker)
            .values(**values)
        )


def job_state(engine: Engine, job: str) -> JobState | None:
    """The shared job's row, or None before its first run."""
    with engine.connect() as conn:
        row = conn.execute(select(job_leases).where(job_leases.c.job == job)).first()
    return None if row is None else JobState(*row)


def newest_fetch_run(engine: Engine) -> int:
    """The id of the newest fetch run (0 for none): what a shared job's run has seen."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(fetch_runs.c.id), 0))).scalar_one())


# --- the team's `--once` cycle -------------------------------------------------------

ONCE_CYCLE = "ingest-once"  # the job_leases row of the `--once` cycle in progress


def join_once_cycle(engine: Engine, worker: str, now: datetime, until: datetime) -> datetime:
    """The start of the `--once` cycle `worker` takes part in, its lease held until `until`.

    A live cycle (lease not run out) is joined and its start returned; else a
    new one starts at `now`. The first statement writes, so two workers
    starting together are serialized (SQLite's write lock, PostgreSQL's row
    lock) and the second joins the cycle the first began.
    """
    for _attempt in range(2):
        try:
            with engine.begin() as conn:
                began = conn.execute(
                    update(job_leases)
                    .where(job_leases.c.job == ONCE_CYCLE, _free(job_leases, now))
                    .values(
                        lease_owner=worker,
                        lease_until=until,
                        last_started_at=now,
                        last_finished_at=None,
                        last_worker=worker,
                    )
                )
                if began.rowcount == 1:
                    return now
                conn.execute(
                    update(job_leases)
                    .where(job_leases.c.job == ONCE_CYCLE, job_leases.c.lease_until < until)
                    .values(lease_until=until)
                )
                start = conn.execute(
                    select(job_leases.c.last_started_at).where(job_leases.c.job == ONCE_CYCLE)
                ).scalar_one_or_none()
                if start is not None:
                    return start
                conn.execute(
                    insert(job_leases),
                    {
                        "job": ONCE_CYCLE,
                        "lease_owner": worker,
                        "lease_until": until,
                        "last_started_at": now,
                        "last_worker": worker,
                    },
                )
                return now
        except IntegrityError:  # another worker created the row first: join its cycle
            continue
    raise RuntimeError("the --once cycle row could neither be created nor read")


def renew_once_cycle(engine: Engine, since: datetime, until: datetime) -> None:
    """Keep the cycle that began at `since` live until at least `until` (any participant)."""
    with engine.begin() as conn:
        conn.execute(
            update(job_leases)
            .where(
                job_leases.c.job == ONCE_CYCLE,
                job_leases.c.last_started_at == since,
                job_leases.c.lease_until < until,
            )
            .values(lease_until=until)
        )


def end_once_cycle(engine: Engine, since: datetime, now: datetime) -> None:
    """End the cycle that began at `since` (nothing is left to fetch): the next `--once`
    starts a new one. A newer cycle is left alone."""
    with engine.begin() as conn:
        conn.execute(
            update(job_leases)
            .where(job_leases.c.job == ONCE_CYCLE, job_leases.c.last_started_at == since)
            .values(lease_owner=None, lease_until=None, last_finished_at=now)
        )
