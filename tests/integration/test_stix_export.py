"""The STIX 2.1 export: a real store -> snapshot -> bundle, parsed back by the stix2 library.

The bundle must say what the snapshot says: one report per story among its
relevant items, one object per organization and place those stories name,
every reference resolvable inside the bundle, and the same ids on every
export so a partner's platform merges rather than duplicates.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import stix2
from click.testing import CliRunner
from sqlalchemy import Engine

from indicators.export import WRITERS
from indicators.lexicon import load_actors, load_labels
from indicators.selection import Filters
from indicators.snapshot import build_snapshot
from indicators.store import write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.factories import make_item
from threatmon.cli import cli

DATA = Path(__file__).resolve().parents[2] / "data"
ACTORS = load_actors(DATA)
TAXONOMY = load_labels(DATA, ACTORS)
T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    url = f"sqlite:///{tmp_path / 'stix.db'}"
    engine = make_engine(url)
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://t.kz/rss", name="Tengri")])
    first_story: list[int] = []

    def story(item_id: int, item: object) -> int:
        """Items titled "ИГИЛ ..." form one story; every other item starts its own."""
        if getattr(item, "title", "").startswith("ИГИЛ"):
            first_story.append(item_id)
            return first_story[0]
        return item_id

    records = [
        make_item(
            "ИГИЛ: задержаны вербовщики",
            url="https://t.kz/1",
            published_at=T,
            categories=("extremist_ideology",),
            regions=("KZ-75",),
            actors=("isis",),
        ),
        make_item(
            "ИГИЛ: суд в Алматы",
            url="https://other.kz/2",
            published_at=T + timedelta(hours=5),
            categories=("counter_measures",),
            regions=("KZ-75", "KZ-19"),
            actors=("isis",),
        ),
        make_item(
            "Killnet атаковал сайты",
            url="https://t.kz/3",
            published_at=T + timedelta(days=1),
            categories=("cyber_threats",),
            regions=("KZ",),
            actors=("killnet",),
        ),
        make_item("Взрыв газа не теракт", published_at=T + timedelta(days=2)),  # not relevant
        make_item(
            "Учения антитеррор",
            url="https://t.kz/5",
            published_at=T + timedelta(days=2),
            categories=("counter_measures",),
        ),
    ]
    with engine.begin() as conn:
        write.insert_items(conn, feed, records, lexicon_version="lex", assign_story=story)
    yield engine, url
    engine.dispose()


def bundle_for(engine: Engine, f: Filters, *, now: datetime = T) -> dict:
    snap = build_snapshot(
        engine, f, taxonomy=TAXONOMY, lexicon_version="lex", now=now, actors=ACTORS
    )
    return json.loads(WRITERS["stix"].write(snap))


def parsed(bundle: dict) -> list:
    return stix2.parse(json.dumps(bundle), allow_custom=False).objects


def test_one_report_per_story_of_the_relevant_items(store) -> None:
    engine, _ = store
    objects = parsed(bundle_for(engine, Filters()))
    reports = [o for o in objects if o.type == "report"]
    assert sorted(r.name for r in reports) == [
        "Killnet атаковал сайты",
        "ИГИЛ: задержаны вербовщики",  # the story's first item names the report
        "Учения антитеррор",
    ]
    isis_story = next(r for r in reports if r.name.startswith("ИГИЛ"))
    assert [ref.url for ref in isis_story.external_references] == [
        "https://t.kz/1",
        "https://other.kz/2",
    ]
    assert sorted(isis_story.labels) == ["counter_measures", "extremist_ideology"]
    assert isis_story.published == T


def test_each_organization_and_place_is_one_object_and_every_reference_resolves(store) -> None:
    engine, _ = store
    objects = parsed(bundle_for(engine, Filters()))
    by_id = {o.id: o for o in objects}
    assert len(by_id) == len(objects)
    kinds = Counter(o.type for o in objects)
    assert kinds["threat-actor"] == 1 and kinds["intrusion-set"] == 1  # ISIS; Killnet (cyber)
    places = sorted(
        (o.get("administrative_area") or o.country) for o in objects if o.type == "location"
    )
    assert places == ["KZ", "KZ-19", "KZ-75"]
    for o in objects:
        for ref in [*o.get("object_refs", []), o.get("source_ref"), o.get("target_ref")]:
            assert ref is None or ref in by_id, ref
        for ref in o.get("object_marking_refs", []):
            assert ref == stix2.TLP_WHITE.id
    isis = next(o for o in objects if o.type == "threat-actor")
    assert isis.threat_actor_types == ["terrorist"]
    assert "ИГИЛ" not in isis.name and isis.aliases  # English name; ru/kk names as aliases
    sources = {ref.url for ref in isis.external_references}
    assert sources == {f.source for f in ACTORS["isis"].designations}
    related = [(o.source_ref, o.target_ref) for o in objects if o.type == "relationship"]
    assert sorted(by_id[t].get("administrative_area") for s, t in related if s == isis.id) == [
        "KZ-19",
        "KZ-75",
    ]


def test_a_report_naming_nothing_refers_to_its_creator(store) -> None:
    engine, _ = store
    objects = parsed(bundle_for(engine, Filters()))
    drill = next(o for o in objects if o.type == "report" and o.name == "Учения антитеррор")
    creator = next(o for o in objects if o.type == "identity")
    assert drill.object_refs == [creator.id]


def test_ids_are_stable_across_exports_and_filters_narrow_the_bundle(store) -> None:
    engine, _ = store
    first = bundle_for(engine, Filters())
    again = bundle_for(engine, Filters(), now=T + timedelta(days=3))
    ids = {o["id"] for o in first["objects"]}
    assert ids == {o["id"] for o in again["objects"]}
    narrow = parsed(bundle_for(engine, Filters(actors=("killnet",))))
    assert [o.name for o in narrow if o.type == "report"] == ["Killnet атаковал сайты"]
    assert {o.id for o in narrow} <= ids
    assert not any(o.type == "threat-actor" for o in narrow)


def test_the_command_line_writes_the_same_bundle(store, tmp_path: Path) -> None:
    _, url = store
    out = tmp_path / "b.stix.json"
    result = CliRunner().invoke(
        cli, ["export", "--db", url, "--format", "stix", "--actor", "isis", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    objects = parsed(json.loads(out.read_text(encoding="utf-8")))
    assert [o.name for o in objects if o.type == "report"] == ["ИГИЛ: задержаны вербовщики"]
