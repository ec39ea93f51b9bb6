"""Dashboard queries against a real SQLite store filled with known items.

Every number a query returns is compared with a plain-Python recount of the
fixture items (tests/fixtures/dashboard/known_items.yaml), for many filter
combinations; a few tricky cases are also pinned to literal numbers.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, text

from indicators.models import ItemRecord, Match, Tags, tagged_text
from indicators.selection import Filters
from indicators.store import conditions, queries, textsearch
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.write import FeedFields, insert_items, upsert_feeds

FIXTURE = Path(__file__).parent.parent / "fixtures" / "dashboard" / "known_items.yaml"
CURRENT = (date(2024, 3, 8), date(2024, 3, 14))


@dataclass(frozen=True)
class Known:
    """One fixture item as stored, for the Python recount."""

    id: int
    key: str
    feed_id: int
    day: date
    published_at: datetime
    lang: str
    title: str
    summary: str
    tags: dict[str, tuple[str, ...]]
    relevant: bool
    starts_story: bool

    def values(self, axis: str) -> tuple[str, ...]:
        if axis == "lang":
            return (self.lang,)
        if axis == "source":
            return (str(self.feed_id),)
        return self.tags.get(axis, ())


def _record(raw: dict[str, Any]) -> ItemRecord:
    title, summary = raw["title"], raw["summary"]
    text = tagged_text(title, summary)
    matches = []
    for axis, values in raw["tags"].items():
        for value, term in values.items():
            start = text.index(term)
            matches.append(Match(axis, value, term, start, start + len(term)))
    by_axis = {axis: tuple(values) for axis, values in raw["tags"].items()}
    published = datetime.fromisoformat(raw["published_at"])
    return ItemRecord(
        guid=raw["key"],
        url=f"https://example.kz/{raw['key']}",
        title=title,
        summary=summary,
        published_at=published,
        fetched_at=published,
        lang=raw["lang"],
        content_hash=raw["key"],
        tags=Tags(
            relevant=bool(by_axis.get("category")),
            categories=by_axis.get("category", ()),
            regions=by_axis.get("region", ()),
            platforms=by_axis.get("platform", ()),
            matches=tuple(matches),
        ),
    )


def load_known(engine: Engine) -> tuple[list[Known], dict[str, int]]:
    """Insert the fixture through the real writer; returns the items as stored and feed ids."""
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    ids = upsert_feeds(
        engine,
        [FeedFields(url=f["url"], name=f["name"], language=f["language"]) for f in data["feeds"]],
    )
    feed_ids = {f["key"]: i for f, i in zip(data["feeds"], ids, strict=True)}
    item_ids: dict[str, int] = {}
    known: list[Known] = []
    for raw in data["items"]:
        record = _record(raw)

        def story(item_id: int, _item: ItemRecord, raw: dict[str, Any] = raw) -> int:
            return item_ids[raw["story"]] if raw.get("story") else item_id

        with engine.begin() as conn:
            (item_id,) = insert_items(
                conn, feed_ids[raw["feed"]], [record], lexicon_version="t1", assign_story=story
            )
        item_ids[raw["key"]] = item_id
        known.append(
            Known(
                id=item_id,
                key=raw["key"],
                feed_id=feed_ids[raw["feed"]],
                day=record.published_at.astimezone(UTC).date(),
                published_at=record.published_at,
                lang=record.lang,
                title=record.title,
                summary=record.summary,
                tags={
                    axis: record.tags.values(axis) for axis in ("category", "region", "platform")
                },
                relevant=record.tags.relevant,
                starts_story=not raw.get("story"),
            )
        )
    return known, feed_ids


_pg_databases = itertools.count()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, list[Known], dict[str, int]]]:
    """The fixture items in a real store, once per backend."""
    if request.param == "postgres":
        server = request.getfixturevalue("pg_server_url")
        name = f"queries{next(_pg_databases)}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = server.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('queries') / 'known.db'}"
    engine = make_engine(url)
    upgrade(engine)
    known, feed_ids = load_known(engine)
    yield engine, known, feed_ids
    engine.dispose()


# --- the oracle: the filter semantics, spelled out in plain Python ------------------


def matches(item: Known, f: Filters) -> bool:
    if f.date_from and item.day < f.date_from:
        return False
    if f.date_to and item.day > f.date_to:
        return False
    if f.sources and item.feed_id not in f.sources:
        return False
    if f.langs and item.lang not in f.langs:
        return False
    for axis, wanted in (
        ("category", f.categories),
        ("region", f.regions),
        ("platform", f.platforms),
    ):
        if wanted and not set(wanted) & set(item.values(axis)):
            return False
    q = f.q.lower()
    return not q or q in item.title.lower() or q in item.summary.lower()


def selected(known: list[Known], f: Filters) -> list[Known]:
    return [k for k in known if matches(k, f)]


def bucket_of(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


FilterCase = Callable[[dict[str, int]], Filters]
FILTER_CASES: dict[str, FilterCase] = {
    "everything": lambda ids: Filters(),
    "current period": lambda ids: Filters(*CURRENT),
    "two regions of one item": lambda ids: Filters(*CURRENT, regions=("KZ-75", "KZ-19")),
    "categories x region": lambda ids: Filters(
        *CURRENT, categories=("terrorist_activity", "cyber_threats"), regions=("KZ-75",)
    ),
    "lang and platform": lambda ids: Filters(langs=("ru", "en"), platforms=("telegram",)),
    "one source": lambda ids: Filters(*CURRENT, sources=(ids["cyber"],)),
    "two sources, open start": lambda ids: Filters(
        date_to=date(2024, 3, 10), sources=(ids["cyber"], ids["kaz"])
    ),
    "text, other case": lambda ids: Filters(q="теракт"),
    "text and category": lambda ids: Filters(
        *CURRENT, q="ALMATY", categories=("counter_measures",)
    ),
    "nothing matches": lambda ids: Filters(*CURRENT, regions=("KZ-62",)),
    "all tag axes": lambda ids: Filters(
        categories=("extremist_ideology",),
        regions=("KZ-79", "KZ-75"),
        platforms=("tiktok", "telegram"),
    ),
}


@pytest.fixture(params=["summary", "items"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on the summary tables, and again on the plain items tables."""
    if request.param == "items":
        monkeypatch.setattr(queries, "_summary_aggregate", queries._items_aggregate)
    return str(request.param)


