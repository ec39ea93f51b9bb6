"""Turn one parsed feed entry into a storable `ItemRecord` (pure, no I/O).

Feed text is hostile by default: HTML (sometimes escaped twice), entities,
invisible characters that split keywords, bidi tricks, relative or scripted
links, dates in the future or in 1970. Everything here is a pure function, so
the rules can be tested exhaustively (and by Hypothesis) without a server.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import quote, unquote_plus, urljoin, urlsplit

from indicators.models import ItemRecord
from ingest.langdetect import detect_language, normalize_language_code
from ingest.stories import title_signature
from ingest.wordlists import word_set

TITLE_MAX = 1_000
SUMMARY_MAX = 5_000
TITLE_FROM_SUMMARY_MAX = 120
GUID_MAX = 1_000
URL_MAX = 2_048  # longer URLs are junk in practice and too long for a unique index
EARLIEST_PUBLISHED = datetime(1995, 1, 1, tzinfo=UTC)  # no news feed predates this
ELLIPSIS = "…"


class EntryLike(Protocol):
    """What `normalize_entry` reads from a parsed entry (`ingest.parse.RawEntry` fits)."""

    @property
    def guid(self) -> str | None: ...
    @property
    def link(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def language(self) -> str | None: ...


# --- text ---------------------------------------------------------------------------------

# Elements whose content is never readable text (and may be an attack).
_DROP_CONTENT = frozenset(
    {"script", "style", "iframe", "noscript", "template", "object", "svg", "math", "head"}
)
# Elements that separate words visually; removing them must not glue words together.
_BREAKS = word_set(
    """address article aside blockquote br caption dd details div dl dt figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr img li main nav ol p pre section summary table
    tbody td tfoot th thead tr ul"""
)

# Invisible or control characters: removed. Line-type controls become spaces instead, so
# "word\nword" does not turn into "wordword".
_LINE_CONTROLS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85"
_REMOVED = re.compile(
    "["
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"  # C0 / C1 controls (NUL included)
    "\xad\u061c"  # soft hyphen, Arabic letter mark
    "\u200b-\u200f\u2060-\u2064\ufeff"  # zero-width characters and invisible operators
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ud800-\udfff\ufffe\uffff"  # lone surrogates and non-characters cannot be stored
    "]"
)
_LINE_TO_SPACE = str.maketrans(dict.fromkeys(_LINE_CONTROLS, " "))
_LINE_CONTROL = re.compile(f"[{re.escape(_LINE_CONTROLS)}]")

# Something an HTML parser would treat as markup: "<" followed by a letter, "/", "!" or "?".
_MARKUP_OPENER = re.compile(r"<[A-Za-z/!?]")
# What is left of markup the parser gave back as text (unterminated at the end of input,
# or revealed by decoding): dropped with the rest of its token, as a browser would.
# Matching starts only at the first "<" of a run and never backtracks, so a long run of
# "<" costs linear time.
_MARKUP_LEFTOVER = re.compile(r"(?<!<)<++[A-Za-z/!?][^\s<>]*+>?")
# A chain of escaped ampersands ("&amp;amp;amp;") collapses to one in a single step, so
# deep escaping cannot make decoding slow.
_AMP_CHAIN = re.compile(r"&(?:amp;?|AMP;?|#0*38;?|#[xX]0*26;?)+")
# Numeric character references, to defuse before decoding: Python refuses to convert
# decimal strings over 4,300 digits, and the parser would let that exception escape.
_NUMERIC_REF = re.compile(r"&#(?:0*(\d+)|[xX]0*([0-9a-fA-F]+))(;?)")
_MAX_CODE_POINT = 0x10FFFF


class _TextExtractor(HTMLParser):
    """Collects text nodes, skipping the content of script-like elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: dict[str, int] = {}  # open drop-content elements, by tag

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self._open[tag] = self._open.get(tag, 0) + 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._open.get(tag):
            self._open[tag] -= 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not any(self._open.values()):
            self.parts.append(data)


def _defuse_numeric_refs(text: str) -> str:
    """Numeric references with leading zeros dropped; out-of-range ones already replaced.

    Decoding then gives what a browser shows (U+FFFD for an impossible code
    point) without ever converting a huge number.
    """

    def shorten(match: re.Match[str]) -> str:
        decimal, hexadecimal, semicolon = match.groups()
        digits = decimal or hexadecimal
        if len(digits) > 7 or int(digits, 10 if decimal else 16) > _MAX_CODE_POINT:
            return "\ufffd"
        return ("&#" if decimal else "&#x") + digits + semicolon

    return _NUMERIC_REF.sub(shorten, text) if "&#" in text else text


