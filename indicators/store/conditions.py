"""Filters as SQL over `items`: the conditions and estimates several queries share.

Semantics as in `indicators.selection`: OR within an axis, AND across axes.
A tag selection can be written two ways with the same answer: EXISTS, which
checks each item the rest of the query reaches (cheap for a common tag), or
IN over the tag index, which starts from the tag's items (cheap for a rare
one). The item page, the text search and the emerging-terms count choose
between them by estimated cost; `rarest_tag`, `first_id` and `last_id` are
the cheap counts and bounds they estimate with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, exists, func, or_, select

from indicators.models import TAG_AXES
from indicators.selection import AXIS_FIELDS, Filters
from indicators.store.schema import item_days, item_tags, items

# How many items match some filters (no free text): the summary answers in a few ms.
Count = Callable[[Connection, Filters], int]

# The `Filters` field holding each tag axis's selection.
TAG_FIELDS = {axis: AXIS_FIELDS[axis] for axis in TAG_AXES}


def tag_selection(f: Filters) -> list[tuple[str, tuple[str, ...]]]:
    """The tag axes `f` selects on, with their values, in axis order."""
    return [(axis, values) for axis, name in TAG_FIELDS.items() if (values := getattr(f, name))]


def scope_of(f: Filters) -> Filters:
    """The period, languages and sources of `f`: all items in view before tags and text."""
    return Filters(date_from=f.date_from, date_to=f.date_to, langs=f.langs, sources=f.sources)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def scope_conditions(f: Filters) -> list[Any]:
    """WHERE clauses over `items` for the period, sources and languages of `f`.

    The period is expressed on `published_at` (equivalent to the UTC day):
    one index then serves both the range and the newest-first order.
    """
    conds: list[Any] = []
    if f.date_from:
        conds.append(items.c.published_at >= day_start(f.date_from))
    if f.date_to:
        conds.append(items.c.published_at < day_start(f.date_to + timedelta(days=1)))
    if f.sources:
        conds.append(items.c.feed_id.in_(f.sources))
    if f.langs:
        conds.append(items.c.lang.in_(f.langs))
    return conds


def tag_condition(
    axis: str, values: tuple[str, ...], item_id: Column[int] | None = None
) -> ColumnElement[bool]:
    """The item carries at least one of `values` on `axis` (EXISTS, checked per item).

    `item_id` is the column naming the item, `items.id` by default; a query
    over another table keyed by item (the term rows) need not read the item row.
    """
    of = items.c.id if item_id is None else item_id
    return (
        exists()
        .where(
            item_tags.c.item_id == of,
            item_tags.c.axis == axis,
            item_tags.c.value.in_(values),
        )
        .correlate(of.table)
    )


def tag_in(
    axis: str,
    values: tuple[str, ...],
    min_id: int | None = None,
    max_id: int | None = None,
    ranges: Sequence[tuple[int, int]] = (),
    item_id: Column[int] | None = None,
) -> ColumnElement[bool]:
    """The same as `tag_condition`, written so the tag index can drive the query.

    `min_id` and `max_id` (no item of the period has a smaller or a larger id)
    limit the index range read; `ranges` (id ranges outside which no wanted item
    lies, `day_ranges`) limit it further to a few short reads.
    """
    ids = select(item_tags.c.item_id).where(item_tags.c.axis == axis, item_tags.c.value.in_(values))
    if min_id is not None:
        ids = ids.where(item_tags.c.item_id >= min_id)
    if max_id is not None:
        ids = ids.where(item_tags.c.item_id <= max_id)
    if ranges:
        ids = ids.where(or_(*(item_tags.c.item_id.between(low, high) for low, high in ranges)))
    return (items.c.id if item_id is None else item_id).in_(ids)


def tag_conditions(
    selection: list[tuple[str, tuple[str, ...]]],
    driver: str,
    min_id: int | None,
    max_id: int | None = None,
    ranges: Sequence[tuple[int, int]] = (),
    item_id: Column[int] | None = None,
) -> list[ColumnElement[bool]]:
    """One condition per selected axis: IN for the `driver` axis ("" for none), EXISTS
    otherwise; `item_id` as in `tag_condition`."""
    return [
        tag_in(axis, values, min_id, max_id, ranges, item_id)
        if axis == driver
        else tag_condition(axis, values, item_id)
        for axis, values in selection
    ]


def day_ranges(conn: Connection, days: Sequence[date]) -> list[tuple[int, int]]:
    """The id ranges of the items published on `days` (from `item_days`), overlaps merged.

    Every item of a day has an id between the day's first and last ids, so an
    item of one of `days` lies in one of the ranges.
    """
    rows = conn.execute(
        select(item_days.c.first_id, item_days.c.last_id).where(item_days.c.day.in_(days))
    ).all()
    merged: list[tuple[int, int]] = []
    for low, high in sorted((int(a), int(b)) for a, b in rows):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def first_id(conn: Connection, f: Filters) -> int | None:
    """No item published on or after `f.date_from` has a smaller id (None: no bound).

    Read from the tiny `item_days` table the writer keeps.
    """
    if f.date_from is None:
        return None
    value = conn.execute(
        select(func.min(item_days.c.first_id)).where(item_days.c.day >= f.date_from)
    ).scalar_one()
    return None if value is None else int(value)


def last_id(conn: Connection, f: Filters) -> int | None:
    """No item published on or before `f.date_to` has a larger id (None: no bound)."""
    if f.date_to is None:
        return None
    value = conn.execute(
        select(func.max(item_days.c.last_id)).where(item_days.c.day <= f.date_to)
    ).scalar_one()
    return None if value is None else int(value)


def rarest_tag(conn: Connection, f: Filters, count: Count) -> tuple[str, int]:
    """The selected tag axis with the fewest items from the period's start on, and that number.

    That is what a search starting from the tag index reads (its items from
    the period's first id on). ("", -1) when `f` selects no tag.
    """
    axis, fewest = "", -1
    for candidate, values in tag_selection(f):
        only = Filters(date_from=f.date_from, **{TAG_FIELDS[candidate]: values})  # type: ignore[arg-type]
        n = count(conn, only)
        if fewest < 0 or n < fewest:
            axis, fewest = candidate, n
    return axis, fewest
