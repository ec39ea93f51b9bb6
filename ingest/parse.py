"""Parse a fetched feed document into plain records, treating the bytes as hostile.

`parse_feed` is pure: bytes and headers in, a `ParsedFeed` out, or a
`FeedError`. Before feedparser sees anything, the document is

1. refused when empty or when it is an HTML page rather than a feed;
2. decoded with an encoding that yields readable text: the declared one when
   it works, otherwise one picked with charset-normalizer (cp1251 declared as
   UTF-8, KOI8-R, a UTF-8 file with a stray byte ...), then re-declared as
   UTF-8 so feedparser cannot pick a different one;
3. defused: every DOCTYPE is cut out of the prolog, so no entity is ever
   declared, expanded recursively (billion laughs) or loaded from a file or URL
   (XXE). References to the removed entities are expanded when they were
   harmless literals and dropped otherwise.

feedparser 6.0.x treats a str/bytes argument as a possible URL or path, so
it only ever gets a BytesIO. HTML is neither sanitized nor resolved here:
`ingest.normalize` strips it to text later, which makes sanitizing wasted work.

`parse_feed_bounded` runs the same function in a child process with a memory
cap and a wall-clock timeout (see `ingest.bounded`).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import feedparser
from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

from ingest.errors import ErrorKind, FeedError


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
    language: str | None  # feed-level language, two letters ("ru", "kk", "en")
    entries: tuple[RawEntry, ...]
    warning: str | None  # feedparser's bozo problem when the feed still yielded entries
    encoding: str  # codec the text was finally decoded with (Python's name)
    repaired_encoding: bool  # True if the declared encoding was wrong and we corrected it


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """Parse one feed document. Pure; raises only `FeedError`.

    `headers` are the response headers (any case); `url` names the document in
    messages. Links are returned as given, not resolved against `url`.
    """
    try:
        return _parse(body, {k.lower(): v for k, v in headers.items()}, url)
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


def _parse(body: bytes, headers: dict[str, str], url: str) -> ParsedFeed:
    if not body.strip(b" \t\r\n\x00\x0b\x0c"):
        raise FeedError(ErrorKind.EMPTY, "the document is empty")
    media_type, charset = _content_type(headers.get("content-type", ""))
    _refuse_html(body, media_type, url)
    text, encoding, repaired = decode_document(body, charset)
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        raise FeedError(ErrorKind.EMPTY, "the document is empty")
    text = defuse_xml(text)
    result = _run_feedparser(text, media_type, headers.get("content-language"))
    return _to_parsed_feed(result, encoding, repaired, url)


# --- content type and HTML sniffing -------------------------------------------------------

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


def _content_type(value: str) -> tuple[str, str | None]:
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
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "ignore")
    if head[:2] in (b"<\x00", b"\x00<"):
        return head.decode("utf-16-le" if head[0] else "utf-16-be", "ignore")
    return head.decode("latin-1")


def _refuse_html(body: bytes, media_type: str, url: str) -> None:
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


# --- encodings ------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
# Legacy encodings of the region, tried last when nothing else reads well.
_REGIONAL = ("cp1251", "koi8-r", "kz1048")
_CYRILLIC_VOWELS = frozenset("аеёиоуыэюяәөұүі")
_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]+")


def decode_document(body: bytes, http_charset: str | None) -> tuple[str, str, bool]:
    """Decode to readable text: (text, codec name, repaired).

    Tries, in order, the BOM, the HTTP charset, the XML declaration, UTF-8, UTF-8
    with a few stray bytes replaced, charset-normalizer's guesses and the legacy
    Cyrillic encodings, and keeps the first that decodes without error *and*
    does not read as mojibake. `repaired` is True when that is not what the
    document declared (UTF-8 if it declared nothing).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = _strict(body[len(bom) :], codec)
            if text is not None and readable(text):
                return text, _canonical(codec) or codec, False
            break
    http, xml = _canonical(http_charset), _xml_declared(body)
    # What the document claims; an unknown charset name counts as a wrong claim.
    expected = http_charset.strip().lower() if http_charset and not http else http or xml
    expected = expected or "utf-8"
    # A UTF-16/32 claim on a byte-oriented document cannot be right; do not even try it.
    declared = [
        c for c in dict.fromkeys([http, xml]) if c and (_ascii_compatible(c) or b"\x00" in body[:4])
    ]
    for codec in declared:
        text = _strict(body, codec)
        if text is not None and readable(text):
            return text, codec, codec != expected
    text = _strict(body, "utf-8")
    if text is not None:
        # Valid UTF-8 is UTF-8: an 8-bit reading of the same bytes can only be worse.
        if readable(text):
            return text, "utf-8", expected != "utf-8"
        raise FeedError(ErrorKind.ENCODING, "valid UTF-8 that reads as mojibake (encoded twice?)")
    text = _mostly_utf8(body)
    if text is not None and readable(text):
        return text, "utf-8", True  # stray bytes replaced: the document was repaired
    for codec in _guesses(body):
        text = _strict(body, codec)
        if text is not None and readable(text):
            return text, codec, codec != expected
    raise FeedError(
        ErrorKind.ENCODING,
        f"no encoding gives readable text (declared {expected}; tried UTF-8, "
        f"charset detection and {', '.join(_REGIONAL)})",
    )


