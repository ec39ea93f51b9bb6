"""Many rows through one statement, without SQLAlchemy's per-row parameter work.

`Connection.execute(stmt, rows)` builds and type-processes every row's
parameters through its generic machinery: for a 5,000-item feed that was a
sixth of the store's time (bench/bench_ingest.py), and the summary's upserts
of the same feed paid it again for some 15,000 rows. Here the statement is
compiled once for the connection's dialect, each column's bind processor
(the very function SQLAlchemy would call: dates to text on SQLite, UTC
timestamps made naive, booleans to integers) is looked up once, and the
converted rows go to the driver directly.

`insert_returning` does the same for a feed's new items on SQLite, whose ids
come back with them: one multi-row INSERT per page of rows, as many rows as
the build's variable limit allows. Few statements matter there beyond the
parameter work, because the cost of the items' text index (FTS5) grows with
the number of statements (measured on a 5,000-item feed: one statement per
item ~1.0 s, three multi-row statements ~0.2 s, ~0.07 s of it without the index).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.expression import ClauseElement

PLAIN = frozenset({int, str, bytes, type(None)})  # what every driver stores as it is
# Values a driver adapts itself when the column's type has no bind processor
# (PostgreSQL's dates and timestamps, booleans); only for a column of that type.
NATIVE = frozenset({date, datetime, bool, float})


def _processors(
    compiled: SQLCompiler, names: Sequence[str], dialect: Dialect
) -> list[tuple[Callable[[Any], Any] | None, type | None]]:
    """Per bind, in `names` order: its dialect's bind processor and its Python type."""
    found: list[tuple[Callable[[Any], Any] | None, type | None]] = []
    for name in names:
        bind_type = compiled.binds[name].type
        processor = bind_type.dialect_impl(dialect).bind_processor(dialect)
        try:
            python_type: type | None = bind_type.python_type
        except NotImplementedError:
            python_type = None
        found.append((processor, python_type))
    return found


def execute_rows(conn: Connection, stmt: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run `stmt` for every row (an executemany), converting values as SQLAlchemy would.

    A column with a bind processor gets its values through it; any other value
    must be plain (`PLAIN`) or, for a driver to adapt, of the column's own
    Python type (a date for a date column). Anything else, such as a date for
    a text column, is refused before the statement runs: SQLAlchemy would hand
    it to the driver, which may store it in a form no reader expects.
    """
    if not rows:
        return
    compiled = cast(SQLCompiler, stmt.compile(dialect=conn.dialect))
    names, values = _driver_values(compiled, rows, conn.dialect)
    params: Any = (
        values if compiled.positional else [dict(zip(names, v, strict=True)) for v in values]
    )
    conn.exec_driver_sql(compiled.string, params)


def insert_returning(
    conn: Connection, stmt: Insert, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """Run an INSERT ... RETURNING for every row; the rows it returns (order not kept).

    `stmt` is a plain single-row INSERT with a RETURNING clause (an OR IGNORE
    prefix or ON CONFLICT DO NOTHING may skip rows, which then return nothing).
    On SQLite the rows go in pages of one multi-row statement each, converted
    as `execute_rows` converts them; elsewhere SQLAlchemy's own batched path
    (insertmanyvalues) runs it.
    """
    if not rows:
        return []
    if conn.dialect.name != "sqlite":
        return [tuple(r) for r in conn.execute(stmt, list(rows))]
    compiled = cast(SQLCompiler, stmt.compile(dialect=conn.dialect, column_keys=[*rows[0]]))
    names, values = _driver_values(compiled, rows, conn.dialect)
    head, _, tail = compiled.string.partition(" VALUES ")
    group = "(" + ", ".join("?" * len(names)) + ")"
    if not compiled.positional or not tail.startswith(group):
        raise TypeError(f"insert_returning needs a single-row INSERT ... VALUES: {compiled.string}")
    rest = tail[len(group) :]
    raw: Any = conn.connection.driver_connection
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    page = max(1, limit // len(names))
    returned: list[tuple[Any, ...]] = []
    for start in range(0, len(values), page):
        chunk = values[start : start + page]
        sql = f"{head} VALUES {', '.join([group] * len(chunk))}{rest}"
        flat = tuple(value for row in chunk for value in row)
        returned.extend(tuple(r) for r in conn.exec_driver_sql(sql, flat))
    return returned


def _driver_values(
    compiled: SQLCompiler, rows: Sequence[Mapping[str, Any]], dialect: Dialect
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The statement's bind names in order, and each row's values converted for the driver."""
    names: list[str] = (
        list(compiled.positiontup or ()) if compiled.positional else [*compiled.params]
    )
    columns: list[list[Any]] = []
    for name, (processor, python_type) in zip(
        names, _processors(compiled, names, dialect), strict=True
    ):
        column = [row[name] for row in rows]
        if processor is not None:
            column = list(map(processor, column))
        else:
            allowed = PLAIN | ({python_type} & NATIVE if python_type else set())
            odd = set(map(type, column)) - allowed
            if odd:
                kinds = ", ".join(sorted(t.__name__ for t in odd))
                raise TypeError(
                    f"execute_rows takes plain values only; not so for {name} ({kinds})"
                )
        columns.append(column)
    return names, list(zip(*columns, strict=True))
