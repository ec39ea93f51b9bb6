"""The single writer: every INSERT/UPDATE/DELETE of threatmon goes through here.

A feed's batch (its new items, their tags, the fetch run and the feed's new
state, ETag included) is written in ONE transaction, so a crash at any point
leaves either the whole batch or none of it; the unique keys on items make a
re-run insert nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql

from indicators.models import STORED_AXES, FeedFields, ItemRecord, Tags
from indicators.store import bulk, collector, item_terms, summary
from indicators.store.schema import (
    CODE_DIGITS,
    MAX_CODE,
    feeds,
    fetch_runs,
    item_tags,
    items,
    tag_values,
)


@dataclass(frozen=True)
class FeedState:
    """What one fetch attempt leaves on the feed row (computed by the caller)."""

    last_fetched_at: datetime
    last_status: str  # ok | not_modified | error
    next_due_at: datetime
    consecutive_errors: int
    last_http_status: int | None = None
    last_error_kind: str | None = None
    last_error: str | None = None
    last_success_at: datetime | None = None  # None: leave unchanged
    etag: str | None = None  # None with keep_validators: leave unchanged
    last_modified: str | None = None
    keep_validators: bool = True  # an error must not erase the last good ETag


@dataclass(frozen=True)
class FetchRunRecord:
    """One row of `fetch_runs`: what a fetch attempt did."""

    started_at: datetime
    duration_ms: float
    status: str
    http_status: int | None = None
    bytes: int = 0
    entries: int = 0
    new_items: int = 0
    error_kind: str | None = None
    error_message: str | None = None
    warning: str | None = None
    worker_id: str | None = None  # the ingest worker that fetched (`ingest --worker-id`)


def _insert_ignore(conn: Connection, table: Any) -> Any:
    """INSERT that silently skips rows violating a unique key, on both dialects."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return insert(table).prefix_with("OR IGNORE")


_json_text = json.JSONEncoder(ensure_ascii=False).encode  # a str: its JSON string, directly


def _terms_json(tags: Tags, axis: str, value: str) -> str:
    """The evidence of one tag as stored: `json.dumps` of [{"term", "start", "end"}, ...].

    Written out directly (the same text, `ensure_ascii=False` and the default
    separators): every item's rows are built on ingest and again on each
    retag, where the encoder's per-call set-up was most of the cost.
    """
    return (
        "["
        + ", ".join(
            f'{{"term": {_json_text(m.term)}, "start": {m.start:d}, "end": {m.end:d}}}'
            for m in tags.matches
            if m.axis == axis and m.id == value
        )
        + "]"
    )


def tag_rows(item_id: int, tags: Tags) -> list[dict[str, Any]]:
    """The `item_tags` rows for one item: one per (axis, value) with its evidence."""
    rows = []
    for axis in STORED_AXES:
        for value in tags.values(axis):
            rows.append(
                {
                    "item_id": item_id,
                    "axis": axis,
                    "value": value,
                    "terms": _terms_json(tags, axis, value),
                }
            )
    return rows


TagCodes = dict[tuple[str, str], int]
"""(axis, value) -> its `tag_values` code."""


def tag_codes_for(conn: Connection, verdicts: Iterable[Tags]) -> TagCodes:
    """The codes of every (axis, value) the verdicts carry, numbering new ones, in the
    caller's transaction (a rolled-back batch takes its new numbers with it)."""
    combos = {tags.by_axis() for tags in verdicts}
    wanted = {pair for combo in combos for pair in _pairs(combo)}
    codes = _known_codes(conn)
    missing = wanted - codes.keys()
    if missing:
        conn.execute(
            _insert_ignore(conn, tag_values),
            [{"axis": axis, "value": value} for axis, value in sorted(missing)],
        )
        codes = _known_codes(conn)
        if max(codes.values()) > MAX_CODE:
            raise ValueError(f"more than {MAX_CODE} tag values: items.tag_codes cannot hold them")
    return codes


def _known_codes(conn: Connection) -> TagCodes:
    rows = conn.execute(select(tag_values.c.axis, tag_values.c.value, tag_values.c.code))
    return {(axis, value): code for axis, value, code in rows}


def _pairs(combo: tuple[tuple[str, ...], ...]) -> Iterator[tuple[str, str]]:
    for axis, values in zip(STORED_AXES, combo, strict=True):
        for value in values:
            yield axis, value


