"""The expected band on an alert's chart: the same statistic as detection, per UTC day."""

from __future__ import annotations

import math

from dashboard.alert_series import alert_level, band, series_filters
from indicators.detection import DetectionConfig, expected_count, tail_score
from indicators.taxonomy import CATEGORY_IDS

CFG = DetectionConfig()


def test_the_alert_level_is_the_fewest_stories_that_pass_every_opening_test() -> None:
    for mean, alpha in ((0.2, 0.0), (1.3, 0.0), (4.0, 0.3), (12.5, 0.1)):
        level = alert_level(mean, alpha, CFG)
        assert level is not None
        assert level >= CFG.min_stories and level >= CFG.min_ratio * mean
        assert tail_score(level, mean, alpha) >= CFG.min_score
        below = level - 1
        assert (
            below < CFG.min_stories
            or below < CFG.min_ratio * mean
            or tail_score(below, mean, alpha) < CFG.min_score
        )


def test_the_expected_level_follows_each_days_volume() -> None:
    counts = [1, 0] * 14 + [6]
    volumes = [10] * 28 + [20]
    expected, levels = band(counts, volumes, 28, CFG)
    per_day = expected_count(14, 280, 10, CFG.prior_stories)
    assert all(math.isclose(e, per_day) for e in expected[:28] if e is not None)
    assert math.isclose(expected[28] or 0, 2 * per_day)  # twice the volume, twice the stories
    assert levels[28] is not None and levels[0] is not None and levels[28] > levels[0]


def test_a_thin_baseline_or_a_day_without_volume_is_not_judged() -> None:
    thin = band([0] * 29, [0] * 22 + [5] * 7, 28, CFG)  # 6 baseline days with volume
    assert thin == ((None,) * 29, (None,) * 29)
    expected, levels = band([1] * 29, [10] * 27 + [0, 10], 28, CFG)
    assert expected[27] is None and levels[27] is None and expected[28] is not None


def test_a_region_or_platform_series_counts_relevant_stories_only() -> None:
    assert set(series_filters({"region": ["KZ-75"]}).categories) == set(CATEGORY_IDS)
    f = series_filters({"category": ["cyber_threats"], "platform": ["tiktok"]})
    assert (f.categories, f.platforms, f.regions) == (("cyber_threats",), ("tiktok",), ())
