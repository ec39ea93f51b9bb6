"""Free-text search: the items whose title or summary contains `q`, and where to start looking.

The match is always an exact, case-insensitive substring test (LIKE on a
Unicode-aware lower(), with LIKE's wildcards escaped). On SQLite builds with
FTS5 a trigram index (`schema.TEXT_INDEX`) can supply the candidates first;
`plan_search` decides per query whether the index or the other filters
should drive, by comparing two cheap counts. On PostgreSQL the same LIKE
test is answered from the pg_trgm GIN indexes on lower(title) and
lower(summary) where `threatmon init` could create them
(`schema.TRIGRAM_INDEXES`), else it runs on whatever the other filters leave.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Text,
    and_,
    column,
    func,
    inspect,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from indicators.selection import Filters
from indicators.store.conditions import Count, first_id, rarest_tag, scope_of
from indicators.store.schema import TEXT_INDEX, items


class _lower(FunctionElement[str]):
    """Unicode lower(): `tm_lower` on SQLite (registered per connection), lower() elsewhere."""

    type = Text()
    inherit_cache = True


@compiles(_lower)
def _compile_lower(element: _lower, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(_lower, "sqlite")
def _compile_lower_sqlite(element: _lower, compiler: Any, **kw: Any) -> str:
    return f"tm_lower({compiler.process(element.clauses, **kw)})"


def _fold(value: str | None) -> str | None:
    return None if value is None else value.lower()


def prepare(conn: Connection) -> None:
    """Ready a read connection for text search.

    On SQLite: registers `tm_lower`, a Unicode-aware lower() (SQLite's own
    folds ASCII only, so "Теракт" would not find "теракт"), and notes whether
    the store has the trigram index.
    """
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        raw.create_function("tm_lower", 1, _fold, deterministic=True)  # type: ignore[union-attr]
        conn.info["text_index"] = inspect(conn).has_table(TEXT_INDEX)


def has_text_index(conn: Connection) -> bool:
    """Whether this (prepared) connection's store has the FTS5 trigram index."""
    return bool(conn.info.get("text_index"))


def _like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class TextPlan:
    """How to find the items containing `q` (results are the same either way).

    `use_index`: start from the FTS5 trigram index (a common word over a
    long period), else from the other filters, testing the text of each
    (a rare selection). `min_id`: no item of the period has a smaller id,
    so the index search can skip older rows.
    """

    use_index: bool = False
    min_id: int | None = None
    driver: str = ""  # without the index: the tag axis whose index starts the search


def text_condition(q: str, plan: TextPlan | None = None) -> ColumnElement[bool]:
    """Case-insensitive substring match on title or summary.

    `tm_lower` is SQLite's registered Unicode lower(); on PostgreSQL the
    same name is compiled to lower(), which is Unicode-aware there. With the
    FTS5 trigram index, candidates come from the index (items having all the
    query's trigrams) and the exact substring test runs on those only.
    """
    pattern = _like_pattern(q)
    exact = or_(
        _lower(items.c.title).like(pattern, escape="\\"),
        _lower(items.c.summary).like(pattern, escape="\\"),
    )
    match = trigram_query(q) if plan and plan.use_index else None
    if match is None:
        return exact
    return and_(items.c.id.in_(_index_candidates(match, plan)), exact)


def _index_candidates(match: str, plan: TextPlan | None) -> Select[Any]:
    fts = table(TEXT_INDEX, column("rowid"))
    query = select(fts.c.rowid).where(literal_column(TEXT_INDEX).op("MATCH")(match))
    if plan and plan.min_id is not None:
        query = query.where(fts.c.rowid >= plan.min_id)
    return query


def trigram_query(q: str, *, most: int = 24) -> str | None:
    """An FTS5 query requiring every trigram of `q` (None when `q` has fewer than 3 characters).

    Long queries use `most` trigrams spread over the text: still a superset
    of the true matches, which the exact test then narrows.
    """
    text = q.lower()
    grams = list(dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2)))
    if not grams:
        return None
    if len(grams) > most:
        step = len(grams) / most
        grams = [grams[int(i * step)] for i in range(most)]
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


_PLAN_TTL = 300.0  # seconds
_plans: dict[tuple[str, int, Filters], tuple[float, TextPlan]] = {}


def plan_search(conn: Connection, f: Filters, count: Count) -> TextPlan:
    """Choose where the search for `f.q` starts, by comparing two cheap counts.

    The index side: items with all of `q`'s trigrams in the period's id
    range (FTS5 counts them in a few ms). The filter side, from `count`:
    the items of the rarest selected tag from the period on, or without
    tags the items of the period, languages and sources. The smaller one
    drives. Plans are cached briefly, so the dozen queries of one view share
    the estimate; the key holds the newest item id, so a write (or another
    database at the same URL) gets a fresh plan.
    """
    match = trigram_query(f.q) if f.q else None
    if match is None or not has_text_index(conn):
        return TextPlan()
    newest = int(conn.execute(select(func.max(items.c.id))).scalar_one() or 0)
    key = (str(conn.engine.url), newest, f)
    cached = _plans.get(key)
    if cached and time.monotonic() - cached[0] < _PLAN_TTL:
        return cached[1]
    min_id = first_id(conn, f)
    index_side = select(func.count()).select_from(
        _index_candidates(match, TextPlan(True, min_id)).subquery()
    )
    from_index = int(conn.execute(index_side).scalar_one())
    driver, from_filters = rarest_tag(conn, f, count)
    if from_filters < 0:
        from_filters = count(conn, scope_of(f))
    plan = TextPlan(use_index=from_index < from_filters, min_id=min_id, driver=driver)
    if len(_plans) > 256:
        _plans.clear()
    _plans[key] = (time.monotonic(), plan)
    return plan
