"""GROUP BY in numpy, for the counts the store answers from memory.

Used by a search's kept facts (`match_facts`: the rows are items): a row is
spread over the values it holds on a tag axis, as SQL joins a membership
table (a row holding two regions counts under each, a row holding none
drops out), then the measures are summed per distinct key.

Values per row are kept as CSR arrays: row i holds codes[start[i]:start[i+1]].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Decode = Sequence[Any] | Callable[[int], Any]  # code -> value: a lookup table or a function


def spread(
    rows: np.ndarray, carried: list[np.ndarray], start: np.ndarray, codes: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Each of `rows` once per value it holds: (the rows repeated, the `carried` columns
    repeated alike, the value codes as int64)."""
    counts = (start[rows + 1] - start[rows]).astype(np.int64)
    first = np.repeat(start[rows].astype(np.int64), counts)
    # the position of each repeated row among its row's values
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    pick = np.repeat(np.arange(len(rows)), counts)
    return rows[pick], [c[pick] for c in carried], codes[first + offset].astype(np.int64)


def group_sums(
    keys: list[np.ndarray],
    decode: list[Decode],
    weights: list[np.ndarray | None],
) -> list[tuple[Any, ...]]:
    """One tuple per distinct key (the decoded key values, then each weight summed; a
    None weight counts rows), in the order of the key values as SQLite returns them."""
    n = len(keys[0]) if keys else 0
    if not n:
        return []
    # one integer per row for the whole key (mixed radix over each column's range)
    lows = [int(k.min()) for k in keys]
    sizes = [int(k.max()) - low + 1 for k, low in zip(keys, lows, strict=True)]
    combined = np.zeros(n, dtype=np.int64)
    for k, low, size in zip(keys, lows, sizes, strict=True):
        combined = combined * size + (k - low)
    unique, inverse = np.unique(combined, return_inverse=True)
    sums = [
        np.bincount(inverse, minlength=len(unique))
        if w is None
        else np.bincount(inverse, weights=w, minlength=len(unique))
        for w in weights
    ]
    out: list[tuple[Any, ...]] = []
    for i, code in enumerate(unique.tolist()):
        parts: list[int] = []
        for size in reversed(sizes):
            code, part = divmod(code, size)
            parts.append(part)
        values = [
            d(low + part) if callable(d) else d[low + part]
            for d, low, part in zip(decode, lows, reversed(parts), strict=True)
        ]
        out.append((*values, *(int(s[i]) for s in sums)))
    out.sort(key=lambda row: tuple((v is None, v) for v in row[: len(keys)]))
    return out
