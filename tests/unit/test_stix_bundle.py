"""Properties of the pure core of the STIX export (`snapshot_to_stix`), for any snapshot.

Whatever stories, tags and links a snapshot holds, the bundle parses back
under stix2's strict rules, has one report per story among the relevant
items and one object per organization and place they name, resolves every
reference, and does not depend on the order the items came in.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import stix2
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.lexicon import load_actors
from indicators.places import load_places
from indicators.selection import Filters
from indicators.snapshot import Snapshot
from indicators.stix_export import snapshot_to_stix
from indicators.store.queries import ItemView, TagEvidence, Totals

DATA = Path(__file__).resolve().parents[2] / "data"
ACTORS = load_actors(DATA)
PLACES = load_places(DATA)
T = datetime(2026, 11, 2, tzinfo=UTC)
REGIONS = ("KZ", "KZ-19", "KZ-75", "SY")
ORGANIZATIONS = ("isis", "killnet", "gone_group")  # the last is not in data/actors.yaml
CATEGORIES = ("cyber_threats", "counter_measures", "terrorist_activity")


@st.composite
def items(draw: Any) -> list[ItemView]:
    """Up to 10 items; each joins the story of an earlier item or starts its own."""
    out: list[ItemView] = []
    for index in range(draw(st.integers(min_value=1, max_value=10))):
        item_id = index + 1
        story = draw(st.sampled_from([item_id, *(i.story_id for i in out)]))
        categories = draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=2))
        tags = {
            "category": categories,
            "region": draw(st.lists(st.sampled_from(REGIONS), unique=True, max_size=2)),
            "actor": draw(st.lists(st.sampled_from(ORGANIZATIONS), unique=True, max_size=2))
            if categories
            else [],  # actor tags live on relevant items only
        }
        out.append(
            ItemView(
                id=item_id,
                published_at=T + timedelta(hours=draw(st.integers(0, 72))),
                source_id=1,
                source_name="Tengri",
                lang="ru",
                title=f"Новость {item_id}",
                summary="",
                url=draw(st.sampled_from([f"https://t.kz/{item_id}", None])),
                relevant=bool(categories),
                tags={axis: [TagEvidence(v) for v in values] for axis, values in tags.items()},
                story_id=story,
            )
        )
    return out


def snapshot_of(rows: list[ItemView]) -> Snapshot:
    return Snapshot(
        generated_at=T,
        filters=Filters(),
        period_from=None,
        period_to=None,
        granularity="day",
        taxonomy_version="t",
        lexicon_version="l",
        totals=Totals(len(rows), sum(i.relevant for i in rows), 0),
        indicators=[],
        series=[],
        items=rows,
        items_total=len(rows),
        items_capped=False,
        actors=ACTORS,
        places=PLACES,
    )


def parsed(rows: list[ItemView]) -> list[Any]:
    bundle = snapshot_to_stix(snapshot_of(rows)).serialize()
    return list(stix2.parse(bundle, allow_custom=False).objects)


@settings(max_examples=40, deadline=None)
@given(items())
def test_one_report_per_story_and_one_object_per_thing_named(rows: list[ItemView]) -> None:
    objects = parsed(rows)
    stories = {i.story_id for i in rows if i.relevant}
    in_stories = [i for i in rows if i.story_id in stories]
    assert len([o for o in objects if o.type == "report"]) == len(stories)
    named = {v.value for i in in_stories for v in i.tags["actor"]}
    actor_names = [o.name for o in objects if o.type in ("threat-actor", "intrusion-set")]
    assert sorted(actor_names) == sorted(ACTORS[a].label("en") if a in ACTORS else a for a in named)
    places = {v.value for i in in_stories for v in i.tags["region"]}
    located = [o.get("administrative_area") or o.country for o in objects if o.type == "location"]
    assert sorted(located) == sorted(places)
    links = sorted(i.url for i in in_stories if i.url)
    reported = [r.get("url") for o in objects if o.type == "report" for r in o.external_references]
    assert sorted(u for u in reported if u) == links


@settings(max_examples=40, deadline=None)
@given(items(), st.randoms(use_true_random=False))
def test_references_resolve_and_the_order_of_items_does_not_matter(
    rows: list[ItemView], rng: random.Random
) -> None:
    objects = parsed(rows)
    ids = {o.id for o in objects}
    for o in objects:
        for ref in [*o.get("object_refs", []), o.get("source_ref"), o.get("target_ref")]:
            assert ref is None or ref in ids
    shuffled = rng.sample(rows, len(rows))
    assert [o.serialize() for o in parsed(shuffled)] == [o.serialize() for o in objects]
    # the snapshot of a later export, same data: the same objects
    later = snapshot_to_stix(replace(snapshot_of(rows), generated_at=T + timedelta(days=1)))
    assert [o.serialize() for o in later.objects] == [o.serialize() for o in objects]