def _canonical(name: str | None) -> str | None:
    """Python's canonical codec name ('windows-1251' -> 'cp1251'), or None if unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


def _ascii_compatible(codec: str) -> bool:
    try:
        return "<?xml".encode(codec) == b"<?xml"
    except (LookupError, UnicodeError):
        return False


def _xml_declared(body: bytes) -> str | None:
    match = _XML_DECL_ENCODING.match(body[:512])
    return _canonical(match.group(1).decode("ascii")) if match else None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 with stray bytes replaced, if they are rare among valid sequences.

    A legacy 8-bit Cyrillic document fails on nearly every non-ASCII byte; a
    UTF-8 file damaged by an editor or a cut fails on one or two.
    """
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    good = sum(1 for _ in islice((c for c in text if c > "\x7f"), 100_000)) - bad
    return text if 0 < bad * 20 <= good else None


def _guesses(body: bytes) -> list[str]:
    names = [_canonical(match.encoding) for match in from_bytes(body)]
    return list(dict.fromkeys([n for n in names if n] + list(_REGIONAL)))


def readable(text: str) -> bool:
    """False when the text looks like mojibake ("Ð¢ÐµÑ€", "Òåðàêò", "тЕТБЛФ").

    Looks at distinct words with non-ASCII letters in the first 256k characters
    (distinct, so a repetitive synthetic feed cannot skew it): charset-normalizer's
    mess detector catches the mixed-script and odd-casing patterns; the share
    of vowels among Cyrillic letters (about 0.4 in Russian and Kazakh, about
    0.25 after a KOI8-R/cp1251 mix-up of upper-case text) catches the one
    pattern the mess detector misses, given enough letters to be sure.
    """
    if text.isascii():
        return True
    words = (w for w in islice(text[:262_144].split(), 400_000) if not w.isascii())
    # Control characters are noise here (a stray U+0085 is common in UTF-8 feeds).
    sample = " ".join(islice(dict.fromkeys(words), 4000)).translate(_CONTROL)
    if mess_ratio(sample, maximum_threshold=0.2) >= 0.2:
        return False
    letters = "".join(dict.fromkeys(_CYRILLIC_WORD.findall(sample.lower())))
    if len(letters) >= 200:
        vowels = sum(1 for c in letters if c in _CYRILLIC_VOWELS)
        return vowels / len(letters) >= 0.3
    return True


# --- DOCTYPE and entity defusing ------------------------------------------------------------

