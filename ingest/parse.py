"""Parse a fetched feed document into plain records, treating the bytes as hostile.

`parse_feed` is pure: bytes and headers in, a `ParsedFeed` out, or a
`FeedError`. Before feedparser sees anything, the document is

1. refused when empty or when it is an HTML page rather than a feed
   (`ingest.sniff`);
2. decoded with an encoding that yields readable text (`ingest.charset`), then
   re-declared as UTF-8 so feedparser cannot pick a different one;
3. defused: its DOCTYPE and entities removed (`ingest.defuse`).

A plain RSS 2.0 document is then read by `ingest.plain_rss` (lxml, about
twenty times faster, the same values); any other goes to feedparser. This
module maps either result to plain records.

feedparser 6.0.x treats a str/bytes argument as a possible URL or path, so
it only ever gets a BytesIO. HTML is neither sanitized nor resolved here:
`ingest.normalize` strips it to text later, which makes sanitizing wasted work.

`parse_feed_bounded` runs the same function in a child process with a memory
cap and a wall-clock timeout (see `ingest.bounded`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from ingest import plain_rss
from ingest.charset import CONTROL_CHARACTERS, decode_document, without_controls
from ingest.defuse import defuse_xml
from ingest.errors import ErrorKind, FeedError
from ingest.langdetect import normalize_language_code
from ingest.sniff import content_type, refuse_html


@dataclass(frozen=True)
class RawEntry:
    """One feed entry as the document gives it; `ingest.normalize` cleans it."""

    guid: str | None
    link: str | None  # as given (may be relative or non-http; normalize decides)
    title: str  # may contain HTML/entities
    summary: str  # summary or first content value; may contain HTML
    published: datetime | None  # UTC from published/updated/created; None if absent/unparseable
    language: str | None  # entry-level language if the feed says so


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed document: feed metadata, its entries and how it was read."""

    title: str
    link: str | None
    language: str | None  # feed-level language code ("ru", "kk", "en"), see normalize_language_code
    entries: tuple[RawEntry, ...]
    warning: str | None  # feedparser's bozo problem when the feed still yielded entries
    encoding: str  # codec the text was finally decoded with (Python's name)
    repaired_encoding: bool  # True if the declared encoding was wrong and we corrected it
    # Further documents this one points to, read by the caller within its bounds
    # (the child sitemaps of a sitemap index); empty for feeds.
    more: tuple[str, ...] = ()
    # When each of `more` last changed, as the document says (a sitemap index's
    # <lastmod>), None where it does not say: lets the caller skip unchanged ones.
    more_modified: tuple[datetime | None, ...] = ()


def parse_feed(
    body: bytes, headers: Mapping[str, str], url: str, *, plain_rss_reader: bool = True
) -> ParsedFeed:
    """Parse one feed document. Pure; raises only `FeedError`.

    `headers` are the response headers (any case); `url` names the document in
    messages. Links are returned as given, not resolved against `url`.
    `plain_rss_reader=False` reads plain RSS with feedparser too (the tests
    compare both readers on the same documents).
    """
    try:
        return _parse(body, {k.lower(): v for k, v in headers.items()}, url, plain_rss_reader)
    except FeedError:
        raise
    except Exception as exc:  # feedparser or a bug of ours: still a recorded result
        raise FeedError(ErrorKind.PARSE, f"parser failed: {type(exc).__name__}: {exc}") from exc


def parse_feed_bounded(
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    *,
    timeout: float = 20.0,
    memory_mb: int = 1024,
) -> ParsedFeed:
    """`parse_feed` in a child process capped at `memory_mb` MiB and `timeout` seconds."""
    from ingest.bounded import run_bounded  # late: bounded preloads this module

    result = run_bounded(
        parse_feed, (body, dict(headers), url), timeout=timeout, memory_mb=memory_mb
    )
    assert isinstance(result, ParsedFeed)
    return result


def _parse(body: bytes, headers: dict[str, str], url: str, plain_rss_reader: bool) -> ParsedFeed:
    if not body.strip(b" \t\r\n\x00\x0b\x0c"):
        raise FeedError(ErrorKind.EMPTY, "the document is empty")
    media_type, charset = content_type(headers.get("content-type", ""))
    refuse_html(body, media_type, url)
    text, encoding, repaired = decode_document(body, charset)
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise FeedError(ErrorKind.EMPTY, "the document is empty")
    document = _utf8_document(defuse_xml(text))
    language = headers.get("content-language")
    fast = plain_rss.read(document, language) if plain_rss_reader else None
    result = fast or _run_feedparser(document, media_type, language)
    return _to_parsed_feed(result, encoding, repaired, url)


# --- feedparser and the mapping to records ----------------------------------------------------

_XML_DECLARATION = re.compile(r"<\?xml\s[^>]*\?>")
_WARNING_LIMIT = 500


def _utf8_document(text: str) -> bytes:
    """The text as UTF-8 bytes that say so, whatever the document declared before."""
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    if _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub(declaration, text, count=1)
    else:
        text = declaration + "\n" + text
    return text.encode("utf-8")


def _run_feedparser(document: bytes, media_type: str, content_language: str | None) -> Any:
    xml_type = media_type if media_type.endswith(("/xml", "+xml")) else "application/xml"
    headers = {"content-type": f"{xml_type}; charset=utf-8"}
    if content_language:
        headers["content-language"] = content_language
    return feedparser.parse(
        io.BytesIO(document),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _to_parsed_feed(result: Any, encoding: str, repaired: bool, url: str) -> ParsedFeed:
    problem = result.get("bozo_exception") if result.get("bozo") else None
    warning = _describe(problem) if problem is not None else None
    entries = result.get("entries") or []
    if not entries and not result.get("version"):
        detail = f" ({warning})" if warning else ""
        raise FeedError(ErrorKind.NOT_A_FEED, f"{url} is not a recognisable RSS/Atom feed{detail}")
    feed = result.get("feed") or {}
    feed_language = normalize_language_code(feed.get("language")) or normalize_language_code(
        (feed.get("title_detail") or {}).get("language")
    )
    return ParsedFeed(
        title=_text(feed.get("title")),
        link=_optional(feed.get("link")),
        language=feed_language,
        entries=tuple(_to_entry(entry, feed_language) for entry in entries),
        warning=warning,
        encoding=encoding,
        repaired_encoding=repaired,
    )


def _to_entry(entry: Any, feed_language: str | None) -> RawEntry:
    summary = _text(entry.get("summary"))
    if not summary.strip():
        contents = entry.get("content") or []
        summary = _text(contents[0].get("value")) if contents else ""
    language = normalize_language_code(entry.get("language"))
    if language is None:  # xml:lang on the entry; feedparser otherwise inherits the feed's
        detail = normalize_language_code((entry.get("title_detail") or {}).get("language"))
        language = detail if detail != feed_language else None
    return RawEntry(
        guid=_optional(entry.get("id")),
        link=_optional(entry.get("link")),
        title=_text(entry.get("title")),
        summary=summary,
        published=_published(entry),
        language=language,
    )


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get, not feedparser's: its "updated_parsed" falls back to the
        # published time with a DeprecationWarning (the same value, read quietly).
        parsed = dict.get(entry, key)
        if parsed:
            try:
                return datetime(*parsed[:6]).replace(tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _text(value: object) -> str:
    return without_controls(value) if isinstance(value, str) else ""


def _optional(value: object) -> str | None:
    text = _text(value).strip()
    return text or None


def _describe(problem: object) -> str:
    message = f"{type(problem).__name__}: {problem}".translate(CONTROL_CHARACTERS)
    return message[:_WARNING_LIMIT]
