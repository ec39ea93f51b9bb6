"""Emerging terms from a real store (SQLite and PostgreSQL): counts, filters, exclusions.

The store holds four weeks of relevant items about ordinary security news; in
the last week a new word ("квадрокоптер") appears in six of them, in two
different phrases, and a new name ("Северный ветер") in four. The lexicon is
the shipped one, so "теракт" is known; "также" is a stop word.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select

from indicators.emerging import signed_g2
from indicators.emerging_report import emerging_terms, split_periods
from indicators.lexicon import load_compiled
from indicators.models import Tags
from indicators.selection import FilterError, Filters
from indicators.stopwords import load_stop_words
from indicators.store import item_terms, write
from indicators.store.engine import make_engine
from indicators.store.migrations import LATEST_VERSION, upgrade
from indicators.store.schema import item_terms as item_terms_table
from indicators.store.schema import items, schema_migrations
from indicators.text_terms import term_hash
from tests.factories import make_item
from tests.integration.test_alerts_migration import shape
from tests.terms_store import CAT, FIRST, LAST, at, fill
from threatmon.settings import DEFAULT_DATA_DIR


@pytest.fixture
def filled(store: Engine) -> Engine:
    fill(store)
    return store


def run(engine: Engine, f: Filters, **kw):
    compiled = load_compiled(DEFAULT_DATA_DIR)
    stop = load_stop_words(DEFAULT_DATA_DIR)
    return emerging_terms(engine, f, compiled, stop, **kw)


def test_the_new_word_tops_the_list_with_its_counts_trend_and_examples(filled):
    report = run(filled, Filters(date_from=FIRST, date_to=LAST))
    assert report.totals == (7, 7, 6, 8)  # relevant items per week, oldest first
    top = report.terms[0]
    assert top.term == "квадрокоптер"
    assert (top.now, top.before) == (6, 0)
    assert top.trend == (0, 0, 0, 6)
    assert top.g2 == pytest.approx(signed_g2(6, 8, 0, 20))
    assert [e.title for e in top.examples] == [
        "Полиция сообщила о случае 5",
        "Полиция сообщила о случае 4",
        "Полиция сообщила о случае 3",
    ]
    shown = {t.term for t in report.terms}
    assert "квадрокоптер сбросил" not in shown  # 4 recent items: fewer than 5


def test_a_word_always_seen_in_one_listed_phrase_is_not_listed_again(filled):
    report = run(filled, Filters(date_from=FIRST, date_to=LAST), min_count=4)
    shown = {t.term: (t.now, t.before) for t in report.terms}
    assert shown["северный ветер"] == (4, 0)
    assert "северный" not in shown and "ветер" not in shown
    # "квадрокоптер" is in more items than any one phrase holding it, so it stays
    assert shown["квадрокоптер"] == (6, 0) and shown["квадрокоптер сбросил"] == (4, 0)
    assert "взрывчатку" not in shown and "сбросил взрывчатку" not in shown  # a lexicon word


def test_stop_words_known_terms_rare_and_steady_terms_are_left_out(filled):
    shown = {t.term for t in run(filled, Filters(date_from=FIRST, date_to=LAST)).terms}
    assert "также" not in shown  # stop word (and it did not rise)
    assert "теракт" not in shown  # the lexicon knows it, though it rose 0 -> 8
    assert "полиция" not in shown  # steady: in every item both times
    assert not any("также" in t.split() for t in shown)


def test_the_minimum_count_is_applied_to_the_recent_period(filled):
    f = Filters(date_from=FIRST, date_to=LAST)
    assert "квадрокоптер" in {t.term for t in run(filled, f, min_count=6).terms}
    assert "квадрокоптер" not in {t.term for t in run(filled, f, min_count=7).terms}


def test_the_dashboard_filters_narrow_the_counts(filled):
    report = run(filled, Filters(date_from=FIRST, date_to=LAST, regions=("KZ-71",)), min_count=2)
    assert report.totals == (0, 0, 0, 4)
    assert report.terms == ()  # no earlier items in that region: nothing to compare with
    report = run(filled, Filters(date_from=FIRST, date_to=LAST, regions=("KZ-75",)), min_count=2)
    top = {t.term: t for t in report.terms}["квадрокоптер сбросил"]
    assert (top.now, top.before) == (4, 0)  # in Almaty city the new word came in one phrase
    assert report.totals == (7, 7, 6, 4)


def test_free_text_narrows_the_counts(filled):
    report = run(filled, Filters(date_from=FIRST, date_to=LAST, q="взрывчатку"), min_count=2)
    assert report.totals == (0, 0, 0, 4)


def test_a_period_no_longer_than_the_recent_days_is_refused(filled):
    with pytest.raises(FilterError, match="longer than 7 days"):
        run(filled, Filters(date_from=LAST - timedelta(days=6), date_to=LAST))


def test_periods_end_on_the_last_day_and_the_oldest_may_be_short():
    assert split_periods(date(2026, 11, 1), date(2026, 11, 17), 7) == [
        (date(2026, 11, 1), date(2026, 11, 3)),
        (date(2026, 11, 4), date(2026, 11, 10)),
        (date(2026, 11, 11), date(2026, 11, 17)),
    ]


def stored_hashes(engine: Engine, item_id: int) -> set[int]:
    with engine.connect() as conn:
        blob = conn.execute(
            select(item_terms_table.c.terms).where(item_terms_table.c.item_id == item_id)
        ).scalar_one_or_none()
    if blob is None:
        return set()
    raw = bytes(blob)
    return {int.from_bytes(raw[i : i + 8], "little", signed=True) for i in range(0, len(raw), 8)}


def test_only_relevant_items_keep_terms_and_a_retag_moves_them(store):
    (feed,) = write.upsert_feeds(store, [write.FeedFields(url="https://a.example/rss", name="A")])
    with store.begin() as conn:
        relevant, plain = write.insert_items(
            conn,
            feed,
            [
                make_item("Шахед над складом", categories=CAT),
                make_item("Погода в Астане"),
            ],
            lexicon_version="v1",
        )
    assert term_hash("шахед") in stored_hashes(store, relevant)
    assert stored_hashes(store, plain) == set()
    with store.begin() as conn:
        write.replace_tags(conn, relevant, Tags(relevant=False), "v2")
        write.replace_tags(conn, plain, Tags(True, CAT), "v2")
    assert stored_hashes(store, relevant) == set()
    assert stored_hashes(store, plain) == {term_hash("погода"), term_hash("астане")}


def test_the_migration_stores_terms_of_items_stored_before_it(store, tmp_path):
    fill(store)
    with store.begin() as conn:  # the database as version 4 left it
        item_terms_table.drop(conn)
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version >= 5))
    assert upgrade(store) == (4, LATEST_VERSION)
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(item_terms_table)).scalar_one() == 28
        assert item_terms.fill_terms(conn) == 0  # nothing left to fill
    if store.dialect.name == "sqlite":  # the same shape as a fresh database
        fresh = make_engine(f"sqlite:///{tmp_path}/fresh.db")
        upgrade(fresh)
        assert shape(fresh) == shape(store)
        fresh.dispose()


def term_row_days(engine: Engine, column: str = "day") -> list[tuple[object, object]]:
    """(the term row's day, its item's day) of every term row; with `column="lang"` their
    languages."""
    own = {"day": items.c.published_day, "lang": items.c.lang}[column]
    with engine.connect() as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                select(item_terms_table.c[column], own).join(
                    items, items.c.id == item_terms_table.c.item_id
                )
            )
        ]


def test_every_term_row_holds_its_items_day(store):
    """The count reads a few days' term rows by id range and day, without the items."""
    fill(store)
    (feed,) = write.upsert_feeds(store, [write.FeedFields(url="https://b.example/rss", name="B")])
    with store.begin() as conn:
        (plain,) = write.insert_items(
            conn, feed, [make_item("Погода в Астане", published_at=at(FIRST))], lexicon_version="v1"
        )
        write.replace_tags(conn, plain, Tags(True, CAT), "v2")  # made relevant by a retag
    days = term_row_days(store)
    assert len(days) == 29 and (FIRST, FIRST) in days
    assert all(row == item and row is not None for row, item in days)


@pytest.mark.parametrize(("column", "version"), [("day", 16), ("lang", 17)])
def test_the_migration_gives_term_rows_stored_before_it_their_items_day_and_language(
    store, tmp_path, column, version
):
    fill(store)
    with store.begin() as conn:  # the database as the version before left it
        conn.exec_driver_sql(f"ALTER TABLE item_terms DROP COLUMN {column}")
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version >= version))
    assert upgrade(store) == (version - 1, LATEST_VERSION)
    pairs = term_row_days(store, column)
    assert len(pairs) == 28 and all(row == item and row is not None for row, item in pairs)
    if store.dialect.name == "sqlite":  # the same shape as a fresh database
        fresh = make_engine(f"sqlite:///{tmp_path}/fresh.db")
        upgrade(fresh)
        assert shape(fresh) == shape(store)
        fresh.dispose()
