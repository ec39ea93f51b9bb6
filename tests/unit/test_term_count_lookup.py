"""Counting candidate term hashes in a chunk, and naming terms by their newest recent item.

The lookup table is indexed by a hash's low bits; candidates that share them
fall back to a binary search. Both paths must count exactly what a plain
count of the chunk gives.
"""

from collections import Counter

import numpy as np

from indicators.store.term_counts import TermCounts, _count_known, _slot_table


def test_counts_equal_a_plain_count_including_candidates_that_share_low_bits() -> None:
    rng = np.random.default_rng(7)
    base = rng.integers(-(2**62), 2**62, size=400, dtype=np.int64)
    # three candidates share the low bits of base[0], two of base[1]
    shared = [base[0] + (k << 22) for k in (1, 2, 3)] + [base[1] - (5 << 22), base[1] + (9 << 22)]
    candidates = np.unique(np.concatenate([base, np.array(shared, dtype=np.int64)]))
    mask = len(_slot_table(candidates)) - 1
    assert len({int(h) & mask for h in candidates}) < len(candidates)
    strangers = rng.integers(-(2**62), 2**62, size=300, dtype=np.int64)
    lookalike = np.array([base[0] + (77 << 22)], dtype=np.int64)  # same low bits, no candidate
    chunk = np.concatenate([rng.choice(candidates, size=5000), strangers, np.repeat(lookalike, 4)])
    rng.shuffle(chunk)

    counted = _count_known(chunk, candidates, _slot_table(candidates))

    plain = Counter(int(h) for h in chunk)
    assert counted.tolist() == [plain.get(int(h), 0) for h in candidates]


def test_the_slot_table_marks_free_single_and_shared_slots() -> None:
    hashes = np.array([5, 5 + (1 << 22), 9], dtype=np.int64)
    table = _slot_table(hashes)
    assert table.dtype == np.int32  # half the memory of int64: it is built for every count
    assert (table[5], table[9], table[6]) == (-2, 2, -1)


def test_the_slot_table_grows_with_the_candidates_up_to_4m_slots() -> None:
    assert len(_slot_table(np.arange(3, dtype=np.int64))) == 1 << 16  # the smallest
    assert len(_slot_table(np.arange(5_000, dtype=np.int64))) == 1 << 19  # 64-128 per candidate
    assert len(_slot_table(np.arange(200_000, dtype=np.int64))) == 1 << 22  # the largest


def _recent(per_item: dict[int, list[int]]) -> TermCounts:
    """A count whose recent items (newest first) hold these hashes."""
    ids = np.array(list(per_item), dtype=np.int64)
    hashes = np.array([h for hs in per_item.values() for h in sorted(hs)], dtype=np.int64)
    offsets = np.cumsum([0] + [len(hs) for hs in per_item.values()]).astype(np.int64)
    return TermCounts(
        periods=(),
        hashes=np.zeros(0, np.int64),
        counts=np.zeros((0, 0), np.int64),
        totals=(),
        recent_items=ids,
        recent_offsets=offsets,
        recent_hashes=hashes,
        recent_order=np.argsort(hashes, kind="stable"),
    )


def test_each_term_is_named_by_its_newest_recent_item_and_absent_terms_by_none() -> None:
    counts = _recent({30: [5, 7], 20: [3, 5, 9], 10: [1, 9]})
    asked = [5, 9, 1, 3, 7, 4, 100, -5]  # 4 between, 100 after and -5 before every hash

    owners = counts.newest_owners(asked)

    assert owners == {5: 30, 9: 20, 1: 10, 3: 20, 7: 30}
    assert owners == {t: counts.examples(t, 1)[0] for t in asked if counts.examples(t, 1)}
    assert counts.newest_owners([]) == {}
