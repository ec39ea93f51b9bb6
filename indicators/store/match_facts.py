"""Counting a text search's items in memory: the facts of a kept match set.

A broad search ("Алматы" over 180 days: 94,000 items at 1M) used to cost each
chart of a view one read of every matching item row and its tags (90-250 ms
per query at 1M; a view asks four to seven). Once the exact ids are known
and kept (`textsearch.exact_matches`), the few facts the counts need are read
once into arrays: per item its id, UTC day, language, source, relevance and
whether it starts a story; per tag axis the (item, value) pairs. Every count,
series and cross count of any filters on top of the search is then a few
numpy operations, with the semantics of `queries._items_aggregate` (the SQL
path, which stays for PostgreSQL and whenever the facts cannot be used):
OR within an axis, AND across axes; a grouped tag axis counts an item once
per value it carries and leaves out items with none; `stories` counts items
whose story id is their own id.

Exactness: facts are kept under the store's text and counted versions, read
before and after them (equal: no commit came between), and used only while
both are current. The text version grows with every commit that adds,
removes or rewrites an item; the counted version with every change of an
item's lexicon version (every retag), relevance, story, source, language or
day (schema triggers), so kept facts are never older than the store.
Bounded by `FACTS_BUDGET` items in all, least recently used out first.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from indicators.models import TAG_AXES
from indicators.selection import Filters
from indicators.store import grouping
from indicators.store.conditions import tag_selection
from indicators.store.kept import Kept
from indicators.store.textsearch import counted_version

FACTS_BUDGET = 600_000  # items held in all (~60 bytes each with their tags: ~36 MB)


@dataclass(frozen=True)
class AxisPairs:
    """One tag axis of the matched items: each item's values, items in order (CSR)."""

    start: np.ndarray  # int32, len(items) + 1: item i's values are codes[start[i]:start[i+1]]
    codes: np.ndarray  # int32 index into `values`
    values: tuple[str, ...]


@dataclass(frozen=True)
class MatchFacts:
    ids: np.ndarray  # int64, ascending
    published: np.ndarray  # int64 microseconds since 1970 (published_at, UTC): page order
    day: np.ndarray  # int32 date ordinal (published_day)
    lang: np.ndarray  # int32 index into `langs`
    langs: tuple[str | None, ...]
    feed: np.ndarray  # int32 feed id, -1 for none
    relevant: np.ndarray  # bool
    starts: np.ndarray  # bool: story_id == id
    axes: dict[str, AxisPairs]

    @property
    def size(self) -> int:
        return len(self.ids)


_facts: Kept[tuple[str, tuple[str, int, int], str], MatchFacts] = Kept(size=lambda f: f.size)


def forget() -> None:
    """Drop every kept fact set (tests; a process that wants its memory back)."""
    _facts.clear()


def facts_for(conn: Connection, matches: str) -> MatchFacts | None:
    """The facts of the items in `matches` (a JSON array of ids), or None where the
    store cannot vouch for them (no version counter, or a commit between reads)."""
    state = counted_version(conn)
    if state is None:
        return None
    key = (str(conn.engine.url), state, matches)

    def read() -> tuple[tuple[str, tuple[str, int, int], str], MatchFacts] | None:
        facts = _read(conn, matches, state)
        return None if facts is None else (key, facts)

    return _facts.get_or_compute(key, read, FACTS_BUDGET)


# The facts as a handful of long strings (SQLite's group_concat, one row for the
# items and one per tag value), parsed by numpy: a Python object per item and per
# tag row cost more time and memory than the reads. Every column of the items row
# is concatenated in the same pass, so they stay aligned; the stored times are
# naive UTC text ("2026-05-25 10:11:12.345678", days "2026-05-25"); NUL stands for
# a missing language.
_ITEMS_SQL = """
SELECT count(*), group_concat(id), group_concat(coalesce(feed_id, -1)),
       group_concat(relevant), group_concat(coalesce(story_id = id, 0)),
       group_concat(published_at), group_concat(published_day),
       group_concat(coalesce(lang, char(0)))
FROM items WHERE id IN (SELECT value FROM json_each(?))
"""
_TAGS_SQL = """
SELECT axis, value, group_concat(item_id) FROM item_tags
WHERE item_id IN (SELECT value FROM json_each(?)) GROUP BY axis, value
"""
_UNIX_DAY_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


