"""Counting stored term hashes for emerging terms (the numpy half of the store side).

`indicators.store.item_terms` writes one row of sorted 64-bit hashes per
relevant item. Counting reads the selection's rows period by period (the
same WHERE clauses as every other view, `queries.item_conditions`) and counts
with numpy: the recent period's hashes are counted in full; the earlier
periods are counted only for the terms frequent enough now to be ranked at all.
On SQLite an earlier period is read in one statement (its hashes joined inside
the database) and every other one on a second pooled connection, so two cores
share them; memory then scales with one period (a week) of hashes per thread.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Select, func, literal, select

from indicators.selection import Filters
from indicators.store import queries, textsearch
from indicators.store.conditions import (
    first_id,
    last_id,
    scope_conditions,
    tag_conditions,
    tag_selection,
)
from indicators.store.schema import item_terms, items
from indicators.store.textsearch import TextPlan

_CHUNK = 500  # ids per IN (...) list
_READ_CHUNK = 5_000  # rows counted at a time (bounded memory)
_DAYS_PER_READ = 4  # an earlier period's days joined in one statement (bounded bytes)
_COUNT_SLICE = 1 << 18  # hashes counted at a time (2 MiB; their temporaries a few times that)
_HASH = np.dtype("<i8")
_MAX_SLOT_BITS = 22  # the candidate lookup table: at most 4M slots (16 MiB of int32)


@dataclass(frozen=True)
class TermCounts:
    """Item counts of the terms frequent in the recent period, per period.

    `periods` are (first day, last day), oldest first; the last one is the
    recent period. Row k of `counts` holds the items containing `hashes[k]`
    in each period; `totals` the relevant items with terms in each period.
    `recent_items` / `recent_hashes` are the recent period's item ids (newest
    first) and, aligned with them, each item's hashes, to find example items;
    `recent_order` the positions of `recent_hashes` sorted by hash (a stable
    sort, so each hash's positions stay in item order), made once for both the
    count and the examples.
    """

    periods: tuple[tuple[date, date], ...]
    hashes: np.ndarray  # sorted int64
    counts: np.ndarray  # int64, shape (len(hashes), len(periods))
    totals: tuple[int, ...]
    recent_items: np.ndarray  # int64 item ids, newest first
    recent_offsets: np.ndarray  # start of each recent item's hashes in recent_hashes (+ end)
    recent_hashes: np.ndarray
    recent_order: np.ndarray

    @cached_property
    def _sorted_hashes(self) -> np.ndarray:
        return self.recent_hashes[self.recent_order]

    def examples(self, term: int, most: int) -> list[int]:
        """Ids of the newest recent items containing the term (at most `most`).

        A binary search in the hashes sorted once: the term's positions come in
        item order (newest first), so the first distinct owners are the newest,
        with no sort per term (`np.unique` per term was a quarter of a report).
        """
        ordered = self._sorted_hashes
        first = np.searchsorted(ordered, term, side="left")
        last = np.searchsorted(ordered, term, side="right")
        owners = np.searchsorted(self.recent_offsets, self.recent_order[first:last], side="right")
        distinct = _runs(owners)[0] - 1  # owners come sorted: an item's positions adjoin
        return [int(i) for i in self.recent_items[distinct[:most]]]

    def newest_owners(self, terms: Sequence[int]) -> dict[int, int]:
        """term -> id of the newest recent item containing it, for many terms at once.

        `examples(term, 1)` for each term in two vectorized binary searches: a
        term's first position in the sorted hashes is its newest item's (the
        stable sort keeps item order). Naming each candidate of a report by
        one example this way replaced a search and a run count per term (~80
        us each, hundreds per report). Terms in no recent item are left out.
        """
        wanted = np.asarray(terms, dtype=_HASH)
        ordered = self._sorted_hashes
        first = np.searchsorted(ordered, wanted, side="left")
        inside = first < len(ordered)
        present = np.zeros(len(wanted), dtype=bool)
        present[inside] = ordered[first[inside]] == wanted[inside]
        owners = np.searchsorted(
            self.recent_offsets, self.recent_order[first[present]], side="right"
        )
        ids = self.recent_items[owners - 1]
        return {int(t): int(i) for t, i in zip(wanted[present], ids, strict=True)}


@dataclass(frozen=True)
class _TextRead:
    """A count's one search for its word: the plan of the whole window, and when the
    index drives, the matched ids sorted, so each read takes only its own days' ids."""

    plan: TextPlan
    ids: np.ndarray | None  # sorted int64; None: the filters drive, each read tests text

    @classmethod
    def of(cls, plan: TextPlan) -> _TextRead:
        if not plan.use_index or plan.matches is None:
            return cls(plan, None)
        return cls(plan, np.unique(np.asarray(json.loads(plan.matches), dtype=np.int64)))

    def for_period(self, conn: Connection, f: Filters) -> TextPlan:
        """The plan for the days of `f`: the window's matched ids between the period's
        first and last id (the whole list in every statement made SQLite walk all of
        it for a few days' rows: ~30 ms per read of 4 days at 1M items)."""
        if self.ids is None:
            return self.plan
        lowest, highest = first_id(conn, f), last_id(conn, f)
        start = 0 if lowest is None else int(np.searchsorted(self.ids, lowest, side="left"))
        end = (
            len(self.ids)
            if highest is None
            else int(np.searchsorted(self.ids, highest, side="right"))
        )
        return replace(self.plan, matches=f"[{','.join(map(str, self.ids[start:end]))}]")


def _period_chunks(
    conn: Connection,
    f: Filters,
    *,
    driver: str = "",
    text: _TextRead | None = None,
    newest_first: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The relevant items matching `f` that have terms, in groups of at most `_READ_CHUNK`.

    Each group is (item ids, offsets of each item's hashes plus the end, the hashes).
    `driver` (`queries.tag_driver`) names the tag axis whose index starts the read,
    bounded to the period's ids; "" reads the period's items and checks their tags.
    `text`: the plan of `f.q` for the whole count (`count_terms`); None plans it here.
    """
    query = _period_query(conn, f, driver=driver, text=text, newest_first=newest_first)
    for rows in _row_chunks(conn, query):
        blobs = [bytes(r[1]) for r in rows]
        sizes = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // 8
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        yield ids, offsets, np.frombuffer(b"".join(blobs), _HASH)


def _period_query(
    conn: Connection,
    f: Filters,
    *,
    driver: str,
    newest_first: bool,
    text: _TextRead | None = None,
) -> Select[Any]:
    """(item id, term hashes) of the relevant items matching `f` (see `_period_chunks`)."""
    if _terms_alone(f) and not newest_first:
        # Only relevant items have a term row, and each row holds its item's day and
        # language: a period with tags, languages and sources at most is read from the
        # term rows of the days' ids, the tag index and the sources' (feed, day)
        # index, with no read of the wide item rows. 4 days at 1M items: the period
        # alone ~7 -> ~3.5 ms in SQLite; one region 7 -> 2.5 ms, one category 18 -> 7 ms.
        lowest, highest = first_id(conn, f), last_id(conn, f)
        conds = [item_terms.c.day >= f.date_from, item_terms.c.day <= f.date_to]
        if f.langs:
            conds.append(item_terms.c.lang.in_(f.langs))
        conds += _id_bounds(lowest, highest)
        conds += tag_conditions(
            tag_selection(f), driver, lowest, highest, item_id=item_terms.c.item_id
        )
        if f.sources:
            of_sources = select(items.c.id).where(
                items.c.feed_id.in_(f.sources),
                items.c.published_day >= f.date_from,
                items.c.published_day <= f.date_to,
            )
            conds.append(item_terms.c.item_id.in_(of_sources))
        return select(item_terms.c.item_id, item_terms.c.terms).where(*conds)
    if driver:
        conds = scope_conditions(f) + tag_conditions(
            tag_selection(f), driver, first_id(conn, f), last_id(conn, f)
        )
    else:
        if text is not None:
            plan: TextPlan | None = text.for_period(conn, f)
        else:
            plan = queries.text_plan(conn, f) if f.q else None
        conds = queries.item_conditions(f, text_plan=plan)
    # Only relevant items have a row, so `items.relevant` need not be read: for a
    # period alone the published_at index covers the query and the wide item rows
    # are never touched.
    query = (
        select(items.c.id, item_terms.c.terms)
        .join(item_terms, item_terms.c.item_id == items.c.id)
        .where(*conds)
    )
    if newest_first:
        query = query.order_by(items.c.published_at.desc(), items.c.id.desc())
    return query


def _id_bounds(lowest: int | None, highest: int | None) -> list[Any]:
    """Term rows between a period's first and last item id (`first_id`, `last_id`): every
    item of its days lies there, so the bounds only skip rows."""
    bounds = []
    if lowest is not None:
        bounds.append(item_terms.c.item_id >= lowest)
    if highest is not None:
        bounds.append(item_terms.c.item_id <= highest)
    return bounds


def _terms_alone(f: Filters) -> bool:
    """Whether the term rows and indexes answer `f` without the item rows: a period,
    with tags, languages and sources at most (no text)."""
    return bool(f.date_from and f.date_to and not f.q)


def _period_whole(
    conn: Connection, f: Filters, driver: str, text: _TextRead | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """(items, their hashes) of an earlier period, a few days at a time on SQLite, else in chunks.

    On SQLite the rows of `_DAYS_PER_READ` days are joined inside the database
    (`group_concat` of the blobs with no separator, read back as bytes): no
    Python object per row, so the read holds the interpreter lock only at its
    end and two periods can be read on two cores (180 days at 1M items: 0.53
    -> 0.32 s on one). The days bound the joined bytes: a week at once added
    50 MB to the peak of a count, one day at a time cost a statement (and a
    text search's plan) per day.
    """
    if conn.dialect.name != "sqlite" or f.date_from is None or f.date_to is None:
        for ids, _, chunk in _period_chunks(conn, f, driver=driver, text=text):
            yield len(ids), chunk
        return
    raw: Any = conn.connection.driver_connection
    for n in range(0, (f.date_to - f.date_from).days + 1, _DAYS_PER_READ):
        first = f.date_from + timedelta(days=n)
        last = min(first + timedelta(days=_DAYS_PER_READ - 1), f.date_to)
        one = replace(f, date_from=first, date_to=last)
        sub = _period_query(conn, one, driver=driver, newest_first=False, text=text).subquery()
        whole = select(func.count(), func.group_concat(sub.c.terms, literal("")))
        before = raw.text_factory
        raw.text_factory = bytes  # the joined blobs are not text: take them as they are
        try:
            count, joined = conn.execute(whole).one()
        finally:
            raw.text_factory = before
        yield int(count), np.frombuffer(joined or b"", _HASH)


def _row_chunks(conn: Connection, query: Select[Any]) -> Iterator[Sequence[Any]]:
    """(id, hashes) rows in groups of `_READ_CHUNK`, read as plainly as the engine allows.

    SQLite reads lazily from its cursor, so the DBAPI rows are taken as they are:
    an integer and a byte string need none of SQLAlchemy's row processing, which
    cost a quarter of the read at a million items. Elsewhere the rows stream
    from a server-side cursor (bounded memory), through SQLAlchemy: a buffered
    result has already taken rows from the cursor, so it must not be bypassed.
    """
    if conn.dialect.name == "sqlite":
        result = conn.execute(query)
        cursor = result.cursor
        while rows := cursor.fetchmany(_READ_CHUNK):
            yield rows
        result.close()
        return
    streamed = conn.execution_options(stream_results=True).execute(query)
    while chunk := streamed.fetchmany(_READ_CHUNK):
        yield chunk


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and how often each occurs (`np.unique`
    with counts, without sorting again)."""
    if not len(ordered):
        return ordered, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return ordered[starts], np.diff(np.r_[starts, len(ordered)])


def _slot_table(hashes: np.ndarray) -> np.ndarray:
    """Low hash bits -> index of the one candidate with those bits (-1: none, -2: several).

    Looking a hash up is then one array read and one comparison, instead of a
    binary search over the candidates: the earlier periods hold millions. The
    table has 64 to 128 slots per candidate (a power of two, 64K to 4M), so a
    hash of no candidate rarely meets a used slot, and a count of a thousand
    candidates needs 0.5 MiB, not 16 (measured: the same time either way).
    """
    bits = min(_MAX_SLOT_BITS, max(16, (64 * len(hashes)).bit_length()))
    table = np.full(1 << bits, -1, dtype=np.int32)
    slot = hashes & ((1 << bits) - 1)
    used, first, count = np.unique(slot, return_index=True, return_counts=True)
    table[used] = np.where(count == 1, first, -2)
    return table


def _count_known(chunk: np.ndarray, hashes: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """How often each of the sorted candidate `hashes` occurs in `chunk`."""
    index = slots[chunk & (len(slots) - 1)]
    direct = index >= 0
    found = index[direct]
    found = found[hashes[found] == chunk[direct]]
    counted = np.bincount(found, minlength=len(hashes))
    shared = chunk[index == -2]  # candidates sharing low bits: binary search
    if len(shared):
        where = np.searchsorted(hashes, shared)
        where[where == len(hashes)] = 0
        counted += np.bincount(where[hashes[where] == shared], minlength=len(hashes))
    return counted


def count_terms(
    engine: Engine, f: Filters, periods: Sequence[tuple[date, date]], *, min_count: int
) -> TermCounts:
    """Count, per period, the items holding each term found in `min_count`+ recent items.

    `f` gives every filter but the period; `periods` (oldest first, the recent
    one last) give the days. Only relevant items count.
    """
    if not periods:
        raise ValueError("count_terms needs at least one period")
    with engine.connect() as conn:
        textsearch.prepare(conn)
        # One plan for every period: the tag's share of items hardly changes week to week.
        whole = replace(f, date_from=periods[0][0], date_to=periods[-1][1])
        driver = queries.tag_driver(conn, whole)
        # One search for the whole window, too: each period's (and each few days')
        # own plan found the word's items again from its first id to the newest
        # (a common word over 90 days at 1M items: ~1 s of ~1.1). The window's
        # match set holds every later period's; each read keeps its own days.
        text = _TextRead.of(queries.text_plan(conn, whole)) if f.q else None
        recent = replace(f, date_from=periods[-1][0], date_to=periods[-1][1])
        parts = list(_period_chunks(conn, recent, driver=driver, text=text, newest_first=True))
        r_ids = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        r_hashes = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, _HASH)
        r_offsets = np.zeros(len(r_ids) + 1, dtype=np.int64)
        at = 0
        for _, offsets, _hashes in parts:
            size = len(offsets) - 1
            r_offsets[at + 1 : at + size + 1] = offsets[1:] + r_offsets[at]
            at += size
        r_order = np.argsort(r_hashes, kind="stable")
        found, found_counts = _runs(r_hashes[r_order])
        keep = found_counts >= min_count
        hashes = found[keep]
        counts = np.zeros((len(hashes), len(periods)), dtype=np.int64)
        counts[:, -1] = found_counts[keep]
        slots = _slot_table(hashes)
        totals = [0] * len(periods)
        totals[-1] = len(r_ids)
        earlier = list(enumerate(periods[:-1]))
        job = _EarlierCount(f, driver, text, hashes, slots)
        if conn.dialect.name == "sqlite" and len(earlier) > 1:
            # Every other earlier period on a second pooled connection: SQLite reads the
            # joined bytes without the interpreter lock, so two cores share the periods.
            # (Elsewhere rows stream through Python objects, which need the lock, and a
            # second connection per request could wait on a bounded pool.)
            with ThreadPoolExecutor(1, thread_name_prefix="term-counts") as pool:
                theirs = pool.submit(job.periods_on_own_connection, engine, earlier[1::2])
                per_period = job.periods(conn, earlier[0::2]) + theirs.result()
        else:
            per_period = job.periods(conn, earlier)
        for index, total, counted in per_period:
            totals[index] = total
            counts[:, index] = counted
    return TermCounts(
        periods=tuple(periods),
        hashes=hashes,
        counts=counts,
        totals=tuple(totals),
        recent_items=r_ids,
        recent_offsets=r_offsets,
        recent_hashes=r_hashes,
        recent_order=r_order,
    )


@dataclass(frozen=True)
class _EarlierCount:
    """What counting earlier periods needs: the filters, the read plan, the candidates."""

    f: Filters
    driver: str
    text: _TextRead | None  # the window's search for `f.q`
    hashes: np.ndarray  # sorted candidate hashes
    slots: np.ndarray  # their lookup table (`_slot_table`)

    def periods(
        self, conn: Connection, periods: Sequence[tuple[int, tuple[date, date]]]
    ) -> list[tuple[int, int, np.ndarray]]:
        """(period index, relevant items with terms, each candidate's item count) per period."""
        found = []
        for index, (first, last) in periods:
            total, counted = 0, np.zeros(len(self.hashes), dtype=np.int64)
            period = replace(self.f, date_from=first, date_to=last)
            for size, chunk in _period_whole(conn, period, self.driver, self.text):
                total += size
                if not len(self.hashes):
                    continue
                for start in range(0, len(chunk), _COUNT_SLICE):  # bounded temporaries
                    part = chunk[start : start + _COUNT_SLICE]
                    counted += _count_known(part, self.hashes, self.slots)
            found.append((index, total, counted))
        return found

    def periods_on_own_connection(
        self, engine: Engine, periods: Sequence[tuple[int, tuple[date, date]]]
    ) -> list[tuple[int, int, np.ndarray]]:
        if not periods:
            return []
        with engine.connect() as other:
            textsearch.prepare(other)
            return self.periods(other, periods)


def item_texts(engine: Engine, ids: Sequence[int]) -> dict[int, tuple[str, str, str | None, str]]:
    """id -> (title, summary, url, published day ISO) for the given items."""
    found: dict[int, tuple[str, str, str | None, str]] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            rows = conn.execute(
                select(
                    items.c.id, items.c.title, items.c.summary, items.c.url, items.c.published_day
                ).where(items.c.id.in_(chunk))
            )
            for r in rows:
                found[int(r.id)] = (r.title, r.summary, r.url, str(r.published_day))
    return found
