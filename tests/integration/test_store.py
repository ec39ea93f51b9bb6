"""The store on a real SQLite file: migrations, idempotent inserts, atomic batches."""

import gc
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from indicators.models import Tags
from indicators.store import read, write
from indicators.store.engine import StoreError, make_engine
from indicators.store.migrations import LATEST_VERSION, current_version, require_current, upgrade
from indicators.store.schema import item_tags, items
from tests.factories import T0, make_item

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(store):
    return store


@pytest.fixture
def feed_id(engine):
    (fid,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    return fid


def run_record(status="ok"):
    return write.FetchRunRecord(started_at=NOW, duration_ms=5.0, status=status)


def state(**kw):
    base = dict(
        last_fetched_at=NOW,
        last_status="ok",
        next_due_at=NOW + timedelta(minutes=30),
        consecutive_errors=0,
    )
    return write.FeedState(**(base | kw))


def count(engine, table=items):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_new_database_is_created_at_the_latest_version_and_upgrade_is_idempotent(db_url):
    engine = make_engine(db_url)
    assert current_version(engine) is None
    with pytest.raises(StoreError, match="threatmon init"):
        require_current(engine)
    assert upgrade(engine) == (None, LATEST_VERSION)
    assert upgrade(engine) == (LATEST_VERSION, LATEST_VERSION)
    require_current(engine)
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/sub/dir/wal.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_the_wal_file_shrinks_back_after_a_large_write(tmp_path, monkeypatch):
    """A big transaction grows the WAL; once checkpointed, the next write cuts it back
    to the limit although the connection stays open (as the dashboard's and ingest's do)."""
    import indicators.store.engine as engine_module

    monkeypatch.setattr(engine_module, "WAL_SIZE_LIMIT", 256 * 1024)
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    wal = tmp_path / "wal.db-wal"
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE blobs (b BLOB)")
        for _ in range(3000):
            conn.exec_driver_sql("INSERT INTO blobs VALUES (randomblob(1000))")
    grown = wal.stat().st_size
    assert grown > 2 * 1024 * 1024
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO blobs VALUES (x'00')")
        assert conn.exec_driver_sql("SELECT count(*) FROM blobs").scalar() == 3001
    assert wal.stat().st_size <= 256 * 1024
    engine.dispose()


def test_connections_to_a_file_are_kept_for_the_next_query(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/pool.db")
    with engine.connect() as conn:
        first = conn.connection.driver_connection
    with engine.connect() as conn:
        assert conn.connection.driver_connection is first
    engine.dispose()


def test_a_fork_closes_the_pooled_connections_first(tmp_path):
    """A child never gets the parent's SQLite connections; both go on querying."""
    engine = make_engine(f"sqlite:///{tmp_path}/fork.db")
    upgrade(engine)
    with engine.connect() as conn:
        before = conn.connection.driver_connection
    assert engine.pool.checkedin() == 1
    pid = os.fork()
    if pid == 0:  # the child: a fresh connection, a real query, and out without pytest
        ok = False
        try:
            with engine.connect() as conn:
                fresh = conn.connection.driver_connection is not before
                ok = fresh and conn.execute(select(func.count()).select_from(items)).scalar() == 0
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert engine.pool.checkedin() == 0  # closed in the parent just before the fork
    with engine.connect() as conn:
        assert conn.connection.driver_connection is not before
        assert conn.execute(select(func.count()).select_from(items)).scalar() == 0
    engine.dispose()


def test_same_item_is_never_stored_twice(engine, feed_id):
    batch = [
        make_item("Теракт предотвращен", guid="g1", url="https://a.example/1"),
        make_item("Задержан вербовщик", guid="g2", url="https://a.example/2"),
    ]
    first = write.store_feed_batch(
        engine, feed_id, batch, run_record(), state(), lexicon_version="v1"
    )
    second = write.store_feed_batch(
        engine, feed_id, batch, run_record(), state(), lexicon_version="v1"
    )
    assert len(first) == 2 and second == []
    assert count(engine) == 2


def test_duplicates_are_folded_by_guid_url_and_content(engine, feed_id):
    (other,) = write.upsert_feeds(engine, [write.FeedFields(url="https://b.example/rss", name="B")])
    write.store_feed_batch(
        engine,
        feed_id,
        [make_item("Original", guid="g", url="https://x/1")],
        run_record(),
        state(),
        lexicon_version="v1",
    )
    same_guid = make_item("Edited title", guid="g", url="https://x/2")
    same_url_other_feed = make_item("Other wording", guid="h", url="https://x/1")
    same_text_other_feed = make_item("Original", guid="k", url="https://x/3")
    new_ids = write.store_feed_batch(
        engine, feed_id, [same_guid], run_record(), state(), lexicon_version="v1"
    )
    new_ids += write.store_feed_batch(
        engine,
        other,
        [same_url_other_feed, same_text_other_feed],
        run_record(),
        state(),
        lexicon_version="v1",
    )
    assert new_ids == []
    assert count(engine) == 1


def test_each_new_row_gets_the_tags_of_the_item_that_was_stored(engine, feed_id):
    """A batch is inserted in one statement, so new rows are matched back to their items.

    The first "Alpha" repeats a stored URL and is skipped; the second, with the
    same text elsewhere, is stored and must carry its own tags, not the first's.
    The third repeats the second's text and is skipped; "Gamma" is new.
    """
    write.store_feed_batch(
        engine,
        feed_id,
        [make_item("Stored", guid="s", url="https://x/1")],
        run_record(),
        state(),
        lexicon_version="v1",
    )
    batch = [
        make_item("Alpha", guid="a1", url="https://x/1", categories=("cyber_threats",)),
        make_item("Alpha", guid="a2", url="https://x/2", categories=("terrorist_activity",)),
        make_item("Alpha", guid="a3", url="https://x/3", categories=("terrorist_financing",)),
        make_item("Gamma", guid="g", url="https://x/4", regions=("KZ-75",)),
    ]
    new_ids = write.store_feed_batch(
        engine, feed_id, batch, run_record(), state(), lexicon_version="v1"
    )
    with engine.connect() as conn:
        stored = {
            r.id: (r.guid, r.url, r.story_id)
            for r in conn.execute(select(items).where(items.c.id.in_(new_ids)))
        }
        tags = conn.execute(
            select(item_tags.c.item_id, item_tags.c.value).where(item_tags.c.item_id.in_(new_ids))
        ).all()
    assert sorted(new_ids) == new_ids and len(new_ids) == 2
    alpha, gamma = new_ids
    assert stored == {alpha: ("a2", "https://x/2", alpha), gamma: ("g", "https://x/4", gamma)}
    assert sorted(tags) == sorted([(alpha, "terrorist_activity"), (gamma, "KZ-75")])


def test_tags_are_stored_with_their_evidence(engine, feed_id):
    item = make_item("Кибератака на сервер", categories=("cyber_threats",), regions=("KZ-75",))
    (item_id,) = write.store_feed_batch(
        engine, feed_id, [item], run_record(), state(), lexicon_version="v1"
    )
    with engine.connect() as conn:
        rows = conn.execute(select(item_tags).order_by(item_tags.c.axis)).mappings().all()
        relevant = conn.execute(select(items.c.relevant).where(items.c.id == item_id)).scalar()
    assert [(r["axis"], r["value"]) for r in rows] == [
        ("category", "cyber_threats"),
        ("region", "KZ-75"),
    ]
    assert json.loads(rows[0]["terms"]) == [{"term": "кибератака", "start": 0, "end": 10}]
    assert relevant is True


def test_a_failing_batch_leaves_nothing_behind(engine, feed_id):
    def explode(item_id, item):
        if item.title == "second":
            raise RuntimeError("crash in the middle of a batch")
        return item_id

    batch = [make_item("first"), make_item("second")]
    with pytest.raises(RuntimeError):
        write.store_feed_batch(
            engine,
            feed_id,
            batch,
            run_record(),
            state(etag='"e1"'),
            lexicon_version="v1",
            assign_story=explode,
        )
    assert count(engine) == 0
    assert count(engine, item_tags) == 0
    assert read.get_feed(engine, feed_id).etag is None, "ETag saved only with its batch"


def test_feed_state_errors_keep_the_last_good_validators(engine, feed_id):
    write.store_feed_batch(
        engine,
        feed_id,
        [],
        run_record(),
        state(etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT", keep_validators=False),
        lexicon_version="v1",
    )
    write.store_feed_batch(
        engine,
        feed_id,
        [],
        run_record("error"),
        state(
            last_status="error",
            consecutive_errors=1,
            last_error_kind="timeout",
            last_error="deadline",
        ),
        lexicon_version="v1",
    )
    feed = read.get_feed(engine, feed_id)
    assert feed.etag == '"v1"' and feed.last_modified.startswith("Mon")
    assert (feed.last_status, feed.consecutive_errors, feed.last_error_kind) == (
        "error",
        1,
        "timeout",
    )


def test_reloading_the_feed_list_does_not_re_enable_a_disabled_feed(engine, feed_id):
    write.set_feed_enabled(engine, feed_id, False)
    write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A renamed")])
    feed = read.get_feed(engine, feed_id)
    assert feed.name == "A renamed" and feed.enabled is False


def test_due_feeds_respect_next_due_and_enabled(engine, feed_id):
    (later,) = write.upsert_feeds(engine, [write.FeedFields(url="https://b.example/", name="B")])
    write.store_feed_batch(
        engine,
        later,
        [],
        run_record(),
        state(next_due_at=NOW + timedelta(hours=1)),
        lexicon_version="v1",
    )
    assert [f.id for f in read.due_feeds(engine, NOW)] == [feed_id]
    assert [f.id for f in read.due_feeds(engine, NOW, all_enabled=True)] == [feed_id, later]
    write.set_feed_enabled(engine, feed_id, False)
    assert read.due_feeds(engine, NOW) == []


def test_removing_a_feed_keeps_its_items(engine, feed_id):
    write.store_feed_batch(
        engine, feed_id, [make_item("kept")], run_record(), state(), lexicon_version="v1"
    )
    assert write.remove_feed(engine, feed_id)
    assert not write.remove_feed(engine, feed_id)
    assert count(engine) == 1


def test_replace_tags_swaps_the_verdict_and_records_the_version(engine, feed_id):
    (item_id,) = write.store_feed_batch(
        engine,
        feed_id,
        [make_item("Взрыв", categories=("tactics_methods",))],
        run_record(),
        state(),
        lexicon_version="v1",
    )
    with engine.begin() as conn:
        write.replace_tags(conn, item_id, Tags(relevant=False), "v2")
    with engine.connect() as conn:
        row = conn.execute(select(items.c.relevant, items.c.lexicon_version)).one()
    assert tuple(row) == (False, "v2")
    assert count(engine, item_tags) == 0


def test_published_day_is_the_utc_day(engine, feed_id):
    late = make_item("late", published_at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    write.store_feed_batch(engine, feed_id, [late], run_record(), state(), lexicon_version="v1")
    with engine.connect() as conn:
        day = conn.execute(select(items.c.published_day)).scalar()
    assert str(day) == "2026-11-20"
    assert T0.tzinfo is UTC


def test_a_feed_batch_is_written_with_the_collector_held_back_and_gives_it_back(engine, feed_id):
    """Bulk writes pause the cyclic collector (indicators/store/collector.py), also on failure."""
    seen: list[bool] = []

    def assign(item_id: int, item: object) -> int:
        seen.append(gc.isenabled())
        return item_id

    batch = [make_item("Теракт предотвращен", guid="g1", url="https://a.example/1")]
    write.store_feed_batch(
        engine, feed_id, batch, run_record(), state(), lexicon_version="v1", assign_story=assign
    )
    assert seen == [False] and gc.isenabled()

    def broken(item_id: int, item: object) -> int:
        raise RuntimeError("story index unavailable")

    again = [make_item("Задержан вербовщик", guid="g2", url="https://a.example/2")]
    with pytest.raises(RuntimeError):
        write.store_feed_batch(
            engine, feed_id, again, run_record(), state(), lexicon_version="v1", assign_story=broken
        )
    assert gc.isenabled()
    assert count(engine) == 1  # the failed batch left nothing behind
