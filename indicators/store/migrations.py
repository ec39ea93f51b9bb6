"""Ordered, recorded schema migrations.

Why not Alembic: the schema is small, must run on SQLite and PostgreSQL, and
`threatmon init` must upgrade any older database without a separate tool or
config file. A numbered list of Python steps over SQLAlchemy Core does that in
a few lines, and each applied step is recorded in `schema_migrations`.

A fresh database is created from `schema.metadata` (the current schema) and
stamped with the newest version; an existing database runs the steps after its
recorded version, each in its own transaction. A step added here must leave
the database identical to what `schema.py` creates (a test checks this).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, inspect, select

from indicators.store import schema
from indicators.store.engine import StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    schema.metadata.create_all(conn)


def _exact_summaries(conn: Connection) -> None:
    """Summary tables for the dashboard, filled from the items already stored."""
    from indicators.store import summary

    for table in (schema.tag_combos, schema.combo_members, schema.tag_counts, schema.item_days):
        table.create(conn, checkfirst=True)
    summary.rebuild_in(conn)


def _text_index(conn: Connection) -> None:
    """FTS5 trigram index for the dashboard's text search (SQLite only)."""
    schema.create_text_index(conn, fill=True)


def _early_warning(conn: Connection) -> None:
    """Alerts, their events and deliveries, watch rules and detection runs (issue 14)."""
    for table in schema.ALERT_TABLES:
        table.create(conn, checkfirst=True)


def _actor_axis(conn: Connection) -> None:
    """The `actor` tag axis (issue 7): every item counts in the projections that hold it.

    The summary's projection masks follow the tag axes, so adding one moves the
    `source` bit: the summary is recounted. Stored items gain actor tags only
    when `threatmon retag` re-applies the lexicon (their version changed).
    """
    from indicators.store import summary

    summary.rebuild_in(conn)


def _item_terms(conn: Connection) -> None:
    """Each relevant item's word and word-pair hashes, for emerging terms (issue 7)."""
    from indicators.store import item_terms

    schema.item_terms.create(conn, checkfirst=True)
    item_terms.fill_terms(conn)


def _source_format(conn: Connection) -> None:
    """The feeds table's `format` and `selectors` columns: how a source is read (issue 12).

    Self-contained (checks before adding) so the step can be renumbered when
    branches merge; existing feeds are all RSS/Atom/RDF, the column default.
    """
    columns = {c["name"] for c in inspect(conn).get_columns("feeds")}
    if "format" not in columns:
        conn.exec_driver_sql(
            "ALTER TABLE feeds ADD COLUMN format VARCHAR(20) NOT NULL DEFAULT 'rss'"
        )
    if "selectors" not in columns:
        conn.exec_driver_sql("ALTER TABLE feeds ADD COLUMN selectors TEXT")


def _method_counts(conn: Connection) -> None:
    """Story starts per method on top of the summary (issue 7's "Methods over time").

    Self-contained: creates the table when missing and counts the stored items'
    method tags (none before `threatmon retag` applies the method lexicon).
    """
    from indicators.store import summary

    schema.method_counts.create(conn, checkfirst=True)
    summary.fill_method_counts(conn)


def _ingest_workers(conn: Connection) -> None:
    """Several ingest workers on one database (issue 9): feed leases, the worker of each
    fetch run, the shared-job table, and the trigram text index on PostgreSQL.

    Self-contained (checks before adding) so the step can be renumbered when
    branches merge. No feed is leased afterwards: every column starts NULL.
    """
    feed_columns = {c["name"] for c in inspect(conn).get_columns("feeds")}
    for name, sql_type in (
        ("lease_owner", "VARCHAR(200)"),
        ("lease_until", "TIMESTAMP"),
        ("last_worker", "VARCHAR(200)"),
    ):
        if name not in feed_columns:
            conn.exec_driver_sql(f"ALTER TABLE feeds ADD COLUMN {name} {sql_type}")
    if "worker_id" not in {c["name"] for c in inspect(conn).get_columns("fetch_runs")}:
        conn.exec_driver_sql("ALTER TABLE fetch_runs ADD COLUMN worker_id VARCHAR(200)")
    for index in schema.feeds.indexes:
        index.create(conn, checkfirst=True)
    schema.job_leases.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        schema.create_text_index(conn)


def _users(conn: Connection) -> None:
    """Dashboard users with hashed passwords, roles and API tokens (issue 9's sign-in).

    Self-contained (creates the table when missing) so the step can be renumbered
    when branches merge.
    """
    schema.users.create(conn, checkfirst=True)


def _shared_sign_in(conn: Connection) -> None:
    """Sign-in across processes (issue 9): failed sign-ins counted in the database, and a
    per-user session number that signing out raises.

    Self-contained (checks before adding) so the step can be renumbered when
    branches merge. Every existing session stays valid: the number starts at 0.
    """
    if "session_epoch" not in {c["name"] for c in inspect(conn).get_columns("users")}:
        conn.exec_driver_sql(
            "ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0"
        )
    schema.login_failures.create(conn, checkfirst=True)
    for index in schema.login_failures.indexes:
        index.create(conn, checkfirst=True)


def _text_version(conn: Connection) -> None:
    """SQLite: the counter of item text changes that lets text searches reuse their
    match sets exactly (issue 10). The existing index is kept (nothing refilled)."""
    if conn.dialect.name == "sqlite" and inspect(conn).has_table(schema.TEXT_INDEX):
        schema.create_text_index(conn)


