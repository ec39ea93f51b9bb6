"""Which organizations are most active in a selection, and with what they appear.

The Organizations view (and anyone else who asks) gets one record per
organization: its stories and items, its stories per day, the regions,
platforms and categories its items carry, and its newest relevant items. It
is built from the aggregations of `indicators.store.queries` only (exact, the
summary tables answer them), so it agrees with every other view by
construction: an organization's story count here is what the Items view lists
under `actor=ID` for the same filters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Engine

from indicators.selection import Filters
from indicators.store import queries
from indicators.store.queries import ItemView

CO_AXES = ("region", "platform", "category")  # what an organization is shown together with


@dataclass(frozen=True)
class ActorActivity:
    """One organization in a selection."""

    id: str
    stories: int  # items that start a story
    items: int
    per_day: tuple[tuple[date, int], ...]  # stories per UTC day, days with none left out
    # axis -> (value, items carrying both the organization and the value), largest first
    together: dict[str, tuple[tuple[str, int], ...]]
    newest: tuple[ItemView, ...]  # newest relevant items naming it


def most_active(
    engine: Engine, f: Filters, *, limit: int = 10, newest: int = 3
) -> list[ActorActivity]:
    """The `limit` organizations with the most stories under `f` (then items, then id).

    An organization filter in `f` keeps to the chosen ones; the other filters
    apply as everywhere (an item naming two organizations counts for both).
    """
    if limit < 0 or newest < 0:
        raise ValueError("limit and newest must not be negative")
    items = dict(queries.counts_by(engine, f, "actor"))
    stories = {str(a): int(n) for a, n in queries.story_counts(engine, f, ["actor"])}
    # an item naming the chosen group and another is counted for both: keep to the chosen
    candidates = [a for a in items if not f.actors or a in f.actors]
    ranked = sorted(candidates, key=lambda a: (-stories.get(a, 0), -items[a], a))[:limit]
    if not ranked:
        return []
    per_day: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for point in queries.series(engine, f, "actor", "day", "stories"):
        per_day[point.id].append((point.date, point.count))
    together: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for axis in CO_AXES:
        for actor, value, n in queries.cross_counts(engine, f, "actor", axis):
            together[actor][axis].append((value, n))
    out = []
    for actor in ranked:
        page = queries.items_page(
            engine, replace(f, actors=(actor,)), limit=newest, relevant_only=True
        )
        out.append(
            ActorActivity(
                id=actor,
                stories=stories.get(actor, 0),
                items=items[actor],
                per_day=tuple(per_day.get(actor, ())),
                together={axis: tuple(together[actor][axis]) for axis in CO_AXES},
                newest=tuple(page.rows),
            )
        )
    return out
