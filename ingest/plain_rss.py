"""Plain RSS 2.0 read at C speed, with feedparser's results; everything else is declined.

Why: feedparser reads a document through Python callbacks on every element,
about 0.3 ms per news item, which made parsing most of an ingest run's time
(`bench/bench_ingest.py`: 1.6 s of feedparser for a 5,000-item feed, against
0.07 s for lxml to read the same bytes). Most news feeds are plain RSS 2.0: a
channel of items, each with a title, link, guid, date and a description or
`content:encoded`, plus extension elements nobody reads. For exactly that
shape `read` builds, with lxml, the part of feedparser's result that
`ingest.parse` maps to records, holding the values feedparser would give.

"The values feedparser would give" is a contract, kept by declining: `read`
returns None, and `ingest.parse` hands the document to feedparser, whenever
the document leaves the plain shape. It declines a document that is not
well-formed; whose root is not `<rss>` holding one `<channel>`; that carries
xml:lang or xml:base (or bare lang/base) attributes anywhere, or rdf:about,
lastmod or href on the root, channel or an item; whose channel
or items hold an element feedparser gives a meaning this module does not
reproduce (Atom content, `media:description`, `source`, `dc:language`...),
twice the same text element, a text element with attributes or child
elements (escaped markup is fine, inline XHTML is not); that binds a
namespace prefix feedparser reserves to another namespace, or any prefix to
two; or whose text would go through feedparser's Windows-1252 repair. Elements
of namespaces feedparser does not know (`yandex:full-text`, `turbo:content`)
and known ones it only files away (`slash:comments`) are skipped, as they
cannot change a field read here. Declining is always safe; it only costs time.
`tests/unit/test_plain_rss.py` holds the contract: on feedparser's own 2,106
test feeds, the project's feed fixtures and generated variations, wherever
`read` accepts, `ingest.parse` gives the same records both ways.

Feedparser behaviours reproduced (6.0.x, the version pinned in
pyproject.toml; the tests fail if a later one differs): element and
attribute names are compared in lower case; text is stripped, then text that
reads as UTF-8 mistaken for Latin-1 is re-decoded; an item's link is its
`<link>` text with `&amp;` and bare entity-like runs unescaped, else its guid
when the guid is a permalink (`isPermaLink` absent or exactly "true"); guid
and link lose extra slashes after the scheme; dates are read by feedparser's
own date function; the feed's language is its `<language>`, else the
response's Content-Language, which is also every title's language.
"""

from __future__ import annotations

import re
from contextlib import suppress
from typing import Any

from feedparser.datetimes import _parse_date as feedparser_date
from feedparser.mixin import _FeedParserMixin
from lxml import etree


class _Decline(Exception):
    """The document leaves the plain shape: feedparser reads it."""


# Namespace URI (lower case) -> the prefix feedparser gives its elements ("" for RSS/Atom core).
_KNOWN = {uri.lower(): prefix.lower() for uri, prefix in _FeedParserMixin.namespaces.items()}
_RESERVED = frozenset(_KNOWN.values()) - {""}
# Element names feedparser has a handler for ("_start_dc_date" -> "dc_date").
_HANDLED = frozenset(
    name.split("_", 2)[2] for name in dir(_FeedParserMixin) if name.startswith(("_start_", "_end_"))
)
# Keys of feedparser's result that `ingest.parse` reads: a skipped element must not write one.
_READ_KEYS = frozenset(
    {"title", "title_detail", "link", "id", "summary", "content", "language"}
    | {"published_parsed", "updated_parsed", "created_parsed"}
)

# Text elements read from an item, by feedparser's element name.
_ITEM_TEXT = {
    "title": "title",
    "link": "link",
    "description": "summary",
    "guid": "id",
    "pubdate": "published",
    "content:encoded": "content",
    "dc:date": "updated",
}
# Elements feedparser interprets in ways that cannot touch a field read here.
_ITEM_INERT = frozenset(
    {"category", "author", "comments", "enclosure", "dc:creator", "dc:subject"}
    | {"media:content", "media:thumbnail"}
)
_CHANNEL_TEXT = frozenset({"title", "link", "language"})
_CHANNEL_INERT = frozenset(
    {"description", "copyright", "managingeditor", "webmaster", "pubdate", "lastbuilddate"}
    | {"category", "generator", "docs", "ttl", "cloud", "rating"}
)
_READ_ATTRIBUTES = frozenset({"about", "lastmod", "href", "lang", "base"})
_IMAGE_PARTS = frozenset({"title", "url", "link", "width", "height", "description"})
_SKIP_PARTS = {"skiphours": frozenset({"hour"}), "skipdays": frozenset({"day"})}

