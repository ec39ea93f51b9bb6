"""GROUP BY in numpy: rows spread over their values as a join would, sums per key."""

from __future__ import annotations

from datetime import date

import numpy as np

from indicators.store.grouping import group_sums, spread


def test_a_row_counts_once_per_value_it_holds_and_not_at_all_without_one() -> None:
    # row 0 holds values 1 and 2, row 1 none, row 2 value 0
    start = np.array([0, 2, 2, 3])
    codes = np.array([1, 2, 0])
    weight = np.array([10, 20, 30])
    rows, (carried,), values = spread(np.array([0, 1, 2]), [weight], start, codes)
    assert rows.tolist() == [0, 0, 2]
    assert carried.tolist() == [10, 10, 30]
    assert values.tolist() == [1, 2, 0]


def test_sums_per_key_in_key_order_with_decoded_values() -> None:
    regions = ("KZ-75", "KZ-19", "KG")
    days = np.array([date(2024, 3, 2).toordinal(), date(2024, 3, 1).toordinal()] * 3)
    region = np.array([0, 0, 2, 2, 0, 0])
    stories = np.array([1, 0, 1, 1, 1, 1], dtype=float)
    out = group_sums([region, days], [regions, date.fromordinal], [None, stories])
    assert out == [
        ("KG", date(2024, 3, 1), 1, 1),
        ("KG", date(2024, 3, 2), 1, 1),
        ("KZ-75", date(2024, 3, 1), 2, 1),
        ("KZ-75", date(2024, 3, 2), 2, 2),
    ]


def test_nothing_to_group_gives_no_rows() -> None:
    assert group_sums([np.zeros(0, dtype=np.int64)], [("a",)], [None]) == []
