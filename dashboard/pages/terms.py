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

from babel.numbers import format_decimal
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from dashboard import access, ids, term_actions
from dashboard.components import card, dropdown_labels, notice
from dashboard.context import DashboardContext
from dashboard.filter_errors import filter_error_text
from dashboard.i18n import ENGLISH, N_, UI_PARAM, Translator
from dashboard.labels import LANGUAGE_NAMES
from dashboard.shell import NO_ITEMS_YET
from dashboard.url_state import build_search, from_store, language_of
from indicators import taxonomy
from indicators.emerging_report import EmergingReport, EmergingTerm, default_window, emerging_terms
from indicators.lexicon import CompiledLexicon, load_compiled
from indicators.lexicon_overlay import load_with_overlay
from indicators.selection import FilterError
from indicators.store import queries
from indicators.weblinks import safe_href

PATH = "/terms"
ITEMS_PATH = "/items"  # the Items view (pages do not import pages)
NAV_LABEL = N_("Emerging terms")
LIMIT = 30
# the languages a proposed term may be entered for (named through LANGUAGE_NAMES)
LANGS = (("ru", LANGUAGE_NAMES["ru"]), ("kk", LANGUAGE_NAMES["kk"]), ("en", LANGUAGE_NAMES["en"]))
ANY_LANGUAGE = N_("any language")


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Div(
        [
            card(
                t("Emerging terms"),
                html.Div(
                    [
                        html.P(id=ids.TE_SUMMARY, className="hint"),
                        dcc.Loading(html.Div(id=ids.TE_LIST), type="dot", delay_show=250),
                        html.P(
                            t(
                                "A term is a word or two neighbouring words; it counts once per "
                                "relevant item. G2 is the signed log-likelihood ratio of its "
                                "share of items now against before (10.8 means p = 0.001). Stop "
                                "words and terms the lexicon already matches are left out."
                            ),
                            className="hint",
                        ),
                    ]
                ),
            ),
            card(t("Propose to the lexicon"), propose_form(ctx, t)),
            dcc.Store(id=ids.TE_VERSION, data=0),
        ]
    )


def propose_form(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    """The proposal form, or, read-only, the command that does it on the server."""
    if not ctx.writable():
        why = term_actions.READ_ONLY if ctx.read_only else access.VIEWER_NOTICE
        return html.Div(
            [
                notice(t(why), kind="empty"),
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
                            html.Span(t("Term"), className="field-label"),
                            dcc.Input(id=ids.TE_TERM, type="text", debounce=False, maxLength=100),
                        ],
                        className="field",
                    ),
                    html.Label(
                        [
                            html.Span(t("Category"), className="field-label"),
                            dcc.Dropdown(
                                id=ids.TE_CATEGORY,
                                placeholder=t("Choose a category"),
                                labels=dropdown_labels(t),
                                options=[
                                    {"label": ctx.label("category", c, lang=t.lang), "value": c}
                                    for c in taxonomy.CATEGORY_IDS
                                ],
                                clearable=False,
                            ),
                        ],
                        className="field",
                    ),
                    html.Label(
                        [
                            html.Span(t("Language"), className="field-label"),
                            dcc.Dropdown(
                                id=ids.TE_LANG,
                                options=[
                                    *({"label": t(name), "value": v} for v, name in LANGS),
                                    {"label": t(ANY_LANGUAGE), "value": "any"},
                                ],
                                value="ru",
                                clearable=False,
                                labels=dropdown_labels(t),
                            ),
                        ],
                        className="field",
                    ),
                    html.Button(
                        t("Add to lexicon overlay"),
                        id=ids.TE_PROPOSE,
                        n_clicks=0,
                        className="action",
                    ),
                ],
                className="options",
            ),
            html.Div(id=ids.TE_MESSAGE),
            html.P(
                t(
                    "The term goes to the local overlay (setting lexicon_overlay) after the "
                    "same checks as `threatmon lexicon check`; `threatmon retag` applies it to "
                    "stored items."
                ),
                className="hint",
            ),
        ]
    )


