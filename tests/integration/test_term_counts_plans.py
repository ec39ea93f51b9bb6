"""The emerging-terms count reads the same items whichever index starts the read.

With a tag filter, `count_terms` may start from the rarest tag's index,
bounded to each period's ids (`queries.tag_driver`), instead of checking
every item of the period against the tag. Both plans must count exactly the
same items, terms and example order, on both backends; the counts must be
those of a recount from the texts; and the choice must follow the tag's
share of the period.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, select

from indicators.emerging_report import split_periods
from indicators.selection import Filters
from indicators.store import queries, term_counts, textsearch
from indicators.store.conditions import first_id, last_id, tag_selection
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.schema import item_tags, items
from indicators.text_terms import item_terms, term_hash
from threatmon.demo_history import populate

END = date(2026, 11, 1)
FIRST = END - timedelta(days=41)
SELECTIONS = [
    Filters(categories=("terrorist_activity",)),
    Filters(categories=("cyber_threats", "terrorist_financing")),
    Filters(regions=("KZ-75",)),
    Filters(platforms=("telegram",), langs=("ru",)),
    Filters(categories=("extremist_ideology",), regions=("KZ",)),
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("terms") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    populate(engine, 2500, days=42, seed=4, end=END)
    yield engine
    engine.dispose()


def counted(engine: Engine, f: Filters, monkeypatch: pytest.MonkeyPatch, share: float) -> tuple:
    monkeypatch.setattr(queries, "TAG_DRIVES_BELOW", share)
    whole = replace(f, date_from=FIRST, date_to=END)
    c = term_counts.count_terms(engine, whole, split_periods(FIRST, END, 7), min_count=2)
    return c.totals, c.hashes.tolist(), c.counts.tolist(), c.recent_items.tolist()


def test_both_plans_count_the_same_items_and_terms(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    populate(engine, 2500, days=42, seed=4, end=END)
    try:
        for f in SELECTIONS:
            from_the_tag = counted(engine, f, monkeypatch, share=1.01)  # always from the tag
            from_the_period = counted(engine, f, monkeypatch, share=0.0)  # never
            assert from_the_tag == from_the_period, f
            assert from_the_tag[0][-1] > 0, f  # the recent week holds matching items
    finally:
        engine.dispose()


RECOUNTED = [
    Filters(categories=("terrorist_activity",)),  # read from the tag index
    Filters(langs=("kk",)),  # from the term rows of each week's ids, with their language
    Filters(sources=(2, 3)),
    Filters(),  # from the period's items
    Filters(q="теракт"),  # free text: the kept match set, computed on each connection
    # tags and sources alone: earlier weeks from the term rows, with no item row read
    Filters(regions=("KZ-75", "KZ-71")),
    Filters(categories=("extremist_ideology",), regions=("KZ",), platforms=("telegram",)),
    Filters(categories=("terrorist_activity", "cyber_threats"), sources=(1, 2, 3)),
    # languages from the term rows too, alone and with a tag and sources
    Filters(langs=("ru", "en")),
    Filters(categories=("terrorist_activity",), langs=("ru",), sources=(1, 2, 3)),
]


@pytest.mark.parametrize(
    "f",
    RECOUNTED,
    ids=[
        "category",
        "language",
        "sources",
        "all",
        "free text",
        "regions",
        "three axes",
        "categories and sources",
        "two languages",
        "category, language and sources",
    ],
)
def test_the_counts_equal_a_recount_from_the_texts(
    stores: Engine, f: Filters, monkeypatch: pytest.MonkeyPatch
) -> None:
    textsearch.forget_matches()  # the search's ids are found during the count, not before
    totals, hashes, counts, recent = counted(stores, f, monkeypatch, share=1.01)
    periods = split_periods(FIRST, END, 7)
    with stores.connect() as conn:
        tagged = [  # per selected axis, the items carrying one of its values
            set(
                conn.execute(
                    select(item_tags.c.item_id).where(
                        item_tags.c.axis == axis, item_tags.c.value.in_(values)
                    )
                ).scalars()
            )
            for axis, values in tag_selection(f)
        ]
        rows = conn.execute(
            select(
                items.c.id,
                items.c.published_day,
                items.c.lang,
                items.c.feed_id,
                items.c.title,
                items.c.summary,
            ).where(items.c.relevant.is_(True))
        ).all()
    expected_totals = [0] * len(periods)
    per_period: list[Counter[int]] = [Counter() for _ in periods]
    for item_id, day, lang, feed_id, title, summary in rows:
        day = day if isinstance(day, date) else date.fromisoformat(day)
        k = next((k for k, (a, b) in enumerate(periods) if a <= day <= b), None)
        if (
            k is None
            or any(item_id not in carrying for carrying in tagged)
            or (f.langs and lang not in f.langs)
            or (f.sources and feed_id not in f.sources)
            or (f.q and f.q.lower() not in f"{title}\n{summary}".lower())
        ):
            continue
        expected_totals[k] += 1
        per_period[k].update(term_hash(t) for t in item_terms(title, summary))
    assert list(totals) == expected_totals
    wanted = sorted(h for h, n in per_period[-1].items() if n >= 2)
    assert hashes == wanted
    assert np.array(counts).tolist() == [[p[h] for p in per_period] for h in wanted]
    assert len(recent) == expected_totals[-1] > 0


def test_the_tag_drives_the_read_only_while_its_share_of_the_period_is_small(
    stores: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = Filters(date_from=FIRST, date_to=END)
    tagged = replace(period, categories=("terrorist_activity",))
    # rarest_tag counts the tag from the period's start on; the period's end is the store's
    share = (
        queries.totals(stores, Filters(date_from=FIRST, categories=tagged.categories)).items
        / queries.totals(stores, period).items
    )
    assert 0 < share < 1
    with stores.connect() as conn:
        monkeypatch.setattr(queries, "TAG_DRIVES_BELOW", share + 0.001)
        assert queries.tag_driver(conn, tagged) == "category"
        monkeypatch.setattr(queries, "TAG_DRIVES_BELOW", share - 0.001)
        assert queries.tag_driver(conn, tagged) == ""
        monkeypatch.setattr(queries, "TAG_DRIVES_BELOW", 1.01)
        assert queries.tag_driver(conn, replace(period, langs=("ru",))) == ""  # no tag
        assert queries.tag_driver(conn, replace(tagged, q="теракт")) == ""  # text: own plan


def test_a_free_text_count_searches_once_for_its_whole_window(
    stores: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each period (and each few days of one) used to plan its own search and find the
    word's items again from its first id to the newest; the window's one match set
    holds every period's."""
    textsearch.forget_matches()
    searches: list[int | None] = []
    compute = textsearch._compute_matches

    def counting(conn, q, min_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        searches.append(min_id)
        return compute(conn, q, min_id, *args, **kwargs)

    monkeypatch.setattr(textsearch, "_compute_matches", counting)
    totals, *_ = counted(stores, Filters(q="теракт"), monkeypatch, share=1.01)
    assert sum(totals) > 0
    with stores.connect() as conn:
        assert searches == [first_id(conn, Filters(date_from=FIRST))]


def test_each_read_of_a_free_text_count_takes_only_its_own_days_ids(stores: Engine) -> None:
    window = Filters(date_from=FIRST, date_to=END, q="теракт")
    with stores.connect() as conn:
        textsearch.prepare(conn)
        plan = queries.text_plan(conn, window)
        assert plan.use_index and plan.matches  # the index drives: the ids are listed
        read = term_counts._TextRead.of(plan)
        everything = sorted(json.loads(plan.matches))
        for first, last in split_periods(FIRST, END, 4):
            days = replace(window, date_from=first, date_to=last)
            low, high = first_id(conn, days), last_id(conn, days)
            assert low is not None and high is not None
            own = json.loads(read.for_period(conn, days).matches or "null")
            assert own == [i for i in everything if low <= i <= high], (first, last)
            # the period's first and last ids are its own, their neighbours are not
            edges = term_counts._TextRead(plan, np.array([low - 1, low, high, high + 1]))
            assert json.loads(edges.for_period(conn, days).matches or "null") == [low, high]