_EXTRA_SLASHES = re.compile(r"^([A-Za-z][A-Za-z0-9+,.-]*://)/+")
_ENTITY_LIKE = re.compile(r"&([A-Za-z0-9_]+);")
_WINDOWS_1252_RANGE = re.compile("[\x80-\x9f]")
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def read(document: bytes, content_language: str | None) -> dict[str, Any] | None:
    """feedparser's result for a plain RSS 2.0 document (the keys `ingest.parse` reads), or None.

    `document` is the UTF-8 document exactly as feedparser would be given it;
    `content_language` the response's Content-Language header, if any.
    """
    try:
        root = etree.fromstring(document, etree.XMLParser(**_PARSER_OPTIONS))
        _check_declarations(root)
        return _read_rss(root, content_language)
    except (_Decline, etree.XMLSyntaxError, ValueError):
        return None


def _check_declarations(root: Any) -> None:
    """Prefixes must name what feedparser will take them for (see the module docstring)."""
    bound: dict[str, str] = {}
    for _event, (prefix, uri) in etree.iterwalk(root, events=("start-ns",)):
        prefix = prefix or ""
        if bound.setdefault(prefix, uri) != uri:
            raise _Decline
        low_uri = uri.lower()
        if "backend.userland.com/rss" in low_uri:
            raise _Decline  # feedparser folds every such namespace into RSS core
        low_prefix = prefix.lower()
        if low_prefix in _RESERVED and _KNOWN.get(low_uri) != low_prefix:
            raise _Decline


def _name(element: Any) -> str:
    """The element's name as feedparser dispatches on it: "title", "dc:date", "yandex:full-text"."""
    tag = element.tag
    if not isinstance(tag, str):
        raise _Decline  # an entity reference node
    if tag[0] != "{":
        return tag.lower()
    uri, local = tag[1:].split("}", 1)
    prefix = _KNOWN.get(uri.lower())
    if prefix is None:  # a namespace feedparser does not know: it uses the declared prefix
        if not element.prefix:
            raise _Decline
        prefix = element.prefix.lower()
    return f"{prefix}:{local.lower()}" if prefix else local.lower()


def _attributes(element: Any) -> list[str]:
    """Attribute names in lower case without namespace; lang and base anywhere are declined."""
    names = [key.rpartition("}")[2].lower() for key in element.attrib]
    if "lang" in names or "base" in names:
        raise _Decline
    return names


def _quiet(element: Any) -> bool:
    """No attribute feedparser reads on the root, channel or an item (`turbo="true"` is fine).

    It reads rdf:about (an item's id), lastmod and href (a date and a link) and
    lang and base; an attribute of an unknown namespace counts by its local name.
    """
    return not _READ_ATTRIBUTES.intersection(_attributes(element))


def _skipped(element: Any, name: str) -> bool:
    """True for an element feedparser only files away under its own key (no handler of its own)."""
    if ":" not in name:
        return False
    prefix, local = name.split(":", 1)
    key = f"{prefix}_{local}"
    if key in _HANDLED or key in _READ_KEYS:
        return False
    _attributes(element)
    return all(_skipped(child, _name(child)) for child in element)


def _text(element: Any, allowed: tuple[str, ...] = ()) -> str:
    """An element's text as feedparser's pop() leaves it; only text and the allowed attributes."""
    _attributes(element)
    if len(element) or any("}" in key or key.lower() not in allowed for key in element.attrib):
        raise _Decline
    text = (element.text or "").strip()
    with suppress(UnicodeEncodeError, UnicodeDecodeError):
        # UTF-8 read as Latin-1 somewhere upstream: feedparser re-decodes it
        text = text.encode("iso-8859-1").decode("utf-8")
    if _WINDOWS_1252_RANGE.search(text):
        raise _Decline  # feedparser maps these code points to Windows-1252 characters
    return text


