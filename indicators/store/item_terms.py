"""The store side of emerging terms: writing each relevant item's term hashes.

Why stored, and in this shape (measured by bench/bench_terms.py): cutting
90 days of relevant items into words on every request costs seconds at a
million items, while counting stored hashes is a numeric job. So the writer
keeps, for every *relevant* item, one `item_terms` row with the sorted 64-bit
hashes of its distinct words and word pairs (`indicators.text_terms`): one
row per item rather than one per term, so a period is one range of rows and
a blob each. Rows follow `items.relevant` (inserted with the item, added or
removed when a retag changes its relevance); the text never changes, so the
hashes never go stale. Each row also carries the item's day (`published_day`)
and language, so the emerging-terms count reads a few days' rows as one range
of item ids without touching the wide item rows.

Counting them is `indicators.store.term_counts` (numpy), kept apart so the
writer (ingest, retag) does not load numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import Connection, delete, insert, select, update

from indicators.store import bulk
from indicators.store.schema import item_terms, items
from indicators.text_terms import item_terms as extract_terms
from indicators.text_terms import pack_hashes

_CHUNK = 500  # ids per IN (...) list


def store_terms(conn: Connection, rows: Iterable[tuple[int, date, str, str, str]]) -> int:
    """Store the terms of (item id, its UTC day, language, title, summary) rows; returns
    how many."""
    batch = [
        {"item_id": i, "day": d, "lang": lang, "terms": pack_hashes(extract_terms(t, s))}
        for i, d, lang, t, s in rows
    ]
    bulk.execute_rows(conn, insert(item_terms), batch)
    return len(batch)


def sync_terms(conn: Connection, item_ids: Sequence[int]) -> None:
    """Make the items' term rows follow their relevance (after a retag changed it).

    A relevant item without a row gets one; an item no longer relevant loses it.
    """
    for start in range(0, len(item_ids), _CHUNK):
        chunk = list(item_ids[start : start + _CHUNK])
        have = {
            r[0]
            for r in conn.execute(
                select(item_terms.c.item_id).where(item_terms.c.item_id.in_(chunk))
            )
        }
        rows = conn.execute(
            select(
                items.c.id,
                items.c.relevant,
                items.c.published_day,
                items.c.lang,
                items.c.title,
                items.c.summary,
            ).where(items.c.id.in_(chunk))
        ).all()
        gone = [r.id for r in rows if not r.relevant and r.id in have]
        if gone:
            conn.execute(delete(item_terms).where(item_terms.c.item_id.in_(gone)))
        store_terms(
            conn,
            (
                (r.id, r.published_day, r.lang, r.title, r.summary)
                for r in rows
                if r.relevant and r.id not in have
            ),
        )


def fill_days(conn: Connection) -> None:
    """Give every term row its item's day (migration 16: rows written before it have none)."""
    day = select(items.c.published_day).where(items.c.id == item_terms.c.item_id).scalar_subquery()
    conn.execute(update(item_terms).where(item_terms.c.day.is_(None)).values(day=day))


def fill_langs(conn: Connection) -> None:
    """Give every term row its item's language (migration 17: rows written before it have
    none)."""
    lang = select(items.c.lang).where(items.c.id == item_terms.c.item_id).scalar_subquery()
    conn.execute(update(item_terms).where(item_terms.c.lang.is_(None)).values(lang=lang))


def fill_terms(conn: Connection, batch: int = 5000) -> int:
    """Store the terms of every relevant item that has none (a migration, a repair)."""
    done, after = 0, 0
    while True:
        rows = conn.execute(
            select(items.c.id, items.c.published_day, items.c.lang, items.c.title, items.c.summary)
            .outerjoin(item_terms, item_terms.c.item_id == items.c.id)
            .where(items.c.id > after, items.c.relevant.is_(True), item_terms.c.item_id.is_(None))
            .order_by(items.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        done += store_terms(
            conn, ((r.id, r.published_day, r.lang, r.title, r.summary) for r in rows)
        )
        after = rows[-1].id
