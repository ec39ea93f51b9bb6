"""Many rows through one statement, without SQLAlchemy's per-row parameter work.

`Connection.execute(stmt, rows)` builds and type-processes every row's
parameters through its generic machinery: for a 5,000-item feed that was a
sixth of the store's time (bench/bench_ingest.py), and the summary's upserts
of the same feed paid it again for some 15,000 rows. Here the statement is
compiled once for the connection's dialect, each column's bind processor
(the very function SQLAlchemy would call: dates to text on SQLite, UTC
timestamps made naive, booleans to integers) is looked up once, and the
converted rows go to the driver directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
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
    dialect = conn.dialect
    compiled = cast(SQLCompiler, stmt.compile(dialect=dialect))
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
    values = list(zip(*columns, strict=True))
    params: Any = (
        values if compiled.positional else [dict(zip(names, v, strict=True)) for v in values]
    )
    conn.exec_driver_sql(compiled.string, params)
