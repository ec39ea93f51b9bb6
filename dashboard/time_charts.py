"""What the time charts of several views share: their option bar, series and period.

Trends, Online platforms and Cyber threats all draw counts over time with
view options in the URL; these pieces live here so that pages never import
each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from dashboard.components import segmented
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.url_state import build_search, with_view
from indicators.selection import Filters
from indicators.store import queries

# (view option, label, ((value, text), ...)); label and texts are translated where shown.
OPTION_BAR: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("granularity", N_("Per"), (("day", N_("day")), ("week", N_("week")), ("month", N_("month")))),
    ("measure", N_("Count"), (("items", N_("mentions")), ("stories", N_("unique stories")))),
    ("scale", N_("Scale"), (("count", N_("raw counts")), ("per1000", N_("per 1,000 ingested")))),
    ("chart", N_("Chart"), (("lines", N_("lines")), ("areas", N_("stacked areas")))),
    ("smooth", N_("7-day mean"), (("off", N_("off")), ("on", N_("on")))),
)


def option_bar(
    path: str,
    f: Filters,
    view: Mapping[str, str],
    *,
    prefix: str,
    names: tuple[str, ...] | None = None,
    t: Translator = ENGLISH,
) -> list[Any]:
    """Segmented links that each change one view option (and keep everything else)."""
    bars = []
    for name, text, options in OPTION_BAR:
        if names is not None and name not in names:
            continue

        def href(value: str, name: str = name) -> str:
            return path + build_search(f, with_view(view, **{name: value}))

        shown = tuple((value, t(label)) for value, label in options)
        bars.append(segmented(t(text), shown, view[name], href, test_id=f"{prefix}-{name}"))
    return bars


def group_series(points: list[queries.SeriesPoint]) -> dict[str, list[tuple[date, int]]]:
    grouped: dict[str, list[tuple[date, int]]] = {}
    for p in points:
        grouped.setdefault(p.id, []).append((p.date, p.count))
    return grouped


def period(ctx: DashboardContext, f: Filters) -> tuple[date, date] | None:
    """The period a time chart spans: the filter's dates, open ends closed by the data."""
    first, last = queries.date_bounds(ctx.engine)
    if first is None or last is None:
        return None
    bounded = f.bounded(first, last)
    return bounded.date_from or first, bounded.date_to or last