def _strip_markup(text: str) -> str:
    """Text content of an HTML fragment, entities decoded once (browser rules)."""
    if "<" not in text and "&" not in text:
        return text
    parser = _TextExtractor()
    parser.feed(_defuse_numeric_refs(text))
    parser.close()
    return "".join(parser.parts)


def _decode_entities(text: str) -> str:
    """Decode what is left of escaped entities (`&amp;quot;` -> `"`) until none remain.

    The result must not change when parsed as HTML again, or cleaning would not
    be idempotent; `html.unescape` applies exactly the parser's rules. Plain
    ampersands ("AT&T", "R&D", "a & b") are not entities and stay.
    """
    if "&" not in text:
        return text
    text = _AMP_CHAIN.sub("&", text)
    while True:
        decoded = html.unescape(_defuse_numeric_refs(text))
        if decoded == text:
            return text
        text = decoded


def _scrub(text: str) -> str:
    # The regex checks first: most text has neither kind of character, and a
    # dict-driven translate() walks every character in Python's slow path.
    if _LINE_CONTROL.search(text):
        text = text.translate(_LINE_TO_SPACE)
    return _REMOVED.sub("", text) if _REMOVED.search(text) else text


def _clean_once(text: str) -> str:
    # Invisible characters go first: "<\u200bscript>" must not survive as a tag.
    text = _scrub(text)
    text = _decode_entities(_strip_markup(text))
    if _MARKUP_OPENER.search(text):
        # HTML escaped twice ("&lt;p&gt;...") is still markup: strip the revealed layer.
        text = _decode_entities(_strip_markup(text))
    text = _MARKUP_LEFTOVER.sub("", text)
    text = unicodedata.normalize("NFC", _scrub(text))
    return " ".join(text.split())


def clean_text(value: str) -> str:
    """Plain, single-line, NFC text from a feed field that may hold HTML.

    Tags are removed (block elements and <br> leave a space, script/style/iframe
    content is dropped), entities are decoded, control, zero-width and bidi
    characters are removed and whitespace is collapsed. The output contains no
    markup at all, and cleaning it again changes nothing: each pass only
    shortens the text, and passes repeat until nothing changes.
    """
    text = value
    while True:
        cleaned = _clean_once(text)
        if cleaned == text:
            return cleaned
        text = cleaned


def truncate_text(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    # A cut mid-word is better than throwing away most of the text for one long token.
    cut = cut[:space] if space > limit // 2 else cut[: limit - len(ELLIPSIS)]
    return cut.rstrip() + ELLIPSIS


def content_hash(title: str, summary: str) -> str:
    """Identity of an item's text: the same words in other case or spacing hash the same."""
    folded = " ".join(title.split()).casefold() + "\n" + " ".join(summary.split()).casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


# --- links --------------------------------------------------------------------------------

_TRACKING_PARAMS = word_set(
    """fbclid gclid gclsrc dclid gbraid wbraid yclid ysclid msclkid twclid ttclid igshid igsh
    mc_cid mc_eid _openstat ref_src ref_url _ga _gl _hsenc _hsmi hsctatracking mkt_tok
    oly_anon_id oly_enc_id rb_clickid s_cid vero_conv vero_id wickedid li_fat_id"""
)
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_URL_SPACE = re.compile(r"[\t\n\r]")
_ABSOLUTE_HTTP = re.compile(r"https?://[^/?#]", re.IGNORECASE)
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/?%:@!$'()*+,;=-._~"  # "&" separates parameters, so it is never safe in one


def _quote(part: str, safe: str) -> str:
    quoted = quote(part, safe=safe)
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), quoted)


