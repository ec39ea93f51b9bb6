"""Early-warning detection time on the 1M-item store that bench_dashboard.py builds.

    .venv/bin/python bench/bench_alerts.py [--items 1000000] [--db PATH] [--runs 7]

Builds (or reuses) the same synthetic store as `bench_dashboard.py` (180 days
ending 2026-11-20), adds two watch rules (one with free text), then times:
- reading every input detection needs (`early_warning.read_inputs`),
- the pure decision step (`detection.detect`),
- a whole `run_detection` (read, detect, write alerts, events, deliveries
  and the run record in one transaction),
at `--runs` moments spread over the store's last week. The alert tables of
the bench store are emptied before and after. Exit status 1 when the slowest
whole run takes 2 s or more.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import END, ensure_store, stored_items  # noqa: E402
from sqlalchemy import delete  # noqa: E402

from indicators import detection, early_warning  # noqa: E402
from indicators.alerts import NotifyTargets  # noqa: E402
from indicators.store import alerts as alert_store  # noqa: E402
from indicators.store.engine import make_engine  # noqa: E402
from indicators.store.schema import ALERT_TABLES  # noqa: E402

BUDGET_S = 2.0


def empty_alert_tables(engine: object) -> None:
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for table in reversed(ALERT_TABLES):
            conn.execute(delete(table))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    db = args.db or ROOT / "var" / f"bench-{args.items}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    ensure_store(db, args.items, args.data_dir)
    engine = make_engine(f"sqlite:///{db}")
    empty_alert_tables(engine)
    alert_store.add_rule(
        engine, "bench: terror in Almaty", {"category": "terrorist_activity", "region": "KZ-75"}
    )
    alert_store.add_rule(engine, "bench: TikTok text", {"platform": "tiktok", "q": "вербовка"})
    cfg = detection.DetectionConfig()
    targets = NotifyTargets(webhooks=("http://127.0.0.1:9/hook",), email_to=("duty@example.org",))
    last = datetime.combine(END, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)
    moments = [last - timedelta(hours=23 * i) for i in reversed(range(args.runs))]
    rows = []
    try:
        for at in moments:
            t0 = time.perf_counter()
            inputs = early_warning.read_inputs(engine, cfg, at)
            t1 = time.perf_counter()
            detection.detect(inputs, {}, {}, cfg, early_warning.default_labeler())
            t2 = time.perf_counter()
            report = early_warning.run_detection(engine, cfg, at=at, targets=targets)
            t3 = time.perf_counter()
            rows.append((at, t1 - t0, t2 - t1, t3 - t2, report))
    finally:
        empty_alert_tables(engine)
    print(f"early-warning detection on {db.name} ({stored_items(db):,} items), {len(rows)} runs")
    print(
        f"{'at (UTC)':<17} {'read':>7} {'detect':>7} {'whole run':>10}  series  opened grew ended"
    )
    for at, read_s, detect_s, run_s, r in rows:
        print(
            f"{at:%Y-%m-%d %H:%M} {read_s * 1000:>5.0f}ms {detect_s * 1000:>5.0f}ms "
            f"{run_s * 1000:>8.0f}ms  {r.series_checked:>6}  {len(r.opened):>6} "
            f"{len(r.grown):>4} {len(r.ended):>5}"
        )
    slowest = max(r[3] for r in rows)
    ok = slowest < BUDGET_S
    print(
        f"{'OK' if ok else 'OVER BUDGET'}: slowest whole run {slowest * 1000:.0f} ms "
        f"(budget {BUDGET_S * 1000:.0f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
