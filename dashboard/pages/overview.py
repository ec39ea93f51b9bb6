"""Overview: what is rising, where and through which platforms, at a glance."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import figures, ids
from dashboard.clicks import register_click_filter
from dashboard.components import card, graph, item_list, notice, utc_text
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, UI_PARAM, Translator
from dashboard.shell import NO_ITEMS_YET, NO_MATCH
from dashboard.url_state import build_search, from_store, language_of, set_axis
from indicators import taxonomy
from indicators.alerts import OPEN_STATES
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store import queries

PATH = "/"
NAV_LABEL = N_("Overview")
NEWEST = 8


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Div(
        [
            dcc.Loading(html.Div(id=ids.OV_TOTALS, className="kpis"), type="dot", delay_show=250),
            html.Div(
                [
                    card(
                        t("Categories"),
                        dcc.Loading(html.Div(id=ids.OV_CATEGORIES), type="dot", delay_show=250),
                        className="span-2",
                    ),
                    card(
                        t("Newest relevant items"),
                        dcc.Loading(html.Div(id=ids.OV_NEWEST), type="dot", delay_show=250),
                    ),
                ],
                className="grid grid-3",
            ),
            html.Div(
                [
                    card(
                        t("Most active regions"),
                        graph(ids.OV_REGIONS, height=300, locale=t.lang),
                        extra=t("click a bar to filter"),
                    ),
                    card(
                        t("Most mentioned platforms"),
                        graph(ids.OV_PLATFORMS, height=300, locale=t.lang),
                        extra=t("click a bar to filter"),
                    ),
                ],
                className="grid grid-2",
            ),
        ]
    )


def change_text(current: int, previous: int | None, t: Translator = ENGLISH) -> tuple[str, str]:
    """(text, css class) for the change against the previous period, in `t`'s number format."""
    if previous is None:
        return "—", "change-none"
    if previous == 0:
        return (t("new"), "change-up") if current else ("—", "change-none")
    pct = round(100.0 * (current - previous) / previous)
    if pct > 0:
        return t.percent(pct / 100, signed=True), "change-up"
    if pct < 0:
        return t.percent(pct / 100), "change-down"
    return "±" + t.percent(0), "change-none"


def _kpi(title: str, value: int, note: str, kpi_id: str, t: Translator = ENGLISH) -> Any:
    return html.Div(
        [
            html.Div(title, className="kpi-title"),
            html.Div(t.number(value), className="kpi-value", id=kpi_id),
            html.Div(note, className="kpi-note"),
        ],
        className="kpi",
    )


def open_alerts_by_category(ctx: DashboardContext) -> Counter[str]:
    """Open alerts (new or acknowledged) per category their series names."""
    counts: Counter[str] = Counter()
    for alert in alert_store.list_alerts(ctx.engine, states=OPEN_STATES, limit=10_000):
        counts.update(alert.series.get("category", []))
    return counts


def alert_badge(cid: str, n: int, href: str, t: Translator = ENGLISH) -> Any:
    """`⚠ n` after a category with open alerts, linking to those alerts."""
    return dcc.Link(
        f"⚠ {t.number(n)}",
        href=href,
        className="alert-badge",
        id=f"ov-alerts-{cid}",
        title=t.plural(
            "{n} open alert on this category: open it",
            "{n} open alerts on this category: open them",
            n,
        ).format(n=t.number(n)),
    )


def open_alerts_kpi(ctx: DashboardContext, t: Translator = ENGLISH, search: str = "") -> Any:
    """Alerts waiting for the analyst (new or acknowledged, whatever the filters) and the
    time of the last detection run, so a stalled detector is noticed."""
    run = alert_store.last_run(ctx.engine)
    if run is None:
        when = t("detection has not run yet")
    else:
        when = t("last check {time}").format(time=utc_text(run["finished_at"] or run["started_at"]))
        if run["status"] != "ok":
            when += f" ({run['status']})"
    return html.Div(
        [
            html.Div(t("Open alerts"), className="kpi-title"),
            html.Div(
                t.number(alert_store.count_open(ctx.engine)), className="kpi-value", id="kpi-alerts"
            ),
            html.Div(
                [dcc.Link(t("see Alerts"), href="/alerts" + search), f" · {when}"],
                className="kpi-note",
            ),
        ],
        className="kpi",
    )


def _period_text(f: Filters, t: Translator = ENGLISH) -> str:
    if f.date_from and f.date_to:
        return t("{start} to {end} (UTC)").format(start=t.day(f.date_from), end=t.day(f.date_to))
    if f.date_from:
        return t("from {start} (UTC)").format(start=t.day(f.date_from))
    if f.date_to:
        return t("up to {end} (UTC)").format(end=t.day(f.date_to))
    return t("all time")


def _ui_only(view: dict[str, str]) -> dict[str, str]:
    """Just the language of `view`, for links that leave the filters behind."""
    return {UI_PARAM: view.get(UI_PARAM, "")}