def _counted_changes(conn: Connection) -> None:
    """SQLite: a second number beside the text version that follows what an item is
    counted as (a retag, a relevance flip, a removed feed), so searches can count
    from facts kept in memory (`match_facts`, issue 10)."""
    if conn.dialect.name == "sqlite" and inspect(conn).has_table(schema.TEXT_VERSION):
        schema.add_counted_version(conn)


def _method_projections(conn: Connection) -> None:
    """`method_counts` in the projections a filter on category or region reads (issue 10):
    recounted from the stored method tags, as migration 8 first filled it."""
    from indicators.store import summary

    summary.fill_method_counts(conn)


def _tag_codes(conn: Connection) -> None:
    """Every item's tags as codes on its own row (`items.tag_codes`, `tag_values`), filled
    from the stored tag rows, so a search's facts are one read (issue 10).

    Self-contained (checks before adding) so the step can be renumbered when
    branches merge. On SQLite the counted version moves: facts kept by a
    running dashboard are read again.
    """
    schema.tag_values.create(conn, checkfirst=True)
    if "tag_codes" not in {c["name"] for c in inspect(conn).get_columns("items")}:
        conn.exec_driver_sql("ALTER TABLE items ADD COLUMN tag_codes TEXT NOT NULL DEFAULT ''")
    from indicators.store import write

    write.fill_tag_codes(conn)
    if conn.dialect.name == "sqlite" and inspect(conn).has_table(schema.TEXT_VERSION):
        conn.exec_driver_sql(f"UPDATE {schema.TEXT_VERSION} SET counted = counted + 1")


def _item_terms_day(conn: Connection) -> None:
    """Each term row's item day (`item_terms.day`), so the emerging-terms count reads a
    few days' rows as a range of ids with no read of the items (issue 10).

    Self-contained (checks before adding) so the step can be renumbered when
    branches merge.
    """
    if "day" not in {c["name"] for c in inspect(conn).get_columns("item_terms")}:
        conn.exec_driver_sql("ALTER TABLE item_terms ADD COLUMN day DATE")
    from indicators.store import item_terms

    item_terms.fill_days(conn)


def _item_terms_lang(conn: Connection) -> None:
    """Each term row's item language (`item_terms.lang`), so a one-language count of
    emerging terms reads the term rows alone, as a period with tags does (issue 10).

    Self-contained (checks before adding) so the step can be renumbered when
    branches merge.
    """
    if "lang" not in {c["name"] for c in inspect(conn).get_columns("item_terms")}:
        conn.exec_driver_sql("ALTER TABLE item_terms ADD COLUMN lang VARCHAR(8)")
    from indicators.store import item_terms

    item_terms.fill_langs(conn)


# Append new steps at the end; never edit or reorder an applied one.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _initial),
    Migration(2, "exact summary tables", _exact_summaries),
    Migration(3, "text search index", _text_index),
    Migration(4, "early warning: alerts and watch rules", _early_warning),
    Migration(5, "actor tag axis: summary recounted", _actor_axis),
    Migration(6, "emerging terms: item term hashes", _item_terms),
    Migration(7, "source format", _source_format),
    Migration(8, "method counts", _method_counts),
    Migration(9, "ingest workers: leases, worker ids, trigram search", _ingest_workers),
    Migration(10, "dashboard users", _users),
    Migration(11, "sign-in shared by every dashboard process", _shared_sign_in),
    Migration(12, "text version counter for search match sets", _text_version),
    Migration(13, "method counts for category and region filters", _method_projections),
    Migration(14, "counted version for search facts", _counted_changes),
    Migration(15, "tag codes on items for search facts", _tag_codes),
    Migration(16, "item day on term rows for emerging terms", _item_terms_day),
    Migration(17, "item language on term rows for emerging terms", _item_terms_lang),
)

LATEST_VERSION = MIGRATIONS[-1].version


def _no_statement_timeout(conn: Connection) -> None:
    """Lift the `db_statement_timeout` for this transaction: building an index or a
    summary over millions of rows may take longer than any query should."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")


def current_version(engine: Engine) -> int | None:
    """The newest applied migration, or None for a database threatmon never touched."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("schema_migrations"):
            return None
        row = conn.execute(
            select(schema.schema_migrations.c.version)
            .order_by(schema.schema_migrations.c.version.desc())
            .limit(1)
        ).first()
        return None if row is None else int(row[0])


def upgrade(engine: Engine) -> tuple[int | None, int]:
    """Bring the database to the newest schema; returns (version before, version after)."""
    before = current_version(engine)
    if before is not None and before > LATEST_VERSION:
        raise StoreError(
            f"database schema version {before} is newer than this threatmon "
            f"(knows up to {LATEST_VERSION}); upgrade threatmon"
        )
    now = datetime.now(UTC)
    if before is None:
        with engine.begin() as conn:
            _no_statement_timeout(conn)
            schema.metadata.create_all(conn)
            conn.execute(
                schema.schema_migrations.insert(),
                [{"version": m.version, "name": m.name, "applied_at": now} for m in MIGRATIONS],
            )
        return None, LATEST_VERSION
    for migration in MIGRATIONS:
        if migration.version <= before:
            continue
        with engine.begin() as conn:
            _no_statement_timeout(conn)
            migration.apply(conn)
            conn.execute(
                schema.schema_migrations.insert(),
                {"version": migration.version, "name": migration.name, "applied_at": now},
            )
    return before, LATEST_VERSION


def require_current(engine: Engine) -> None:
    """Fail clearly when the database is missing or older than this code expects."""
    version = current_version(engine)
    if version is None:
        raise StoreError("the database is not initialized: run `threatmon init`")
    if version != LATEST_VERSION:
        raise StoreError(
            f"database schema version {version}, expected {LATEST_VERSION}: run `threatmon init`"
        )
