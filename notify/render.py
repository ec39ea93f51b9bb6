"""What a notification says: the webhook JSON and the e-mail texts for one alert event (pure).

Everything here is a function of an `AlertNotice` and a few plain values (the
dashboard's base URL, the sending time), so the exact bytes a receiver gets
are tested without a network. Story titles and URLs come from untrusted feeds:
the HTML body escapes every text, links only http(s) URLs, and the e-mail
subject drops control characters (a newline there would forge headers).

The webhook payload's keys are built in a fixed order (documented field by
field in the README, "Alert notifications"), so two sends of the same notice
at the same moment give the same bytes and the same signature.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from indicators.alerts import SERIES_AXES, AlertRow
from indicators.weblinks import safe_href


def N_(message: str) -> str:
    """Mark an e-mail message for the gettext catalogs (`python -m tools.catalogs`)."""
    return message


EVENTS: tuple[str, ...] = ("opened", "grew")
PAYLOAD_VERSION = 1
KIND_NAMES = {"rise": N_("rise"), "first_seen": N_("first seen"), "rule": N_("watch rule")}
EVENT_TITLES = {"opened": N_("New alert"), "grew": N_("Alert grew")}
WINDOW, STORIES, SCORE, SERIES, STATE, PLAYBOOK = (
    N_("Window"),
    N_("Stories"),
    N_("Score"),
    N_("Series"),
    N_("State"),
    N_("Playbook"),
)
OBSERVED = N_("{observed} observed, {expected} expected")
PEAK = N_("{score} (peak {peak})")
FOLLOW_PLAYBOOK = N_("{playbook} (open the alert to follow its checklist)")
ALL_RELEVANT = N_("all relevant stories")
EXPECTED = N_("{expected} expected")
NONE_LISTED = N_("Stories: none listed")
NO_STORIES = N_("No stories listed.")
AND_MORE = N_("... and {n} more")
OPEN_ALERT = N_("Open the alert")
SERIES_TREND = N_("Trend of the series")
FOOTER = N_("threatmon early warning; stories come from public feeds and are unverified.")


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@dataclass(frozen=True)
class Wording:
    """How the e-mails are worded: English as written (the default), or another language's
    messages and the alert's label named again from its series (`notify.wording`)."""

    t: Callable[[str], str] = field(default=lambda message: message)
    plural: Callable[[str, str, int], str] = field(default=_english_plural)
    label: Callable[[AlertRow], str] = field(default=lambda alert: alert.label)
    state: Callable[[str], str] = field(default=lambda state: state)  # stored in English
    decimal: Callable[[float], str] = field(default=lambda value: f"{value:.1f}")

    def number(self, value: float | None) -> str:
        """A score or an expected count with one decimal, as the language writes it."""
        return "-" if value is None else self.decimal(value)


ENGLISH = Wording()
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_SUBJECT_LABEL = 120


@dataclass(frozen=True)
class StoryLink:
    """One story behind an alert, as a notification shows it."""

    title: str
    url: str | None
    published_at: datetime


@dataclass(frozen=True)
class AlertNotice:
    """One queued delivery's content: which alert, which event, a few of its stories.

    `delivery_id` lets a receiver drop a repeated delivery (a retry after a
    lost response arrives twice); `stories` is a sample, newest first, of
    `alert.story_ids`.
    """

    delivery_id: int
    event: str  # opened | grew
    alert: AlertRow
    stories: tuple[StoryLink, ...] = ()


@dataclass(frozen=True)
class EmailContent:
    """Subject and the two bodies of a multipart/alternative e-mail."""

    subject: str
    text: str
    html: str


# --- small pieces --------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    """ISO 8601 in UTC (`2026-11-25T12:00:00+00:00`), as everywhere in threatmon's JSON."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def _human_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _one_line(text: str) -> str:
    """Text with control characters (newlines included) folded into single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def series_params(series: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The series as dashboard query parameters, in the dashboard's axis order."""
    return [(axis, value) for axis in SERIES_AXES for value in series.get(axis, [])]


def links(alert: AlertRow, dashboard_url: str) -> dict[str, str]:
    """Where the analyst goes from a notification: the alert, its series' trend, the dashboard."""
    base = dashboard_url.rstrip("/")
    params = series_params(alert.series)
    trend = f"{base}/trends" + ("?" + urlencode(params) if params else "")
    return {
        "alert": f"{base}/alerts?{urlencode({'alert': alert.id})}",
        "trend": trend,
        "dashboard": f"{base}/",
    }


def series_text(series: dict[str, list[str]], w: Wording = ENGLISH) -> str:
    """`category=cyber_threats, region=KZ-75` (or `all relevant stories`): the ids, as the
    dashboard's URLs and filters write them, in every language."""
    parts = [f"{axis}={','.join(series[axis])}" for axis in SERIES_AXES if series.get(axis)]
    return ", ".join(parts) or w.t(ALL_RELEVANT)


def _check_event(event: str) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}; expected one of {EVENTS}")


# --- webhook -------------------------------------------------------------------------------


def webhook_payload(
    notice: AlertNotice, *, dashboard_url: str, sent_at: datetime
) -> dict[str, Any]:
    """The JSON object POSTed to each webhook (key order is part of the format)."""
    _check_event(notice.event)
    a = notice.alert
    return {
        "version": PAYLOAD_VERSION,
        "event": notice.event,
        "delivery_id": notice.delivery_id,
        "alert": {
            "id": a.id,
            "kind": a.kind,
            "label": a.label,
            "state": a.state,
            "active": a.active,
            "series": {axis: list(a.series[axis]) for axis in SERIES_AXES if a.series.get(axis)},
            "rule_id": a.rule_id,
            "window_start": _when(a.window_start),
            "window_end": _when(a.window_end),
            "observed": a.observed,
            "expected": a.expected,
            "score": a.score,
            "peak_score": a.peak_score,
            "story_count": len(a.story_ids),
            "item_count": len(a.item_ids),
            "playbook": a.playbook,
            "created_at": _when(a.created_at),
            "updated_at": _when(a.updated_at),
        },
        "stories": [
            {"title": s.title, "url": s.url, "published_at": _when(s.published_at)}
            for s in notice.stories
        ],
        "links": links(a, dashboard_url),
        "sent_at": _when(sent_at),
    }


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact UTF-8 JSON, keys in payload order."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- e-mail --------------------------------------------------------------------------------