@pytest.fixture(params=sorted(FILTER_CASES))
def case(
    request: pytest.FixtureRequest, store: Any, path: str
) -> tuple[Engine, list[Known], Filters]:
    engine, known, feed_ids = store
    return engine, known, FILTER_CASES[request.param](feed_ids)


# --- totals and counts --------------------------------------------------------------------


def test_totals_equal_the_items_put_in(case: Any) -> None:
    engine, known, f = case
    chosen = selected(known, f)
    assert queries.totals(engine, f) == queries.Totals(
        items=len(chosen),
        relevant=sum(k.relevant for k in chosen),
        stories=sum(k.starts_story for k in chosen),
    )


def test_an_item_with_two_selected_regions_counts_once(store: Any) -> None:
    engine, _known, _ids = store
    f = Filters(*CURRENT, regions=("KZ-75", "KZ-19"))
    # a1 and a2 carry both regions, a5 and a10 only KZ-75: four items, not six
    assert queries.totals(engine, f).items == 4
    by_category = dict(queries.counts_by(engine, f, "category"))
    assert by_category["terrorist_activity"] == 3  # a1, a2, a5
    # per region each item counts under every region it carries
    assert dict(queries.counts_by(engine, f, "region")) == {"KZ-75": 4, "KZ-19": 2}
    daily = queries.series(engine, f, "region", "month")
    assert [(p.id, p.count) for p in daily] == [("KZ-19", 2), ("KZ-75", 4)]


@pytest.mark.parametrize("axis", queries.AXES)
def test_counts_by_axis_equal_the_items_put_in(case: Any, axis: str) -> None:
    engine, known, f = case
    expected = Counter(v for k in selected(known, f) for v in k.values(axis))
    got = queries.counts_by(engine, f, axis)
    assert dict(got) == dict(expected)
    assert [n for _, n in got] == sorted((n for _, n in got), reverse=True)


