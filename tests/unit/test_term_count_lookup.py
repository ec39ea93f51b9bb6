"""Counting candidate term hashes in a chunk: the slot table and its shared-slot path.

The lookup table is indexed by a hash's low bits; candidates that share them
fall back to a binary search. Both paths must count exactly what a plain
count of the chunk gives.
"""

from collections import Counter

import numpy as np

from indicators.store.term_counts import _count_known, _slot_table


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
