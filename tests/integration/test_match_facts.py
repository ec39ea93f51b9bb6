"""A search's counts from the facts kept in memory equal the SQL path's, and never go stale.

`match_facts` counts the items of a kept match set with numpy; the SQL path
(`queries._items_aggregate`) is the reference. Every group shape the views
and detection use is compared on filters of every kind, then the store is
changed every way that moves a count (a retag, a relevance flip, a new
matching item, a removed feed) and the counts must follow at once.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from indicators.models import Tags
from indicators.selection import Filters
from indicators.store import match_facts, migrations, queries, textsearch, write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.factories import make_item

WORD = "Алматы"
CATEGORIES = ("terrorist_activity", "extremist_ideology", "cyber_threats", "counter_measures")
REGIONS = ("KZ-75", "KZ-19", "KZ-71", "KG")
PLATFORMS = ("telegram", "tiktok", "whatsapp")
ACTORS = ("isis", "hizb_ut_tahrir")
DAY0 = datetime(2024, 3, 1, 9, tzinfo=UTC)


def _some(rng: random.Random, pool: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(rng.sample(pool, rng.choice([0, 0, 1, 1, 2])))


def _build(url: str) -> tuple[Engine, list[int]]:
    rng = random.Random(5)
    engine = queries.with_search_facts(make_engine(url))  # as the dashboard reads
    upgrade(engine)
    feeds = write.upsert_feeds(
        engine, [write.FeedFields(url=f"https://f{i}.example/rss", name=f"F{i}") for i in range(3)]
    )
    for n in range(90):
        title = f"{WORD if n % 3 else 'Астана'}: сообщение {n}"
        item = make_item(
            title,
            summary=f"Текст {n}" + (" алматы" if n % 7 == 0 else ""),
            published_at=DAY0 + timedelta(days=n % 12, hours=n % 5),
            lang=("ru", "kk", "en")[n % 3],
            categories=_some(rng, CATEGORIES),
            regions=_some(rng, REGIONS),
            platforms=_some(rng, PLATFORMS),
            actors=_some(rng, ACTORS),
        )

        def story(item_id: int, _item: Any, n: int = n) -> int:
            # every fourth item joins the story of the item before it
            return item_id - 1 if n % 4 == 3 else item_id

        with engine.begin() as conn:
            write.insert_items(
                conn,
                feeds[n % 3],
                [item],
                lexicon_version="v1",
                assign_story=story,
            )
    return engine, feeds


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, list[int]]]:
    textsearch.forget_matches()
    match_facts.forget()
    engine, feeds = _build(f"sqlite:///{tmp_path / 'facts.db'}")
    yield engine, feeds
    engine.dispose()
    textsearch.forget_matches()
    match_facts.forget()


GROUPS: list[list[str]] = [
    [],
    ["category"],
    ["region"],
    ["platform"],
    ["actor"],
    ["lang"],
    ["source"],
    ["day"],
    ["category", "day"],
    ["region", "category"],
    ["actor", "platform"],
    ["source", "lang", "day"],
    ["region", "category", "platform"],
]
MEASURES = [["items"], ["items", "relevant", "stories"], ["stories"]]


def _filters(feeds: list[int]) -> list[Filters]:
    period = {"date_from": date(2024, 3, 3), "date_to": date(2024, 3, 9)}
    return [
        Filters(q=WORD),
        Filters(q=WORD.upper(), **period),
        Filters(q=WORD, categories=("terrorist_activity", "cyber_threats")),
        Filters(q=WORD, regions=("KZ-75",), platforms=("telegram", "tiktok")),
        Filters(q=WORD, langs=("kk",), **period),
        Filters(q=WORD, sources=(feeds[1],), actors=("isis",)),
        Filters(q=WORD, categories=("counter_measures",), regions=("KG", "KZ-19"), langs=("ru",)),
        Filters(q=WORD, date_from=date(2030, 1, 1)),  # nothing left
    ]


def _both(engine: Engine, f: Filters, group: list[str], measures: list[str]) -> tuple[Any, Any]:
    """(from the facts, from SQL) for the same kept match set."""
    with queries._connect(engine) as conn:
        kept = textsearch.exact_matches(conn, f.q)
        assert kept is not None
        plan = queries.TextPlan(use_index=True, matches=kept)
        assert match_facts.facts_for(conn, kept) is not None
        in_memory = queries._rows(conn, f, group, measures, plan)
        in_sql = [
            tuple(r) for r in conn.execute(queries._aggregate(f, group, measures, text_plan=plan))
        ]
    return sorted(in_memory, key=repr), sorted(in_sql, key=repr)


def test_every_group_and_filter_counts_the_same_as_sql(store: Any) -> None:
    engine, feeds = store
    compared = 0
    for f in _filters(feeds):
        for group in GROUPS:
            for measures in MEASURES:
                in_memory, in_sql = _both(engine, f, group, measures)
                assert in_memory == in_sql, (f, group, measures)
                compared += bool(in_sql and in_sql[0][-1])
    assert compared > 100, "most comparisons must count something"


def test_the_views_answer_from_the_facts(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, _feeds = store
    f = Filters(q=WORD, date_from=date(2024, 3, 2))

    def answers() -> list[Any]:
        return [
            queries.totals(engine, f),
            queries.counts_by(engine, f, "region"),
            queries.series(engine, f, "category", "week", "stories"),
            queries.cross_counts(engine, f, "region", "category"),
            queries.daily_counts(engine, f, "actor"),
            sorted(queries.story_counts(engine, f, ["platform", "lang"])),
            queries.items_page(engine, f, limit=3).total,
        ]

    calls: list[int] = []
    real = match_facts.aggregate
    monkeypatch.setattr(match_facts, "aggregate", lambda *a, **k: calls.append(1) or real(*a, **k))
    from_facts = answers()
    assert len(calls) >= 7, "the kept match set was counted in memory"
    monkeypatch.setattr(match_facts, "facts_for", lambda conn, matches: None)
    assert answers() == from_facts


def _count(engine: Engine, f: Filters) -> tuple[int, int, int]:
    t = queries.totals(engine, f)
    return t.items, t.relevant, t.stories


def test_kept_facts_follow_every_change_that_moves_a_count(store: Any) -> None:
    engine, feeds = store
    f = Filters(q=WORD)
    with queries._connect(engine) as conn:
        kept = textsearch.exact_matches(conn, WORD)
        assert kept is not None
        first = match_facts.facts_for(conn, kept)
        assert match_facts.facts_for(conn, kept) is first  # kept while nothing changes

    def sql_count(f: Filters) -> tuple[int, int, int]:
        with queries._connect(engine) as conn:
            plan = queries.text_plan(conn, f)
            row = conn.execute(
                queries._aggregate(f, [], ["items", "relevant", "stories"], text_plan=plan)
            ).one()
        return int(row[0]), int(row[1] or 0), int(row[2] or 0)

    before = _count(engine, f)
    assert before == sql_count(f)
    # a retag: one matching item loses its categories (relevance flips)
    with queries._connect(engine) as conn:
        target = int(
            queries.items_page(engine, Filters(q=WORD, categories=CATEGORIES), limit=1).rows[0].id
        )
    with engine.begin() as conn:
        write.replace_tags_many(conn, [(target, Tags(relevant=False))], "v2")
    assert _count(engine, f) == sql_count(f)
    assert _count(engine, f)[1] == before[1] - 1
    # a new matching item
    with engine.begin() as conn:
        write.insert_items(
            conn,
            feeds[0],
            [make_item(f"{WORD}: новое", published_at=DAY0, categories=("cyber_threats",))],
            lexicon_version="v2",
        )
    assert _count(engine, f) == sql_count(f)
    assert _count(engine, f)[0] == before[0] + 1
    # a removed feed: its items stay, without a source
    by_source = dict(queries.counts_by(engine, f, "source"))
    assert write.remove_feed(engine, feeds[2])
    after = dict(queries.counts_by(engine, f, "source"))
    assert str(feeds[2]) in by_source and str(feeds[2]) not in after
    with queries._connect(engine) as conn:
        plan = queries.text_plan(conn, f)
        in_sql = sorted(
            tuple(r)
            for r in conn.execute(queries._aggregate(f, ["source"], ["items"], text_plan=plan))
        )
    assert sorted((int(k), n) for k, n in after.items()) == in_sql


def test_facts_are_not_kept_beyond_their_budget(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = store
    monkeypatch.setattr(match_facts, "FACTS_BUDGET", 1)
    with queries._connect(engine) as conn:
        a = textsearch.exact_matches(conn, WORD)
        b = textsearch.exact_matches(conn, "сообщение")
        assert a and b
        fa = match_facts.facts_for(conn, a)
        match_facts.facts_for(conn, b)
        assert match_facts.facts_for(conn, a) is not fa  # pushed out, read again
    assert fa is not None and fa.size > 1


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("relevant_only", [False, True])
def test_a_search_page_by_date_is_the_same_from_the_facts(
    store: Any, monkeypatch: pytest.MonkeyPatch, descending: bool, relevant_only: bool
) -> None:
    engine, feeds = store

    def pages() -> list[Any]:
        out = []
        for f in _filters(feeds):
            for offset in (0, 3, 25):
                page = queries.items_page(
                    engine,
                    f,
                    offset=offset,
                    limit=7,
                    descending=descending,
                    relevant_only=relevant_only,
                )
                out.append((page.total, [r.id for r in page.rows]))
        return out

    from_facts = pages()
    monkeypatch.setattr(match_facts, "facts_for", lambda conn, matches: None)
    assert pages() == from_facts
    assert sum(len(ids) for _, ids in from_facts) > 40


def test_queries_side_by_side_read_the_facts_once(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = store
    reads: list[int] = []
    real = match_facts._parse

    def slow_read(*args: Any) -> Any:
        reads.append(1)
        time.sleep(0.2)  # long enough for the other threads to arrive and wait
        return real(*args)

    monkeypatch.setattr(match_facts, "_parse", slow_read)
    f = Filters(q=WORD)
    results: list[Any] = []

    def view_query() -> None:
        results.append(queries.totals(engine, f))

    threads = [threading.Thread(target=view_query) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(results) == 4 and len(set(results)) == 1
    assert reads == [1]


def test_an_older_store_gains_the_counted_version(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    with engine.begin() as conn:  # as migration 13 left it
        conn.exec_driver_sql("DROP TRIGGER items_text_version_ac")
        conn.exec_driver_sql("ALTER TABLE items_text_version DROP COLUMN counted")
    with engine.begin() as conn:
        migrations._counted_changes(conn)
        migrations._counted_changes(conn)  # idempotent
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    with engine.begin() as conn:
        (item_id,) = write.insert_items(conn, feed, [make_item("Алматы")], lexicon_version="v1")
    with queries._connect(engine) as conn:
        before = textsearch.counted_version(conn)
    with engine.begin() as conn:
        write.replace_tags_many(conn, [(item_id, Tags(relevant=False))], "v2")
    with queries._connect(engine) as conn:
        after = textsearch.counted_version(conn)
    assert before is not None and after is not None
    assert after[1] == before[1] and after[2] > before[2]  # text unchanged, counts moved
    engine.dispose()


def test_only_an_engine_that_asks_counts_searches_from_facts(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest's detection and the CLI ask once per word and version: plain SQL for them
    (reading the facts would cost more, and they do not load numpy for it)."""
    engine, _ = store
    f = Filters(q=WORD, categories=("cyber_threats",))
    expected = queries.counts_by(engine, f, "region")

    def refuse(*args: Any) -> Any:
        raise AssertionError("facts read through a plain engine")

    monkeypatch.setattr(match_facts, "facts_for", refuse)
    plain = make_engine(str(engine.url))
    assert queries.counts_by(plain, f, "region") == expected
    assert queries.items_page(plain, f, limit=3).total == queries.totals(plain, f).items
    plain.dispose()


