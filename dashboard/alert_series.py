"""The daily history of an alert's series and its expected band, for the alert's chart.

Detection judges a trailing window against the previous `baseline_days`
whole UTC days (see `indicators.detection`). The chart shows the same
numbers per UTC day: the series' stories each day over the baseline and the
window, the level the baseline expects for each day's ingested volume
(`expected_count`, the same volume adjustment and prior), and the *alert
level*: the fewest stories that day which would open a rise alert (at least
`min_stories`, `min_ratio` times the expectation, and a `tail_score` of
`min_score` under the baseline's dispersion). A day's bar above the alert
level is what the warning is about.

`band` is pure; `series_history` reads the counts with the store's own
`story_counts` and `volume_series` queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from indicators.alerts import AlertError, AlertRow
from indicators.detection import DetectionConfig, expected_count, series_dispersion, tail_score
from indicators.selection import FilterError, Filters
from indicators.store import alerts as alert_store
from indicators.store import queries
from indicators.taxonomy import CATEGORY_IDS
from indicators.watchrules import parse_rule_filters

MOST_STORIES_SEARCHED = 100_000  # the alert level is found by counting up; this bounds it


@dataclass(frozen=True)
class SeriesHistory:
    """Daily stories of one series; `expected`/`alert_level` are None where not judged."""

    days: tuple[date, ...]
    counts: tuple[int, ...]
    expected: tuple[float | None, ...]
    alert_level: tuple[int | None, ...]
    baseline_days: int  # the first `baseline_days` days are the baseline


def alert_level(mean: float, alpha: float, cfg: DetectionConfig) -> int | None:
    """The fewest stories that would open a rise alert when `mean` are expected."""
    start = max(cfg.min_stories, math.ceil(cfg.min_ratio * mean))
    for x in range(start, start + MOST_STORIES_SEARCHED):
        if tail_score(x, mean, alpha) >= cfg.min_score:
            return x
    return None


def band(
    counts: Sequence[int], volumes: Sequence[int], baseline_days: int, cfg: DetectionConfig
) -> tuple[tuple[float | None, ...], tuple[int | None, ...]]:
    """Per day: the expected stories and the alert level, from the first `baseline_days` days.

    None for every day when the baseline is too thin to judge (as in
    detection: fewer than `min_baseline_days` days with any volume), and for
    a day with no ingested items at all (nothing can be expected of it).
    """
    base_counts = list(counts[:baseline_days])
    base_volumes = list(volumes[:baseline_days])
    total_volume = sum(base_volumes)
    with_volume = sum(1 for v in base_volumes if v > 0)
    if with_volume < cfg.min_baseline_days or total_volume <= 0:
        return (None,) * len(counts), (None,) * len(counts)
    alpha = series_dispersion(base_counts, base_volumes, cfg)
    expected: list[float | None] = []
    levels: list[int | None] = []
    for volume in volumes:
        if volume <= 0:
            expected.append(None)
            levels.append(None)
            continue
        mean = expected_count(sum(base_counts), total_volume, volume, cfg.prior_stories)
        expected.append(mean)
        levels.append(alert_level(mean, alpha, cfg))
    return tuple(expected), tuple(levels)


def series_filters(series: Mapping[str, Sequence[str]]) -> Filters:
    """The stories a series counts: a region or platform series counts relevant ones only."""
    categories = tuple(series.get("category") or ())
    if not categories:
        categories = tuple(CATEGORY_IDS)
    return Filters(
        categories=categories,
        regions=tuple(series.get("region") or ()),
        platforms=tuple(series.get("platform") or ()),
        actors=tuple(series.get("actor") or ()),
    )


def alert_filters(engine: Engine, alert: AlertRow) -> Filters | None:
    """What the alert counts: its series, or its watch rule's filters (None: rule removed)."""
    if alert.kind != "rule":
        return series_filters(alert.series)
    if alert.rule_id is None:
        return None
    try:
        rule = alert_store.get_rule(engine, alert.rule_id)
        return parse_rule_filters(rule.filters)
    except (AlertError, FilterError):
        return None


def _dated(f: Filters, first: date, last: date) -> Filters:
    params: dict[str, Any] = {}
    for name, value in f.to_params():
        params.setdefault(name, []).append(value)
    params["from"], params["to"] = [first.isoformat()], [last.isoformat()]
    return Filters.from_params(params)


def series_history(engine: Engine, alert: AlertRow, cfg: DetectionConfig) -> SeriesHistory | None:
    """The alert's series per UTC day over the baseline and the window (None: nothing to count)."""
    f = alert_filters(engine, alert)
    if f is None:
        return None
    first_window_day = alert.window_start.date()
    first = first_window_day - timedelta(days=cfg.baseline_days)
    last = alert.window_end.date()
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    by_day = {day: n for day, n in queries.story_counts(engine, _dated(f, first, last), ["day"])}
    volume_by_day = dict(queries.volume_series(engine, Filters(date_from=first, date_to=last)))
    counts = tuple(int(by_day.get(d, 0)) for d in days)
    volumes = [int(volume_by_day.get(d, 0)) for d in days]
    if alert.kind == "rule":  # a rule alerts on any match: there is no expectation to draw
        none = (None,) * len(days)
        return SeriesHistory(days, counts, none, none, cfg.baseline_days)
    expected, levels = band(counts, volumes, cfg.baseline_days, cfg)
    return SeriesHistory(days, counts, expected, levels, cfg.baseline_days)
