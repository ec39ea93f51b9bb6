"""Every aggregation the dashboard and the exports show, as SQL GROUP BY queries.

The dashboard calls these functions and never touches tables. Counts are
exact: an item is counted once per value it carries, and a filter that selects
two regions counts an item carrying both once (OR within an axis, AND across
axes, see `indicators.selection`).

Two ways to the same answer (tests run every query both ways):
- without free text, the exact summary tables (`indicators.store.summary`):
  a few ms per query on 1M items, whatever the filters;
- with free text `q`, items + item_tags, starting either from the SQLite
  FTS5 trigram index or from the rarest selected tag, whichever `text_plan`
  estimates cheaper (LIKE on PostgreSQL).
`items_page` always reads items; its tag filters are written as EXISTS
(common selection) or IN (rare selection) by estimated cost.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, case, func, intersect, select

from indicators.models import TAG_AXES
from indicators.selection import Filters
from indicators.store import summary, textsearch
from indicators.store.conditions import (
    TAG_FIELDS,
    day_ranges,
    first_id,
    last_id,
    rarest_tag,
    scope_conditions,
    scope_of,
    tag_conditions,
    tag_selection,
)
from indicators.store.schema import combo_members, feeds, item_tags, items, tag_combos, tag_counts
from indicators.store.textsearch import TextPlan, plan_search, text_condition
from indicators.store.textsearch import trigram_query as trigram_query  # still importable here

AXES = (*TAG_AXES, "lang", "source")  # what counts and series can be grouped by
GRANULARITIES = ("day", "week", "month")
MEASURES = ("items", "stories")
SORTS = ("published_at", "title", "source", "lang")


@dataclass(frozen=True)
class Totals:
    items: int
    relevant: int
    stories: int


@dataclass(frozen=True)
class SeriesPoint:
    axis: str
    id: str
    date: date  # first day of the bucket (Monday for weeks, the 1st for months)
    count: int


@dataclass(frozen=True)
class TagEvidence:
    value: str
    terms: list[dict[str, Any]] = field(default_factory=list)  # [{term, start, end}]


@dataclass(frozen=True)
class ItemView:
    id: int
    published_at: datetime
    source_id: int | None
    source_name: str
    lang: str
    title: str
    summary: str
    url: str | None
    relevant: bool
    tags: dict[str, list[TagEvidence]]
    story_id: int | None = None  # the id of the story's first item (its own for a new story)

    @property
    def story(self) -> int:
        """The story it belongs to (an item stored before stories existed is its own)."""
        return self.id if self.story_id is None else self.story_id


@dataclass(frozen=True)
class ItemsPage:
    total: int
    rows: list[ItemView]


@dataclass(frozen=True)
class FeedHealth:
    id: int
    name: str
    url: str
    kind: str
    format: str
    language: str
    enabled: bool
    last_fetched_at: datetime | None
    last_status: str | None
    last_http_status: int | None
    last_error_kind: str | None
    last_error: str | None
    consecutive_errors: int
    next_due_at: datetime | None
    items_per_day: float  # items published in the last 7 days, per day
    items_total: int
    last_worker: str | None = None  # the ingest worker of the last fetch
    fetching_by: str | None = None  # the worker holding the feed's lease now, if any


# --- helpers -----------------------------------------------------------------


def _check_axis(axis: str) -> None:
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; expected one of {', '.join(AXES)}")


def bucket(day: date, granularity: str) -> date:
    """The first day of the day/week/month bucket holding `day` (weeks start on Monday)."""
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown granularity {granularity!r}; expected day, week or month")


def as_date(value: Any) -> date:
    # SQLite hands back a `date` through the Date type, but a raw string from
    # aggregated expressions; PostgreSQL a `date`.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@contextmanager
def _connect(engine: Engine) -> Iterator[Connection]:
    """A read connection, prepared for text search (see `textsearch.prepare`)."""
    with engine.connect() as conn:
        textsearch.prepare(conn)
        yield conn


# Older callers (tests/integration/test_queries.py) reach these through this module.
_text_index = textsearch.has_text_index


def item_conditions(
    f: Filters, *, tags: bool = True, text: bool = True, text_plan: TextPlan | None = None
) -> list[Any]:
    """WHERE clauses over `items` for filters `f` (tags/text can be left out)."""
    conds = scope_conditions(f)
    if tags:
        # Starting from the text index, each candidate's tags are checked (EXISTS);
        # otherwise the tag index drives (IN), as the selection is then the rarer part.
        driver = text_plan.driver if f.q and text_plan and not text_plan.use_index else ""
        min_id = text_plan.min_id if text_plan else None
        conds += tag_conditions(tag_selection(f), driver, min_id)
    if text and f.q:
        conds.append(text_condition(f.q, text_plan))
    return conds


_MEASURES = ("items", "relevant", "stories")


def _items_aggregate(
    f: Filters, group: list[str], measures: list[str], *, text_plan: TextPlan | None = None
) -> Select[Any]:
    """GROUP BY over items + item_tags: exact for any filter, used when `q` is set."""
    conds = item_conditions(f, text_plan=text_plan)
    keys: list[Any] = []
    for axis in group:
        if axis == "day":
            keys.append(items.c.published_day)
        elif axis == "lang":
            keys.append(items.c.lang)
        elif axis == "source":
            keys.append(items.c.feed_id)
            conds.append(items.c.feed_id.is_not(None))
        else:
            alias = item_tags.alias(f"t_{axis}")
            keys.append(alias.c.value)
            conds += [alias.c.item_id == items.c.id, alias.c.axis == axis]
    exprs = {
        "items": func.count(),
        "relevant": func.sum(case((items.c.relevant.is_(True), 1), else_=0)),
        "stories": func.sum(case((items.c.story_id == items.c.id, 1), else_=0)),
    }
    query = select(*keys, *(exprs[m] for m in measures)).select_from(items).where(*conds)
    return query.group_by(*keys) if keys else query


def summary_selection(f: Filters) -> list[tuple[str, tuple[str, ...]]]:
    """The filtered axes as the summary sees them: the tag axes and the source (feed id)."""
    selection = tag_selection(f)
    if f.sources:
        selection.append(("source", tuple(str(s) for s in f.sources)))
    return selection


def summary_conditions(
    t: Any, f: Filters, selection: list[tuple[str, tuple[str, ...]]], proj: int
) -> list[Any]:
    """WHERE clauses over a summary table `t` (day, lang, combo_id) for `f` in projection `proj`.

    The combinations holding a chosen value on every filtered axis are a small
    set computed from the membership index; only their rows of `t` are read.
    """
    conds: list[Any] = []
    if f.date_from:
        conds.append(t.c.day >= f.date_from)
    if f.date_to:
        conds.append(t.c.day <= f.date_to)
    if f.langs:
        conds.append(t.c.lang.in_(f.langs))
    if selection:
        holding = [
            select(combo_members.c.combo_id).where(
                combo_members.c.proj == proj,
                combo_members.c.axis == axis,
                combo_members.c.value.in_(values),
            )
            for axis, values in selection
        ]
        conds.append(t.c.combo_id.in_(holding[0] if len(holding) == 1 else intersect(*holding)))
    return conds


def _summary_aggregate(f: Filters, group: list[str], measures: list[str]) -> Select[Any]:
    """The same GROUP BY over the exact summary (see `indicators.store.summary`).

    Reads the smallest projection holding every grouped or filtered axis;
    OR within an axis is `combo_id IN (combinations holding a chosen value)`.
    """
    selection = summary_selection(f)
    proj = summary.projection([axis for axis, _ in selection] + group)
    t = tag_counts
    conds = summary_conditions(t, f, selection, proj)
    tag_group = [axis for axis in group if axis not in ("day", "lang")]
    plain = [t.c[axis] for axis in group if axis in ("day", "lang")]
    if proj == 0:
        conds.append(t.c.combo_id == summary.combo_id(0, ""))
    elif not selection:
        conds.append(t.c.combo_id.in_(select(tag_combos.c.id).where(tag_combos.c.proj == proj)))
    if not tag_group:
        query = select(*plain, *(func.sum(t.c[m]) for m in measures)).where(*conds)
        return query.group_by(*plain) if plain else query
    # Two steps: sum the period's rows per combination (a plain scan), then
    # spread the few thousand sums over the values each combination holds.
    per_combo = (
        select(t.c.combo_id, *plain, *(func.sum(t.c[m]).label(m) for m in measures))
        .where(*conds)
        .group_by(t.c.combo_id, *plain)
        .subquery("per_combo")
    )
    source: Any = per_combo
    keys: list[Any] = []
    for axis in group:
        if axis in ("day", "lang"):
            keys.append(per_combo.c[axis])
            continue
        alias = combo_members.alias(f"g_{axis}")
        source = source.join(
            alias, and_(alias.c.combo_id == per_combo.c.combo_id, alias.c.axis == axis)
        )
        keys.append(alias.c.value)
    query = select(*keys, *(func.sum(per_combo.c[m]) for m in measures)).select_from(source)
    return query.group_by(*keys)


def _check_group(group: list[str], measures: list[str]) -> None:
    for axis in group:
        if axis != "day":
            _check_axis(axis)
    for m in measures:
        if m not in _MEASURES:
            raise ValueError(f"unknown measure {m!r}; expected items or stories")


def _aggregate(
    f: Filters, group: list[str], measures: list[str], *, text_plan: TextPlan | None = None
) -> Select[Any]:
    _check_group(group, measures)
    # Free text is only in the items; everything else is answered by the summary.
    if f.q:
        return _items_aggregate(f, group, measures, text_plan=text_plan)
    return _summary_aggregate(f, group, measures)


def _rows(
    conn: Connection,
    f: Filters,
    group: list[str],
    measures: list[str],
    plan: TextPlan | None = None,
) -> list[tuple[Any, ...]]:
    """`group`'s values then the `measures` summed, one row per group (no order).

    A search the text index drives, on a store that keeps match sets
    (`plan.matches`), through an engine that asks for it (`with_search_facts`:
    the dashboard's), is counted in memory from the facts of those items
    (`match_facts`: the same answers, without reading every matching row
    again for each chart); everything else in SQL.
    """
    matches = _kept_matches(conn, f, plan)
    if matches is not None:
        from indicators.store import match_facts  # numpy: only where a search needs it

        _check_group(group, measures)  # (`_aggregate` checks on the SQL path)
        facts = match_facts.facts_for(conn, matches)
        if facts is not None:
            return match_facts.aggregate(facts, f, group, measures)
    return [tuple(row) for row in conn.execute(_aggregate(f, group, measures, text_plan=plan))]


SEARCH_FACTS = "threatmon_search_facts"  # the engine execution option that asks for them


def with_search_facts(engine: Engine) -> Engine:
    """`engine` (same pool) whose searches are counted from kept facts in memory.

    For a process that asks many questions of the same search (the dashboard:
    a view's charts, the next filter change, the next view). Others (ingest
    and its detection, the CLI) ask once per word and store version, where
    reading the facts would cost more than the one query, and they do not
    load numpy for it.
    """
    return engine.execution_options(**{SEARCH_FACTS: True})


def _kept_matches(conn: Connection, f: Filters, plan: TextPlan | None) -> str | None:
    """The kept match set to count `f`'s search from in memory, if this engine asks."""
    if not f.q or plan is None or not conn.get_execution_options().get(SEARCH_FACTS):
        return None
    return plan.matches


def _run(
    conn: Connection, f: Filters, group: list[str], measures: list[str]
) -> list[tuple[Any, ...]]:
    return _rows(conn, f, group, measures, text_plan(conn, f))


def _count(
    conn: Connection, f: Filters, measure: str = "items", plan: TextPlan | None = None
) -> int:
    """How many items (or relevant items, or stories) match `f`: one summed row."""
    return int(_rows(conn, f, [], [measure], plan)[0][0] or 0)


# A read of every matching item starts from the rarest tag's index when that tag's
# items are at most this share of the period's: measured at 1M items, a category
# on 8-15% of the period read 3-5 times faster from its index (bench_terms.py).
TAG_DRIVES_BELOW = 0.5


def tag_driver(conn: Connection, f: Filters) -> str:
    """The tag axis whose index should drive a read of *every* item matching `f`, or "".

    For reads without a limit (the emerging-terms count): with EXISTS each item of
    the period is checked against the tag; starting from the tag index reads only
    the tagged ones (and their items by id), which wins unless the tag is common.
    The counts come from the summary. A free-text filter keeps its own plan.
    """
    if f.q or not tag_selection(f):
        return ""
    axis, fewest = rarest_tag(conn, f, _count)
    in_scope = _count(conn, scope_of(f))
    return axis if fewest <= TAG_DRIVES_BELOW * in_scope else ""


def text_plan(conn: Connection, f: Filters) -> TextPlan:
    """Where the search for `f.q` starts (see `textsearch.plan_search`).

    The filter side of the estimate is counted here, from the summary. An
    engine that counts searches from facts has them read with the matches.
    """
    rows = None
    if f.q and conn.get_execution_options().get(SEARCH_FACTS):
        from indicators.store import match_facts  # numpy: only where a search needs it

        rows = match_facts.FACT_ROWS
    return plan_search(conn, f, _count, rows)


# --- aggregations --------------------------------------------------------------


def totals(engine: Engine, f: Filters) -> Totals:
    """Items, relevant items and stories (items that start a story) matching `f`."""
    with _connect(engine) as conn:
        (row,) = _run(conn, f, [], ["items", "relevant", "stories"])
    return Totals(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def counts_by(engine: Engine, f: Filters, axis: str) -> list[tuple[str, int]]:
    """Per value of `axis`, the matching items carrying it; largest first.

    An item with two regions counts once under each; the filter on `axis`
    itself still applies (use `Filters.without(axis)` for a facet list).
    """
    with _connect(engine) as conn:
        rows = _run(conn, f, [axis], ["items"])
    out = [(str(value), int(n)) for value, n in rows if n]
    return sorted(out, key=lambda r: (-r[1], r[0]))


def series(
    engine: Engine, f: Filters, axis: str, granularity: str = "day", measure: str = "items"
) -> list[SeriesPoint]:
    """Counts per value of `axis` per day/week/month bucket, in date then id order.

    `measure` is "items" (mentions) or "stories" (items starting a story).
    Buckets with no items are absent (the figure code fills zeros); the
    database groups by day, the few resulting rows are re-bucketed here.
    """
    bucket(date(2000, 1, 1), granularity)  # validates before querying
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected items or stories")
    with _connect(engine) as conn:
        rows = _run(conn, f, [axis, "day"], [measure])
    acc: dict[tuple[date, str], int] = defaultdict(int)
    for value, day, n in rows:
        if n:
            acc[(bucket(as_date(day), granularity), str(value))] += int(n)
    return [SeriesPoint(axis, key[1], key[0], n) for key, n in sorted(acc.items())]


def daily_counts(engine: Engine, f: Filters, axis: str) -> list[tuple[str, date, int, int]]:
    """(value, UTC day, items, stories) per value of `axis` and day, in value then day order.

    One grouped read that answers `counts_by`, `story_counts` and `series` for
    the same axis at once (their sums over the days): a view that needs all
    three asks once.
    """
    _check_axis(axis)
    with _connect(engine) as conn:
        rows = _run(conn, f, [axis, "day"], ["items", "stories"])
    out = [(str(v), as_date(day), int(n), int(s or 0)) for v, day, n, s in rows if n]
    return sorted(out, key=lambda r: (r[0], r[1]))


def volume_series(engine: Engine, f: Filters, granularity: str = "day") -> list[tuple[date, int]]:
    """All ingested items per bucket in the period, sources and languages of `f`.

    The denominator for "per 1,000 ingested items": it ignores the tag and
    text filters on purpose, so a feed outage does not look like a trend.
    """
    bucket(date(2000, 1, 1), granularity)
    scope = scope_of(f)
    with _connect(engine) as conn:
        rows = conn.execute(_aggregate(scope, ["day"], ["items"])).all()
    acc: dict[date, int] = defaultdict(int)
    for day, n in rows:
        if n:
            acc[bucket(as_date(day), granularity)] += int(n)
    return sorted(acc.items())


def story_counts(engine: Engine, f: Filters, group: list[str]) -> list[tuple[Any, ...]]:
    """Stories (items that start a story) matching `f`, per value of the `group` axes.

    `group` holds tag axes, "lang", "source" and/or "day"; each row is the
    group's values (days as `date`, ids as text) then the count. Groups with
    no story are left out. Early-warning detection reads its baselines here:
    one grouped query per projection, however many series it watches.
    """
    with _connect(engine) as conn:
        rows = _run(conn, f, group, ["stories"])
    out: list[tuple[Any, ...]] = []
    for row in rows:
        *values, n = row
        if not n:
            continue
        keys = [
            as_date(v) if axis == "day" else str(v) for axis, v in zip(group, values, strict=True)
        ]
        out.append((*keys, int(n)))
    return out


def cross_counts(
    engine: Engine, f: Filters, axis_a: str, axis_b: str
) -> list[tuple[str, str, int]]:
    """Items carrying value a on `axis_a` and value b on `axis_b` (e.g. region x category)."""
    if axis_a == axis_b:
        raise ValueError("cross_counts needs two different axes")
    with _connect(engine) as conn:
        rows = _run(conn, f, [axis_a, axis_b], ["items"])
    out = [(str(a), str(b), int(n)) for a, b, n in rows if n]
    return sorted(out, key=lambda r: (-r[2], r[0], r[1]))


# --- items -------------------------------------------------------------------------


def _sort_column(sort: str) -> Any:
    if sort == "published_at":
        return items.c.published_at
    if sort == "title":
        return items.c.title
    if sort == "lang":
        return items.c.lang
    if sort == "source":
        return feeds.c.name
    raise ValueError(f"unknown sort {sort!r}; expected one of {', '.join(SORTS)}")


def items_page(
    engine: Engine,
    f: Filters,
    *,
    offset: int = 0,
    limit: int = 50,
    sort: str = "published_at",
    descending: bool = True,
    relevant_only: bool = False,
) -> ItemsPage:
    """One page of the items behind `f`, with their tags and matched terms.

    `relevant_only` keeps items with at least one category (the Overview's
    "newest relevant items"). The total comes from the summary when there is
    no text search; the page itself from the items, with the tag filters
    written as EXISTS or as IN depending on how rare the selection is.
    """
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit must not be negative")
    with _connect(engine) as conn:
        total, rows = _page_rows(conn, f, offset, limit, sort, descending, relevant_only)
        return ItemsPage(total=total, rows=_views(conn, rows))


def newest_each(
    engine: Engine, f: Filters, axis: str, values: Sequence[str], *, limit: int
) -> dict[str, list[ItemView]]:
    """The `limit` newest relevant items under `f` for each of `values` on tag axis `axis`.

    What `items_page(f with axis=value, limit=limit, relevant_only=True)` gives
    for each value, on one connection and with one read of the items' tags:
    the Organizations view asks this for its ten organizations at once.
    """
    if axis not in TAG_FIELDS:
        raise ValueError(f"newest_each needs a tag axis, not {axis!r}")
    if limit < 0:
        raise ValueError("limit must not be negative")
    with _connect(engine) as conn:
        pages = {}
        for value in values:
            one = replace(f, **{TAG_FIELDS[axis]: (value,)})  # type: ignore[arg-type]
            pages[value] = _page_rows(conn, one, 0, limit, "published_at", True, True)[1]
        views = {v.id: v for v in _views(conn, [r for rows in pages.values() for r in rows])}
    return {value: [views[int(r[0])] for r in rows] for value, rows in pages.items()}


def _page_rows(
    conn: Connection,
    f: Filters,
    offset: int,
    limit: int,
    sort: str,
    descending: bool,
    relevant_only: bool,
) -> tuple[int, Sequence[Any]]:
    """(total, the page's `_ITEM_COLUMNS` rows) of `f`: the body of `items_page`."""
    key = _sort_column(sort)
    order = [key.desc(), items.c.id.desc()] if descending else [key.asc(), items.c.id.asc()]
    measure = "relevant" if relevant_only else "items"
    plan = text_plan(conn, f)
    selection = tag_selection(f)
    per_day: list[tuple[date, int]] | None = None
    if selection and sort == "published_at" and not f.q:
        # one summary read gives the total (its sum) and where a page by date can stop
        per_day = [(as_date(d), int(n)) for d, n in _rows(conn, f, ["day"], [measure]) if n]
        total = sum(n for _, n in per_day)
    else:
        total = _count(conn, f, measure, plan)
    if total == 0 or limit == 0 or offset >= total:
        return total, []
    matches = _kept_matches(conn, f, plan)
    if sort == "published_at" and matches is not None:
        page = _page_from_facts(conn, f, matches, offset, limit, descending, relevant_only)
        if page is not None:
            return total, page
    held = total
    if per_day is not None:
        f, held = _newest_days(f, per_day, total, offset + limit, descending)
    conds = item_conditions(f, tags=False, text_plan=plan)
    if relevant_only:
        conds.append(items.c.relevant.is_(True))
    if selection:
        kind, driver = _choose_plan(conn, f, held, offset + limit, measure, sort)
        if kind == "in":
            # the matching days' ranges lie inside the period's ids: read those bounds
            # only when there are no ranges
            ranges = _match_day_ranges(conn, f, per_day)
            low, high = (None, None) if ranges else (first_id(conn, f), last_id(conn, f))
            conds += tag_conditions(selection, driver, low, high, ranges)
        else:
            conds += tag_conditions(selection, "", None)
    query = (
        select(*_ITEM_COLUMNS)
        .select_from(items.outerjoin(feeds, feeds.c.id == items.c.feed_id))
        .where(*conds)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    return total, conn.execute(query).all()


def _newest_days(
    f: Filters, per_day: list[tuple[date, int]], total: int, wanted: int, descending: bool
) -> tuple[Filters, int]:
    """`f` kept to the fewest newest (oldest, when ascending) days holding its first
    `wanted` items by date, and how many items those days hold.

    Exact: `per_day` is the selection's count per day (from the summary): no
    item lies after its newest day with any (before its oldest), and a page by
    date never reaches past the day where the running count reaches `wanted`.
    The narrower period bounds both plans: the time index walk starts and stops
    at those days, and the tag index is read between their first and last ids.
    Measured at 1M items: an organization's newest items within a category and
    a region read ~1,000-4,000 rows with three tag checks each (25-35 ms)
    before, 1-8 ms after.
    """
    days = sorted(per_day, reverse=descending)
    if not days:
        return f, total
    held, bound = 0, days[0][0]
    for day, n in days:
        held, bound = held + n, day
        if held >= wanted:  # else (fewer in all) every day with any is read
            break
    first, last = (bound, days[0][0]) if descending else (days[0][0], bound)
    return replace(f, date_from=first, date_to=last), held


# A page read from the tag index reads it only on the days that hold matches when
# they are at most this many: each is one short index range (a sparse selection's
# two matches 130 days apart: 20 ms over the span, 0.1 ms over the two days).
MATCH_DAYS_AT_MOST = 30


def _match_day_ranges(
    conn: Connection, f: Filters, per_day: list[tuple[date, int]] | None
) -> list[tuple[int, int]]:
    """The id ranges of the days of `f`'s period that hold a match (none: no such bound).

    `per_day` lists only days with a match (as `_page_rows` reads it).
    """
    if per_day is None:
        return []
    days = [
        day
        for day, _n in per_day
        if (f.date_from is None or day >= f.date_from) and (f.date_to is None or day <= f.date_to)
    ]
    if not days or len(days) > MATCH_DAYS_AT_MOST:
        return []
    return day_ranges(conn, days)


def _page_from_facts(
    conn: Connection,
    f: Filters,
    matches: str,
    offset: int,
    limit: int,
    descending: bool,
    relevant_only: bool,
) -> list[Any] | None:
    """A search page by date picked from the kept facts, then read by id (None: no facts)."""
    from indicators.store import match_facts  # numpy: only where a search needs it

    facts = match_facts.facts_for(conn, matches)
    if facts is None:
        return None
    ids = match_facts.page_ids(
        facts, f, offset, limit, descending=descending, relevant_only=relevant_only
    )
    rows = conn.execute(
        select(*_ITEM_COLUMNS)
        .select_from(items.outerjoin(feeds, feeds.c.id == items.c.feed_id))
        .where(items.c.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def items_by_id(engine: Engine, ids: Sequence[int]) -> list[ItemView]:
    """These items with their tags and evidence, in the order of `ids` (missing ones left out)."""
    if not ids:
        return []
    with _connect(engine) as conn:
        rows = conn.execute(
            select(*_ITEM_COLUMNS)
            .select_from(items.outerjoin(feeds, feeds.c.id == items.c.feed_id))
            .where(items.c.id.in_(list(ids)))
        ).all()
        found = {view.id: view for view in _views(conn, rows)}
    return [found[i] for i in ids if i in found]


def story_items(engine: Engine, story_ids: Sequence[int], *, chunk: int = 500) -> list[ItemView]:
    """Every stored item of these stories, whatever the filters, oldest first per story.

    A story is one event told by several outlets; an export that describes
    the story itself (STIX reports) must say the same thing whichever of its
    items brought it into the selection. Ids go in chunks to stay far below
    the database's limit on bound parameters.
    """
    wanted = sorted(set(story_ids))
    out: list[ItemView] = []
    with _connect(engine) as conn:
        for start in range(0, len(wanted), chunk):
            rows = conn.execute(
                select(*_ITEM_COLUMNS)
                .select_from(items.outerjoin(feeds, feeds.c.id == items.c.feed_id))
                .where(items.c.story_id.in_(wanted[start : start + chunk]))
            ).all()
            out += _views(conn, rows)
    return sorted(out, key=lambda v: (v.story, v.published_at, v.id))


def _views(conn: Connection, rows: Sequence[Any]) -> list[ItemView]:
    """ItemViews of `_ITEM_COLUMNS` rows, with each item's tags and their evidence."""
    evidence = _tags_of(conn, [int(r[0]) for r in rows])
    return [
        ItemView(
            id=int(r[0]),
            published_at=r[1],
            source_id=r[2],
            source_name=r[3] or "",
            lang=r[4],
            title=r[5],
            summary=r[6],
            url=r[7],
            relevant=bool(r[8]),
            tags=evidence.get(int(r[0]), {}),
            story_id=None if r[9] is None else int(r[9]),
        )
        for r in rows
    ]


_ITEM_COLUMNS = (
    items.c.id,
    items.c.published_at,
    items.c.feed_id,
    feeds.c.name,
    items.c.lang,
    items.c.title,
    items.c.summary,
    items.c.url,
    items.c.relevant,
    items.c.story_id,
)


def _choose_plan(
    conn: Connection, f: Filters, total: int, wanted: int, measure: str, sort: str
) -> tuple[str, str]:
    """("exists", "") or ("in", axis to start from), by estimated rows read.

    Newest-first with EXISTS walks the time index and stops after `wanted`
    matches: it reads about wanted * (items in scope / matches) rows. IN
    starts from the tag index: it reads every item carrying the rarest
    selected tag (over all time). A common filter favours EXISTS (0.8 ms vs
    550 ms measured), a rare one IN (23 ms vs 164 ms). The counts come
    from the summary, so estimating costs a few milliseconds.
    """
    if f.q and text_plan(conn, f).use_index:
        return "exists", ""  # the text index drives; each candidate's tags are checked
    rarest_axis, rarest_count = rarest_tag(conn, f, _count)
    if sort == "published_at" and not f.q:
        in_scope = _count(conn, scope_of(f), measure)
        if wanted * in_scope / max(total, 1) <= rarest_count:
            return "exists", ""
    return "in", rarest_axis


def _tags_of(conn: Any, ids: list[int]) -> dict[int, dict[str, list[TagEvidence]]]:
    if not ids:
        return {}
    rows = conn.execute(
        select(item_tags.c.item_id, item_tags.c.axis, item_tags.c.value, item_tags.c.terms)
        .where(item_tags.c.item_id.in_(ids))
        .order_by(item_tags.c.item_id, item_tags.c.axis, item_tags.c.value)
    ).all()
    out: dict[int, dict[str, list[TagEvidence]]] = defaultdict(dict)
    for item_id, axis, value, terms in rows:
        out[int(item_id)].setdefault(axis, []).append(
            TagEvidence(value, json.loads(terms) if terms else [])
        )
    return out


# --- feeds ---------------------------------------------------------------------------


def feed_health(engine: Engine, *, now: datetime | None = None) -> list[FeedHealth]:
    """Every feed with its fetch health and how many items it brought (from the summary),
    the ingest worker of its last fetch and the one fetching it now (a live lease)."""
    moment = now or datetime.now(UTC)
    today = moment.astimezone(UTC).date()
    week = Filters(date_from=today - timedelta(days=6), date_to=today)
    query = select(
        feeds.c.id,
        feeds.c.name,
        feeds.c.url,
        feeds.c.kind,
        feeds.c.format,
        feeds.c.language,
        feeds.c.enabled,
        feeds.c.last_fetched_at,
        feeds.c.last_status,
        feeds.c.last_http_status,
        feeds.c.last_error_kind,
        feeds.c.last_error,
        feeds.c.consecutive_errors,
        feeds.c.next_due_at,
        feeds.c.last_worker,
        feeds.c.lease_owner,
        feeds.c.lease_until,
    ).order_by(feeds.c.id)
    with _connect(engine) as conn:
        rows = conn.execute(query).all()
        totals_by_feed = {str(v): int(n) for v, n in _run(conn, Filters(), ["source"], ["items"])}
        recent = {str(v): int(n) for v, n in _run(conn, week, ["source"], ["items"])}
    held = {r.id: r.lease_owner for r in rows if r.lease_until and r.lease_until >= moment}
    return [
        FeedHealth(
            **{k: v for k, v in row._mapping.items() if k not in ("lease_owner", "lease_until")},
            items_per_day=recent.get(str(row.id), 0) / 7.0,
            items_total=totals_by_feed.get(str(row.id), 0),
            fetching_by=held.get(row.id),
        )
        for row in rows
    ]


def sources(engine: Engine) -> list[tuple[int, str]]:
    """(feed id, name) of every feed, by name: the source filter's options."""
    with _connect(engine) as conn:
        rows = conn.execute(select(feeds.c.id, feeds.c.name).order_by(feeds.c.name, feeds.c.id))
        return [(int(r[0]), str(r[1])) for r in rows]


def date_bounds(engine: Engine) -> tuple[date | None, date | None]:
    """The first and last UTC day with stored items (None, None for an empty store)."""
    # Two scalar subqueries: each is one index probe, while min and max in one
    # SELECT make SQLite scan the whole index (55 ms at 1M items vs 0.4 ms).
    first = select(func.min(items.c.published_day)).scalar_subquery()
    last = select(func.max(items.c.published_day)).scalar_subquery()
    with _connect(engine) as conn:
        row = conn.execute(select(first, last)).one()
    return (as_date(row[0]) if row[0] else None, as_date(row[1]) if row[1] else None)


@dataclass(frozen=True)
class SharePoint:
    axis: str
    id: str
    date: date
    count: int
    volume: int  # all items ingested in the bucket
    per_thousand: float | None  # None: nothing ingested in the bucket


def per_thousand(count: int, volume: int) -> float | None:
    """`count` per 1,000 items ingested in the same bucket.

    None when nothing was ingested: "no data", which a chart leaves blank;
    0 would claim a measured absence of threats.
    """
    return 1000.0 * count / volume if volume else None


def shares_per_thousand(
    points: list[SeriesPoint], volume: list[tuple[date, int]]
) -> list[SharePoint]:
    """Each point as a share per 1,000 ingested items of its bucket (same granularity)."""
    totals_by_bucket = dict(volume)
    out = []
    for p in points:
        v = totals_by_bucket.get(p.date, 0)
        out.append(SharePoint(p.axis, p.id, p.date, p.count, v, per_thousand(p.count, v)))
    return out
