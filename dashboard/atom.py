"""`GET /alerts.atom`: the alerts as an Atom feed, so any feed reader can follow the warnings.

It takes the dashboard's filter parameters (an alert is listed when its
series fits the selection and its window overlaps the period) plus `state`
(repeat it for several; default: every state) and `ui` (ru or kk: titles and
summaries in that language, alerts named from their series as on screen;
without it, English as stored). Unknown parameters are
refused, as on `/api/snapshot`. The XML is built with ElementTree, so alert
text from untrusted feeds is escaped by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from flask import Flask, Response, jsonify, request

from dashboard.alert_text import STATE_NAMES, alert_label, named
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, SOURCE_LANGUAGE, UI_PARAM, Translator, valid_language
from indicators.alerts import AlertError, AlertRow
from indicators.selection import PARAM_NAMES, FilterError, Filters
from indicators.store import alerts as alert_store

ATOM_PATH = "/alerts.atom"
ATOM_NS = "http://www.w3.org/2005/Atom"
ALLOWED_PARAMS = frozenset((*PARAM_NAMES, "state", UI_PARAM))
FEED_TITLE = N_("threatmon alerts")
MOST_ENTRIES = 200


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def entry_id(alert: AlertRow) -> str:
    """A stable, globally unique entry id (RFC 4151 tag URI)."""
    return f"tag:threatmon,2026:alert/{alert.id}"


def summary_text(alert: AlertRow, t: Translator = ENGLISH) -> str:
    """State, numbers, window and note in one line, in `t`'s language."""
    numbers = []
    if alert.observed is not None:
        stories = t.plural("{n} story", "{n} stories", alert.observed)
        numbers.append(stories.format(n=alert.observed))
    if alert.expected is not None:
        numbers.append(t("expected {expected}").format(expected=_decimal(alert.expected, t)))
    if alert.score is not None:
        numbers.append(t("score {score}").format(score=_decimal(alert.score, t)))
    window = t("window {start} to {end}").format(
        start=_stamp(alert.window_start), end=_stamp(alert.window_end)
    )
    counts = ", ".join(numbers) or t("no numbers")
    text = f"{named(STATE_NAMES, alert.state, t)}; {counts}; {window}"
    return text + ("; " + t("note: {note}").format(note=alert.note) if alert.note else "")


def _decimal(value: float, t: Translator) -> str:
    return f"{value:.1f}" if t.lang == SOURCE_LANGUAGE else t.decimal(value)


def alerts_feed(
    alerts: Sequence[AlertRow],
    *,
    base_url: str,
    self_url: str,
    now: datetime,
    t: Translator = ENGLISH,
    title: Callable[[AlertRow], str] = lambda alert: alert.label,
) -> bytes:
    """The Atom document for `alerts` (newest first), as UTF-8 bytes (pure); `t` and
    `title` word it in another language."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", "tag:threatmon,2026:alerts")
    sub(feed, "title", t(FEED_TITLE))
    updated = max((a.updated_at for a in alerts), default=now)
    sub(feed, "updated", _stamp(updated))
    sub(feed, "link", rel="self", href=self_url)
    sub(feed, "link", rel="alternate", href=f"{base_url}/alerts")
    author = sub(feed, "author")
    sub(author, "name", "threatmon")
    for alert in alerts:
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(alert))
        sub(entry, "title", title(alert))
        sub(entry, "updated", _stamp(alert.updated_at))
        sub(entry, "published", _stamp(alert.created_at))
        sub(entry, "link", rel="alternate", href=f"{base_url}/alerts?alert={alert.id}")
        sub(entry, "category", term=alert.kind)
        sub(entry, "summary", summary_text(alert, t), type="text")
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def register_atom(server: Flask, ctx: DashboardContext) -> None:
    """Add `/alerts.atom` to the dashboard's Flask server."""

    @server.get(ATOM_PATH)
    def alerts_atom() -> Any:
        args = request.args
        unknown = sorted(set(args) - ALLOWED_PARAMS)
        if unknown:
            message = (
                f"unknown parameter(s): {', '.join(unknown)}; "
                f"expected {', '.join(sorted(ALLOWED_PARAMS))}"
            )
            return jsonify({"error": message}), 400
        try:
            filters = Filters.from_params(
                {name: args.getlist(name) for name in PARAM_NAMES}, vocabulary=ctx.vocabulary
            )
            states = args.getlist("state")
            found = alert_store.alerts_overlapping(ctx.engine, filters, states=states)
        except (FilterError, AlertError) as exc:
            return jsonify({"error": str(exc)}), 400
        ui = args.get(UI_PARAM)
        lang = valid_language(ui) if ui else SOURCE_LANGUAGE
        if lang is None:
            return jsonify({"error": f"unknown ui language {ui!r}; expected ru, kk or en"}), 400
        t = ctx.translator(lang)
        label = ctx.labeller(lang)

        def title(alert: AlertRow) -> str:
            return alert.label if lang == SOURCE_LANGUAGE else alert_label(alert, label, t)

        newest = sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)[:MOST_ENTRIES]
        base = request.host_url.rstrip("/")
        body = alerts_feed(
            newest, base_url=base, self_url=request.url, now=ctx.clock(), t=t, title=title
        )
        return Response(
            body,
            mimetype="application/atom+xml",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
