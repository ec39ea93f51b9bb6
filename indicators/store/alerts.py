"""All SQL about alerts, their events, watch rules and detection runs.

Readers (the dashboard, the CLI, exports) get plain records from
`indicators.alerts`; the analyst's actions go through `change_state`, which
applies the state machine of `indicators.alerts` and writes the alert, its
timestamp and an `alert_events` row in one transaction. What a detection run
writes (open / grow / end, outbox rows, the run record) is at the end of the
module and runs in the orchestrator's transaction (`indicators.early_warning`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from indicators.alerts import (
    KINDS,
    OPEN_STATES,
    RESPONSE_STAMPS,
    STATES,
    AlertError,
    AlertEvent,
    AlertRow,
    NotifyTargets,
    WatchRule,
    series_matches,
    transition,
)
from indicators.detection import ActiveAlert, Signal
from indicators.models import TAG_AXES
from indicators.selection import Filters, Vocabulary
from indicators.store import deliveries
from indicators.store.conditions import day_start
from indicators.store.schema import (
    alert_events,
    alerts,
    detection_runs,
    watch_rules,
)
from indicators.watchrules import parse_rule_filters, rule_filters_json

MAX_NOTE_LENGTH = 4000
MAX_RULE_NAME_LENGTH = 200


def _now(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(UTC)


def _ids(text: str | None) -> tuple[int, ...]:
    return tuple(int(i) for i in json.loads(text)) if text else ()


def _alert(row: Any) -> AlertRow:
    m = row._mapping
    return AlertRow(
        id=int(m["id"]),
        kind=m["kind"],
        key=m["key"],
        active=m["open_key"] is not None,
        rule_id=m["rule_id"],
        series=json.loads(m["series"]),
        label=m["label"],
        window_start=m["window_start"],
        window_end=m["window_end"],
        observed=m["observed"],
        expected=m["expected"],
        score=m["score"],
        peak_score=m["peak_score"],
        story_ids=_ids(m["story_ids"]),
        item_ids=_ids(m["item_ids"]),
        state=m["state"],
        note=m["note"],
        playbook=m["playbook"],
        checklist=json.loads(m["checklist"] or "{}"),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        acknowledged_at=m["acknowledged_at"],
        resolved_at=m["resolved_at"],
        dismissed_at=m["dismissed_at"],
        ended_at=m["ended_at"],
    )


def _rule(row: Any) -> WatchRule:
    m = row._mapping
    return WatchRule(
        id=int(m["id"]),
        name=m["name"],
        filters=json.loads(m["filters"]),
        min_stories=int(m["min_stories"]),
        playbook=m["playbook"],
        enabled=bool(m["enabled"]),
        created_at=m["created_at"],
    )


def _check_states(states: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(states)
    for state in chosen:
        if state not in STATES:
            raise AlertError(f"unknown alert state {state!r}; expected one of {', '.join(STATES)}")
    return chosen


# --- reading alerts ---------------------------------------------------------------


def list_alerts(
    engine: Engine,
    *,
    states: Sequence[str] = (),
    kinds: Sequence[str] = (),
    active: bool | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AlertRow]:
    """Alerts newest first; `states`/`kinds` restrict (empty: all), `active` the wave."""
    chosen = _check_states(states)
    for kind in kinds:
        if kind not in KINDS:
            raise AlertError(f"unknown alert kind {kind!r}; expected one of {', '.join(KINDS)}")
    query = select(alerts)
    if chosen:
        query = query.where(alerts.c.state.in_(chosen))
    if kinds:
        query = query.where(alerts.c.kind.in_(tuple(kinds)))
    if active is not None:
        query = query.where(
            alerts.c.open_key.is_not(None) if active else alerts.c.open_key.is_(None)
        )
    query = query.order_by(alerts.c.created_at.desc(), alerts.c.id.desc())
    with engine.connect() as conn:
        rows = conn.execute(query.offset(offset).limit(limit)).all()
    return [_alert(r) for r in rows]


def get_alert(engine: Engine, alert_id: int) -> AlertRow:
    """One alert; AlertError when there is no alert with that id."""
    with engine.connect() as conn:
        return _get(conn, alert_id)


def _get(conn: Connection, alert_id: int) -> AlertRow:
    row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
    if row is None:
        raise AlertError(f"no alert with id {alert_id}")
    return _alert(row)


def count_open(engine: Engine) -> int:
    """Alerts waiting for the analyst (new or acknowledged): the Overview's number."""
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(alerts).where(alerts.c.state.in_(OPEN_STATES))
        ).scalar_one()
    return int(n)


