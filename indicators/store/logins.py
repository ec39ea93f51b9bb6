"""All SQL about failed sign-ins: record one, read the recent ones, forget them.

The dashboard's login limiter (`dashboard.login_limit.StoredLoginLimiter`)
keeps its counts here so that every serving process, on every host, sees the
same failures: `serve --workers 4` allows no more guesses than one process.
Only names and client addresses are stored, never a password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, or_, select, update

from indicators.store.schema import login_failures


def record_failure(
    engine: Engine, user: str, client: str, *, at: datetime, forget_before: datetime
) -> None:
    """Store one failed sign-in, and delete the failures that left the window."""
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.at < forget_before))
        conn.execute(insert(login_failures).values(user_name=user, client=client, at=at))


def recent_failures(
    engine: Engine, user: str, client: str, *, since: datetime
) -> tuple[list[datetime], list[datetime]]:
    """(times of `user`'s failures, times of `client`'s failures) since `since`, oldest first."""
    query = (
        select(
            login_failures.c.user_name,
            login_failures.c.client,
            login_failures.c.at,
            login_failures.c.cleared,
        )
        .where(login_failures.c.at >= since)
        .where(or_(login_failures.c.user_name == user, login_failures.c.client == client))
        .order_by(login_failures.c.at, login_failures.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    by_user = [at for name, _c, at, cleared in rows if name == user and not cleared]
    by_client = [at for _n, c, at, _cleared in rows if c == client]
    return by_user, by_client


def clear_user(engine: Engine, user: str) -> None:
    """A right password: the name's failures no longer count (the address's still do)."""
    with engine.begin() as conn:
        conn.execute(
            update(login_failures).where(login_failures.c.user_name == user).values(cleared=True)
        )
