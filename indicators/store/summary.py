"""Exact summary tables, kept up to date by the writer, that make the dashboard fast.

Why this shape (measured on 1M synthetic items, see bench/bench_dashboard.py):
a summary keyed by (day, category, region) double-counts an item carrying
two selected regions; one row per (day, lang, full tag combination) is exact
but barely smaller than the items (~1,600 rows per day for 5,500 items, so a
180-day view still scans ~290k rows: 100-260 ms per query).

So each item is counted in *projections*: for every subset P of the
filterable axes (the tag axes and source: {category, region, platform, actor,
source}, 32 subsets), the item's values on
just those axes form a *combination* (a set per axis, e.g. categories
{cyber_threats} and regions {KZ-75, KZ-19}), and `tag_counts` holds one row
per (combination, day, lang) with the number of items, relevant items and
story starts. Every item lands in exactly one row of every projection, so any
sum over one projection counts each item once. (1M items: 1.9M rows over the
16 projections of the first four axes, from 540 rows for "no axis" to 350k for
all four, measured before the actor axis doubled the projections; with it,
3.8M rows over the 32.)

A query uses the smallest projection holding every axis it groups by or
filters on: "per category, no filter" reads the {category} projection;
"per category where region in (KZ-75, KZ-19)" reads the {category, region}
rows whose combination holds one of the regions. The membership table
`combo_members` (projection, axis, value -> combination) turns OR within an
axis into `combo_id IN (...)` and AND across axes into an INTERSECT of those
sets, exact because a combination is listed once per value it holds;
grouping joins it once per value, so an item with two regions counts once
under each region.

Stories are counted as items that start a story (story_id == id), which
keeps them additive. Languages stay a column, not an axis (three values).

Combination ids are a 63-bit hash of (projection, signature): the writer
needs no round trip to learn an id, and a collision is detected (the stored
signature differs) rather than silently merged.

`item_days` keeps each day's smallest and largest item id: searches over a
period (text index, tag index) skip the older rows.

Writers call `apply_items(conn, ids, +1/-1)` in their transaction: after
inserting items (+1), and around a retag or a feed removal (-1 before, +1
after). The state is read back from `items`/`item_tags`, so the summary
always describes what is stored. `rebuild` recomputes everything (migration,
repair); `recount`/`verify` are the brute-force check the tests use.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from indicators.models import METHOD_AXIS, TAG_AXES
from indicators.store import bulk
from indicators.store.schema import (
    combo_members,
    item_days,
    item_tags,
    items,
    method_counts,
    tag_combos,
    tag_counts,
)

# The filterable axes of a projection, with their bit in the projection mask.
PROJ_AXES: tuple[str, ...] = (*TAG_AXES, "source")
AXIS_BIT: dict[str, int] = {axis: 1 << i for i, axis in enumerate(PROJ_AXES)}
ALL_PROJECTIONS: tuple[int, ...] = tuple(range(1 << len(PROJ_AXES)))
FULL_PROJECTION = ALL_PROJECTIONS[-1]  # every axis and source
ANY_METHOD = "*"
_CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit


class SummaryError(RuntimeError):
    """The summary cannot represent the data (a hash collision) or is inconsistent."""


def projection(axes: Iterable[str]) -> int:
    """The mask of the projection holding exactly these axes (others are ignored)."""
    mask = 0
    for axis in axes:
        mask |= AXIS_BIT.get(axis, 0)
    return mask


# The projections `method_counts` keeps (methods are not an axis, so they have a table
# of their own): none (an unfiltered chart reads a few rows a day), the two filters
# analysts use most, category and region, alone and together (a filter on them reads
# only their combinations, not the full projection's thousands), and the full one
# for every other filter. Smallest first: `method_projection` takes the first that fits.
METHOD_PROJECTIONS: tuple[int, ...] = (
    0,
    projection(["category"]),
    projection(["region"]),
    projection(["category", "region"]),
    FULL_PROJECTION,
)


def signature(proj: int, values: Mapping[str, Sequence[str]]) -> str:
    """Canonical text of a combination: `category=a,b|region=KZ-75` (projection axes only)."""
    parts = []
    for axis in PROJ_AXES:
        if proj & AXIS_BIT[axis]:
            parts.append(f"{axis}={','.join(sorted(set(values.get(axis, ()))))}")
    return "|".join(parts)


def combo_id(proj: int, sig: str) -> int:
    digest = hashlib.blake2b(f"{proj}#{sig}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # positive 63-bit: fits BIGINT everywhere


@dataclass(frozen=True)
class _Combo:
    id: int
    proj: int
    signature: str
    members: tuple[tuple[str, str], ...]  # (axis, value)


@dataclass(frozen=True)
class _ItemState:
    id: int
    day: date
    lang: str
    relevant: bool
    starts_story: bool
    values: dict[str, tuple[str, ...]]  # axis -> values (source: the feed id as text)


def _key_of(state: _ItemState) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((axis, tuple(sorted(set(state.values.get(axis, ()))))) for axis in PROJ_AXES)


def _combos_of(state: _ItemState) -> tuple[_Combo, ...]:
    return _combos_for(_key_of(state))


@lru_cache(maxsize=65536)
def _combos_for(key: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[_Combo, ...]:
    """The item's combination in every projection (pure, memoized: values repeat a lot)."""
    return tuple(
        _combo(proj, tuple(kv for kv in key if proj & AXIS_BIT[kv[0]])) for proj in ALL_PROJECTIONS
    )