def _split(joined: str | None, n: int) -> list[str]:
    """One concatenated column back into its `n` values (none of them holds a comma)."""
    parts = str(joined).split(",") if n else []
    if len(parts) != n:
        raise ValueError(f"expected {n} values, read {len(parts)}")
    return parts


def _numbers(joined: str | None, n: int) -> np.ndarray:
    return np.array(_split(joined, n), dtype=np.int64)


def _read(conn: Connection, matches: str, version: tuple[str, int, int]) -> MatchFacts | None:
    """Read and parse the facts; None when a commit came between the reads.

    The tag rows are read on a second connection of the engine's pool while
    this one reads and parses the item rows: SQLite releases the interpreter
    lock while it reads, so the two halves (about even at 1M items) take two
    cores instead of one after the other. Each statement is its own snapshot
    either way; the counted version read after both, equal to the one read
    before, is what vouches that they saw the same store.
    """
    raw: Any = conn.connection.driver_connection
    with ThreadPoolExecutor(1, thread_name_prefix="facts-tags") as pool:
        tags = pool.submit(_tag_rows, conn.engine, matches)
        n, order, numbers, texts = _item_columns(raw, matches)
        tag_rows = tags.result()
    ids, feed, relevant, starts = numbers
    if counted_version(conn) != version:
        return None  # a commit came between the reads (each statement is its own snapshot)
    names = [texts[2][i] for i in order.tolist()]
    langs = tuple(dict.fromkeys(names))
    lang_code = {lang: i for i, lang in enumerate(langs)}
    by_axis: dict[str, list[tuple[str, str]]] = {axis: [] for axis in TAG_AXES}
    for axis, value, joined in tag_rows:
        if axis in by_axis:
            by_axis[axis].append((str(value), str(joined)))
    return MatchFacts(
        ids=ids,
        published=np.array(texts[0], dtype="datetime64[us]").astype(np.int64)[order],
        day=(
            np.array(texts[1], dtype="datetime64[D]").astype(np.int64)[order] + _UNIX_DAY_ORDINAL
        ).astype(np.int32),
        lang=np.fromiter((lang_code[x] for x in names), dtype=np.int32, count=n),
        langs=tuple(None if lang == "\x00" else lang for lang in langs),
        feed=feed.astype(np.int32),
        relevant=relevant.astype(bool),
        starts=starts.astype(bool),
        axes={axis: _pairs(ids, by_axis[axis]) for axis in TAG_AXES},
    )


def _item_columns(
    raw: Any, matches: str
) -> tuple[int, np.ndarray, list[np.ndarray], list[list[str]]]:
    """(count, order by id, [ids, feeds, relevance, story starts] in id order, the text columns
    [published_at, published_day, lang] in read order) of the matched item rows."""
    n, *columns = raw.execute(_ITEMS_SQL, (matches,)).fetchone()
    n = int(n)
    order = np.argsort(_numbers(columns[0], n), kind="stable")  # by id
    numbers = [_numbers(c, n)[order] for c in columns[:4]]
    return n, order, numbers, [_split(c, n) for c in columns[4:]]


def _tag_rows(engine: Engine, matches: str) -> list[Any]:
    """(axis, value, item ids joined by commas) of the matched items, on a connection of its own."""
    with engine.connect() as other:
        raw: Any = other.connection.driver_connection
        return list(raw.execute(_TAGS_SQL, (matches,)).fetchall())


def _pairs(ids: np.ndarray, groups: Sequence[tuple[str, str]]) -> AxisPairs:
    """(value, its item ids joined by commas) of one axis -> each item's value codes (CSR)."""
    values = tuple(sorted(value for value, _ in groups))
    code = {v: i for i, v in enumerate(values)}
    held = [np.array(joined.split(","), dtype=np.int64) for _, joined in groups]
    fills = [
        np.full(len(h), code[value], dtype=np.int32)
        for (value, _), h in zip(groups, held, strict=True)
    ]
    where = np.searchsorted(ids, np.concatenate(held)) if held else np.zeros(0, np.int64)
    codes = np.concatenate(fills) if fills else np.zeros(0, np.int32)
    order = np.argsort(where, kind="stable")
    counts = np.bincount(where, minlength=len(ids))
    start = np.zeros(len(ids) + 1, dtype=np.int32)
    np.cumsum(counts, out=start[1:])
    return AxisPairs(start=start, codes=codes[order], values=values)


