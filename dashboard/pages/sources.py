"""Sources: the health of every feed (last fetch, status, errors, volume, next due time)."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import notice, utc_text
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.url_state import language_of
from indicators.store import queries
from indicators.weblinks import safe_href

PATH = "/sources"
NAV_LABEL = N_("Sources")
NO_FEEDS = N_(
    "No feeds are configured yet: run `threatmon init` to load the default feed list "
    "(data/feeds.toml), or `threatmon feeds add URL`."
)
# The closed vocabularies of a feed row as the interface names them (translated where shown).
# The error kinds are ingest.errors.ErrorKind's values (the dashboard does not import ingest);
# an unknown one is shown as stored.
ERROR_KINDS = {
    "timeout": N_("timed out"),
    "network": N_("network error"),
    "blocked_host": N_("address not allowed"),
    "bad_url": N_("invalid address"),
    "too_many_redirects": N_("too many redirects"),
    "http_status": N_("HTTP error"),
    "too_large": N_("response too large"),
    "empty": N_("empty response"),
    "not_a_feed": N_("not a feed"),
    "unsafe_xml": N_("unsafe XML"),
    "encoding": N_("unreadable encoding"),
    "parse": N_("could not be parsed"),
    "structure_changed": N_("page structure changed"),
    "store": N_("could not be stored"),
    "internal": N_("internal error"),
}
FEED_KINDS = {
    "media": N_("media"),
    "official": N_("official"),
    "cyber": N_("cyber security"),
    "search": N_("news search"),
}
FEED_FORMATS = {
    "rss": "RSS",
    "telegram": "Telegram",
    "sitemap": N_("sitemap"),
    "html": N_("web page"),
}
HEAD = (
    (N_("Feed"), False),
    (N_("Status"), False),
    (N_("Last fetch"), False),
    (N_("Last error"), False),
    (N_("Errors in a row"), True),
    (N_("Items/day"), True),
    (N_("Items"), True),
    (N_("Next due"), False),
)  # (title, numeric)


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Section(
        [
            html.Div(
                [
                    html.H3(t("Feed health"), className="card-title"),
                    html.Div(
                        t("Times are UTC. Items per day: average over the last 7 days."),
                        className="card-extra",
                    ),
                ],
                className="card-header",
            ),
            dcc.Loading(html.Div(id=ids.SR_TABLE), type="dot", delay_show=250),
        ],
        className="card",
    )


def status_of(feed: queries.FeedHealth, t: Translator = ENGLISH) -> tuple[str, str]:
    """(text, css class) summarizing a feed's state for the status column."""
    if not feed.enabled:
        return t("disabled"), "status-off"
    if feed.last_fetched_at is None:
        return t("not fetched yet"), "status-pending"
    if feed.last_status == "error":
        return t("error ×{n}").format(n=t.number(feed.consecutive_errors)), "status-error"
    if feed.last_status == "not_modified":
        return t("ok (not modified)"), "status-ok"
    return t("ok"), "status-ok"


def _named(names: dict[str, str], value: str, t: Translator) -> str:
    return t(names[value]) if value in names else value


def error_cell(feed: queries.FeedHealth, t: Translator = ENGLISH) -> Any:
    """The last error: its kind in the interface language, then the message the fetch
    recorded (English, as the ingest log has it, marked so), then the HTTP status."""
    if not (feed.last_error_kind or feed.last_error):
        return "—"
    parts: list[Any] = [_named(ERROR_KINDS, feed.last_error_kind or "", t) or t("error")]
    if feed.last_error:
        parts += [": ", html.Span(feed.last_error, lang="en", className="recorded-error")]
    if feed.last_http_status:
        parts.append(f" (HTTP {feed.last_http_status})")
    return parts


def _worker_lines(feed: queries.FeedHealth, t: Translator = ENGLISH) -> list[Any]:
    """Which ingest worker fetched the feed last, and which is fetching it now."""
    lines = []
    if feed.last_worker:
        lines.append(html.Div(t("by {worker}").format(worker=feed.last_worker), className="muted"))
    if feed.fetching_by:
        lines.append(
            html.Div(
                t("being fetched by {worker}").format(worker=feed.fetching_by), className="muted"
            )
        )
    return lines


def _row(ctx: DashboardContext, feed: queries.FeedHealth, t: Translator = ENGLISH) -> Any:
    text, css = status_of(feed, t)
    href = safe_href(feed.url)
    name = (
        html.A(
            feed.name,
            href=href,
            target="_blank",
            rel="noopener noreferrer nofollow",
            className="feed-name",
        )
        if href
        else html.Span(feed.name, className="feed-name")
    )
    described = [
        f"#{feed.id}",
        _named(FEED_KINDS, feed.kind, t),
        _named(FEED_FORMATS, feed.format, t),
    ]
    if feed.language:
        described.append(ctx.label("lang", feed.language, lang=t.lang))
    return html.Tr(
        [
            html.Td(
                [
                    name,
                    html.Div(" · ".join(described), className="muted"),
                ]
            ),
            html.Td(html.Span(text, className=f"status {css}")),
            html.Td(
                [
                    utc_text(feed.last_fetched_at).removesuffix(" UTC"),
                    *_worker_lines(feed, t),
                ],
                className="nowrap",
            ),
            html.Td(error_cell(feed, t), className="error-text"),
            html.Td(t.number(feed.consecutive_errors), className="num"),
            html.Td(format_decimal(feed.items_per_day, "0.0", locale=t.lang), className="num"),
            html.Td(t.number(feed.items_total), className="num"),
            html.Td(
                utc_text(feed.next_due_at).removesuffix(" UTC")
                if feed.next_due_at
                else (t("due now") if feed.enabled else "—"),
                className="nowrap",
            ),
        ],
        id=f"feed-{feed.id}",
    )


def register(app: Dash, ctx: DashboardContext) -> None:
    @app.callback(Output(ids.SR_TABLE, "children"), Input(ids.STATE, "data"))
    def update(data: dict[str, Any] | None) -> Any:
        if data is None:
            raise PreventUpdate
        t = ctx.translator(language_of(data))
        feeds = queries.feed_health(ctx.engine, now=ctx.clock())
        if not feeds:
            return notice(t(NO_FEEDS))
        head = [html.Th(t(title), className="num" if numeric else None) for title, numeric in HEAD]
        return html.Table(
            [
                html.Thead(html.Tr(head)),
                html.Tbody([_row(ctx, f, t) for f in feeds]),
            ],
            className="table sources-table",
        )
