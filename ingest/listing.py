"""Read an HTML listing page (a site's news or press list) as entries, by CSS selectors.

For sites with neither RSS nor a news sitemap, a source names its listing
page and CSS selectors (README "Sources that are not feeds"):

    item   each news item on the page                      required
    link   inside an item: the element whose href links it  required
    title  inside an item: its headline (default: the link's text)
    date   inside an item: its date (a `datetime` attribute, else its text)
    lead   inside an item: its lead paragraph

The page is read by `ingest.htmlpage` (lxml; script and style dropped) and the
selectors are compiled by cssselect, never matched with regular expressions.
Relative links are resolved against the page's URL. A page where `item`
matches nothing, or no item has a link, is the error `structure_changed`:
a redesigned site must show up in feed health, not as a quiet 0 items.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urljoin

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector

from ingest.charset import CONTROL_CHARACTERS
from ingest.errors import ErrorKind, FeedError
from ingest.htmlpage import plain_text, read_html
from ingest.normalize import iso_utc
from ingest.parse import ParsedFeed, RawEntry

PARTS = ("item", "link", "title", "date", "lead")
REQUIRED = ("item", "link")
MAX_ITEMS = 500  # a listing page holds tens of items; more is a wrong `item` selector

# Dates as listing pages write them when there is no machine-readable one:
# 04.12.2026, 04.12.2026 10:30, 2026-12-04 10:30.
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\D+(\d{1,2}):(\d{2}))?")


def check_selectors(raw: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """Validate a selectors table; (part, selector) pairs in PARTS order, or ValueError."""
    faults: list[str] = []
    unknown = sorted(set(raw) - set(PARTS))
    if unknown:
        faults.append(f"unknown selector part(s): {', '.join(unknown)} (use {', '.join(PARTS)})")
    faults += [f"selector {part!r} is missing" for part in REQUIRED if part not in raw]
    pairs: list[tuple[str, str]] = []
    for part in PARTS:
        value = raw.get(part)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            faults.append(f"selector {part!r} must be a non-empty string")
            continue
        try:
            CSSSelector(value)
        except SelectorError as exc:
            faults.append(f"selector {part!r} is not valid CSS: {exc}")
            continue
        pairs.append((part, value.strip()))
    if faults:
        raise ValueError("; ".join(faults))
    return tuple(pairs)


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(plain_text(element).translate(CONTROL_CHARACTERS).split())


def _first(
    item: lxml.html.HtmlElement, selector: CSSSelector | None
) -> lxml.html.HtmlElement | None:
    if selector is None:
        return None
    found = selector(item)
    return found[0] if found else None


def parse_listing_date(value: str) -> datetime | None:
    """A listing's date: ISO 8601, or day.month.year with an optional time; UTC if no zone."""
    iso = iso_utc(value)
    if iso is not None:
        return iso
    match = _DOTTED.search(value)
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=UTC
        )
    except ValueError:
        return None


def _entry(
    item: lxml.html.HtmlElement, compiled: Mapping[str, CSSSelector], page_url: str
) -> RawEntry | None:
    link_element = _first(item, compiled["link"])
    if link_element is None:
        return None
    href = link_element.get("href") or ""
    if not href.strip():
        return None
    link = urljoin(page_url, href.strip())
    title_element = _first(item, compiled.get("title"))
    title = _text(title_element if title_element is not None else link_element)
    date_element = _first(item, compiled.get("date"))
    published = None
    if date_element is not None:
        published = parse_listing_date(date_element.get("datetime") or _text(date_element))
    lead_element = _first(item, compiled.get("lead"))
    return RawEntry(
        guid=None,
        link=link,
        title=title,
        summary=_text(lead_element) if lead_element is not None else "",
        published=published,
        language=None,
    )


def parse_listing(
    body: bytes, headers: Mapping[str, str], url: str, selectors: tuple[tuple[str, str], ...]
) -> ParsedFeed:
    """Parse a listing page with its source's selectors. Pure; raises only `FeedError`."""
    if not selectors:
        raise FeedError(ErrorKind.PARSE, "this html source has no selectors")
    root = read_html(body, headers)
    compiled = {part: CSSSelector(css) for part, css in selectors}
    found = compiled["item"](root)
    if not found:
        raise FeedError(
            ErrorKind.STRUCTURE_CHANGED,
            f"structure changed: the item selector {dict(selectors)['item']!r} matches nothing "
            f"on {url}",
        )
    entries = [e for e in (_entry(item, compiled, url) for item in found[:MAX_ITEMS]) if e]
    if not entries:
        raise FeedError(
            ErrorKind.STRUCTURE_CHANGED,
            f"structure changed: {len(found)} items but the link selector "
            f"{dict(selectors)['link']!r} finds no link in any of them",
        )
    warning = (
        f"{len(found)} items matched; only the first {MAX_ITEMS} read"
        if len(found) > MAX_ITEMS
        else None
    )
    titles = root.xpath("//title")
    return ParsedFeed(
        title=_text(titles[0]) if titles else "",
        link=url,
        language=None,
        entries=tuple(entries),
        warning=warning,
        encoding="utf-8",
        repaired_encoding=False,
    )
