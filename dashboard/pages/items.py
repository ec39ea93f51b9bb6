"""Items: the rows behind every number, paged and sorted by the database.

Sorting and paging are links that change the URL (`sort`, `order`, `page`),
so a page of results can be bookmarked like any filter. Matched terms are
highlighted from the stored evidence spans: this is why an item was tagged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import (
    evidence_spans,
    fill,
    highlighted,
    item_title,
    notice,
    split_spans,
    tag_badges,
    utc_text,
)
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.shell import NO_ITEMS_YET, NO_MATCH, store_is_empty
from dashboard.url_state import PAGE_PARAM, build_search, from_store, language_of, with_view
from indicators.selection import Filters
from indicators.store import queries

PATH = "/items"
NAV_LABEL = N_("Items")
PAGE_SIZE = 25
COLUMNS: tuple[tuple[str | None, str], ...] = (
    ("published_at", N_("Published (UTC)")),
    ("source", N_("Source")),
    ("lang", N_("Lang")),
    ("title", N_("Title and text (matched terms highlighted)")),
    (None, N_("Tags")),
)


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    return html.Section(
        [
            html.Div(id=ids.IT_SUMMARY, className="items-summary"),
            dcc.Loading(html.Div(id=ids.IT_TABLE), type="dot", delay_show=250),
            html.Nav(id=ids.IT_PAGER, className="pager"),
        ],
        className="card",
    )


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def pager_pages(current: int, last: int, width: int = 2) -> list[int | None]:
    """Page numbers to link: first, last, and `width` around the current; None = a gap."""
    wanted = {1, last, *range(current - width, current + width + 1)}
    pages = sorted(p for p in wanted if 1 <= p <= last)
    out: list[int | None] = []
    for p in pages:
        if out and out[-1] is not None and p - out[-1] > 1:  # type: ignore[operator]
            out.append(None)
        out.append(p)
    return out


def _aria_sort(active: bool, order: str) -> dict[str, Any]:
    if not active:
        return {}
    return {"aria-sort": "descending" if order == "desc" else "ascending"}


def _data_attributes(item_id: int) -> dict[str, Any]:
    # Lets tests and analysts' tools find an item's row; Dash passes data-* through.
    return {"data-item-id": str(item_id)}


def _header(f: Filters, view: Mapping[str, str], t: Translator = ENGLISH) -> Any:
    cells = []
    for key, message in COLUMNS:
        text = t(message)
        if key is None:
            cells.append(html.Th(text))
            continue
        active = view["sort"] == key
        order = (
            ("asc" if view["order"] == "desc" else "desc")
            if active
            else ("desc" if key == "published_at" else "asc")
        )
        arrow = (" ▼" if view["order"] == "desc" else " ▲") if active else ""
        href = PATH + build_search(f, with_view(view, sort=key, order=order, page="1"))
        cells.append(
            html.Th(
                dcc.Link(
                    text + arrow,
                    href=href,
                    id=f"sort-{key}",
                    className="sort active" if active else "sort",
                ),
                **_aria_sort(active, view["order"]),
            )
        )
    return html.Thead(html.Tr(cells))


def _row(item: Any, labeler: Callable[..., str], t: Translator = ENGLISH) -> Any:
    in_title, in_summary = split_spans(item.title, item.summary, evidence_spans(item.tags))
    text = [item_title(item, in_title)]
    if item.summary:
        text.append(html.P(highlighted(item.summary, in_summary), className="item-summary"))
    return html.Tr(
        [
            html.Td(utc_text(item.published_at).removesuffix(" UTC"), className="nowrap"),
            html.Td(item.source_name or t("unknown source"), className="source-name"),
            html.Td(item.lang, title=labeler("lang", item.lang) if item.lang else None),
            html.Td(text, className="item-text"),
            html.Td(
                tag_badges(item.tags, labeler, t)
                or html.Span(t("not relevant"), className="muted"),
                className="item-tags",
            ),
        ],
        className="item-row" + ("" if item.relevant else " not-relevant"),
        **_data_attributes(item.id),
    )


def _pager(
    f: Filters, view: Mapping[str, str], page: int, last: int, t: Translator = ENGLISH
) -> list[Any]:
    def link(p: int, text: str, link_id: str) -> Any:
        href = PATH + build_search(f, with_view(view, **{PAGE_PARAM: str(p)}))
        return dcc.Link(text, href=href, id=link_id, className="page-link")

    previous, following = "‹ " + t("Previous"), t("Next") + " ›"
    parts: list[Any] = []
    parts.append(
        link(page - 1, previous, "page-prev")
        if page > 1
        else html.Span(previous, className="page-link disabled")
    )
    for p in pager_pages(page, last):
        if p is None:
            parts.append(html.Span("…", className="page-gap"))
        elif p == page:
            parts.append(html.Span(str(p), className="page-link current", id="page-current"))
        else:
            parts.append(link(p, t.number(p), f"page-{p}"))
    parts.append(
        link(page + 1, following, "page-next")
        if page < last
        else html.Span(following, className="page-link disabled")
    )
    return parts


def render(
    rows: Sequence[Any],
    labeler: Callable[..., str],
    f: Filters,
    view: Mapping[str, str],
    t: Translator = ENGLISH,
) -> Any:
    return html.Table(
        [_header(f, view, t), html.Tbody([_row(r, labeler, t) for r in rows])],
        className="table items-table",
    )


def register(app: Dash, ctx: DashboardContext) -> None:
    @app.callback(
        Output(ids.IT_SUMMARY, "children"),
        Output(ids.IT_TABLE, "children"),
        Output(ids.IT_PAGER, "children"),
        Input(ids.STATE, "data"),
    )
    def update(data: dict[str, Any] | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        f, view = from_store(data)
        t = ctx.translator(language_of(data))
        if store_is_empty(ctx):
            return notice(t(NO_ITEMS_YET)), None, None
        page = int(view[PAGE_PARAM])
        descending = view["order"] == "desc"
        result = queries.items_page(
            ctx.engine,
            f,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            sort=view["sort"],
            descending=descending,
        )
        last = page_count(result.total)
        if result.total and page > last:  # a stale bookmark past the end: show the last page
            page = last
            result = queries.items_page(
                ctx.engine,
                f,
                offset=(page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
                sort=view["sort"],
                descending=descending,
            )
        if not result.total:
            return notice(t(NO_MATCH)), None, None
        first_n = (page - 1) * PAGE_SIZE + 1
        last_n = first_n + len(result.rows) - 1
        summary = html.Span(
            fill(
                t("Items {range} of {total} matching the filters"),
                range=html.B(f"{t.number(first_n)}–{t.number(last_n)}"),
                total=html.B(t.number(result.total), id="items-total"),
            )
        )
        table = render(result.rows, ctx.labeller(t.lang), f, view, t)
        return summary, table, _pager(f, view, page, last, t)