def events(engine: Engine, alert_id: int) -> list[AlertEvent]:
    """An alert's history, oldest first; AlertError for an unknown alert."""
    with engine.connect() as conn:
        _get(conn, alert_id)
        rows = conn.execute(
            select(alert_events)
            .where(alert_events.c.alert_id == alert_id)
            .order_by(alert_events.c.at, alert_events.c.id)
        ).all()
    return [
        AlertEvent(
            id=int(r.id),
            alert_id=int(r.alert_id),
            at=r.at,
            event=r.event,
            state=r.state,
            note=r.note or "",
            detail=json.loads(r.detail or "{}"),
        )
        for r in rows
    ]


def alerts_overlapping(engine: Engine, f: Filters, *, states: Sequence[str] = ()) -> list[AlertRow]:
    """Alerts whose window overlaps the period of `f` and whose series fits its selection.

    For trend-chart markers and the exports' `alerts` section. The period is
    `f`'s inclusive UTC days (open ends are unbounded); an alert matches when
    its series does not contradict the selections on the tag axes
    (see `indicators.alerts.series_matches`). Oldest window first.
    """
    chosen = _check_states(states)
    query = select(alerts)
    if f.date_from:
        query = query.where(alerts.c.window_end >= day_start(f.date_from))
    if f.date_to:
        query = query.where(alerts.c.window_start < day_start(f.date_to + timedelta(days=1)))
    if chosen:
        query = query.where(alerts.c.state.in_(chosen))
    query = query.order_by(alerts.c.window_start, alerts.c.id)
    with engine.connect() as conn:
        rows = [_alert(r) for r in conn.execute(query)]
    selections = {axis: f.selection(axis) for axis in TAG_AXES}
    return [a for a in rows if series_matches(a.series, selections)]


# --- the analyst's actions ----------------------------------------------------------


def _event(
    conn: Connection,
    alert_id: int,
    at: datetime,
    event: str,
    state: str,
    note: str = "",
    detail: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(alert_events),
        {
            "alert_id": alert_id,
            "at": at,
            "event": event,
            "state": state,
            "note": note,
            "detail": json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True),
        },
    )


def _check_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise AlertError(f"the note is longer than {MAX_NOTE_LENGTH} characters")
    return note


def change_state(
    engine: Engine, alert_id: int, action: str, *, note: str = "", at: datetime | None = None
) -> AlertRow:
    """Apply an analyst's action (acknowledge, resolve, dismiss, reopen) with an optional note.

    Writes the new state, the action's timestamp column, the note (a non-empty
    note replaces the alert's note) and an `alert_events` row, atomically.
    AlertError for an unknown alert or a transition the state machine refuses.
    """
    note = _check_note(note)
    when = _now(at)
    with engine.begin() as conn:
        current = _get(conn, alert_id)
        step = transition(current.state, action)
        values: dict[str, Any] = {"state": step.target, "updated_at": when}
        if step.stamp:
            values[step.stamp] = when
        else:  # reopened: the response starts over
            values.update(dict.fromkeys(RESPONSE_STAMPS))
        if note:
            values["note"] = note
        conn.execute(update(alerts).where(alerts.c.id == alert_id).values(**values))
        _event(conn, alert_id, when, step.event, step.target, note)
        return _get(conn, alert_id)


def add_note(engine: Engine, alert_id: int, note: str, *, at: datetime | None = None) -> AlertRow:
    """Replace the alert's note without changing its state (an event 'note' keeps the old one)."""
    note = _check_note(note)
    if not note:
        raise AlertError("the note is empty")
    when = _now(at)
    with engine.begin() as conn:
        current = _get(conn, alert_id)
        conn.execute(
            update(alerts).where(alerts.c.id == alert_id).values(note=note, updated_at=when)
        )
        _event(conn, alert_id, when, "note", current.state, note)
        return _get(conn, alert_id)


def set_checklist(
    engine: Engine, alert_id: int, checklist: Mapping[str, bool], *, at: datetime | None = None
) -> AlertRow:
    """Save the playbook checklist's state (item key -> done) and record it as an event."""
    cleaned: dict[str, bool] = {}
    for key, done in checklist.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 200:
            raise AlertError(f"not a checklist item key: {key!r}")
        if not isinstance(done, bool):
            raise AlertError(f"checklist item {key!r} must be true or false")
        cleaned[key] = done
    when = _now(at)
    text = json.dumps(cleaned, ensure_ascii=False, sort_keys=True)
    with engine.begin() as conn:
        current = _get(conn, alert_id)
        conn.execute(
            update(alerts).where(alerts.c.id == alert_id).values(checklist=text, updated_at=when)
        )
        _event(conn, alert_id, when, "checklist", current.state, detail=cleaned)
        return _get(conn, alert_id)


