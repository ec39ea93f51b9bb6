"""How the dashboard's cost grows with the store: the server benchmark at several sizes (issue 10).

    .venv/bin/python bench/bench_growth.py [--sizes 100000,300000,1000000] [--changes 60]

The same seeded filter changes as `bench_dashboard.py --server --all-views`
are replayed through the real server on benchmark stores of each size (built
once by `bench_dashboard.py`'s generator over the same 180 days, so a larger
store has more items per day, as a busier installation would; kept in
`var/bench-<size>.db`). Printed: each view's p95 per size, and the growth
exponent between the smallest and the largest store, log(p95 ratio) /
log(size ratio): 1 means the cost grows in step with the items (a scan), 0
that it does not grow at all (a summary the size of the taxonomy). Exit
status 1 when any view, or all views together, grow linearly or worse
(exponent >= 1), which is the issue's "sub-linear" criterion.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_dashboard import ensure_store, percentile  # noqa: E402
from bench_server import ALL_VIEWS, replay  # noqa: E402


def exponent(small: float, large: float, n_small: int, n_large: int) -> float:
    """The power k with large = small * (n_large / n_small) ** k."""
    return math.log(max(large, 1e-9) / max(small, 1e-9)) / math.log(n_large / n_small)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if len(sizes) < 2:
        parser.error("--sizes needs at least two sizes")
    p95: dict[str, dict[int, float]] = {}
    peak: dict[int, float] = {}
    for size in sizes:
        db = ROOT / "var" / f"bench-{size}.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        ensure_store(db, size, args.data_dir)
        print(f"{size:,} items: {args.changes} filter changes on each view", flush=True)
        done = replay(db, args.data_dir, args.changes, args.seed, ALL_VIEWS)
        for view, values in done.per_view.items():
            p95.setdefault(view, {})[size] = percentile(values, 95)
        everything = [ms for values in done.per_view.values() for ms in values]
        p95.setdefault("all views", {})[size] = percentile(everything, 95)
        peak[size] = done.memory["VmHWM"]
    head = "".join(f"{f'{size:,}':>12}" for size in sizes)
    print(f"\np95 ms per filter change\n{'view':<16}{head}{'exponent':>10}")
    worst = -math.inf
    for view, by_size in p95.items():
        k = exponent(by_size[sizes[0]], by_size[sizes[-1]], sizes[0], sizes[-1])
        worst = max(worst, k)
        cells = "".join(f"{by_size[size]:>12.1f}" for size in sizes)
        print(f"{view:<16}{cells}{k:>10.2f}")
    cells = "".join(f"{peak[size]:>12.0f}" for size in sizes)
    print(f"{'peak RSS MB':<16}{cells}")
    ok = worst < 1
    print(
        f"{'OK' if ok else 'NOT SUB-LINEAR'}: the steepest growth exponent is {worst:.2f} "
        f"(1 = in step with the items)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
