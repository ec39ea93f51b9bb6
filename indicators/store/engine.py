"""Opening the database: one function that knows SQLite's and PostgreSQL's quirks."""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


class StoreError(Exception):
    """The database cannot be opened, created or migrated."""


def shown_url(url: str) -> str:
    """`url` fit for messages and logs: a password in it is replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in {"", ":memory:"} or database.startswith("file:"):
        return None
    return Path(database)


@dataclass(frozen=True)
class ServerOptions:
    """How a client/server database (PostgreSQL) is used; SQLite ignores them.

    Each process keeps up to `pool_size` connections open (plus `max_overflow`
    for bursts), so several ingest workers and dashboard processes stay within
    the server's `max_connections`. `statement_timeout` (seconds, 0: none) ends
    a runaway query on the server instead of letting it hold a connection.
    """

    pool_size: int = 5
    max_overflow: int = 10
    statement_timeout: float = 0.0


def _server_options(options: ServerOptions, *, read_only: bool) -> str:
    """The libpq `options` string: settings every session of this engine starts with."""
    parts = []
    if options.statement_timeout > 0:
        parts.append(f"-c statement_timeout={int(options.statement_timeout * 1000)}")
    if read_only:  # as SQLite's query_only: this engine's transactions cannot write
        parts.append("-c default_transaction_read_only=on")
    return " ".join(parts)


# The WAL file a checkpoint has emptied is cut back to this size at the next write.
# Without it the file stays at its high-water mark while any connection is open:
# a retag's 5,000-item batches left ~700 MB beside a 2 GB store of 1M items.
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def make_engine(
    url: str, *, read_only: bool = False, server: ServerOptions | None = None
) -> Engine:
    """Create an engine for `url`.

    SQLite: creates the parent folder, turns on WAL (readers never block the
    writer, so the dashboard can read while ingest writes) with its file cut
    back to `WAL_SIZE_LIMIT` once checkpointed, foreign keys and a busy
    timeout so a concurrent writer waits instead of failing. `read_only`
    opens the file with `mode=ro`-like safety via `PRAGMA query_only`.
    PostgreSQL: a connection pool and statement timeout from `server`, and
    `read_only` makes every transaction read-only on the server.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"not a database URL: {url!r} ({exc})") from exc
    kwargs: dict[str, Any] = {"future": True}
    path = _sqlite_path(url)
    if parsed.get_backend_name() == "sqlite":
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        # Connections to a file are pooled: a new one costs ~1.5 ms (pragmas, the
        # schema read, the text-search functions) and starts with an empty page
        # cache, which every query of a dashboard view paid (at 1M items the
        # queries of a filter change: p50 104 -> 81 ms with the pool).
        # A forked child (a gunicorn worker) must not inherit them: see _POOLED.
        # Beyond the pool a burst opens more (closed when returned): never a wait.
        if path is not None:
            kwargs["pool_size"] = (server or ServerOptions()).pool_size
            kwargs["max_overflow"] = -1
    else:
        server = server or ServerOptions()
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = server.pool_size
        kwargs["max_overflow"] = server.max_overflow
        if parsed.get_backend_name() == "postgresql":
            options = _server_options(server, read_only=read_only)
            if options:
                kwargs["connect_args"] = {"options": options}
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if path is not None:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute(f"PRAGMA journal_size_limit={int(WAL_SIZE_LIMIT)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if read_only:
                cur.execute("PRAGMA query_only=ON")
            cur.close()

        if path is not None:
            _POOLED.add(engine)
    return engine


# SQLite file engines whose pools hold open connections. SQLite connections must
# not cross a fork (a child closing an inherited one can disturb the parent's WAL
# and locks), so every idle pooled connection is closed just before this process
# forks; the child and the parent then open fresh ones. `subprocess` and the
# ingest's forkserver children start new programs and are not affected.
_POOLED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _close_pooled_connections() -> None:
    for engine in list(_POOLED):
        engine.dispose()


os.register_at_fork(before=_close_pooled_connections)
