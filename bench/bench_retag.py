"""`threatmon retag` over the benchmark store: the whole command, as an operator runs it (issue 10).

Two cases, each on a copy of the store (the original stays as the other
benchmarks expect it):

- "broad change": a local overlay adds common reporting verbs ("заявил",
  "said", "мәлімдеді") as counter_measures terms, so a large share of the
  items change categories and many change relevance (close to the worst case:
  every changed item moves its summary rows);
- "back without it": the overlay removed, so the same items move back;
- "nothing moves": every item marked stale with no lexicon change, so every
  item is re-tagged and re-written but no verdict moves (the floor; a real
  lexicon edit lies between this and the broad change).

The issue's target is a million items in under 5 minutes.

Run: python bench/bench_retag.py [--items 1000000] [--db var/bench-1000000.db]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import ensure_store, stored_items  # noqa: E402

TARGET_S_PER_MILLION = 300
THREATMON = Path(sys.executable).parent / "threatmon"


def mark_stale(db: Path, version: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE items SET lexicon_version = ?", (version,))


BROAD_OVERLAY = """version: "2026.12.1"
axis: category
ids:
  counter_measures:
    ru: [заявил, сообщил]
    kk: [мәлімдеді, хабарлады]
    en: [said, reported]
"""


def timed_retag(db: Path, data_dir: Path, overlay: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(THREATMON), "retag", "--db", f"sqlite:///{db}"],
        check=True,
        env={
            "THREATMON_DATA_DIR": str(data_dir),
            "THREATMON_LEXICON_OVERLAY": str(overlay),
            "PATH": str(THREATMON.parent),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    args = parser.parse_args()
    source = args.db or ROOT / "var" / f"bench-{args.items}.db"
    source.parent.mkdir(parents=True, exist_ok=True)
    ensure_store(source, args.items, args.data_dir)
    count = stored_items(source)
    copy = source.with_name(source.stem + "-retag.db")
    overlay = source.with_name("bench-retag-overlay.yaml")
    try:
        shutil.copyfile(source, copy)
        overlay.write_text(BROAD_OVERLAY, encoding="utf-8")
        rows = [("broad change", timed_retag(copy, args.data_dir, overlay))]
        overlay.unlink()
        rows.append(("back without it", timed_retag(copy, args.data_dir, overlay)))
        mark_stale(copy, "bench-tweak")
        rows.append(("nothing moves", timed_retag(copy, args.data_dir, overlay)))
    finally:
        overlay.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    print(f"threatmon retag of {count:,} items ({source.name})")
    for label, seconds in rows:
        per_million = seconds * 1_000_000 / count
        verdict = "meets" if per_million <= TARGET_S_PER_MILLION else "misses"
        print(
            f"  {label:<22} {seconds:7.1f} s  {count / seconds:8,.0f} items/s  "
            f"{per_million / 60:5.1f} min per million ({verdict} the 5 min target)"
        )


if __name__ == "__main__":
    main()
