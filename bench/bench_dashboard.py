"""Dashboard latency and memory on a large generated store.

    .venv/bin/python bench/bench_dashboard.py [--items 1000000] [--db PATH] [--changes 150]
                                              [--server]

Builds (or reuses) a SQLite store of synthetic items (threatmon.demo_history,
tagged by the real tagger when the lexicon is available), then replays
`--changes` varied filter changes. One change runs every query the Overview,
Trends and Regions views need for the new filters:

  overview: totals now and in the previous period, per-category counts now
            and before, per-category daily series (sparklines), top regions,
            top platforms, the 10 newest relevant items
  trends:   per-category series (day/week/month, items or stories) and the
            ingested volume for the per-1,000 share
  regions:  per-region counts and the region x category matrix

The Organizations view (`indicators.actor_activity.most_active`: its counts,
series, co-occurrences and newest items) is timed on its own line per change.

It prints p50/p95 per change and per query, and the peak RSS of the
querying process (the store is built in a child process, so building does
not count). Exit status 1 when p95 (of a change, or of the Organizations
view) >= 300 ms or RSS >= 500 MB.

`--server` measures through the real Dash server instead (bench_server.py):
callbacks, figures, JSON and HTTP included, and the server's own peak RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indicators.actor_activity import most_active  # noqa: E402
from indicators.selection import Filters  # noqa: E402
from indicators.store import queries  # noqa: E402
from indicators.store.engine import make_engine  # noqa: E402
from indicators.store.method_trends import method_months  # noqa: E402
from indicators.store.migrations import upgrade  # noqa: E402

P95_BUDGET_MS = 300.0
RSS_BUDGET_MB = 500.0
END = date(2026, 11, 20)  # fixed, so a reused database matches the filters below
DAYS = 180
SEARCHES = ("теракт", "Telegram", "DDoS", "кибершабуыл", "учения", "ransomware", "Алматы", "FATF")


def _tagger(data_dir: Path) -> tuple[Any, str | None, str]:
    """The real tagger bound to the lexicon, or None (generator labels) if unavailable."""
    try:
        from indicators.lexicon import load_compiled
        from indicators.tagger import tag
    except ImportError as exc:
        return None, None, f"generator labels (tagger not importable: {exc})"
    try:
        compiled = load_compiled(data_dir)
    except Exception as exc:
        return None, None, f"generator labels (lexicon not loadable: {exc})"

    def run(title: str, summary: str, lang: str) -> Any:
        return tag(title, summary, compiled, lang)

    return run, str(compiled.version), f"real tagger, lexicon {compiled.version}"


def build(db: Path, n: int, data_dir: Path) -> None:
    """Fill `db` with `n` synthetic items (resumes an interrupted build)."""
    from threatmon.demo_history import populate

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    tagger, version, how = _tagger(data_dir)
    print(f"building {db} with {n:,} items over {DAYS} days; {how}", flush=True)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 50_000 < 1000:
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"  {done:>9,} new items  {rate:,.0f}/s", flush=True)

    added = populate(
        engine,
        n,
        days=DAYS,
        seed=0,
        end=END,
        tagger=tagger,
        lexicon_version=version,
        progress=progress,
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    print(f"built: {added:,} new items in {time.perf_counter() - started:,.0f} s", flush=True)


def stored_items(db: Path) -> int:
    if not db.exists():
        return 0
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)  # an older bench file gets the current schema
    return queries.totals(engine, Filters()).items


def build_in_child(db: Path, items: int, data_dir: Path) -> None:
    """Build the benchmark store in a child process, so its memory counts against no
    measurement (the other benchmarks call this too)."""
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--build-only",
            "--items",
            str(items),
            "--db",
            str(db),
            "--data-dir",
            str(data_dir),
        ],
        check=True,
    )


def ensure_store(db: Path, items: int, data_dir: Path) -> None:
    """The store at `db` holds at least `items` items (built when it does not)."""
    if stored_items(db) < items:
        build_in_child(db, items, data_dir)


def random_filters(rng: random.Random, feed_ids: list[int]) -> Filters:
    """A filter change an analyst might make: a period preset plus a few selections."""
    days = rng.choice([7, 7, 30, 30, 30, 90, 180, None])
    start = None if days is None else END - timedelta(days=days - 1)
    pick = rng.random

    def some(pool: tuple[str, ...], p_one: float, p_two: float) -> tuple[str, ...]:
        roll = pick()
        k = 2 if roll < p_two else 1 if roll < p_one else 0
        return tuple(rng.sample(pool, k))

    from indicators.taxonomy import CATEGORY_IDS, KZ_REGION_CODES, PLATFORM_IDS

    return Filters(
        date_from=start,
        date_to=END if days is not None else None,
        categories=some(CATEGORY_IDS, 0.45, 0.15),
        regions=some((*KZ_REGION_CODES, "KZ", "KG", "UZ"), 0.35, 0.10),
        platforms=some(PLATFORM_IDS, 0.12, 0.03),
        langs=tuple(rng.sample(["ru", "kk", "en"], 1)) if pick() < 0.15 else (),
        sources=tuple(rng.sample(feed_ids, 1)) if feed_ids and pick() < 0.10 else (),
        q=rng.choice(SEARCHES) if pick() < 0.10 else "",
    )


def view_queries(
    engine: Any, f: Filters, rng: random.Random
) -> list[tuple[str, Callable[[], Any]]]:
    bounded = f.bounded(date(2000, 1, 1), END) if f.date_to is None else f
    previous = bounded.previous_period()
    granularity = rng.choice(["day", "day", "week", "month"])
    measure = rng.choice(["items", "items", "stories"])
    return [
        ("totals", lambda: queries.totals(engine, f)),
        ("totals_previous", lambda: queries.totals(engine, previous)),
        ("categories", lambda: queries.counts_by(engine, f, "category")),
        ("categories_previous", lambda: queries.counts_by(engine, previous, "category")),
        ("sparklines", lambda: queries.series(engine, f, "category", "day")),
        ("top_regions", lambda: queries.counts_by(engine, f, "region")),
        ("top_platforms", lambda: queries.counts_by(engine, f, "platform")),
        ("newest_items", lambda: queries.items_page(engine, f, limit=10, relevant_only=True)),
        ("trend_series", lambda: queries.series(engine, f, "category", granularity, measure)),
        ("trend_volume", lambda: queries.volume_series(engine, f, granularity)),
        ("trend_methods", lambda: method_months(engine, f)),
        ("region_counts", lambda: queries.counts_by(engine, f, "region")),
        ("region_x_category", lambda: queries.cross_counts(engine, f, "region", "category")),
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(db: Path, changes: int, seed: int) -> int:
    # as the dashboard reads: searches counted from kept facts (queries.with_search_facts)
    engine = queries.with_search_facts(make_engine(f"sqlite:///{db}", read_only=True))
    rng = random.Random(seed)
    feed_ids = [feed_id for feed_id, _ in queries.sources(engine)]
    total_items = queries.totals(engine, Filters()).items
    per_change: list[float] = []
    per_query: dict[str, list[float]] = defaultdict(list)
    slowest: list[tuple[float, Filters]] = []
    organizations: list[float] = []  # the Organizations view, timed on its own
    for _ in range(changes):
        f = random_filters(rng, feed_ids)
        started = time.perf_counter()
        for name, run in view_queries(engine, f, rng):
            t0 = time.perf_counter()
            run()
            per_query[name].append((time.perf_counter() - t0) * 1000)
        elapsed = (time.perf_counter() - started) * 1000
        per_change.append(elapsed)
        slowest.append((elapsed, f))
        t0 = time.perf_counter()
        most_active(engine, f, limit=10, newest=3)
        organizations.append((time.perf_counter() - t0) * 1000)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p50, p95 = percentile(per_change, 50), percentile(per_change, 95)
    print(
        f"\n{total_items:,} stored items, {changes} filter changes "
        f"(each = all Overview + Trends + Regions queries)"
    )
    print(f"{'query':<22}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, values in per_query.items():
        print(
            f"{name:<22}{percentile(values, 50):>10.1f}{percentile(values, 95):>10.1f}"
            f"{max(values):>10.1f}"
        )
    print(f"{'per filter change':<22}{p50:>10.1f}{p95:>10.1f}{max(per_change):>10.1f}")
    org_p95 = percentile(organizations, 95)
    print(
        f"{'organizations view':<22}{percentile(organizations, 50):>10.1f}{org_p95:>10.1f}"
        f"{max(organizations):>10.1f}  (most_active: its every query, not in the line above)"
    )
    print(f"peak RSS of the querying process: {rss_mb:,.0f} MB")
    print("slowest changes:")
    for elapsed, f in sorted(slowest, key=lambda r: -r[0])[:3]:
        print(f"  {elapsed:8.1f} ms  {f.to_params()}")
    ok = p95 < P95_BUDGET_MS and org_p95 < P95_BUDGET_MS and rss_mb < RSS_BUDGET_MB
    verdict = "OK" if ok else "OVER BUDGET"
    print(
        f"{verdict}: p95 {p95:.0f} ms (budget {P95_BUDGET_MS:.0f}), "
        f"RSS {rss_mb:.0f} MB (budget {RSS_BUDGET_MB:.0f})"
    )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="SQLite file to build or reuse (default var/bench-<items>.db)",
    )
    parser.add_argument("--changes", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument(
        "--server",
        action="store_true",
        help="time filter changes through the real dashboard server (bench_server.py)",
    )
    parser.add_argument(
        "--all-views",
        action="store_true",
        help="with --server: every view, not only Overview, Trends and Regions",
    )
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    db = args.db or ROOT / "var" / f"bench-{args.items}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    if args.build_only:
        build(db, args.items, args.data_dir)
        return 0
    have = stored_items(db)
    if have < args.items:
        print(f"{db}: {have:,} items stored, {args.items:,} wanted", flush=True)
        build_in_child(db, args.items, args.data_dir)
    else:
        print(
            f"reusing {db} ({have:,} items); generated "
            f"{datetime.fromtimestamp(db.stat().st_mtime, UTC):%Y-%m-%d %H:%M} UTC"
        )
    if args.server:
        from bench_server import ALL_VIEWS, VIEWS, measure_server

        views = ALL_VIEWS if args.all_views else VIEWS
        return measure_server(db, args.data_dir, args.changes, args.seed, views)
    return measure(db, args.changes, args.seed)


if __name__ == "__main__":
    sys.exit(main())
