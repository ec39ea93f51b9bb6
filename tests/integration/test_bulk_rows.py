"""`bulk.execute_rows` and `bulk.insert_returning` write what `Connection.execute` writes.

On both backends. The writer sends a feed's items, tag rows, story ids, term
hashes and summary rows straight to the driver; these tests hold it to the
same stored result as SQLAlchemy's own path (dates, timestamps and booleans
converted by the column's own bind processor), and to refusing a value the
driver would store in another form.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, bindparam, insert, select, update

from indicators.store import bulk, write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.schema import item_days, item_tags, item_terms, items
from tests.factories import make_item


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def two_items(engine: Engine) -> list[int]:
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://f.example/rss", name="F")])
    with engine.begin() as conn:
        return write.insert_items(
            conn, feed, [make_item("Первая"), make_item("Вторая")], lexicon_version="v1"
        )


def test_rows_read_back_as_sqlalchemy_would_have_written_them(engine: Engine) -> None:
    first, second = two_items(engine)
    tags = [
        {"item_id": first, "axis": "category", "value": "cyber_threats", "terms": '[{"t": "ё"}]'},
        {"item_id": second, "axis": "region", "value": "KZ-75", "terms": "[]"},
    ]
    hashes = [
        {"item_id": first, "terms": b"\x00\x01\xff" * 8, "day": date(2026, 11, 1), "lang": "ru"}
    ]
    with engine.begin() as conn:
        conn.execute(item_terms.delete())
        conn.execute(item_tags.delete())
        bulk.execute_rows(conn, insert(item_tags), tags)
        bulk.execute_rows(conn, insert(item_terms), hashes)
        bulk.execute_rows(
            conn,
            update(items).where(items.c.id == bindparam("row_id")).values(story_id=bindparam("s")),
            [{"row_id": second, "s": first}],
        )
    with engine.connect() as conn:
        stored_tags = conn.execute(select(item_tags).order_by(item_tags.c.item_id)).mappings()
        assert [dict(r) for r in stored_tags] == tags
        assert [dict(r) for r in conn.execute(select(item_terms)).mappings()] == hashes
        stories = conn.execute(select(items.c.id, items.c.story_id).order_by(items.c.id)).all()
    assert [tuple(r) for r in stories] == [(first, first), (second, first)]


def test_dates_timestamps_and_booleans_are_converted_as_sqlalchemy_converts_them(
    engine: Engine,
) -> None:
    first, second = two_items(engine)
    later = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(item_days.delete())
        bulk.execute_rows(
            conn,
            insert(item_days),
            [{"day": date(2026, 3, 4), "first_id": first, "last_id": second}],
        )
        bulk.execute_rows(
            conn,
            update(items)
            .where(items.c.id == bindparam("row_id"))
            .values(relevant=bindparam("now"), fetched_at=bindparam("at")),
            [
                {"row_id": first, "now": True, "at": later},
                {"row_id": second, "now": False, "at": later + timedelta(hours=1)},
            ],
        )
        # the same through SQLAlchemy's own path, for comparison
        conn.execute(
            insert(item_days), [{"day": date(2026, 3, 5), "first_id": second, "last_id": second}]
        )
    with engine.connect() as conn:
        days = conn.execute(select(item_days).order_by(item_days.c.day)).all()
        flags = conn.execute(
            select(items.c.id, items.c.relevant, items.c.fetched_at).order_by(items.c.id)
        ).all()
        # the stored forms match row for row: both dates compare and sort as dates
        by_day = conn.execute(
            select(item_days.c.day).where(item_days.c.day > date(2026, 3, 4))
        ).all()
    assert [tuple(r) for r in days] == [
        (date(2026, 3, 4), first, second),
        (date(2026, 3, 5), second, second),
    ]
    assert [tuple(r) for r in by_day] == [(date(2026, 3, 5),)]
    assert [tuple(r) for r in flags] == [
        (first, True, later),
        (second, False, later + timedelta(hours=1)),
    ]


@pytest.mark.parametrize("odd", [date(2026, 1, 1), True], ids=["date", "bool"])
def test_a_value_needing_conversion_is_refused_before_anything_is_written(
    engine: Engine, odd: object
) -> None:
    first, _ = two_items(engine)
    rows = [
        {"item_id": first, "axis": "region", "value": "KZ-11", "terms": "[]"},
        {"item_id": first, "axis": "region", "value": odd, "terms": "[]"},
    ]
    with engine.begin() as conn:
        before = conn.execute(select(item_tags)).all()
        with pytest.raises(TypeError, match=r"plain values only.*value"):
            bulk.execute_rows(conn, insert(item_tags), rows)
        assert conn.execute(select(item_tags)).all() == before


def test_no_rows_is_no_statement(engine: Engine) -> None:
    with engine.begin() as conn:
        bulk.execute_rows(conn, insert(item_tags), [])
        assert conn.execute(select(item_tags)).all() == []


def _feed_rows(feed: int, titles: list[str]) -> list[dict[str, object]]:
    """Item rows as the writer builds them (`write._item_row`)."""
    return [write._item_row(feed, make_item(t), "v1", "") for t in titles]


def test_insert_returning_gives_back_the_rows_it_stored_and_skips_duplicates(
    engine: Engine,
) -> None:
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://f.example/rss", name="F")])
    titles = [f"Новость {n}" for n in range(30)]
    rows = _feed_rows(feed, titles)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # a small variable limit: 30 rows of 14 columns then take several statements
            conn.connection.driver_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
        stmt = write._insert_ignore(conn, items).returning(items.c.id, items.c.title)
        first = bulk.insert_returning(conn, stmt, rows[:20])
        # ten new rows and, across every page, the twenty already stored
        second = bulk.insert_returning(conn, stmt, rows[10:] + rows[:10])
    assert sorted(title for _, title in first) == sorted(titles[:20])
    assert sorted(title for _, title in second) == sorted(titles[20:])
    with engine.connect() as conn:
        stored = conn.execute(select(items.c.id, items.c.title, items.c.published_at)).all()
    assert sorted((i, t) for i, t, _ in stored) == sorted(first + second)
    assert {at for _, _, at in stored} == {rows[0]["published_at"]}


def test_insert_returning_stores_what_sqlalchemys_own_insert_stores(engine: Engine) -> None:
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://f.example/rss", name="F")])
    ours, theirs = _feed_rows(feed, ["Первая"]), _feed_rows(feed, ["Вторая"])
    with engine.begin() as conn:
        stmt = write._insert_ignore(conn, items).returning(items.c.id)
        bulk.insert_returning(conn, stmt, ours)
        conn.execute(stmt, theirs)
    same = [c for c in ours[0] if c not in ("title", "guid", "url", "content_hash", "story_key")]
    with engine.connect() as conn:
        # as the database holds them (dates and timestamps as SQLite's text), not as read back
        stored = conn.exec_driver_sql(f"SELECT {', '.join(same)} FROM items ORDER BY id").all()
    assert len(stored) == 2
    assert stored[0] == stored[1]


def test_insert_returning_refuses_a_statement_it_cannot_page(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'one.db'}")
    upgrade(engine)
    from_select = insert(item_days).from_select(
        ["day", "first_id", "last_id"], select(item_days.c.day, items.c.id, items.c.id)
    )
    with engine.begin() as conn, pytest.raises(TypeError, match="single-row INSERT"):
        bulk.insert_returning(conn, from_select.returning(item_days.c.day), [{"day": 1}])
    engine.dispose()
