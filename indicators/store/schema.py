"""The database schema (SQLAlchemy Core), identical on SQLite and PostgreSQL.

This module describes the *current* schema. A fresh database is created from it
and stamped with the latest migration; an existing database is brought here by
the ordered steps in `migrations.py`. Change both together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC, returned as timezone-aware UTC.

    SQLite has no time zone type; storing naive UTC everywhere keeps the text
    sortable and the same on PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("language", String(8), nullable=False, default=""),
    Column("country", String(8), nullable=False, default=""),
    Column("kind", String(20), nullable=False, default="media"),
    Column("interval_minutes", Integer, nullable=True),  # None: the global default
    Column("enabled", Boolean, nullable=False, default=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("last_fetched_at", UTCDateTime, nullable=True),
    Column("last_status", String(20), nullable=True),  # ok | not_modified | error
    Column("last_http_status", Integer, nullable=True),
    Column("last_error_kind", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_success_at", UTCDateTime, nullable=True),
    Column("consecutive_errors", Integer, nullable=False, default=0),
    Column("next_due_at", UTCDateTime, nullable=True),  # None: due now
    Column("created_at", UTCDateTime, nullable=False),
    # rss | telegram | sitemap | html: which parser reads the source (migration 5)
    Column("format", String(20), nullable=False, default="rss", server_default="rss"),
    # format "html": the listing's CSS selectors as a JSON object (migration 5)
    Column("selectors", Text, nullable=True),
    # Feed leases (indicators/store/leases.py): the ingest worker fetching the feed now and
    # until when its claim holds; NULL when nobody holds it (migration 9).
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("last_worker", String(200), nullable=True),  # the worker of the last fetch
)
Index("ix_feeds_due", feeds.c.enabled, feeds.c.next_due_at)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="SET NULL"), nullable=True),
    Column("guid", Text, nullable=True),
    Column("url", Text, nullable=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_day", Date, nullable=False),  # UTC day, for cheap GROUP BY
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("lang", String(8), nullable=False, default=""),
    Column("content_hash", String(64), nullable=False),
    Column("story_key", Text, nullable=False, default=""),  # title signature, see ingest.stories
    Column("story_id", Integer, nullable=True),  # id of the story's first item
    Column("relevant", Boolean, nullable=False, default=False),
    Column("lexicon_version", String(40), nullable=True),  # None: never tagged
    # The item's tags (its `item_tags` rows' axis and value) as `tag_values` codes of
    # four digits, ascending and comma-separated ("0003,0017"; "" for none), written
    # with them: a search's facts read them with the item row instead of every tag
    # row (match_facts; write.codes_texts).
    Column("tag_codes", Text, nullable=False, default="", server_default=""),
    UniqueConstraint("feed_id", "guid", name="uq_items_feed_guid"),
    UniqueConstraint("url", name="uq_items_url"),
    UniqueConstraint("content_hash", name="uq_items_content_hash"),
)
Index("ix_items_published_at", items.c.published_at)
Index("ix_items_day_relevant", items.c.published_day, items.c.relevant)
Index("ix_items_feed_day", items.c.feed_id, items.c.published_day)
Index("ix_items_story", items.c.story_id)
Index("ix_items_lexicon_version", items.c.lexicon_version)

item_tags = Table(
    "item_tags",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    Column("axis", String(10), nullable=False),  # category | region | platform | actor
    Column("value", String(40), nullable=False),
    Column("terms", Text, nullable=False, default="[]"),  # JSON [{term, start, end}]
    PrimaryKeyConstraint("item_id", "axis", "value", name="pk_item_tags"),
)
Index("ix_item_tags_axis_value", item_tags.c.axis, item_tags.c.value, item_tags.c.item_id)

# Every (axis, value) a tag has ever had, numbered once: a code never changes or goes.
# In `items.tag_codes` a code has CODE_DIGITS digits, so a row's number of codes is its
# length plus one over CODE_DIGITS + 1, which a reader computes without parsing (a few
# hundred values exist: the taxonomy's, the countries, the actors and methods).
CODE_DIGITS = 4
MAX_CODE = 10**CODE_DIGITS - 1
tag_values = Table(
    "tag_values",
    metadata,
    Column("code", Integer, primary_key=True),
    Column("axis", String(10), nullable=False),
    Column("value", String(40), nullable=False),
    UniqueConstraint("axis", "value", name="uq_tag_values_axis_value"),
)

fetch_runs = Table(
    "fetch_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("duration_ms", Float, nullable=False, default=0.0),
    Column("status", String(20), nullable=False),  # ok | not_modified | error
    Column("http_status", Integer, nullable=True),
    Column("bytes", Integer, nullable=False, default=0),
    Column("entries", Integer, nullable=False, default=0),  # items in the document
    Column("new_items", Integer, nullable=False, default=0),
    Column("error_kind", String(40), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("warning", Text, nullable=True),  # e.g. feedparser bozo on a feed that still parsed
    Column("worker_id", String(200), nullable=True),  # `ingest --worker-id` (migration 9)
)
Index("ix_fetch_runs_feed_started", fetch_runs.c.feed_id, fetch_runs.c.started_at)

# --- exact summary tables (indicators/store/summary.py explains the design) ----------
# Kept up to date by the writer in the same transaction as the items they count.

tag_combos = Table(
    "tag_combos",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # hash of proj + signature
    Column("proj", SmallInteger, nullable=False),  # bit mask of the projection's axes
    Column("signature", Text, nullable=False),  # e.g. "category=cyber_threats|region=KZ-75"
)
Index("ix_tag_combos_proj", tag_combos.c.proj, tag_combos.c.id)

combo_members = Table(
    "combo_members",
    metadata,
    Column("proj", SmallInteger, nullable=False),
    Column("axis", String(10), nullable=False),  # a tag axis or source
    Column("value", String(40), nullable=False),
    Column("combo_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("proj", "axis", "value", "combo_id", name="pk_combo_members"),
    sqlite_with_rowid=False,
)
Index(
    "ix_combo_members_combo", combo_members.c.combo_id, combo_members.c.axis, combo_members.c.value
)

tag_counts = Table(
    "tag_counts",
    metadata,
    Column("combo_id", BigInteger, nullable=False),
    Column("day", Date, nullable=False),  # UTC day (items.published_day)
    Column("lang", String(8), nullable=False),
    Column("items", Integer, nullable=False),
    Column("relevant", Integer, nullable=False),
    Column("stories", Integer, nullable=False),  # items that start a story (story_id == id)
    PrimaryKeyConstraint("combo_id", "day", "lang", name="pk_tag_counts"),
    sqlite_with_rowid=False,
)

# Story starts per method, on top of the summary: for each relevant item that starts a
# story and names methods, one count per method (and one under "*": the stories naming
# any method) in the rows of two of its combinations: the projection with no axis (an
# unfiltered chart) and the full projection (every axis and source), so the "Methods
# over time" chart filters exactly like every other view.
method_counts = Table(
    "method_counts",
    metadata,
    Column("combo_id", BigInteger, nullable=False),  # projection 0 or the full projection
    Column("day", Date, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("method", String(40), nullable=False),  # a method id, or "*" for any
    Column("stories", Integer, nullable=False),
    PrimaryKeyConstraint("combo_id", "day", "lang", "method", name="pk_method_counts"),
    sqlite_with_rowid=False,
)
Index("ix_method_counts_day", method_counts.c.day, method_counts.c.method)

item_days = Table(
    "item_days",
    metadata,
    Column("day", Date, primary_key=True),  # UTC day (items.published_day)
    Column("first_id", Integer, nullable=False),  # smallest item id published that day
    Column("last_id", Integer, nullable=False),  # largest
)
# Ids only grow, so "no item of days >= D has an id below min(first_id)": searches
# restricted to a period can skip older rows of the text and tag indexes.

# --- emerging terms (indicators/store/item_terms.py explains the design) ----------------
# Each relevant item's distinct words and word pairs as sorted 64-bit hashes
# (indicators/text_terms.py), kept by the writer in step with `items.relevant`.

item_terms = Table(
    "item_terms",
    metadata,
    Column(
        "item_id",
        Integer,
        ForeignKey("items.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("terms", LargeBinary, nullable=False),  # little-endian int64 hashes, sorted
    # The item's `published_day` (migration 16): a few days' term rows are then one range
    # of item ids checked by day here, with no read of the items (term_counts).
    Column("day", Date, nullable=True),
    # The item's language (migration 17), checked here for the same reason.
    Column("lang", String(8), nullable=True),
)

# --- early warning (issue 14; indicators/early_warning.py and indicators/store/alerts.py) --

watch_rules = Table(
    "watch_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("filters", Text, nullable=False),  # JSON object in the Filters API parameter names
    Column("min_stories", Integer, nullable=False, default=1),
    Column("playbook", String(60), nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # rise | first_seen | rule
    Column("key", Text, nullable=False),  # stable identity of the series or rule
    # = key while the wave is active, NULL once it ended: the database itself keeps
    # one active alert per key, so two detection runs cannot open the same wave twice.
    Column("open_key", Text, nullable=True, unique=True),
    Column("rule_id", Integer, ForeignKey("watch_rules.id", ondelete="SET NULL"), nullable=True),
    Column("series", Text, nullable=False),  # JSON object: API parameter name -> list
    Column("label", Text, nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    Column("observed", Integer, nullable=True),
    Column("expected", Float, nullable=True),
    Column("score", Float, nullable=True),
    Column("peak_score", Float, nullable=True),
    Column("story_ids", Text, nullable=True),  # JSON list of int
    Column("item_ids", Text, nullable=True),  # JSON list of int
    Column("state", String(20), nullable=False, default="new"),
    Column("note", Text, nullable=False, default=""),
    Column("playbook", String(60), nullable=True),
    Column("checklist", Text, nullable=False, default="{}"),  # JSON object item key -> bool
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("dismissed_at", UTCDateTime, nullable=True),
    Column("ended_at", UTCDateTime, nullable=True),
)
Index("ix_alerts_state", alerts.c.state)
Index("ix_alerts_created_at", alerts.c.created_at)
Index("ix_alerts_kind_key", alerts.c.kind, alerts.c.key)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(20), nullable=False),  # opened | grew | ended | acknowledged | ...
    Column("state", String(20), nullable=False),  # the alert's state after the event
    Column("note", Text, nullable=False, default=""),
    Column("detail", Text, nullable=False, default="{}"),  # JSON object
)
Index("ix_alert_events_alert_at", alert_events.c.alert_id, alert_events.c.at)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(20), nullable=False),  # opened | grew
    Column("channel", String(20), nullable=False),  # webhook | email
    Column("target", Text, nullable=False),  # URL, or comma-separated recipients
    Column("status", String(20), nullable=False, default="pending"),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=True),  # None: no further attempt
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
)
Index(
    "ix_alert_deliveries_status_next",
    alert_deliveries.c.status,
    alert_deliveries.c.next_attempt_at,
)

detection_runs = Table(
    "detection_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),  # the moment detected for
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("series_checked", Integer, nullable=False, default=0),
    Column("opened", Integer, nullable=False, default=0),
    Column("grown", Integer, nullable=False, default=0),
    Column("ended", Integer, nullable=False, default=0),
    Column("status", String(20), nullable=False),  # ok | error
    Column("error", Text, nullable=True),
)

ALERT_TABLES = (watch_rules, alerts, alert_events, alert_deliveries, detection_runs)

# --- dashboard users (issue 9; indicators/accounts.py and indicators/store/users.py) ----

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),  # viewer | analyst
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string
    Column("token_hash", String(64), nullable=True, unique=True),  # SHA-256 of the API token
    Column("token_created_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # raised by signing out: every session cookie issued before carries the old number
    Column("session_epoch", Integer, nullable=False, server_default="0"),
)

# Failed sign-ins, shared by every dashboard process and host (dashboard/login_limit.py):
# the name tried (as typed, normalized), the client address, when, and whether a later
# right password for that name cleared it (it still counts for the address). Rows older
# than the limiter's window are deleted as new ones come in.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("cleared", Boolean, nullable=False, default=False, server_default=false()),
)
Index("ix_login_failures_user", login_failures.c.user_name, login_failures.c.at)
Index("ix_login_failures_client", login_failures.c.client, login_failures.c.at)
Index("ix_login_failures_at", login_failures.c.at)

# --- jobs shared by several ingest workers (indicators/store/leases.py) -------------------
# One row per job that must run once per cycle, not once per worker (alert detection):
# who holds it and until when, and what the last run had seen.

job_leases = Table(
    "job_leases",
    metadata,
    Column("job", String(40), primary_key=True),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("last_started_at", UTCDateTime, nullable=True),
    Column("last_finished_at", UTCDateTime, nullable=True),
    Column("last_worker", String(200), nullable=True),
    Column("mark", BigInteger, nullable=True),  # the newest fetch run id the last run had seen
)

# --- text search ---------------------------------------------------------------------
# SQLite (where the build has FTS5): a trigram index over title + summary, kept in step
# with `items` by triggers. detail=none keeps it ~1x the text size (detail=full is ~2.7x);
# a match is then "has all the query's trigrams" and queries.py re-checks the substring.
# PostgreSQL (where pg_trgm can be created): GIN trigram indexes on lower(title) and
# lower(summary), which the planner uses for the very LIKE test the queries already run.

TEXT_INDEX = "items_fts"
_TEXT_INDEX_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TEXT_INDEX} USING fts5("
    "title, summary, content='items', content_rowid='id', tokenize='trigram', detail='none')",
    f"CREATE TRIGGER IF NOT EXISTS {TEXT_INDEX}_ai AFTER INSERT ON items BEGIN "
    f"INSERT INTO {TEXT_INDEX}(rowid, title, summary) VALUES (new.id, new.title, new.summary); "
    "END",
    f"CREATE TRIGGER IF NOT EXISTS {TEXT_INDEX}_ad AFTER DELETE ON items BEGIN "
    f"INSERT INTO {TEXT_INDEX}({TEXT_INDEX}, rowid, title, summary) "
    "VALUES ('delete', old.id, old.title, old.summary); END",
    f"CREATE TRIGGER IF NOT EXISTS {TEXT_INDEX}_au AFTER UPDATE OF title, summary ON items BEGIN "
    f"INSERT INTO {TEXT_INDEX}({TEXT_INDEX}, rowid, title, summary) "
    "VALUES ('delete', old.id, old.title, old.summary); "
    f"INSERT INTO {TEXT_INDEX}(rowid, title, summary) VALUES (new.id, new.title, new.summary); "
    "END",
)

# SQLite: a number that grows with every commit adding, removing or rewriting an item's
# text, in the same transaction as the change. It is how the search's cached match sets
# (textsearch.exact_matches) know, exactly, that they are still the truth. Its column
# `counted` grows likewise with every change of what an item is counted as (its tags'
# lexicon version, relevance, story, source, language or day): with `n` it keys the
# counted facts of a match set (match_facts).
TEXT_VERSION = "items_text_version"
# Tags are only ever rewritten together with the item's lexicon version (write.py), so
# this trigger also sees every retag.
COUNTED_CHANGE_TRIGGER = (
    f"CREATE TRIGGER IF NOT EXISTS {TEXT_VERSION}_ac AFTER UPDATE OF "
    "lexicon_version, relevant, story_id, feed_id, lang, published_at, published_day "
    f"ON items BEGIN UPDATE {TEXT_VERSION} SET counted = counted + 1; END"
)
_TEXT_VERSION_DDL = (
    # `store`: drawn once, so a different database put at the same path is never
    # mistaken for this one at the same count.
    f"CREATE TABLE IF NOT EXISTS {TEXT_VERSION} (n INTEGER NOT NULL, store TEXT NOT NULL)",
    f"INSERT INTO {TEXT_VERSION}(n, store) SELECT 0, lower(hex(randomblob(8))) "
    f"WHERE NOT EXISTS (SELECT 1 FROM {TEXT_VERSION})",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {TEXT_VERSION}_{suffix} AFTER {when} ON items BEGIN "
        f"UPDATE {TEXT_VERSION} SET n = n + 1; END"
        for suffix, when in (
            ("ai", "INSERT"),
            ("ad", "DELETE"),
            ("au", "UPDATE OF title, summary"),
        )
    ),
)


def create_text_index(connection: Any, *, fill: bool = False) -> bool:
    """Create the text search index; False where the database cannot have one.

    SQLite: the FTS5 table and its triggers (`fill` indexes the items already
    stored, for a migration of an existing database), and the text version
    counter with its triggers. PostgreSQL: the pg_trgm
    extension (when it is available and this role may create it) and the GIN
    indexes, which PostgreSQL fills itself.
    """
    if connection.dialect.name == "postgresql":
        return _create_trigram_indexes(connection)
    if connection.dialect.name != "sqlite":
        return False
    raw = connection.exec_driver_sql("PRAGMA compile_options").fetchall()
    if not any("FTS5" in str(row[0]) for row in raw):
        return False
    for statement in (*_TEXT_INDEX_DDL, *_TEXT_VERSION_DDL):
        connection.exec_driver_sql(statement)
    add_counted_version(connection)
    if fill:
        connection.exec_driver_sql(f"INSERT INTO {TEXT_INDEX}({TEXT_INDEX}) VALUES ('rebuild')")
    return True


def add_counted_version(connection: Any) -> None:
    """SQLite: the text version's `counted` column and its trigger (idempotent)."""
    columns = {row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({TEXT_VERSION})")}
    if "counted" not in columns:
        connection.exec_driver_sql(
            f"ALTER TABLE {TEXT_VERSION} ADD COLUMN counted INTEGER NOT NULL DEFAULT 0"
        )
    connection.exec_driver_sql(COUNTED_CHANGE_TRIGGER)


# lower(...) as the queries write it (textsearch.text_condition), so the planner matches it.
TRIGRAM_INDEXES = {"ix_items_title_trgm": "title", "ix_items_summary_trgm": "summary"}


def _create_trigram_indexes(connection: Any) -> bool:
    """pg_trgm GIN indexes for the LIKE search on PostgreSQL; False without the extension.

    The extension is part of PostgreSQL's contrib modules and "trusted" since
    PostgreSQL 13, so the database owner may create it; where it is missing or
    not allowed, the search stays a scan (same results, slower), and a later
    `threatmon init` after installing it does not add it: run the two CREATE
    INDEX statements of the README by hand.
    """
    have = connection.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    ).first()
    if have is None:
        available = connection.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
        ).first()
        if available is None:
            return False
        savepoint = connection.begin_nested()
        try:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # no privilege: keep the scan
            savepoint.rollback()
            return False
        savepoint.commit()
    for name, column in TRIGRAM_INDEXES.items():
        connection.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {name} ON items USING gin (lower({column}) gin_trgm_ops)"
        )
    return True


def _text_index_after_items(target: Any, connection: Any, **kw: Any) -> None:
    create_text_index(connection)


event.listen(items, "after_create", _text_index_after_items)
