"""Trends: counts per category over time, raw or per 1,000 ingested items."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from dash import Dash, Input, Output, html
from dash.exceptions import PreventUpdate

from dashboard import figures, ids
from dashboard.components import card, graph, segmented
from dashboard.context import DashboardContext
from dashboard.filters import build_search, from_store, with_view
from dashboard.shell import NO_ITEMS_YET
from indicators import taxonomy
from indicators.filters import Filters
from indicators.store import queries

PATH = "/trends"
NAV_LABEL = "Trends"

OPTION_BAR: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("granularity", "Per", (("day", "day"), ("week", "week"), ("month", "month"))),
    ("measure", "Count", (("items", "mentions"), ("stories", "unique stories"))),
    ("scale", "Scale", (("count", "raw counts"), ("per1000", "per 1,000 ingested"))),
    ("chart", "Chart", (("lines", "lines"), ("areas", "stacked areas"))),
    ("smooth", "7-day mean", (("off", "off"), ("on", "on"))),
)


def layout(ctx: DashboardContext) -> Any:
    return html.Div(
        [
            card(
                "Categories over time",
                html.Div(
                    [
                        html.Div(id=ids.TR_OPTIONS, className="options"),
                        graph(ids.TR_GRAPH, height=440),
                        html.P(id=ids.TR_NOTE, className="hint"),
                    ]
                ),
            ),
        ]
    )


def option_bar(
    path: str,
    f: Filters,
    view: Mapping[str, str],
    *,
    prefix: str,
    names: tuple[str, ...] | None = None,
) -> list[Any]:
    """Segmented links that each change one view option (and keep everything else)."""
    bars = []
    for name, text, options in OPTION_BAR:
        if names is not None and name not in names:
            continue

        def href(value: str, name: str = name) -> str:
            return path + build_search(f, with_view(view, **{name: value}))

        bars.append(segmented(text, options, view[name], href, test_id=f"{prefix}-{name}"))
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


def note_for(view: Mapping[str, str]) -> str:
    parts = ["Dates are UTC days."]
    if view["measure"] == "stories":
        parts.append(
            "Unique stories count near-duplicate reports once, on the day of the first report."
        )
    else:
        parts.append("Mentions count every item; an item with two categories counts in both.")
    if view["scale"] == "per1000":
        parts.append(
            "Per 1,000 ingested: divided by all items ingested from the selected "
            "sources and languages in the same bucket, so feed outages do not look "
            "like trends."
        )
    if view["smooth"] == "on":
        parts.append(
            "The 7-day mean is trailing"
            + ("." if view["granularity"] == "day" else "; it applies to daily data only.")
        )
    return " ".join(parts)


def register(app: Dash, ctx: DashboardContext) -> None:
    colors = figures.colors_for(taxonomy.CATEGORY_IDS)
    labels = {c: ctx.label("category", c) for c in taxonomy.CATEGORY_IDS}

    @app.callback(
        Output(ids.TR_OPTIONS, "children"),
        Output(ids.TR_GRAPH, "figure"),
        Output(ids.TR_NOTE, "children"),
        Input(ids.STATE, "data"),
    )
    def update(data: dict[str, Any] | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        f, view = from_store(data)
        bar = option_bar(PATH, f, view, prefix="tr")
        span = period(ctx, f)
        if span is None:
            return bar, figures.empty_figure(NO_ITEMS_YET), ""
        granularity = view["granularity"]
        grouped = group_series(
            queries.series(ctx.engine, f, "category", granularity, view["measure"])
        )
        shown = f.categories or taxonomy.CATEGORY_IDS
        ordered = {c: grouped[c] for c in shown if c in grouped}
        volume = (
            queries.volume_series(ctx.engine, f, granularity)
            if view["scale"] == "per1000"
            else None
        )
        figure = figures.trend_figure(
            ordered,
            start=span[0],
            end=span[1],
            labels=labels,
            colors=colors,
            granularity=granularity,
            chart=view["chart"],
            smooth=view["smooth"] == "on",
            volume=volume,
            measure_label="stories" if view["measure"] == "stories" else "items",
        )
        return bar, figure, note_for(view)
