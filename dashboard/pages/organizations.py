"""Organizations: which groups the news names most, where, through what, and what is known."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html
from dash.exceptions import PreventUpdate

from dashboard import figures, ids
from dashboard.components import card, graph
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.org_cards import org_list
from dashboard.shell import NO_ITEMS_YET
from dashboard.time_charts import option_bar, period
from dashboard.url_state import build_search, from_store, language_of, set_axis
from indicators.actor_activity import most_active

PATH = "/organizations"
NAV_LABEL = N_("Organizations")
SHOWN = 10  # organizations listed
NO_ACTOR = N_("No organization is named by the relevant items matching these filters.")


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Div(
        [
            card(
                t("Most active organizations: stories over time"),
                html.Div(
                    [
                        html.Div(id=ids.OR_OPTIONS, className="options"),
                        graph(ids.OR_TREND, height=340, locale=t.lang),
                    ]
                ),
            ),
            card(
                t("Most active organizations"),
                html.Div(id=ids.OR_LIST),
                extra=t("click a name to filter the whole dashboard by it"),
            ),
        ]
    )


def register(app: Dash, ctx: DashboardContext) -> None:
    @app.callback(
        Output(ids.OR_OPTIONS, "children"),
        Output(ids.OR_TREND, "figure"),
        Output(ids.OR_LIST, "children"),
        Input(ids.STATE, "data"),
    )
    def update(data: dict[str, Any] | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        f, view = from_store(data)
        t = ctx.translator(language_of(data))
        label = ctx.labeller(t.lang)
        bar = option_bar(PATH, f, view, prefix="or", names=("granularity", "chart"), t=t)
        span = period(ctx, f)
        if span is None:
            return (
                bar,
                figures.empty_figure(t(NO_ITEMS_YET)),
                html.P(t(NO_ITEMS_YET), className="hint"),
            )
        active = most_active(ctx.engine, f, limit=SHOWN, run_all=ctx.runner.all)
        shown = [a.id for a in active]
        labels = {a: label("actor", a) for a in shown}
        granularity = view["granularity"]
        ordered = {a.id: a.stories_per(granularity) for a in active if a.per_day}
        trend = (
            figures.trend_figure(
                ordered,
                start=span[0],
                end=span[1],
                labels=labels,
                colors=figures.colors_for(shown),
                granularity=granularity,
                chart=view["chart"],
                measure_label=t("stories"),
                t=t,
            )
            if ordered
            else figures.empty_figure(t(NO_ACTOR))
        )

        def href_for(actor_id: str) -> str:
            return PATH + build_search(set_axis(f, "actor", [actor_id]), view)

        cards = org_list(
            active,
            ctx.actors,
            label=label,
            href_for=href_for,
            span=span,
            empty=t(NO_ACTOR),
            t=t,
        )
        return bar, figures.localized(trend, t), cards
