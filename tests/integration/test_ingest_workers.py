"""Several `threatmon ingest` processes on one database share the feeds and the detection job.

Real child processes of the command line, a real threaded HTTP server on
127.0.0.1 whose feeds answer slowly (so the workers overlap), and a real
SQLite file or a throw-away PostgreSQL server.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug import Request, Response

from indicators.store.engine import make_engine
from indicators.store.schema import detection_runs, feeds, fetch_runs, items
from tests.feedgen import numbered_feed

pytestmark = pytest.mark.slow

ITEMS_PER_FEED = 3
GATE_TIMEOUT = 120  # seconds: the slowest start-up of a worker the gated tests accept


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "threatmon.cli", *args]


def once_worker(name: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """A real `threatmon ingest --once` process named `name`, its output piped as text."""
    return subprocess.Popen(
        command("ingest", "--once", "--worker-id", name),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path}/workers.db"


def serve_feeds(
    server,
    tmp_path: Path,
    n: int,
    delay: float,
    env: dict[str, str],
    gate: threading.Event | None = None,
    gated_from: int = 0,
) -> Counter[str]:
    """`n` feeds on the server, each answering after `delay` s (and, with `gate`, feeds
    from number `gated_from` on not before it is set), loaded with `threatmon init`;
    returns the server's count of requests per path."""
    hits: Counter[str] = Counter()
    lines = []
    for i in range(n):
        body = numbered_feed(ITEMS_PER_FEED, prefix=f"w{i}")

        def handle(request: Request, body: bytes = body, gated: bool = i >= gated_from) -> Response:
            hits[request.path] += 1
            if gate is not None and gated:
                gate.wait(GATE_TIMEOUT)
            time.sleep(delay)
            return Response(body, content_type="application/rss+xml")

        server.expect_request(f"/w{i}").respond_with_handler(handle)
        lines.append(f'[[feeds]]\nname = "feed {i}"\nurl = "{server.url_for(f"/w{i}")}"\n')
    path = tmp_path / "feeds.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    init = subprocess.run(
        command("init", "--feeds", str(path)), env=env, capture_output=True, text=True, timeout=120
    )
    assert init.returncode == 0, init.stderr
    return hits


def environment(db: str, **extra: str) -> dict[str, str]:
    return os.environ | {
        "THREATMON_DB": db,
        "THREATMON_ALLOW_PRIVATE_HOSTS": "1",
        "THREATMON_LOG_LEVEL": "WARNING",
        "THREATMON_CONCURRENCY": "2",
        # a gated fetch may wait for the other worker's start, however slow the machine
        "THREATMON_FETCH_DEADLINE": str(GATE_TIMEOUT + 30),
        **extra,
    }


def open_when_both_hold_feeds(db: str, names: tuple[str, str], gate: threading.Event) -> None:
    """Set `gate` once every worker in `names` holds a feed lease.

    The feeds answer only then, so each worker has claimed feeds (and begun its
    run) before any feed is stored: both take part and neither starts after the
    other finished, whatever the machine's load makes of their start-up times.
    """
    deadline = time.monotonic() + GATE_TIMEOUT
    try:
        while not set(names) <= {r[0] for r in table_rows(db, feeds.c.lease_owner)}:
            assert time.monotonic() < deadline, f"both workers claimed feeds: {names}"
            time.sleep(0.1)
    finally:
        gate.set()


def table_rows(db: str, *columns, join=None) -> list[tuple]:
    query = select(*columns)
    if join is not None:
        query = query.select_from(join)
    engine = make_engine(db)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query).all()]
    engine.dispose()
    return rows


