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

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from dashboard import alert_actions, figures, ids
from dashboard.alert_figures import alert_chart
from dashboard.alert_series import series_history
from dashboard.alert_text import EVENT_NAMES, KIND_NAMES, STATE_NAMES, alert_label, named
from dashboard.components import graph, notice, utc_text
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.url_state import ALERT_PARAM, build_search, from_store, language_of, with_view
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
NAV_LABEL = N_("Alerts")
STORIES_SHOWN = 10
MOST_LISTED = 200
PLAYBOOK_LANGS = (("ru", "Русский"), ("kk", "Қазақша"), ("en", "English"))
ACTION_LABELS = {
    "acknowledge": N_("Acknowledge"),
    "resolve": N_("Resolve"),
    "dismiss": N_("Dismiss"),
    "reopen": N_("Reopen"),
    alert_actions.NOTE_ACTION: N_("Save note"),
}
BUTTONS = (*ACTIONS, alert_actions.NOTE_ACTION)
NO_ALERTS = N_(
    "No alerts match these filters and states. Detection runs after every ingest "
    "cycle; run `threatmon alerts check` to run it now."
)
PICK_ONE = N_("Open an alert from the list to see its chart, stories, playbook and actions.")


def check_id(section: str) -> str:
    return f"{ids.AL_CHECK}-{section}"