def test_a_commit_while_the_facts_are_read_leaves_none_kept(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retag that commits after the version was read, before the rows are, must make
    this read count for nothing."""
    engine, _ = store
    with queries._connect(engine) as conn:
        kept = textsearch.exact_matches(conn, WORD)
        assert kept is not None
    real = match_facts._aggregates
    commits: list[int] = []

    def retag_first(rows: Any) -> Any:  # called as the read's statement is built
        if not commits:
            commits.append(1)
            with engine.begin() as conn:
                write.replace_tags_many(
                    conn, [(int(kept[1:].split(",")[0]), Tags(relevant=False))], "v9"
                )
        return real(rows)

    monkeypatch.setattr(match_facts, "_aggregates", retag_first)
    with queries._connect(engine) as conn:
        assert match_facts.facts_for(conn, kept) is None
        fresh = match_facts.facts_for(conn, kept)  # nothing committed since: read and kept
        assert fresh is not None and match_facts.facts_for(conn, kept) is fresh
    assert commits == [1]
    f = Filters(q=WORD)
    with queries._connect(engine) as conn:
        plan = queries.text_plan(conn, f)
        row = conn.execute(
            queries._aggregate(f, [], ["items", "relevant", "stories"], text_plan=plan)
        ).one()
    assert _count(engine, f) == (int(row[0]), int(row[1] or 0), int(row[2] or 0))


def _same_facts(a: match_facts.MatchFacts, b: match_facts.MatchFacts) -> None:
    import numpy as np

    for name in ("ids", "published", "day", "feed", "relevant", "starts"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert [a.langs[i] for i in a.lang] == [b.langs[i] for i in b.lang]  # codes may differ
    for axis, pairs in a.axes.items():
        other = b.axes[axis]
        assert pairs.values == other.values and np.array_equal(pairs.start, other.start)
        assert np.array_equal(pairs.codes, other.codes), axis


@pytest.mark.parametrize("split_from", [1, 10**9], ids=["two halves", "one statement"])
@pytest.mark.parametrize("word", [WORD, "Текст 1"], ids=["everywhere", "only early items"])
def test_facts_read_with_the_matches_equal_a_read_of_their_own(
    store: Any, monkeypatch: pytest.MonkeyPatch, split_from: int, word: str
) -> None:
    """A dashboard's first search reads the facts in the statements that find the
    matches (each half of the ids on its own connection); they must be the facts a
    read of their own gives, kept under the version those statements saw."""
    engine, _ = store
    monkeypatch.setattr(textsearch, "SPLIT_FROM_IDS", split_from)
    with queries._connect(engine) as conn:
        plan = queries.text_plan(conn, Filters(q=word))  # through the facts engine
        assert plan.matches is not None
        monkeypatch.setattr(match_facts, "_read", lambda *a: pytest.fail("read again"))
        fused = match_facts.facts_for(conn, plan.matches)
        monkeypatch.undo()
        state = textsearch.counted_version(conn)
        assert fused is not None and state is not None
        alone = match_facts._read(conn, plan.matches, state)
    assert alone is not None and alone.size == len(json.loads(plan.matches)) > 0
    _same_facts(fused, alone)
    if word != WORD:
        assert max(alone.ids) < 30  # the upper half found nothing


def test_a_time_the_store_did_not_write_is_read_alike(store: Any) -> None:
    """Times are read in place when every one has the stored width; one written by hand
    (no fraction of a second) takes the slower way, with the same answers."""
    engine, _ = store
    f = Filters(q=WORD)
    with queries._connect(engine) as conn:
        first = int(json.loads(textsearch.exact_matches(conn, WORD) or "[]")[0])
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE items SET published_at = '2024-03-20 10:00:00', published_day = '2024-03-20'"
            f" WHERE id = {first}"
        )
    for group in (["day"], ["day", "category"]):
        in_memory, in_sql = _both(engine, f, group, ["items", "stories"])
        assert in_memory == in_sql
    with queries._connect(engine) as conn:
        kept = textsearch.exact_matches(conn, WORD)
        facts = match_facts.facts_for(conn, kept or "")
    assert facts is not None
    at = int(facts.published[list(facts.ids).index(first)])
    assert at == int(datetime(2024, 3, 20, 10, tzinfo=UTC).timestamp() * 1_000_000)
    newest = queries.items_page(engine, f, limit=1).rows[0].id
    assert newest == first
