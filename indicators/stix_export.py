"""The snapshot as a STIX 2.1 bundle, for information exchange with partners.

Partners' threat-intelligence platforms speak STIX; the bundle says the same
thing as the snapshot, in their vocabulary, built and validated by the
`stix2` library (an invalid object raises instead of being written):

- one `report` per story among the snapshot's relevant items (the story id
  folds one event reported by many outlets). The report describes the whole
  story, whichever of its items the filters matched, so the same report id
  always carries the same content: named after its first item's headline,
  published when that item was first seen, labelled with its categories, an
  external reference per news item (its URL; an item without one is still
  named, with its outlet and headline), and `object_refs` to the
  organizations and places its items name (to threatmon's `identity` when
  they name none, since a report must refer to something);
- one `threat-actor` per organization the stories name (`intrusion-set` for
  cyber actors), with its other names as aliases, and each designation fact
  as an external reference to its public source. An id the organizations
  file does not know (tagged under an older file) is still exported, as an
  actor of unknown type that says so, rather than dropped or guessed;
- one `location` per region or country the stories name: Kazakh units with
  their ISO 3166-2 code and their administrative centre's coordinates;
- a `related-to` relationship between an organization and a place named in
  the same story. It claims co-occurrence in the news, not that the group
  operates there (`located-at`) or attacks it (`targets`): news that names
  both may as well report an arrest or a court case.

Every id is a UUIDv5 of a fixed namespace and the thing's key (story id,
organization id, region code), so exporting again gives the same ids and a
partner's platform merges instead of duplicating. Everything is marked
TLP:WHITE (public news).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import stix2

from indicators.actors import Actor, Designation
from indicators.places import Place
from indicators.snapshot import Snapshot
from indicators.store.queries import ItemView
from indicators.taxonomy import COUNTRY_CODE

NAMESPACE = uuid.UUID("6f1f9a3e-2d0c-5b7e-9f4a-7468726d6f6e")  # fixed: ids must not change
# Objects that describe no dated event (the creator, organizations, places,
# relationships) carry this fixed time, so the same object is byte-identical
# in every export.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
MEDIA_TYPE = "application/stix+json;version=2.1"
MARKING = stix2.TLP_WHITE  # public news: anyone may have it
UNKNOWN_ACTOR = "not in the organizations file (data/actors.yaml) of this export"

# threat-actor-type-ov for the actor kinds of data/actors.yaml ("cyber" becomes an intrusion set)
_ACTOR_TYPES = {
    "terrorist": "terrorist",
    "extremist": "terrorist",
    "banned_religious": "activist",
    "political_extremist": "activist",
    "criminal_network": "crime-syndicate",
}


def stix_id(kind: str, key: str) -> str:
    """The object id of `kind` for threatmon's `key`: the same key always gives the same id."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"


CREATOR_ID = stix_id("identity", "threatmon")


def _common() -> dict[str, Any]:
    return {"created_by_ref": CREATOR_ID, "object_marking_refs": [MARKING.id]}


def _creator() -> stix2.Identity:
    return stix2.Identity(
        id=CREATOR_ID,
        name="threatmon",
        identity_class="system",
        description="Open-source monitoring of public news on terrorism, extremism and "
        "cyber threats in Kazakhstan and Central Asia.",
        created=EPOCH,
        modified=EPOCH,
        object_marking_refs=[MARKING.id],
    )


def _values(item: ItemView, axis: str) -> list[str]:
    return [ev.value for ev in item.tags.get(axis, [])]


def stories_of(s: Snapshot) -> dict[int, list[ItemView]]:
    """The snapshot's stories (those with a relevant item), each with all its items, oldest first.

    A story's items are the snapshot's own plus `story_items` (read when the
    snapshot was built with `whole_stories`), so a story is complete even when
    the filters matched one of its items only.
    """
    wanted = {i.story for i in s.items if i.relevant}
    members: dict[int, dict[int, ItemView]] = defaultdict(dict)
    for item in [*s.items, *s.story_items]:
        if item.story in wanted:
            members[item.story][item.id] = item
    return {
        key: sorted(found.values(), key=lambda i: (i.published_at, i.id))
        for key, found in sorted(members.items())
    }


def _fact_reference(actor: Actor, fact: Designation) -> dict[str, Any]:
    parts = [f"{fact.authority}: {fact.status}", fact.date, fact.ref, fact.note]
    reference: dict[str, Any] = {
        "source_name": fact.authority,
        "url": fact.source,
        "description": f"{actor.label('en')}: " + "; ".join(p for p in parts if p),
    }
    if fact.ref:
        reference["external_id"] = fact.ref
    return reference


