"""Feed and job leases in the store, on SQLite and PostgreSQL: who may fetch what, and when."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from indicators.models import FeedFields
from indicators.store import leases, queries, read, write
from indicators.store.schema import feeds, fetch_runs
from ingest.shared_jobs import once_per_cycle, worth_running

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def add_feeds(engine: Engine, n: int) -> list[int]:
    return write.upsert_feeds(
        engine, [FeedFields(url=f"https://example.org/{i}.xml", name=f"feed {i}") for i in range(n)]
    )


def claim(engine: Engine, worker: str, now: datetime = T0, limit: int = 10, **kw) -> list[int]:
    return [f.id for f in leases.claim_feeds(engine, worker, now, now + LEASE, limit=limit, **kw)]


def state_after_fetch(now: datetime) -> write.FeedState:
    return write.FeedState(
        last_fetched_at=now, last_status="ok", next_due_at=now + timedelta(minutes=30),
        consecutive_errors=0, last_success_at=now,
    )  # fmt: skip


def store_fetch(engine: Engine, feed_id: int, worker: str, now: datetime) -> None:
    write.store_feed_batch(
        engine,
        feed_id,
        (),
        write.FetchRunRecord(started_at=now, duration_ms=5, status="ok", worker_id=worker),
        state_after_fetch(now),
        lexicon_version="t",
        worker=worker,
    )


def test_two_workers_claim_different_feeds_up_to_their_free_slots(store: Engine) -> None:
    ids = add_feeds(store, 5)
    first = claim(store, "a", limit=3)
    second = claim(store, "b", limit=3)
    assert first == ids[:3], "most overdue first (never fetched), then by id"
    assert second == ids[3:], "only what nobody holds"
    assert claim(store, "c") == []
    owners = {f.id: f.lease_owner for f in read.list_feeds(store)}
    assert owners == {**dict.fromkeys(ids[:3], "a"), **dict.fromkeys(ids[3:], "b")}


def test_a_lease_that_ran_out_is_taken_by_the_next_worker(store: Engine) -> None:
    [feed] = add_feeds(store, 1)
    assert claim(store, "a") == [feed]
    assert claim(store, "b", now=T0 + LEASE) == [], "still a's at the very end of the lease"
    assert claim(store, "b", now=T0 + LEASE + timedelta(seconds=1)) == [feed]
    [row] = read.list_feeds(store)
    assert (row.lease_owner, row.lease_until) == ("b", T0 + 2 * LEASE + timedelta(seconds=1))


def test_renewing_keeps_the_feed_and_only_the_holder_can_renew(store: Engine) -> None:
    [feed] = add_feeds(store, 1)
    claim(store, "a")
    later = T0 + timedelta(minutes=5)
    assert leases.renew_feeds(store, "b", [feed], later) == 0
    assert leases.renew_feeds(store, "a", [feed], later) == 1
    assert claim(store, "b", now=T0 + LEASE + timedelta(seconds=1)) == []
    assert claim(store, "b", now=later + timedelta(seconds=1)) == [feed]


def test_storing_the_batch_ends_the_lease_and_names_the_worker(store: Engine) -> None:
    [feed, other] = add_feeds(store, 2)
    claim(store, "a", limit=1)
    store_fetch(store, feed, "a", T0 + timedelta(seconds=3))
    row = read.get_feed(store, feed)
    assert row is not None
    assert (row.lease_owner, row.lease_until, row.last_worker) == (None, None, "a")
    with store.connect() as conn:
        assert conn.execute(select(fetch_runs.c.worker_id)).scalars().all() == ["a"]
    assert claim(store, "b", now=T0 + timedelta(seconds=4)) == [other], (
        "the stored feed is not due again"
    )
    [health] = [h for h in queries.feed_health(store, now=T0) if h.id == feed]
    assert (health.last_worker, health.fetching_by) == ("a", None)
    [busy] = [h for h in queries.feed_health(store, now=T0) if h.id == other]
    assert busy.fetching_by == "b"


def test_a_worker_whose_lease_was_taken_over_leaves_the_feed_state_to_the_new_holder(
    store: Engine,
) -> None:
    [feed] = add_feeds(store, 1)
    claim(store, "a")
    late = T0 + LEASE + timedelta(seconds=1)
    assert claim(store, "b", now=late) == [feed]
    store_fetch(store, feed, "a", late + timedelta(seconds=1))  # a wakes up after all
    row = read.get_feed(store, feed)
    assert row is not None
    assert (row.lease_owner, row.last_fetched_at, row.last_worker) == ("b", None, None)
    with store.connect() as conn:  # a's fetch run is history all the same
        assert conn.execute(select(fetch_runs.c.worker_id)).scalars().all() == ["a"]


def test_once_claims_every_feed_not_fetched_since_it_began_due_or_not(store: Engine) -> None:
    ids = add_feeds(store, 3)
    claim(store, "a", limit=1)
    store_fetch(store, ids[0], "a", T0)  # fetched before the --once run began: due later
    began = T0 + timedelta(seconds=10)
    assert claim(store, "b", now=began) == ids[1:], "due ones only, without --once"
    for feed_id in ids[1:]:
        store_fetch(store, feed_id, "b", began + timedelta(seconds=1))
    assert claim(store, "c", now=began, fetched_before=began) == [ids[0]]
    held = leases.held_elsewhere(store, "d", began, fetched_before=began)
    assert [(h.id, h.owner) for h in held] == [(ids[0], "c")]
    assert leases.held_elsewhere(store, "c", began, fetched_before=began) == []


def test_a_shared_job_has_one_holder_at_a_time(store: Engine) -> None:
    assert leases.claim_job(store, "detection", "a", T0, T0 + LEASE)
    assert not leases.claim_job(store, "detection", "b", T0, T0 + LEASE)
    assert leases.claim_job(store, "detection", "b", T0 + LEASE * 2, T0 + LEASE * 3)
    leases.finish_job(store, "detection", "a", started_at=T0, finished_at=T0, mark=9)
    state = leases.job_state(store, "detection")
    assert state is not None and state.lease_owner == "b" and state.mark is None, (
        "a no longer held it: its finish changes nothing"
    )
    leases.finish_job(store, "detection", "b", started_at=T0, finished_at=T0, mark=7)
    state = leases.job_state(store, "detection")
    assert state is not None
    assert (state.lease_owner, state.last_worker, state.mark) == (None, "b", 7)


@pytest.mark.postgres
def test_on_postgresql_a_claim_skips_rows_another_transaction_has_locked(pg_url: str) -> None:
    from indicators.store.engine import make_engine
    from indicators.store.migrations import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    ids = add_feeds(engine, 4)
    with engine.connect() as other:
        tx = other.begin()  # a worker in the middle of its claim: rows locked, not yet leased
        other.execute(select(feeds.c.id).where(feeds.c.id.in_(ids[:2])).with_for_update())
        other.execute(text("SET LOCAL lock_timeout = '5s'"))
        assert claim(engine, "b") == ids[2:], "no wait, no error: the locked rows are skipped"
        tx.rollback()
    assert claim(engine, "c") == ids[:2]
    engine.dispose()


# --- detection once per cycle -------------------------------------------------------


def test_worth_running() -> None:
    recent, old = T0 - timedelta(seconds=20), T0 - timedelta(minutes=2)
    assert not worth_running(
        new_fetch_runs=False, others_fetching=False, last_finished_at=None, now=T0
    )
    assert worth_running(
        new_fetch_runs=True, others_fetching=False, last_finished_at=recent, now=T0
    )
    assert not worth_running(
        new_fetch_runs=True, others_fetching=True, last_finished_at=recent, now=T0
    ), "the worker still fetching runs it when it ends"
    assert worth_running(new_fetch_runs=True, others_fetching=True, last_finished_at=old, now=T0)
    assert worth_running(new_fetch_runs=True, others_fetching=True, last_finished_at=None, now=T0)


def test_two_workers_ending_their_cycle_together_run_the_job_once(store: Engine) -> None:
    [feed] = add_feeds(store, 1)
    store_fetch(store, feed, "a", T0)
    ran: list[str] = []
    barrier = threading.Barrier(2)

    def job(worker: str) -> None:
        def run(result: object) -> None:
            ran.append(worker)

        after = once_per_cycle(store, "detection", worker, 30, run, poll=0.05)
        barrier.wait()
        after(["a fetch run"])

    threads = [threading.Thread(target=job, args=(w,)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(ran) == 1
    # nothing fetched since: the next cycle's run is skipped, whoever asks
    once_per_cycle(store, "detection", "b", 30, lambda r: ran.append("again"))(["x"])
    assert len(ran) == 1
    store_fetch(store, feed, "b", T0 + timedelta(minutes=30))
    once_per_cycle(store, "detection", "b", 30, lambda r: ran.append("new fetch"))(["x"])
    assert ran[1:] == ["new fetch"]


def test_a_worker_leaves_the_job_to_one_still_fetching_unless_the_last_run_is_old(
    store: Engine,
) -> None:
    feed, busy = add_feeds(store, 2)
    now = datetime.now(UTC)
    store_fetch(store, feed, "a", now)
    ran: list[str] = []
    once_per_cycle(store, "detection", "a", 30, lambda r: ran.append("first"))(["run"])
    assert ran == ["first"]
    claim(store, "b", now=now, limit=1)  # b is fetching `busy` now
    store_fetch(store, feed, "a", now + timedelta(seconds=1))
    once_per_cycle(store, "detection", "a", 30, lambda r: ran.append("a"))(["run"])
    assert ran == ["first"], "b runs it when its feed is stored"
    store_fetch(store, busy, "b", now + timedelta(seconds=2))
    once_per_cycle(store, "detection", "b", 30, lambda r: ran.append("b"))(["run"])
    assert ran == ["first", "b"]
    later = now + timedelta(minutes=2)
    claim(store, "b", now=later, limit=1, fetched_before=now + timedelta(seconds=3))
    store_fetch(store, busy, "c", now + timedelta(seconds=3))
    clock = lambda: later  # noqa: E731  (b holds a feed then; the last run is 2 minutes old)
    once_per_cycle(store, "detection", "a", 30, lambda r: ran.append("late"), clock=clock)(["r"])
    assert ran[-1] == "late", "a team never idle all at once still runs it once a minute"


def test_a_cycle_that_fetched_nothing_does_not_touch_the_job(store: Engine) -> None:
    once_per_cycle(store, "detection", "a", 30, lambda r: pytest.fail("ran"))([])
    assert leases.job_state(store, "detection") is None


def test_a_failing_job_releases_its_lease(store: Engine) -> None:
    [feed] = add_feeds(store, 1)
    store_fetch(store, feed, "a", T0)

    def broken(result: object) -> None:
        raise RuntimeError("detection exploded")

    with pytest.raises(RuntimeError):
        once_per_cycle(store, "detection", "a", 30, broken)(["run"])
    state = leases.job_state(store, "detection")
    assert state is not None and state.lease_owner is None and state.last_worker == "a"


def test_the_sources_view_names_the_last_and_the_current_worker(store: Engine) -> None:
    from dashboard.pages.sources import _worker_lines

    done, busy = add_feeds(store, 2)
    claim(store, "ingest-a", limit=1)
    store_fetch(store, done, "ingest-a", T0)
    claim(store, "ingest-b", limit=1)
    health = {h.id: h for h in queries.feed_health(store, now=T0)}
    assert [line.children for line in _worker_lines(health[done])] == ["by ingest-a"]
    assert [line.children for line in _worker_lines(health[busy])] == ["being fetched by ingest-b"]
    later = {h.id: h for h in queries.feed_health(store, now=T0 + 2 * LEASE)}
    assert _worker_lines(later[busy]) == [], "a lease that ran out names nobody"


def test_feeds_list_names_the_worker_fetching_a_feed_now(tmp_path) -> None:
    from click.testing import CliRunner

    from indicators.store.engine import make_engine
    from threatmon.cli import cli

    env = {"THREATMON_DB": f"sqlite:///{tmp_path}/cli.db", "THREATMON_LOG_LEVEL": "WARNING"}
    empty = tmp_path / "feeds.toml"
    empty.write_text("feeds = []\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--feeds", str(empty)], env=env).exit_code == 0
    assert runner.invoke(cli, ["feeds", "add", "https://example.org/a.xml"], env=env).exit_code == 0
    engine = make_engine(env["THREATMON_DB"])
    now = datetime.now(UTC)
    assert claim(engine, "ingest-7", now=now) == [1]
    engine.dispose()
    listing = runner.invoke(cli, ["feeds", "list"], env=env).output
    until = f"{now + LEASE:%H:%M:%S}"
    assert f"being fetched by ingest-7 (lease until {until} UTC)" in listing


def test_a_worker_is_named_host_and_pid_by_default() -> None:
    import os
    import socket

    from ingest.refresh import IngestConfig
    from threatmon.settings import load_settings
    from threatmon.wiring import ingest_config

    assert IngestConfig().worker_id == f"{socket.gethostname()}:{os.getpid()}"
    named = load_settings(environ={"THREATMON_WORKER_ID": "ingest-east"})
    assert ingest_config(named).worker_id == "ingest-east"
    assert ingest_config(load_settings(environ={})).lease_seconds == 60


def test_a_worker_groups_its_item_with_a_story_another_worker_stored_meanwhile(
    store: Engine,
) -> None:
    from indicators.models import ItemRecord, Tags
    from ingest.refresh import StoryGrouper

    first_feed, second_feed = add_feeds(store, 2)
    now = datetime.now(UTC)
    worker_a, worker_b = StoryGrouper(store, now), StoryGrouper(store, now)

    def item(n: int) -> ItemRecord:
        return ItemRecord(
            guid=f"g{n}", url=f"https://example.org/n/{n}", title="Взрыв в Алматы",
            summary="", published_at=now, fetched_at=now, lang="ru", content_hash=f"h{n}",
            story_key="алмат взрыв", tags=Tags(relevant=True),
        )  # fmt: skip

    with store.begin() as conn:
        [first] = write.insert_items(
            conn, first_feed, [item(1)], lexicon_version="t", assign_story=worker_a.assign
        )
    worker_b.catch_up(store)  # what store_collected does before each batch
    with store.begin() as conn:
        [second] = write.insert_items(
            conn, second_feed, [item(2)], lexicon_version="t", assign_story=worker_b.assign
        )
    with store.connect() as conn:
        stories = dict(conn.execute(text("SELECT id, story_id FROM items")).all())
    assert stories == {first: first, second: first}, "one story, though two workers stored it"


def test_a_once_worker_starting_late_joins_the_cycle_in_progress(store: Engine) -> None:
    """Cron starts workers a few seconds apart: the late one must not fetch again what the
    early one stored before it started, so it takes the cycle's start, not its own."""
    first = leases.join_once_cycle(store, "w1", T0, T0 + LEASE)
    assert first == T0
    a, b, _c = add_feeds(store, 3)
    assert claim(store, "w1", T0, limit=1, fetched_before=first) == [a]
    store_fetch(store, a, "w1", T0 + timedelta(seconds=1))
    late = T0 + timedelta(seconds=3)
    joined = leases.join_once_cycle(store, "w2", late, late + LEASE)
    assert joined == first
    assert claim(store, "w2", late, fetched_before=joined) == [b, _c]  # not `a` again
    # the start as read back from the store names the cycle for renewing and ending it
    leases.renew_once_cycle(store, joined, late + 3 * LEASE)
    assert leases.join_once_cycle(store, "w3", late + 2 * LEASE, late + 3 * LEASE) == first
    leases.end_once_cycle(store, joined, late + timedelta(seconds=1))
    fresh = late + timedelta(seconds=2)
    assert leases.join_once_cycle(store, "w1", fresh, fresh + LEASE) == fresh


