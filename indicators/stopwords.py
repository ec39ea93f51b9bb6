"""Stop words for emerging terms, read from ``data/stopwords/<lang>.txt``.

The lists are data an analyst can extend (a reporting verb that floods the
list, a site's boilerplate) without touching code. Each file holds words
separated by whitespace; ``#`` starts a comment. Words are normalized like the
text they are compared with (`indicators.textnorm.fold`), so case, ё and
Kazakh Latin diacritics need no care. The three lists are used together:
feeds mix languages, and a Russian function word in a Kazakh item is still a
function word.
"""

from __future__ import annotations

from pathlib import Path

from indicators.textnorm import fold

FOLDER = "stopwords"


def parse_stop_words(text: str) -> frozenset[str]:
    """The normalized words of one stop-word file's text (comments dropped)."""
    words: set[str] = set()
    for line in text.splitlines():
        words.update(fold(line.split("#", 1)[0]).split())
    return frozenset(words)


def load_stop_words(data_dir: Path) -> frozenset[str]:
    """Every stop word of every ``<lang>.txt`` in the data folder's stopwords/ (none: empty)."""
    folder = Path(data_dir) / FOLDER
    if not folder.is_dir():
        return frozenset()
    words: set[str] = set()
    for path in sorted(folder.glob("*.txt")):
        words |= parse_stop_words(path.read_text(encoding="utf-8"))
    return frozenset(words)
