"""Kept text-search match sets on SQLite: exact answers, reused only while the text is unchanged.

A search the trigram index drives computes the exact ids once
(`textsearch.exact_matches`) and keeps them under the store's text version,
which triggers raise in the transaction that adds, removes or rewrites an
item. These tests change a real store every way an item's text can change
and check that the next search sees it, and that nothing else throws the
kept sets away.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, text, update

from indicators.selection import Filters
from indicators.store import queries, textsearch, write
from indicators.store.engine import ServerOptions, make_engine
from indicators.store.migrations import LATEST_VERSION, current_version, upgrade
from indicators.store.schema import TEXT_VERSION, items, schema_migrations
from tests.factories import make_item

TITLES = [
    "Теракт предотвращен в Алматы",
    "В Алматы прошли учения антитеррористического центра",
    "Алматыда лаңкестік әрекеттің алдын алды",
    "Курс тенге укрепился",
    "АЛМАТЫ: задержан вербовщик",
]


def _store(url: str) -> tuple[Engine, int]:
    engine = make_engine(url)
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    with engine.begin() as conn:
        write.insert_items(conn, feed, [make_item(t) for t in TITLES], lexicon_version="v1")
    return engine, feed


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, int]]:
    textsearch.forget_matches()
    engine, feed = _store(f"sqlite:///{tmp_path / 'text.db'}")
    yield engine, feed
    engine.dispose()
    textsearch.forget_matches()


def _matches(engine: Engine, q: str) -> list[int]:
    with queries._connect(engine) as conn:
        found = textsearch.exact_matches(conn, q)
    assert found is not None, "an SQLite store with the trigram index keeps match sets"
    return sorted(json.loads(found))


def _titles(engine: Engine, q: str) -> set[str]:
    return {r.title for r in queries.items_page(engine, Filters(q=q), limit=50).rows}


def _version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT n FROM {TEXT_VERSION}")).scalar_one())


def _ids_with(engine: Engine, needle: str) -> list[int]:
    """The brute-force answer: every stored item whose text contains `needle`, case-folded."""
    with engine.connect() as conn:
        rows = conn.execute(select(items.c.id, items.c.title, items.c.summary)).all()
    folded = needle.lower()
    return sorted(i for i, t, s in rows if folded in t.lower() or folded in s.lower())


def test_a_match_set_is_the_exact_answer(store: tuple[Engine, int]) -> None:
    engine, _ = store
    for q in ("алматы", "АЛМАТЫ", "Алматыда", "теракт", "нет такого слова"):
        assert _matches(engine, q) == _ids_with(engine, q)
    # "алматы" and "Алматыда" share the trigrams of "алматы"; only the exact test
    # tells "Алматыда" apart, so a candidate list alone would be wrong here.
    assert len(_matches(engine, "Алматыда")) == 1


def test_the_set_is_kept_while_the_text_is_unchanged(store: tuple[Engine, int]) -> None:
    engine, _ = store
    with queries._connect(engine) as conn:
        first = textsearch.exact_matches(conn, "алматы")
        again = textsearch.exact_matches(conn, "Алматы")  # the same folded query
    assert first is again
    with engine.begin() as conn:  # re-tagging changes tags, not text
        conn.execute(update(items).values(relevant=True, lexicon_version="v2"))
    with queries._connect(engine) as conn:
        assert textsearch.exact_matches(conn, "алматы") is first


def test_a_new_item_raises_the_version_and_is_found(store: tuple[Engine, int]) -> None:
    engine, feed = store
    before = _titles(engine, "алматы")
    version = _version(engine)
    with engine.begin() as conn:
        write.insert_items(conn, feed, [make_item("Новости Алматы за день")], lexicon_version="v1")
    assert _version(engine) > version
    assert _titles(engine, "алматы") == before | {"Новости Алматы за день"}
    assert _matches(engine, "алматы") == _ids_with(engine, "алматы")


def test_a_removed_item_is_no_longer_found(store: tuple[Engine, int]) -> None:
    engine, _ = store
    assert "Теракт предотвращен в Алматы" in _titles(engine, "алматы")
    with engine.begin() as conn:
        conn.execute(delete(items).where(items.c.title == "Теракт предотвращен в Алматы"))
    assert "Теракт предотвращен в Алматы" not in _titles(engine, "алматы")
    assert _matches(engine, "алматы") == _ids_with(engine, "алматы")


def test_rewritten_text_is_searched_as_it_is_now(store: tuple[Engine, int]) -> None:
    engine, _ = store
    assert _titles(engine, "тенге") == {"Курс тенге укрепился"}
    with engine.begin() as conn:
        conn.execute(
            update(items)
            .where(items.c.title == "Курс тенге укрепился")
            .values(title="Курс тенге в Алматы укрепился")
        )
    assert "Курс тенге в Алматы укрепился" in _titles(engine, "алматы")
    assert _matches(engine, "алматы") == _ids_with(engine, "алматы")


def test_a_write_through_another_engine_is_seen(store: tuple[Engine, int], tmp_path: Path) -> None:
    """Another process writing the same file (here: a second engine) invalidates the sets."""
    engine, feed = store
    _matches(engine, "вербовщик")
    other = make_engine(str(engine.url))
    with other.begin() as conn:
        write.insert_items(conn, feed, [make_item("Вербовщик осужден")], lexicon_version="v1")
    other.dispose()
    assert _titles(engine, "вербовщик") == {"АЛМАТЫ: задержан вербовщик", "Вербовщик осужден"}


def test_searches_through_the_views_use_the_kept_set(store: tuple[Engine, int]) -> None:
    engine, _ = store
    f = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31), q="алматы")
    with queries._connect(engine) as conn:
        plan = queries.text_plan(conn, f)
    assert plan.use_index and plan.matches is not None
    assert queries.totals(engine, f).items == len(_ids_with(engine, "алматы")) == 4


def test_a_read_only_dashboard_keeps_sets_too(store: tuple[Engine, int]) -> None:
    engine, _ = store
    reader = make_engine(str(engine.url), read_only=True)
    assert _matches(reader, "алматы") == _ids_with(engine, "алматы")
    assert _titles(reader, "теракт") == {"Теракт предотвращен в Алматы"}
    reader.dispose()


def test_kept_sets_stay_within_their_budget(
    store: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = store
    monkeypatch.setattr(textsearch, "MATCH_BUDGET", 5)
    for q in ("алматы", "теракт", "вербовщик", "тенге"):  # 4, 1, 1 and 1 ids
        _matches(engine, q)
    kept = [key[2] for key in textsearch._matches]
    assert kept == ["алматы", "теракт", "вербовщик", "тенге"][-len(kept) :]
    assert sum(n for _, n in textsearch._matches.values()) <= 5 or len(kept) == 1


def test_a_store_from_before_the_counter_gains_it_on_upgrade(tmp_path: Path) -> None:
    textsearch.forget_matches()
    engine, _ = _store(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        for suffix in ("ai", "ad", "au"):
            conn.execute(text(f"DROP TRIGGER {TEXT_VERSION}_{suffix}"))
        conn.execute(text(f"DROP TABLE {TEXT_VERSION}"))
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version > 11))
    with queries._connect(engine) as conn:  # an old store: searches still work, without sets
        assert textsearch.exact_matches(conn, "алматы") is None
    assert _titles(engine, "алматы") == {
        "Теракт предотвращен в Алматы",
        "В Алматы прошли учения антитеррористического центра",
        "Алматыда лаңкестік әрекеттің алдын алды",
        "АЛМАТЫ: задержан вербовщик",
    }
    assert upgrade(engine) == (11, LATEST_VERSION)
    assert current_version(engine) == LATEST_VERSION
    assert _matches(engine, "алматы") == _ids_with(engine, "алматы")
    version = _version(engine)
    with engine.begin() as conn:
        conn.execute(delete(items).where(items.c.title == "Курс тенге укрепился"))
    assert _version(engine) == version + 1
    engine.dispose()


def test_another_database_at_the_same_path_is_not_mistaken_for_this_one(tmp_path: Path) -> None:
    """Same path, same text version, different items: the store id tells them apart."""
    textsearch.forget_matches()
    first, _ = _store(f"sqlite:///{tmp_path / 'a.db'}")
    assert _titles(first, "курс") == {"Курс тенге укрепился"}
    url = str(first.url)
    first.dispose()
    (tmp_path / "a.db").unlink()
    other = make_engine(url)
    upgrade(other)
    (feed,) = write.upsert_feeds(other, [write.FeedFields(url="https://b.example/rss", name="B")])
    with other.begin() as conn:
        write.insert_items(
            conn, feed, [make_item(f"Курс {n}") for n in range(len(TITLES))], lexicon_version="v1"
        )
    assert _titles(other, "курс") == {f"Курс {n}" for n in range(len(TITLES))}
    other.dispose()


def test_two_kept_sets_can_share_one_statement(store: tuple[Engine, int]) -> None:
    """Two searches in one query (say, a period and the one before) bind two lists."""
    from sqlalchemy import func

    engine, _ = store
    with queries._connect(engine) as conn:
        first = textsearch.TextPlan(True, matches=textsearch.exact_matches(conn, "алматы"))
        second = textsearch.TextPlan(True, matches=textsearch.exact_matches(conn, "теракт"))
        both = (
            select(func.count())
            .select_from(items)
            .where(
                textsearch.text_condition("алматы", first),
                textsearch.text_condition("теракт", second),
            )
        )
        assert conn.execute(both).scalar_one() == 1  # "Теракт предотвращен в Алматы"


def test_a_pooled_connection_is_prepared_once_and_again_after_a_schema_change(
    tmp_path: Path,
) -> None:
    """Preparing is remembered on the pooled connection, keyed by SQLite's schema version:
    the same connection reused skips the work, and notices a text index that went away."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pooled.db'}", server=ServerOptions(pool_size=1))
    upgrade(engine)
    with engine.connect() as conn:
        textsearch.prepare(conn)
        raw = conn.connection.driver_connection
        assert textsearch.has_text_index(conn)
        prepared = conn.info["prepared_schema"]
    with engine.connect() as conn:  # the same pooled connection, its functions still there
        assert conn.connection.driver_connection is raw
        textsearch.prepare(conn)
        assert conn.info["prepared_schema"] == prepared
        assert conn.exec_driver_sql("SELECT tm_lower('ТЕРАКТ')").scalar_one() == "теракт"
    with engine.begin() as conn:
        for trigger in ("items_fts_ai", "items_fts_ad", "items_fts_au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.exec_driver_sql("DROP TABLE items_fts")
    with engine.connect() as conn:
        assert conn.connection.driver_connection is raw
        textsearch.prepare(conn)
        assert conn.info["prepared_schema"] != prepared
        assert not textsearch.has_text_index(conn)
    engine.dispose()


# --- the exact test's shortcut: spellings of the query found with SQLite's instr ---------

TRICKY = [
    ("ΟΔΟΣ ΑΣ", "final sigma: lower-cases to ς"),
    ("ΣΑΣ και Σας", "sigma before a letter: σ"),
    ("STRASSE und Straße", "ß has no one-letter capital"),
    ("İSTANBUL İstanbul", "capital dotted I lower-cases to two letters"),
    ("İşki ister MİNİSTRLİGİ", "Kazakh Latin: a dotted I inside a word"),
    ("200 \u212a and 5 K", "the Kelvin sign lower-cases to an ASCII k"),
    ("Telegram TELEGRAM telegram tElEgRaM", "every case a news text uses, and one it does not"),
    ("АЛМАТЫ Алматы алматы аЛМАТЫ", "the same in Cyrillic"),
    ("Ёлка ёлка ЁЛКА елка", "ё is its own letter"),
]


@pytest.fixture
def tricky_store(tmp_path: Path) -> Iterator[Engine]:
    textsearch.forget_matches()
    engine = make_engine(f"sqlite:///{tmp_path / 'tricky.db'}")
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    words = [w for text, _ in TRICKY for w in text.split()]
    rows = [make_item(w, guid=f"t{n}") for n, w in enumerate(words)]
    rows += [make_item("x", summary=w, guid=f"s{n}") for n, w in enumerate(words)]
    with engine.begin() as conn:
        write.insert_items(conn, feed, rows, lexicon_version="v1")
    yield engine
    engine.dispose()
    textsearch.forget_matches()


def _condition_ids(engine: Engine, q: str) -> list[int]:
    """The ids the exact test (shortcut and all) selects, without the trigram index."""
    with queries._connect(engine) as conn:
        textsearch.prepare(conn)
        found = conn.execute(select(items.c.id).where(textsearch.text_condition(q))).scalars()
        return sorted(found)


def test_case_forms_all_fold_to_the_query_and_sigma_has_none() -> None:
    assert textsearch.case_forms("Telegram") == ("telegram", "Telegram")
    assert textsearch.case_forms("тЕРАКТ") == ("теракт", "тЕРАКТ", "Теракт")
    assert textsearch.case_forms("ßa") == ("ßa",)  # "SSa" folds to "ssa"
    assert textsearch.case_forms("ΑΣ") == ()
    assert textsearch.case_forms("") == ()


def test_the_exact_test_is_the_folded_substring_test_for_every_spelling(
    tricky_store: Engine,
) -> None:
    words = {w for text, _ in TRICKY for w in text.split()}
    queries_ = words | {w.lower() for w in words} | {w.upper() for w in words}
    queries_ |= {w[1:3] for w in words} | {"Σ", "σ", "ς", "ss", "SS", "k", "K", "i", "İ"}
    for q in sorted(queries_):
        assert _condition_ids(tricky_store, q) == _ids_with(tricky_store, q), q
        assert _matches(tricky_store, q) == _ids_with(tricky_store, q) if len(q) >= 3 else True


def test_every_letter_the_trigram_query_uses_is_folded_by_the_index_as_python_folds_it() -> None:
    """For every code point whose lower case is one `indexable` letter, the FTS5 trigram
    index of this SQLite folds the code point and its lower case alike; otherwise a
    text the exact test matches could lack the query's trigram."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='trigram', detail='none')")
    checked, differ = 0, []
    for code in range(0x110000):
        letter = chr(code)
        lower = letter.lower()
        if lower == letter or len(lower) != 1 or not textsearch.indexable(lower):
            continue
        if 0xD800 <= code < 0xE000:
            continue
        checked += 1
        conn.execute("DELETE FROM f")
        conn.execute("INSERT INTO f VALUES (?)", (f"a{letter}b",))
        found = conn.execute("SELECT count(*) FROM f WHERE f MATCH ?", (f'"a{lower}b"',))
        if found.fetchone()[0] != 1:
            differ.append(hex(code))
    assert checked > 300  # Latin, Greek and Cyrillic capitals (388 in Python 3.11)
    assert differ == []


def test_a_query_with_a_dotted_capital_i_is_found_through_the_index(tricky_store: Engine) -> None:
    for q in ("İstanbul", "İSTANBUL", "i̇stanbul", "MİNİSTRLİGİ", "STRLİGİ", "strli̇gi̇"):
        assert _matches(tricky_store, q) == _ids_with(tricky_store, q) != []
    assert textsearch.trigram_query("İİM") is None  # no usable trigram: searched without it


# --- a wide id range is searched in two halves side by side --------------------------------


def test_two_halves_give_the_exact_answer(
    store: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = store
    monkeypatch.setattr(textsearch, "SPLIT_FROM_IDS", 1)  # split even this small store
    for q in ("алматы", "АЛМАТЫ", "Алматыда", "теракт", "нет такого слова"):
        assert _matches(engine, q) == _ids_with(engine, q)


def test_a_commit_between_the_halves_searches_the_range_again(
    store: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upper half is read, then an item is added, then the lower half is read: their
    text versions differ, so the range is searched again in one statement."""
    engine, feed = store
    monkeypatch.setattr(textsearch, "SPLIT_FROM_IDS", 1)
    real_upper, real_between = textsearch._matches_on_own_connection, textsearch._matches_between
    committed = threading.Event()
    halves: list[str] = []

    def upper_then_commit(engine_: Engine, q: str, match: str, first: int, rows: Any) -> Any:
        found = real_upper(engine_, q, match, first, rows)
        halves.append("upper")
        with engine.begin() as conn:
            write.insert_items(conn, feed, [make_item("Алматы: новость")], lexicon_version="v1")
        committed.set()
        return found

    def lower_after_commit(
        conn: Any, q: str, match: str, first: int, before: int | None, rows: Any = None
    ) -> Any:
        if before is not None:
            assert committed.wait(10)
            halves.append("lower")
        return real_between(conn, q, match, first, before, rows)

    monkeypatch.setattr(textsearch, "_matches_on_own_connection", upper_then_commit)
    monkeypatch.setattr(textsearch, "_matches_between", lower_after_commit)
    with queries._connect(engine) as conn:
        found = textsearch.exact_matches(conn, "алматы")
    assert halves == ["upper", "lower"]
    assert found is not None
    assert sorted(json.loads(found)) == _ids_with(engine, "алматы")  # the new item included
    assert {key[1] for key in textsearch._matches} == {_version(engine)}


def test_a_kept_or_keepable_set_is_preferred_to_testing_a_tags_items(tmp_path: Path) -> None:
    """A search planned from the filters tests the text of the tag's items again in every
    query; where the facts are kept (the dashboard) the word's ids are worth a few times
    more, and a set another view already found is always read instead."""
    textsearch.forget_matches()
    textsearch._plans.clear()
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    batch = [
        make_item(
            f"{'Алматы' if n % 5 == 0 else 'Астана'}: сообщение {n}",
            categories=("terrorist_activity",),
            regions=("KZ-75",) if n % 13 == 0 else (),
        )
        for n in range(40)
    ]
    with engine.begin() as conn:
        write.insert_items(conn, feed, batch, lexicon_version="v1")
    f = Filters(q="алматы", regions=("KZ-75",))  # the word in 8 items, the region on 4
    facts = queries.with_search_facts(engine)
    with queries._connect(engine) as conn:
        plain = queries.text_plan(conn, f)
    assert (plain.use_index, plain.driver) == (False, "region")
    with queries._connect(facts) as conn:
        kept = queries.text_plan(conn, f)
    assert kept.use_index and kept.matches is not None
    assert sorted(json.loads(kept.matches)) == _ids_with(engine, "алматы")
    for planned_before in (True, False):  # the plain engine now reads the kept set too
        if not planned_before:
            textsearch._plans.clear()
        with queries._connect(engine) as conn:
            again = queries.text_plan(conn, f)
        assert again.use_index and again.matches == kept.matches, planned_before
    expected = [i for i in _ids_with(engine, "алматы") if i in {1, 14, 27, 40}]  # n % 13 == 0
    for reader in (engine, facts):
        page = queries.items_page(reader, f, limit=10)
        assert sorted(r.id for r in page.rows) == expected == [1]
        assert queries.totals(reader, f).items == 1
    engine.dispose()
    textsearch.forget_matches()


def test_the_index_is_not_counted_when_no_count_could_lose_to_the_filters(
    tmp_path: Path,
) -> None:
    """With nothing but a period the filters' side is every item of it: on a facts engine
    the word's side wins whatever it holds, so its candidates are not counted."""
    from sqlalchemy import event

    textsearch.forget_matches()
    textsearch._plans.clear()
    engine, _ = _store(f"sqlite:///{tmp_path / 'count.db'}")
    counted: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SELECT count(*)") and "MATCH" in statement:
            counted.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    f = Filters(q="алматы")
    with queries._connect(queries.with_search_facts(engine)) as conn:
        assert queries.text_plan(conn, f).use_index
    assert counted == []
    textsearch.forget_matches()  # else the plain engine would read the kept set
    with queries._connect(engine) as conn:  # plain: the sides are even, so it counts
        assert queries.text_plan(conn, f).use_index
    assert len(counted) == 1
    engine.dispose()
    textsearch.forget_matches()