@lru_cache(maxsize=1 << 18)
def _combo(proj: int, projected: tuple[tuple[str, tuple[str, ...]], ...]) -> _Combo:
    """One projection's combination; shared by every item with the same values on its axes."""
    values = dict(projected)
    sig = signature(proj, values)
    members = tuple((axis, value) for axis, vals in projected for value in vals)
    return _Combo(combo_id(proj, sig), proj, sig, members)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


StoredTags = dict[int, frozenset[tuple[str, str, str]]]
"""Item id -> its `item_tags` rows as (axis, value, evidence JSON)."""


def _read_states(
    conn: Connection, ids: Sequence[int], evidence: StoredTags | None = None
) -> list[_ItemState]:
    """The stored facts the summary counts, for these items.

    With `evidence`, also fills it with each item's stored tag rows (retag
    compares them with the new verdict, to rewrite only what changed).
    """
    states: list[_ItemState] = []
    columns = [item_tags.c.item_id, item_tags.c.axis, item_tags.c.value]
    if evidence is not None:
        columns.append(item_tags.c.terms)
    for chunk in _chunks(ids):
        tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        rows_of: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        for row in conn.execute(select(*columns).where(item_tags.c.item_id.in_(chunk))):
            tags[int(row[0])][row[1]].append(row[2])
            if evidence is not None:
                rows_of[int(row[0])].append((row[1], row[2], row[3]))
        if evidence is not None:
            evidence.update({i: frozenset(r) for i, r in rows_of.items()})
        rows = conn.execute(
            select(
                items.c.id,
                items.c.published_day,
                items.c.lang,
                items.c.feed_id,
                items.c.relevant,
                items.c.story_id,
            ).where(items.c.id.in_(chunk))
        )
        for item_id, day, lang, feed_id, relevant, story_id in rows:
            values = {axis: tuple(v) for axis, v in tags.get(int(item_id), {}).items()}
            if feed_id is not None:
                values["source"] = (str(feed_id),)
            states.append(
                _ItemState(
                    id=int(item_id),
                    day=_as_date(day),
                    lang=lang or "",
                    relevant=bool(relevant),
                    starts_story=story_id is None or int(story_id) == int(item_id),
                    values=values,
                )
            )
    return states


