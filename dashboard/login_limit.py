"""Login rate limiting: failed sign-ins counted per user name and per client address.

A sign-in is paused (refused before its password is even checked) while the
user name has `per_user` failures, or the client address `per_client`
failures, within the last `window`; it resumes when the oldest of them falls
out of the window. Counting the user name stops a slow guesser who changes
address; counting the address stops one who sprays a few guesses at many
names. A success clears the name's failures.

The counts live in the memory of one serving process (`serve --workers N`
gives each worker its own, so N times the limit at worst): they need no
writable database (the dashboard may run `--read-only`), and against guesses
at argon2-hashed passwords the bound still holds. Why not Flask-Limiter: it
counts requests per route, where what matters here is failures per name.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


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


@dataclass
class LoginLimiter:
    """Thread-safe failure counts by user name and by client address (see the module)."""

    per_user: int = 5
    per_client: int = 20
    window: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
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