def _known_actor(actor_id: str, actor: Actor) -> Any:
    name = actor.label("en")
    aliases: list[str] = []
    for alias in [*actor.labels.values(), *actor.aliases]:
        if alias.casefold() not in {a.casefold() for a in [name, *aliases]}:
            aliases.append(alias)
    fields: dict[str, Any] = {"name": name, "labels": [actor.kind], **_common()}
    if aliases:
        fields["aliases"] = aliases
    if actor.designations:
        fields["external_references"] = [_fact_reference(actor, f) for f in actor.designations]
    if actor.note:
        fields["description"] = actor.note
    if actor.kind == "cyber":
        return stix2.IntrusionSet(
            id=stix_id("intrusion-set", actor_id), created=EPOCH, modified=EPOCH, **fields
        )
    return stix2.ThreatActor(
        id=stix_id("threat-actor", actor_id),
        threat_actor_types=[_ACTOR_TYPES.get(actor.kind, "unknown")],
        created=EPOCH,
        modified=EPOCH,
        **fields,
    )


def _unknown_actor(actor_id: str) -> stix2.ThreatActor:
    return stix2.ThreatActor(
        id=stix_id("threat-actor", actor_id),
        name=actor_id,
        threat_actor_types=["unknown"],
        description=f"Organization id {actor_id!r}: {UNKNOWN_ACTOR}.",
        created=EPOCH,
        modified=EPOCH,
        **_common(),
    )


def _location(code: str, label: str, place: Place | None) -> stix2.Location:
    fields: dict[str, Any] = {"country": code.split("-")[0], **_common()}
    if "-" in code:  # a Kazakh unit: ISO 3166-2
        fields.update(administrative_area=code, region="central-asia")
    if code == COUNTRY_CODE:
        fields.update(region="central-asia")
        label = "Kazakhstan"  # the taxonomy's label says "no region named", a tagging detail
    if place is not None:
        fields.update(
            latitude=place.latitude,
            longitude=place.longitude,
            description=f"Administrative centre: {place.city}.",
        )
    return stix2.Location(
        id=stix_id("location", code), name=label, created=EPOCH, modified=EPOCH, **fields
    )


def _news_reference(item: ItemView) -> dict[str, Any]:
    reference = {"source_name": item.source_name or "news", "description": item.title}
    if item.url:
        reference["url"] = item.url
    else:  # still named: a partner can look for the headline at the outlet
        reference["description"] = f"{item.title} (no link stored)"
    return reference


def _report(story_id: int, members: list[ItemView], refs: list[str]) -> stix2.Report:
    first, last = members[0], members[-1]
    fields: dict[str, Any] = {
        "labels": sorted({c for item in members for c in _values(item, "category")}),
        "external_references": [_news_reference(item) for item in members],
        **_common(),
    }
    if first.summary:
        fields["description"] = first.summary
    if first.lang:
        fields["lang"] = first.lang
    return stix2.Report(
        id=stix_id("report", str(story_id)),
        name=first.title or f"Story {story_id}",
        published=first.published_at,
        created=first.published_at,
        modified=last.published_at,
        report_types=["threat-report"],
        object_refs=refs or [CREATOR_ID],
        **fields,
    )


def _relationship(source: str, target: str) -> stix2.Relationship:
    return stix2.Relationship(
        id=stix_id("relationship", f"{source}|{target}"),
        relationship_type="related-to",
        source_ref=source,
        target_ref=target,
        description="Named together in news stories (see the reports that refer to both).",
        created=EPOCH,
        modified=EPOCH,
        **_common(),
    )


def _named(members: Iterable[ItemView], axis: str) -> list[str]:
    return sorted({v for item in members for v in _values(item, axis)})


def snapshot_to_stix(
    s: Snapshot,
    actors: Mapping[str, Actor] | None = None,
    places: Mapping[str, Place] | None = None,
) -> stix2.Bundle:
    """The bundle for the snapshot's stories; `actors` and `places` default to the snapshot's."""
    known = s.actors if actors is None else actors
    centres = s.places if places is None else places
    objects: dict[str, Any] = {MARKING.id: MARKING, CREATOR_ID: _creator()}
    pairs: set[tuple[str, str]] = set()
    reports = []
    for story_id, members in stories_of(s).items():
        actor_refs, place_refs = [], []
        for actor_id in _named(members, "actor"):
            actor = known.get(actor_id)
            obj = _known_actor(actor_id, actor) if actor else _unknown_actor(actor_id)
            objects.setdefault(obj.id, obj)
            actor_refs.append(obj.id)
        for code in _named(members, "region"):
            obj = _location(code, s.labels.get(("region", code), code), centres.get(code))
            objects.setdefault(obj.id, obj)
            place_refs.append(obj.id)
        pairs.update((a, p) for a in actor_refs for p in place_refs)
        reports.append(_report(story_id, members, actor_refs + place_refs))
    relationships = [_relationship(source, target) for source, target in sorted(pairs)]
    everything = [*objects.values(), *reports, *relationships]
    bundle_key = f"{s.generated_at.isoformat()}|{sorted(s.filters.to_params())}"
    return stix2.Bundle(objects=everything, id=stix_id("bundle", bundle_key), allow_custom=False)


def stix_bytes(s: Snapshot) -> bytes:
    """The serialized bundle (what `threatmon export --format stix` writes)."""
    return snapshot_to_stix(s).serialize(pretty=True, ensure_ascii=False).encode("utf-8")
