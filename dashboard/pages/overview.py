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
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.shell import NO_ITEMS_YET, NO_MATCH
from dashboard.url_state import build_search, from_store, set_axis
from indicators import taxonomy
from indicators.alerts import OPEN_STATES
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store import queries

PATH = "/"
NAV_LABEL = N_("Overview")
NEWEST = 8


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    """Not translated yet: shown in English in every language."""
    return html.Div(
        [
            dcc.Loading(html.Div(id=ids.OV_TOTALS, className="kpis"), type="dot", delay_show=250),
            html.Div(
                [
                    card(
                        "Categories",
                        dcc.Loading(html.Div(id=ids.OV_CATEGORIES), type="dot", delay_show=250),
                        className="span-2",
                    ),
                    card(
                        "Newest relevant items",
                        dcc.Loading(html.Div(id=ids.OV_NEWEST), type="dot", delay_show=250),
                    ),
                ],
                className="grid grid-3",
            ),
            html.Div(
                [
                    card(
                        "Most active regions",
                        graph(ids.OV_REGIONS, height=300),
                        extra="click a bar to filter",
                    ),
                    card(
                        "Most mentioned platforms",
                        graph(ids.OV_PLATFORMS, height=300),
                        extra="click a bar to filter",
                    ),
                ],
                className="grid grid-2",
            ),
        ]
    )


def change_text(current: int, previous: int | None) -> tuple[str, str]:
    """(text, css class) for the change against the previous period."""
    if previous is None:
        return "—", "change-none"
    if previous == 0:
        return ("new", "change-up") if current else ("—", "change-none")
    pct = round(100.0 * (current - previous) / previous)
    if pct > 0:
        return f"+{pct}%", "change-up"
    if pct < 0:
        return f"{pct}%", "change-down"
    return "±0%", "change-none"


def _kpi(title: str, value: int, note: str, kpi_id: str) -> Any:
    return html.Div(
        [
            html.Div(title, className="kpi-title"),
            html.Div(f"{value:,}", className="kpi-value", id=kpi_id),
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


def alert_badge(cid: str, n: int, href: str) -> Any:
    """`⚠ n` after a category with open alerts, linking to those alerts."""
    return dcc.Link(
        f"⚠ {n}",
        href=href,
        className="alert-badge",
        id=f"ov-alerts-{cid}",
        title=f"{n} open alert{'s' if n != 1 else ''} on this category: open them",
    )


def open_alerts_kpi(ctx: DashboardContext) -> Any:
    """Alerts waiting for the analyst (new or acknowledged, whatever the filters) and the
    time of the last detection run, so a stalled detector is noticed."""
    run = alert_store.last_run(ctx.engine)
    if run is None:
        when = "detection has not run yet"
    else:
        when = f"last check {utc_text(run['finished_at'] or run['started_at'])}"
        if run["status"] != "ok":
            when += f" ({run['status']})"
    return html.Div(
        [
            html.Div("Open alerts", className="kpi-title"),
            html.Div(
                f"{alert_store.count_open(ctx.engine):,}", className="kpi-value", id="kpi-alerts"
            ),
            html.Div([dcc.Link("see Alerts", href="/alerts"), f" · {when}"], className="kpi-note"),
        ],
        className="kpi",
    )


def _period_text(f: Filters) -> str:
    if f.date_from and f.date_to:
        return f"{f.date_from.isoformat()} to {f.date_to.isoformat()} (UTC)"
    if f.date_from:
        return f"from {f.date_from.isoformat()} (UTC)"
    if f.date_to:
        return f"up to {f.date_to.isoformat()} (UTC)"
    return "all time"


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
        first, last = queries.date_bounds(ctx.engine)
        if first is None or last is None:
            empty = figures.empty_figure(NO_ITEMS_YET)
            return (notice(NO_ITEMS_YET), None, None, empty, empty)
        totals = queries.totals(ctx.engine, f)
        period = _period_text(f)
        kpis = [
            _kpi("Items", totals.items, period, "kpi-items"),
            _kpi(
                "Relevant items",
                totals.relevant,
                "tagged with at least one category",
                "kpi-relevant",
            ),
            _kpi("Stories", totals.stories, "near-duplicate reports counted once", "kpi-stories"),
            open_alerts_kpi(ctx),
        ]
        bounded = f.bounded(first, last)
        start, end = bounded.date_from or first, bounded.date_to or last
        compare = bool(f.date_from or f.date_to)
        current = dict(queries.counts_by(ctx.engine, f, "category"))
        previous = (
            dict(queries.counts_by(ctx.engine, bounded.previous_period(), "category"))
            if compare
            else None
        )
        points: dict[str, list[tuple[Any, int]]] = {}
        for p in queries.series(ctx.engine, f, "category", "day"):
            points.setdefault(p.id, []).append((p.date, p.count))
        rows = []
        alerting = open_alerts_by_category(ctx)
        for cid in taxonomy.CATEGORY_IDS:
            n = current.get(cid, 0)
            text, css = change_text(n, previous.get(cid, 0) if previous is not None else None)
            href = "/" + build_search(set_axis(f, "category", [cid]), view)
            badge = (
                [
                    alert_badge(
                        cid,
                        alerting[cid],
                        "/alerts" + build_search(set_axis(f, "category", [cid]), view),
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
                                dcc.Link(
                                    ctx.label("category", cid), href=href, className="cat-link"
                                ),
                                *badge,
                            ]
                        ),
                        html.Td(f"{n:,}", className="num", id=f"ov-count-{cid}"),
                        html.Td(
                            text,
                            className=f"num {css}",
                            title=(
                                f"previous period: {previous.get(cid, 0)}"
                                if previous is not None
                                else "choose a period to compare"
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
            f"Change against the previous {bounded.days} days."
            if compare
            else "Pick a period to compare it with the one before."
        )
        table = html.Div(
            [
                html.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th("Category"),
                                    html.Th("Items", className="num"),
                                    html.Th("Change", className="num"),
                                    html.Th("Per day (UTC)"),
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
        # Relevant = carries a category; without a category filter, ask for any of them.
        newest = queries.items_page(ctx.engine, f, limit=NEWEST, relevant_only=True)
        newest_list = item_list(newest.rows, ctx.label, empty=NO_MATCH)
        regions = queries.counts_by(ctx.engine, f, "region")
        platforms = queries.counts_by(ctx.engine, f, "platform")
        region_labels = {r: ctx.label("region", r) for r, _ in regions}
        platform_labels = {p: ctx.label("platform", p) for p, _ in platforms}
        return (
            kpis,
            table,
            newest_list,
            figures.bar_figure(regions, region_labels, color=figures.PALETTE[0], empty=NO_MATCH),
            figures.bar_figure(
                platforms,
                platform_labels,
                color=figures.PALETTE[2],
                empty="No platform is mentioned by the items matching these filters.",
            ),
        )

    register_click_filter(app, ids.OV_REGIONS, ["region"])
    register_click_filter(app, ids.OV_PLATFORMS, ["platform"])
