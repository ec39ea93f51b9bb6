"""Sources: the health of every feed (last fetch, status, errors, volume, next due time)."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import notice, utc_text
from dashboard.context import DashboardContext
from indicators.store import queries
from indicators.weblinks import safe_href

PATH = "/sources"
NAV_LABEL = "Sources"
NO_FEEDS = (
    "No feeds are configured yet: run `threatmon init` to load the default feed list "
    "(data/feeds.toml), or `threatmon feeds add URL`."
)


def layout(ctx: DashboardContext) -> Any:
    return html.Section(
        [
            html.Div(
                [
                    html.H3("Feed health", className="card-title"),
                    html.Div(
                        "Times are UTC. Items per day: average over the last 7 days.",
                        className="card-extra",
                    ),
                ],
                className="card-header",
            ),
            dcc.Loading(html.Div(id=ids.SR_TABLE), type="dot", delay_show=250),
        ],
        className="card",
    )


def status_of(feed: queries.FeedHealth) -> tuple[str, str]:
    """(text, css class) summarizing a feed's state for the status column."""
    if not feed.enabled:
        return "disabled", "status-off"
    if feed.last_fetched_at is None:
        return "not fetched yet", "status-pending"
    if feed.last_status == "error":
        return f"error ×{feed.consecutive_errors}", "status-error"
    if feed.last_status == "not_modified":
        return "ok (not modified)", "status-ok"
    return "ok", "status-ok"


def _worker_lines(feed: queries.FeedHealth) -> list[Any]:
    """Which ingest worker fetched the feed last, and which is fetching it now."""
    lines = []
    if feed.last_worker:
        lines.append(html.Div(f"by {feed.last_worker}", className="muted"))
    if feed.fetching_by:
        lines.append(html.Div(f"being fetched by {feed.fetching_by}", className="muted"))
    return lines


def _row(ctx: DashboardContext, feed: queries.FeedHealth) -> Any:
    text, css = status_of(feed)
    href = safe_href(feed.url)
    name = (
        html.A(feed.name, href=href, target="_blank", rel="noopener noreferrer nofollow")
        if href
        else html.Span(feed.name)
    )
    error = ""
    if feed.last_error_kind or feed.last_error:
        error = f"{feed.last_error_kind or 'error'}: {feed.last_error or ''}".strip(": ")
        if feed.last_http_status:
            error += f" (HTTP {feed.last_http_status})"
    return html.Tr(
        [
            html.Td(
                [
                    name,
                    html.Div(
                        f"#{feed.id} · {feed.kind} · {feed.format} · "
                        f"{ctx.label('lang', feed.language)}"
                        if feed.language
                        else f"#{feed.id} · {feed.kind} · {feed.format}",
                        className="muted",
                    ),
                ]
            ),
            html.Td(html.Span(text, className=f"status {css}")),
            html.Td(
                [
                    utc_text(feed.last_fetched_at).removesuffix(" UTC"),
                    *_worker_lines(feed),
                ],
                className="nowrap",
            ),
            html.Td(error or "—", className="error-text"),
            html.Td(str(feed.consecutive_errors), className="num"),
            html.Td(f"{feed.items_per_day:.1f}", className="num"),
            html.Td(f"{feed.items_total:,}", className="num"),
            html.Td(
                utc_text(feed.next_due_at).removesuffix(" UTC")
                if feed.next_due_at
                else ("due now" if feed.enabled else "—"),
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
        feeds = queries.feed_health(ctx.engine, now=ctx.clock())
        if not feeds:
            return notice(NO_FEEDS)
        head = [
            "Feed",
            "Status",
            "Last fetch",
            "Last error",
            "Errors in a row",
            "Items/day",
            "Items",
            "Next due",
        ]
        return html.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(
                                h,
                                className="num"
                                if h in {"Errors in a row", "Items/day", "Items"}
                                else None,
                            )
                            for h in head
                        ]
                    )
                ),
                html.Tbody([_row(ctx, f) for f in feeds]),
            ],
            className="table sources-table",
        )