def codes_texts(verdicts: Iterable[Tags], codes: TagCodes) -> list[str]:
    """`items.tag_codes` for each verdict: its (axis, value) codes ascending, each with
    `CODE_DIGITS` digits, comma-separated ("0003,0017"). Alike verdicts (most items
    carry no tag, or one of a few common sets) are written out once."""
    texts: dict[tuple[tuple[str, ...], ...], str] = {}
    out = []
    for tags in verdicts:
        combo = tags.by_axis()
        text_of = texts.get(combo)
        if text_of is None:
            found = sorted(codes[pair] for pair in _pairs(combo))
            text_of = texts[combo] = ",".join(f"{code:0{CODE_DIGITS}d}" for code in found)
        out.append(text_of)
    return out


def fill_tag_codes(conn: Connection) -> None:
    """Number every stored (axis, value) and write each item's `tag_codes` from its tag
    rows (a migration; a repair after tag rows were changed by hand)."""
    pairs = select(item_tags.c.axis, item_tags.c.value).distinct()
    conn.execute(_insert_ignore(conn, tag_values).from_select(["axis", "value"], pairs))
    conn.exec_driver_sql(
        "UPDATE items SET tag_codes = '' WHERE tag_codes != '' "
        "AND NOT EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = items.id)"
    )
    pairs_sql = (
        "SELECT t.item_id, v.code FROM item_tags t "
        "JOIN tag_values v ON v.axis = t.axis AND v.value = t.value"
    )
    if conn.dialect.name == "postgresql":
        joined = f"string_agg(lpad(p.code::text, {CODE_DIGITS}, '0'), ',' ORDER BY p.code)"
    else:  # SQLite's group_concat follows its input's order
        joined = f"group_concat(printf('%0{CODE_DIGITS}d', p.code))"
        pairs_sql += " ORDER BY t.item_id, v.code"
    conn.exec_driver_sql(
        f"UPDATE items SET tag_codes = c.codes FROM (SELECT p.item_id, {joined} AS codes "
        f"FROM ({pairs_sql}) AS p GROUP BY p.item_id) AS c WHERE items.id = c.item_id"
    )


def _item_row(
    feed_id: int | None, item: ItemRecord, lexicon_version: str | None, tag_codes: str
) -> dict[str, Any]:
    return {
        "feed_id": feed_id,
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "published_at": item.published_at,
        "published_day": _day_of(item),
        "fetched_at": item.fetched_at,
        "lang": item.lang,
        "content_hash": item.content_hash,
        "story_key": item.story_key,
        "relevant": item.tags.relevant,
        "lexicon_version": lexicon_version,
        "tag_codes": tag_codes,
    }


def _day_of(item: ItemRecord) -> date:
    """The item's UTC day, as `items.published_day`, its term row and the summary keep it."""
    return item.published_at.astimezone(UTC).date()


StoryAssigner = Callable[[int, ItemRecord], int]
"""Given a just-inserted item's id, return its story id (its own id for a new story)."""


def _insert_new(
    conn: Connection, feed_id: int | None, batch: Sequence[ItemRecord], lexicon_version: str | None
) -> list[tuple[int, ItemRecord]]:
    """INSERT the batch, skipping stored items; (new id, item) in insertion order.

    One multi-row statement per page of rows (`bulk.insert_returning`), not
    one round trip per item, which was a third of the write cost. The rows
    come back unordered and without the skipped ones, so each is matched to
    its item by its unique keys: an item whose hash, URL and GUID all equal an
    earlier one's can only be stored if that earlier one was not, and was
    skipped for the same reason, so the first such item is the one stored.
    Ids grow in insertion order, which sorting by id restores.
    """
    if not batch:
        return []
    stmt = _insert_ignore(conn, items).returning(
        items.c.id, items.c.content_hash, items.c.url, items.c.guid
    )
    verdicts = [item.tags for item in batch]
    texts = codes_texts(verdicts, tag_codes_for(conn, verdicts))
    rows = [
        _item_row(feed_id, item, lexicon_version, codes)
        for item, codes in zip(batch, texts, strict=True)
    ]
    returned = bulk.insert_returning(conn, stmt, rows)
    first_of: dict[tuple[str, str | None, str | None], ItemRecord] = {}
    for item in batch:
        first_of.setdefault((item.content_hash, item.url, item.guid), item)
    found = [(int(r[0]), first_of[(r[1], r[2], r[3])]) for r in returned]
    return sorted(found, key=lambda pair: pair[0])


