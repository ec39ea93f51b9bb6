"""Read a news sitemap (the `news:` sitemap extension) as entries.

Outlets without RSS often publish a news sitemap for search engines: each
`<url>` has its `<loc>` and a `<news:news>` block with the article's title,
publication date and language. A sitemap index lists further sitemaps; it
yields no entries here but names them in `ParsedFeed.more`, with the
<lastmod> of each, and the pipeline follows them to a bounded depth (only
those changed since the source was last read, where the index says). URLs
without a `news:` block (an ordinary sitemap of every page) are not articles
and are skipped.

The document is decoded like a feed (`ingest.charset`), its DOCTYPE removed
(`ingest.defuse`), and parsed by lxml with entity resolution, DTD loading and
network access all off and lxml's own size limits on (`huge_tree=False`); the
fetch already capped the body's size.

Sitemaps are often published gzipped (`news.xml.gz`) and served as a file,
with no Content-Encoding header, so the fetch hands over gzip bytes. Those
are inflated here under the sitemap protocol's own limit for one file
(50 MiB uncompressed), so a small gzip bomb stops at the cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lxml import etree

from ingest.charset import CONTROL_CHARACTERS, decode_document
from ingest.defuse import defuse_xml
from ingest.errors import ErrorKind, FeedError
from ingest.http_body import BoundedDecoder
from ingest.langdetect import normalize_language_code
from ingest.normalize import iso_utc
from ingest.parse import ParsedFeed, RawEntry
from ingest.sniff import content_type, refuse_html

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_NS = {"sm": SITEMAP_NS, "news": NEWS_NS}
GZIP_MAGIC = b"\x1f\x8b"
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemap protocol's limit for one file


def gunzip_file(body: bytes) -> bytes:
    """The body itself, or its inflated content if it is a gzip file (`.xml.gz`)."""
    if not body.startswith(GZIP_MAGIC):
        return body
    decoder = BoundedDecoder("gzip", MAX_UNCOMPRESSED)
    try:
        decoder.feed(body)
        return decoder.finish()
    except FeedError as exc:
        if exc.kind is ErrorKind.TOO_LARGE:
            raise
        raise FeedError(ErrorKind.PARSE, f"a broken .gz sitemap: {exc}") from exc


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _root(body: bytes, headers: Mapping[str, str], url: str) -> etree._Element:
    body = gunzip_file(body)
    if not body.strip(b" \t\r\n\x00\x0b\x0c"):
        raise FeedError(ErrorKind.EMPTY, "the document is empty")
    lowered = {k.lower(): v for k, v in headers.items()}
    media_type, charset = content_type(lowered.get("content-type", ""))
    refuse_html(body, media_type, url)
    text, _, _ = decode_document(body, charset)
    text = defuse_xml(text.lstrip("\ufeff \t\r\n"))
    if text.startswith("<?xml"):  # lxml refuses a str that declares an encoding
        text = text.split("?>", 1)[-1]
    try:
        return etree.fromstring(text.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(ErrorKind.PARSE, f"not well-formed XML: {exc}") from exc


def _text(element: etree._Element, path: str) -> str:
    found = element.find(path, _NS)
    if found is None:
        return ""
    return "".join(found.itertext()).translate(CONTROL_CHARACTERS).strip()


def _article(url_element: etree._Element) -> RawEntry | None:
    loc = _text(url_element, "sm:loc")
    news = url_element.find("news:news", _NS)
    if not loc or news is None:
        return None
    title = _text(news, "news:title")
    if not title:
        return None
    published = iso_utc(_text(news, "news:publication_date")) or iso_utc(
        _text(url_element, "sm:lastmod")
    )
    return RawEntry(
        guid=loc,
        link=loc,
        title=title,
        summary="",
        published=published,
        language=normalize_language_code(_text(news, "news:publication/news:language")),
    )


def parse_sitemap(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """Parse a news sitemap or a sitemap index. Pure; raises only `FeedError`."""
    root = _root(body, headers, url)
    name = etree.QName(root).localname if isinstance(root.tag, str) else ""
    modified: dict[str, datetime | None] = {}
    if name == "sitemapindex":
        for child in root.iterfind("sm:sitemap", _NS):
            loc = _text(child, "sm:loc")
            if loc and loc not in modified:
                modified[loc] = iso_utc(_text(child, "sm:lastmod"))
        entries: tuple[RawEntry, ...] = ()
    elif name == "urlset":
        entries = tuple(e for e in (_article(u) for u in root.iterfind("sm:url", _NS)) if e)
        if not entries:
            raise FeedError(
                ErrorKind.NOT_A_FEED,
                f"{url} is a sitemap without news:news entries (not a news sitemap)",
            )
    else:
        raise FeedError(ErrorKind.NOT_A_FEED, f"{url} is not a sitemap (root <{name or '?'}>)")
    return ParsedFeed(
        title="",
        link=url,
        language=None,
        entries=entries,
        warning=None,
        encoding="utf-8",
        repaired_encoding=False,
        more=tuple(modified),
        more_modified=tuple(modified.values()),
    )
