"""Login rate limiting: the pure window rule and the per-name, per-address counts, kept in
memory (a read-only dashboard) or in the database (shared by every serving process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.login_limit import Limiter, LoginLimiter, StoredLoginLimiter, paused_for
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def minutes(*values: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in values]


def test_fewer_failures_than_the_limit_in_the_window_do_not_pause() -> None:
    assert paused_for([], 3, WINDOW, T0) is None
    assert paused_for(minutes(0, 1), 3, WINDOW, T0 + timedelta(minutes=2)) is None
    # three failures, but the first left the window already
    assert paused_for(minutes(0, 10, 11), 3, WINDOW, T0 + timedelta(minutes=15)) is None


def test_the_pause_lasts_until_the_oldest_counted_failure_leaves_the_window() -> None:
    now = T0 + timedelta(minutes=5)
    assert paused_for(minutes(0, 1, 2), 3, WINDOW, now) == timedelta(minutes=10)
    # five failures with a limit of three: the wait ends when only two remain
    assert paused_for(minutes(0, 1, 2, 3, 4), 3, WINDOW, now) == timedelta(minutes=12)


@given(
    st.lists(st.integers(min_value=0, max_value=3600), max_size=30),
    st.integers(min_value=1, max_value=10),
    st.integers(min_value=0, max_value=3600),
)
def test_a_pause_is_never_longer_than_the_window_and_ends_on_time(
    seconds: list[int], limit: int, later: int
) -> None:
    failures = sorted(T0 + timedelta(seconds=s) for s in seconds)
    now = T0 + timedelta(seconds=3600 + later)
    wait = paused_for(failures, limit, WINDOW, now)
    if wait is not None:
        assert timedelta(0) < wait <= WINDOW
        assert paused_for(failures, limit, WINDOW, now + wait) is None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


MakeLimiter = Callable[..., Limiter]


@pytest.fixture(params=["memory", "database"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeLimiter]:
    """Build either limiter with the same rules (the database one on a real SQLite)."""
    if request.param == "memory":
        yield LoginLimiter
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'logins.db'}")
    upgrade(engine)

    def stored(**kwargs: Any) -> Limiter:
        return StoredLoginLimiter(engine, **kwargs)

    yield stored
    engine.dispose()


def test_a_name_is_paused_from_every_address_and_a_success_clears_it(make: MakeLimiter) -> None:
    clock = Clock()
    limiter = make(per_user=3, per_client=10, window=WINDOW, clock=clock)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert limiter.wait("amina", address) is None
        limiter.failed("amina", address)
    assert limiter.wait("amina", "10.0.0.9") == WINDOW
    assert limiter.wait("bek", "10.0.0.1") is None
    clock.now += WINDOW
    assert limiter.wait("amina", "10.0.0.9") is None
    limiter.failed("amina", "10.0.0.1")
    limiter.failed("amina", "10.0.0.1")
    limiter.succeeded("amina")
    limiter.failed("amina", "10.0.0.1")
    assert limiter.wait("amina", "10.0.0.1") is None  # one failure since the success


def test_an_address_is_paused_for_every_name(make: MakeLimiter) -> None:
    clock = Clock()
    limiter = make(per_user=3, per_client=4, window=WINDOW, clock=clock)
    for n in range(4):
        clock.now += timedelta(minutes=1)
        limiter.failed(f"name{n}", "10.0.0.1")
    assert limiter.wait("amina", "10.0.0.1") == WINDOW - timedelta(minutes=3)
    assert limiter.wait("amina", "10.0.0.2") is None
    limiter.succeeded("amina")  # a success of one name does not clear the address
    assert limiter.wait("amina", "10.0.0.1") == timedelta(minutes=12)
