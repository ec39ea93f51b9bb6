"""Alerts: what early warning raised for the current filters, and the analyst's response.

The list (newest first) shows each alert's state, kind, series, observed
against expected stories, score and age; an alert is listed when its series
fits the global filters and its window overlaps the period. Opening one
(`?alert=ID` in the URL, so a notification's link lands on it) shows its
series per day against the expected band, the stories behind it, the
response playbook in Russian, Kazakh or English with its checklist, the
history, and the actions: acknowledge, resolve, dismiss, reopen, each with
an optional note. Ticking a checklist item saves it with the alert.

Writes go through `dashboard.alert_actions` alone (read-only mode and the
CSRF token are checked there); every other callback only reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from dashboard import alert_actions, ids
from dashboard.alert_figures import alert_chart
from dashboard.alert_series import series_history
from dashboard.components import graph, notice, utc_text
from dashboard.context import DashboardContext
from dashboard.url_state import ALERT_PARAM, build_search, from_store, with_view
from indicators.alerts import (
    ACTIONS,
    OPEN_STATES,
    STATES,
    AlertError,
    AlertEvent,
    AlertRow,
    allowed_actions,
)
from indicators.playbooks import SECTIONS, Playbook
from indicators.selection import FilterError, Filters
from indicators.store import alerts as alert_store
from indicators.store.deliveries import Headline, headlines
from indicators.weblinks import safe_href

PATH = "/alerts"
NAV_LABEL = "Alerts"
STORIES_SHOWN = 10
MOST_LISTED = 200
PLAYBOOK_LANGS = (("ru", "Русский"), ("kk", "Қазақша"), ("en", "English"))
ACTION_LABELS = {
    "acknowledge": "Acknowledge",
    "resolve": "Resolve",
    "dismiss": "Dismiss",
    "reopen": "Reopen",
    alert_actions.NOTE_ACTION: "Save note",
}
BUTTONS = (*ACTIONS, alert_actions.NOTE_ACTION)
NO_ALERTS = (
    "No alerts match these filters and states. Detection runs after every ingest "
    "cycle; run `threatmon alerts check` to run it now."
)
PICK_ONE = "Open an alert from the list to see its chart, stories, playbook and actions."


def check_id(section: str) -> str:
    return f"{ids.AL_CHECK}-{section}"


def heading_id(section: str) -> str:
    return f"{ids.AL_CHECK}-{section}-heading"


def layout(ctx: DashboardContext) -> Any:
    blocked = alert_actions.blocked_notice(ctx)
    read_only = blocked is not None
    actions = html.Div(
        [
            dcc.Textarea(
                id=ids.AL_NOTE,
                placeholder="Note (optional): what was checked, who was told",
                maxLength=4000,
                className="alert-note",
                disabled=read_only,
            ),
            html.Div(
                [
                    html.Button(
                        ACTION_LABELS[action],
                        id={"type": ids.AL_ACTION, "action": action},
                        n_clicks=0,
                        disabled=True,
                        className=f"action action-{action}",
                    )
                    for action in BUTTONS
                ],
                className="alert-actions",
            ),
        ],
        hidden=read_only,
    )
    detail = html.Div(
        [
            html.Div(id=ids.AL_SUMMARY),
            graph(ids.AL_CHART, height=280),
            html.H4("Stories behind it"),
            html.Div(id=ids.AL_STORIES),
            html.Div(
                [
                    html.H4("Response playbook"),
                    dcc.RadioItems(
                        id=ids.AL_LANG,
                        options=[{"label": name, "value": lang} for lang, name in PLAYBOOK_LANGS],
                        value="ru",
                        inline=True,
                        className="seg-radio",
                    ),
                ],
                className="playbook-header",
            ),
            html.Div(id=ids.AL_PLAYBOOK),
            *(
                html.Div(
                    [
                        html.H5(id=heading_id(section)),
                        dcc.Checklist(id=check_id(section), options=[], value=[]),
                    ],
                    className=f"playbook-section playbook-{section}",
                )
                for section in SECTIONS
            ),
            html.Div(id=ids.AL_CHECK_MESSAGE, role="status"),
            html.H4("Response"),
            notice(blocked) if blocked else None,
            actions,
            html.Div(id=ids.AL_MESSAGE, role="status"),
            html.H4("History"),
            html.Div(id=ids.AL_HISTORY),
        ],
        id=ids.AL_DETAIL,
        className="alert-detail",
        hidden=True,
    )
    return html.Section(
        [
            html.Div(
                [
                    html.H3("Alerts", className="card-title"),
                    dcc.Checklist(
                        id=ids.AL_STATES,
                        options=[{"label": s, "value": s} for s in STATES],
                        value=[s for s in STATES if s in OPEN_STATES],
                        inline=True,
                        className="card-extra",
                    ),
                ],
                className="card-header",
            ),
            dcc.Store(id=ids.AL_VERSION, data=0),
            html.Div(
                [dcc.Loading(html.Div(id=ids.AL_LIST), type="dot", delay_show=250), detail],
                className="alerts-body",
            ),
        ],
        className="card",
    )


# --- pure builders ---------------------------------------------------------------------


def numbers_text(alert: AlertRow) -> str:
    """`7 stories, expected 1.2 (5.8x), score 6.1`: the reason for the alert in one line."""
    parts = []
    if alert.observed is not None:
        parts.append(f"{alert.observed} stor{'y' if alert.observed == 1 else 'ies'}")
    if alert.expected is not None:
        ratio = f" ({alert.ratio:.1f}x)" if alert.ratio is not None else ""
        parts.append(f"expected {alert.expected:.1f}{ratio}")
    if alert.score is not None:
        parts.append(f"score {alert.score:.1f}")
    return ", ".join(parts) or "no numbers"


def age_text(moment: datetime, now: datetime) -> str:
    """How long ago, coarsely (`3 h ago`, `2 d ago`)."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def alert_table(
    alerts: Sequence[AlertRow], *, now: datetime, href_for: Any, selected: int | None
) -> Any:
    """The list: one row per alert, its label a link that opens it."""
    header = html.Tr(
        [html.Th(t) for t in ("State", "Kind", "Series", "Observed / expected", "Score", "Age")]
    )
    rows = []
    for alert in alerts:
        expected = f"{alert.expected:.1f}" if alert.expected is not None else "—"
        observed = str(alert.observed) if alert.observed is not None else "—"
        score = f"{alert.score:.1f}" if alert.score is not None else "—"
        rows.append(
            html.Tr(
                [
                    html.Td(html.Span(alert.state, className=f"status alert-state-{alert.state}")),
                    html.Td(alert.kind),
                    html.Td(
                        dcc.Link(alert.label, href=href_for(alert.id), id=f"al-open-{alert.id}")
                    ),
                    html.Td(f"{observed} / {expected}", className="num"),
                    html.Td(score, className="num"),
                    html.Td(age_text(alert.created_at, now), className="muted"),
                ],
                id=f"alert-{alert.id}",
                className="selected" if alert.id == selected else None,
            )
        )
    return html.Table(
        [html.Thead(header), html.Tbody(rows)], className="table alert-table", id=ids.AL_TABLE
    )


