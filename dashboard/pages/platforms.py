"""Online platforms: how often each platform is mentioned, its share, and with what."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html
from dash.exceptions import PreventUpdate

from dashboard import figures, ids
from dashboard.clicks import register_click_filter
from dashboard.components import card, graph
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.shell import NO_ITEMS_YET
from dashboard.time_charts import group_series, option_bar, period
from dashboard.url_state import from_store
from indicators import taxonomy
from indicators.store import queries

PATH = "/platforms"
NAV_LABEL = N_("Online platforms")
NO_PLATFORM = "No platform is mentioned by the items matching these filters."


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    """This view is not translated yet: it is shown in English in every language."""
    return html.Div(
        [
            card(
                "Platforms over time",
                html.Div(
                    [
                        html.Div(id=ids.PL_OPTIONS, className="options"),
                        graph(ids.PL_TREND, height=380),
                    ]
                ),
            ),
            html.Div(
                [
                    card(
                        "Share of platform mentions",
                        graph(ids.PL_SHARE, height=360),
                        extra="click a slice to filter",
                    ),
                    card(
                        "Categories they co-occur with",
                        graph(ids.PL_CATEGORIES, height=360),
                        extra="click a cell to filter by both",
                        className="span-2",
                    ),
                ],
                className="grid grid-3",
            ),
        ]
    )


def register(app: Dash, ctx: DashboardContext) -> None:
    platform_ids = list(taxonomy.PLATFORM_IDS)
    colors = figures.colors_for(platform_ids)
    labels = {p: ctx.label("platform", p) for p in platform_ids}
    categories = list(taxonomy.CATEGORY_IDS)
    category_labels = {c: ctx.label("category", c) for c in categories}

    @app.callback(
        Output(ids.PL_OPTIONS, "children"),
        Output(ids.PL_TREND, "figure"),
        Output(ids.PL_SHARE, "figure"),
        Output(ids.PL_CATEGORIES, "figure"),
        Input(ids.STATE, "data"),
    )
    def update(data: dict[str, Any] | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        f, view = from_store(data)
        bar = option_bar(PATH, f, view, prefix="pl", names=("granularity", "chart"))
        span = period(ctx, f)
        if span is None:
            empty = figures.empty_figure(NO_ITEMS_YET)
            return bar, empty, empty, empty
        granularity = view["granularity"]
        grouped = group_series(queries.series(ctx.engine, f, "platform", granularity))
        shown = f.platforms or platform_ids
        ordered = {p: grouped[p] for p in shown if p in grouped}
        trend = (
            figures.trend_figure(
                ordered,
                start=span[0],
                end=span[1],
                labels=labels,
                colors=colors,
                granularity=granularity,
                chart=view["chart"],
            )
            if ordered
            else figures.empty_figure(NO_PLATFORM)
        )
        counts = queries.counts_by(ctx.engine, f, "platform")
        share = figures.share_figure(counts, labels, colors)
        cells = queries.cross_counts(ctx.engine, f, "platform", "category")
        rows = [p for p, _ in counts]
        heat = figures.heatmap_figure(
            cells, rows, categories, labels, category_labels, empty=NO_PLATFORM
        )
        return bar, trend, share, heat

    register_click_filter(app, ids.PL_SHARE, ["platform"])
    register_click_filter(app, ids.PL_CATEGORIES, ["platform", "category"])