def _ensure_combos(conn: Connection, combos: dict[int, _Combo]) -> None:
    """Store the combinations not stored yet; fail loudly on a hash collision."""
    ids = sorted(combos)
    known: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = conn.execute(
            select(tag_combos.c.id, tag_combos.c.signature).where(tag_combos.c.id.in_(chunk))
        )
        known.update({int(i): s for i, s in rows})
    for cid, sig in known.items():
        combo = combos[cid]
        if sig != combo.signature:
            raise SummaryError(f"combination id collision: {sig!r} vs {combo.signature!r}")
    missing = [combos[cid] for cid in ids if cid not in known]
    if not missing:
        return
    bulk.execute_rows(
        conn,
        insert(tag_combos),
        [{"id": c.id, "proj": c.proj, "signature": c.signature} for c in missing],
    )
    member_rows = [
        {"proj": c.proj, "axis": axis, "value": value, "combo_id": c.id}
        for c in missing
        for axis, value in c.members
    ]
    if member_rows:
        bulk.execute_rows(conn, insert(combo_members), member_rows)


def _insert_for(conn: Connection, table: Any) -> Any:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise SummaryError(f"no upsert for dialect {dialect}")  # pragma: no cover


def _widen_days(conn: Connection, states: list[_ItemState]) -> None:
    """Record each day's smallest and largest item id (see `schema.item_days`)."""
    spans: dict[date, list[int]] = {}
    for state in states:
        span = spans.setdefault(state.day, [state.id, state.id])
        span[0] = min(span[0], state.id)
        span[1] = max(span[1], state.id)
    if not spans:
        return
    stmt = _insert_for(conn, item_days)
    stmt = stmt.on_conflict_do_update(
        index_elements=[item_days.c.day],
        set_={
            "first_id": case(
                (stmt.excluded.first_id < item_days.c.first_id, stmt.excluded.first_id),
                else_=item_days.c.first_id,
            ),
            "last_id": case(
                (stmt.excluded.last_id > item_days.c.last_id, stmt.excluded.last_id),
                else_=item_days.c.last_id,
            ),
        },
    )
    rows = [{"day": d, "first_id": lo, "last_id": hi} for d, (lo, hi) in spans.items()]
    bulk.execute_rows(conn, stmt, rows)


def _upsert_counts(conn: Connection, deltas: dict[tuple[int, date, str], list[int]]) -> None:
    rows = [
        {
            "combo_id": cid,
            "day": day,
            "lang": lang,
            "items": d[0],
            "relevant": d[1],
            "stories": d[2],
        }
        for (cid, day, lang), d in deltas.items()
        if any(d)
    ]
    if not rows:
        return
    stmt = _insert_for(conn, tag_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=[tag_counts.c.combo_id, tag_counts.c.day, tag_counts.c.lang],
        set_={
            "items": tag_counts.c["items"] + stmt.excluded["items"],
            "relevant": tag_counts.c.relevant + stmt.excluded.relevant,
            "stories": tag_counts.c.stories + stmt.excluded.stories,
        },
    )
    bulk.execute_rows(conn, stmt, rows)


def apply_items(conn: Connection, item_ids: Sequence[int], sign: int) -> None:
    """Add (+1) or remove (-1) these stored items' contribution to the summary.

    Runs in the caller's transaction. Removing happens *before* the stored
    state changes (delete, retag), adding after it.
    """
    if sign not in (1, -1):
        raise ValueError("sign must be +1 or -1")
    if not item_ids:
        return
    states = _read_states(conn, list(item_ids))
    if sign > 0:
        apply_change(conn, (), states)
    else:
        apply_change(conn, states, ())


def add_new(conn: Connection, states: Sequence[_ItemState]) -> None:
    """Count just-inserted items whose states the writer already knows (`new_state`).

    The same as `apply_items(conn, ids, +1)` without reading back what was
    just written: the read was a tenth of a feed's store cost.
    """
    if states:
        apply_change(conn, (), states)


def new_state(
    item_id: int,
    *,
    day: date,
    lang: str | None,
    feed_id: int | None,
    relevant: bool,
    story_id: int | None,
    values: Mapping[str, Sequence[str]],
) -> _ItemState:
    """What `read_states` would read of an item inserted with these values and tag values."""
    kept = {axis: tuple(v) for axis, v in values.items() if v}
    if feed_id is not None:
        kept["source"] = (str(feed_id),)
    return _ItemState(
        id=item_id,
        day=day,
        lang=lang or "",
        relevant=relevant,
        starts_story=story_id is None or story_id == item_id,
        values=kept,
    )