def summary(alert: AlertRow, now: datetime) -> Any:
    wave = "ongoing" if alert.active else "ended"
    return html.Div(
        [
            html.H4(
                [
                    html.Span(alert.state, className=f"status alert-state-{alert.state}"),
                    " ",
                    html.Span(alert.label, className="alert-label"),
                ],
                id=ids.AL_TITLE,
            ),
            html.P(numbers_text(alert), className="alert-numbers"),
            html.P(
                f"{alert.kind} · window {utc_text(alert.window_start)} – "
                f"{utc_text(alert.window_end)} · wave {wave} · raised "
                f"{age_text(alert.created_at, now)} · alert #{alert.id}",
                className="muted",
            ),
            html.P(f"Note: {alert.note}", className="alert-note-text") if alert.note else None,
        ]
    )


def stories(rows: Sequence[Headline]) -> Any:
    """The stories' titles as text, each a link only when its URL is http(s)."""
    if not rows:
        return notice("The stories behind this alert are no longer stored.")
    entries = []
    for row in rows:
        href = safe_href(row.url)
        title = (
            html.A(row.title, href=href, target="_blank", rel="noopener noreferrer nofollow")
            if href
            else html.Span(row.title)
        )
        entries.append(
            html.Li([html.Span(utc_text(row.published_at), className="item-time"), " ", title])
        )
    return html.Ul(entries, className="item-list alert-stories")


