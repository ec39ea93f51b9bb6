"""Failed sign-ins and session numbers in the store, on SQLite and PostgreSQL alike.

Every dashboard process reads and writes these rows (dashboard.login_limit's
StoredLoginLimiter, dashboard.signin's sign-out), so both engines must give
the same counts, windows and clearing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from dashboard.login_limit import StoredLoginLimiter
from indicators.accounts import ANALYST
from indicators.store import logins
from indicators.store import users as user_store
from indicators.store.schema import login_failures

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_the_stored_limiter_pauses_a_name_and_an_address_and_forgets_old_failures(
    store: Engine,
) -> None:
    clock = Clock()
    limiter = StoredLoginLimiter(store, per_user=3, per_client=5, window=WINDOW, clock=clock)
    for minute, address in enumerate(("10.0.0.1", "10.0.0.2", "10.0.0.3")):
        clock.now = T0 + timedelta(minutes=minute)
        assert limiter.wait("amina", address) is None
        limiter.failed("amina", address)
    assert limiter.wait("amina", "10.0.0.9") == WINDOW - timedelta(minutes=2)
    assert limiter.wait("bek", "10.0.0.1") is None
    limiter.succeeded("amina")  # clears the name, not the addresses
    assert limiter.wait("amina", "10.0.0.9") is None
    by_user, by_client = logins.recent_failures(store, "amina", "10.0.0.1", since=T0)
    assert (by_user, len(by_client)) == ([], 1)
    # a failure an hour later deletes the ones that left the window
    clock.now = T0 + timedelta(hours=1)
    limiter.failed("bek", "10.0.0.4")
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(login_failures)).scalar_one() == 1


def test_signing_out_raises_the_session_number(store: Engine) -> None:
    user_store.add_user(store, "anna", ANALYST, "hash", at=T0)
    for expected in (1, 2):
        user_store.end_sessions(store, "anna")
        anna = user_store.user_by_name(store, "anna")
        assert anna is not None and anna.session_epoch == expected
