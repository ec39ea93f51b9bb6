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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

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

    def stories_per(self, granularity: str) -> list[tuple[date, int]]:
        """Stories per day, week or month (bucket start, count), oldest first.

        The days summed: a story counts on the day of its first item, so the
        sums are exact and the trend chart needs no query of its own.
        """
        acc: dict[date, int] = defaultdict(int)
        for day, n in self.per_day:
            acc[queries.bucket(day, granularity)] += n
        return sorted(acc.items())


def _in_order(*calls: Callable[[], Any]) -> list[Any]:
    return [call() for call in calls]


def most_active(
    engine: Engine,
    f: Filters,
    *,
    limit: int = 10,
    newest: int = 3,
    run_all: Callable[..., list[Any]] = _in_order,
) -> list[ActorActivity]:
    """The `limit` organizations with the most stories under `f` (then items, then id).

    An organization filter in `f` keeps to the chosen ones; the other filters
    apply as everywhere (an item naming two organizations counts for both).
    Once the ranking is known, the co-occurrences and the newest items are
    independent reads: `run_all(*calls)` runs them (in order by default; the
    dashboard passes its `QueryRunner.all`, which runs them side by side).
    """
    if limit < 0 or newest < 0:
        raise ValueError("limit and newest must not be negative")
    items: dict[str, int] = defaultdict(int)
    stories: dict[str, int] = defaultdict(int)
    per_day: dict[str, list[tuple[date, int]]] = defaultdict(list)
    # one grouped read gives all three: their sums over the days
    for actor, day, n_items, n_stories in queries.daily_counts(engine, f, "actor"):
        items[actor] += n_items
        stories[actor] += n_stories
        if n_stories:
            per_day[actor].append((day, n_stories))
    # an item naming the chosen group and another is counted for both: keep to the chosen
    candidates = [a for a in items if not f.actors or a in f.actors]
    ranked = sorted(candidates, key=lambda a: (-stories[a], -items[a], a))[:limit]
    if not ranked:
        return []
    *crossed, pages = run_all(
        *(lambda axis=axis: queries.cross_counts(engine, f, "actor", axis) for axis in CO_AXES),
        lambda: queries.newest_each(engine, f, "actor", ranked, limit=newest),
    )
    together: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for axis, cells in zip(CO_AXES, crossed, strict=True):
        for actor, value, n in cells:
            together[actor][axis].append((value, n))
    return [
        ActorActivity(
            id=actor,
            stories=stories[actor],
            items=items[actor],
            per_day=tuple(per_day[actor]),
            together={axis: tuple(together[actor][axis]) for axis in CO_AXES},
            newest=tuple(pages[actor]),
        )
        for actor in ranked
    ]