def history(events: Sequence[AlertEvent]) -> Any:
    return html.Ul(
        [
            html.Li(f"{utc_text(e.at)}: {e.event} ({e.state})" + (f" — {e.note}" if e.note else ""))
            for e in events
        ],
        className="alert-history",
    )


def playbook_parts(
    playbook: Playbook | None, lang: str, saved: Mapping[str, bool], *, read_only: bool
) -> tuple[Any, list[str], list[list[dict[str, Any]]], list[list[str]]]:
    """The playbook's title block, then per section: heading, checklist options, ticked keys."""
    if playbook is None:
        empty: list[Any] = [[] for _ in SECTIONS]
        return (
            notice("No playbook is linked to this alert."),
            ["" for _ in SECTIONS],
            empty,
            empty,
        )
    text = playbook.text(lang)
    state = playbook.checklist_state(saved)
    by_id = {section.id: section for section in text.sections}
    headings, options, values = [], [], []
    for section_id in SECTIONS:
        section = by_id[section_id]
        headings.append(section.heading)
        options.append(
            [
                {"label": item.text, "value": item.key, "disabled": read_only}
                for item in section.items
            ]
        )
        values.append([item.key for item in section.items if state.get(item.key)])
    head = html.Div(
        [html.H5(text.title, lang=text.lang), html.P(text.summary, lang=text.lang)],
        className="playbook",
    )
    return head, headings, options, values


# --- callbacks -------------------------------------------------------------------------


def _selected(data: Mapping[str, Any] | None) -> tuple[Filters, dict[str, str], int | None]:
    if data is None:
        raise PreventUpdate
    try:
        f, view = from_store(data)
    except FilterError:
        raise PreventUpdate from None
    chosen = view.get(ALERT_PARAM) or ""
    return f, view, int(chosen) if chosen else None


def _load(ctx: DashboardContext, alert_id: int | None) -> AlertRow | None:
    if alert_id is None:
        return None
    try:
        return alert_store.get_alert(ctx.engine, alert_id)
    except AlertError:
        return None


