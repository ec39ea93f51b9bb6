"""All SQL about `alert_deliveries`, the outbox of alert notifications, and its retry policy.

Detection enqueues rows in the transaction that opens or grows an alert
(`enqueue`, outbox pattern: a notification exists exactly when its alert
change was committed). The notifier (`notify.outbox`) later takes the due
rows, *claims* each one by pushing its next attempt a lease into the future
(so two notifier processes never send the same row at once, and a notifier
killed mid-send retries it when the lease runs out: at-least-once, with the
delivery id in every payload for receivers that must de-duplicate), sends it,
and records the outcome here.

Retry policy (`retry_delay`): after the n-th failed attempt wait
1 min x 2^(n-1), capped at 60 min (1, 2, 4, 8, 16, 32, 60, 60 ... minutes);
after `max_attempts` failures, or at once for a permanent failure, the row is
`failed` with the last error kept, and no further attempt is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from indicators.alerts import NotifyTargets
from indicators.store.schema import alert_deliveries, items

EVENTS: tuple[str, ...] = ("opened", "grew")
CHANNELS: tuple[str, ...] = ("webhook", "email")
STATUSES: tuple[str, ...] = ("pending", "sent", "failed")
MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing delivery is tried again, and for how long."""

    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(minutes=60)
    max_attempts: int = 8  # 1+2+4+8+16+32+60 min: about two hours of trying
    lease: timedelta = timedelta(minutes=5)  # a claimed row is not taken again before this

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay:
            raise ValueError("need 0 < first_delay <= max_delay")


DEFAULT_POLICY = RetryPolicy()


def retry_delay(failed_attempts: int, policy: RetryPolicy = DEFAULT_POLICY) -> timedelta:
    """The wait after the `failed_attempts`-th failure: doubling from first_delay, capped."""
    exponent = min(max(failed_attempts, 1) - 1, 30)
    return min(policy.first_delay * (2**exponent), policy.max_delay)


@dataclass(frozen=True)
class Delivery:
    """One queued notification of one alert event to one target."""

    id: int
    alert_id: int
    event: str
    channel: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Headline:
    """A story as a notification lists it."""

    id: int
    title: str
    url: str | None
    published_at: datetime


def _delivery(row: Any) -> Delivery:
    m = row._mapping
    return Delivery(
        id=int(m["id"]),
        alert_id=int(m["alert_id"]),
        event=m["event"],
        channel=m["channel"],
        target=m["target"],
        status=m["status"],
        attempts=int(m["attempts"]),
        next_attempt_at=m["next_attempt_at"],
        last_error=m["last_error"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
    )


def enqueue(
    conn: Connection, alert_id: int, event: str, targets: NotifyTargets, now: datetime
) -> int:
    """Queue one delivery per target, in the caller's transaction; returns how many."""
    if event not in EVENTS:
        raise ValueError(f"unknown delivery event {event!r}; expected one of {EVENTS}")
    rows = [
        {
            "alert_id": alert_id,
            "event": event,
            "channel": channel,
            "target": target,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for channel, target in targets.deliveries()
    ]
    if rows:
        conn.execute(insert(alert_deliveries), rows)
    return len(rows)


def due_deliveries(engine: Engine, now: datetime, *, limit: int = 100) -> list[Delivery]:
    """Pending deliveries whose next attempt is due, oldest first (uses the status index)."""
    t = alert_deliveries
    query = (
        select(t)
        .where(t.c.status == "pending", t.c.next_attempt_at <= now)
        .order_by(t.c.next_attempt_at, t.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [_delivery(r) for r in conn.execute(query)]


def claim(
    engine: Engine, delivery: Delivery, now: datetime, policy: RetryPolicy = DEFAULT_POLICY
) -> bool:
    """Take a due delivery for sending: False when another notifier took it first."""
    t = alert_deliveries
    with engine.begin() as conn:
        taken = conn.execute(
            update(t)
            .where(
                t.c.id == delivery.id,
                t.c.status == "pending",
                t.c.attempts == delivery.attempts,
                t.c.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + policy.lease)
        )
        return taken.rowcount == 1


def record_sent(engine: Engine, delivery_id: int, now: datetime, note: str | None = None) -> None:
    """The receiver accepted it: `sent`, no further attempt (`note`: e.g. refused recipients)."""
    t = alert_deliveries
    with engine.begin() as conn:
        conn.execute(
            update(t)
            .where(t.c.id == delivery_id)
            .values(
                status="sent",
                attempts=t.c.attempts + 1,
                sent_at=now,
                next_attempt_at=None,
                last_error=note[:MAX_ERROR_LENGTH] if note else None,
            )
        )


def record_failure(
    engine: Engine,
    delivery_id: int,
    error: str,
    now: datetime,
    *,
    retryable: bool = True,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> Delivery:
    """One more failed attempt: retried after the backoff, or `failed` for good.

    Gives up after `policy.max_attempts` attempts, or at once when the failure
    is not `retryable` (a target that can never work as written).
    """
    t = alert_deliveries
    with engine.begin() as conn:
        attempts = conn.execute(select(t.c.attempts).where(t.c.id == delivery_id)).scalar_one() + 1
        give_up = not retryable or attempts >= policy.max_attempts
        conn.execute(
            update(t)
            .where(t.c.id == delivery_id)
            .values(
                status="failed" if give_up else "pending",
                attempts=attempts,
                next_attempt_at=None if give_up else now + retry_delay(attempts, policy),
                last_error=error[:MAX_ERROR_LENGTH],
            )
        )
        return _delivery(conn.execute(select(t).where(t.c.id == delivery_id)).one())


def deliveries_of(engine: Engine, alert_id: int) -> list[Delivery]:
    """An alert's notifications, oldest first (shown with the alert)."""
    t = alert_deliveries
    with engine.connect() as conn:
        rows = conn.execute(select(t).where(t.c.alert_id == alert_id).order_by(t.c.id))
        return [_delivery(r) for r in rows]


def get_delivery(engine: Engine, delivery_id: int) -> Delivery | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(alert_deliveries).where(alert_deliveries.c.id == delivery_id)
        ).one_or_none()
    return _delivery(row) if row is not None else None


def headlines(engine: Engine, item_ids: Sequence[int], *, limit: int = 5) -> list[Headline]:
    """The newest of these items (a story's id is its first item's id), for a notification."""
    if not item_ids or limit <= 0:
        return []
    query = (
        select(items.c.id, items.c.title, items.c.url, items.c.published_at)
        .where(items.c.id.in_(list(item_ids)))
        .order_by(items.c.published_at.desc(), items.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [Headline(int(r.id), r.title, r.url, r.published_at) for r in conn.execute(query)]
