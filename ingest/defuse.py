"""Defuse an XML document's DTD before any parser sees it (no XXE, no billion laughs).

Every DOCTYPE is cut out of the prolog, so no entity is ever declared,
expanded recursively or loaded from a file or URL. References to the removed
entities are expanded once when they were harmless literals and dropped
otherwise; a declaration anywhere else is refused as UNSAFE_XML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ingest.errors import ErrorKind, FeedError

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
