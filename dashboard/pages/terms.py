"""Emerging terms: words and phrases that rose in relevant items, and a way to the lexicon.

For the current filters (the period defaults to the `terms_window_days` ending
on the newest item) the view lists what `indicators.emerging_report` ranks:
each term with its recent and earlier item counts, its G2, a small trend per
period and the newest items holding it (titles as text; only http/https links
are links); the term links to the Items view of the same filters searching
for it. When the dashboard is writable, an analyst can send a term to the
lexicon overlay with a category (`dashboard.term_actions`, behind the CSRF
checks); read-only dashboards show how to do it on the server instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from dashboard import access, ids, term_actions
from dashboard.components import card, notice
from dashboard.context import DashboardContext
from dashboard.shell import NO_ITEMS_YET
from dashboard.url_state import build_search, from_store
from indicators import taxonomy
from indicators.emerging_report import EmergingReport, EmergingTerm, default_window, emerging_terms
from indicators.lexicon import CompiledLexicon, load_compiled
from indicators.lexicon_overlay import load_with_overlay
from indicators.selection import FilterError
from indicators.store import queries
from indicators.weblinks import safe_href

PATH = "/terms"
ITEMS_PATH = "/items"  # the Items view (pages do not import pages)
NAV_LABEL = "Emerging terms"
LIMIT = 30
LANGS = (("ru", "Russian"), ("kk", "Kazakh"), ("en", "English"), ("any", "any language"))


def layout(ctx: DashboardContext) -> Any:
    return html.Div(
        [
            card(
                "Emerging terms",
                html.Div(
                    [
                        html.P(id=ids.TE_SUMMARY, className="hint"),
                        dcc.Loading(html.Div(id=ids.TE_LIST), type="dot", delay_show=250),
                        html.P(
                            "A term is a word or two neighbouring words; it counts once per "
                            "relevant item. G2 is the signed log-likelihood ratio of its share "
                            "of items now against before (10.8 means p = 0.001). Stop words and "
                            "terms the lexicon already matches are left out.",
                            className="hint",
                        ),
                    ]
                ),
            ),
            card("Propose to the lexicon", propose_form(ctx)),
            dcc.Store(id=ids.TE_VERSION, data=0),
        ]
    )


def propose_form(ctx: DashboardContext) -> Any:
    """The proposal form, or, read-only, the command that does it on the server."""
    if not ctx.writable():
        why = term_actions.READ_ONLY if ctx.read_only else access.VIEWER_NOTICE
        return html.Div(
            [
                notice(why, kind="empty"),
                # hidden, so the callbacks still find their components
                dcc.Input(id=ids.TE_TERM, type="hidden"),
                dcc.Dropdown(id=ids.TE_CATEGORY, style={"display": "none"}),
                dcc.Dropdown(id=ids.TE_LANG, style={"display": "none"}),
                html.Button(id=ids.TE_PROPOSE, style={"display": "none"}, n_clicks=0),
                html.Div(id=ids.TE_MESSAGE),
            ]
        )
    return html.Div(
        [
            html.Div(
                [
                    html.Label(
                        [
                            html.Span("Term", className="field-label"),
                            dcc.Input(id=ids.TE_TERM, type="text", debounce=False, maxLength=100),
                        ],
                        className="field",
                    ),
                    html.Label(
                        [
                            html.Span("Category", className="field-label"),
                            dcc.Dropdown(
                                id=ids.TE_CATEGORY,
                                options=[
                                    {"label": ctx.label("category", c), "value": c}
                                    for c in taxonomy.CATEGORY_IDS
                                ],
                                clearable=False,
                            ),
                        ],
                        className="field",
                    ),
                    html.Label(
                        [
                            html.Span("Language", className="field-label"),
                            dcc.Dropdown(
                                id=ids.TE_LANG,
                                options=[{"label": t, "value": v} for v, t in LANGS],
                                value="ru",
                                clearable=False,
                            ),
                        ],
                        className="field",
                    ),
                    html.Button(
                        "Add to lexicon overlay", id=ids.TE_PROPOSE, n_clicks=0, className="action"
                    ),
                ],
                className="options",
            ),
            html.Div(id=ids.TE_MESSAGE),
            html.P(
                "The term goes to the local overlay (setting lexicon_overlay) after the same "
                "checks as `threatmon lexicon check`; `threatmon retag` applies it to stored "
                "items.",
                className="hint",
            ),
        ]
    )


def sparkline(trend: tuple[int, ...], totals: tuple[int, ...]) -> Any:
    """Bars of the term's items per period, the last (recent) one marked."""
    top = max(trend, default=0) or 1
    bars = [
        html.Span(
            className="spark-bar spark-now" if i == len(trend) - 1 else "spark-bar",
            style={"height": f"{max(4, round(100 * v / top))}%"},
            title=f"{v} of {n} items",
        )
        for i, (v, n) in enumerate(zip(trend, totals, strict=True))
    ]
    return html.Span(bars, className="term-spark")


