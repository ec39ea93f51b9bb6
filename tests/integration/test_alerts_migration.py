"""Migration 4 (early warning tables) on SQLite and PostgreSQL.

A database left at version 3 (items and all) is upgraded to the same tables,
columns, indexes and constraints a fresh database gets; a fresh database is
stamped with the newest version; the constraints the alert logic relies on
(one active alert per key, cascades) are enforced by the database itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from indicators.store import write
from indicators.store.engine import make_engine
from indicators.store.migrations import LATEST_VERSION, MIGRATIONS, current_version, upgrade
from indicators.store.schema import (
    ALERT_TABLES,
    alert_deliveries,
    alert_events,
    alerts,
    items,
    schema_migrations,
    watch_rules,
)
from tests.factories import make_item

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ALERT_TABLE_NAMES = {
    "watch_rules",
    "alerts",
    "alert_events",
    "alert_deliveries",
    "detection_runs",
}


def version_three_database(engine: Engine) -> None:
    """A database as threatmon left it before issue 14, with one stored item."""
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    with engine.begin() as conn:
        write.insert_items(
            conn,
            feed,
            [make_item("Теракт", categories=("terrorist_activity",))],
            lexicon_version="v1",
        )
        for table in reversed(ALERT_TABLES):
            table.drop(conn)
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version > 3))


def shape(engine: Engine) -> dict[str, Any]:
    """Tables with their columns (name, type, nullability), indexes, unique and foreign keys."""
    with engine.connect() as conn:
        insp = inspect(conn)
        out: dict[str, Any] = {}
        for name in sorted(ALERT_TABLE_NAMES):
            out[name] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(name)
                ],
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in insp.get_indexes(name)
                ),
                "unique": sorted(
                    tuple(u["column_names"]) for u in insp.get_unique_constraints(name)
                ),
                "foreign_keys": sorted(
                    (
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        (fk.get("options") or {}).get("ondelete"),
                    )
                    for fk in insp.get_foreign_keys(name)
                ),
            }
        return out


def test_version_four_is_the_early_warning_migration() -> None:
    assert LATEST_VERSION >= 4
    assert MIGRATIONS[3].version == 4
    assert MIGRATIONS[3].name == "early warning: alerts and watch rules"
    assert {t.name for t in ALERT_TABLES} == ALERT_TABLE_NAMES


def another_empty_database(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second empty database on the same backend as `db_url`.

    On PostgreSQL a new name each time: the server lives for the whole session,
    and other modules (test_users, test_team_store) create their second database
    with this too (importing this module again, so a module-level counter would not do).
    """
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/fresh.db"
    server = str(request.getfixturevalue("pg_server_url"))
    name = f"fresh_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def test_a_version_three_database_upgrades_to_the_fresh_shape(
    db_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    old = make_engine(db_url)
    version_three_database(old)
    assert current_version(old) == 3
    assert not ALERT_TABLE_NAMES & set(inspect(old).get_table_names())

    assert upgrade(old) == (3, LATEST_VERSION)
    assert current_version(old) == LATEST_VERSION
    with old.connect() as conn:  # the items survive the upgrade
        assert conn.execute(select(func.count()).select_from(items)).scalar_one() == 1
        versions = conn.execute(select(schema_migrations.c.version)).scalars().all()
    assert sorted(versions) == list(range(1, LATEST_VERSION + 1))

    fresh = make_engine(another_empty_database(db_url, request, tmp_path))
    upgrade(fresh)
    assert shape(fresh) == shape(old)
    old.dispose()
    fresh.dispose()


def test_a_fresh_database_is_stamped_with_every_version(db_url: str) -> None:
    engine = make_engine(db_url)
    assert upgrade(engine) == (None, LATEST_VERSION)
    with engine.connect() as conn:
        versions = conn.execute(select(schema_migrations.c.version)).scalars().all()
    assert sorted(versions) == [m.version for m in MIGRATIONS]
    assert set(inspect(engine).get_table_names()) >= ALERT_TABLE_NAMES
    engine.dispose()


def alert_row(key: str, open_key: str | None, rule_id: int | None = None) -> dict[str, Any]:
    return {
        "kind": "rise",
        "key": key,
        "open_key": open_key,
        "rule_id": rule_id,
        "series": "{}",
        "label": key,
        "window_start": NOW,
        "window_end": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_the_database_keeps_one_active_alert_per_key(store: Engine) -> None:
    with store.begin() as conn:
        conn.execute(alerts.insert(), alert_row("rise:category=x", None))
        conn.execute(alerts.insert(), alert_row("rise:category=x", None))  # ended waves
        conn.execute(alerts.insert(), alert_row("rise:category=x", "rise:category=x"))
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(alerts.insert(), alert_row("rise:category=x", "rise:category=x"))
    with store.connect() as conn:
        row = conn.execute(select(alerts.c.state, alerts.c.note, alerts.c.checklist)).first()
    assert tuple(row or ()) == ("new", "", "{}")


def test_deleting_an_alert_cascades_and_deleting_a_rule_keeps_its_alerts(store: Engine) -> None:
    with store.begin() as conn:
        rule_id = conn.execute(
            watch_rules.insert().values(name="r", filters="{}", created_at=NOW)
        ).inserted_primary_key[0]
        alert_id = conn.execute(
            alerts.insert().values(alert_row(f"rule:{rule_id}", None, rule_id))
        ).inserted_primary_key[0]
        conn.execute(
            alert_events.insert().values(alert_id=alert_id, at=NOW, event="opened", state="new")
        )
        conn.execute(
            alert_deliveries.insert().values(
                alert_id=alert_id,
                event="opened",
                channel="webhook",
                target="http://127.0.0.1:1/hook",
                next_attempt_at=NOW,
                created_at=NOW,
            )
        )
    with store.begin() as conn:
        conn.execute(delete(watch_rules))
        assert conn.execute(select(alerts.c.rule_id)).scalar_one() is None
        delivery = conn.execute(select(alert_deliveries.c.status, alert_deliveries.c.attempts))
        assert tuple(delivery.one()) == ("pending", 0)
        conn.execute(delete(alerts))
        assert conn.execute(select(func.count()).select_from(alert_events)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(alert_deliveries)).scalar_one() == 0
