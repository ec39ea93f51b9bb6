"""Many rows through one statement, without SQLAlchemy's per-row parameter work.

`Connection.execute(stmt, rows)` builds and type-processes every row's
parameters in Python: for a 5,000-item feed that was a sixth of the store's
time (bench/bench_ingest.py). The rows written here are plain ints, strings
and bytes, which every DBAPI takes as they are, so the statement is compiled
once for the connection's dialect and the rows go to the driver directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

PLAIN = frozenset({int, str, bytes, type(None)})  # what no dialect converts (not bool)


def execute_rows(conn: Connection, stmt: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run `stmt` for every row (an executemany) with the rows' values as they are.

    Only for values of the types in `PLAIN`: dates, booleans and custom types need the
    dialect's conversion and must go through `conn.execute`. Checked, because
    a value passed unconverted could be stored in a different form.
    """
    if not rows:
        return
    compiled = cast(SQLCompiler, stmt.compile(dialect=conn.dialect))
    names: list[str] = (
        list(compiled.positiontup or ()) if compiled.positional else [*compiled.params]
    )
    values = [tuple(row[k] for k in names) for row in rows]
    for value in values:
        if not all(type(v) in PLAIN for v in value):
            odd = [k for k, v in zip(names, value, strict=True) if type(v) not in PLAIN]
            raise TypeError(f"execute_rows takes plain values only; not so for {odd}")
    params: Any = (
        values if compiled.positional else [dict(zip(names, v, strict=True)) for v in values]
    )
    conn.exec_driver_sql(compiled.string, params)