def insert_items(
    conn: Connection,
    feed_id: int | None,
    batch: Sequence[ItemRecord],
    *,
    lexicon_version: str | None,
    assign_story: StoryAssigner | None = None,
    summarize: bool = True,
) -> list[int]:
    """Insert items that are not stored yet (by guid per feed, url, or content hash).

    Returns the ids of the rows actually inserted; duplicates are skipped.
    Runs inside the caller's transaction. `summarize=False` leaves the summary
    tables to the caller, who must then call `summary.apply_items(conn, ids, +1)`
    in the same transaction (bulk loaders do it once per many feeds).
    """
    inserted = _insert_new(conn, feed_id, batch, lexicon_version)
    # Story ids and tags in one statement each: per-row round trips were most of
    # the write cost (bench/bench_ingest.py). Stories are assigned in insertion
    # order, as before, so a batch's later items can join its earlier stories.
    stories: list[dict[str, int]] = []
    tag_batch: list[dict[str, Any]] = []
    relevant: list[tuple[int, date, str, str, str]] = []
    counted: list[Any] = []
    for item_id, item in inserted:
        story_id = assign_story(item_id, item) if assign_story else item_id
        stories.append({"row_id": item_id, "story": story_id})
        tag_batch.extend(tag_rows(item_id, item.tags))
        if item.tags.relevant:
            relevant.append((item_id, _day_of(item), item.lang, item.title, item.summary))
        if summarize:
            counted.append(_state_of(item_id, feed_id, item, story_id))
    bulk.execute_rows(
        conn,
        update(items).where(items.c.id == bindparam("row_id")).values(story_id=bindparam("story")),
        stories,
    )
    bulk.execute_rows(conn, insert(item_tags), tag_batch)
    item_terms.store_terms(conn, relevant)
    if summarize:
        summary.add_new(conn, counted)
    return [item_id for item_id, _ in inserted]


def _state_of(item_id: int, feed_id: int | None, item: ItemRecord, story_id: int) -> Any:
    """The summary's view of an item as `_item_row` and `tag_rows` store it."""
    return summary.new_state(
        item_id,
        day=_day_of(item),
        lang=item.lang,
        feed_id=feed_id,
        relevant=item.tags.relevant,
        story_id=story_id,
        values={axis: item.tags.values(axis) for axis in STORED_AXES},
    )


def _feed_state_values(state: FeedState) -> dict[str, Any]:
    values = asdict(state)
    keep = values.pop("keep_validators")
    if keep:
        for key in ("etag", "last_modified"):
            if values[key] is None:
                values.pop(key)
    if values["last_success_at"] is None:
        values.pop("last_success_at")
    return values


def store_feed_batch(
    engine: Engine,
    feed_id: int,
    batch: Sequence[ItemRecord],
    run: FetchRunRecord,
    state: FeedState,
    *,
    lexicon_version: str | None,
    assign_story: StoryAssigner | None = None,
    worker: str | None = None,
) -> list[int]:
    """Write a feed's new items, the fetch run and the feed's new state atomically.

    With `worker` (an ingest worker holding the feed's lease) the same
    transaction ends the lease and names the worker on the feed. A worker
    whose lease ran out and was taken by another still stores its items (the
    unique keys drop any the other stores too) and its fetch run, but leaves
    the feed's state to the worker that holds it now.
    """
    values = _feed_state_values(state)
    target = feeds.c.id == feed_id
    if worker is not None:
        values |= {"lease_owner": None, "lease_until": None, "last_worker": worker}
        target = target & or_(feeds.c.lease_owner.is_(None), feeds.c.lease_owner == worker)
    with collector.paused(), engine.begin() as conn:
        new_ids = insert_items(
            conn, feed_id, batch, lexicon_version=lexicon_version, assign_story=assign_story
        )
        run_values = asdict(run) | {"feed_id": feed_id, "new_items": len(new_ids)}
        conn.execute(insert(fetch_runs), run_values)
        conn.execute(update(feeds).where(target).values(**values))
    return new_ids


def replace_tags(conn: Connection, item_id: int, tags: Tags, lexicon_version: str) -> None:
    """Swap an item's tags for a new verdict (used by retag), in the caller's transaction."""
    replace_tags_many(conn, [(item_id, tags)], lexicon_version)


