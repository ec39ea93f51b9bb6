"""The STIX 2.1 export: a real store -> snapshot -> bundle, parsed back by the stix2 library.

The bundle must say what the snapshot says: one report per story among its
relevant items, one object per organization and place those stories name,
every reference resolvable inside the bundle, and the same ids on every
export so a partner's platform merges rather than duplicates. It is checked
here through the function, the command line and the HTTP endpoint served on
127.0.0.1 (the STIX button: tests/browser/test_dashboard_browser.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import stix2
from click.testing import CliRunner
from sqlalchemy import Engine

from indicators.export import WRITERS
from indicators.lexicon import load_actors, load_labels
from indicators.places import load_places
from indicators.selection import Filters
from indicators.snapshot import Snapshot, build_snapshot
from indicators.store import write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.factories import make_item
from tests.live_app import serving
from threatmon.cli import cli

DATA = Path(__file__).resolve().parents[2] / "data"
ACTORS = load_actors(DATA)
TAXONOMY = load_labels(DATA, ACTORS)
PLACES = load_places(DATA)
T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RETIRED = "old_cell"  # an organization id tagged once, no longer in data/actors.yaml


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """Six items: one story told by two outlets, three one-item stories, one irrelevant item."""
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
            "ИГИЛ: суд в Алматинской области",
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
        make_item(
            "Вербовщик вернулся из Сирии",  # a Telegram post kept without a link
            published_at=T + timedelta(days=3),
            categories=("terrorist_activity",),
            regions=("SY",),
            actors=(RETIRED,),
        ),
    ]
    with engine.begin() as conn:
        write.insert_items(conn, feed, records, lexicon_version="lex", assign_story=story)
    yield engine, url
    engine.dispose()


def snapshot_for(engine: Engine, f: Filters, *, now: datetime = T) -> Snapshot:
    return build_snapshot(
        engine,
        f,
        taxonomy=TAXONOMY,
        lexicon_version="lex",
        now=now,
        actors=ACTORS,
        places=PLACES,
        whole_stories=WRITERS["stix"].whole_stories,
    )


def parsed(body: bytes | str) -> list[Any]:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return list(stix2.parse(text, allow_custom=False).objects)


def bundle_for(engine: Engine, f: Filters, *, now: datetime = T) -> list[Any]:
    return parsed(WRITERS["stix"].write(snapshot_for(engine, f, now=now)))


def of_type(objects: list[Any], kind: str) -> list[Any]:
    return [o for o in objects if o.type == kind]


def one(objects: list[Any], **wanted: Any) -> Any:
    (found,) = [o for o in objects if all(o.get(k) == v for k, v in wanted.items())]
    return found


def stories_in(snapshot: dict[str, Any]) -> set[int]:
    """The stories the snapshot's JSON shows among its relevant items."""
    return {i["story_id"] for i in snapshot["items"] if i["relevant"]}


FILTERS = [
    Filters(),
    Filters(regions=("KZ-19",)),
    Filters(actors=("killnet",)),
    Filters(categories=("counter_measures",)),
    Filters(date_from=(T + timedelta(days=1)).date()),
    Filters(q="вербовщик"),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: str(f.to_params()) or "all")
def test_one_report_per_story_among_the_snapshots_relevant_items(store, f: Filters) -> None:
    engine, _ = store
    snapshot = snapshot_for(engine, f)
    objects = parsed(WRITERS["stix"].write(snapshot))
    from_json = json.loads(WRITERS["json"].write(snapshot))
    assert len(of_type(objects, "report")) == len(stories_in(from_json)) > 0


def test_the_reports_are_the_stories_named_by_their_first_item(store) -> None:
    engine, _ = store
    reports = of_type(bundle_for(engine, Filters()), "report")
    assert sorted(r.name for r in reports) == [
        "Killnet атаковал сайты",
        "Вербовщик вернулся из Сирии",
        "ИГИЛ: задержаны вербовщики",  # the story's first item names the report
        "Учения антитеррор",
    ]  # the irrelevant gas explosion is no report
    isis_story = one(reports, name="ИГИЛ: задержаны вербовщики")
    assert isis_story.published == T  # first seen
    assert isis_story.modified == T + timedelta(hours=5)  # its newest item
    assert isis_story.report_types == ["threat-report"]
    assert sorted(isis_story.labels) == ["counter_measures", "extremist_ideology"]
    assert [ref.url for ref in isis_story.external_references] == [
        "https://t.kz/1",
        "https://other.kz/2",
    ]


