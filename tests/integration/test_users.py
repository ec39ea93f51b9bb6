"""Dashboard users in the store and `threatmon users ...`, on SQLite and PostgreSQL.

The migration adds the `users` table to an older database in the shape a
fresh one gets; the commands take passwords from a hidden prompt or stdin
only, store argon2id hashes, and never print a password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, delete, inspect, select

from indicators.accounts import ANALYST, VIEWER, AccountError, hash_password, verify_password
from indicators.store import users as user_store
from indicators.store.engine import make_engine
from indicators.store.migrations import LATEST_VERSION, MIGRATIONS, current_version, upgrade
from indicators.store.schema import schema_migrations, users
from tests.alert_history import AT
from tests.integration.test_alerts_migration import another_empty_database
from threatmon.cli import cli

USERS_VERSION = next(m.version for m in MIGRATIONS if m.name == "dashboard users")


def users_shape(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        insp = inspect(conn)
        return {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns("users")
            ],
            "unique": sorted(
                tuple(u["column_names"]) for u in insp.get_unique_constraints("users")
            ),
            "indexes": sorted(
                (tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes("users")
            ),
        }


def test_a_database_from_before_users_upgrades_to_the_fresh_shape(
    db_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    old = make_engine(db_url)
    upgrade(old)
    with old.begin() as conn:  # the database as the version before users left it
        users.drop(conn)
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version >= USERS_VERSION))
    before = current_version(old)
    assert before is not None and before < USERS_VERSION
    assert "users" not in inspect(old).get_table_names()

    assert upgrade(old) == (before, LATEST_VERSION)
    fresh = make_engine(another_empty_database(db_url, request, tmp_path))
    upgrade(fresh)
    assert users_shape(old) == users_shape(fresh)
    user_store.add_user(old, "amina", ANALYST, hash_password("a-long-password"), at=AT)
    [stored] = user_store.list_users(old)
    assert (stored.name, stored.role, stored.has_token) == ("amina", ANALYST, False)
    old.dispose()
    fresh.dispose()


def test_the_store_keeps_one_user_per_name_and_finds_users_by_token_digest(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    user_store.add_user(engine, "amina", ANALYST, hash_password("a-long-password"), at=AT)
    with pytest.raises(AccountError, match="exists already"):
        user_store.add_user(engine, "amina", VIEWER, hash_password("another-password"), at=AT)
    user_store.set_token(engine, "amina", "d" * 64, at=AT)
    found = user_store.user_by_token(engine, "d" * 64)
    assert found is not None and found.name == "amina" and found.has_token
    assert user_store.user_by_token(engine, "e" * 64) is None
    with pytest.raises(AccountError, match="no user 'nobody'"):
        user_store.set_password(engine, "nobody", "x", at=AT)
    user_store.remove_user(engine, "amina")
    assert user_store.count_users(engine) == 0
    engine.dispose()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return {"THREATMON_DB": url, "THREATMON_LOG_LEVEL": "WARNING"}


def stored(env: dict[str, str], name: str) -> Any:
    engine = make_engine(env["THREATMON_DB"])
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
    engine.dispose()
    return row


def test_users_add_reads_the_password_from_a_hidden_prompt_twice(env) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["users", "add", "Amina", "--role", "analyst"],
        input="a-long-password\na-long-password\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "added analyst amina" in result.output
    assert "a-long-password" not in result.output  # the prompt does not echo it
    row = stored(env, "amina")
    assert row["role"] == "analyst"
    assert row["password_hash"].startswith("$argon2id$")
    assert verify_password(row["password_hash"], "a-long-password")
    mismatch = runner.invoke(
        cli, ["users", "add", "bek"], input="a-long-password\nanother-one-123\n" * 3, env=env
    )
    assert "do not match" in mismatch.output


def test_users_add_refuses_short_passwords_bad_names_and_duplicates(env) -> None:
    runner = CliRunner()

    def add(*args: str, password: str = "a-long-password") -> Any:
        return runner.invoke(
            cli, ["users", "add", *args, "--password-stdin"], input=password + "\n", env=env
        )

    short = add("amina", password="short")
    assert short.exit_code == 1
    assert "at least 10 characters" in short.output and "short\n" not in short.output
    assert stored(env, "amina") is None
    bad = add("a b")
    assert bad.exit_code == 1 and "user name 'a b'" in bad.output
    assert add("amina").exit_code == 0
    again = add("AMINA")
    assert again.exit_code == 1 and "user 'amina' exists already" in again.output
    role = add("bek", "--role", "admin")
    assert role.exit_code == 2 and "'admin' is not one of" in role.output


def test_users_list_passwd_token_and_remove(env) -> None:
    runner = CliRunner()
    for name, role in (("amina", "analyst"), ("bek", "viewer")):
        added = runner.invoke(
            cli,
            ["users", "add", name, "--role", role, "--password-stdin"],
            input="first-password-1\n",
            env=env,
        )
        assert added.exit_code == 0, added.output
    old_hash = stored(env, "bek")["password_hash"]
    changed = runner.invoke(
        cli, ["users", "passwd", "bek", "--password-stdin"], input="second-password-2\n", env=env
    )
    assert changed.exit_code == 0 and "password of bek changed" in changed.output
    new_hash = stored(env, "bek")["password_hash"]
    assert new_hash != old_hash and verify_password(new_hash, "second-password-2")
    assert not verify_password(new_hash, "first-password-1")

    token = runner.invoke(cli, ["users", "token", "bek"], env=env)
    assert token.exit_code == 0
    assert token.stdout.startswith("tm_") and len(token.stdout.strip()) > 40
    assert "shown once" in token.stderr

    listed = runner.invoke(cli, ["users", "list"], env=env).output.splitlines()
    assert listed[0].split() == ["name", "role", "api", "token", "added"]
    rows = [line.split() for line in listed[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("amina", "analyst", "none"),
        ("bek", "viewer", "since"),
    ]
    assert "argon2" not in "\n".join(listed)

    assert runner.invoke(cli, ["users", "remove", "bek"], env=env).exit_code == 0
    assert stored(env, "bek") is None
    for args in (["remove", "bek"], ["token", "bek"]):
        missing = runner.invoke(cli, ["users", *args], env=env)
        assert missing.exit_code == 1 and "no user 'bek'" in missing.output
    nobody = runner.invoke(
        cli, ["users", "passwd", "bek", "--password-stdin"], input="x\n", env=env
    )
    assert nobody.exit_code == 1 and "no user 'bek'" in nobody.output


def test_users_list_on_an_empty_database_says_how_to_add_one(env) -> None:
    listed = CliRunner().invoke(cli, ["users", "list"], env=env)
    assert listed.exit_code == 0
    assert "no users" in listed.output and "threatmon users add" in listed.output
