"""Methods over time: the `method_counts` summary against a brute-force recount of the records.

Generated items carry random methods, categories, regions, languages, feeds
and stories; for many filter combinations the chart's numbers must equal what
a plain Python loop over the stored records gives, and the text-search path
(which reads the items instead of the summary) must agree with it too.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text

from indicators.models import Match
from indicators.selection import Filters
from indicators.store import summary, write
from indicators.store.engine import make_engine
from indicators.store.method_trends import method_months
from indicators.store.migrations import upgrade
from indicators.taxonomy import METHOD_IDS
from tests.factories import T0, make_item

CATS = ("terrorist_activity", "tactics_methods", "cyber_threats")
REGIONS = ("KZ-75", "KZ-79", "KG")


def _module_db_url(request: pytest.FixtureRequest, tmp: pytest.TempPathFactory) -> str:
    """One database for the module's generated store, on the backend of the parameter."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp.mktemp('mt') / 'm.db'}"
    server = request.getfixturevalue("pg_server_url")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE method_trends"))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/method_trends"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    engine = make_engine(_module_db_url(request, tmp_path_factory))
    upgrade(engine)
    feeds = write.upsert_feeds(
        engine, [write.FeedFields(url=f"https://f{i}.kz/rss", name=f"F{i}") for i in range(2)]
    )
    rng = random.Random(5)
    records = []
    for n in range(160):
        cats = tuple(sorted(rng.sample(CATS, rng.randint(0, 2))))
        methods = tuple(sorted(rng.sample(METHOD_IDS[:5], rng.randint(0, 2)))) if cats else ()
        base = make_item(
            f"item {n} " + " ".join(methods),
            published_at=T0 + timedelta(days=rng.randint(0, 75), hours=rng.randint(0, 23)),
            lang=rng.choice(("ru", "kk", "en")),
            categories=cats,
            regions=tuple(sorted(rng.sample(REGIONS, rng.randint(0, 1)))),
            story_key=f"s{rng.randint(0, 120)}",
        )
        extra = tuple(Match("method", m, "w", 0, 1) for m in methods)
        tags = replace(base.tags, methods=methods, matches=base.tags.matches + extra)
        records.append((rng.choice(feeds), replace(base, tags=tags)))
    first: dict[str, int] = {}
    kept = []
    for feed, record in records:

        def story(item_id: int, item: object) -> int:
            return first.setdefault(getattr(item, "story_key", ""), item_id)

        with engine.begin() as conn:
            ids = write.insert_items(conn, feed, [record], lexicon_version="v", assign_story=story)
        if ids:
            kept.append((ids[0], feed, record, first[record.story_key] == ids[0]))
    yield engine, kept
    engine.dispose()


def brute_force(kept, f: Filters) -> dict[tuple[date, str], tuple[int, int]]:
    counts: Counter[tuple[date, str]] = Counter()
    totals: Counter[date] = Counter()
    for _id, feed, r, starts in kept:
        day = r.published_at.date()
        if not (r.tags.relevant and starts and r.tags.methods):
            continue
        if (f.date_from and day < f.date_from) or (f.date_to and day > f.date_to):
            continue
        if f.langs and r.lang not in f.langs:
            continue
        if f.categories and not set(f.categories) & set(r.tags.categories):
            continue
        if f.regions and not set(f.regions) & set(r.tags.regions):
            continue
        if f.sources and feed not in f.sources:
            continue
        month = day.replace(day=1)
        totals[month] += 1
        for m in r.tags.methods:
            counts[(month, m)] += 1
    return {key: (n, totals[key[0]]) for key, n in counts.items()}


FILTERS = [
    Filters(),
    Filters(T0.date() + timedelta(days=20), T0.date() + timedelta(days=50)),
    Filters(categories=("cyber_threats",)),
    Filters(categories=("terrorist_activity", "tactics_methods"), regions=("KZ-75",)),
    Filters(regions=("KG", "KZ-79"), langs=("ru", "en")),
    Filters(langs=("kk",), categories=("tactics_methods",)),
]


@pytest.mark.parametrize("f", FILTERS)
def test_the_chart_counts_equal_a_recount_of_the_stored_records(store, f: Filters) -> None:
    engine, kept = store
    got = {(m.month, m.method): (m.stories, m.with_method) for m in method_months(engine, f)}
    assert got == brute_force(kept, f)
    assert got  # the generated store has methods in every selection tested


def test_sources_filter_the_summary_too(store) -> None:
    engine, kept = store
    feed = kept[0][1]
    got = {
        (m.month, m.method): (m.stories, m.with_method)
        for m in method_months(engine, Filters(sources=(feed,)))
    }
    assert got == brute_force(kept, Filters(sources=(feed,)))


def test_a_text_search_reads_the_items_and_agrees(store) -> None:
    """ "item" is in every title: the items path must give the summary's numbers."""
    engine, _kept = store
    for f in FILTERS:
        via_items = method_months(engine, replace(f, q="item"))
        assert via_items == method_months(engine, f)


def test_the_method_summary_is_exact_and_rebuilds_identically(store) -> None:
    engine: Engine = store[0]
    with engine.connect() as conn:
        before = summary.stored_methods(conn)
        assert before == summary.recount_methods(conn)
    summary.rebuild(engine)
    with engine.connect() as conn:
        assert summary.stored_methods(conn) == before


def test_a_filter_reads_the_smallest_method_projection_that_holds_it() -> None:
    from indicators.store.summary import FULL_PROJECTION, method_projection, projection

    assert method_projection(0) == 0
    assert method_projection(projection(["category"])) == projection(["category"])
    assert method_projection(projection(["region"])) == projection(["region"])
    both = projection(["category", "region"])
    assert method_projection(both) == both
    assert method_projection(projection(["platform"])) == FULL_PROJECTION
    assert method_projection(projection(["category", "source"])) == FULL_PROJECTION
