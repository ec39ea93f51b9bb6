"""Group near-duplicate headlines into stories (pure, in memory).

Several outlets report one event under slightly different headlines
("Теракт в Актобе предотвращен" / "В Актобе предотвратили теракт"). A title
is reduced to a *signature*: its content words, case- and ё-folded, cut to a
5-character stem (cheap, language-agnostic and enough to absorb Russian and
Kazakh endings), de-duplicated and sorted. Two titles belong to one story
when their signatures' Jaccard similarity reaches a threshold.

`StoryIndex` finds the most similar recent signature through an inverted
index with prefix filtering: only the rarest few words of the query can
produce candidates, so a lookup costs a few short posting lists, not a scan
of every recent title.
"""

from __future__ import annotations

import math
import re

from ingest.wordlists import word_set

STEM_LENGTH = 5
_EPSILON = 1e-9  # float slack, so 3/5 counts as 0.6
MIN_TOKENS = 3  # shorter titles ("Новости дня", "Видео") would merge unrelated items

_TOKEN = re.compile(r"[^\W_]+")


STOP_WORDS = word_set(
    # Russian
    """а без был была были было в во вот все всё для до его ее её еще ещё же за и из или
    им их к как ко ли на над не него нет ни но о об от по под после при про с со так
    также то того только у уже чем что это этот эти я
    """
    # Kazakh
    """және мен бен пен да де та те бойынша үшін туралы арқылы кейін бұл осы сол ол олар
    деп дейін ма ме ба бе па пе жоқ емес бар
    """
    # English
    """a an and are as at be been but by for from has have he in into is it its of on or
    over says said she that the their they this to was were will with after about
    """
)


def title_signature(title: str) -> str:
    """Space-joined sorted unique stems of a title's content words; "" if it has too few.

    Numbers are kept whole (a casualty count or a year tells events apart);
    words are cut to `STEM_LENGTH` characters.
    """
    stems = set()
    for token in _TOKEN.findall(title.casefold().replace("ё", "е")):
        if token.isdigit():
            stems.add(token)
        elif len(token) > 1 and token not in STOP_WORDS:
            stems.add(token[:STEM_LENGTH])
    if len(stems) < MIN_TOKENS:
        return ""
    return " ".join(sorted(stems))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|, 0 for two empty sets."""
    if not a and not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


class StoryIndex:
    """In-memory inverted index of recent signatures -> story ids (no I/O).

    Several signatures may point at one story (each of its items adds its own).
    """

    def __init__(self, threshold: float = 0.6) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self._stories: list[int] = []  # entry number -> story id
        self._tokens: list[frozenset[str]] = []  # entry number -> signature tokens
        self._postings: dict[str, list[int]] = {}  # token -> entry numbers, ascending
        self._seen: set[tuple[int, frozenset[str]]] = set()
        self.candidates_checked = 0  # entries compared in full, over all finds (a cost gauge)

    def __len__(self) -> int:
        return len(self._stories)

    def add(self, story_id: int, signature: str) -> None:
        """Remember that `signature` belongs to story `story_id` (empty signatures are ignored)."""
        tokens = _tokens_of(signature)
        if not tokens or (story_id, tokens) in self._seen:
            return
        self._seen.add((story_id, tokens))
        entry = len(self._stories)
        self._stories.append(story_id)
        self._tokens.append(tokens)
        for token in tokens:
            self._postings.setdefault(token, []).append(entry)

    def find(self, signature: str) -> int | None:
        """Story id of the most similar signature with Jaccard >= threshold, or None.

        Ties go to the most recently added signature: the story still being
        reported.
        """
        query = _tokens_of(signature)
        if not query:
            return None
        # Prefix filter: a match shares at least ceil(t*|q|) tokens with the query, so it
        # must contain one of the |q| - ceil(t*|q|) + 1 rarest query tokens.
        needed = math.ceil(self.threshold * len(query) - 1e-6)
        rare_first = sorted(query, key=lambda token: (len(self._postings.get(token, ())), token))
        candidates: set[int] = set()
        for token in rare_first[: len(query) - needed + 1]:
            candidates.update(self._postings.get(token, ()))
        best_entry, best_score = -1, 0.0
        for entry in candidates:
            self.candidates_checked += 1
            score = jaccard(query, self._tokens[entry])
            if score > best_score or (score == best_score and entry > best_entry):
                best_entry, best_score = entry, score
        if best_entry < 0 or best_score < self.threshold - _EPSILON:
            return None
        return self._stories[best_entry]


def _tokens_of(signature: str) -> frozenset[str]:
    return frozenset(signature.split())
