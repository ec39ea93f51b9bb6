"""Text normalization for matching, with a way back to the original offsets.

The tagger matches lexicon terms against a *normalized* copy of the text and
reports spans in the *original* text, so an analyst sees exactly the words
that caused a tag, as written. Normalization therefore keeps, for every
normalized character, the index of the original character it came from.

What is folded, and why:
- case (``str.lower``): news titles are often capitalized or in capitals;
- ``ё`` -> ``е``: Russian writes both for the same word;
- Latin letters with diacritics -> base letter (``á ä ǵ ğ ı ń ñ ó ö ú ü ū ş``):
  Kazakh Latin spelling is unsettled (2017, 2018 and 2021 alphabets are all in
  use), so ``lańkestik``, ``lañkestik`` and ``lankestik`` must be one word;
- look-alike letters inside a word of the other script (``тeрaкт`` with Latin
  ``e``/``a``, ``Тelеgrаm`` with Cyrillic ``е``/``а``): keyword filters are
  routinely dodged this way, and copy-paste produces it by accident;
- zero-width and bidi controls (Unicode category Cf) are removed, combining
  marks are composed into their base letter or dropped (stress marks).

Almost all text needs only the length-preserving steps, so the fast path is
two C-level string operations and the identity offset map; only text with
deletable or decomposed characters takes the per-character slow path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Cyrillic letters used by Russian and Kazakh (lower case, after folding).
CYRILLIC_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"
_CYR_CLASS = "а-яёәғқңөұүһіј"

# Look-alikes (lower case). Upper-case look-alikes (В/B, Н/H, М/M, Т/T, К/K)
# arrive here already lower-cased, hence b->в, h->н and so on.
LATIN_TO_CYRILLIC = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "i": "і", "j": "ј", "k": "к",
    "m": "м", "o": "о", "p": "р", "t": "т", "x": "х", "y": "у",
}  # fmt: skip
CYRILLIC_TO_LATIN = {
    "а": "a", "в": "b", "с": "c", "е": "e", "н": "h", "і": "i", "ј": "j", "к": "k",
    "м": "m", "о": "o", "р": "p", "т": "t", "х": "x", "у": "y", "һ": "h", "ѕ": "s",
}  # fmt: skip


def _build_fold_table() -> dict[str, str]:
    """Single-character folds applied after lower-casing (all length-preserving)."""
    table = {"ё": "е", "ı": "i", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t"}
    for code in range(0xC0, 0x250):
        char = chr(code)
        low = char.lower()
        if len(low) != 1 or low != char:
            continue
        base = unicodedata.normalize("NFD", low)[0]
        if base != low and base.isascii() and base.isalpha():
            table[low] = base
    return table


FOLD = _build_fold_table()
_FOLD_KEYS_NO_YO = "".join(sorted(k for k in FOLD if k != "ё"))


def _is_deletable(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


_CF_CLASS = "".join(
    re.escape(chr(c)) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf"
)
# Anything that needs the slow path: controls to delete, combining marks to
# compose, and characters the fast path would not fold.
_SLOW = re.compile(
    "[" + _CF_CLASS + "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
    "\ufe20-\ufe2f" + re.escape(_FOLD_KEYS_NO_YO) + "]"
)
# The same, matched in the original (not lower-cased) text: upper-case forms
# of the folded letters, and "İ", whose lower case is two characters.
_SLOW_ORIGINAL = re.compile(
    _SLOW.pattern[:-1]
    + re.escape("".join(sorted(u for k in FOLD if len(u := k.upper()) == 1 and not u.isascii())))
    + "İ]"
)
_MIXED_LC = re.compile(f"[a-z][{_CYR_CLASS}]")
_MIXED_CL = re.compile(f"[{_CYR_CLASS}][a-z]")
# Cheaper first questions: a text without both scripts has no mixed word, and
# one class scan stops at the first letter of its script (most English text has
# no Cyrillic; Russian and Kazakh text with no Latin is common). Measured: the two
# pair scans cost ~6.6 us per 450-character item, these first ~2.5 us.
_LATIN = re.compile("[a-z]")
_CYRILLIC = re.compile(f"[{_CYR_CLASS}]")
_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalized text plus the original index of each of its characters.

    ``offsets`` is None when normalization preserved every position (the
    common case), so no list needs to be built.
    """

    text: str
    offsets: tuple[int, ...] | None = None
    original_length: int = 0

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized half-open span [start, end) back to the original text.

        The original span runs up to where the next normalized character came
        from, so marks composed into the last letter ("й" written as "и" plus
        a combining breve) stay inside it.
        """
        offsets = self.offsets
        if offsets is None:
            return start, end
        size = len(offsets)
        first = offsets[start] if start < size else self.original_length
        if end <= start:
            return first, first
        last = offsets[end] if end < size else self.original_length
        return first, last


def _fold_char(char: str) -> str:
    low = char.lower()
    if len(low) != 1:  # only "İ" -> "i̇" in current Unicode
        low = unicodedata.normalize("NFD", low)[0]
    return FOLD.get(low, low)


def _slow_normalize(text: str) -> tuple[str, list[int]]:
    """Normalization that deletes and composes, tracking offsets.

    Plain runs between special characters are folded in bulk; only the special
    characters themselves are handled one by one.
    """
    out: list[str] = []
    origin: list[int] = []
    done = 0
    for special in _SLOW_ORIGINAL.finditer(text):
        at = special.start()
        if at > done:
            out.extend(text[done:at].lower().replace("ё", "е"))
            origin.extend(range(done, at))
        done = at + 1
        char = text[at]
        if _is_deletable(char):
            continue
        if unicodedata.combining(char):
            if out:
                composed = unicodedata.normalize("NFC", text[origin[-1]] + char)
                if len(composed) == 1:
                    out[-1] = _fold_char(composed)
            continue
        out.append(_fold_char(char))
        origin.append(at)
    if done < len(text):
        out.extend(text[done:].lower().replace("ё", "е"))
        origin.extend(range(done, len(text)))
    return "".join(out), origin


def _fix_mixed_word(word: str) -> str:
    """Decide the word's script by the letters that have no look-alike, then by count."""
    cyrillic = [ch for ch in word if ch in CYRILLIC_LETTERS or ch == "ј"]
    latin = [ch for ch in word if "a" <= ch <= "z"]
    only_cyrillic = sum(1 for ch in cyrillic if ch not in CYRILLIC_TO_LATIN)
    only_latin = sum(1 for ch in latin if ch not in LATIN_TO_CYRILLIC)
    if only_cyrillic != only_latin:
        to_cyrillic = only_cyrillic > only_latin
    else:
        to_cyrillic = len(cyrillic) >= len(latin)
    table = LATIN_TO_CYRILLIC if to_cyrillic else CYRILLIC_TO_LATIN
    return "".join(table.get(ch, ch) for ch in word)


def _fold_homoglyphs(text: str) -> str:
    """Fold look-alike letters inside mixed-script words into the word's main script."""
    if not (_LATIN.search(text) and _CYRILLIC.search(text)):
        return text
    if not (_MIXED_LC.search(text) or _MIXED_CL.search(text)):
        return text

    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        if _MIXED_LC.search(word) or _MIXED_CL.search(word):
            return _fix_mixed_word(word)
        return word

    return _LETTERS.sub(repl, text)


def normalize(text: str) -> Normalized:
    """Fold text for matching; see the module docstring for what is folded.

    The result has the same length as the input unless characters were
    deleted or composed, in which case ``offsets`` maps back.
    """
    low = text.lower()
    if len(low) == len(text) and not _SLOW.search(low):
        if "ё" in low:
            low = low.replace("ё", "е")
        return Normalized(_fold_homoglyphs(low))
    folded, origin = _slow_normalize(text)
    return Normalized(_fold_homoglyphs(folded), tuple(origin), len(text))


def fold(text: str) -> str:
    """Just the normalized text (for lexicon terms and comparisons)."""
    return normalize(text).text
