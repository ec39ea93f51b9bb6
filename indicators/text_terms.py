"""The words and two-word phrases of an item, as the emerging-terms count sees them.

An item's *terms* are its normalized words of 3 or more characters (unigrams)
and its pairs of adjacent words (bigrams) that do not cross a sentence or
clause break, each counted once per item. Normalization is the tagger's own
(`indicators.textnorm.fold`: case, ё, look-alike letters, diacritics), and
words are split the way lexicon terms are split (`indicators.lexicon_files`),
so a term found here can be compared with the lexicon on equal footing.

Terms are stored per item as 64-bit hashes (`term_hash`), not as text: the
counts over a million items are then a numeric job, and no dictionary table
has to grow with every new word. The text of a counted hash is recovered from
the items that contain it (`terms_by_hash`). Stop words are *not* removed
here: extraction is a pure function of the text, so a stored item never has
to be re-read when the stop-word lists change; they are applied when terms
are ranked (`indicators.emerging_report`).
"""

from __future__ import annotations

import hashlib
import re
import sys
from array import array
from collections.abc import Iterable
from functools import lru_cache

from indicators.models import tagged_text
from indicators.textnorm import fold

MIN_UNIGRAM = 3  # shorter words are almost all function words or initials
MIN_BIGRAM_WORD = 2  # "ут тахрир", "is k": short parts of a name still pair up
# Where a phrase cannot continue: sentence and clause punctuation, brackets,
# quotes and line breaks (the title ends with one).
_BREAK = re.compile(r"[.!?;:…\n\r()\[\]{}«»\"“”„|•·–—]|,\s|\s-\s")
_WORD = re.compile(r"[^\W_]+")  # as lexicon_files splits a term into words


def _usable(word: str, shortest: int) -> bool:
    return len(word) >= shortest and not word.isdigit()


def item_terms(title: str, summary: str) -> set[str]:
    """The distinct terms (unigrams and bigrams, normalized text) of one item."""
    found: set[str] = set()
    for clause in _BREAK.split(fold(tagged_text(title, summary))):
        words = _WORD.findall(clause)
        for index, word in enumerate(words):
            if _usable(word, MIN_UNIGRAM):
                found.add(word)
            if index and _usable(word, MIN_BIGRAM_WORD):
                before = words[index - 1]
                if _usable(before, MIN_BIGRAM_WORD):
                    found.add(f"{before} {word}")
    return found


@lru_cache(maxsize=1 << 17)
def term_hash(term: str) -> int:
    """A stable signed 64-bit hash of a term's text (the same in every process).

    Cached: news repeats its words, and hashing every word of every stored
    item was a visible part of the write cost (bench/bench_ingest.py).
    """
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def pack_hashes(terms: Iterable[str]) -> bytes:
    """The stored form of an item's terms: their hashes as little-endian int64, sorted."""
    packed = array("q", sorted(term_hash(t) for t in terms))
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def terms_by_hash(texts: Iterable[tuple[str, str]]) -> dict[int, str]:
    """hash -> term text for every term of the given (title, summary) pairs."""
    found: dict[int, str] = {}
    for title, summary in texts:
        for term in item_terms(title, summary):
            found.setdefault(term_hash(term), term)
    return found