def _inert(element: Any) -> None:
    """An element whose handler cannot reach a read field: no child elements, any attributes."""
    _attributes(element)
    if len(element):
        raise _Decline


def _href_link(element: Any) -> bool:
    """An Atom-style link that is not the alternate one: feedparser only lists it."""
    _attributes(element)
    found: dict[str, str] = {}
    for key, value in element.attrib.items():
        if "}" in key or key.lower() in found:
            return False
        found[key.lower()] = value
    rel = found.get("rel")
    return rel is not None and rel.lower() != "alternate" and "href" in found and not len(element)


def _read_rss(root: Any, content_language: str | None) -> dict[str, Any]:
    if _name(root) != "rss" or not _quiet(root):
        raise _Decline
    channels = list(root)
    if len(channels) != 1 or _name(channels[0]) != "channel" or not _quiet(channels[0]):
        raise _Decline
    language = content_language.replace("_", "-") if content_language else None
    feed: dict[str, Any] = {"language": language} if language else {}
    entries = []
    seen: set[str] = set()
    for child in channels[0]:
        name = _name(child)
        if name == "item":
            entries.append(_read_item(child, language))
        elif name == "link" and _href_link(child):
            continue  # only listed by feedparser
        elif name in _CHANNEL_TEXT:
            if name in seen:
                raise _Decline
            seen.add(name)
            value = _text(child)
            if name == "link":  # resolved against no base, then unescaped as feedparser does
                value = _ENTITY_LIKE.sub(r"&\1", _EXTRA_SLASHES.sub(r"\1", value))
            feed[name] = value
            if name == "title":
                feed["title_detail"] = {"language": language}
        elif name in _CHANNEL_INERT:
            _inert(child)
        elif name == "image":
            _inert_parts(child, _IMAGE_PARTS)
        elif name in _SKIP_PARTS:
            _inert_parts(child, _SKIP_PARTS[name])
        elif not _skipped(child, name):
            raise _Decline
    return {"bozo": 0, "version": "rss20", "feed": feed, "entries": entries}


def _inert_parts(element: Any, parts: frozenset[str]) -> None:
    if _attributes(element):
        raise _Decline
    for child in element:
        if _name(child) not in parts:
            raise _Decline
        _text(child)


def _read_item(item: Any, language: str | None) -> dict[str, Any]:
    if not _quiet(item):
        raise _Decline
    found: dict[str, str] = {}
    permalink = True
    for child in item:
        name = _name(child)
        field = _ITEM_TEXT.get(name)
        if name == "link" and _href_link(child):
            continue  # only listed by feedparser
        if field is not None:
            if field in found:
                raise _Decline
            if field == "id":
                found[field] = _text(child, ("ispermalink",))
                permalink = _permalink(child)
            else:
                found[field] = _text(child)
        elif name in _ITEM_INERT:
            _inert(child)
        elif not _skipped(child, name):
            raise _Decline
    return _entry(found, permalink, language)


def _permalink(guid: Any) -> bool:
    """feedparser's reading of isPermaLink: absent or exactly "true" (the name in any case)."""
    values = [value for key, value in guid.items() if key.lower() == "ispermalink"]
    if len(values) > 1:
        raise _Decline
    return not values or values[0] == "true"


def _entry(found: dict[str, str], permalink: bool, language: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if "title" in found:
        entry["title"] = found["title"]
        entry["title_detail"] = {"language": language}
    if "summary" in found:
        entry["summary"] = found["summary"]
    if "content" in found:
        entry["content"] = [{"value": found["content"]}]
        entry.setdefault("summary", found["content"])
    if "id" in found:
        guid = found["id"]
        entry["id"] = _EXTRA_SLASHES.sub(r"\1", guid) if permalink else guid
    if "link" in found:
        link = _EXTRA_SLASHES.sub(r"\1", found["link"]).replace("&amp;", "&")
        entry["link"] = _ENTITY_LIKE.sub(r"&\1", link)
    elif "id" in found and permalink:
        entry["link"] = entry["id"]
    for field in ("published", "updated"):
        if field in found:
            entry[f"{field}_parsed"] = feedparser_date(found[field])
    return entry
