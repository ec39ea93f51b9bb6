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
from dashboard.url_state import from_store, language_of
from indicators import taxonomy
from indicators.store import queries

PATH = "/platforms"
NAV_LABEL = N_("Online platforms")
NO_PLATFORM = N_("No platform is mentioned by the items matching these filters.")


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Div(
        [
            card(
                t("Platforms over time"),
                html.Div(
                    [
                        html.Div(id=ids.PL_OPTIONS, className="options"),
                        graph(ids.PL_TREND, height=380, locale=t.lang),
                    ]
                ),
            ),
            html.Div(
                [
                    card(
                        t("Share of platform mentions"),
                        graph(ids.PL_SHARE, height=360, locale=t.lang),
                        extra=t("click a slice to filter"),
                    ),
                    card(
                        t("Categories they co-occur with"),
                        graph(ids.PL_CATEGORIES, height=360, locale=t.lang),
                        extra=t("click a cell to filter by both"),
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
    categories = list(taxonomy.CATEGORY_IDS)

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
        t = ctx.translator(language_of(data))
        label = ctx.labeller(t.lang)
        labels = {p: label("platform", p) for p in platform_ids}
        bar = option_bar(PATH, f, view, prefix="pl", names=("granularity", "chart"), t=t)
        span = period(ctx, f)
        if span is None:
            empty = figures.empty_figure(t(NO_ITEMS_YET))
            return bar, empty, empty, empty
        granularity = view["granularity"]
        # independent reads, side by side
        points, cells, counts = ctx.runner.all(
            lambda: queries.series(ctx.engine, f, "platform", granularity),
            lambda: queries.cross_counts(ctx.engine, f, "platform", "category"),
            lambda: queries.counts_by(ctx.engine, f, "platform"),
        )
        grouped = group_series(points)
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
                measure_label=t("items"),
                t=t,
            )
            if ordered
            else figures.empty_figure(t(NO_PLATFORM))
        )
        share = figures.share_figure(
            counts, labels, colors, empty=t(NO_PLATFORM), value_title=t("items")
        )
        rows = [p for p, _ in counts]
        heat = figures.heatmap_figure(
            cells,
            rows,
            categories,
            labels,
            {c: label("category", c) for c in categories},
            empty=t(NO_PLATFORM),
            value_title=t("items"),
        )
        return bar, *(figures.localized(fig, t) for fig in (trend, share, heat))

    register_click_filter(app, ids.PL_SHARE, ["platform"])
    register_click_filter(app, ids.PL_CATEGORIES, ["platform", "category"])