def replace_tags_many(
    conn: Connection, verdicts: Sequence[tuple[int, Tags]], lexicon_version: str
) -> int:
    """`replace_tags` for a batch of items at once, in the caller's transaction.

    The same end state as calling `replace_tags` per item, with a handful of
    statements per batch instead of seven per item: `threatmon retag` of a
    large store spent most of its time in those round trips. Only items whose
    tag rows (values or evidence) really change are rewritten; the others
    just get the new lexicon version, and the summary moves only the rows
    that change (the after-state is derived from the verdict, not re-read).
    Returns how many items were retagged (an item no longer stored is skipped).
    """
    if not verdicts:
        return 0
    before, stored = summary.read_states_and_tags(conn, [item_id for item_id, _ in verdicts])
    was = {state.id: state for state in before}
    # An item removed since its text was read (its feed deleted) has nothing to retag.
    verdicts = [(item_id, tags) for item_id, tags in verdicts if item_id in was]
    ids = [item_id for item_id, _ in verdicts]
    new_rows = {item_id: tag_rows(item_id, tags) for item_id, tags in verdicts}
    changed = [
        item_id
        for item_id, rows in new_rows.items()
        if frozenset((r["axis"], r["value"], r["terms"]) for r in rows)
        != stored.get(item_id, frozenset())
    ]
    for chunk in _id_chunks(changed):
        conn.execute(delete(item_tags).where(item_tags.c.item_id.in_(chunk)))
    rows = [row for item_id in changed for row in new_rows[item_id]]
    bulk.execute_rows(conn, insert(item_tags), rows)
    verdict_of = dict(verdicts)
    rewritten = [verdict_of[item_id] for item_id in changed]
    texts = codes_texts(rewritten, tag_codes_for(conn, rewritten))
    bulk.execute_rows(
        conn,
        update(items).where(items.c.id == bindparam("row_id")).values(tag_codes=bindparam("codes")),
        [{"row_id": i, "codes": t} for i, t in zip(changed, texts, strict=True)],
    )
    flipped = [
        {"row_id": i, "now_relevant": tags.relevant}
        for i, tags in verdicts
        if was[i].relevant != tags.relevant
    ]
    for chunk in _id_chunks(ids):
        conn.execute(
            update(items).where(items.c.id.in_(chunk)).values(lexicon_version=lexicon_version)
        )
    if flipped:
        bulk.execute_rows(
            conn,
            update(items)
            .where(items.c.id == bindparam("row_id"))
            .values(relevant=bindparam("now_relevant")),
            flipped,
        )
        # only relevant items keep their terms
        item_terms.sync_terms(conn, [row["row_id"] for row in flipped])
    # Only an item whose tag values or relevance changed moves the summary: the
    # others (most items of a lexicon edit) need no before/after comparison at all.
    moved = set(changed).union(row["row_id"] for row in flipped)
    after = [
        summary.retagged(
            was[item_id], tags.relevant, {axis: tags.values(axis) for axis in STORED_AXES}
        )
        for item_id, tags in verdicts
        if item_id in moved
    ]
    summary.apply_change(conn, [was[item_id] for item_id in ids if item_id in moved], after)
    return len(ids)


_ID_CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit


def _id_chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _ID_CHUNK):
        yield list(ids[start : start + _ID_CHUNK])


# --- feeds -----------------------------------------------------------------


def upsert_feed(conn: Connection, fields: FeedFields, *, now: datetime | None = None) -> int:
    """Insert a feed, or update the descriptive fields of the feed with that URL.

    `enabled` is only set on insert: re-loading the default list must not
    re-enable a feed the user switched off.
    """
    existing = conn.execute(select(feeds.c.id).where(feeds.c.url == fields.url)).first()
    values = {
        "name": fields.name,
        "language": fields.language,
        "country": fields.country,
        "kind": fields.kind,
        "format": fields.format,
        "selectors": json.dumps(dict(fields.selectors)) if fields.selectors else None,
        "interval_minutes": fields.interval_minutes,
    }
    if existing is not None:
        conn.execute(update(feeds).where(feeds.c.id == existing[0]).values(**values))
        return int(existing[0])
    result = conn.execute(
        insert(feeds).returning(feeds.c.id),
        values
        | {
            "url": fields.url,
            "enabled": fields.enabled,
            "created_at": now or datetime.now(UTC),
            "consecutive_errors": 0,
        },
    )
    return int(result.scalar_one())


def upsert_feeds(engine: Engine, many: Iterable[FeedFields]) -> list[int]:
    """Upsert several feeds in one transaction; returns their ids in order."""
    with engine.begin() as conn:
        return [upsert_feed(conn, f) for f in many]


def set_feed_enabled(engine: Engine, feed_id: int, enabled: bool) -> bool:
    """Enable/disable a feed; an enabled feed becomes due at once. False if no such feed."""
    values: dict[str, Any] = {"enabled": enabled}
    if enabled:
        values["next_due_at"] = None
    with engine.begin() as conn:
        result = conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))
        return bool(result.rowcount)


def remove_feed(engine: Engine, feed_id: int) -> bool:
    """Delete a feed and its fetch history; its stored items stay (feed_id becomes NULL)."""
    with engine.begin() as conn:
        orphans = [r[0] for r in conn.execute(select(items.c.id).where(items.c.feed_id == feed_id))]
        summary.apply_items(conn, orphans, -1)  # the summary counts items by source
        conn.execute(update(items).where(items.c.feed_id == feed_id).values(feed_id=None))
        summary.apply_items(conn, orphans, +1)
        result = conn.execute(delete(feeds).where(feeds.c.id == feed_id))
        return bool(result.rowcount)
