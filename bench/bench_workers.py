"""Several ingest workers on one PostgreSQL database (issue 9): exactly once, and how fast.

A throw-away PostgreSQL cluster (tests/pgserver.py) and N feeds served on
127.0.0.1: most answer at once, some after a delay, some with 304, some with
500. Three runs of `threatmon ingest --once`, each on a fresh database:

1. one worker;
2. W workers started together;
3. W workers, one killed with SIGKILL in the middle: its feeds must be taken
   over by the others once their leases (`--lease` seconds) run out.

Each run checks the invariants (every feed has exactly one fetch run, no
item is stored twice, detection ran once) and reports the wall time and
feeds per second. Loopback only; bounded by the timeouts below.

Run: python bench/bench_workers.py [--feeds 500] [--workers 4] [--lease 5]
(`make bench` uses the default; the issue's 2,000 feeds take about four
times as long.)
"""

from __future__ import annotations

import argparse
import http.server
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.feedgen import numbered_feed  # noqa: E402
from tests.pgserver import postgres_server  # noqa: E402

ITEMS_PER_FEED = 3
DELAY = 0.5  # seconds, for the slow feeds
RUN_TIMEOUT = 900  # seconds per run: the bench is bounded


def kind_of(n: int) -> str:
    """What feed number n does: 5% fail, 5% answer 304, 10% are slow, the rest are quick."""
    return {0: "error", 1: "not_modified", 2: "slow", 3: "slow"}.get(n % 20, "ok")


class FeedServer:
    """The N feeds on a threaded 127.0.0.1 server, counting the requests per feed."""

    def __init__(self, feeds: int) -> None:
        self.hits: Counter[int] = Counter()
        self.bodies = [numbered_feed(ITEMS_PER_FEED, prefix=f"f{n}") for n in range(feeds)]
        lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                n = int(self.path.lstrip("/f"))
                with lock:
                    outer.hits[n] += 1
                kind = kind_of(n)
                if kind == "slow":
                    time.sleep(DELAY)
                status = {"error": 500, "not_modified": 304}.get(kind, 200)
                body = outer.bodies[n] if status == 200 else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/f{n}"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "threatmon.cli", *args]


def fresh_database(server_url: str, name: str) -> str:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


def prepare(db: str, feeds: FeedServer, count: int, folder: Path, lease: float) -> dict[str, str]:
    lines = [f'[[feeds]]\nname = "feed {n}"\nurl = "{feeds.url(n)}"\n' for n in range(count)]
    path = folder / "feeds.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    env = os.environ | {
        "THREATMON_DB": db,
        "THREATMON_ALLOW_PRIVATE_HOSTS": "1",
        "THREATMON_LOG_LEVEL": "WARNING",
        "THREATMON_LEASE_SECONDS": str(lease),
    }
    subprocess.run(command("init", "--feeds", str(path)), env=env, check=True, capture_output=True)
    feeds.hits.clear()
    return env


def scalar(db: str, sql: str) -> int:
    engine = create_engine(db)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def check(db: str, count: int) -> list[str]:
    """The invariants of a finished run; the broken ones, as sentences."""
    problems = []
    not_once = scalar(
        db,
        "SELECT count(*) FROM feeds f WHERE (SELECT count(*) FROM fetch_runs r "
        "WHERE r.feed_id = f.id) <> 1",
    )
    if not_once:
        problems.append(f"{not_once} feeds without exactly one fetch run")
    items = scalar(db, "SELECT count(*) FROM items")
    distinct = scalar(db, "SELECT count(DISTINCT guid) FROM items")
    quick = sum(kind_of(n) in ("ok", "slow") for n in range(count))
    if not items == distinct == quick * ITEMS_PER_FEED:
        problems.append(f"{items} items, {distinct} distinct, {quick * ITEMS_PER_FEED} expected")
    if scalar(db, "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL"):
        problems.append("leases left behind")
    detections = scalar(db, "SELECT count(*) FROM detection_runs")
    if detections != 1:
        problems.append(f"{detections} detection runs, expected 1")
    return problems


def run_workers(
    env: dict[str, str], workers: int, *, kill_after_runs: int | None = None, db: str = ""
) -> tuple[float, set[int]]:
    """Start `workers` `ingest --once` processes; wait for all. With `kill_after_runs`,
    SIGKILL the first one once that many fetch runs are stored; returns the wall time and
    the feeds it held when killed."""
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            command("ingest", "--once", "--worker-id", f"w{k}"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for k in range(workers)
    ]
    held: set[int] = set()
    if kill_after_runs is not None:
        deadline = time.monotonic() + RUN_TIMEOUT
        while scalar(db, "SELECT count(*) FROM fetch_runs") < kill_after_runs:
            if time.monotonic() > deadline:
                raise SystemExit("the workers never got that far")
            time.sleep(0.05)
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        engine = create_engine(db)
        with engine.connect() as conn:
            held = {
                int(r[0])
                for r in conn.execute(text("SELECT id FROM feeds WHERE lease_owner = 'w0'"))
            }
        engine.dispose()
    for proc in procs:
        proc.wait(RUN_TIMEOUT)
    return time.perf_counter() - started, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--lease", type=float, default=5.0)
    args = parser.parse_args()
    feeds = FeedServer(args.feeds)
    failures: list[str] = []
    with postgres_server() as server, tempfile.TemporaryDirectory() as tmp:
        print(f"{args.feeds} feeds on 127.0.0.1 (5% 500, 5% 304, 10% {DELAY} s slow), PostgreSQL")
        rates: dict[str, float] = {}
        for label, workers, kill in (
            ("1 worker", 1, False),
            (f"{args.workers} workers", args.workers, False),
            (f"{args.workers} workers, one killed", args.workers, True),
        ):
            db = fresh_database(server, f"bench{len(rates)}")
            env = prepare(db, feeds, args.feeds, Path(tmp), args.lease)
            seconds, held = run_workers(
                env, workers, kill_after_runs=args.feeds // 4 if kill else None, db=db
            )
            problems = check(db, args.feeds)
            if kill:
                by_others = scalar(
                    db,
                    "SELECT count(*) FROM fetch_runs WHERE worker_id <> 'w0' AND feed_id IN "
                    f"({','.join(map(str, held)) or 'NULL'})",
                )
                if by_others != len(held):
                    problems.append(f"{len(held) - by_others} of the killed worker's feeds lost")
                label += f" ({len(held)} feeds held at the kill, all taken over)"
            refetched = sum(1 for hits in feeds.hits.values() if hits > 1)
            rates[label] = args.feeds / seconds
            print(
                f"{label:<58} {seconds:7.1f} s  {rates[label]:6.1f} feeds/s  "
                f"{refetched} feeds requested twice  "
                + ("ok" if not problems else "FAILED: " + "; ".join(problems))
            )
            failures += problems
        one, many = list(rates.values())[:2]
        print(
            f"throughput {args.workers} workers vs 1: x{many / one:.2f} (2 cores on this machine)"
        )
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
