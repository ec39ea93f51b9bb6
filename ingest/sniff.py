"""Tell a feed from an HTML page before parsing, by the document's first tags.

Servers label feeds badly: an RSS file as text/html, an error page as
application/rss+xml. `refuse_html` reads the root element (and a DOCTYPE)
from the start of the bytes, whatever the Content-Type says, so an HTML page
is a recorded NOT_A_FEED rather than an empty "feed" from a lenient parser.
"""

from __future__ import annotations

import re

from ingest.charset import BOMS
from ingest.errors import ErrorKind, FeedError

_HTML_ROOTS = frozenset(
    {
        "html", "head", "body", "script", "style", "meta", "div", "p", "table", "iframe",
        "noscript", "form", "span", "a", "br", "img", "title", "center", "frameset",
        "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
_HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ROOT_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")
_SNIFF_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_SNIFF_DOCTYPE = re.compile(r"<!DOCTYPE\s+([\w.:-]+)", re.IGNORECASE)


def content_type(value: str) -> tuple[str, str | None]:
    """Media type (lower-cased) and charset parameter of a Content-Type header."""
    media_type, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip().strip("\"'"):
            charset = val.strip().strip("\"'")
    return media_type.strip().lower(), charset


def _sniff_text(body: bytes) -> str:
    """The start of the document as text, good enough to read tag names."""
    head = body[:4096]
    for bom, codec in BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "ignore")
    if head[:2] in (b"<\x00", b"\x00<"):
        return head.decode("utf-16-le" if head[0] else "utf-16-be", "ignore")
    return head.decode("latin-1")


def refuse_html(body: bytes, media_type: str, url: str) -> None:
    """NOT_A_FEED for an HTML page, whatever Content-Type it was served with."""
    head = _SNIFF_COMMENT.sub("", _sniff_text(body))
    doctype = _SNIFF_DOCTYPE.search(head)
    root = None
    for match in _ROOT_TAG.finditer(head):
        root = match.group(1).lower().rpartition(":")[2]
        break
    if (doctype and doctype.group(1).lower() == "html") or root in _HTML_ROOTS:
        raise FeedError(ErrorKind.NOT_A_FEED, f"{url} returned an HTML page, not a feed")
    if media_type in _HTML_MEDIA_TYPES and root not in _FEED_ROOTS:
        raise FeedError(ErrorKind.NOT_A_FEED, f"{url} returned {media_type} that is not a feed")
