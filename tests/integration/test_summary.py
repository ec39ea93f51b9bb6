"""The exact summary tables stay equal to a brute-force recount of the stored items.

After inserts (one by one and in bulk), after a retag, after a feed is
removed, after a migration of a database that already had items, and for
random tag combinations (Hypothesis). Also the synthetic history that feeds
the demo and the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, literal_column, select

from indicators.models import ItemRecord, Tags, tagged_text
from indicators.selection import Filters
from indicators.store import queries, summary, write
from indicators.store.engine import make_engine
from indicators.store.migrations import LATEST_VERSION, MIGRATIONS, upgrade
from indicators.store.schema import item_tags, items, metadata, schema_migrations, tag_counts
from tests.factories import T0, make_item
from tests.store_state import stored_state
from threatmon.demo_history import DEMO_FEEDS, generate_items, populate, synthetic_items


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An initialized store on each backend: the summaries must be exact on both."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def feeds(engine: Engine, n: int = 2) -> list[int]:
    return write.upsert_feeds(
        engine, [write.FeedFields(url=f"https://f{i}.example/rss", name=f"F{i}") for i in range(n)]
    )


def assert_summary_exact(engine: Engine) -> None:
    with engine.connect() as conn:
        assert summary.stored(conn) == summary.recount(conn)
        assert summary.stored_methods(conn) == summary.recount_methods(conn)
        assert summary.combos_are_complete(conn)
        assert summary.day_spans_are_exact(conn)


def store(engine: Engine, feed_id: int, *records: ItemRecord) -> list[int]:
    with engine.begin() as conn:
        return write.insert_items(conn, feed_id, list(records), lexicon_version="v1")


def version_one_database(engine: Engine) -> None:
    """A database as threatmon's first schema left it: no summary, no text index."""
    with engine.begin() as conn:
        MIGRATIONS[0].apply(conn)
        for name in ("tag_counts", "combo_members", "tag_combos", "item_days", "items_fts"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        for trigger in ("items_fts_ai", "items_fts_ad", "items_fts_au"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.execute(
            schema_migrations.insert(), {"version": 1, "name": "initial", "applied_at": T0}
        )


def test_every_item_is_counted_once_in_every_projection(engine: Engine) -> None:
    (feed,) = feeds(engine, 1)
    store(
        engine,
        feed,
        make_item(
            "Теракт в Алматы", categories=("terrorist_activity",), regions=("KZ-75", "KZ-19")
        ),
        make_item("DDoS on banks", lang="en", categories=("cyber_threats",), platforms=("x",)),
        make_item("Погода", regions=("KZ-71",)),
    )
    assert_summary_exact(engine)
    with engine.connect() as conn:
        per_projection = conn.execute(
            select(summary.tag_combos.c.proj, func.sum(tag_counts.c["items"]))
            .join(tag_counts, tag_counts.c.combo_id == summary.tag_combos.c.id)
            .group_by(summary.tag_combos.c.proj)
        ).all()
    assert dict(per_projection) == {proj: 3 for proj in summary.ALL_PROJECTIONS}


def test_duplicates_are_not_counted(engine: Engine) -> None:
    (feed,) = feeds(engine, 1)
    item = make_item("Одно и то же", guid="g1", categories=("counter_measures",))
    assert len(store(engine, feed, item)) == 1
    assert store(engine, feed, item) == []
    assert queries.totals(engine, Filters()).items == 1
    assert_summary_exact(engine)


def test_many_alike_items_in_one_batch_count_as_many(engine: Engine) -> None:
    """A feed's items with the same tags, day and language are added up before counting."""
    (feed,) = feeds(engine, 1)
    alike = [make_item(f"Новость {i}", categories=("counter_measures",)) for i in range(40)]
    other = [make_item(f"Другая {i}", lang="kk") for i in range(7)]
    store(engine, feed, *alike, *other)
    assert_summary_exact(engine)
    counter = Filters(categories=("counter_measures",))
    assert queries.totals(engine, counter).items == 40
    assert queries.totals(engine, Filters()).items == 47


def test_retag_moves_the_counts(engine: Engine) -> None:
    a, b = feeds(engine)
    ids = store(
        engine,
        a,
        make_item("Первый", categories=("cyber_threats",), regions=("KZ-75",)),
        make_item("Второй", categories=("cyber_threats",), regions=("KZ-75", "KZ-79")),
    )
    store(engine, b, make_item("Третий", regions=("KZ-79",)))
    f = Filters(categories=("cyber_threats",))
    assert queries.totals(engine, f).items == 2
    with engine.begin() as conn:
        write.replace_tags(conn, ids[0], Tags(relevant=False, regions=("KZ-71",)), "v2")
        write.replace_tags(
            conn, ids[1], Tags(True, ("terrorist_activity",), ("KZ-79",), ("telegram",)), "v2"
        )
    assert_summary_exact(engine)
    assert queries.totals(engine, f).items == 0
    assert queries.totals(engine, Filters()) == queries.Totals(items=3, relevant=1, stories=3)
    assert dict(queries.counts_by(engine, Filters(), "region")) == {"KZ-71": 1, "KZ-79": 2}
    assert dict(queries.counts_by(engine, Filters(regions=("KZ-79",)), "platform")) == {
        "telegram": 1
    }


def test_a_batch_retag_leaves_the_same_store_as_retagging_one_item_at_a_time(
    tmp_path: Path,
) -> None:
    """`threatmon retag` writes a batch at once; the result must not depend on that."""
    records = [
        make_item("Теракт в Шымкенте", categories=("terrorist_activity",), regions=("KZ-79",)),
        make_item("Курс тенге вырос"),
        make_item(
            "Вербовка в Telegram", categories=("extremist_ideology",), platforms=("telegram",)
        ),
        make_item("Погода в Астане", regions=("KZ-71",)),
    ]
    verdicts = [
        Tags(False, (), ("KZ-79",)),  # relevant -> ordinary: loses its terms
        Tags(True, ("cyber_threats",), ("KZ-75",), (), (), ("killnet",)),  # becomes relevant
        Tags(True, ("extremist_ideology", "counter_measures"), (), ("telegram", "tiktok")),
        Tags(False, (), ("KZ-71",)),  # unchanged
    ]
    engines = [make_engine(f"sqlite:///{tmp_path / name}.db") for name in ("one", "batch")]
    for engine in engines:
        upgrade(engine)
        (feed,) = feeds(engine, 1)
        ids = store(engine, feed, *records)
    one, batch = engines
    with one.begin() as conn:
        for item_id, tags in zip(ids, verdicts, strict=True):
            write.replace_tags(conn, item_id, tags, "v2")
    with batch.begin() as conn:
        write.replace_tags_many(conn, list(zip(ids, verdicts, strict=True)), "v2")
    assert stored_state(batch) == stored_state(one)
    relevant, tags_rows, term_rows = stored_state(batch)
    assert [r.relevant for r in relevant] == [False, True, True, False]
    assert {r.item_id for r in term_rows} == {ids[1], ids[2]}
    assert ("actor", "killnet") in {(r.axis, r.value) for r in tags_rows}
    summaries = []
    for engine in engines:
        assert_summary_exact(engine)
        with engine.connect() as conn:
            summaries.append(summary.stored(conn))
        engine.dispose()
    assert summaries[0] == summaries[1]


def test_method_tags_are_stored_with_their_evidence_but_never_counted_as_an_axis(
    engine: Engine,
) -> None:
    """Methods are no filter axis: the summary and its projections ignore them."""
    from indicators.models import Match

    (feed,) = feeds(engine, 1)
    tags = Tags(
        True,
        ("tactics_methods",),
        ("KZ-79",),
        matches=(
            Match("category", "tactics_methods", "сву", 0, 3),
            Match("method", "explosives_ied", "сву", 0, 3),
        ),
        methods=("explosives_ied",),
    )
    record = make_item("СВУ в Шымкенте")
    (item_id,) = store(engine, feed, replace(record, tags=tags))
    assert_summary_exact(engine)
    with engine.connect() as conn:
        # in each of the method projections: none, category, region, both, all axes
        assert len(summary.METHOD_PROJECTIONS) == 5
        assert sorted(m for (_c, _d, _l, m) in summary.stored_methods(conn)) == (
            ["*"] * 5 + ["explosives_ied"] * 5
        )
    (view,) = queries.items_page(engine, Filters()).rows
    assert [(e.value, e.terms) for e in view.tags["method"]] == [
        ("explosives_ied", [{"term": "сву", "start": 0, "end": 3}])
    ]
    assert dict(queries.counts_by(engine, Filters(), "category")) == {"tactics_methods": 1}
    with engine.begin() as conn:
        write.replace_tags(conn, item_id, replace(tags, methods=(), matches=tags.matches[:1]), "v2")
    assert_summary_exact(engine)
    assert "method" not in queries.items_page(engine, Filters()).rows[0].tags
    with engine.connect() as conn:
        assert summary.stored_methods(conn) == {}  # counted, then removed with the tag


def test_a_retag_rewrites_only_the_tags_that_change(engine: Engine) -> None:
    """Same verdict: rows untouched, version moved; new evidence or values: rows rewritten."""
    from indicators.models import Match

    (feed,) = feeds(engine, 1)
    ids = store(
        engine,
        feed,
        make_item("Теракт в Актобе", categories=("terrorist_activity",), regions=("KZ-15",)),
        make_item("Кибератака на банк", categories=("cyber_threats",)),
        make_item("Курс тенге", regions=("KZ",)),
        make_item("Взрыв газа", regions=("KZ-75",)),  # not retagged: keeps the newest rowids
    )

    def rows() -> dict[tuple[int, str, str], tuple[int, str]]:
        with engine.connect() as conn:
            found = conn.execute(
                select(
                    item_tags.c.item_id,
                    item_tags.c.axis,
                    item_tags.c.value,
                    item_tags.c.terms,
                    literal_column("rowid") if engine.dialect.name == "sqlite" else func.now(),
                )
            ).all()
        return {(i, a, v): (r, t) for i, a, v, t, r in found}

    first = rows()
    same = Tags(
        True,
        ("terrorist_activity",),
        ("KZ-15",),
        matches=(
            Match("category", "terrorist_activity", "теракт", 0, 6),
            Match("region", "KZ-15", "теракт", 0, 6),
        ),
    )
    moved_evidence = Tags(
        True, ("cyber_threats",), matches=(Match("category", "cyber_threats", "кибератака", 0, 10),)
    )
    new_value = Tags(
        True,
        ("counter_measures",),
        ("KZ",),
        matches=(
            Match("category", "counter_measures", "курс", 0, 4),
            Match("region", "KZ", "курс", 0, 4),
        ),
    )
    with engine.begin() as conn:
        write.replace_tags_many(
            conn, list(zip(ids[:3], (same, moved_evidence, new_value), strict=True)), "v2"
        )
    after = rows()
    if engine.dialect.name == "sqlite":  # the unchanged item's rows were not rewritten
        assert (
            after[(ids[0], "category", "terrorist_activity")]
            == first[(ids[0], "category", "terrorist_activity")]
        )
        assert after[(ids[0], "region", "KZ-15")] == first[(ids[0], "region", "KZ-15")]
    assert '"кибератака"' in after[(ids[1], "category", "cyber_threats")][1]
    assert (ids[2], "category", "counter_measures") in after
    with engine.connect() as conn:
        versions = conn.execute(
            select(items.c.lexicon_version, items.c.relevant).order_by(items.c.id)
        ).all()
    assert versions == [("v2", True)] * 3 + [("v1", False)]
    assert_summary_exact(engine)


def test_a_retag_rolled_back_leaves_the_summary_as_it_was(engine: Engine) -> None:
    (feed,) = feeds(engine, 1)
    (item_id,) = store(engine, feed, make_item("Теракт", categories=("terrorist_activity",)))
    with engine.connect() as conn:
        before = summary.stored(conn)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        write.replace_tags(conn, item_id, Tags(True, ("cyber_threats",)), "v2")
        raise RuntimeError("crash in the middle of a retag")
    with engine.connect() as conn:
        assert summary.stored(conn) == before
    assert_summary_exact(engine)


def test_removing_a_feed_moves_its_items_out_of_the_source_axis(engine: Engine) -> None:
    a, b = feeds(engine)
    store(engine, a, make_item("A1", categories=("cyber_threats",)), make_item("A2"))
    store(engine, b, make_item("B1", categories=("cyber_threats",)))
    assert dict(queries.counts_by(engine, Filters(), "source")) == {str(a): 2, str(b): 1}
    write.remove_feed(engine, a)
    assert_summary_exact(engine)
    assert dict(queries.counts_by(engine, Filters(), "source")) == {str(b): 1}
    assert queries.totals(engine, Filters(categories=("cyber_threats",))).items == 2


def test_stories_count_the_items_that_start_one(engine: Engine) -> None:
    (feed,) = feeds(engine, 1)
    first: list[int] = []

    def story(item_id: int, _item: object) -> int:
        first.append(item_id)
        return first[0]

    with engine.begin() as conn:
        write.insert_items(
            conn,
            feed,
            [make_item(f"Сюжет {i}", categories=("counter_measures",)) for i in range(3)],
            lexicon_version="v1",
            assign_story=story,
        )
    assert queries.totals(engine, Filters()) == queries.Totals(items=3, relevant=3, stories=1)
    assert_summary_exact(engine)


def test_migrating_a_database_with_items_fills_the_summary(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    version_one_database(engine)
    with engine.begin() as conn:  # items stored before the summary existed
        feed = write.upsert_feed(conn, write.FeedFields(url="https://x/rss", name="X"))
        for i, region in enumerate(("KZ-75", "KZ-19", "KZ-75")):
            conn.execute(
                items.insert(),
                {
                    "feed_id": feed,
                    "title": f"Старый {i}",
                    "summary": "Взрыв",
                    "lang": "ru",
                    "published_at": T0,
                    "published_day": T0.date(),
                    "fetched_at": T0,
                    "content_hash": str(i),
                    "story_id": None,
                    "relevant": True,
                },
            )
            conn.execute(
                item_tags.insert(),
                [
                    {"item_id": i + 1, "axis": "region", "value": region, "terms": "[]"},
                    {
                        "item_id": i + 1,
                        "axis": "category",
                        "value": "tactics_methods",
                        "terms": "[]",
                    },
                ],
            )
    assert upgrade(engine) == (1, LATEST_VERSION)
    assert_summary_exact(engine)
    assert queries.totals(engine, Filters(regions=("KZ-75", "KZ-19"))).items == 3
    assert queries.totals(engine, Filters(q="взрыв")).items == 3  # text index filled too
    assert queries.totals(engine, Filters(q="ВЗРЫВ", regions=("KZ-19",))).items == 1


def test_a_fresh_database_and_a_migrated_one_have_the_same_tables(tmp_path: Path) -> None:
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(fresh)
    migrated = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    version_one_database(migrated)
    upgrade(migrated)

    def objects(engine: Engine) -> set[tuple[str, str]]:
        with engine.connect() as conn:
            return set(conn.exec_driver_sql("SELECT type, name FROM sqlite_master").all())

    assert objects(fresh) == objects(migrated)
    assert {"tag_counts", "tag_combos", "combo_members", "item_days"} <= set(metadata.tables)


def test_rebuild_recomputes_a_damaged_summary(engine: Engine) -> None:
    (feed,) = feeds(engine, 1)
    store(engine, feed, make_item("Теракт", categories=("terrorist_activity",)))
    with engine.begin() as conn:
        conn.execute(tag_counts.update().values(items=tag_counts.c["items"] + 5))
    assert not summary.verify(engine)
    assert summary.rebuild(engine) == 1
    assert summary.verify(engine)


def test_a_hash_collision_is_refused_not_merged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    (feed,) = feeds(engine, 1)
    store(engine, feed, make_item("Первый", categories=("cyber_threats",)))
    summary._combos_for.cache_clear()
    summary._combo.cache_clear()
    monkeypatch.setattr(summary, "combo_id", lambda proj, sig: 42 + proj)
    try:
        store(engine, feed, make_item("Третий", categories=("cyber_threats",)))  # ids 42..57
        with pytest.raises(summary.SummaryError, match="collision"):
            store(engine, feed, make_item("Второй", regions=("KZ-75",)))
    finally:
        summary._combos_for.cache_clear()
        summary._combo.cache_clear()


TAG_VALUES = {
    "category": ("terrorist_activity", "cyber_threats", "counter_measures"),
    "region": ("KZ-75", "KZ-19", "KZ", "KG"),
    "platform": ("telegram", "tiktok"),
}
item_tags_strategy = st.fixed_dictionaries(
    {axis: st.sets(st.sampled_from(values), max_size=3) for axis, values in TAG_VALUES.items()}
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batch=st.lists(
        st.tuples(
            item_tags_strategy,
            st.integers(0, 9),
            st.sampled_from(["ru", "kk", "en"]),
            st.integers(0, 1),
        ),
        min_size=1,
        max_size=12,
    ),
    retag=st.lists(st.tuples(st.integers(0, 11), item_tags_strategy), max_size=4),
)
def test_summary_equals_a_recount_for_random_items(
    tmp_path_factory: pytest.TempPathFactory,
    batch: list[tuple[dict[str, set[str]], int, str, int]],
    retag: list[tuple[int, dict[str, set[str]]]],
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 's.db'}")
    upgrade(engine)
    ids = feeds(engine)
    stored_ids: list[int] = []
    for n, (tags, day, lang, feed) in enumerate(batch):
        record = make_item(
            f"item {n}",
            lang=lang,
            published_at=T0 + timedelta(days=day),
            categories=tuple(sorted(tags["category"])),
            regions=tuple(sorted(tags["region"])),
            platforms=tuple(sorted(tags["platform"])),
        )
        stored_ids += store(engine, ids[feed], record)
    with engine.begin() as conn:
        for index, tags in retag:
            if index < len(stored_ids):
                new = Tags(bool(tags["category"]), *(tuple(sorted(tags[a])) for a in TAG_VALUES))
                write.replace_tags(conn, stored_ids[index], new, "v2")
    assert_summary_exact(engine)
    engine.dispose()


# --- synthetic history ------------------------------------------------------------------


def test_generated_items_are_seeded_multilingual_news() -> None:
    first = list(generate_items(300, days=10, seed=4, end=date(2026, 11, 20)))
    assert first == list(generate_items(300, days=10, seed=4, end=date(2026, 11, 20)))
    assert first != list(generate_items(300, days=10, seed=5, end=date(2026, 11, 20)))
    assert {lang for _t, _s, lang in first} == {"ru", "kk", "en"}
    assert all(title and len(summary_) > 60 for title, summary_, _l in first)


def test_generated_labels_point_at_their_terms() -> None:
    generated = list(synthetic_items(2000, days=30, seed=1, end=date(2026, 11, 20)))
    days = {i.published_at.date() for i in generated}
    assert min(days) == date(2026, 10, 22) and max(days) == date(2026, 11, 20)
    relevant = [i for i in generated if i.tags.relevant]
    assert 0.2 < len(relevant) / len(generated) < 0.6  # threats mixed with ordinary news
    assert {c for i in relevant for c in i.tags.categories} == set(summary_categories())
    for item in generated:
        text = tagged_text(item.title, item.summary)
        for m in item.tags.matches:
            assert text[m.start : m.end] == m.term
            assert m.id in item.tags.values(m.axis)
        if item.repeats is not None:
            original = generated[item.repeats]
            assert (item.title, item.tags) == (original.title, original.tags)
            assert item.published_at >= original.published_at


def summary_categories() -> tuple[str, ...]:
    from indicators.taxonomy import CATEGORY_IDS

    return CATEGORY_IDS


def test_populate_stores_a_history_once_with_stories(engine: Engine) -> None:
    end = date(2026, 11, 20)
    added = populate(engine, 1500, days=20, seed=3, end=end, batch_size=400)
    assert added == 1500
    assert populate(engine, 1500, days=20, seed=3, end=end, batch_size=400) == 0
    totals = queries.totals(engine, Filters())
    assert totals.items == 1500
    assert 0 < totals.stories < totals.items  # re-reports join their story
    assert queries.date_bounds(engine) == (end - timedelta(days=19), end)
    assert {name for _id, name in queries.sources(engine)} == {f.name for f in DEMO_FEEDS}
    assert_summary_exact(engine)
    with engine.connect() as conn:
        orphans = conn.execute(
            select(func.count()).select_from(items).where(items.c.story_id.is_(None))
        ).scalar_one()
    assert orphans == 0


def test_populate_runs_items_through_the_given_tagger(engine: Engine) -> None:
    seen: list[str] = []

    def tagger(title: str, summary_: str, lang: str) -> Tags:
        seen.append(lang)
        return Tags(True, ("counter_measures",), ("KZ-71",))

    populate(
        engine,
        50,
        days=2,
        seed=1,
        end=date(2026, 11, 20),
        tagger=tagger,
        lexicon_version="lex-test",
    )
    assert len(seen) == 50
    assert dict(queries.counts_by(engine, Filters(), "category")) == {"counter_measures": 50}
    with engine.connect() as conn:
        versions = set(conn.execute(select(items.c.lexicon_version)).scalars())
    assert versions == {"lex-test"}


def test_populate_with_the_real_tagger(engine: Engine) -> None:
    lexicon = pytest.importorskip("indicators.lexicon")
    tagger_module = pytest.importorskip("indicators.tagger")
    compiled = lexicon.load_compiled(Path(__file__).resolve().parents[2] / "data")
    populate(
        engine,
        300,
        days=5,
        seed=2,
        end=date(2026, 11, 20),
        tagger=lambda t, s, lang: tagger_module.tag(t, s, compiled, lang),
        lexicon_version=compiled.version,
    )
    assert queries.totals(engine, Filters()).relevant > 0
    assert queries.counts_by(engine, Filters(), "region")
    assert_summary_exact(engine)


def test_queries_on_a_generated_history_match_the_items_path(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary answers exactly what a GROUP BY over the items answers."""
    populate(engine, 800, days=14, seed=9, end=date(2026, 11, 20))
    cases = [
        Filters(),
        Filters(date(2026, 11, 10), date(2026, 11, 20), regions=("KZ-75", "KZ-71", "KZ")),
        Filters(categories=("cyber_threats", "terrorist_activity"), platforms=("telegram",)),
        Filters(langs=("kk",), categories=("counter_measures",)),
        Filters(sources=(1, 4), regions=("KZ-79",)),
    ]

    def answers() -> list[object]:
        out: list[object] = []
        for f in cases:
            out.append(queries.totals(engine, f))
            out += [queries.counts_by(engine, f, axis) for axis in queries.AXES]
            out.append(queries.series(engine, f, "category", "week", "stories"))
            out.append(queries.cross_counts(engine, f, "region", "category"))
            out.append(queries.volume_series(engine, f))
        return out

    from_summary = answers()
    monkeypatch.setattr(queries, "_summary_aggregate", queries._items_aggregate)
    assert answers() == from_summary