def _is_tracking(pair: str) -> bool:
    key = unquote_plus(pair.split("=", 1)[0]).strip().lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 for an absolute path: "/a/./b/../c" -> "/a/c"."""
    segments = path.split("/")[1:]
    if "." not in segments and ".." not in segments:
        return path
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")  # "/a/b/.." means the folder "/a/"
    return "/" + "/".join(out)


def _canonical_host(hostname: str) -> str | None:
    if ":" in hostname:  # IPv6 literal; urlsplit already checked its brackets
        return f"[{hostname.lower()}]"
    host = hostname.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return host if _HOST.fullmatch(host) else None


def canonical_url(link: str | None, base: str | None = None) -> str | None:
    """One spelling per web page, or None when `link` is not a usable http(s) link.

    Relative links are resolved against `base`; scheme and host are
    lower-cased (IDNA hosts in their ASCII form), default ports, user info,
    fragments and tracking parameters are dropped, and other parameters keep
    their order. Applying it again gives the same URL.
    """
    if not link:
        return None
    # Browsers ignore surrounding controls/spaces and tabs or newlines anywhere, so
    # "java\tscript:" is javascript: and must be recognized as such.
    link = _URL_SPACE.sub("", link).strip(_C0_AND_SPACE)
    if not link:
        return None
    head, sep, tail = link.partition("?")
    head, hsep, fragment = head.partition("#")
    link = head.replace("\\", "/") + hsep + fragment + sep + tail  # WHATWG: "\" is "/" here
    try:
        # An absolute http(s) link joins to itself (what urljoin would rebuild, the
        # split below takes apart again): a third of this function's time skipped.
        if base and not _ABSOLUTE_HTTP.match(link):
            link = urljoin(_URL_SPACE.sub("", base).strip(), link)
        parts = urlsplit(link)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        host = _canonical_host(parts.hostname)
        port = parts.port
    except ValueError:  # bad IPv6 brackets, port out of range
        return None
    if host is None:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _remove_dot_segments(_quote(parts.path or "/", _PATH_SAFE))
    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p)]
    query = "&".join(_quote(p, _QUERY_SAFE + "=") for p in pairs)
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    return url if len(url) <= URL_MAX else None


# --- time ---------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    # A naive time has no zone to convert from; feeds that omit it almost always mean UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_utc(value: str) -> datetime | None:
    """An ISO 8601 time as sources write it (a trailing Z allowed), in UTC; None if it is not one.

    The one reader of ISO times for the source formats (sitemaps, listing pages,
    Telegram previews); a time without a zone is taken as UTC, as for feeds.
    """
    value = value.strip()
    if not value:
        return None
    try:
        return _as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def utc_published(
    published: datetime | None,
    fetched_at: datetime,
    *,
    future_tolerance: timedelta = timedelta(minutes=15),
) -> datetime:
    """When the item was published, in UTC; the fetch time when the feed's date is unusable.

    Missing dates, dates more than `future_tolerance` after the fetch (clock or
    time-zone mistakes, "sticky" posts) and dates before 1995 (epoch zero,
    two-digit years) would put items on the wrong day of every chart.
    """
    fetched = _as_utc(fetched_at)
    if published is None:
        return fetched
    moment = _as_utc(published)
    if moment > fetched + future_tolerance or moment < EARLIEST_PUBLISHED:
        return fetched
    return moment


# --- the entry ----------------------------------------------------------------------------


def _clean_guid(guid: str | None) -> str | None:
    if guid is None:
        return None
    value = _scrub(guid).strip()[:GUID_MAX].strip()
    return value or None


def normalize_entry(
    entry: EntryLike, *, feed_language: str | None, base_url: str, fetched_at: datetime
) -> ItemRecord | None:
    """A storable item from a parsed entry, or None when it has no text at all.

    Tags are left empty (the pipeline tags later). An empty title is replaced
    by the beginning of the summary, since lists and charts need a headline.
    """
    title = truncate_text(clean_text(entry.title or ""), TITLE_MAX)
    summary = truncate_text(clean_text(entry.summary or ""), SUMMARY_MAX)
    if not title:
        if not summary:
            return None
        title = truncate_text(summary, TITLE_FROM_SUMMARY_MAX)
    declared = normalize_language_code(entry.language) or normalize_language_code(feed_language)
    return ItemRecord(
        guid=_clean_guid(entry.guid),
        url=canonical_url(entry.link, base_url),
        title=title,
        summary=summary,
        published_at=utc_published(entry.published, fetched_at),
        fetched_at=_as_utc(fetched_at),
        lang=detect_language(f"{title} {summary}", declared),
        content_hash=content_hash(title, summary),
        story_key=title_signature(title),
    )
