"""Cyber threats: the `cyber_threats` category over time, by region and source, newest items."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import figures, ids
from dashboard.clicks import register_click_filter
from dashboard.components import card, graph, item_list
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.shell import NO_ITEMS_YET
from dashboard.time_charts import group_series, option_bar, period
from dashboard.url_state import from_store, language_of
from indicators import taxonomy
from indicators.store import queries

PATH = "/cyber"
NAV_LABEL = N_("Cyber threats")
CYBER = "cyber_threats"
NEWEST = 10
NO_CYBER = N_("No cyber-threat items match these filters.")


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Div(
        [
            card(
                t("Cyber threats over time"),
                html.Div(
                    [
                        html.Div(id=ids.CY_OPTIONS, className="options"),
                        graph(ids.CY_TREND, height=340, locale=t.lang),
                        html.P(id=ids.CY_NOTE, className="hint"),
                    ]
                ),
            ),
            html.Div(
                [
                    card(
                        t("By region"),
                        graph(ids.CY_REGIONS, height=320, locale=t.lang),
                        extra=t("click to filter"),
                    ),
                    card(
                        t("By source"),
                        graph(ids.CY_SOURCES, height=320, locale=t.lang),
                        extra=t("click to filter"),
                    ),
                ],
                className="grid grid-2",
            ),
            card(
                t("Newest cyber-threat items"),
                dcc.Loading(html.Div(id=ids.CY_NEWEST), type="dot", delay_show=250),
            ),
        ]
    )


def register(app: Dash, ctx: DashboardContext) -> None:
    color = figures.colors_for(taxonomy.CATEGORY_IDS).get(CYBER, figures.PALETTE[0])

    @app.callback(
        Output(ids.CY_OPTIONS, "children"),
        Output(ids.CY_TREND, "figure"),
        Output(ids.CY_NOTE, "children"),
        Output(ids.CY_REGIONS, "figure"),
        Output(ids.CY_SOURCES, "figure"),
        Output(ids.CY_NEWEST, "children"),
        Input(ids.STATE, "data"),
    )
    def update(data: dict[str, Any] | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        f, view = from_store(data)
        t = ctx.translator(language_of(data))
        label = ctx.labeller(t.lang)
        bar = option_bar(PATH, f, view, prefix="cy", names=("granularity", "smooth"), t=t)
        span = period(ctx, f)
        if span is None:
            empty = figures.empty_figure(t(NO_ITEMS_YET))
            return bar, empty, "", empty, empty, None
        # This view is the cyber category by definition; the other filters still apply.
        cyber = replace(f, categories=(CYBER,))
        note = t("Dates are UTC days.")
        if f.categories and f.categories != (CYBER,):
            note += " " + t(
                "This view always shows the cyber-threats category; the category "
                "filter is set aside here."
            )
        # independent reads, side by side
        points, regions, by_source, names, newest = ctx.runner.all(
            lambda: queries.series(ctx.engine, cyber, "category", view["granularity"]),
            lambda: queries.counts_by(ctx.engine, cyber, "region"),
            lambda: queries.counts_by(ctx.engine, cyber, "source"),
            lambda: dict(queries.sources(ctx.engine)),
            lambda: queries.items_page(ctx.engine, cyber, limit=NEWEST),
        )
        grouped = group_series(points)
        series = {CYBER: grouped[CYBER]} if CYBER in grouped else {}
        trend = (
            figures.trend_figure(
                series,
                start=span[0],
                end=span[1],
                labels={CYBER: label("category", CYBER)},
                colors={CYBER: color},
                granularity=view["granularity"],
                smooth=view["smooth"] == "on",
                measure_label=t("items"),
                t=t,
            )
            if series
            else figures.empty_figure(t(NO_CYBER))
        )
        by_region = figures.bar_figure(
            regions,
            {r: label("region", r) for r, _ in regions},
            color=color,
            empty=t(NO_CYBER),
            value_title=t("items"),
        )
        by_source_figure = figures.bar_figure(
            by_source,
            {s: label("source", s, names) for s, _ in by_source},
            color=figures.PALETTE[5],
            empty=t(NO_CYBER),
            value_title=t("items"),
        )
        return (
            bar,
            figures.localized(trend, t),
            note,
            figures.localized(by_region, t),
            figures.localized(by_source_figure, t),
            item_list(newest.rows, label, empty=t(NO_CYBER), t=t),
        )

    register_click_filter(app, ids.CY_REGIONS, ["region"])
    register_click_filter(app, ids.CY_SOURCES, ["source"])