def test_two_once_workers_fetch_every_feed_exactly_once_and_detect_once(
    threaded_httpserver, tmp_path: Path, db: str
) -> None:
    feeds_count = 12
    env = environment(db)
    gate = threading.Event()
    hits = serve_feeds(threaded_httpserver, tmp_path, feeds_count, 0.2, env, gate)
    names = ("worker-a", "worker-b")
    workers = [once_worker(name, env) for name in names]
    try:
        open_when_both_hold_feeds(db, names, gate)
    finally:
        outputs = [w.communicate(timeout=GATE_TIMEOUT + 120) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    runs = table_rows(db, fetch_runs.c.feed_id, fetch_runs.c.worker_id, fetch_runs.c.status)
    assert len(runs) == feeds_count, "one fetch run per feed, over both workers"
    assert sorted(r[0] for r in runs) == sorted({r[0] for r in runs})
    assert set(hits.values()) == {1}, "the feed server saw each feed requested once"
    assert len(hits) == feeds_count
    by_worker = Counter(r[1] for r in runs)
    assert set(by_worker) == {"worker-a", "worker-b"}, by_worker
    for name, (out, _err) in zip(("worker-a", "worker-b"), outputs, strict=True):
        assert f"{by_worker[name]} feeds: {by_worker[name]} ok" in out
    [(total, distinct)] = table_rows(db, func.count(), func.count(func.distinct(items.c.guid)))
    assert total == distinct == feeds_count * ITEMS_PER_FEED
    assert table_rows(db, feeds.c.lease_owner, feeds.c.lease_until) == [(None, None)] * feeds_count
    assert {r[0] for r in table_rows(db, feeds.c.last_worker)} == {"worker-a", "worker-b"}
    assert len(table_rows(db, detection_runs.c.id)) == 1, "detection once, not once per worker"
    listing = subprocess.run(
        command("feeds", "list"), env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert listing.count("last fetched by worker-") == feeds_count


def test_a_once_worker_started_late_does_not_fetch_again_what_the_first_stored(
    threaded_httpserver, tmp_path: Path, db: str
) -> None:
    """Cron on two machines: worker-b starts after worker-a has stored some feeds. It joins
    a's cycle, so no feed is fetched twice. The later feeds answer only once worker-b holds
    one, which keeps worker-a's cycle in progress until worker-b has joined it."""
    feeds_count, ungated = 8, 4
    env = environment(db)
    gate = threading.Event()
    hits = serve_feeds(threaded_httpserver, tmp_path, feeds_count, 0.1, env, gate, ungated)
    first = once_worker("worker-a", env)
    workers = [first]
    try:
        deadline = time.monotonic() + GATE_TIMEOUT
        while len(table_rows(db, fetch_runs.c.id)) < 2:  # worker-a stored feeds already
            assert time.monotonic() < deadline, "worker-a stored its first feeds"
            time.sleep(0.05)
        workers.append(once_worker("worker-b", env))
        deadline = time.monotonic() + GATE_TIMEOUT
        while "worker-b" not in {r[0] for r in table_rows(db, feeds.c.lease_owner)}:
            assert time.monotonic() < deadline, "worker-b claimed a feed"
            time.sleep(0.05)
    finally:
        gate.set()
        outputs = [w.communicate(timeout=GATE_TIMEOUT + 120) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    assert dict(hits) == {f"/w{i}": 1 for i in range(feeds_count)}, "each feed requested once"
    runs = table_rows(db, fetch_runs.c.feed_id, fetch_runs.c.worker_id)
    assert sorted(r[0] for r in runs) == sorted({r[0] for r in runs})
    assert len(runs) == feeds_count
    assert {r[1] for r in runs} == {"worker-a", "worker-b"}
    joined = r"joining the --once cycle other workers began at \d\d:\d\d:\d\d UTC"
    assert re.search(joined, outputs[1][1]), outputs[1][1]
    assert "joining" not in outputs[0][1], "worker-a began the cycle"


def test_a_killed_worker_s_feed_is_taken_by_another_after_the_lease(
    threaded_httpserver, tmp_path: Path, db: str
) -> None:
    stuck = threading.Event()  # set: the slow feed hangs until released
    stuck.set()
    release = threading.Event()
    lease = 6  # renewed every 2 s: a busy machine may delay a renewal by seconds
    env = environment(db, THREATMON_LEASE_SECONDS=str(lease))
    serve_feeds(threaded_httpserver, tmp_path, 2, 0.0, env)
    body = numbered_feed(ITEMS_PER_FEED, prefix="slow")

    def slow(_request: Request) -> Response:
        if stuck.is_set():
            release.wait(60)
        return Response(body, content_type="application/rss+xml")

    threaded_httpserver.expect_request("/slow").respond_with_handler(slow)
    added = subprocess.run(
        command("feeds", "add", threaded_httpserver.url_for("/slow"), "--name", "slow"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    doomed = subprocess.Popen(
        command("ingest", "--once", "--worker-id", "doomed"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while ("slow", "doomed") not in table_rows(db, feeds.c.name, feeds.c.lease_owner):
            assert time.monotonic() < deadline, "the worker claimed the slow feed"
            time.sleep(0.1)
        # a second worker, while the first holds the slow feed (and renews its lease)
        rescue = once_worker("rescue", env)
        lines: list[str] = []
        waiting = threading.Event()

        def read_stderr() -> None:
            for line in rescue.stderr:
                lines.append(line)
                if re.search(r"waiting for [12] feed\(s\) other workers hold: doomed", line):
                    waiting.set()

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        assert waiting.wait(90), "".join(lines)
        time.sleep(lease + 1)  # longer than the lease: still the first worker's, renewed
        assert ("slow", "doomed") in table_rows(db, feeds.c.name, feeds.c.lease_owner)
    finally:
        doomed.kill()  # SIGKILL: no clean-up, the lease stays behind
        doomed.wait(30)
        stuck.clear()
        release.set()
    with rescue.stdout, rescue.stderr:
        out = rescue.stdout.read()
        assert rescue.wait(120) == 0, "".join(lines)
        reader.join(30)
    runs = table_rows(
        db,
        fetch_runs.c.worker_id,
        fetch_runs.c.status,
        feeds.c.name,
        join=fetch_runs.join(feeds, fetch_runs.c.feed_id == feeds.c.id),
    )
    slow_runs = [r[:2] for r in runs if r[2] == "slow"]
    assert slow_runs == [("rescue", "ok")], "the killed worker stored nothing; rescue took it"
    # rescue joined the killed worker's cycle: what that worker stored is not fetched again
    assert sorted(r[2] for r in runs) == ["feed 0", "feed 1", "slow"], runs
    by_rescue = sum(1 for r in runs if r[0] == "rescue")
    assert f"{by_rescue} feeds: {by_rescue} ok" in out, out
    [(total, distinct)] = table_rows(db, func.count(), func.count(func.distinct(items.c.guid)))
    assert total == distinct == 3 * ITEMS_PER_FEED, "every feed's items, none twice"
    assert table_rows(db, feeds.c.lease_owner) == [(None,)] * 3


def test_two_scheduler_workers_fetch_each_due_feed_once_per_interval(
    threaded_httpserver, tmp_path: Path, db: str
) -> None:
    feeds_count = 10
    env = environment(db)
    gate = threading.Event()
    hits = serve_feeds(threaded_httpserver, tmp_path, feeds_count, 0.2, env, gate)
    names = ("sched-a", "sched-b")
    workers = [
        subprocess.Popen(
            command("ingest", "--worker-id", name),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    try:
        open_when_both_hold_feeds(db, names, gate)
        deadline = time.monotonic() + 90
        while len(table_rows(db, fetch_runs.c.id)) < feeds_count:
            assert time.monotonic() < deadline, "every feed fetched"
            time.sleep(0.2)
        time.sleep(2)  # both workers' first cycles are over: a second fetch would show now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        errors = [worker.communicate(timeout=60)[1] for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    runs = table_rows(db, fetch_runs.c.feed_id, fetch_runs.c.worker_id)
    assert len(runs) == feeds_count == len({feed for feed, _ in runs})
    assert set(hits.values()) == {1} and len(hits) == feeds_count
    assert {worker for _, worker in runs} == {"sched-a", "sched-b"}
    [(total, distinct)] = table_rows(db, func.count(), func.count(func.distinct(items.c.guid)))
    assert total == distinct == feeds_count * ITEMS_PER_FEED