def test_counts_are_exact_for_the_previous_period(store: Any) -> None:
    engine, known, _ids = store
    f = Filters(*CURRENT, regions=("KZ-75", "KZ-19"))
    previous = f.previous_period()
    assert (previous.date_from, previous.date_to) == (date(2024, 3, 1), date(2024, 3, 7))
    assert queries.totals(engine, previous).items == len(selected(known, previous)) == 2
    expected = Counter(v for k in selected(known, previous) for v in k.values("category"))
    assert dict(queries.counts_by(engine, previous, "category")) == dict(expected)


@pytest.mark.parametrize("granularity", queries.GRANULARITIES)
@pytest.mark.parametrize("measure", queries.MEASURES)
@pytest.mark.parametrize("axis", ["category", "region", "source"])
def test_series_equal_the_items_put_in(
    case: Any, axis: str, granularity: str, measure: str
) -> None:
    engine, known, f = case
    expected: Counter[tuple[date, str]] = Counter()
    for k in selected(known, f):
        if measure == "stories" and not k.starts_story:
            continue
        for v in k.values(axis):
            expected[(bucket_of(k.day, granularity), v)] += 1
    got = queries.series(engine, f, axis, granularity, measure)
    assert {(p.date, p.id): p.count for p in got} == dict(expected)
    assert all(p.axis == axis for p in got)
    assert [(p.date, p.id) for p in got] == sorted((p.date, p.id) for p in got)


def test_stories_count_each_story_once(store: Any) -> None:
    engine, _known, _ids = store
    # a1/a2 are one story, a10/a11 another: 11 items in the period, 9 stories
    f = Filters(*CURRENT)
    assert queries.totals(engine, f) == queries.Totals(items=11, relevant=9, stories=9)


@pytest.mark.parametrize("group", [["day"], ["category", "day"], ["category", "region", "day"]])
def test_story_counts_per_group_equal_the_stories_put_in(case: Any, group: list[str]) -> None:
    engine, known, f = case
    expected: Counter[tuple[Any, ...]] = Counter()
    for k in selected(known, f):
        if not k.starts_story:
            continue
        tag_axes = [a for a in group if a != "day"]
        combos: list[tuple[Any, ...]] = [()]
        for axis in tag_axes:
            combos = [(*c, v) for c in combos for v in k.values(axis)]
        for combo in combos:
            expected[(*combo, k.day)] += 1
    got = queries.story_counts(engine, f, group)
    assert {row[:-1]: row[-1] for row in got} == dict(expected)


@pytest.mark.parametrize("granularity", queries.GRANULARITIES)
def test_volume_counts_all_ingested_items_and_ignores_tag_filters(
    case: Any, granularity: str
) -> None:
    engine, known, f = case
    scope = Filters(f.date_from, f.date_to, langs=f.langs, sources=f.sources)
    expected = Counter(bucket_of(k.day, granularity) for k in selected(known, scope))
    assert queries.volume_series(engine, f, granularity) == sorted(expected.items())


def test_share_per_thousand_ingested_items(store: Any) -> None:
    engine, known, _ids = store
    f = Filters(*CURRENT, categories=("cyber_threats",))
    points = queries.series(engine, f, "category")
    shares = queries.shares_per_thousand(points, queries.volume_series(engine, f))
    day = date(2024, 3, 9)  # a3 and a4, both cyber, are all the items of that day
    assert [s for s in shares if s.date == day] == [
        queries.SharePoint("category", "cyber_threats", day, count=2, volume=2, per_thousand=1000.0)
    ]
    assert len(shares) == len(points)
    for share in shares:
        volume = sum(1 for k in known if k.day == share.date)
        hits = sum(1 for k in selected(known, f) if k.day == share.date)
        assert (share.count, share.volume) == (hits, volume)
        assert share.per_thousand == pytest.approx(1000.0 * hits / volume)


@pytest.mark.parametrize(
    ("axis_a", "axis_b"),
    [("region", "category"), ("platform", "category"), ("category", "source"), ("lang", "region")],
)
def test_cross_counts_equal_the_items_put_in(case: Any, axis_a: str, axis_b: str) -> None:
    engine, known, f = case
    expected = Counter(
        (a, b) for k in selected(known, f) for a in k.values(axis_a) for b in k.values(axis_b)
    )
    got = queries.cross_counts(engine, f, axis_a, axis_b)
    assert {(a, b): n for a, b, n in got} == dict(expected)