# --- watch rules -----------------------------------------------------------------------


def add_rule(
    engine: Engine,
    name: str,
    params: Mapping[str, Any],
    *,
    min_stories: int = 1,
    playbook: str | None = None,
    vocabulary: Vocabulary | None = None,
    at: datetime | None = None,
) -> WatchRule:
    """Save a watch rule; AlertError for unknown ids, a bad name or a duplicate name."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_RULE_NAME_LENGTH:
        raise AlertError(f"a rule needs a name of 1 to {MAX_RULE_NAME_LENGTH} characters")
    if min_stories < 1:
        raise AlertError("min_stories must be at least 1")
    if playbook is not None and not (0 < len(playbook) <= 60):
        raise AlertError("a playbook id has 1 to 60 characters")
    f = parse_rule_filters(params, vocabulary=vocabulary)
    values = {
        "name": name,
        "filters": rule_filters_json(f),
        "min_stories": min_stories,
        "playbook": playbook,
        "enabled": True,
        "created_at": _now(at),
    }
    try:
        with engine.begin() as conn:
            row = conn.execute(insert(watch_rules).values(**values).returning(watch_rules)).one()
    except IntegrityError:
        raise AlertError(f"a watch rule named {name!r} exists already") from None
    return _rule(row)


def list_rules(engine: Engine, *, enabled_only: bool = False) -> list[WatchRule]:
    """Watch rules by id."""
    query = select(watch_rules).order_by(watch_rules.c.id)
    if enabled_only:
        query = query.where(watch_rules.c.enabled.is_(True))
    with engine.connect() as conn:
        return [_rule(r) for r in conn.execute(query)]


def get_rule(engine: Engine, rule_id: int) -> WatchRule:
    """One watch rule; AlertError when there is none with that id."""
    with engine.connect() as conn:
        row = conn.execute(select(watch_rules).where(watch_rules.c.id == rule_id)).first()
    if row is None:
        raise AlertError(f"no watch rule with id {rule_id}")
    return _rule(row)


def remove_rule(engine: Engine, rule_id: int) -> None:
    """Delete a watch rule; its past alerts stay (their rule_id becomes NULL)."""
    with engine.begin() as conn:
        gone = conn.execute(watch_rules.delete().where(watch_rules.c.id == rule_id)).rowcount
    if not gone:
        raise AlertError(f"no watch rule with id {rule_id}")


def set_rule_enabled(engine: Engine, rule_id: int, enabled: bool) -> WatchRule:
    """Pause or resume a rule without losing it."""
    with engine.begin() as conn:
        done = conn.execute(
            update(watch_rules).where(watch_rules.c.id == rule_id).values(enabled=enabled)
        ).rowcount
    if not done:
        raise AlertError(f"no watch rule with id {rule_id}")
    return get_rule(engine, rule_id)


# --- detection runs ----------------------------------------------------------------------


def last_run(engine: Engine) -> dict[str, Any] | None:
    """The newest detection run as a plain mapping (None before the first)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(detection_runs).order_by(detection_runs.c.id.desc()).limit(1)
        ).first()
    return None if row is None else dict(row._mapping)


# --- what a detection run writes (inside the orchestrator's transaction) ----------------


def begin_run(conn: Connection, at: datetime, started_at: datetime) -> int:
    """Insert the run's record first: on SQLite this takes the write lock before any read,
    so the active alerts read next cannot change under the run."""
    row = conn.execute(
        insert(detection_runs)
        .values(at=at, started_at=started_at, status="running")
        .returning(detection_runs.c.id)
    ).one()
    return int(row[0])


def finish_run(
    conn: Connection,
    run_id: int,
    *,
    finished_at: datetime,
    series_checked: int,
    opened: int,
    grown: int,
    ended: int,
) -> None:
    conn.execute(
        update(detection_runs)
        .where(detection_runs.c.id == run_id)
        .values(
            finished_at=finished_at,
            series_checked=series_checked,
            opened=opened,
            grown=grown,
            ended=ended,
            status="ok",
        )
    )


def record_failed_run(
    engine: Engine, at: datetime, started_at: datetime, error: str, *, finished_at: datetime
) -> None:
    """A run that failed leaves only this row (its own transaction rolled back)."""
    with engine.begin() as conn:
        conn.execute(
            insert(detection_runs).values(
                at=at,
                started_at=started_at,
                finished_at=finished_at,
                status="error",
                error=error[:4000],
            )
        )


