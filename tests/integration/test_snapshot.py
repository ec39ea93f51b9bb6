"""The indicator snapshot against a real store with known items, in every format."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from indicators.export import WRITERS, snapshot_tables
from indicators.selection import Filters
from indicators.snapshot import build_snapshot, snapshot_to_dict
from indicators.store import queries, write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.taxonomy import CATEGORY_IDS, KZ_REGION_CODES, PLATFORM_IDS, load_taxonomy
from tests.factories import make_item

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
PERIOD = (date(2024, 3, 8), date(2024, 3, 14))  # previous period: 03-01 .. 03-07
TAXONOMY = replace(load_taxonomy(Path(__file__).resolve().parents[2] / "data"), version="tax-1")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2024, 3, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'snapshot.db'}")
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://t.kz/rss", name="T")])
    records = [
        # current period
        make_item(
            "Теракт предотвращен",
            published_at=at(8),
            categories=("terrorist_activity",),
            regions=("KZ-75", "KZ-19"),
            platforms=("telegram",),
        ),
        make_item(
            "Кибератака на акимат",
            published_at=at(9),
            categories=("cyber_threats",),
            regions=("KZ-75",),
        ),
        make_item("Взлом сайта", published_at=at(9, 18), categories=("cyber_threats",)),
        make_item(
            '=HYPERLINK("http://x")',
            published_at=at(12),
            categories=("cyber_threats",),
            regions=("KG",),
        ),
        make_item("Погода", published_at=at(13), regions=("KZ-71",)),
        # previous period
        make_item(
            "Старый теракт",
            published_at=at(2),
            categories=("terrorist_activity",),
            regions=("KZ-75",),
        ),
        make_item("Старая атака", published_at=at(3), categories=("cyber_threats",)),
        make_item("Утечка", published_at=at(4), categories=("cyber_threats",), regions=("UZ",)),
    ]
    with engine.begin() as conn:
        write.insert_items(conn, feed, records, lexicon_version="lex-1")
    yield engine
    engine.dispose()


def snapshot(engine: Engine, f: Filters, **kw: object):  # type: ignore[no-untyped-def]
    return build_snapshot(
        engine,
        f,
        taxonomy=TAXONOMY,
        lexicon_version="lex-1",
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_indicators_compare_with_the_previous_period(engine: Engine) -> None:
    s = snapshot(engine, Filters(*PERIOD))
    got = {(i.axis, i.id): (i.count, i.previous, i.change_pct) for i in s.indicators}
    assert got[("category", "cyber_threats")] == (3, 2, 50.0)
    assert got[("category", "terrorist_activity")] == (1, 1, 0.0)
    assert got[("category", "counter_measures")] == (0, 0, None)
    assert got[("region", "KZ-75")] == (2, 1, 100.0)
    assert got[("region", "KZ-19")] == (1, 0, None)
    assert got[("region", "KG")] == (1, 0, None)  # a country, listed because it occurs
    assert got[("region", "UZ")] == (0, 1, -100.0)
    assert got[("platform", "telegram")] == (1, 0, None)
    ids = {(i.axis, i.id) for i in s.indicators}
    assert {("category", c) for c in CATEGORY_IDS} <= ids
    assert {("region", r) for r in KZ_REGION_CODES} <= ids
    assert {("platform", p) for p in PLATFORM_IDS} <= ids
    labels = {(i.axis, i.id): i.label for i in s.indicators}
    assert labels[("region", "KZ-75")] == TAXONOMY.label("region", "KZ-75", "en")


def test_snapshot_numbers_are_the_query_numbers(engine: Engine) -> None:
    f = Filters(*PERIOD, regions=("KZ-75", "KZ-19"))
    s = snapshot(engine, f, granularity="week")
    assert s.totals == queries.totals(engine, f) == queries.Totals(2, 2, 2)
    for axis in ("category", "region", "platform"):
        counts = dict(queries.counts_by(engine, f, axis))
        assert {i.id: i.count for i in s.indicators if i.axis == axis and i.count} == counts
        assert [p for p in s.series if p.axis == axis] == queries.series(engine, f, axis, "week")
    assert [i.id for i in s.items] == [r.id for r in queries.items_page(engine, f).rows]
    assert not s.items_capped


def test_an_open_period_is_bounded_by_the_stored_days(engine: Engine) -> None:
    s = snapshot(engine, Filters(categories=("cyber_threats",)))
    # the store's first and last day, whatever the other filters select
    assert (s.period_from, s.period_to) == (date(2024, 3, 2), date(2024, 3, 13))
    assert s.totals.items == 5
    assert s.filters == Filters(categories=("cyber_threats",))  # as the user gave them
    data = snapshot_to_dict(s)
    assert data["filters"]["from"] is None
    assert data["period"] == {"from": "2024-03-02", "to": "2024-03-13", "granularity": "day"}


def test_items_are_capped_and_flagged(engine: Engine) -> None:
    s = snapshot(engine, Filters(*PERIOD), item_cap=2)
    assert len(s.items) == 2 and s.items_total == 5 and s.items_capped
    data = snapshot_to_dict(s)
    assert data["items_capped"] is True and len(data["items"]) == 2
    assert data["items"][0]["published_at"] >= data["items"][1]["published_at"]


def test_json_csv_and_xlsx_agree(engine: Engine) -> None:
    s = snapshot(engine, Filters(*PERIOD))
    data = json.loads(WRITERS["json"].write(s))
    assert data["generated_at"] == "2024-03-15T12:00:00+00:00"
    assert (data["taxonomy_version"], data["lexicon_version"]) == ("tax-1", "lex-1")
    assert data["totals"] == {"items": 5, "relevant": 4, "stories": 5}

    rows: dict[str, list[dict[str, str]]] = {}
    text = WRITERS["csv"].write(s).decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(text, newline="")):
        rows.setdefault(row.pop("table"), []).append(row)
    book = load_workbook(io.BytesIO(WRITERS["xlsx"].write(s)))
    sheets = {ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in book.worksheets}

    expected_series = [(p["axis"], p["id"], p["date"], p["count"]) for p in data["series"]]
    assert [(r["axis"], r["id"], r["date"], int(r["count"])) for r in rows["series"]] == (
        expected_series
    )
    assert [tuple(r) for r in sheets["series"][1:]] == expected_series
    expected_indicators = [
        (i["axis"], i["id"], i["count"], i["previous"]) for i in data["indicators"]
    ]
    assert [
        (r["axis"], r["id"], int(r["count"]), int(r["previous"])) for r in rows["indicators"]
    ] == expected_indicators
    assert [(r[0], r[1], r[3], r[4]) for r in sheets["indicators"][1:]] == expected_indicators
    assert {r["measure"]: int(r["count"]) for r in rows["totals"]} == data["totals"]
    assert [int(r["id"]) for r in rows["items"]] == [i["id"] for i in data["items"]]
    assert len(sheets["items"]) - 1 == len(data["items"]) == len(snapshot_tables(s)["items"][1])
    # the formula-looking title is text everywhere
    titles = {r["title"] for r in rows["items"]}
    assert '\'=HYPERLINK("http://x")' in titles
    assert all(c.data_type != "f" for ws in book.worksheets for r in ws.iter_rows() for c in r)


def test_bad_arguments_are_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="granularity"):
        snapshot(engine, Filters(), granularity="hour")
    with pytest.raises(ValueError, match="item_cap"):
        snapshot(engine, Filters(), item_cap=-1)


def test_an_empty_store_gives_an_empty_snapshot(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    s = snapshot(engine, Filters())
    assert (s.period_from, s.period_to) == (None, None)
    assert s.totals == queries.Totals(0, 0, 0) and s.items == [] and s.series == []
    assert all(i.count == 0 and i.previous is None for i in s.indicators)
    for writer in WRITERS.values():
        assert writer.write(s)


def test_generated_at_defaults_to_now(engine: Engine) -> None:
    s = build_snapshot(engine, Filters(), taxonomy=TAXONOMY, lexicon_version="l")
    assert abs(s.generated_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_methods_section_counts_story_starts_per_method_and_month(tmp_path: Path) -> None:
    """Recounted from the stored records by hand: relevant story starts only, per month."""
    from indicators.models import Match

    engine = make_engine(f"sqlite:///{tmp_path / 'methods.db'}")
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://m.kz/rss", name="M")])

    def with_methods(title: str, when: datetime, *methods: str, relevant: bool = True):
        base = make_item(title, published_at=when, categories=("tactics_methods",) * relevant)
        found = tuple(Match("method", m, "w", 0, 1) for m in methods)
        return replace(
            base,
            tags=replace(base.tags, methods=methods, matches=base.tags.matches + found),
        )

    records = [
        with_methods("Взрыв 1", datetime(2024, 2, 5, tzinfo=UTC), "explosives_ied", "drones"),
        with_methods("Взрыв 2", datetime(2024, 2, 20, tzinfo=UTC), "explosives_ied"),
        with_methods("Повтор", datetime(2024, 2, 21, tzinfo=UTC), "drones"),  # joins story 2
        with_methods("Нож", datetime(2024, 3, 2, tzinfo=UTC), "bladed_weapons"),
        with_methods("Без метода", datetime(2024, 3, 3, tzinfo=UTC)),
    ]
    first: dict[str, int] = {}

    def story(item_id: int, item: object) -> int:
        title = getattr(item, "title", "")
        key = "Взрыв 2" if title == "Повтор" else title
        return first.setdefault(key, item_id)

    with engine.begin() as conn:
        write.insert_items(conn, feed, records, lexicon_version="lex", assign_story=story)
    snap = build_snapshot(engine, Filters(), taxonomy=TAXONOMY, lexicon_version="lex", now=NOW)
    got = {
        (m["month"], m["method"]): (m["stories"], m["with_method"])
        for m in snapshot_to_dict(snap)["methods"]
    }
    assert got == {
        ("2024-02-01", "explosives_ied"): (2, 2),
        ("2024-02-01", "drones"): (1, 2),  # the follow-up's drone is not a new story
        ("2024-03-01", "bladed_weapons"): (1, 1),
    }
    engine.dispose()