def test_unknown_axis_granularity_and_measure_are_refused(store: Any) -> None:
    engine, _known, _ids = store
    with pytest.raises(ValueError, match="axis"):
        queries.counts_by(engine, Filters(), "colour")
    with pytest.raises(ValueError, match="granularity"):
        queries.series(engine, Filters(), "category", "fortnight")
    with pytest.raises(ValueError, match="measure"):
        queries.series(engine, Filters(), "category", "day", "words")
    with pytest.raises(ValueError, match="different"):
        queries.cross_counts(engine, Filters(), "region", "region")


# --- items ----------------------------------------------------------------------------------


def test_items_page_lists_the_matching_items_newest_first(case: Any) -> None:
    engine, known, f = case
    chosen = sorted(selected(known, f), key=lambda k: (k.published_at, k.id), reverse=True)
    page = queries.items_page(engine, f, limit=4)
    assert page.total == len(chosen)
    assert [r.id for r in page.rows] == [k.id for k in chosen[:4]]
    rest = queries.items_page(engine, f, offset=4, limit=100)
    assert [r.id for r in rest.rows] == [k.id for k in chosen[4:]]


def test_items_page_carries_tags_with_evidence_spans(store: Any) -> None:
    engine, known, _ids = store
    page = queries.items_page(engine, Filters(), limit=100)
    by_id = {k.id: k for k in known}
    assert len(page.rows) == len(known)
    for row in page.rows:
        k = by_id[row.id]
        assert (row.title, row.summary, row.lang, row.relevant) == (
            k.title,
            k.summary,
            k.lang,
            k.relevant,
        )
        assert row.published_at == k.published_at
        assert row.source_id == k.feed_id and row.source_name
        assert {axis: tuple(sorted(e.value for e in ev)) for axis, ev in row.tags.items()} == {
            axis: tuple(sorted(v)) for axis, v in k.tags.items() if v
        }
        text = tagged_text(row.title, row.summary)
        for evidence in (e for ev in row.tags.values() for e in ev):
            assert evidence.terms, evidence
            for term in evidence.terms:
                assert text[term["start"] : term["end"]] == term["term"]


@pytest.mark.parametrize("sort", queries.SORTS)
@pytest.mark.parametrize("descending", [True, False])
def test_items_page_sorts_by_each_column(store: Any, sort: str, descending: bool) -> None:
    engine, _known, _ids = store
    rows = queries.items_page(engine, Filters(), limit=100, sort=sort, descending=descending).rows
    key = {
        "published_at": lambda r: r.published_at,
        "title": lambda r: r.title,
        "source": lambda r: r.source_name,
        "lang": lambda r: r.lang,
    }[sort]
    values = [key(r) for r in rows]
    assert values == sorted(values, reverse=descending)


def test_text_search_is_case_insensitive_in_cyrillic_and_literal(store: Any) -> None:
    engine, _known, _ids = store
    found = {r.title for r in queries.items_page(engine, Filters(q="теракт"), limit=50).rows}
    assert found == {"В Алматы предотвращен теракт", "ТЕРАКТ в Крокусе: реакция Казахстана"}
    assert queries.totals(engine, Filters(q="%")).items == 0  # LIKE wildcards are plain text
    assert queries.totals(engine, Filters(q="_")).items == 0
    assert queries.totals(engine, Filters(q="ddos-атака")).items == 1


TAG_CASES = [n for n, case in FILTER_CASES.items() if case({"cyber": 3, "kaz": 2}).has_tag_filter]


