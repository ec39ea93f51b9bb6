"""Read a public Telegram channel's web preview (https://t.me/s/NAME) as entries.

The preview is an ordinary HTML page listing the channel's latest messages,
oldest first, each in a `tgme_widget_message` block with its permanent link,
its time and its text. No login or API key is involved, and only public
channels have a preview. The page is read by `ingest.htmlpage` (lxml, script
and style dropped) and by class name, never by regular expressions; text is
taken as plain text, so markup never reaches an item.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urljoin

import lxml.html

from ingest.charset import CONTROL_CHARACTERS
from ingest.errors import ErrorKind, FeedError
from ingest.htmlpage import has_class, plain_text, read_html
from ingest.normalize import iso_utc
from ingest.parse import ParsedFeed, RawEntry

TITLE_CHARS = 140  # a message has no title: its first line, cut at a word, stands in


def _text(element: lxml.html.HtmlElement) -> str:
    return plain_text(element).translate(CONTROL_CHARACTERS)


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0] or line[:TITLE_CHARS]
    return cut + "…"


def _time(message: lxml.html.HtmlElement) -> datetime | None:
    for value in message.xpath(".//time/@datetime"):
        moment = iso_utc(str(value))
        if moment is not None:
            return moment
    return None


def _message(message: lxml.html.HtmlElement, page_url: str) -> RawEntry | None:
    post = message.get("data-post") or ""
    links = message.xpath(f".//a[{has_class('tgme_widget_message_date')}]/@href")
    link = str(links[0]) if links else (f"https://t.me/{post}" if post else None)
    if link is None:
        return None
    link = urljoin(page_url, link)
    parts: list[str] = []
    forwarded = message.xpath(f".//*[{has_class('tgme_widget_message_forwarded_from_name')}]")
    if forwarded:
        parts.append(f"Forwarded from {_text(forwarded[0])}")
    texts = message.xpath(f".//div[{has_class('tgme_widget_message_text')}]")
    text = _text(texts[0]) if texts else ""
    hrefs: list[str] = []
    if texts:
        for href in texts[0].xpath(".//a/@href"):
            absolute = urljoin(page_url, str(href))
            if absolute.startswith(("http://", "https://")) and absolute not in hrefs:
                hrefs.append(absolute)
    if text:
        parts.append(text)
    if hrefs:
        parts.append("Links: " + " ".join(hrefs))
    summary = "\n".join(parts)
    if not summary:
        return None  # a photo or sticker without a caption carries nothing to read
    return RawEntry(
        guid=link,
        link=link,
        title=_first_line(text or summary),
        summary=summary,
        published=_time(message),
        language=None,
    )


def parse_telegram(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """Parse one preview page into entries, newest first. Pure; raises only `FeedError`."""
    root = read_html(body, headers)
    messages = root.xpath(f"//div[{has_class('tgme_widget_message')}][@data-post]")
    if not messages:
        raise FeedError(
            ErrorKind.NOT_A_FEED,
            f"{url} is not a public Telegram channel preview (no messages found)",
        )
    entries = [e for e in (_message(m, url) for m in messages) if e is not None]
    titles = root.xpath(f"//div[{has_class('tgme_channel_info_header_title')}]")
    return ParsedFeed(
        title=_text(titles[0]) if titles else "",
        link=url,
        language=None,
        entries=tuple(reversed(entries)),
        warning=None,
        encoding="utf-8",
        repaired_encoding=False,
    )


def older_messages_url(body: bytes, url: str) -> str | None:
    """The preview's "older messages" page (`?before=ID`), or None on the oldest page."""
    try:
        root = read_html(body, {})
    except FeedError:
        return None
    for href in root.xpath(
        f"//link[@rel='prev']/@href | //*[{has_class('tme_messages_more')}][@data-before]/@href"
    ):
        return urljoin(url, str(href))
    return None