def heading_id(section: str) -> str:
    return f"{ids.AL_CHECK}-{section}-heading"


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    blocked = alert_actions.blocked_notice(ctx)
    read_only = blocked is not None
    actions = html.Div(
        [
            dcc.Textarea(
                id=ids.AL_NOTE,
                placeholder=t("Note (optional): what was checked, who was told"),
                maxLength=4000,
                className="alert-note",
                disabled=read_only,
            ),
            html.Div(
                [
                    html.Button(
                        t(ACTION_LABELS[action]),
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
            graph(ids.AL_CHART, height=280, locale=t.lang),
            html.H4(t("Stories behind it")),
            html.Div(id=ids.AL_STORIES),
            html.Div(
                [
                    html.H4(t("Response playbook")),
                    # the playbook opens in the interface language; its own language is a choice
                    dcc.RadioItems(
                        id=ids.AL_LANG,
                        options=[
                            {"label": html.Span(name, lang=lang), "value": lang}
                            for lang, name in PLAYBOOK_LANGS
                        ],
                        value=t.lang if t.lang in dict(PLAYBOOK_LANGS) else "ru",
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
            html.H4(t("Response")),
            notice(t(blocked)) if blocked else None,
            actions,
            html.Div(id=ids.AL_MESSAGE, role="status"),
            html.H4(t("History")),
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
                    html.H3(t("Alerts"), className="card-title"),
                    dcc.Checklist(
                        id=ids.AL_STATES,
                        options=[{"label": named(STATE_NAMES, s, t), "value": s} for s in STATES],
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


def one_decimal(value: float, t: Translator = ENGLISH) -> str:
    return format_decimal(value, "0.0", locale=t.lang)


def numbers_text(alert: AlertRow, t: Translator = ENGLISH) -> str:
    """`7 stories, expected 1.2 (5.8x), score 6.1`: the reason for the alert in one line."""
    parts = []
    if alert.observed is not None:
        parts.append(
            t.plural("{n} story", "{n} stories", alert.observed).format(n=t.number(alert.observed))
        )
    if alert.expected is not None:
        ratio = f" ({one_decimal(alert.ratio, t)}x)" if alert.ratio is not None else ""
        parts.append(t("expected {n}").format(n=one_decimal(alert.expected, t)) + ratio)
    if alert.score is not None:
        parts.append(t("score {n}").format(n=one_decimal(alert.score, t)))
    return ", ".join(parts) or t("no numbers")


def age_text(moment: datetime, now: datetime, t: Translator = ENGLISH) -> str:
    """How long ago, coarsely (`3 h ago`, `2 d ago`)."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 3600:
        return t("{n} min ago").format(n=t.number(seconds // 60))
    if seconds < 86400:
        return t("{n} h ago").format(n=t.number(seconds // 3600))
    return t("{n} d ago").format(n=t.number(seconds // 86400))


def state_badge(state: str, t: Translator = ENGLISH) -> Any:
    return html.Span(named(STATE_NAMES, state, t), className=f"status alert-state-{state}")


def alert_table(
    alerts: Sequence[AlertRow],
    *,
    now: datetime,
    href_for: Any,
    selected: int | None,
    label: Callable[[str, str], str] | None = None,
    t: Translator = ENGLISH,
) -> Any:
    """The list: one row per alert, its label a link that opens it."""
    header = html.Tr(
        [
            html.Th(t(title))
            for title in (
                N_("State"),
                N_("Kind"),
                N_("Series"),
                N_("Observed / expected"),
                N_("Score"),
                N_("Age"),
            )
        ]
    )
    name = label or (lambda _axis, value: value)
    rows = []
    for alert in alerts:
        expected = one_decimal(alert.expected, t) if alert.expected is not None else "—"
        observed = t.number(alert.observed) if alert.observed is not None else "—"
        score = one_decimal(alert.score, t) if alert.score is not None else "—"
        rows.append(
            html.Tr(
                [
                    html.Td(state_badge(alert.state, t)),
                    html.Td(named(KIND_NAMES, alert.kind, t)),
                    html.Td(
                        dcc.Link(
                            alert_label(alert, name, t),
                            href=href_for(alert.id),
                            id=f"al-open-{alert.id}",
                        )
                    ),
                    html.Td(f"{observed} / {expected}", className="num"),
                    html.Td(score, className="num"),
                    html.Td(age_text(alert.created_at, now, t), className="muted"),
                ],
                id=f"alert-{alert.id}",
                className="selected" if alert.id == selected else None,
            )
        )
    return html.Table(
        [html.Thead(header), html.Tbody(rows)], className="table alert-table", id=ids.AL_TABLE
    )


def summary(
    alert: AlertRow,
    now: datetime,
    label: Callable[[str, str], str] | None = None,
    t: Translator = ENGLISH,
) -> Any:
    wave = t("wave ongoing") if alert.active else t("wave ended")
    name = label or (lambda _axis, value: value)
    return html.Div(
        [
            html.H4(
                [
                    state_badge(alert.state, t),
                    " ",
                    html.Span(alert_label(alert, name, t), className="alert-label"),
                ],
                id=ids.AL_TITLE,
            ),
            html.P(numbers_text(alert, t), className="alert-numbers"),
            html.P(
                t("{kind} · window {start} – {end} · {wave} · raised {age} · alert #{id}").format(
                    kind=named(KIND_NAMES, alert.kind, t),
                    start=utc_text(alert.window_start),
                    end=utc_text(alert.window_end),
                    wave=wave,
                    age=age_text(alert.created_at, now, t),
                    id=alert.id,
                ),
                className="muted",
            ),
            html.P(
                # the analyst's own words, in whatever language they were written
                [t("Note:") + " ", html.Span(alert.note, className="analyst-note")],
                className="alert-note-text",
            )
            if alert.note
            else None,
        ]
    )


def stories(rows: Sequence[Headline], t: Translator = ENGLISH) -> Any:
    """The stories' titles as text, each a link only when its URL is http(s)."""
    if not rows:
        return notice(t("The stories behind this alert are no longer stored."))
    entries = []
    for row in rows:
        href = safe_href(row.url)
        title = (
            html.A(
                row.title,
                href=href,
                target="_blank",
                rel="noopener noreferrer nofollow",
                className="item-title",
            )
            if href
            else html.Span(row.title, className="item-title")
        )
        entries.append(
            html.Li([html.Span(utc_text(row.published_at), className="item-time"), " ", title])
        )
    return html.Ul(entries, className="item-list alert-stories")


def history(events: Sequence[AlertEvent], t: Translator = ENGLISH) -> Any:
    """One line per event: time, what happened, the state it left, the analyst's note."""
    return html.Ul(
        [
            html.Li(
                [
                    f"{utc_text(e.at)}: {named(EVENT_NAMES, e.event, t)} "
                    f"({named(STATE_NAMES, e.state, t)})",
                    *([" — ", html.Span(e.note, className="analyst-note")] if e.note else []),
                ]
            )
            for e in events
        ],
        className="alert-history",
    )


def playbook_parts(
    playbook: Playbook | None,
    lang: str,
    saved: Mapping[str, bool],
    *,
    read_only: bool,
    t: Translator = ENGLISH,
) -> tuple[Any, list[str], list[list[dict[str, Any]]], list[list[str]]]:
    """The playbook's title block, then per section: heading, checklist options, ticked keys.

    `lang` is the playbook's own language (chosen on the page), `t` the interface's."""
    if playbook is None:
        empty: list[Any] = [[] for _ in SECTIONS]
        return (
            notice(t("No playbook is linked to this alert.")),
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
        t = ctx.translator(language_of(data))
        chosen = [s for s in (states or []) if s in STATES]
        if not chosen:
            return notice(t("Choose at least one state."))
        found = sorted(
            alert_store.alerts_overlapping(ctx.engine, f, states=chosen),
            key=lambda a: (a.created_at, a.id),
            reverse=True,
        )[:MOST_LISTED]
        if not found:
            return notice(t(NO_ALERTS))

        def href_for(alert_id: int) -> str:
            return PATH + build_search(f, with_view(view, **{ALERT_PARAM: str(alert_id)}))

        table = alert_table(
            found,
            now=ctx.clock(),
            href_for=href_for,
            selected=selected,
            label=ctx.labeller(t.lang),
            t=t,
        )
        return [table, None if selected else html.P(t(PICK_ONE), className="muted")]

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
        t = ctx.translator(language_of(data))
        alert = _load(ctx, selected)
        if alert is None:
            message = (
                notice(t("There is no alert #{id}.").format(id=selected)) if selected else None
            )
            return (selected is None, message, {}, None, None, [True] * len(BUTTONS))
        allowed = set(offered_actions(alert))
        disabled = [not ctx.writable() or action not in allowed for action in BUTTONS]
        return (
            False,
            summary(alert, ctx.clock(), ctx.labeller(t.lang), t),
            figures.localized(
                alert_chart(
                    series_history(ctx.engine, alert, ctx.detection),
                    alert.window_start,
                    alert.window_end,
                    t,
                ),
                t,
            ),
            stories(headlines(ctx.engine, alert.item_ids, limit=STORIES_SHOWN), t),
            history(alert_store.events(ctx.engine, alert.id), t),
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
        t = ctx.translator(language_of(data))
        alert = _load(ctx, selected)
        if alert is None:
            raise PreventUpdate
        head, headings, options, values = playbook_parts(
            ctx.playbooks.get(alert.playbook or ""),
            lang or t.lang,
            alert.checklist,
            read_only=not ctx.writable(),
            t=t,
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
        t = ctx.translator(language_of(data))
        alert = _load(ctx, selected)
        playbook = ctx.playbooks.get(alert.playbook or "") if alert else None
        if alert is None or playbook is None:
            raise PreventUpdate
        keys = [key for values in ticked for key in (values or [])]
        result = alert_actions.save_checklist(ctx, token, alert, playbook, keys, t)
        if not result.changed and result.ok:
            raise PreventUpdate
        message = _message(result)
        if not result.changed:
            return message, no_update
        return message, history(alert_store.events(ctx.engine, alert.id), t)

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
        t = ctx.translator(language_of(data))
        action = str(trigger.get("action"))
        result = alert_actions.perform(ctx, token, selected, action, note or "", t)
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