def example_links(term: EmergingTerm) -> Any:
    entries = []
    for example in term.examples:
        href = safe_href(example.url)
        title: Any = (
            html.A(
                example.title,
                href=href,
                target="_blank",
                rel="noopener noreferrer nofollow",
                className="item-title",
            )
            if href
            else html.Span(example.title, className="item-title")
        )
        entries.append(html.Li([html.Span(example.day, className="item-time"), " ", title]))
    return html.Ul(entries, className="term-examples")


def terms_table(report: EmergingReport, *, writable: bool) -> Any:
    """One row per term: term, now, before, G2, trend, examples (and a propose button)."""
    head = ["Term", "Now", "Before", "G2", "Trend", "Newest items"]
    if writable:
        head.append("")
    rows = []
    for t in report.terms:
        cells = [
            html.Td(
                dcc.Link(
                    t.term,
                    href=ITEMS_PATH + build_search(replace(report.filters, q=t.term)),
                    title=f"The items of this period that contain {t.term!r}",
                ),
                className="term",
            ),
            html.Td(str(t.now), className="num"),
            html.Td(str(t.before), className="num"),
            html.Td(f"{t.g2:.1f}", className="num"),
            html.Td(sparkline(t.trend, report.totals)),
            html.Td(example_links(t)),
        ]
        if writable:
            cells.append(
                html.Td(
                    html.Button(
                        "Propose",
                        id={"type": ids.TE_PICK, "term": t.term},
                        n_clicks=0,
                        className="seg-option",
                        title=f"Put {t.term!r} in the proposal form",
                    )
                )
            )
        rows.append(html.Tr(cells))
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        className="table terms-table",
    )


def summary_text(report: EmergingReport) -> str:
    first, last = report.periods[-1]
    return (
        f"{first} to {last}: {report.items_now:,} relevant items, against "
        f"{report.items_before:,} from {report.periods[0][0]} to {report.periods[-2][1]} "
        f"(periods of up to {(last - first).days + 1} days); terms in at least "
        f"{report.min_count} recent items."
    )


def _lexicon(ctx: DashboardContext) -> CompiledLexicon:
    """The lexicon with the overlay (re-read when it changed; a broken one is left out)."""
    assert ctx.data_dir is not None
    if ctx.lexicon_overlay is None:
        return load_compiled(ctx.data_dir)
    return load_with_overlay(ctx.data_dir, ctx.lexicon_overlay).compiled


def register(app: Dash, ctx: DashboardContext) -> None:
    @app.callback(
        Output(ids.TE_SUMMARY, "children"),
        Output(ids.TE_LIST, "children"),
        Input(ids.STATE, "data"),
        Input(ids.TE_VERSION, "data"),
    )
    def update(data: dict[str, Any] | None, _version: Any) -> tuple[Any, Any]:
        if not data:
            raise PreventUpdate
        f, _view = from_store(data)
        _first, last = queries.date_bounds(ctx.engine)
        if last is None or ctx.data_dir is None:
            return "", notice(NO_ITEMS_YET)
        try:
            report = emerging_terms(
                ctx.engine,
                default_window(f, last, ctx.emerging.window_days),
                _lexicon(ctx),
                ctx.stop_words,
                recent_days=ctx.emerging.recent_days,
                min_count=ctx.emerging.min_count,
                limit=LIMIT,
            )
        except FilterError as exc:
            return "", notice(str(exc))
        if not report.terms:
            return summary_text(report), notice(
                "No term rose enough in these filters: widen the period or remove a filter."
            )
        return summary_text(report), terms_table(report, writable=ctx.writable())

    @app.callback(
        Output(ids.TE_TERM, "value"),
        Input({"type": ids.TE_PICK, "term": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def pick(clicks: list[int | None]) -> Any:
        trigger = dash_ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        return str(trigger.get("term", ""))

    @app.callback(
        Output(ids.TE_MESSAGE, "children"),
        Output(ids.TE_VERSION, "data"),
        Input(ids.TE_PROPOSE, "n_clicks"),
        State(ids.TE_TERM, "value"),
        State(ids.TE_CATEGORY, "value"),
        State(ids.TE_LANG, "value"),
        State(ids.CSRF_TOKEN, "data"),
        State(ids.TE_VERSION, "data"),
        prevent_initial_call=True,
    )
    def propose(
        clicks: int | None, term: Any, category: Any, lang: Any, token: Any, version: Any
    ) -> tuple[Any, Any]:
        if not clicks:
            raise PreventUpdate
        result = term_actions.propose(ctx, token, term, category, lang)
        message = html.Div(
            result.message, className=f"notice notice-{'done' if result.ok else 'error'}"
        )
        return message, (int(version or 0) + 1) if result.ok else no_update
