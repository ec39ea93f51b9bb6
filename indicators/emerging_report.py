"""Emerging terms for a selection: what the CLI prints and the dashboard lists.

One linear run: split the selection's days into periods of `recent_days`
ending on its last day (the last period is "now", the others "before") ->
count the items holding each term per period (`indicators.store.term_counts`)
-> rank rises by signed G2 (`indicators.emerging`) -> turn the hashes back
into text from the items that hold them -> drop stop words
(`indicators.stopwords`) and what the lexicon already matches
(`indicators.lexicon_known`) -> leave out a word always in the same items as
a listed pair holding it, and join the overlapping pairs of one recurring
phrase -> attach the trend per period and the newest example items. The
first period may be shorter than the others; the trend carries each
period's item total so a chart can show shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import Engine

from indicators.emerging import DEFAULT_MIN_COUNT, Rise, rank_rises
from indicators.lexicon import CompiledLexicon
from indicators.lexicon_known import known_terms
from indicators.selection import FilterError, Filters
from indicators.store import term_counts
from indicators.text_terms import terms_by_hash

DEFAULT_RECENT_DAYS = 7
DEFAULT_WINDOW_DAYS = 90
DEFAULT_LIMIT = 30
EXAMPLES = 3


@dataclass(frozen=True)
class EmergingConfig:
    """How emerging terms are counted (the `terms_*` settings)."""

    recent_days: int = DEFAULT_RECENT_DAYS
    window_days: int = DEFAULT_WINDOW_DAYS
    min_count: int = DEFAULT_MIN_COUNT


@dataclass(frozen=True)
class ExampleItem:
    """An item of the recent period that holds the term."""

    id: int
    title: str
    url: str | None
    day: str  # UTC day, ISO


@dataclass(frozen=True)
class EmergingTerm:
    """One term that rose, with its evidence."""

    term: str  # normalized words ("квадрокоптер", "ут тахрир")
    now: int  # recent items holding it
    before: int  # earlier items holding it
    g2: float
    trend: tuple[int, ...]  # items holding it per period, oldest first
    examples: tuple[ExampleItem, ...]


@dataclass(frozen=True)
class EmergingReport:
    """The ranked terms of a selection and the periods they were counted in."""

    filters: Filters  # the bounded selection
    periods: tuple[tuple[date, date], ...]  # oldest first; the last one is "now"
    totals: tuple[int, ...]  # relevant items per period
    min_count: int
    terms: tuple[EmergingTerm, ...]

    @property
    def items_now(self) -> int:
        return self.totals[-1] if self.totals else 0

    @property
    def items_before(self) -> int:
        return sum(self.totals[:-1])


def split_periods(first: date, last: date, recent_days: int) -> list[tuple[date, date]]:
    """Periods of `recent_days` ending on `last`, oldest first (the oldest may be shorter).

    Raises FilterError when the selection has no room for an earlier period.
    """
    if recent_days < 1:
        raise ValueError("recent_days must be at least 1")
    if (last - first).days + 1 <= recent_days:
        raise FilterError(
            f"emerging terms compare the last {recent_days} days with the days before: "
            f"choose a period longer than {recent_days} days"
        )
    periods = []
    end = last
    while end >= first:
        start = max(first, end - timedelta(days=recent_days - 1))
        periods.append((start, end))
        end = start - timedelta(days=1)
    return periods[::-1]


def default_window(f: Filters, last_day: date | None, window_days: int) -> Filters:
    """`f` with a missing end set to the newest stored day, a missing start `window_days` before."""
    end = f.date_to or last_day or date.today()
    start = f.date_from or end - timedelta(days=window_days - 1)
    return replace(f, date_from=start, date_to=end)


def _resolve(
    engine: Engine, rises: Iterable[Rise[int]], counts: term_counts.TermCounts
) -> dict[int, str]:
    """hash -> text for these rises, read from one example item of each."""
    owners = counts.newest_owners([rise.key for rise in rises])
    texts = term_counts.item_texts(engine, sorted(set(owners.values())))
    by_hash = terms_by_hash((t[0], t[1]) for t in texts.values())
    return {h: by_hash[h] for h in owners if h in by_hash}


def _covered(rise: Rise[int], words: list[str], chosen: list[tuple[Rise[int], str]]) -> bool:
    """A single word that is always in the same items as a chosen pair holding it.

    "құрылғы" and "құрылғы залалсыздандырылды" with the same counts are one
    finding; the pair says more, so the word alone is left out.
    """
    if len(words) != 1:
        return False
    return any(
        (other.now, other.before) == (rise.now, rise.before) and words[0] in text.split()
        for other, text in chosen
        if " " in text
    )


def join_phrases(
    chosen: list[tuple[Rise[int], str]], examples_of: Callable[[Rise[int]], tuple[int, ...]]
) -> list[tuple[Rise[int], str]]:
    """Overlapping pairs of one recurring phrase joined into the phrase, in list order.

    "местные власти", "власти напомнили", "напомнили жителям" with the same
    counts now and before and the same newest items are one phrase, "местные
    власти напомнили жителям", listed once where its first pair was. Pairs
    only join along an unambiguous chain (no word followed or preceded by two
    different words of the group); anything else is left as it was.
    """
    groups: dict[tuple[int, int, tuple[int, ...]], list[int]] = {}
    for index, (rise, text) in enumerate(chosen):
        if text.count(" ") == 1:
            groups.setdefault((rise.now, rise.before, examples_of(rise)), []).append(index)
    joined: dict[int, str] = {}  # index of a chain's first pair -> the phrase
    dropped: set[int] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        pairs = {tuple(chosen[i][1].split()): i for i in members}
        after: dict[str, str] = {}
        before: dict[str, str] = {}
        branching = False
        for a, b in pairs:
            if after.setdefault(a, b) != b or before.setdefault(b, a) != a:
                branching = True  # a word followed (or preceded) by two words
        if branching:
            continue
        for start in (a for a in after if a not in before):
            words, indexes = [start], []
            while words[-1] in after and len(words) <= len(pairs):
                indexes.append(pairs[(words[-1], after[words[-1]])])
                words.append(after[words[-1]])
            if len(indexes) > 1:
                first = min(indexes)
                joined[first] = " ".join(words)
                dropped.update(i for i in indexes if i != first)
    return [
        (rise, joined.get(index, text))
        for index, (rise, text) in enumerate(chosen)
        if index not in dropped
    ]


def emerging_terms(
    engine: Engine,
    f: Filters,
    compiled: CompiledLexicon,
    stop_words: frozenset[str],
    *,
    recent_days: int = DEFAULT_RECENT_DAYS,
    min_count: int = DEFAULT_MIN_COUNT,
    limit: int = DEFAULT_LIMIT,
) -> EmergingReport:
    """The terms of the bounded selection `f` whose share of relevant items rose most."""
    if f.date_from is None or f.date_to is None:
        raise FilterError("emerging terms need a period with both 'from' and 'to'")
    periods = split_periods(f.date_from, f.date_to, recent_days)
    counts = term_counts.count_terms(engine, f, periods, min_count=min_count)
    n_now, n_before = counts.totals[-1], sum(counts.totals[:-1])
    row_of = {int(h): k for k, h in enumerate(counts.hashes)}
    rises = rank_rises(
        (
            (int(h), int(counts.counts[k, -1]), int(counts.counts[k, :-1].sum()))
            for k, h in enumerate(counts.hashes)
        ),
        n_now,
        n_before,
        min_count=min_count,
    )
    known = known_terms(compiled)
    chosen: list[tuple[Rise[int], str]] = []
    wanted = limit * 2  # room for the pairs that join into longer phrases below
    step = max(limit * 3, 30)
    for start in range(0, len(rises), step):
        batch = rises[start : start + step]
        texts = _resolve(engine, batch, counts)
        for rise in batch:
            text = texts.get(rise.key)
            if text is None:
                continue
            words = text.split()
            if any(w in stop_words for w in words) or known.knows(words):
                continue
            if _covered(rise, words, chosen):
                continue
            chosen = [c for c in chosen if not _covered(c[0], c[1].split(), [(rise, text)])]
            chosen.append((rise, text))
            if len(chosen) == wanted:
                break
        if len(chosen) == wanted:
            break
    example_ids = {id(rise): counts.examples(rise.key, EXAMPLES) for rise, _ in chosen}
    chosen = join_phrases(chosen, lambda r: tuple(example_ids[id(r)]))[:limit]
    shown = term_counts.item_texts(engine, sorted({i for ids in example_ids.values() for i in ids}))
    terms = []
    for rise, text in chosen:
        row = row_of[rise.key]
        terms.append(
            EmergingTerm(
                term=text,
                now=rise.now,
                before=rise.before,
                g2=rise.g2,
                trend=tuple(int(c) for c in counts.counts[row]),
                examples=tuple(
                    ExampleItem(i, shown[i][0], shown[i][2], shown[i][3])
                    for i in example_ids[id(rise)]
                    if i in shown
                ),
            )
        )
    return EmergingReport(
        filters=f,
        periods=tuple(periods),
        totals=counts.totals,
        min_count=min_count,
        terms=tuple(terms),
    )