_PROLOG_ITEM = re.compile(r"\s++|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_DOCTYPE = re.compile(
    r"""<!DOCTYPE\b
        (?:[^\[>"']++|"[^"]*+"|'[^']*+')*+
        (?:\[(?P<subset>(?:[^\]"'<]++|"[^"]*+"|'[^']*+'|<!--.*?-->|<(?!!--))*+)\])?
        \s*+>""",
    re.VERBOSE | re.DOTALL | re.IGNORECASE,
)
_ENTITY_DECL = re.compile(
    r"""<!ENTITY\s+(?P<pe>%\s+)?(?P<name>[^\s"'%>]+)\s+(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')?"""
)
_CHAR_REF = re.compile(r"&#(?:[0-9]{1,7}|x[0-9A-Fa-f]{1,6});")
_BODY_DECLARATION = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SKIP_OR_DECLARATION = re.compile(r"<!\[CDATA\[|<!--|<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SKIP_OR_REFERENCE = re.compile(r"<!\[CDATA\[|<!--|&([A-Za-z_:][\w.:-]*);")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_ESCAPE_LITERAL = str.maketrans({">": "&gt;", '"': "&quot;", "'": "&apos;"})
_MAX_EXPANDED_VALUE = 200
_MAX_EXPANSION_GROWTH = 1_000_000


def defuse_xml(text: str) -> str:
    """Cut every DOCTYPE out of the prolog and neutralize references to its entities.

    Declared entities whose value is a character reference or a short literal
    are expanded once (no recursion, bounded growth); all others (external
    SYSTEM/PUBLIC, nested, parameter) are dropped. A declaration outside the
    prolog, an unterminated DOCTYPE or runaway expansion is UNSAFE_XML.
    Characters XML forbids (C0 controls) are removed so the strict parser can
    still run.
    """
    text = _XML_ILLEGAL.sub("", text)
    prolog: list[str] = []
    entities: dict[str, str | None] = {}
    pos = 0
    while pos < len(text):
        item = _PROLOG_ITEM.match(text, pos)
        if item:
            prolog.append(item.group())
            pos = item.end()
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            doctype = _DOCTYPE.match(text, pos)
            if doctype is None:
                raise FeedError(ErrorKind.UNSAFE_XML, "unterminated or malformed DOCTYPE")
            entities.update(_declared_entities(doctype.group("subset") or "", entities))
            pos = doctype.end()
        else:
            break
    head = "".join(prolog)
    text = head + text[pos:]
    _refuse_late_declarations(text, len(head))
    if entities:
        text = _replace_references(text, len(head), entities)
    return text


def _declared_entities(subset: str, known: Mapping[str, str | None]) -> dict[str, str | None]:
    """General entities of an internal subset: name -> safe replacement, or None to drop."""
    found: dict[str, str | None] = {}
    for decl in _ENTITY_DECL.finditer(subset):
        name = decl.group("name")
        if decl.group("pe") or name in _PREDEFINED or name in known or name in found:
            continue  # the first declaration wins in XML
        value = decl.group("dq") if decl.group("dq") is not None else decl.group("sq")
        if value is None:
            found[name] = None  # external: never loaded
        elif _CHAR_REF.fullmatch(value):
            found[name] = value
        elif len(value) <= _MAX_EXPANDED_VALUE and not any(c in value for c in "&<%"):
            found[name] = value.translate(_ESCAPE_LITERAL)  # safe in text and attributes
        else:
            found[name] = None  # refers to other entities or markup: possible amplification
    return found


def _refuse_late_declarations(text: str, start: int) -> None:
    """A DOCTYPE/ENTITY after the root started (outside CDATA/comments) is refused."""
    if not _BODY_DECLARATION.search(text, start):
        return
    pos = start
    while match := _SKIP_OR_DECLARATION.search(text, pos):
        token = match.group()
        if token.startswith("<!["):
            end = text.find("]]>", match.end())
        elif token == "<!--":
            end = text.find("-->", match.end())
        else:
            raise FeedError(
                ErrorKind.UNSAFE_XML, f"{token[2:].upper()} declaration inside the document"
            )
        if end < 0:
            return
        pos = end + 3


def _replace_references(text: str, start: int, entities: Mapping[str, str | None]) -> str:
    parts = [text[:start]]
    pos, growth = start, 0
    while match := _SKIP_OR_REFERENCE.search(text, pos):
        token = match.group()
        if token.startswith("<!"):
            end = text.find("]]>" if token.startswith("<![") else "-->", match.end())
            end = len(text) if end < 0 else end + 3
            parts.append(text[pos:end])
            pos = end
            continue
        parts.append(text[pos : match.start()])
        name = match.group(1)
        if name in entities:
            value = entities[name] or ""
            growth += len(value) - len(token)
            if growth > _MAX_EXPANSION_GROWTH:
                raise FeedError(
                    ErrorKind.UNSAFE_XML, "entity expansion would grow the document too much"
                )
            parts.append(value)
        else:
            parts.append(token)
        pos = match.end()
    parts.append(text[pos:])
    return "".join(parts)


# --- feedparser and the mapping to records ----------------------------------------------------

_XML_DECLARATION = re.compile(r"<\?xml\s[^>]*\?>")
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
_LANGUAGE_ALIASES = {"kz": "kk"}  # "kz" is the country; Kazakh sites use it for the language
_WARNING_LIMIT = 500


def _run_feedparser(text: str, media_type: str, content_language: str | None) -> Any:
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    if _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub(declaration, text, count=1)
    else:
        text = declaration + "\n" + text
    xml_type = media_type if media_type.endswith(("/xml", "+xml")) else "application/xml"
    headers = {"content-type": f"{xml_type}; charset=utf-8"}
    if content_language:
        headers["content-language"] = content_language
    return feedparser.parse(
        io.BytesIO(text.encode("utf-8")),
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
    feed_language = normalize_language(feed.get("language")) or normalize_language(
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
    language = normalize_language(entry.get("language"))
    if language is None:  # xml:lang on the entry; feedparser otherwise inherits the feed's
        detail = normalize_language((entry.get("title_detail") or {}).get("language"))
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
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6]).replace(tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _text(value: object) -> str:
    return value.translate(_CONTROL) if isinstance(value, str) else ""


def _optional(value: object) -> str | None:
    text = _text(value).strip()
    return text or None


def _describe(problem: object) -> str:
    message = f"{type(problem).__name__}: {problem}".translate(_CONTROL)
    return message[:_WARNING_LIMIT]


def normalize_language(value: object) -> str | None:
    """Two-letter language code from "ru-RU", "RU", "kz", "kaz", "eng" ...; None if unknown."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_\s,;]", value.strip().lower(), maxsplit=1)[0]
    if len(primary) == 2 and primary.isalpha() and primary.isascii():
        return _LANGUAGE_ALIASES.get(primary, primary)
    if len(primary) == 3 and primary.isalpha() and primary.isascii():
        import pycountry  # only for the rare three-letter codes

        found = pycountry.languages.get(alpha_3=primary) or pycountry.languages.get(
            bibliographic=primary
        )
        code = getattr(found, "alpha_2", None)
        return code if isinstance(code, str) else None
    return None
