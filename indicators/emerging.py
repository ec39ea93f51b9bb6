"""Which terms rose: Dunning's log-likelihood ratio G2, signed, over item counts (pure).

For one term, with the relevant items of the selection split into the *recent*
period (``n_now`` items, ``now`` of them containing the term) and the *earlier*
periods (``n_before`` items, ``before`` of them containing it), the 2 x 2 table

    |             | has the term | has not          |
    | recent      | now          | n_now - now      |
    | earlier     | before       | n_before - before|

gives G2 = 2 * sum over the four cells of O * ln(O / E), where E is the count
expected if the term were as frequent in both periods (row total x column
total / all items; a cell with O = 0 adds nothing). G2 is about chi-square
with one degree of freedom (3.84: p = 0.05; 10.83: p = 0.001) and, unlike
chi-square, stays reliable for rare terms, which is where new words are
(Dunning 1993, "Accurate methods for the statistics of surprise and
coincidence"). The value is **signed**: negative when the term's share of
items fell (now / n_now < before / n_before), so ranking by it lists rises
only.

Units are items, not occurrences: a term counts once per item, so one long
article repeating a word cannot make it "emerge". A term needs at least
``min_count`` recent items: G2 ranks a word seen in 2 items high when it was
never seen before, and two items are an anecdote, not a trend.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

DEFAULT_MIN_COUNT = 5
K = TypeVar("K", bound=Hashable)


def _cell(observed: float, expected: float) -> float:
    return observed * math.log(observed / expected) if observed > 0 else 0.0


def signed_g2(now: int, n_now: int, before: int, n_before: int) -> float:
    """Dunning's G2 for a term in `now` of `n_now` recent and `before` of `n_before` earlier items.

    Positive when the term's share of items rose, negative when it fell, 0
    when it did not change or either period is empty.
    """
    if not (0 <= now <= n_now and 0 <= before <= n_before):
        raise ValueError(f"counts out of range: {now}/{n_now}, {before}/{n_before}")
    total = n_now + n_before
    with_term = now + before
    if n_now == 0 or n_before == 0 or now * n_before == before * n_now:
        return 0.0
    without = total - with_term
    g2 = 2.0 * (
        _cell(now, n_now * with_term / total)
        + _cell(n_now - now, n_now * without / total)
        + _cell(before, n_before * with_term / total)
        + _cell(n_before - before, n_before * without / total)
    )
    g2 = max(g2, 0.0)  # rounding can leave -1e-15 for equal shares
    return g2 if now * n_before > before * n_now else -g2


@dataclass(frozen=True, slots=True)
class Rise(Generic[K]):
    """One term that rose: its key, its item counts in both periods and its G2."""

    key: K
    now: int
    before: int
    g2: float


def rank_rises(
    counts: Iterable[tuple[K, int, int]],
    n_now: int,
    n_before: int,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
) -> list[Rise[K]]:
    """Terms whose share of items rose, highest G2 first.

    `counts` holds (key, items now, items before) per term. A term is kept
    when it is in at least `min_count` recent items and its signed G2 is
    positive. Ties are broken by more recent items, then by key, so the order
    is stable.
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    rises: list[Rise[K]] = []
    for key, now, before in counts:
        if now < min_count:
            continue
        g2 = signed_g2(now, n_now, before, n_before)
        if g2 > 0:
            rises.append(Rise(key, now, before, g2))
    rises.sort(key=lambda r: (-r.g2, -r.now, str(r.key)))
    return rises