def _headline(notice: AlertNotice, w: Wording) -> str:
    a = notice.alert
    kind = w.t(KIND_NAMES[a.kind]) if a.kind in KIND_NAMES else a.kind
    return f"{w.t(EVENT_TITLES[notice.event])} #{a.id} ({kind})"


def _facts(a: AlertRow, w: Wording) -> list[tuple[str, str]]:
    """The alert's numbers as (name, value) lines shared by both e-mail bodies."""
    observed = "-" if a.observed is None else str(a.observed)
    facts = [
        (w.t(WINDOW), f"{_human_time(a.window_start)} - {_human_time(a.window_end)}"),
        (w.t(STORIES), w.t(OBSERVED).format(observed=observed, expected=w.number(a.expected))),
        (w.t(SCORE), w.t(PEAK).format(score=w.number(a.score), peak=w.number(a.peak_score))),
        (w.t(SERIES), series_text(a.series, w)),
        (w.t(STATE), w.state(a.state)),
    ]
    if a.playbook:
        facts.append((w.t(PLAYBOOK), w.t(FOLLOW_PLAYBOOK).format(playbook=a.playbook)))
    return facts


def email_subject(notice: AlertNotice, w: Wording = ENGLISH) -> str:
    """One line: `[threatmon] New alert #12: Cyber threats in Almaty (8 stories, 1.3 expected)`."""
    _check_event(notice.event)
    a = notice.alert
    label = _one_line(w.label(a))
    if len(label) > MAX_SUBJECT_LABEL:
        label = label[: MAX_SUBJECT_LABEL - 1] + "…"
    observed = "-" if a.observed is None else str(a.observed)
    n = a.observed if a.observed is not None else 0
    counts = w.plural("{n} story", "{n} stories", n).format(n=observed)
    if a.expected is not None:
        counts += ", " + w.t(EXPECTED).format(expected=w.number(a.expected))
    return f"[threatmon] {w.t(EVENT_TITLES[notice.event])} #{a.id}: {label} ({counts})"


def email_text(notice: AlertNotice, *, dashboard_url: str, w: Wording = ENGLISH) -> str:
    """The plain-text body."""
    a = notice.alert
    urls = links(a, dashboard_url)
    lines = [f"{_headline(notice, w)}: {_one_line(w.label(a))}", ""]
    lines += [f"{name}: {value}" for name, value in _facts(a, w)]
    lines += ["", f"{w.t(STORIES)}:" if notice.stories else w.t(NONE_LISTED)]
    for s in notice.stories:
        lines.append(f"- {_human_time(s.published_at)}  {_one_line(s.title)}")
        if safe_href(s.url):
            lines.append(f"  {s.url}")
    more = len(a.story_ids) - len(notice.stories)
    if more > 0:
        lines.append(w.t(AND_MORE).format(n=more))
    lines += [
        "",
        f"{w.t(OPEN_ALERT)}: {urls['alert']}",
        f"{w.t(SERIES_TREND)}: {urls['trend']}",
        "",
        f"-- {w.t(FOOTER)}",
    ]
    return "\n".join(lines) + "\n"


def email_html(notice: AlertNotice, *, dashboard_url: str, w: Wording = ENGLISH) -> str:
    """The HTML body; every text from the store is escaped."""
    e = html.escape
    a = notice.alert
    urls = links(a, dashboard_url)
    facts = "".join(
        f'<tr><th align="left">{e(name)}</th><td>{e(value)}</td></tr>'
        for name, value in _facts(a, w)
    )
    stories = []
    for s in notice.stories:
        title = e(_one_line(s.title))
        href = safe_href(s.url)
        text = f'<a href="{e(href)}">{title}</a>' if href else title
        stories.append(f"<li>{e(_human_time(s.published_at))} &middot; {text}</li>")
    more = len(a.story_ids) - len(notice.stories)
    if more > 0:
        stories.append(f"<li>{e(w.t(AND_MORE).format(n=more))}</li>")
    story_list = f"<ul>{''.join(stories)}</ul>" if stories else f"<p>{e(w.t(NO_STORIES))}</p>"
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{e(email_subject(notice, w))}</title></head><body>"
        f"<h2>{e(_headline(notice, w))}: {e(_one_line(w.label(a)))}</h2>"
        f"<table>{facts}</table>"
        f"<h3>{e(w.t(STORIES))}</h3>{story_list}"
        f'<p><a href="{e(urls["alert"])}">{e(w.t(OPEN_ALERT))}</a> &middot; '
        f'<a href="{e(urls["trend"])}">{e(w.t(SERIES_TREND))}</a></p>'
        f"<p><small>{e(w.t(FOOTER))}</small></p>"
        "</body></html>\n"
    )


def email_content(notice: AlertNotice, *, dashboard_url: str, w: Wording = ENGLISH) -> EmailContent:
    """Subject, plain text and HTML for one alert event, worded by `w`."""
    return EmailContent(
        subject=email_subject(notice, w),
        text=email_text(notice, dashboard_url=dashboard_url, w=w),
        html=email_html(notice, dashboard_url=dashboard_url, w=w),
    )
