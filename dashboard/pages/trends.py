"""Trends: counts per category over time, raw or per 1,000 ingested items; methods per month."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from dashboard import figures, ids
from dashboard.alert_text import alert_label
from dashboard.components import card, graph, item_list
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.shell import NO_ITEMS_YET
from dashboard.time_charts import group_series, option_bar, period
from dashboard.url_state import from_store, language_of
from indicators import taxonomy
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store import queries
from indicators.store.method_trends import method_months, method_stories

PATH = "/trends"
NAV_LABEL = N_("Trends")


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Div(
        [
            card(
                t("Categories over time"),
                html.Div(
                    [
                        html.Div(id=ids.TR_OPTIONS, className="options"),
                        graph(ids.TR_GRAPH, height=440, locale=t.lang),
                        html.P(id=ids.TR_NOTE, className="hint"),
                    ]
                ),
            ),
            card(
                t("Methods over time"),
                html.Div(
                    [
                        graph(ids.TR_METHODS, height=380, locale=t.lang),
                        html.P(
                            t(
                                "Each month, the share of the stories naming a method that name "
                                "this one (a story naming two methods counts for both). Methods "
                                "refine tactics and methods: explosives, firearms, drones, online "
                                "recruitment, financing... Click a point for its stories."
                            ),
                            className="hint",
                        ),
                        html.Div(id=ids.TR_METHOD_STORIES, className="method-stories"),
                    ]
                ),
            ),
        ]
    )


def note_for(view: Mapping[str, str], t: Translator = ENGLISH) -> str:
    parts = [t("Dates are UTC days.")]
    if view["measure"] == "stories":
        parts.append(
            t("Unique stories count near-duplicate reports once, on the day of the first report.")
        )
    else:
        parts.append(t("Mentions count every item; an item with two categories counts in both."))
    if view["scale"] == "per1000":
        parts.append(
            t(
                "Per 1,000 ingested: divided by all items ingested from the selected "
                "sources and languages in the same bucket, so feed outages do not look "
                "like trends."
            )
        )
    if view["smooth"] == "on":
        parts.append(
            t("The 7-day mean is trailing.")
            if view["granularity"] == "day"
            else t("The 7-day mean is trailing; it applies to daily data only.")
        )
    return " ".join(parts)


def alert_marks(
    ctx: DashboardContext, f: Filters, categories: Sequence[str], t: Translator = ENGLISH
) -> list[tuple[int, datetime, datetime, str]]:
    """The windows of the alerts on the shown categories that fit the filters, each with
    its label in `t`'s language."""
    shown = set(categories)
    label = ctx.labeller(t.lang)
    return [
        (a.id, a.window_start, a.window_end, alert_label(a, label, t))
        for a in alert_store.alerts_overlapping(ctx.engine, f)
        if shown & set(a.series.get("category", []))
    ]


def register(app: Dash, ctx: DashboardContext) -> None:
    colors = figures.colors_for(taxonomy.CATEGORY_IDS)

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
        t = ctx.translator(language_of(data))
        labels = {c: ctx.label("category", c, lang=t.lang) for c in taxonomy.CATEGORY_IDS}
        bar = option_bar(PATH, f, view, prefix="tr", t=t)
        span = period(ctx, f)
        if span is None:
            return bar, figures.empty_figure(t(NO_ITEMS_YET)), ""
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
            measure_label=t("stories") if view["measure"] == "stories" else t("items"),
            t=t,
        )
        figure = figures.with_alert_marks(figure, alert_marks(ctx, f, shown, t))
        return bar, figures.localized(figure, t), note_for(view, t)

    method_colors = figures.colors_for(taxonomy.METHOD_IDS)

    def method_labels(lang: str) -> dict[str, str]:
        return {m: ctx.label("method", m, lang=lang) for m in taxonomy.METHOD_IDS}

    @app.callback(
        Output(ids.TR_METHODS, "figure"),
        Output(ids.TR_METHOD_STORIES, "children"),
        Input(ids.STATE, "data"),
    )
    def methods(data: dict[str, Any] | None) -> tuple[Any, Any]:
        if not data:
            raise PreventUpdate
        f, _view = from_store(data)
        t = ctx.translator(language_of(data))
        if period(ctx, f) is None:
            return figures.empty_figure(t(NO_ITEMS_YET)), None
        rows = method_months(ctx.engine, f)
        figure = figures.method_figure(
            rows, labels=method_labels(t.lang), colors=method_colors, t=t
        )
        return figures.localized(figure, t), None

    @app.callback(
        Output(ids.TR_METHOD_STORIES, "children", allow_duplicate=True),
        Input(ids.TR_METHODS, "clickData"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def method_drill(click: dict[str, Any] | None, data: dict[str, Any] | None) -> Any:
        if not click or not data:
            raise PreventUpdate
        method, month = click["points"][0]["customdata"][:2]
        t = ctx.translator(language_of(data))
        labels = method_labels(t.lang)
        if method not in labels:
            raise PreventUpdate
        f, _view = from_store(data)
        month_day = date.fromisoformat(month)
        rows = method_stories(ctx.engine, f, method, month_day)
        title = t("{method}, {month}: newest stories").format(
            method=labels[method], month=t.month(month_day)
        )
        return html.Div(
            [
                html.H4(title, className="method-stories-title"),
                item_list(
                    rows,
                    ctx.labeller(t.lang),
                    empty=t("No story of this month names this method."),
                    t=t,
                ),
            ]
        )
