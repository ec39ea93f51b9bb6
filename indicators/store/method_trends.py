"""Methods over time: per month, how many of the selection's stories name each method.

Methods are no filter axis (each projection axis would double the summary),
so they have a summary table of their own, `method_counts`: the writer adds
each relevant story start's methods to the row of its combination in a few
projections (`summary.METHOD_PROJECTIONS`: none, category, region, both, and
the full one), and a query reads the smallest that holds its filters,
selecting combinations through `combo_members` exactly as the summary
queries do. Reading the items
and their method tags instead costs ~270 ms for 180 days at a million items
(bench/bench_dashboard.py); that path is kept for text searches, which no
summary can serve. Stories are counted as the items
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
from typing import Any

from sqlalchemy import Connection, Engine, and_, distinct, exists, func, or_, select

from indicators.models import METHOD_AXIS
from indicators.selection import Filters
from indicators.store import queries, textsearch
from indicators.store.conditions import first_id
from indicators.store.queries import ItemView
from indicators.store.schema import item_tags, items, method_counts
from indicators.store.summary import ANY_METHOD, combo_id, method_projection, projection
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
    """Stories per method and month for `f`, oldest month first, methods in taxonomy order.

    Read from `method_counts` (exact, like the summary it extends); a text search
    has no summary, so with `q` the items and their method tags are read instead.
    """
    with engine.connect() as conn:
        textsearch.prepare(conn)
        rows = _from_items(conn, f) if f.q else _from_summary(conn, f)
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for day, method, n in rows:
        counts[(queries.bucket(queries.as_date(day), "month"), method)] += int(n)
    totals = {month: n for (month, method), n in counts.items() if method == ANY_METHOD}
    ordered = sorted(
        ((key, n) for key, n in counts.items() if key[1] != ANY_METHOD and n),
        key=lambda kv: (kv[0][0], _ORDER.get(kv[0][1], len(_ORDER))),
    )
    return [MethodMonth(month, method, n, totals.get(month, 0)) for (month, method), n in ordered]


def _from_summary(conn: Connection, f: Filters) -> list[tuple[Any, str, int]]:
    """(day, method or "*", stories) from `method_counts`, filtered like `tag_counts`."""
    t = method_counts
    selection = queries.summary_selection(f)
    proj = method_projection(projection([axis for axis, _ in selection]))
    conds = queries.summary_conditions(t, f, selection, proj)
    if not selection:  # no axis selected: the rows of the projection with no axis
        conds.append(t.c.combo_id == combo_id(0, ""))
    query = select(t.c.day, t.c.method, func.sum(t.c.stories)).where(*conds)
    return [tuple(r) for r in conn.execute(query.group_by(t.c.day, t.c.method))]


def _from_items(conn: Connection, f: Filters) -> list[tuple[Any, str, int]]:
    """The same rows from the items and their method tags (for a text search)."""
    plan = queries.text_plan(conn, f)
    conds = [
        *queries.item_conditions(f, text_plan=plan),
        items.c.relevant.is_(True),
        or_(items.c.story_id == items.c.id, items.c.story_id.is_(None)),
    ]
    tag_match = [
        item_tags.c.item_id == items.c.id,
        item_tags.c.axis == METHOD_AXIS,
        item_tags.c.value.in_(METHOD_IDS),
    ]
    start = first_id(conn, f)
    if start is not None:
        tag_match.append(item_tags.c.item_id >= start)
    joined = items.join(item_tags, and_(*tag_match))
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
    return [tuple(r) for r in per_method] + [(day, ANY_METHOD, n) for day, n in per_day]


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
