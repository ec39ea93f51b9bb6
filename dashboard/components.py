"""Small layout builders shared by the pages: cards, item rows, highlights, notices.

Item text is untrusted (it comes from other people's feeds). It is only ever
passed to Dash components as plain strings, which React renders as text
nodes; no markdown, no `dangerouslySetInnerHTML`. Links are rendered only
for http(s) URLs, so a `javascript:` or `data:` URL in a feed stays inert.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from dash import dcc, html

from dashboard.i18n import ENGLISH, N_, Translator
from indicators.models import STORED_AXES, tagged_text
from indicators.weblinks import safe_href


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Valid spans clipped to [0, length], sorted, overlapping ones merged."""
    clipped = (
        (max(0, s), min(length, e)) for s, e in spans if isinstance(s, int) and isinstance(e, int)
    )
    clean = sorted((s, e) for s, e in clipped if s < e)
    merged: list[tuple[int, int]] = []
    for start, end in clean:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight_parts(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[str, bool]]:
    """Split `text` into (piece, is_match) runs; the pieces join back to `text`."""
    parts: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in merge_spans(spans, len(text)):
        if start > cursor:
            parts.append((text[cursor:start], False))
        parts.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        parts.append((text[cursor:], False))
    return parts


def highlighted(text: str, spans: Iterable[tuple[int, int]]) -> list[Any]:
    """Text with matched terms wrapped in <mark>: a list of strings and html.Mark."""
    return [
        html.Mark(piece, className="hit") if hit else piece
        for piece, hit in highlight_parts(text, spans)
    ]


def evidence_spans(tags: Mapping[str, Sequence[Any]]) -> list[tuple[int, int]]:
    """Every matched-term span of an item (offsets into `tagged_text(title, summary)`)."""
    spans: list[tuple[int, int]] = []
    for evidence in tags.values():
        for tag in evidence:
            for term in getattr(tag, "terms", None) or []:
                start, end = term.get("start"), term.get("end")
                if isinstance(start, int) and isinstance(end, int):
                    spans.append((start, end))
    return spans


def split_spans(
    title: str, summary: str, spans: Iterable[tuple[int, int]]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans over title + "\\n" + summary, re-based onto the title and the summary."""
    full = len(tagged_text(title, summary))
    offset = len(title) + 1
    in_title: list[tuple[int, int]] = []
    in_summary: list[tuple[int, int]] = []
    for start, end in merge_spans(spans, full):
        if start < len(title):
            in_title.append((start, min(end, len(title))))
        if end > offset:
            in_summary.append((max(start, offset) - offset, end - offset))
    return in_title, in_summary


def utc_text(moment: datetime | None, *, seconds: bool = False) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " UTC"


# The tag axes as a badge's tooltip names them (translated where shown).
AXIS_NAMES = {
    "category": N_("category"),
    "region": N_("region"),
    "platform": N_("platform"),
    "actor": N_("organization"),
    "method": N_("method"),
}


def tag_badges(tags: Mapping[str, Sequence[Any]], label: Any, t: Translator = ENGLISH) -> list[Any]:
    """One small badge per tag, grouped by axis (category, region, platform, actor, method)."""
    badges: list[Any] = []
    for axis in STORED_AXES:
        for tag in tags.get(axis, []):
            badges.append(
                html.Span(
                    label(axis, tag.value),
                    className=f"badge badge-{axis}",
                    title=f"{t(AXIS_NAMES[axis]) if axis in AXIS_NAMES else axis}: {tag.value}",
                )
            )
    return badges


def item_title(item: Any, title_spans: Sequence[tuple[int, int]] = ()) -> Any:
    """The title, a link to the original only when the URL is http(s)."""
    content = highlighted(item.title, title_spans) if title_spans else item.title
    href = safe_href(item.url)
    if href is None:
        return html.Span(content, className="item-title")
    return html.A(
        content,
        href=href,
        target="_blank",
        rel="noopener noreferrer nofollow",
        className="item-title",
    )


def item_list(rows: Sequence[Any], label: Any, *, empty: str, t: Translator = ENGLISH) -> Any:
    """Compact list of items (overview, cyber view): time, source, title, tags.

    `label` names tag values in the interface language, `t` the rest; the items'
    own text (title, source name) is shown as published."""
    if not rows:
        return notice(empty)
    entries = []
    for item in rows:
        entries.append(
            html.Li(
                [
                    html.Div(
                        [
                            html.Span(utc_text(item.published_at), className="item-time"),
                            html.Span(
                                item.source_name or t("unknown source"), className="item-source"
                            ),
                            html.Span(item.lang, className="item-lang"),
                        ],
                        className="item-meta",
                    ),
                    item_title(item),
                    html.Div(tag_badges(item.tags, label, t), className="item-tags"),
                ],
                className="item",
            )
        )
    return html.Ul(entries, className="item-list")


def fill(template: str, **parts: Any) -> list[Any]:
    """A translated message whose `{placeholders}` hold components, as a list of children.

    The translation decides where each part goes ("Items {range} of {total}" may put
    {total} first in another language); the literal text between them stays text."""
    children: list[Any] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        if literal:
            children.append(literal)
        if name is not None:
            children.append(parts[name])
    return children


def dropdown_labels(t: Translator = ENGLISH) -> dict[str, str]:
    """The texts dcc.Dropdown shows of its own (search box, select all...) in `t`'s language.

    `{num_selected}` is filled in by the dropdown itself."""
    return {
        "select_all": t("Select all"),
        "deselect_all": t("Deselect all"),
        "selected_count": t("{num_selected} selected"),
        "search": t("Search"),
        "clear_search": t("Clear search"),
        "clear_selection": t("Clear selection"),
        "no_options_found": t("No options found"),
    }


def notice(message: str, *, kind: str = "empty") -> Any:
    """An inline message in place of content: why there is nothing to show."""
    return html.Div(message, className=f"notice notice-{kind}")


def card(title: str, body: Any, *, extra: Any = None, className: str = "") -> Any:
    header: list[Any] = [html.H3(title, className="card-title")]
    if extra is not None:
        header.append(html.Div(extra, className="card-extra"))
    return html.Section(
        [html.Div(header, className="card-header"), body], className=f"card {className}".strip()
    )


def graph(
    graph_id: Any,
    *,
    height: int = 320,
    config: Mapping[str, Any] | None = None,
    className: str = "",
    locale: str = "",
) -> Any:
    """A dcc.Graph with the shared config (no plotly logo, no cloud links), in a spinner.

    `locale` is the interface language plotly's toolbar and dates speak (registered by
    `dashboard.plotly_locale`); empty: plotly's English."""
    base: dict[str, Any] = {
        "displaylogo": False,
        "responsive": True,
        # sendChartToCloud ("Share chart..."): uploads the chart to a plotly server
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "sendChartToCloud"],
    }
    if locale and locale != "en":
        base["locale"] = locale
    base.update(config or {})
    return dcc.Loading(
        dcc.Graph(
            id=graph_id,
            config=cast(Any, base),
            style={"height": f"{height}px"},
            className=className,
        ),
        type="dot",
        delay_show=250,
    )


def segmented(
    label: str, options: Sequence[tuple[str, str]], current: str, href_for: Any, *, test_id: str
) -> Any:
    """A row of links that each set one view option in the URL (the active one marked)."""
    links = [
        dcc.Link(
            text,
            href=href_for(value),
            className="seg-option active" if value == current else "seg-option",
            id=f"{test_id}-{value}",
        )
        for value, text in options
    ]
    return html.Div(
        [html.Span(label, className="seg-label"), html.Div(links, className="seg")],
        className="seg-group",
    )