@pytest.mark.parametrize("plan", ["exists", "in"])
@pytest.mark.parametrize("name", TAG_CASES)
def test_both_page_plans_give_the_same_items(
    store: Any, name: str, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, known, feed_ids = store
    f = FILTER_CASES[name](feed_ids)
    driver = [axis for axis in ("category", "region", "platform") if f.selection(axis)][-1]
    monkeypatch.setattr(queries, "_choose_plan", lambda *a, **k: (plan, driver))
    chosen = sorted(selected(known, f), key=lambda k: (k.published_at, k.id), reverse=True)
    assert [r.id for r in queries.items_page(engine, f, limit=3).rows] == [k.id for k in chosen[:3]]
    by_title = queries.items_page(engine, f, limit=50, sort="title", descending=False).rows
    assert [r.title for r in by_title] == sorted(k.title for k in chosen)


def test_the_page_plan_follows_selectivity(store: Any) -> None:
    engine, _known, _ids = store
    common = Filters(*CURRENT, regions=("KZ-75",))  # 4 of 11 items in the period
    rare = Filters(*CURRENT, regions=("RU",))  # 1 item in the period
    seen: list[tuple[str, str]] = []
    original = queries._choose_plan

    def spy(*args: Any, **kwargs: Any) -> tuple[str, str]:
        seen.append(original(*args, **kwargs))
        return seen[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(queries, "_choose_plan", spy)
        # the whole period, as before `_newest_days` narrows it (tested on its own):
        # on this small store the narrowed period holds hardly more than the page
        mp.setattr(queries, "_newest_days", lambda f, _days, total, *_: (f, total))
        # newest 1 of 4 matches among 11: walking the time index reads ~3 rows,
        # the tag index 5 (KZ-75 from the period's start on, a12 included)
        queries.items_page(engine, common, limit=1)
        queries.items_page(engine, rare, limit=1)
    assert seen == [("exists", ""), ("in", "region")]


def test_newest_relevant_items(case: Any) -> None:
    engine, known, f = case
    chosen = sorted(
        (k for k in selected(known, f) if k.relevant),
        key=lambda k: (k.published_at, k.id),
        reverse=True,
    )
    page = queries.items_page(engine, f, limit=5, relevant_only=True)
    assert page.total == len(chosen)
    assert [r.id for r in page.rows] == [k.id for k in chosen[:5]]
    assert all(r.relevant for r in page.rows)


@pytest.mark.parametrize("plan", ["chosen", "tag index"])
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("relevant_only", [False, True])
def test_pages_by_date_walk_every_selected_item_in_order(
    case: Any, descending: bool, relevant_only: bool, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page is read from the days holding it (`_newest_days`; from the tag index,
    only those days' id ranges); page after page, every selected item comes once, in
    date order, from the newest or the oldest."""
    engine, known, f = case
    if plan == "tag index":
        selected_axes = [axis for axis in ("category", "region", "platform") if f.selection(axis)]
        if not selected_axes:
            pytest.skip("no tag index to read without a tag filter")
        monkeypatch.setattr(queries, "_choose_plan", lambda *a, **k: ("in", selected_axes[-1]))
    chosen = sorted(
        (k for k in selected(known, f) if k.relevant or not relevant_only),
        key=lambda k: (k.published_at, k.id),
        reverse=descending,
    )
    got: list[int] = []
    for offset in range(0, len(chosen) + 2, 2):
        page = queries.items_page(
            engine, f, offset=offset, limit=2, descending=descending, relevant_only=relevant_only
        )
        assert page.total == len(chosen)
        got += [r.id for r in page.rows]
    assert got == [k.id for k in chosen]


def test_day_ranges_hold_every_item_of_their_days(store: Any) -> None:
    """Merged, ordered id ranges; an item of one of the days lies in one of them."""
    engine, known, _ids = store
    all_days = sorted({k.day for k in known})
    for days in (all_days, all_days[::2], all_days[-1:], []):
        with engine.connect() as conn:
            ranges = conditions.day_ranges(conn, days)
        assert all(a <= b for a, b in ranges)
        assert all(ranges[i][1] + 1 < ranges[i + 1][0] for i in range(len(ranges) - 1))
        for k in known:
            if k.day in days:
                assert any(a <= k.id <= b for a, b in ranges), (k.key, ranges)
        assert bool(ranges) == bool(days)


def test_a_page_by_date_reads_only_the_days_that_hold_it() -> None:
    """The running count per day, newest first (oldest first ascending), decides one
    bound; the newest (oldest) day with any item the other."""
    d = [date(2024, 3, day) for day in (1, 2, 4, 9)]
    per_day = [(d[0], 1), (d[1], 2), (d[2], 1), (d[3], 4)]  # 8 items, in any order
    f = Filters(date_from=date(2024, 1, 1), regions=("KZ-75",))

    def days(first: date, last: date) -> Filters:
        return replace(f, date_from=first, date_to=last)

    assert queries._newest_days(f, per_day, 8, 4, True) == (days(d[3], d[3]), 4)
    assert queries._newest_days(f, per_day, 8, 5, True) == (days(d[2], d[3]), 5)
    assert queries._newest_days(f, per_day, 8, 6, True) == (days(d[1], d[3]), 7)
    # more wanted than there are: every day with any
    assert queries._newest_days(f, per_day, 8, 50, True) == (days(d[0], d[3]), 8)
    assert queries._newest_days(f, per_day, 8, 3, False) == (days(d[0], d[1]), 3)
    assert queries._newest_days(f, list(reversed(per_day)), 8, 1, False) == (days(d[0], d[0]), 1)
    # the newest day with any bounds the read although the period runs on
    sparse = [(d[0], 1), (d[1], 1)]
    assert queries._newest_days(f, sparse, 2, 10, True) == (days(d[0], d[1]), 2)
    assert queries._newest_days(f, [], 0, 3, True) == (f, 0)


@pytest.mark.parametrize("axis", ["region", "category"])
def test_newest_each_gives_every_value_its_own_newest_relevant_items(case: Any, axis: str) -> None:
    engine, known, f = case
    values = [*sorted({v for k in known for v in k.values(axis)}), "KZ-62"]  # one with none
    field = {"region": "regions", "category": "categories"}[axis]
    got = queries.newest_each(engine, f, axis, values, limit=2)
    assert list(got) == values
    for value in values:
        one = replace(f, **{field: (value,)})
        chosen = sorted(
            (k for k in selected(known, one) if k.relevant),
            key=lambda k: (k.published_at, k.id),
            reverse=True,
        )
        assert [r.id for r in got[value]] == [k.id for k in chosen[:2]], value
        assert got[value] == queries.items_page(engine, one, limit=2, relevant_only=True).rows


@pytest.mark.parametrize("axis", ["region", "category", "platform"])
def test_daily_counts_give_items_and_stories_per_value_and_day(case: Any, axis: str) -> None:
    engine, known, f = case
    expected: dict[tuple[str, date], list[int]] = {}
    for k in selected(known, f):
        for v in k.values(axis):
            counts = expected.setdefault((v, k.day), [0, 0])
            counts[0] += 1
            counts[1] += k.starts_story
    got = queries.daily_counts(engine, f, axis)
    assert {(v, d): [n, s] for v, d, n, s in got} == expected
    assert [(v, d) for v, d, _, _ in got] == sorted(expected)


@pytest.mark.parametrize(
    ("q", "keys"),
    [
        ("АЛМАТЫДА", {"a2"}),  # Kazakh Cyrillic, upper case in the query
        ("ұқк", {"a2"}),  # Kazakh letters, lower case in the query, upper in the text
        ("ddos-АТАКА", {"a3"}),
        ("ИЯ", {"a7", "a10"}),  # shorter than a trigram: plain substring scan
        ("assets frozen", {"a5"}),
        ('"', set()),
        ("Алматы облысында", {"a2"}),
    ],
)
def test_text_search_cases(store: Any, q: str, keys: set[str], path: str) -> None:
    engine, known, _ids = store
    by_id = {k.id: k.key for k in known}
    f = Filters(q=q)
    page = queries.items_page(engine, f, limit=50)
    assert {by_id[r.id] for r in page.rows} == keys == {k.key for k in selected(known, f)}
    assert queries.totals(engine, f).items == len(keys)


TEXT_CASES = [n for n, case in FILTER_CASES.items() if case({"cyber": 3, "kaz": 2}).q]


@pytest.mark.parametrize(
    "plan", ["scan", "index", "index from the period's first id", "index and its kept match set"]
)
@pytest.mark.parametrize("name", [*TEXT_CASES, "text, tags and a period"])
def test_every_text_plan_gives_the_same_answers(
    store: Any, name: str, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, known, feed_ids = store
    if plan != "scan" and engine.dialect.name != "sqlite":
        pytest.skip("the text index is SQLite's")
    if name in FILTER_CASES:
        f = FILTER_CASES[name](feed_ids)
    else:
        f = Filters(*CURRENT, q="алматы", regions=("KZ-75", "KZ-19"), langs=("ru", "kk"))
    first = min((k.id for k in known if f.date_from and k.day >= f.date_from), default=None)
    forced = {
        "scan": queries.TextPlan(min_id=first, driver="region" if f.regions else ""),
        "index": queries.TextPlan(use_index=True),
        "index from the period's first id": queries.TextPlan(use_index=True, min_id=first),
    }.get(plan)
    if forced is None:  # the exact ids, computed once and kept (textsearch.exact_matches)
        with queries._connect(engine) as conn:
            kept = textsearch.exact_matches(conn, f.q, first)
        assert kept is not None
        forced = queries.TextPlan(use_index=True, min_id=first, matches=kept)
    monkeypatch.setattr(queries, "text_plan", lambda conn, f: forced)
    chosen = selected(known, f)
    assert chosen, "a case that finds nothing would prove nothing"
    assert queries.totals(engine, f).items == len(chosen)
    expected = Counter(v for k in chosen for v in k.values("category"))
    assert dict(queries.counts_by(engine, f, "category")) == dict(expected)
    newest = sorted(chosen, key=lambda k: (k.published_at, k.id), reverse=True)
    assert [r.id for r in queries.items_page(engine, f, limit=2).rows] == [k.id for k in newest[:2]]


def test_the_text_plan_compares_the_two_sides(store: Any) -> None:
    engine, _known, _ids = store
    if engine.dialect.name != "sqlite":
        pytest.skip("the text index is SQLite's")
    textsearch.forget_matches()  # a set kept by an earlier test is read whatever the counts
    with queries._connect(engine) as conn:
        # "алматы" is in 4 items; the period and regions leave 4 too, the period alone 11
        narrow = queries.text_plan(conn, Filters(*CURRENT, q="алматы", regions=("KZ-47",)))
        wide = queries.text_plan(conn, Filters(*CURRENT, q="алматы"))
        short = queries.text_plan(conn, Filters(q="ия"))
    assert wide.use_index and wide.min_id == 1
    assert (narrow.use_index, narrow.driver) == (False, "region")
    assert short == queries.TextPlan()  # under 3 characters: no trigram to look up


def test_sqlite_stores_use_the_text_index(store: Any) -> None:
    engine, _known, _ids = store
    with queries._connect(engine) as conn:
        assert queries._text_index(conn) == (engine.dialect.name == "sqlite")


def test_trigram_query() -> None:
    assert queries.trigram_query("ab") is None
    assert queries.trigram_query("Теракт") == '"тер" AND "ера" AND "рак" AND "акт"'
    assert queries.trigram_query('a"bc') == '"a""b" AND """bc"'
    long = queries.trigram_query("x" * 5 + "abcdefghijklmnopqrstuvwxyz" * 3, most=10)
    assert long is not None and long.count(" AND ") == 9


# --- feeds and bounds -------------------------------------------------------------------------


def test_feed_health_counts_items_per_feed(store: Any) -> None:
    engine, known, feed_ids = store
    now = datetime(2024, 3, 14, 12, 0, tzinfo=UTC)  # last 7 days: 03-08 .. 03-14
    health = {h.id: h for h in queries.feed_health(engine, now=now)}
    assert set(health) == set(feed_ids.values())
    for feed_id, h in health.items():
        mine = [k for k in known if k.feed_id == feed_id]
        assert h.items_total == len(mine)
        recent = [k for k in mine if date(2024, 3, 8) <= k.day <= date(2024, 3, 14)]
        assert h.items_per_day == pytest.approx(len(recent) / 7)
        assert h.enabled and h.consecutive_errors == 0 and h.last_status is None


def test_sources_and_date_bounds(store: Any) -> None:
    engine, known, feed_ids = store
    assert queries.sources(engine) == [
        (feed_ids["cyber"], "Cyber Wire"),
        (feed_ids["kaz"], "Kazinform KZ"),
        (feed_ids["tengri"], "Tengri News"),
    ]
    assert queries.date_bounds(engine) == (min(k.day for k in known), max(k.day for k in known))


def test_an_empty_store_answers_with_zeros(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    f = Filters(*CURRENT, regions=("KZ-75",))
    assert queries.totals(engine, f) == queries.Totals(0, 0, 0)
    assert queries.counts_by(engine, f, "category") == []
    assert queries.series(engine, f, "category", "week") == []
    assert queries.volume_series(engine, f) == []
    assert queries.items_page(engine, f) == queries.ItemsPage(total=0, rows=[])
    assert queries.feed_health(engine) == []
    assert queries.date_bounds(engine) == (None, None)