def test_a_report_tells_the_whole_story_whichever_of_its_items_the_filters_matched(store) -> None:
    engine, _ = store
    everything = bundle_for(engine, Filters())
    narrow = bundle_for(engine, Filters(regions=("KZ-19",)))  # only the court item says KZ-19
    (report,) = of_type(narrow, "report")
    assert [ref.url for ref in report.external_references] == [
        "https://t.kz/1",
        "https://other.kz/2",
    ]
    # same id, same version, same content: a partner's platform sees no conflict
    assert report.serialize() == one(everything, id=report.id).serialize()


def test_every_organization_and_place_named_has_exactly_one_object(store) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    assert len({o.id for o in objects}) == len(objects)
    actors = [(o.type, o.name) for o in objects if o.type in ("threat-actor", "intrusion-set")]
    assert sorted(actors) == [
        ("intrusion-set", "Killnet"),  # a cyber actor
        ("threat-actor", "Islamic State"),  # named by two items of its story: one object
        ("threat-actor", RETIRED),
    ]
    places = sorted(o.get("administrative_area") or o.country for o in of_type(objects, "location"))
    assert places == ["KZ", "KZ-19", "KZ-75", "SY"]


def test_every_reference_resolves_inside_the_bundle_and_every_object_is_ours_and_public(
    store,
) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    by_id = {o.id: o for o in objects}
    (creator,) = of_type(objects, "identity")
    (marking,) = of_type(objects, "marking-definition")
    assert (creator.name, marking.id) == ("threatmon", stix2.TLP_WHITE.id)
    for o in objects:
        for ref in [*o.get("object_refs", []), o.get("source_ref"), o.get("target_ref")]:
            assert ref is None or ref in by_id, (o.id, ref)
        if o.type != "marking-definition":
            assert o.object_marking_refs == [marking.id], o.id
        if o.type not in ("marking-definition", "identity"):
            assert o.created_by_ref == creator.id, o.id
    isis_story = one(objects, type="report", name="ИГИЛ: задержаны вербовщики")
    assert sorted(by_id[r].get("name") for r in isis_story.object_refs) == [
        "Almaty",
        "Almaty region",
        "Islamic State",
    ]


def test_a_report_naming_nothing_refers_to_its_creator(store) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    drill = one(objects, type="report", name="Учения антитеррор")
    assert drill.object_refs == [one(objects, type="identity").id]


def test_an_organization_carries_its_names_and_designations_from_the_actors_file(store) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    isis = one(objects, type="threat-actor", name="Islamic State")
    assert isis.threat_actor_types == ["terrorist"]
    assert {"ISIS", "ISIL", "Daesh", "Исламское государство", "Ислам мемлекеті"} <= set(
        isis.aliases
    )
    assert not {"ИГ", "IS", "Islamic State"} & set(isis.aliases)  # weak short forms; the name
    facts = ACTORS["isis"].designations
    assert [ref.url for ref in isis.external_references] == [f.source for f in facts]
    assert all(
        ref.source_name == f.authority
        for ref, f in zip(isis.external_references, facts, strict=True)
    )
    killnet = one(objects, type="intrusion-set")
    assert "Киллнет" in killnet.aliases


def test_an_organization_missing_from_the_actors_file_is_exported_as_unknown_not_dropped(
    store,
) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    retired = one(objects, type="threat-actor", name=RETIRED)
    assert retired.threat_actor_types == ["unknown"]
    assert "not in the organizations file" in retired.description
    story = one(objects, type="report", name="Вербовщик вернулся из Сирии")
    assert retired.id in story.object_refs


def test_a_story_without_a_link_still_names_its_outlet_and_headline(store) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    story = one(objects, type="report", name="Вербовщик вернулся из Сирии")
    (reference,) = story.external_references
    assert reference.source_name == "Tengri"
    assert reference.description == "Вербовщик вернулся из Сирии (no link stored)"
    assert "url" not in reference