def test_a_finished_cycle_lets_the_next_once_run_begin_a_new_one(store: Engine) -> None:
    since = leases.join_once_cycle(store, "w1", T0, T0 + LEASE)
    leases.end_once_cycle(store, since, T0 + timedelta(seconds=5))
    later = T0 + timedelta(seconds=10)
    assert leases.join_once_cycle(store, "w1", later, later + LEASE) == later
    # ending a cycle that is no longer the current one leaves the current one alone
    leases.end_once_cycle(store, since, later)
    assert leases.join_once_cycle(store, "w2", later, later + LEASE) == later


def test_a_cycle_nobody_renews_runs_out_and_renewing_keeps_it(store: Engine) -> None:
    since = leases.join_once_cycle(store, "w1", T0, T0 + LEASE)
    leases.renew_once_cycle(store, since, T0 + 2 * LEASE)
    inside = T0 + LEASE + timedelta(seconds=30)  # past the first lease, within the renewal
    assert leases.join_once_cycle(store, "w2", inside, inside + LEASE) == since
    gone = inside + 2 * LEASE  # everyone stopped renewing: a new cycle
    assert leases.join_once_cycle(store, "w3", gone, gone + LEASE) == gone


def test_two_workers_joining_at_once_share_one_cycle(store: Engine) -> None:
    starts: list[datetime] = []
    barrier = threading.Barrier(2)

    def join(worker: str, offset: int) -> None:
        barrier.wait(5)
        now = T0 + timedelta(milliseconds=offset)
        starts.append(leases.join_once_cycle(store, worker, now, now + LEASE))

    threads = [threading.Thread(target=join, args=(f"w{k}", k)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(starts) == 2 and starts[0] == starts[1]
