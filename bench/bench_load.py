"""Many analysts at once: the dashboard under `threatmon serve --workers N`, at 1M items.

    .venv/bin/python bench/bench_load.py [--analysts 20] [--workers 4] [--seconds 90]
                                         [--think 2.0] [--items N] [--db PATH | --db-url URL]

`bench_server.py` times one browser's filter changes, one request after
another. A team is different: several analysts click at the same time, and
what they wait for is the slowest of the server's processes to get to them.
This starts the real production server (`threatmon serve --workers N`,
gunicorn, on 127.0.0.1 and the port it picks) on the benchmark store, then
runs `--analysts` simulated analysts, each in its own process with its own
HTTP connection and its own copy of the page (`bench_server.Renderer`: the
callback requests Dash's renderer would send). Each analyst, until
`--seconds` have passed, opens a view (any of the dashboard's views, chosen
at random), makes one to three filter changes on it (by link or by the
controls, as `bench_server.plan` makes them) and then thinks for a random
time around `--think` seconds (0: no pause, a stress test, not a team).

Printed: per view, the p50/p95/p99 of a filter change (every callback it
sets off, end to end) and of opening the view; the requests per second the
server answered; the peak resident memory of the server's processes
(the master and every worker, summed). Exit status 1 when a view's p95 or
the overall p95 reaches `--budget-ms` (default 300 ms), or any request fails.

The client processes share the machine's cores with the server: on a
2-core machine the figures are an upper bound on what a browser elsewhere
would see.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_dashboard import ensure_store, percentile  # noqa: E402
from bench_server import ALL_VIEWS as VIEWS  # noqa: E402
from bench_server import Renderer, apply, plan  # noqa: E402

BANNER = re.compile(r"dashboard on http://127\.0\.0\.1:(\d+)/")

Sample = tuple[str, str, float]  # (view, "open" or "change", milliseconds)


# --- the server -------------------------------------------------------------------------------


@contextmanager
def production_server(db_url: str, workers: int) -> Iterator[tuple[int, str]]:
    """`threatmon serve --workers N` on a free loopback port; yield (master pid, base URL)."""
    log: list[str] = []
    env = {**os.environ, "THREATMON_DB": db_url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from threatmon.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--workers",
            str(workers),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert proc.stderr is not None
        port = None
        for line in proc.stderr:
            found = BANNER.search(line)
            if found:
                port = found.group(1)
                break
        if port is None:
            raise RuntimeError(f"the dashboard server did not start (exit {proc.wait()})")
        # keep reading the server's log, so a full pipe never blocks it; shown at the end
        drain = threading.Thread(target=lambda: log.extend(proc.stderr or ()), daemon=True)
        drain.start()
        yield proc.pid, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if log:
            print("server log (last lines):", *log[-10:], sep="\n  ", end="")


def process_tree(pid: int) -> list[int]:
    """`pid` and its children (gunicorn's workers), read from /proc."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def peak_mb(pids: list[int]) -> float:
    """Sum of the peak resident sets (VmHWM) of `pids`, in MB."""
    total = 0.0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


# --- one analyst ------------------------------------------------------------------------------


def analyst(base_url: str, seed: int, deadline: float, think: float) -> tuple[list[Sample], int]:
    """One simulated analyst until `deadline` (time.time()); (samples, failed requests)."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    failures = 0
    with httpx.Client(base_url=base_url, timeout=120) as http:
        feed_ids: list[int] = []
        while time.time() < deadline:
            name, path = rng.choice(VIEWS)
            try:
                page = Renderer(http)
                t0 = time.perf_counter()
                page.open(path)
                samples.append((name, "open", (time.perf_counter() - t0) * 1000))
                if not feed_ids:
                    options = page.get("f-source", "options") or []
                    feed_ids = [int(o["value"]) for o in options]
                for change in plan(rng, feed_ids, rng.randint(1, 3)):
                    if time.time() >= deadline:
                        break
                    t0 = time.perf_counter()
                    apply(page, change)
                    samples.append((name, "change", (time.perf_counter() - t0) * 1000))
                    if think:
                        time.sleep(rng.uniform(0.25 * think, 1.75 * think))
            except (httpx.HTTPError, RuntimeError) as exc:
                failures += 1
                print(f"analyst {seed}: {name}: {exc}", file=sys.stderr)
    return samples, failures


def _analyst_star(args: tuple[str, int, float, float]) -> tuple[list[Sample], int]:
    return analyst(*args)


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace, db_url: str) -> int:
    with production_server(db_url, args.workers) as (pid, base_url):
        # every worker builds its app after the fork: wait until one answers
        with httpx.Client(base_url=base_url, timeout=120) as http:
            http.get("/healthz").raise_for_status()
        started = time.time()
        deadline = started + args.seconds
        jobs = [(base_url, args.seed + i, deadline, args.think) for i in range(args.analysts)]
        with multiprocessing.get_context("fork").Pool(args.analysts) as pool:
            results = pool.map(_analyst_star, jobs)
        elapsed = time.time() - started
        memory = peak_mb(process_tree(pid))
    samples = [s for found, _ in results for s in found]
    failures = sum(f for _, f in results)
    return report(args, samples, failures, elapsed, memory)


def report(
    args: argparse.Namespace,
    samples: list[Sample],
    failures: int,
    elapsed: float,
    memory: float,
) -> int:
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for name, kind, ms in samples:
        by[name, kind].append(ms)
    changes = [ms for _, kind, ms in samples if kind == "change"]
    print(
        f"\n{args.analysts} analysts for {elapsed:.0f} s against `threatmon serve --workers "
        f"{args.workers}` (think time ~{args.think:g} s): {len(changes)} filter changes, "
        f"{len(samples) - len(changes)} views opened, {failures} failures"
    )
    print(
        f"{'view':<15}{'changes':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'open p50':>10}{'open p95':>10}"
    )
    worst = 0.0
    for name, _ in VIEWS:
        values = by.get((name, "change"), [])
        opened = by.get((name, "open"), [])
        if not values:
            print(f"{name:<15}{0:>8}")
            continue
        p95 = percentile(values, 95)
        worst = max(worst, p95)
        print(
            f"{name:<15}{len(values):>8}{percentile(values, 50):>9.0f}{p95:>9.0f}"
            f"{percentile(values, 99):>9.0f}"
            f"{percentile(opened, 50) if opened else 0:>10.0f}"
            f"{percentile(opened, 95) if opened else 0:>10.0f}"
        )
    overall = percentile(changes, 95) if changes else float("inf")
    print(
        f"{'all views':<15}{len(changes):>8}{percentile(changes, 50) if changes else 0:>9.0f}"
        f"{overall:>9.0f}{percentile(changes, 99) if changes else 0:>9.0f}"
    )
    print(f"server processes' peak resident memory, summed: {memory:,.0f} MB")
    ok = failures == 0 and max(worst, overall) < args.budget_ms
    print(
        f"{'OK' if ok else 'OVER BUDGET'}: p95 {max(worst, overall):.0f} ms, the worst view's "
        f"(budget {args.budget_ms:.0f}); {failures} failed"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--analysts", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between changes")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to build or reuse")
    parser.add_argument("--db-url", default=None, help="an existing store (e.g. PostgreSQL)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--budget-ms", type=float, default=300.0)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    if args.db_url:
        db_url = args.db_url
    else:
        db = args.db or ROOT / "var" / f"bench-{args.items}.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        ensure_store(db, args.items, args.data_dir)
        db_url = f"sqlite:///{db}"
    return run(args, db_url)


if __name__ == "__main__":
    sys.exit(main())
