"""Item-level reads for early-warning detection: what was published in a window.

The baselines come from the exact summary (`queries.story_counts`, whole UTC
days); the window itself is read from the items by `published_at` (indexed):
a trailing 24 hours rarely falls on day boundaries, and detection needs the
ids of the stories and items behind an alert anyway. At 1M items a day holds
a few thousand items, so this is one index range read of a few thousand rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, select

from indicators.detection import WindowCounts, WindowItem
from indicators.selection import Filters
from indicators.store import queries, textsearch
from indicators.store.schema import item_tags, items


@dataclass(frozen=True)
class PublishedItem:
    """A window item with its publication time (to split the window from the time before it)."""

    item: WindowItem
    published_at: datetime


def items_between(engine: Engine, start: datetime, end: datetime) -> list[PublishedItem]:
    """Items published in [start, end) with their tags, in one query."""
    query = (
        select(
            items.c.id,
            items.c.story_id,
            items.c.published_at,
            item_tags.c.axis,
            item_tags.c.value,
        )
        .select_from(items.outerjoin(item_tags, item_tags.c.item_id == items.c.id))
        .where(items.c.published_at >= start, items.c.published_at < end)
    )
    story: dict[int, int] = {}
    published: dict[int, datetime] = {}
    tags: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    with engine.connect() as conn:
        for item_id, story_id, at, axis, value in conn.execute(query):
            item_id = int(item_id)
            story[item_id] = int(story_id) if story_id is not None else item_id
            published[item_id] = at
            if axis is not None:
                tags[item_id][axis].append(value)
    return [
        PublishedItem(
            WindowItem(i, story[i], {a: tuple(v) for a, v in tags.get(i, {}).items()}),
            published[i],
        )
        for i in sorted(story)
    ]


def rule_window(engine: Engine, f: Filters, start: datetime, end: datetime) -> WindowCounts:
    """Relevant stories matching a rule's filters that start in [start, end), and their items.

    Uses the dashboard's own filter conditions (tags, languages, sources, text),
    so a rule matches exactly what the dashboard shows for the same filters.
    """
    scoped = replace(f, date_from=start.date(), date_to=end.date())
    with engine.connect() as conn:
        textsearch.prepare(conn)
        plan = queries.text_plan(conn, scoped)
        conds = queries.item_conditions(scoped, text_plan=plan)
        rows = conn.execute(
            select(items.c.id, items.c.story_id).where(
                *conds,
                items.c.published_at >= start,
                items.c.published_at < end,
                items.c.relevant.is_(True),
            )
        ).all()
    return _stories_of({int(i): int(s) if s is not None else int(i) for i, s in rows})


def _stories_of(story_by_item: Mapping[int, int]) -> WindowCounts:
    starts = sorted(i for i, s in story_by_item.items() if i == s)
    chosen = set(starts)
    members = sorted(i for i, s in story_by_item.items() if s in chosen)
    return WindowCounts(tuple(starts), tuple(members))