def sparkline(trend: tuple[int, ...], totals: tuple[int, ...], t: Translator = ENGLISH) -> Any:
    """Bars of the term's items per period, the last (recent) one marked."""
    top = max(trend, default=0) or 1
    bars = [
        html.Span(
            className="spark-bar spark-now" if i == len(trend) - 1 else "spark-bar",
            style={"height": f"{max(4, round(100 * v / top))}%"},
            title=t("{count} of {total} items").format(count=t.number(v), total=t.number(n)),
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


def terms_table(
    report: EmergingReport, *, writable: bool, t: Translator = ENGLISH, ui: str = ""
) -> Any:
    """One row per term: term, now, before, G2, trend, examples (and a propose button).

    `ui` is the interface language the term's link to the Items view keeps."""
    head = [t("Term"), t("Now"), t("Before"), "G2", t("Trend"), t("Newest items")]
    if writable:
        head.append("")
    view = {UI_PARAM: ui} if ui else None
    rows = []
    for term in report.terms:
        cells = [
            html.Td(
                dcc.Link(
                    term.term,
                    href=ITEMS_PATH + build_search(replace(report.filters, q=term.term), view),
                    title=t("The items of this period that contain «{term}»").format(
                        term=term.term
                    ),
                ),
                className="term",
            ),
            html.Td(t.number(term.now), className="num"),
            html.Td(t.number(term.before), className="num"),
            html.Td(format_decimal(term.g2, "0.0", locale=t.lang), className="num"),
            html.Td(sparkline(term.trend, report.totals, t)),
            html.Td(example_links(term)),
        ]
        if writable:
            cells.append(
                html.Td(
                    html.Button(
                        t("Propose"),
                        id={"type": ids.TE_PICK, "term": term.term},
                        n_clicks=0,
                        className="seg-option",
                        title=t("Put «{term}» in the proposal form").format(term=term.term),
                    )
                )
            )
        rows.append(html.Tr(cells))
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        className="table terms-table",
    )


def summary_text(report: EmergingReport, t: Translator = ENGLISH) -> str:
    first, last = report.periods[-1]
    return t(
        "{start} to {end}: {now} relevant items, against {before} from {earlier_start} to "
        "{earlier_end} (periods of up to {days} days); terms in at least {least} recent items."
    ).format(
        start=t.day(first),
        end=t.day(last),
        now=t.number(report.items_now),
        before=t.number(report.items_before),
        earlier_start=t.day(report.periods[0][0]),
        earlier_end=t.day(report.periods[-2][1]),
        days=t.number((last - first).days + 1),
        least=t.number(report.min_count),
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
        f, view = from_store(data)
        t = ctx.translator(language_of(data))
        _first, last = queries.date_bounds(ctx.engine)
        if last is None or ctx.data_dir is None:
            return "", notice(t(NO_ITEMS_YET))
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
            return "", notice(filter_error_text(str(exc), t))
        if not report.terms:
            return summary_text(report, t), notice(
                t("No term rose enough in these filters: widen the period or remove a filter.")
            )
        table = terms_table(report, writable=ctx.writable(), t=t, ui=view.get(UI_PARAM, ""))
        return summary_text(report, t), table

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
        State(ids.UI_LANG, "data"),
        prevent_initial_call=True,
    )
    def propose(
        clicks: int | None,
        term: Any,
        category: Any,
        lang: Any,
        token: Any,
        version: Any,
        ui: Any,
    ) -> tuple[Any, Any]:
        if not clicks:
            raise PreventUpdate
        t = ctx.translator(ui if isinstance(ui, str) else None)
        result = term_actions.propose(ctx, token, term, category, lang, t)
        message = html.Div(
            result.message, className=f"notice notice-{'done' if result.ok else 'error'}"
        )
        return message, (int(version or 0) + 1) if result.ok else no_update
