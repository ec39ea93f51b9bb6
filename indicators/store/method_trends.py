"""Methods over time: per month, how many of the selection's stories name each method.

Methods are no filter axis (they are not in the summary tables), so this
reads `items` joined to their `method` tags, with the same WHERE clauses as
every other view (`queries.item_conditions`). Stories are counted as the items
that start one (story_id = id), like every other story count, and only
relevant items carry methods. The share of a method in a month is taken over
the stories that name any method that month: the chart shows the mix of
methods, so a shift in how attacks are prepared is visible even when the
volume of news changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import Engine, and_, distinct, exists, func, or_, select

from indicators.models import METHOD_AXIS
from indicators.selection import Filters
from indicators.store import queries, textsearch
from indicators.store.queries import ItemView
from indicators.store.schema import item_tags, items
from indicators.taxonomy import METHOD_IDS

_ORDER = {m: i for i, m in enumerate(METHOD_IDS)}


@dataclass(frozen=True)
class MethodMonth:
    month: date  # first day of the month
    method: str
    stories: int
    with_method: int  # stories naming any method that month (the share's denominator)

    @property
    def share(self) -> float:
        return self.stories / self.with_method if self.with_method else 0.0


def method_months(engine: Engine, f: Filters) -> list[MethodMonth]:
    """Stories per method and month for `f`, oldest month first, methods in taxonomy order."""
    with engine.connect() as conn:
        textsearch.prepare(conn)
        plan = queries.text_plan(conn, f) if f.q else None
        conds = [
            *queries.item_conditions(f, text_plan=plan),
            items.c.relevant.is_(True),
            or_(items.c.story_id == items.c.id, items.c.story_id.is_(None)),
        ]
        joined = items.join(
            item_tags, and_(item_tags.c.item_id == items.c.id, item_tags.c.axis == METHOD_AXIS)
        )
        per_method = conn.execute(
            select(items.c.published_day, item_tags.c.value, func.count())
            .select_from(joined)
            .where(*conds)
            .group_by(items.c.published_day, item_tags.c.value)
        ).all()
        per_day = conn.execute(
            select(items.c.published_day, func.count(distinct(items.c.id)))
            .select_from(joined)
            .where(*conds)
            .group_by(items.c.published_day)
        ).all()
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for day, method, n in per_method:
        counts[(queries.bucket(queries.as_date(day), "month"), method)] += int(n)
    totals: dict[date, int] = defaultdict(int)
    for day, n in per_day:
        totals[queries.bucket(queries.as_date(day), "month")] += int(n)
    ordered = sorted(counts.items(), key=lambda kv: (kv[0][0], _ORDER.get(kv[0][1], len(_ORDER))))
    return [MethodMonth(month, method, n, totals[month]) for (month, method), n in ordered]


def method_stories(
    engine: Engine, f: Filters, method: str, month: date, *, limit: int = 10
) -> list[ItemView]:
    """The newest stories of `f` in `month` that name `method` (the chart's drill-down)."""
    first = queries.bucket(month, "month")
    last = queries.bucket(first + timedelta(days=31), "month") - timedelta(days=1)
    start = max(f.date_from or first, first)
    end = min(f.date_to or last, last)
    if start > end:  # the month lies outside the selected period
        return []
    inside = replace(f, date_from=start, date_to=end)
    with engine.connect() as conn:
        textsearch.prepare(conn)
        plan = queries.text_plan(conn, inside) if inside.q else None
        ids = (
            conn.execute(
                select(items.c.id)
                .where(
                    *queries.item_conditions(inside, text_plan=plan),
                    items.c.relevant.is_(True),
                    or_(items.c.story_id == items.c.id, items.c.story_id.is_(None)),
                    exists().where(
                        item_tags.c.item_id == items.c.id,
                        item_tags.c.axis == METHOD_AXIS,
                        item_tags.c.value == method,
                    ),
                )
                .order_by(items.c.published_at.desc(), items.c.id.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
    return queries.items_by_id(engine, [int(i) for i in ids])
