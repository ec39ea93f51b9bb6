"""OPML import and export of the feed list.

OPML is how feed readers hand lists to each other, so threatmon reads what
other readers write (OPML 1.0 and 2.0, folders nested to any depth, `text` or
`title` for the name, `feed:` URLs) and writes OPML 2.0 that they can read.
threatmon's own fields ride along as namespaced outline attributes
(`threatmon:kind`, `threatmon:country`, ...) plus the standard `language`,
so an export imports back to the same feeds. A source that is not a feed
(`format` telegram, sitemap or html, which OPML has no word for) is written as
`type="link"` with `threatmon:format`; its `xmlUrl` stays so threatmon can
import it back, and other readers that look at `type` skip it.

OPML arrives from users, i.e. from anywhere: the document is parsed with
expat directly, and any DOCTYPE that could declare entities (an internal
subset or an external DTD) is refused before a single entity is defined. That
closes entity-expansion ("billion laughs") and external-entity attacks without
a dependency. Both functions are pure: bytes in, feeds out, and back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urlsplit
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from indicators.models import LANGS, FeedFields
from ingest.langdetect import normalize_language_code
from ingest.sources import build_feed_fields

NAMESPACE = "https://github.com/threatmon/threatmon/ns/opml/1"
PREFIX = "threatmon"
_NS = NAMESPACE + "}"  # expat's "uri}local" form of a namespaced name

# XML 1.0 cannot carry these at all, escaped or not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_ENTITIES = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


class OpmlError(ValueError):
    """The bytes are not an OPML feed list threatmon can import."""


class UnsafeOpmlError(OpmlError):
    """The document declares a DTD or entities; refused rather than expanded."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _refuse_doctype(
    name: str, system_id: str | None, public_id: str | None, has_internal_subset: int
) -> None:
    # A bare <!DOCTYPE opml> declares nothing and is harmless; anything that
    # can define entities is refused before its first declaration is read.
    if has_internal_subset or system_id or public_id:
        raise UnsafeOpmlError(
            "OPML with a DTD (internal subset or external reference) is refused: "
            "entity declarations can expand without bound or read local files"
        )


def _refuse_entity(*_args: object) -> None:
    raise UnsafeOpmlError("OPML declaring entities is refused")


def _feed_url(raw: str) -> str:
    """Undo the `feed:` pseudo-scheme some readers export (feed://host, feed:https://host)."""
    url = raw.strip()
    lowered = url.lower()
    if lowered.startswith("feed://"):
        return "http://" + url[len("feed://") :]
    if lowered.startswith("feed:"):
        return url[len("feed:") :]
    return url


def _language(raw: str | None) -> str:
    """OPML 2.0's language is a tag like "en-us"; keep the languages threatmon tracks."""
    code = normalize_language_code(raw)
    return code if code in LANGS else ""


def _outline_fields(attrs: dict[str, str]) -> dict[str, object]:
    """Map one outline's attributes to FeedFields fields (validation happens later)."""
    plain = {k.lower(): v for k, v in attrs.items() if "}" not in k}
    url = _feed_url(plain.get("xmlurl", ""))
    name = (plain.get("text") or "").strip() or (plain.get("title") or "").strip()
    if not name:
        try:
            name = urlsplit(url).hostname or url
        except ValueError:
            name = url
    fields: dict[str, object] = {
        "url": url,
        "name": name,
        "language": _language(plain.get("language")),
    }
    if _NS + "kind" in attrs:
        fields["kind"] = attrs[_NS + "kind"]
    if _NS + "format" in attrs:
        fields["format"] = attrs[_NS + "format"]
    if _NS + "selectors" in attrs:
        try:
            fields["selectors"] = json.loads(attrs[_NS + "selectors"])
        except ValueError:
            fields["selectors"] = attrs[_NS + "selectors"]  # refused, with the others
    if _NS + "country" in attrs:
        fields["country"] = attrs[_NS + "country"]
    if _NS + "interval_minutes" in attrs:
        raw = attrs[_NS + "interval_minutes"].strip()
        fields["interval_minutes"] = int(raw) if raw.isascii() and raw.isdigit() else raw
    if _NS + "enabled" in attrs:
        raw = attrs[_NS + "enabled"].strip().lower()
        fields["enabled"] = {"true": True, "false": False}.get(raw, raw)
    return fields


