"""All SQL about dashboard users: add, remove, list, look up, new password, new API token.

The records and the rules (names, roles, hashing) are `indicators.accounts`;
this module stores what it is given (hashes only, never a password or a
token) and reads it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from indicators.accounts import AccountError, User
from indicators.store.schema import users


def _user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        password_hash=row["password_hash"],
        has_token=row["token_hash"] is not None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        token_created_at=row["token_created_at"],
        session_epoch=row["session_epoch"],
    )


def add_user(engine: Engine, name: str, role: str, password_hash: str, *, at: datetime) -> User:
    """Store a new user; AccountError when the name is taken."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(users).values(
                    name=name, role=role, password_hash=password_hash, created_at=at, updated_at=at
                )
            )
    except IntegrityError as exc:
        raise AccountError(f"user {name!r} exists already") from exc
    found = user_by_name(engine, name)
    assert found is not None
    return found


def remove_user(engine: Engine, name: str) -> None:
    """Delete a user (its sessions and token stop working at once); AccountError when unknown."""
    with engine.begin() as conn:
        if conn.execute(delete(users).where(users.c.name == name)).rowcount == 0:
            raise AccountError(f"no user {name!r}")


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.name)).mappings().all()
    return [_user(row) for row in rows]


def count_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def user_by_name(engine: Engine, name: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
    return None if row is None else _user(row)


def user_by_token(engine: Engine, digest: str) -> User | None:
    """The user whose API token has this SHA-256 digest (an indexed equality)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.token_hash == digest)).mappings().first()
    return None if row is None else _user(row)


def _update(engine: Engine, name: str, **values: Any) -> None:
    with engine.begin() as conn:
        if conn.execute(update(users).where(users.c.name == name).values(**values)).rowcount == 0:
            raise AccountError(f"no user {name!r}")


def set_password(engine: Engine, name: str, password_hash: str, *, at: datetime) -> None:
    """Replace a user's password hash (its signed-in sessions end: their stamp changes)."""
    _update(engine, name, password_hash=password_hash, updated_at=at)


def set_role(engine: Engine, name: str, role: str, *, at: datetime) -> None:
    _update(engine, name, role=role, updated_at=at)


def set_token(engine: Engine, name: str, digest: str, *, at: datetime) -> None:
    """Store the digest of a user's new API token; the previous token stops working."""
    _update(engine, name, token_hash=digest, token_created_at=at, updated_at=at)


def end_sessions(engine: Engine, name: str) -> None:
    """Raise the user's session number: every session cookie issued so far stops working
    (signing out; not `updated_at`, which records changes an administrator made)."""
    _update(engine, name, session_epoch=users.c.session_epoch + 1)
