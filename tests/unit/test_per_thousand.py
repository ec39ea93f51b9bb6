"""The share per 1,000 ingested items: one definition for the queries and the charts."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard import figures
from indicators.store import queries


@pytest.mark.parametrize(
    ("count", "volume", "share"),
    [(3, 200, 15.0), (0, 50, 0.0), (7, 7, 1000.0), (1, 3, 1000 / 3)],
)
def test_a_count_is_a_share_of_the_items_ingested_in_its_bucket(count, volume, share):
    assert queries.per_thousand(count, volume) == pytest.approx(share)


def test_no_volume_is_no_data_not_zero():
    assert queries.per_thousand(0, 0) is None
    assert queries.per_thousand(4, 0) is None


def test_the_chart_series_shows_the_same_shares_rounded_for_display():
    counts, volume = [1, 0, 2, 5], [3, 0, 400, 0]
    assert figures.per_thousand_series(counts, volume) == [333.33, None, 5.0, None]


def test_a_bucket_without_volume_gets_no_share_in_the_query_results():
    day = date(2024, 3, 9)
    point = queries.SeriesPoint("category", "cyber_threats", day, 2)
    [share] = queries.shares_per_thousand([point], [(date(2024, 3, 10), 5)])
    assert (share.count, share.volume, share.per_thousand) == (2, 0, None)
