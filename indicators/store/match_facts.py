"""Counting a text search's items in memory: the facts of a kept match set.

A broad search ("Алматы" over 180 days: 94,000 items at 1M) used to cost each
chart of a view one read of every matching item row and its tags (90-250 ms
per query at 1M; a view asks four to seven). Once the exact ids are known
and kept (`textsearch.exact_matches`), the few facts the counts need are read
once into arrays: per item its id, UTC day, language, source, relevance and
whether it starts a story; per tag axis the (item, value) pairs, from the
item row's own tag codes (`items.tag_codes`). A dashboard's first search
reads them in the very statements that find the matches (`FACT_ROWS`),
which touch those rows anyway; a kept match set whose facts were dropped
reads them by id. Every count,
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
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Connection, func, select, text

from indicators.models import TAG_AXES
from indicators.selection import Filters
from indicators.store import grouping
from indicators.store.conditions import tag_selection
from indicators.store.kept import Kept
from indicators.store.schema import CODE_DIGITS, items
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


# The facts as a handful of long strings (SQLite's group_concat), parsed by numpy: a
# Python object per item cost more time and memory than the read. Every column is
# concatenated in the same pass, so they stay aligned; the stored times are naive UTC
# text ("2026-05-25 10:11:12.345678", days "2026-05-25"); NUL stands for a missing
# language. The tags are the rows' `tag_codes` joined by ";" (fixed-width codes: see
# `_tag_codes`), with no expression per row: one that built a string per row made
# two statements read side by side wait on each other.
FACT_COLUMNS = ("feed_id", "relevant", "story_id", "published_at", "published_day", "lang")
_ROW_SEP = ";"


def _aggregates(rows: Any) -> list[ColumnElement[Any]]:
    """The facts of `rows` (the items table, or a search's matched rows), after the ids."""
    c = rows.c
    return [
        func.group_concat(func.coalesce(c.feed_id, -1)),
        func.group_concat(c.relevant),
        func.group_concat(func.coalesce(c.story_id == c.id, 0)),
        func.group_concat(c.published_at),
        func.group_concat(c.published_day),
        func.group_concat(func.coalesce(c.lang, func.char(0))),
        func.group_concat(c.tag_codes, _ROW_SEP),
    ]


_MATCHED = text("id IN (SELECT value FROM json_each(:matches))")
_CODES_SQL = "SELECT code, axis, value FROM tag_values"
_UNIX_DAY_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


class _FactRows:
    """The facts, read in the statements that find a search's matches
    (`textsearch.MatchRows`) and kept under the version those statements read."""

    needs: tuple[str, ...] = (*FACT_COLUMNS, "tag_codes")

    def aggregates(self, rows: Any) -> list[ColumnElement[Any]]:
        return _aggregates(rows)

    def keep(
        self, conn: Connection, state: tuple[str, int, int], ids: str, parts: list[Sequence[Any]]
    ) -> None:
        read = [part for part in parts if int(part[1])]  # a range with no match has NULLs
        n = sum(int(part[1]) for part in read)
        last = len(parts[0]) - 1  # the tag codes, whose rows are joined by _ROW_SEP
        joined_ids, *columns = (
            (_ROW_SEP if i == last else ",").join(str(part[i]) for part in read)
            for i in range(len(parts[0]))
            if i != 1  # the count
        )
        facts = _parse(conn, n, joined_ids, columns)
        _facts.put((str(conn.engine.url), state, ids), facts, FACTS_BUDGET)


FACT_ROWS = _FactRows()


def _split(joined: str | None, n: int) -> list[str]:
    """One concatenated column back into its `n` values (none of them holds a comma)."""
    parts = str(joined).split(",") if n else []
    if len(parts) != n:
        raise ValueError(f"expected {n} values, read {len(parts)}")
    return parts


def _numbers(joined: str | None, n: int) -> np.ndarray:
    """A concatenated column of `n` integers, parsed by numpy itself (a Python string per
    value took most of the read's parsing)."""
    if not n:
        return np.zeros(0, dtype=np.int64)
    values = np.fromstring(str(joined), dtype=np.int64, sep=",")
    if len(values) != n:
        raise ValueError(f"expected {n} values, read {len(values)}")
    return values


def _read(conn: Connection, matches: str, version: tuple[str, int, int]) -> MatchFacts | None:
    """Read and parse the facts; None when a commit came between the reads.

    One statement reads the item rows with their tag codes; the counted
    version read after it, equal to the one read before, vouches that no
    retag came between.
    """
    statement = select(func.count(), func.group_concat(items.c.id), *_aggregates(items))
    n, ids, *columns = conn.execute(statement.where(_MATCHED), {"matches": matches}).one()
    facts = _parse(conn, int(n), ids, columns)
    return facts if counted_version(conn) == version else None


def _parse(conn: Connection, n: int, ids_joined: str | None, columns: Sequence[Any]) -> MatchFacts:
    """The facts of `n` items from their concatenated columns (`_aggregates`, in read order).

    The code table, read after the rows, holds every code they name: a code
    is written in the transaction that first uses it and never changes.
    """
    code_table = conn.exec_driver_sql(_CODES_SQL).all()
    read_ids = _numbers(ids_joined, n)
    order = np.argsort(read_ids, kind="stable")  # by id
    feed, relevant, starts = (_numbers(c, n)[order] for c in columns[:3])
    lang_names = _split(columns[5], n)
    langs = tuple(dict.fromkeys(lang_names))
    lang_code = {lang: i for i, lang in enumerate(langs)}
    tag_counts, codes = _tag_codes(columns[6], n)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    owner = rank[np.repeat(np.arange(n), tag_counts)]  # each code's item, in id order
    days = _times(columns[4], n, "datetime64[D]", len("2026-05-25"))
    return MatchFacts(
        ids=read_ids[order],
        published=_times(columns[3], n, "datetime64[us]", _STORED_TIME)[order],
        day=(days[order] + _UNIX_DAY_ORDINAL).astype(np.int32),
        lang=np.fromiter(map(lang_code.__getitem__, lang_names), dtype=np.int32, count=n)[order],
        langs=tuple(None if lang == "\x00" else lang for lang in langs),
        feed=feed.astype(np.int32),
        relevant=relevant.astype(bool),
        starts=starts.astype(bool),
        axes=_axes(n, owner, codes, code_table),
    )


_STORED_TIME = len("2026-05-25 10:11:12.345678")  # how the store writes every time


def _times(joined: str | None, n: int, unit: str, width: int) -> np.ndarray:
    """A concatenated column of `n` stored times (or days) as int64 in `unit`.

    Where every value has the width the store writes, numpy reads them in
    place (a fifth of the time of a Python string each); otherwise (a time
    written by hand, say) one by one.
    """
    text_bytes = str(joined or "").encode("utf-8") if n else b""
    if len(text_bytes) == n * (width + 1) - 1:
        cells = np.frombuffer(text_bytes + b",", dtype=np.dtype([("v", f"S{width}"), ("s", "S1")]))
        if np.all(cells["s"] == b","):
            return cells["v"].astype(unit).astype(np.int64)
    return np.array(_split(joined, n), dtype=unit).astype(np.int64)


def _tag_codes(joined: str | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(each row's number of codes, all the codes in row order) from `n` rows' `tag_codes`
    joined by ";". A code has `schema.CODE_DIGITS` digits and a comma after all but the
    last, so a row's length tells its number of codes and the digits are read in place."""
    width = CODE_DIGITS + 1
    text_bytes = np.frombuffer(str(joined or "").encode("ascii"), dtype=np.uint8)
    seps = np.flatnonzero(text_bytes == ord(_ROW_SEP))
    if n and len(seps) != n - 1:
        raise ValueError(f"expected {n} rows of tag codes, read {len(seps) + 1}")
    ends = np.append(seps, len(text_bytes))
    lengths = ends - np.concatenate(([0], seps + 1)) if n else np.zeros(0, dtype=np.int64)
    if np.any((lengths > 0) & ((lengths + 1) % width != 0)):
        raise ValueError("tag codes of another width")
    digits = text_bytes[(text_bytes != ord(_ROW_SEP)) & (text_bytes != ord(","))]
    places = 10 ** np.arange(CODE_DIGITS - 1, -1, -1)
    codes = (digits.reshape(-1, CODE_DIGITS).astype(np.int64) - ord("0")) @ places
    return (lengths + 1) // width, codes


def _axes(
    n: int, owner: np.ndarray, codes: np.ndarray, code_table: Sequence[Any]
) -> dict[str, AxisPairs]:
    """Each tag axis of the items as `AxisPairs`, from every code and the item it belongs to.

    An axis's values are those its matched items carry, sorted; an item's
    codes follow that order, as one read of the tag rows grouped by value gave.
    """
    size = max((int(row[0]) for row in code_table), default=0) + 1
    present = set(np.flatnonzero(np.bincount(codes, minlength=size)).tolist())
    axis_of = np.full(size, -1, dtype=np.int64)  # the code's place in TAG_AXES; -1: not one
    local_of = np.zeros(size, dtype=np.int64)  # its index among the axis's values
    values: dict[str, tuple[str, ...]] = {}
    for a, axis in enumerate(TAG_AXES):
        named = sorted((str(v), int(c)) for c, ax, v in code_table if ax == axis and c in present)
        values[axis] = tuple(value for value, _ in named)
        for i, (_, code) in enumerate(named):
            axis_of[code], local_of[code] = a, i
    on_axis = axis_of[codes]
    kept = on_axis >= 0
    on_axis, items_of, local = on_axis[kept], owner[kept], local_of[codes[kept]]
    # by axis, then item, then value: one key (radix-sorted: a third of a lexsort's time)
    order = np.argsort((on_axis * n + items_of) * size + local, kind="stable")
    on_axis, items_of, local = on_axis[order], items_of[order], local[order]
    bounds = np.searchsorted(on_axis, np.arange(len(TAG_AXES) + 1))
    axes: dict[str, AxisPairs] = {}
    for a, axis in enumerate(TAG_AXES):
        mine = slice(bounds[a], bounds[a + 1])
        start = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(items_of[mine], minlength=n), out=start[1:])
        axes[axis] = AxisPairs(start=start, codes=local[mine].astype(np.int32), values=values[axis])
    return axes


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