def _counted(state: _ItemState) -> tuple[Any, ...]:
    """Everything of an item the summary counts, comparable across two reads."""
    return (
        state.id,
        state.day,
        state.lang,
        state.relevant,
        state.starts_story,
        _key_of(state),
        _methods_of(state),
    )


def _methods_of(state: _ItemState) -> tuple[str, ...]:
    """The methods `method_counts` counts for this item: a relevant story start's only."""
    if not (state.relevant and state.starts_story):
        return ()
    found = tuple(sorted(set(state.values.get(METHOD_AXIS, ()))))
    return (*found, ANY_METHOD) if found else ()


def method_projection(mask: int) -> int:
    """The smallest projection of `method_counts` holding every axis of `mask`."""
    return next(p for p in METHOD_PROJECTIONS if p & mask == mask)


def _method_deltas(
    states: Sequence[_ItemState], sign: int, into: dict[tuple[int, date, str, str], int]
) -> None:
    for state in states:
        methods = _methods_of(state)
        if methods:
            combos = _combos_of(state)
            for combo in (combos[p] for p in METHOD_PROJECTIONS):
                for method in methods:
                    key = (combo.id, state.day, state.lang, method)
                    into[key] = into.get(key, 0) + sign


def _upsert_methods(conn: Connection, deltas: Mapping[tuple[int, date, str, str], int]) -> None:
    rows = [
        {"combo_id": cid, "day": day, "lang": lang, "method": method, "stories": n}
        for (cid, day, lang, method), n in deltas.items()
        if n
    ]
    if not rows:
        return
    stmt = _insert_for(conn, method_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            method_counts.c.combo_id,
            method_counts.c.day,
            method_counts.c.lang,
            method_counts.c.method,
        ],
        set_={"stories": method_counts.c.stories + stmt.excluded.stories},
    )
    bulk.execute_rows(conn, stmt, rows)
    shrunk = sorted({cid for (cid, _d, _l, _m), n in deltas.items() if n < 0})
    for chunk in _chunks(shrunk):
        conn.execute(
            delete(method_counts).where(
                method_counts.c.combo_id.in_(chunk), method_counts.c.stories <= 0
            )
        )


def fill_method_counts(conn: Connection, batch: int = 5000) -> int:
    """Count the stored items' methods from scratch (the migration that adds the table)."""
    conn.execute(delete(method_counts))
    ids = [
        int(r[0])
        for r in conn.execute(
            select(item_tags.c.item_id).where(item_tags.c.axis == METHOD_AXIS).distinct()
        )
    ]
    for start in range(0, len(ids), batch):
        deltas: dict[tuple[int, date, str, str], int] = {}
        _method_deltas(_read_states(conn, ids[start : start + batch]), +1, deltas)
        _upsert_methods(conn, deltas)
    return len(ids)


def read_states(conn: Connection, item_ids: Sequence[int]) -> tuple[_ItemState, ...]:
    """What the summary counts of these items now: read before a change, then after it."""
    return tuple(_read_states(conn, list(item_ids)))


def read_states_and_tags(
    conn: Connection, item_ids: Sequence[int]
) -> tuple[tuple[_ItemState, ...], StoredTags]:
    """`read_states`, plus each item's stored tag rows with their evidence."""
    evidence: StoredTags = {}
    return tuple(_read_states(conn, list(item_ids), evidence)), evidence


def retagged(state: _ItemState, relevant: bool, values: Mapping[str, Sequence[str]]) -> _ItemState:
    """The state `read_states` would read after a retag wrote these tag values.

    Only tags and relevance change on a retag; the day, language, story and
    source stay, so the after-state needs no second read of the store.
    """
    kept = {"source": state.values["source"]} if "source" in state.values else {}
    tagged = {axis: tuple(v) for axis, v in values.items() if v}
    return _ItemState(
        state.id, state.day, state.lang, relevant, state.starts_story, {**kept, **tagged}
    )


