"""The snapshot as a STIX 2.1 bundle, for information exchange with partners.

Partners' threat-intelligence platforms speak STIX; the bundle says the same
thing as the snapshot, in their vocabulary, built and validated by the
`stix2` library (an invalid object raises instead of being written):

- one `report` per story among the snapshot's relevant items (the story id
  folds one event reported by many outlets): named after its first item's
  headline, published when that item was, labelled with its categories, an
  external reference per news URL, and `object_refs` to the organizations
  and places its items name (to threatmon's `identity` when they name none,
  since a report must refer to something);
- one `threat-actor` per organization the stories name (`intrusion-set` for
  cyber actors), with its names in the three languages as aliases and each
  designation fact as an external reference to its public source;
- one `location` per region or country the stories name (Kazakh units with
  their ISO 3166-2 code as administrative area);
- a `related-to` relationship between an organization and a place named in
  the same story. It claims co-occurrence in the news, not that the group
  operates there: analysts read the reports for that.

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

from indicators.actors import Actor
from indicators.snapshot import Snapshot
from indicators.store.queries import ItemView

NAMESPACE = uuid.UUID("6f1f9a3e-2d0c-5b7e-9f4a-7468726d6f6e")  # fixed: ids must not change
# Objects that describe no dated event (the creator, organizations, places,
# relationships) carry this fixed time, so the same object is byte-identical
# in every export.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
MEDIA_TYPE = "application/stix+json;version=2.1"

# threat-actor-type-ov for the actor kinds of data/actors.yaml ("cyber" becomes an intrusion set)
_ACTOR_TYPES = {
    "terrorist": "terrorist",
    "extremist": "terrorist",
    "banned_religious": "activist",
    "political_extremist": "activist",
    "criminal_network": "crime-syndicate",
}


def _id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"


CREATOR_ID = _id("identity", "threatmon")


def _creator() -> stix2.Identity:
    return stix2.Identity(
        id=CREATOR_ID,
        name="threatmon",
        identity_class="system",
        description="Open-source monitoring of public news on terrorism, extremism and "
        "cyber threats in Kazakhstan and Central Asia.",
        created=EPOCH,
        modified=EPOCH,
        object_marking_refs=[stix2.TLP_WHITE.id],
    )


def _values(item: ItemView, axis: str) -> list[str]:
    return [ev.value for ev in item.tags.get(axis, [])]


def _stories(items: Iterable[ItemView]) -> dict[int, list[ItemView]]:
    """Relevant items grouped by story, each story's items oldest first."""
    stories: dict[int, list[ItemView]] = defaultdict(list)
    for item in items:
        if item.relevant:
            stories[item.story_id if item.story_id is not None else item.id].append(item)
    for members in stories.values():
        members.sort(key=lambda i: (i.published_at, i.id))
    return dict(stories)


def _fact_reference(actor: Actor, fact: Any) -> dict[str, Any]:
    parts = [f"{fact.authority}: {fact.status}", fact.date]
    if fact.ref:
        parts.append(fact.ref)
    if fact.note:
        parts.append(fact.note)
    reference: dict[str, Any] = {
        "source_name": fact.authority,
        "url": fact.source,
        "description": f"{actor.label('en')}: " + "; ".join(parts),
    }
    if fact.ref:
        reference["external_id"] = fact.ref
    return reference


def _actor_object(actor_id: str, actor: Actor | None, label: str) -> Any:
    name = actor.label("en") if actor else label
    aliases = sorted({v for v in (actor.labels.values() if actor else ()) if v and v != name})
    common: dict[str, Any] = {
        "name": name,
        "created": EPOCH,
        "modified": EPOCH,
        "created_by_ref": CREATOR_ID,
        "object_marking_refs": [stix2.TLP_WHITE.id],
        "labels": [actor.kind] if actor else [],
    }
    if aliases:
        common["aliases"] = aliases
    if actor and actor.designations:
        common["external_references"] = [_fact_reference(actor, f) for f in actor.designations]
    if actor and actor.note:
        common["description"] = actor.note
    if actor and actor.kind == "cyber":
        return stix2.IntrusionSet(id=_id("intrusion-set", actor_id), **common)
    kind = _ACTOR_TYPES.get(actor.kind, "unknown") if actor else "unknown"
    return stix2.ThreatActor(id=_id("threat-actor", actor_id), threat_actor_types=[kind], **common)


