"""Decode a feed document's bytes to text in the character encoding that reads right.

Feeds of the region often declare one charset and use another (cp1251
declared as UTF-8, KOI8-R, a UTF-8 file with a stray byte). `decode_document`
tries the declared encodings first and keeps the first reading that is not
mojibake (`readable`), falling back to charset-normalizer's guesses and the
legacy Cyrillic encodings. (Undoing the HTTP Content-Encoding, gzip and the
like, is `ingest.http_body`'s job, before this.)
"""

from __future__ import annotations

import codecs
import re
from itertools import islice

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

from ingest.errors import ErrorKind, FeedError

# C0 and C1 control characters except tab, newline and carriage return: deleted by
# str.translate wherever feed text is read.
CONTROL_CHARACTERS = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """`text` without CONTROL_CHARACTERS; the common clean case costs one regex scan."""
    return text.translate(CONTROL_CHARACTERS) if _CONTROL.search(text) else text


BOMS = (
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
    for bom, codec in BOMS:
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
    sample = " ".join(islice(dict.fromkeys(words), 4000)).translate(CONTROL_CHARACTERS)
    if mess_ratio(sample, maximum_threshold=0.2) >= 0.2:
        return False
    letters = "".join(dict.fromkeys(_CYRILLIC_WORD.findall(sample.lower())))
    if len(letters) >= 200:
        vowels = sum(1 for c in letters if c in _CYRILLIC_VOWELS)
        return vowels / len(letters) >= 0.3
    return True
