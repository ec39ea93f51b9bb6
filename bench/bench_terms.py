"""Emerging terms on the 1M-item store that bench_dashboard.py builds.

    .venv/bin/python bench/bench_terms.py [--items 1000000] [--db PATH] [--repeat 3]

Builds (or reuses) the same synthetic store as `bench_dashboard.py` (180 days
ending 2026-11-20); opening it with this code stores the term hashes of its
relevant items (migration 5) if they are missing. Then times
`emerging_report.emerging_terms` over the last 90 days (the last 7 against
the 83 before, as `threatmon terms emerging` and the dashboard run it) for a
few selections an analyst makes: everything, one category, one region, one
language, free text. Prints each selection's time (best and worst of
`--repeat`), the relevant items counted, the top terms, the size of the
stored hashes and the peak RSS. Exit status 1 when the slowest run takes 2 s
or more.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import END, ensure_store, stored_items  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from indicators.emerging_report import emerging_terms  # noqa: E402
from indicators.lexicon import load_compiled  # noqa: E402
from indicators.selection import Filters  # noqa: E402
from indicators.stopwords import load_stop_words  # noqa: E402
from indicators.store.engine import make_engine  # noqa: E402
from indicators.store.schema import item_terms  # noqa: E402

BUDGET_S = 2.0
WINDOW_DAYS = 90


def selections() -> list[tuple[str, Filters]]:
    start = END - timedelta(days=WINDOW_DAYS - 1)
    base = Filters(date_from=start, date_to=END)
    return [
        ("all relevant items", base),
        ("category terrorist_activity", Filters(start, END, categories=("terrorist_activity",))),
        ("region KZ-75", Filters(start, END, regions=("KZ-75",))),
        ("language kk", Filters(start, END, langs=("kk",))),
        ("text 'Telegram'", Filters(start, END, q="Telegram")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    db = args.db or ROOT / "var" / f"bench-{args.items}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    ensure_store(db, args.items, args.data_dir)  # also upgrades: stores missing term hashes
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows, size = conn.execute(
            select(func.count(), func.sum(func.length(item_terms.c.terms)))
        ).one()
    compiled = load_compiled(args.data_dir)
    stop = load_stop_words(args.data_dir)
    print(
        f"emerging terms on {db.name} ({stored_items(db):,} items; term hashes of "
        f"{rows:,} relevant items, {(size or 0) / 2**20:,.0f} MiB), last {WINDOW_DAYS} days "
        f"to {END}, 7 recent days against the earlier ones"
    )
    print(f"{'selection':<30} {'best':>7} {'worst':>7} {'items now':>10} {'before':>8}  top terms")
    slowest = 0.0
    for label, f in selections():
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = emerging_terms(engine, f, compiled, stop, recent_days=7, limit=30)
            times.append(time.perf_counter() - t0)
        slowest = max(slowest, *times)
        top = ", ".join(t.term for t in report.terms[:4])
        print(
            f"{label:<30} {min(times) * 1000:>5.0f}ms {max(times) * 1000:>5.0f}ms "
            f"{report.items_now:>10,} {report.items_before:>8,}  {top}"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = slowest < BUDGET_S
    print(f"peak RSS {rss_mb:,.0f} MB")
    print(
        f"{'OK' if ok else 'OVER BUDGET'}: slowest run {slowest * 1000:.0f} ms "
        f"(budget {BUDGET_S * 1000:.0f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