def _location_object(code: str, label: str) -> stix2.Location:
    where: dict[str, Any] = {"country": code.split("-")[0]}
    if "-" in code:  # a Kazakh unit: ISO 3166-2
        where["administrative_area"] = code
    return stix2.Location(
        id=_id("location", code),
        name=label,
        created=EPOCH,
        modified=EPOCH,
        created_by_ref=CREATOR_ID,
        object_marking_refs=[stix2.TLP_WHITE.id],
        **where,
    )


def _report(story_id: int, members: list[ItemView], refs: list[str]) -> stix2.Report:
    first, last = members[0], members[-1]
    categories = sorted({c for item in members for c in _values(item, "category")})
    references = [
        {"source_name": item.source_name or "news", "url": item.url, "description": item.title}
        for item in members
        if item.url
    ]
    extra: dict[str, Any] = {"external_references": references} if references else {}
    if first.summary:
        extra["description"] = first.summary
    if first.lang:
        extra["lang"] = first.lang
    return stix2.Report(
        id=_id("report", str(story_id)),
        name=first.title,
        published=first.published_at,
        created=first.published_at,
        modified=max(last.published_at, first.published_at),
        report_types=["threat-report"],
        labels=categories,
        object_refs=refs or [CREATOR_ID],
        created_by_ref=CREATOR_ID,
        object_marking_refs=[stix2.TLP_WHITE.id],
        **extra,
    )


def snapshot_to_stix(s: Snapshot, actors: Mapping[str, Actor] | None = None) -> stix2.Bundle:
    """The bundle for the snapshot's stories; `actors` defaults to the snapshot's own records."""
    known = s.actors if actors is None else actors
    objects: dict[str, Any] = {stix2.TLP_WHITE.id: stix2.TLP_WHITE, CREATOR_ID: _creator()}
    pairs: set[tuple[str, str]] = set()
    reports = []
    for story_id, members in sorted(_stories(s.items).items()):
        actor_refs, place_refs = [], []
        for actor_id in sorted({a for item in members for a in _values(item, "actor")}):
            label = s.labels.get(("actor", actor_id), actor_id)
            obj = _actor_object(actor_id, known.get(actor_id), label)
            objects.setdefault(obj.id, obj)
            actor_refs.append(obj.id)
        for code in sorted({r for item in members for r in _values(item, "region")}):
            obj = _location_object(code, s.labels.get(("region", code), code))
            objects.setdefault(obj.id, obj)
            place_refs.append(obj.id)
        pairs.update((a, p) for a in actor_refs for p in place_refs)
        reports.append(_report(story_id, members, actor_refs + place_refs))
    relationships = [
        stix2.Relationship(
            id=_id("relationship", f"{source}|{target}"),
            relationship_type="related-to",
            source_ref=source,
            target_ref=target,
            description="Named together in news stories (see the reports that refer to both).",
            created=EPOCH,
            modified=EPOCH,
            created_by_ref=CREATOR_ID,
            object_marking_refs=[stix2.TLP_WHITE.id],
        )
        for source, target in sorted(pairs)
    ]
    everything = [*objects.values(), *reports, *relationships]
    bundle_key = f"{s.generated_at.isoformat()}|{sorted(s.filters.to_params())}"
    return stix2.Bundle(objects=everything, id=_id("bundle", bundle_key), allow_custom=False)


def stix_bytes(s: Snapshot) -> bytes:
    """The serialized bundle (what `threatmon export --format stix` writes)."""
    return snapshot_to_stix(s).serialize(pretty=True, ensure_ascii=False).encode("utf-8")
