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
# (item_terms relies on MIN_UNIGRAM >= MIN_BIGRAM_WORD: a unigram is also a bigram part)
# Where a phrase cannot continue: sentence and clause punctuation, brackets,
# quotes and line breaks (the title ends with one).
_BREAK = re.compile(r"[.!?;:…\n\r()\[\]{}«»\"“”„|•·–—]|,\s|\s-\s")
_WORD = re.compile(r"[^\W_]+")  # as lexicon_files splits a term into words


def item_terms(title: str, summary: str) -> set[str]:
    """The distinct terms (unigrams and bigrams, normalized text) of one item.

    One pass per clause carrying the previous usable word: every relevant
    item is split this way when it is stored, so the loop is kept free of
    calls (18% faster than testing each word twice through a helper, the
    same terms on the 8,772 texts of the benchmark and evaluation sets).
    """
    found: set[str] = set()
    add = found.add
    for clause in _BREAK.split(fold(tagged_text(title, summary))):
        before: str | None = None  # the previous word, when it may start a bigram
        for word in _WORD.findall(clause):
            if len(word) >= MIN_BIGRAM_WORD and not word.isdigit():
                if len(word) >= MIN_UNIGRAM:
                    add(word)
                if before is not None:
                    add(before + " " + word)
                before = word
            else:
                before = None
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