def test_a_kazakh_region_is_placed_at_its_administrative_centre(store) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    almaty = one(objects, type="location", administrative_area="KZ-75")
    assert (almaty.name, almaty.country, almaty.region) == ("Almaty", "KZ", "central-asia")
    assert (almaty.latitude, almaty.longitude) == (PLACES["KZ-75"].latitude, 76.89)
    kazakhstan = one(objects, type="location", country="KZ", administrative_area=None)
    assert kazakhstan.name == "Kazakhstan" and "latitude" not in kazakhstan
    syria = one(objects, type="location", country="SY")
    assert syria.name == "Syria" and "administrative_area" not in syria


def test_organizations_and_places_of_one_story_are_related_not_located(store) -> None:
    engine, _ = store
    objects = bundle_for(engine, Filters())
    by_id = {o.id: o for o in objects}
    relationships = of_type(objects, "relationship")
    assert {r.relationship_type for r in relationships} == {"related-to"}
    pairs = {
        (by_id[r.source_ref].name, by_id[r.target_ref].get("administrative_area") or "")
        for r in relationships
    }
    assert pairs == {
        ("Islamic State", "KZ-75"),
        ("Islamic State", "KZ-19"),
        ("Killnet", ""),
        (RETIRED, ""),
    }


def test_the_same_data_exported_twice_gives_the_same_ids_and_objects(store) -> None:
    engine, _ = store
    first = bundle_for(engine, Filters())
    again = bundle_for(engine, Filters(), now=T + timedelta(days=3))
    assert [o.serialize() for o in first] == [o.serialize() for o in again]


def test_filters_narrow_the_bundle_to_objects_of_the_full_one(store) -> None:
    engine, _ = store
    everything = {o.id for o in bundle_for(engine, Filters())}
    narrow = bundle_for(engine, Filters(actors=("killnet",)))
    assert [o.name for o in of_type(narrow, "report")] == ["Killnet атаковал сайты"]
    assert {o.id for o in narrow} < everything
    assert not of_type(narrow, "threat-actor")


def test_the_command_line_writes_the_bundle_for_its_filters(store, tmp_path: Path) -> None:
    _, url = store
    runner = CliRunner()
    out = tmp_path / "b.stix.json"
    args = ["export", "--db", url, "--actor", "isis", "--region", "KZ-75"]
    result = runner.invoke(cli, [*args, "--format", "stix", "--output", str(out)])
    assert result.exit_code == 0, result.output
    objects = parsed(out.read_text(encoding="utf-8"))
    as_json = runner.invoke(cli, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert len(of_type(objects, "report")) == len(stories_in(json.loads(as_json.stdout))) == 1
    assert [o.name for o in of_type(objects, "report")] == ["ИГИЛ: задержаны вербовщики"]


def test_the_command_line_refuses_an_organization_the_actors_file_does_not_name(store) -> None:
    _, url = store
    result = CliRunner().invoke(
        cli, ["export", "--db", url, "--format", "stix", "--actor", "isiss"]
    )
    assert result.exit_code == 2
    assert "unknown actor 'isiss'" in result.output


@pytest.fixture
def served(store) -> Iterator[str]:
    from dashboard.app import create_app

    _, url = store
    app = create_app(url, DATA, clock=lambda: T + timedelta(days=4), lexicon_version="lex")
    with serving(app, "stix-api") as base_url:
        yield base_url


def test_the_endpoint_serves_the_bundle_for_the_same_filters_as_its_json(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as http:
        response = http.get("/api/snapshot", params={"region": "KZ-19", "format": "stix"})
        as_json = http.get("/api/snapshot", params={"region": "KZ-19"}).json()
        refused = http.get("/api/snapshot", params={"actor": "isiss", "format": "stix"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/stix+json;version=2.1"
    assert response.headers["content-disposition"].endswith('.stix.json"')
    objects = parsed(response.content)
    assert len(of_type(objects, "report")) == len(stories_in(as_json)) == 1
    court = one(objects, type="location", administrative_area="KZ-19")
    assert (court.latitude, court.longitude) == (PLACES["KZ-19"].latitude, 77.07)
    assert refused.status_code == 400 and "isiss" in refused.json()["error"]
