"""Word lists written in code as plain text, one home for the way they are read.

Stop words, language markers and the like read and extend best as a block of
whitespace-separated words rather than a tuple of quoted strings.
"""

from __future__ import annotations


def word_set(words: str) -> frozenset[str]:
    """The words of a whitespace-separated block of text, as a set."""
    return frozenset(words.split())
