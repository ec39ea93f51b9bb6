"""Which words and two-word phrases the compiled lexicon already matches.

Emerging terms leave out what the lexicon knows, judged by the tagger's own
rules: a text word is a lexicon word when it starts with one of the word's
compiled keys and the rest is an ending that word allows
(`indicators.morph`), so "теракта", "террористов" and "лаңкестікке" are all
known through "теракт", "террорист" and "лаңкестік". A term is known when one
of its words is a one-word lexicon term (of any axis: categories, platforms,
places, organizations, rule phrases), or when its two words are two
neighbouring words of a longer lexicon phrase ("взрывное устройство").
Method terms (data/lexicon/methods.yaml) do not count: they never make an
item relevant, so a word only they know may still be worth proposing to a
category.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from indicators import morph
from indicators.lexicon import CompiledLexicon
from indicators.models import METHOD_AXIS


@dataclass(frozen=True)
class KnownTerms:
    """A compiled lexicon's word slots indexed for lookups by text word."""

    by_key: dict[str, tuple[tuple[str, int], ...]]  # key -> ((tail class, slot), ...)
    longest_key: int
    single: frozenset[int]  # slots that are a whole term on their own
    pairs: frozenset[tuple[int, int]]  # neighbouring slots inside longer phrases

    def slots_of(self, word: str) -> set[int]:
        """The lexicon word slots a normalized text word realizes."""
        found = set()
        for length in range(1, min(len(word), self.longest_key) + 1):
            for tail_class, slot in self.by_key.get(word[:length], ()):
                if morph.tail_allowed(tail_class, word[length:]):
                    found.add(slot)
        return found

    def knows(self, words: Sequence[str]) -> bool:
        """Whether the lexicon matches one of these words alone, or the pair of them."""
        slots = [self.slots_of(word) for word in words]
        if any(s & self.single for s in slots):
            return True
        return any(
            (a, b) in self.pairs
            for first, second in itertools.pairwise(slots)
            for a in first
            for b in second
        )


def _index(compiled: CompiledLexicon) -> KnownTerms:
    by_key: dict[str, list[tuple[str, int]]] = {}
    for slot, patterns in enumerate(compiled.slot_patterns):
        for key, tail_class in patterns:
            by_key.setdefault(key, []).append((tail_class, slot))
    phrases = [p for p in compiled.phrases if p.axis != METHOD_AXIS]
    single = frozenset(p.slots[0] for p in phrases if len(p.slots) == 1)
    pairs = frozenset(pair for p in phrases for pair in itertools.pairwise(p.slots))
    return KnownTerms(
        by_key={k: tuple(v) for k, v in by_key.items()},
        longest_key=max((len(k) for k in by_key), default=0),
        single=single,
        pairs=pairs,
    )


_cache: dict[str, KnownTerms] = {}
_lock = threading.Lock()


def known_terms(compiled: CompiledLexicon) -> KnownTerms:
    """The index for `compiled`, built once per lexicon version."""
    with _lock:
        found = _cache.get(compiled.version)
        if found is None:
            found = _index(compiled)
            if len(_cache) > 4:
                _cache.clear()
            _cache[compiled.version] = found
        return found
