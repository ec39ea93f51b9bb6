"""Coordinated lists of regions that share one plural head word.

News names several units at once with the head word said only once and in
the plural: "Северо-Казахстанской, Восточно-Казахстанской и Алматинской
областей", "Ақмола, Алматы және Қарағанды облыстарының", "Akmola, Almaty and
Karaganda regions". The gazetteer's phrases ("Северо-Казахстанская
область") match only the last item; the others are lost, or worse, read as
something else ("Алматы" alone is the city, KZ-75, not the region). A reader
distributes the head over the list; so does this module.

Only a plural head starts a list (a singular "области" after "и" is not a
shared head), and only items that the gazetteer itself accepts with the head
word join it, so the list stops at the first word that is not a unit's
name. Each item keeps its own span and the gazetteer phrase as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

# Plural forms of the head words (ru, kk, en) as the text spells them, lower
# case, with the singular the gazetteer writes its phrases with.
PLURAL_HEADS = {
    "областях": "область",
    "областей": "область",
    "областям": "область",
    "областями": "область",
    "облыстар": "облысы",
    "regions": "region",
    "oblasts": "oblast",
    "provinces": "region",  # the gazetteer names most units "X region", few "X province"
}
_NEXT_WORD = re.compile(r"\s+([^\W\d_]+)")
# What may stand between two items: a comma, a conjunction, or both.
_SEPARATOR = r"(?:\s*,\s*(?:(?:и|және|мен|and)\s+)?|\s+(?:и|және|мен|and)\s+)"
_ONE_WORD = re.compile(r"([^\W\d_][\w-]*)" + _SEPARATOR + r"$")
_TWO_WORDS = re.compile(r"([^\W\d_][\w-]*\s+[^\W\d_][\w-]*)" + _SEPARATOR + r"$")
_WINDOW = 80  # characters looked back for one item and its separator
_MAX_ITEMS = 20  # a list longer than every unit of the country is no list

P = TypeVar("P")


def shared_head(text: str, start: int, end: int) -> str | None:
    """The singular of the plural head ending ``text[start:end]`` or right after it, if any.

    "Карагандинской областях" carries its head; "Қарағанды облыстарының" is
    matched as "Қарағанды" alone, with the head as the next word.
    """
    words = text[start:end].split()
    after = _NEXT_WORD.match(text, end)
    for word in (words[-1] if len(words) > 1 else "", after.group(1) if after else ""):
        lowered = word.lower()
        for plural, singular in PLURAL_HEADS.items():
            if lowered.startswith(plural):
                return singular
    return None


def list_items(
    text: str, start: int, place_of: Callable[[str], P | None]
) -> list[tuple[int, int, P]]:
    """The items listed before the last one, which starts at ``text[start]``, nearest first.

    ``place_of`` returns the gazetteer phrase a whole string made of one item
    and the shared head's singular ("Ақмола облысы") names, or None; the list
    ends at the first item it rejects. Returns (start, end, phrase) per item.
    """
    found: list[tuple[int, int, P]] = []
    pos = start
    while len(found) < _MAX_ITEMS:
        window = text[max(0, pos - _WINDOW) : pos]
        item = None
        for pattern in (_ONE_WORD, _TWO_WORDS):
            match = pattern.search(window)
            if match is None:
                continue
            phrase = place_of(match.group(1))
            if phrase is not None:
                offset = pos - len(window)
                item = (offset + match.start(1), offset + match.end(1), phrase)
                break
        if item is None:
            return found
        found.append(item)
        pos = item[0]
    return found


def overlaps(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``span`` shares a character with any of ``spans``."""
    return any(span[0] < end and start < span[1] for start, end in spans)


# Between two countries of a participants' list: a comma and/or a conjunction.
_BETWEEN_COUNTRIES = re.compile(r"\s*(?:,\s*)?(?:(?:и|және|мен|and|а также|as well as)\s+)?$")
MIN_PARTICIPANTS = 3  # "Kazakhstan and Kyrgyzstan" may both be where it happens


def participant_runs(text: str, spans: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Runs of at least three country names listed one after another, as indexes into ``spans``.

    "Delegations of Belarus, India, Kazakhstan and China met in Nanjing":
    a list of states is who took part (GUIDELINES: the participants' list
    adds no region), while the place of the meeting is named elsewhere.
    ``spans`` are the country matches' (start, end), in any order; two are
    in one run when only a comma and/or a conjunction stands between them.
    """
    order = sorted(range(len(spans)), key=lambda i: spans[i])
    runs: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and _listed_after(text, spans[current[-1]], spans[i]):
            current.append(i)
            continue
        if len(current) >= MIN_PARTICIPANTS:
            runs.append(current)
        current = [i]
    if len(current) >= MIN_PARTICIPANTS:
        runs.append(current)
    return runs


def _listed_after(text: str, previous: tuple[int, int], span: tuple[int, int]) -> bool:
    """Whether ``span`` is the next item of a list after ``previous``."""
    gap = text[previous[1] : span[0]]
    return bool(gap.strip()) and _BETWEEN_COUNTRIES.fullmatch(gap) is not None
