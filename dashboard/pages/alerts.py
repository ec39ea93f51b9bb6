"""Alerts: what early warning raised for the current filters, with the evidence and the playbook.

Read-only in this version: each alert shows its numbers (observed stories
against the volume-adjusted expectation, score), its window, the stories
behind it, its response playbook in Russian, Kazakh and English with the
saved checklist state, and its history. Analysts change an alert's state with
`threatmon alerts ack ID --note TEXT` (or resolve, dismiss) until the dashboard's
write path (CSRF-protected actions) lands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import notice, utc_text
from dashboard.context import DashboardContext
from dashboard.url_state import from_store
from indicators.alerts import OPEN_STATES, STATES, AlertEvent, AlertRow
from indicators.playbooks import Playbook
from indicators.selection import FilterError
from indicators.store import alerts as alert_store
from indicators.store.deliveries import Headline, headlines
from indicators.weblinks import safe_href

PATH = "/alerts"
NAV_LABEL = "Alerts"
STORIES_SHOWN = 10
PLAYBOOK_LANGS = (("ru", "Русский"), ("kk", "Қазақша"), ("en", "English"))
NO_ALERTS = (
    "No alerts match these filters and states. Detection runs after every ingest "
    "cycle; run `threatmon alerts check` to run it now."
)


def layout(ctx: DashboardContext) -> Any:
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
            dcc.Loading(html.Div(id=ids.AL_LIST), type="dot", delay_show=250),
        ],
        className="card",
    )


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


def _stories(rows: Sequence[Headline]) -> Any:
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


def _playbook(playbook: Playbook | None, saved: Mapping[str, bool]) -> Any:
    if playbook is None:
        return notice("No playbook is linked to this alert.")
    state = playbook.checklist_state(saved)
    blocks = []
    for lang, name in PLAYBOOK_LANGS:
        text = playbook.text(lang)
        sections = [
            html.Div(
                [
                    html.H5(section.heading),
                    html.Ul(
                        [
                            html.Li(
                                f"{'☑' if state.get(item.key) else '☐'} {item.text}",
                                className="checklist-done" if state.get(item.key) else None,
                                **{"data-key": item.key},
                            )
                            for item in section.items
                        ]
                    ),
                ]
            )
            for section in text.sections
        ]
        blocks.append(
            html.Details(
                [html.Summary(f"{name}: {text.title}"), html.P(text.summary), *sections],
                open=lang == "ru",
                className="playbook",
                lang=lang,
            )
        )
    return html.Div(blocks)


def _history(events: Sequence[AlertEvent]) -> Any:
    return html.Ul(
        [
            html.Li(f"{utc_text(e.at)}: {e.event} ({e.state})" + (f" — {e.note}" if e.note else ""))
            for e in events
        ],
        className="alert-history",
    )


def alert_panel(
    alert: AlertRow,
    *,
    now: datetime,
    stories: Sequence[Headline],
    playbook: Playbook | None,
    history: Sequence[AlertEvent],
) -> Any:
    """One alert: a one-line summary that opens onto its evidence, playbook and history."""
    wave = "ongoing" if alert.active else "ended"
    return html.Details(
        [
            html.Summary(
                [
                    html.Span(alert.state, className=f"status alert-state-{alert.state}"),
                    html.Span(alert.label, className="alert-label"),
                    html.Span(numbers_text(alert), className="alert-numbers"),
                    html.Span(age_text(alert.created_at, now), className="muted"),
                ]
            ),
            html.P(
                f"{alert.kind} · window {utc_text(alert.window_start)} – "
                f"{utc_text(alert.window_end)} · wave {wave} · alert #{alert.id}",
                className="muted",
            ),
            html.P(f"Note: {alert.note}") if alert.note else None,
            html.H4("Stories behind it"),
            _stories(stories),
            html.H4("Response playbook"),
            _playbook(playbook, alert.checklist),
            html.H4("History"),
            _history(history),
        ],
        id=f"alert-{alert.id}",
        className="alert",
    )


def register(app: Dash, ctx: DashboardContext) -> None:
    @app.callback(
        Output(ids.AL_LIST, "children"),
        Input(ids.STATE, "data"),
        Input(ids.AL_STATES, "value"),
    )
    def update(data: dict[str, Any] | None, states: list[str] | None) -> Any:
        if data is None:
            raise PreventUpdate
        try:
            f, _ = from_store(data)
        except FilterError:
            raise PreventUpdate from None
        chosen = [s for s in (states or []) if s in STATES]
        if not chosen:
            return notice("Choose at least one state.")
        found = sorted(
            alert_store.alerts_overlapping(ctx.engine, f, states=chosen),
            key=lambda a: (a.created_at, a.id),
            reverse=True,
        )
        if not found:
            return notice(NO_ALERTS)
        now = ctx.clock()
        return [
            alert_panel(
                alert,
                now=now,
                stories=headlines(ctx.engine, alert.item_ids, limit=STORIES_SHOWN),
                playbook=ctx.playbooks.get(alert.playbook or ""),
                history=alert_store.events(ctx.engine, alert.id),
            )
            for alert in found
        ]