def apply_change(
    conn: Connection, before: Sequence[_ItemState], after: Sequence[_ItemState]
) -> None:
    """Move the summary from counting the `before` states to counting the `after` states.

    The net change is written once: a retag that leaves most of an item's
    projections as they were (the usual case: a lexicon tweak touches one
    axis of a few items) costs only the rows that really move, where removing
    and re-adding every item touched all 32 projections twice.
    """
    deltas: dict[tuple[int, date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    added: dict[int, _Combo] = {}
    counted_before: set[int] = set()  # stored already: the summary counts these items in them
    # What each state counts, worked out once (its key also names its combinations).
    seen_b = [(s, _counted(s)) for s in before]
    seen_a = [(s, _counted(s)) for s in after]
    unchanged = {c for _, c in seen_b} & {c for _, c in seen_a}
    if unchanged:  # an item counted the same before and after moves nothing
        seen_b = [(s, c) for s, c in seen_b if c not in unchanged]
        seen_a = [(s, c) for s, c in seen_a if c not in unchanged]
    before = [s for s, _ in seen_b]
    after = [s for s, _ in seen_a]
    combos = {id(s): _combos_for(c[5]) for s, c in (*seen_b, *seen_a)}
    # A retagged item (before and after on the same day, language and story
    # role) moves only the projections whose combination or counts changed: a
    # lexicon edit usually touches one axis, so most of its 32 rows stay put.
    earlier = {s.id: s for s in before}
    paired: set[int] = set()
    for state in after:
        old = earlier.get(state.id)
        if old is None or (old.day, old.lang, old.starts_story) != (
            state.day,
            state.lang,
            state.starts_story,
        ):
            continue
        paired.add(state.id)
        same_flags = old.relevant == state.relevant
        minus = (-1, -int(old.relevant), -int(old.starts_story))
        plus = (1, int(state.relevant), int(state.starts_story))
        for gone, new in zip(combos[id(old)], combos[id(state)], strict=True):
            if gone is new and same_flags:
                continue
            counted_before.add(gone.id)
            added[new.id] = new
            for cid, add in ((gone.id, minus), (new.id, plus)):
                d = deltas[(cid, state.day, state.lang)]  # same day and language as `old`
                d[0] += add[0]
                d[1] += add[1]
                d[2] += add[2]
    # The other items move all their rows. Items alike (same combinations, day,
    # language and flags: a feed's untagged items mostly are) are added up
    # first, so each row's delta is one addition, not one per item.
    alike: dict[tuple[Any, ...], int] = defaultdict(int)
    for seen, sign in ((seen_b, -1), (seen_a, 1)):
        for state, counted in seen:
            if state.id not in paired:
                key = (sign, counted[5], state.day, state.lang, state.relevant, state.starts_story)
                alike[key] += 1
    for (sign, key, day, lang, relevant, starts), n in alike.items():
        add = (sign * n, sign * n * relevant, sign * n * starts)
        for combo in _combos_for(key):
            if sign > 0:
                added[combo.id] = combo
            else:
                counted_before.add(combo.id)
            d = deltas[(combo.id, day, lang)]
            d[0] += add[0]
            d[1] += add[1]
            d[2] += add[2]
    if after:
        _widen_days(conn, list(after))
        _ensure_combos(conn, {i: c for i, c in added.items() if i not in counted_before})
    _upsert_counts(conn, deltas)
    method_deltas: dict[tuple[int, date, str, str], int] = {}
    _method_deltas(before, -1, method_deltas)
    _method_deltas(after, +1, method_deltas)
    _upsert_methods(conn, method_deltas)
    shrunk = sorted({cid for (cid, _day, _lang), d in deltas.items() if d[0] < 0})
    for chunk in _chunks(shrunk):
        conn.execute(
            delete(tag_counts).where(tag_counts.c.combo_id.in_(chunk), tag_counts.c["items"] <= 0)
        )


def rebuild(engine: Engine, *, batch: int = 5000) -> int:
    """Recompute the summary from the items (migration, repair); returns items counted."""
    with engine.begin() as conn:
        return rebuild_in(conn, batch=batch)


def rebuild_in(conn: Connection, *, batch: int = 5000) -> int:
    """`rebuild` inside the caller's transaction (migrations run in one)."""
    conn.execute(delete(tag_counts))
    conn.execute(delete(method_counts))
    conn.execute(delete(item_days))
    conn.execute(delete(combo_members))
    conn.execute(delete(tag_combos))
    counted, after = 0, 0
    while True:
        ids = [
            int(r[0])
            for r in conn.execute(
                select(items.c.id).where(items.c.id > after).order_by(items.c.id).limit(batch)
            )
        ]
        if not ids:
            return counted
        apply_items(conn, ids, +1)
        counted += len(ids)
        after = ids[-1]


# --- brute force, for tests and `verify` -------------------------------------------


def recount(conn: Connection) -> Counter[tuple[int, date, str, str]]:
    """What `tag_counts` must hold, recomputed item by item: (combo, day, lang, measure) -> n."""
    expected: Counter[tuple[int, date, str, str]] = Counter()
    ids = [int(r[0]) for r in conn.execute(select(items.c.id).order_by(items.c.id))]
    for state in _read_states(conn, ids):
        for combo in _combos_of(state):
            key = (combo.id, state.day, state.lang)
            expected[(*key, "items")] += 1
            expected[(*key, "relevant")] += int(state.relevant)
            expected[(*key, "stories")] += int(state.starts_story)
    return +expected


def recount_methods(conn: Connection) -> Counter[tuple[int, date, str, str]]:
    """What `method_counts` must hold, item by item: (combo, day, lang, method) -> stories."""
    expected: Counter[tuple[int, date, str, str]] = Counter()
    ids = [int(r[0]) for r in conn.execute(select(items.c.id).order_by(items.c.id))]
    deltas: dict[tuple[int, date, str, str], int] = {}
    _method_deltas(_read_states(conn, ids), +1, deltas)
    expected.update(deltas)
    return +expected


def stored_methods(conn: Connection) -> Counter[tuple[int, date, str, str]]:
    """`method_counts` as the same kind of counter as `recount_methods`."""
    return +Counter(
        {
            (int(cid), _as_date(day), lang, method): int(n)
            for cid, day, lang, method, n in conn.execute(select(method_counts))
        }
    )


def stored(conn: Connection) -> Counter[tuple[int, date, str, str]]:
    """`tag_counts` as the same kind of counter as `recount`."""
    out: Counter[tuple[int, date, str, str]] = Counter()
    for cid, day, lang, n, rel, stories in conn.execute(select(tag_counts)):
        for measure, value in (("items", n), ("relevant", rel), ("stories", stories)):
            out[(int(cid), _as_date(day), lang, measure)] = int(value)
    return +out


def day_spans_are_exact(conn: Connection) -> bool:
    """`item_days` holds each day's smallest and largest item id."""
    expected = {
        _as_date(day): (int(lo), int(hi))
        for day, lo, hi in conn.execute(
            select(items.c.published_day, func.min(items.c.id), func.max(items.c.id)).group_by(
                items.c.published_day
            )
        )
    }
    got = {_as_date(d): (int(lo), int(hi)) for d, lo, hi in conn.execute(select(item_days))}
    return got == expected


def verify(engine: Engine) -> bool:
    """True when the summary equals a brute-force recount (slow: reads every item)."""
    with engine.connect() as conn:
        return (
            recount(conn) == stored(conn)
            and recount_methods(conn) == stored_methods(conn)
            and day_spans_are_exact(conn)
        )


def combos_are_complete(conn: Connection) -> bool:
    """Every counted combination is described (a cheap sanity check)."""
    orphan = conn.execute(
        select(func.count())
        .select_from(tag_counts.outerjoin(tag_combos, tag_combos.c.id == tag_counts.c.combo_id))
        .where(and_(tag_combos.c.id.is_(None)))
    ).scalar_one()
    return int(orphan) == 0