def active_alerts(conn: Connection) -> dict[str, ActiveAlert]:
    """Alerts whose wave is still going on, by key."""
    rows = conn.execute(
        select(
            alerts.c.id,
            alerts.c.key,
            alerts.c.kind,
            alerts.c.state,
            alerts.c.story_ids,
            alerts.c.item_ids,
            alerts.c.peak_score,
            alerts.c.window_start,
        ).where(alerts.c.open_key.is_not(None))
    ).all()
    return {
        r.key: ActiveAlert(
            id=int(r.id),
            key=r.key,
            kind=r.kind,
            state=r.state,
            story_ids=_ids(r.story_ids),
            item_ids=_ids(r.item_ids),
            peak_score=r.peak_score,
            since=r.window_start,
        )
        for r in rows
    }


def last_ended(conn: Connection, since: datetime) -> dict[str, datetime]:
    """When each key's most recent wave ended, for waves that ended after `since`."""
    rows = conn.execute(
        select(alerts.c.key, func.max(alerts.c.ended_at))
        .where(alerts.c.ended_at.is_not(None), alerts.c.ended_at >= since)
        .group_by(alerts.c.key)
    ).all()
    out: dict[str, datetime] = {}
    for key, ended in rows:
        if isinstance(ended, str):  # SQLite hands back text from max()
            ended = datetime.fromisoformat(ended)
        out[key] = ended if ended.tzinfo else ended.replace(tzinfo=UTC)
    return out


def _json_ids(ids: Sequence[int]) -> str:
    return json.dumps(sorted(int(i) for i in ids))


def _numbers(signal: Signal) -> dict[str, Any]:
    return {"observed": signal.observed, "expected": signal.expected, "score": signal.score}


def open_alert(
    conn: Connection,
    signal: Signal,
    *,
    story_ids: Sequence[int],
    item_ids: Sequence[int],
    window_start: datetime,
    window_end: datetime,
    at: datetime,
) -> int:
    """A new active alert for `signal` and its 'opened' event; returns its id.

    The unique `open_key` refuses a second active alert for the same key
    (IntegrityError), whatever two runs try at once.
    """
    row = conn.execute(
        insert(alerts)
        .values(
            kind=signal.kind,
            key=signal.key,
            open_key=signal.key,
            rule_id=signal.rule_id,
            series=json.dumps(signal.series, ensure_ascii=False, sort_keys=True),
            label=signal.label,
            window_start=window_start,
            window_end=window_end,
            observed=signal.observed,
            expected=signal.expected,
            score=signal.score,
            peak_score=signal.score,
            story_ids=_json_ids(story_ids),
            item_ids=_json_ids(item_ids),
            state="new",
            note="",
            playbook=signal.playbook,
            checklist="{}",
            created_at=at,
            updated_at=at,
        )
        .returning(alerts.c.id)
    ).one()
    alert_id = int(row[0])
    _event(conn, alert_id, at, "opened", "new", detail=_numbers(signal))
    return alert_id


def grow_alert(
    conn: Connection,
    alert: ActiveAlert,
    signal: Signal,
    *,
    story_ids: Sequence[int],
    item_ids: Sequence[int],
    window_end: datetime,
    at: datetime,
) -> None:
    """New stories joined an active wave: update its numbers and ids, record 'grew'."""
    scores = [s for s in (alert.peak_score, signal.score) if s is not None]
    peak = max(scores) if scores else None
    conn.execute(
        update(alerts)
        .where(alerts.c.id == alert.id)
        .values(
            observed=signal.observed,
            expected=signal.expected,
            score=signal.score,
            peak_score=peak,
            window_end=window_end,
            story_ids=_json_ids(story_ids),
            item_ids=_json_ids(item_ids),
            updated_at=at,
        )
    )
    added = sorted(set(story_ids) - set(alert.story_ids))
    _event(
        conn, alert.id, at, "grew", alert.state, detail=_numbers(signal) | {"new_stories": added}
    )


def end_alert(conn: Connection, alert: ActiveAlert, *, at: datetime) -> None:
    """The wave fell below the exit level: it is no longer active (the response is untouched)."""
    conn.execute(
        update(alerts)
        .where(alerts.c.id == alert.id)
        .values(open_key=None, ended_at=at, updated_at=at)
    )
    _event(conn, alert.id, at, "ended", alert.state)


def enqueue_deliveries(
    conn: Connection, alert_id: int, event: str, targets: NotifyTargets, *, at: datetime
) -> int:
    """Outbox rows for the notifier, in the caller's transaction; returns how many.

    The SQL lives with the rest of the outbox's in `indicators.store.deliveries`.
    """
    return deliveries.enqueue(conn, alert_id, event, targets, at)