def register(app: Dash, ctx: DashboardContext) -> None:
    colors = figures.colors_for(taxonomy.CATEGORY_IDS)

    @app.callback(
        Output(ids.OV_TOTALS, "children"),
        Output(ids.OV_CATEGORIES, "children"),
        Output(ids.OV_NEWEST, "children"),
        Output(ids.OV_REGIONS, "figure"),
        Output(ids.OV_PLATFORMS, "figure"),
        Input(ids.STATE, "data"),
    )
    def update(data: dict[str, Any] | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        f, view = from_store(data)
        t = ctx.translator(language_of(data))
        label = ctx.labeller(t.lang)
        first, last = queries.date_bounds(ctx.engine)
        if first is None or last is None:
            empty = figures.empty_figure(t(NO_ITEMS_YET))
            return (notice(t(NO_ITEMS_YET)), None, None, empty, empty)
        bounded = f.bounded(first, last)
        start, end = bounded.date_from or first, bounded.date_to or last
        compare = bool(f.date_from or f.date_to)
        # Independent reads, side by side (slowest first); relevant = carries a category.
        series, newest, regions, platforms, previous_counts, totals, alerting = ctx.runner.all(
            lambda: queries.series(ctx.engine, f, "category", "day"),
            lambda: queries.items_page(ctx.engine, f, limit=NEWEST, relevant_only=True),
            lambda: queries.counts_by(ctx.engine, f, "region"),
            lambda: queries.counts_by(ctx.engine, f, "platform"),
            lambda: (
                queries.counts_by(ctx.engine, bounded.previous_period(), "category")
                if compare
                else None
            ),
            lambda: queries.totals(ctx.engine, f),
            lambda: open_alerts_by_category(ctx),
        )
        period = _period_text(f, t)
        kpis = [
            _kpi(t("Items"), totals.items, period, "kpi-items", t),
            _kpi(
                t("Relevant items"),
                totals.relevant,
                t("tagged with at least one category"),
                "kpi-relevant",
                t,
            ),
            _kpi(
                t("Stories"),
                totals.stories,
                t("near-duplicate reports counted once"),
                "kpi-stories",
                t,
            ),
            open_alerts_kpi(ctx, t, build_search(Filters(), _ui_only(view))),
        ]
        previous = dict(previous_counts) if previous_counts is not None else None
        # The sparklines' days summed are the counts (an item has one day): one read.
        points: dict[str, list[tuple[Any, int]]] = {}
        current: Counter[str] = Counter()
        for p in series:
            points.setdefault(p.id, []).append((p.date, p.count))
            current[p.id] += p.count
        rows = []
        for cid in taxonomy.CATEGORY_IDS:
            n = current.get(cid, 0)
            text, css = change_text(n, previous.get(cid, 0) if previous is not None else None, t)
            href = "/" + build_search(set_axis(f, "category", [cid]), view)
            badge = (
                [
                    alert_badge(
                        cid,
                        alerting[cid],
                        "/alerts" + build_search(set_axis(f, "category", [cid]), view),
                        t,
                    )
                ]
                if alerting[cid]
                else []
            )
            rows.append(
                html.Tr(
                    [
                        html.Td(
                            [
                                html.Span(className="dot", style={"background": colors[cid]}),
                                dcc.Link(label("category", cid), href=href, className="cat-link"),
                                *badge,
                            ]
                        ),
                        html.Td(t.number(n), className="num", id=f"ov-count-{cid}"),
                        html.Td(
                            text,
                            className=f"num {css}",
                            title=(
                                t("previous period: {count}").format(
                                    count=t.number(previous.get(cid, 0))
                                )
                                if previous is not None
                                else t("choose a period to compare")
                            ),
                        ),
                        html.Td(
                            dcc.Graph(
                                figure=figures.sparkline(
                                    points.get(cid, []), start, end, colors[cid]
                                ),
                                config={"staticPlot": True, "displayModeBar": False},
                                className="spark",
                            )
                        ),
                    ]
                )
            )
        hint = (
            t.plural(
                "Change against the previous {n} day.",
                "Change against the previous {n} days.",
                bounded.days,
            ).format(n=t.number(bounded.days))
            if compare
            else t("Pick a period to compare it with the one before.")
        )
        table = html.Div(
            [
                html.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(t("Category")),
                                    html.Th(t("Items"), className="num"),
                                    html.Th(t("Change"), className="num"),
                                    html.Th(t("Per day (UTC)")),
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    className="table cat-table",
                ),
                html.P(hint, className="hint"),
            ]
        )
        newest_list = item_list(newest.rows, label, empty=t(NO_MATCH), t=t)
        region_labels = {r: label("region", r) for r, _ in regions}
        platform_labels = {p: label("platform", p) for p, _ in platforms}
        return (
            kpis,
            table,
            newest_list,
            figures.localized(
                figures.bar_figure(
                    regions,
                    region_labels,
                    color=figures.PALETTE[0],
                    empty=t(NO_MATCH),
                    value_title=t("items"),
                ),
                t,
            ),
            figures.localized(
                figures.bar_figure(
                    platforms,
                    platform_labels,
                    color=figures.PALETTE[2],
                    empty=t("No platform is mentioned by the items matching these filters."),
                    value_title=t("items"),
                ),
                t,
            ),
        )

    register_click_filter(app, ids.OV_REGIONS, ["region"])
    register_click_filter(app, ids.OV_PLATFORMS, ["platform"])
