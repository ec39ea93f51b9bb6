"""Login rate limiting: failed sign-ins counted per user name and per client address.

A sign-in is paused (refused before its password is even checked) while the
user name has `per_user` failures, or the client address `per_client`
failures, within the last `window`; it resumes when the oldest of them falls
out of the window. Counting the user name stops a slow guesser who changes
address; counting the address stops one who sprays a few guesses at many
names. A success clears the name's failures.

Where the dashboard can write to its database (the default), the failures
are kept there (`StoredLoginLimiter`, table `login_failures`), so every
serving process of `serve --workers N`, on every host, counts the same
failures. A `--read-only` dashboard has no writable connection: it counts in
the memory of each process (`LoginLimiter`; N workers allow N times the limit
at worst, against guesses at argon2-hashed passwords). Why not Flask-Limiter:
it counts requests per route, where what matters here is failures per name.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from indicators.store import logins


def paused_for(
    failures: Iterable[datetime], limit: int, window: timedelta, now: datetime
) -> timedelta | None:
    """How long until one more attempt is allowed, or None when it is allowed now.

    `failures` are the times of the failed attempts, oldest first; only those
    within `window` before `now` count. With `limit` or more counted, the wait
    lasts until enough of them have left the window to bring it below `limit`.
    """
    recent = [at for at in failures if now - at < window]
    if len(recent) < limit:
        return None
    oldest_to_expire = recent[len(recent) - limit]
    return oldest_to_expire + window - now


class Limiter(Protocol):
    """What sign-in asks of a limiter (in memory or in the database)."""

    def wait(self, user: str, client: str) -> timedelta | None: ...
    def failed(self, user: str, client: str) -> None: ...
    def succeeded(self, user: str) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StoredLoginLimiter:
    """The same rules as `LoginLimiter`, with the failures in the database (see the module)."""

    engine: Engine  # a writable connection
    per_user: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = field(default=_utc_now)

    def wait(self, user: str, client: str) -> timedelta | None:
        now = self.clock()
        by_user, by_client = logins.recent_failures(
            self.engine, user, client, since=now - self.window
        )
        waits = [
            paused_for(by_user, self.per_user, self.window, now),
            paused_for(by_client, self.per_client, self.window, now),
        ]
        found = [w for w in waits if w is not None]
        return max(found) if found else None

    def failed(self, user: str, client: str) -> None:
        now = self.clock()
        logins.record_failure(self.engine, user, client, at=now, forget_before=now - self.window)

    def succeeded(self, user: str) -> None:
        logins.clear_user(self.engine, user)


@dataclass
class LoginLimiter:
    """Thread-safe failure counts by user name and by client address (see the module)."""

    per_user: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = field(default=_utc_now)
    _by_user: dict[str, deque[datetime]] = field(default_factory=dict, init=False)
    _by_client: dict[str, deque[datetime]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def wait(self, user: str, client: str) -> timedelta | None:
        """How long `user` from `client` must wait before trying again (None: try now)."""
        now = self.clock()
        with self._lock:
            self._forget_old(now)
            waits = [
                paused_for(self._by_user.get(user, ()), self.per_user, self.window, now),
                paused_for(self._by_client.get(client, ()), self.per_client, self.window, now),
            ]
        found = [w for w in waits if w is not None]
        return max(found) if found else None

    def failed(self, user: str, client: str) -> None:
        """Record a wrong password (or an unknown name) for `user` from `client`."""
        now = self.clock()
        with self._lock:
            self._by_user.setdefault(user, deque()).append(now)
            self._by_client.setdefault(client, deque()).append(now)

    def succeeded(self, user: str) -> None:
        """A right password: the name's earlier failures no longer count."""
        with self._lock:
            self._by_user.pop(user, None)

    def _forget_old(self, now: datetime) -> None:
        """Drop failures that left the window, and names with none left (bounded memory)."""
        for table in (self._by_user, self._by_client):
            for key in list(table):
                times = table[key]
                while times and now - times[0] >= self.window:
                    times.popleft()
                if not times:
                    del table[key]