def register(app: Dash, ctx: DashboardContext) -> None:
    @app.callback(
        Output(ids.AL_LIST, "children"),
        Input(ids.STATE, "data"),
        Input(ids.AL_STATES, "value"),
        Input(ids.AL_VERSION, "data"),
    )
    def update_list(data: dict[str, Any] | None, states: list[str] | None, _v: Any) -> Any:
        f, view, selected = _selected(data)
        chosen = [s for s in (states or []) if s in STATES]
        if not chosen:
            return notice("Choose at least one state.")
        found = sorted(
            alert_store.alerts_overlapping(ctx.engine, f, states=chosen),
            key=lambda a: (a.created_at, a.id),
            reverse=True,
        )[:MOST_LISTED]
        if not found:
            return notice(NO_ALERTS)

        def href_for(alert_id: int) -> str:
            return PATH + build_search(f, with_view(view, **{ALERT_PARAM: str(alert_id)}))

        table = alert_table(found, now=ctx.clock(), href_for=href_for, selected=selected)
        return [table, None if selected else html.P(PICK_ONE, className="muted")]

    @app.callback(
        Output(ids.AL_DETAIL, "hidden"),
        Output(ids.AL_SUMMARY, "children"),
        Output(ids.AL_CHART, "figure"),
        Output(ids.AL_STORIES, "children"),
        Output(ids.AL_HISTORY, "children"),
        Output({"type": ids.AL_ACTION, "action": ALL}, "disabled"),
        Input(ids.STATE, "data"),
        Input(ids.AL_VERSION, "data"),
    )
    def show_detail(data: dict[str, Any] | None, _v: Any) -> tuple[Any, ...]:
        _f, _view, selected = _selected(data)
        alert = _load(ctx, selected)
        if alert is None:
            message = notice(f"There is no alert #{selected}.") if selected else None
            return (selected is None, message, {}, None, None, [True] * len(BUTTONS))
        allowed = set(offered_actions(alert))
        disabled = [not ctx.writable() or action not in allowed for action in BUTTONS]
        return (
            False,
            summary(alert, ctx.clock()),
            alert_chart(
                series_history(ctx.engine, alert, ctx.detection),
                alert.window_start,
                alert.window_end,
            ),
            stories(headlines(ctx.engine, alert.item_ids, limit=STORIES_SHOWN)),
            history(alert_store.events(ctx.engine, alert.id)),
            disabled,
        )

    section_outputs = [
        *(Output(heading_id(s), "children") for s in SECTIONS),
        *(Output(check_id(s), "options") for s in SECTIONS),
        *(Output(check_id(s), "value") for s in SECTIONS),
    ]

    @app.callback(
        Output(ids.AL_PLAYBOOK, "children"),
        *section_outputs,
        Input(ids.STATE, "data"),
        Input(ids.AL_LANG, "value"),
        Input(ids.AL_VERSION, "data"),
    )
    def show_playbook(data: dict[str, Any] | None, lang: str | None, _v: Any) -> tuple[Any, ...]:
        _f, _view, selected = _selected(data)
        alert = _load(ctx, selected)
        if alert is None:
            raise PreventUpdate
        head, headings, options, values = playbook_parts(
            ctx.playbooks.get(alert.playbook or ""),
            lang or "ru",
            alert.checklist,
            read_only=not ctx.writable(),
        )
        return (head, *headings, *options, *values)

    @app.callback(
        Output(ids.AL_CHECK_MESSAGE, "children"),
        Output(ids.AL_HISTORY, "children", allow_duplicate=True),
        *(Input(check_id(s), "value") for s in SECTIONS),
        State(ids.STATE, "data"),
        State(ids.CSRF_TOKEN, "data"),
        prevent_initial_call=True,
    )
    def tick(*args: Any) -> tuple[Any, Any]:
        *ticked, data, token = args
        _f, _view, selected = _selected(data)
        alert = _load(ctx, selected)
        playbook = ctx.playbooks.get(alert.playbook or "") if alert else None
        if alert is None or playbook is None:
            raise PreventUpdate
        keys = [key for values in ticked for key in (values or [])]
        result = alert_actions.save_checklist(ctx, token, alert, playbook, keys)
        if not result.changed and result.ok:
            raise PreventUpdate
        message = _message(result)
        if not result.changed:
            return message, no_update
        return message, history(alert_store.events(ctx.engine, alert.id))

    @app.callback(
        Output(ids.AL_MESSAGE, "children"),
        Output(ids.AL_VERSION, "data"),
        Output(ids.AL_NOTE, "value"),
        Input({"type": ids.AL_ACTION, "action": ALL}, "n_clicks"),
        State(ids.AL_NOTE, "value"),
        State(ids.STATE, "data"),
        State(ids.CSRF_TOKEN, "data"),
        State(ids.AL_VERSION, "data"),
        prevent_initial_call=True,
    )
    def act(
        clicks: list[int | None], note: str | None, data: Any, token: Any, version: Any
    ) -> tuple[Any, Any, Any]:
        trigger = dash_ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        _f, _view, selected = _selected(data)
        if selected is None:
            raise PreventUpdate
        result = alert_actions.perform(ctx, token, selected, str(trigger.get("action")), note or "")
        if not result.ok:
            return _message(result), no_update, no_update
        return _message(result), int(version or 0) + 1, ""


def offered_actions(alert: AlertRow) -> tuple[str, ...]:
    """The buttons an alert offers: its state's transitions, and a note for any alert."""
    return (*allowed_actions(alert.state), alert_actions.NOTE_ACTION)


def _message(result: alert_actions.ActionResult) -> Any:
    if not result.message:
        return None
    kind = "done" if result.ok else "error"
    return html.Div(result.message, className=f"notice notice-{kind}")
