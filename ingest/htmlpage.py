"""Bytes of a fetched web page to an lxml tree, for the parsers of non-feed sources.

Decoding goes through `ingest.charset` like feeds do (HTTP charset, BOM, then
UTF-8 and detection), so a page is read as text before lxml sees it and lxml
never guesses an encoding of its own. lxml's HTML parser is made for broken
markup; script and style elements are dropped here, once, so that no parser
reading text from the tree can pick up their contents.
"""

from __future__ import annotations

from collections.abc import Mapping

import lxml.html
from lxml import etree

from ingest.charset import decode_document
from ingest.errors import ErrorKind, FeedError
from ingest.sniff import content_type

_XML_DECLARATION_END = "?>"


def read_html(body: bytes, headers: Mapping[str, str]) -> lxml.html.HtmlElement:
    """The page's element tree without script/style; raises `FeedError` (empty, parse)."""
    if not body.strip(b" \t\r\n\x00\x0b\x0c"):
        raise FeedError(ErrorKind.EMPTY, "the document is empty")
    lowered = {k.lower(): v for k, v in headers.items()}
    _, charset = content_type(lowered.get("content-type", ""))
    text, _, _ = decode_document(body, charset)
    text = text.lstrip("\ufeff \t\r\n")
    if text.startswith("<?xml"):  # lxml refuses a str that declares an encoding
        text = text.split(_XML_DECLARATION_END, 1)[-1]
    if not text.strip():
        raise FeedError(ErrorKind.EMPTY, "the document is empty")
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise FeedError(ErrorKind.PARSE, f"not readable HTML: {exc}") from exc
    for junk in root.xpath("//script | //style | //noscript"):
        junk.drop_tree()
    return root


def has_class(name: str) -> str:
    """An XPath predicate true for elements whose class list holds `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def plain_text(element: lxml.html.HtmlElement) -> str:
    """An element's text with <br> as a line break, runs of spaces kept as they are."""
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return str(element.text_content()).strip()