# --- counting ----------------------------------------------------------------------


def selected(facts: MatchFacts, f: Filters) -> np.ndarray:
    """Indices of the items that also pass `f`'s period, sources, languages and tags."""
    keep = np.ones(facts.size, dtype=bool)
    if f.date_from:
        keep &= facts.day >= f.date_from.toordinal()
    if f.date_to:
        keep &= facts.day <= f.date_to.toordinal()
    if f.sources:
        keep &= np.isin(facts.feed, np.array(f.sources, dtype=np.int64))
    if f.langs:
        codes = [i for i, lang in enumerate(facts.langs) if lang in f.langs]
        keep &= np.isin(facts.lang, np.array(codes, dtype=np.int32))
    for axis, wanted in tag_selection(f):
        pairs = facts.axes[axis]
        codes = [i for i, v in enumerate(pairs.values) if v in wanted]
        hit = np.isin(pairs.codes, np.array(codes, dtype=np.int32))
        owner = np.repeat(np.arange(facts.size), np.diff(pairs.start))
        carries = np.zeros(facts.size, dtype=bool)
        carries[owner[hit]] = True
        keep &= carries
    return np.flatnonzero(keep)


def page_ids(
    facts: MatchFacts,
    f: Filters,
    offset: int,
    limit: int,
    *,
    descending: bool = True,
    relevant_only: bool = False,
) -> list[int]:
    """The ids of one page of the matched items newest first (or oldest first), ties by
    id as the SQL page orders them: the page is then read by id, not by sorting rows."""
    rows = selected(facts, f)
    if relevant_only:
        rows = rows[facts.relevant[rows]]
    order = np.lexsort((facts.ids[rows], facts.published[rows]))
    if descending:
        order = order[::-1]
    return [int(i) for i in facts.ids[rows[order[offset : offset + limit]]]]


def aggregate(
    facts: MatchFacts, f: Filters, group: Sequence[str], measures: Sequence[str]
) -> list[tuple[Any, ...]]:
    """`queries._items_rows` for the matched items: `group`'s values then the measures,
    one row per group (without `group`: one row, sums of nothing None)."""
    rows = selected(facts, f)  # item index of each output row, before grouping
    keys: list[np.ndarray] = []
    decode: list[grouping.Decode] = []
    for axis in group:
        if axis in TAG_AXES:
            pairs = facts.axes[axis]
            rows, keys, codes = grouping.spread(rows, keys, pairs.start, pairs.codes)
            keys.append(codes)
            decode.append(pairs.values)
        elif axis == "day":
            keys.append(facts.day[rows].astype(np.int64))
            decode.append(date.fromordinal)
        elif axis == "lang":
            keys.append(facts.lang[rows].astype(np.int64))
            decode.append(facts.langs)
        elif axis == "source":
            known = facts.feed[rows] >= 0  # no source: left out, as the SQL path does
            rows, keys = rows[known], [k[known] for k in keys]
            keys.append(facts.feed[rows].astype(np.int64))
            decode.append(int)
        else:
            raise ValueError(f"unknown axis {axis!r}")
    weights = {
        "items": None,
        "relevant": facts.relevant[rows],
        "stories": facts.starts[rows],
    }
    if not group:  # one row, as SQL's aggregate without GROUP BY: sums of nothing are None
        if not len(rows):
            return [tuple(0 if m == "items" else None for m in measures)]
        return [tuple(_total(weights[m], len(rows)) for m in measures)]
    return grouping.group_sums(keys, decode, [weights[m] for m in measures])


def _total(weight: np.ndarray | None, n: int) -> int:
    return n if weight is None else int(weight.sum())