class _OutlineCollector:
    """expat callbacks: remember feed outlines under <body>, at any folder depth."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.root: str | None = None
        self.saw_body = False
        self.outlines: list[dict[str, str]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if not self.stack:
            self.root = local
            if local != "opml":
                raise OpmlError(f"not an OPML document: the root element is <{local}>")
        elif len(self.stack) == 1 and local == "body":
            self.saw_body = True
        elif (
            local == "outline"
            and len(self.stack) >= 2
            and self.stack[1] == "body"
            and any(k.lower() == "xmlurl" for k in attrs if "}" not in k)
        ):
            self.outlines.append(attrs)
        self.stack.append(local)

    def end(self, _name: str) -> None:
        self.stack.pop()


def parse_opml(data: bytes) -> list[FeedFields]:
    """Feeds listed in an OPML document, in document order, duplicates dropped.

    Outlines without `xmlUrl` are folders or links and are skipped. An outline
    whose feed is not acceptable (say a `javascript:` URL) makes the whole
    import fail with every such outline named, rather than importing a list
    that silently lost entries. Raises OpmlError (UnsafeOpmlError for DTDs).
    """
    if not data or not data.strip():
        raise OpmlError("empty document")
    collector = _OutlineCollector()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if collector.root is None:
        raise OpmlError("not an OPML document: no root element")
    if not collector.saw_body:
        raise OpmlError("not an OPML document: no <body>")

    feeds: list[FeedFields] = []
    seen: set[str] = set()
    problems: list[str] = []
    for number, attrs in enumerate(collector.outlines, start=1):
        fields = _outline_fields(attrs)
        try:
            spec = build_feed_fields(fields)
        except ValueError as exc:
            problems.append(f"outline {number} ({fields['name']}): {exc}")
            continue
        if spec.url in seen:  # the same feed filed in two folders is normal in OPML
            continue
        seen.add(spec.url)
        feeds.append(spec)
    if problems:
        raise OpmlError("; ".join(problems))
    return feeds


def _attr(name: str, value: str) -> str:
    if _NOT_XML.search(value):
        raise ValueError(f"{name} holds characters XML cannot carry: {value!r}")
    return f"{name}={quoteattr(value, _ATTR_ENTITIES)}"


def to_opml(feeds: Iterable[FeedFields], title: str = "threatmon feeds") -> bytes:
    """An OPML 2.0 document (UTF-8) listing the feeds in the order given.

    Deterministic (no timestamps), so exports can be diffed and committed.
    `parse_opml(to_opml(feeds)) == feeds` for feeds built by `build_feed_fields`.
    """
    if _NOT_XML.search(title):
        raise ValueError(f"title holds characters XML cannot carry: {title!r}")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<opml version="2.0" xmlns:{PREFIX}="{NAMESPACE}">',
        "  <head>",
        f"    <title>{escape(title)}</title>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        attrs = [
            _attr("type", "rss" if feed.format == "rss" else "link"),
            _attr("text", feed.name),
            _attr("title", feed.name),
            _attr("xmlUrl", feed.url),
        ]
        if feed.language:
            attrs.append(_attr("language", feed.language))
        attrs.append(_attr(f"{PREFIX}:kind", feed.kind))
        if feed.format != "rss":
            attrs.append(_attr(f"{PREFIX}:format", feed.format))
        if feed.selectors:
            selectors = json.dumps(dict(feed.selectors), ensure_ascii=False)
            attrs.append(_attr(f"{PREFIX}:selectors", selectors))
        if feed.country:
            attrs.append(_attr(f"{PREFIX}:country", feed.country))
        if feed.interval_minutes is not None:
            attrs.append(_attr(f"{PREFIX}:interval_minutes", str(feed.interval_minutes)))
        if not feed.enabled:
            attrs.append(_attr(f"{PREFIX}:enabled", "false"))
        lines.append(f"    <outline {' '.join(attrs)}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")
