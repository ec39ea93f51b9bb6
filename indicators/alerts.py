"""Alerts as plain records, and the analyst's state machine over them.

An alert has two independent lives:
- the *wave* (detection's business): active while `open_key` is set, it grows
  while the series stays high and ends (`ended_at`) when it falls back;
- the *response* (the analyst's business): `new` -> `acknowledged` ->
  `resolved`, or `dismissed` from any open state; a resolved or dismissed
  alert can be reopened, which makes it `new` again. A new alert may also be
  resolved directly (the analyst checked it at once). Anything else is an
  `AlertError` with a message meant for the analyst.

This module is pure: the store (`indicators.store.alerts`) applies the
transitions it computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from indicators.models import TAG_AXES

STATES: tuple[str, ...] = ("new", "acknowledged", "resolved", "dismissed")
OPEN_STATES: frozenset[str] = frozenset({"new", "acknowledged"})
KINDS: tuple[str, ...] = ("rise", "first_seen", "rule")
EVENTS: tuple[str, ...] = (
    "opened",
    "grew",
    "ended",
    "acknowledged",
    "resolved",
    "dismissed",
    "reopened",
    "note",
    "checklist",
)
# The series axes an alert (and a rule) can name, in the Filters API parameter names.
SERIES_AXES: tuple[str, ...] = TAG_AXES


class AlertError(ValueError):
    """A request about alerts that cannot be honoured; the message is meant for the user."""


@dataclass(frozen=True)
class Transition:
    """What an analyst's action does: allowed source states, the state and event it leaves."""

    action: str
    sources: frozenset[str]
    target: str
    event: str
    stamp: str | None  # the alerts column that records when it happened


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "acknowledge", frozenset({"new"}), "acknowledged", "acknowledged", "acknowledged_at"
        ),
        Transition("resolve", OPEN_STATES, "resolved", "resolved", "resolved_at"),
        Transition("dismiss", OPEN_STATES, "dismissed", "dismissed", "dismissed_at"),
        Transition("reopen", frozenset({"resolved", "dismissed"}), "new", "reopened", None),
    )
}
ACTIONS: tuple[str, ...] = tuple(TRANSITIONS)
# The timestamps a reopened alert forgets: its state is `new` again (the events keep history).
RESPONSE_STAMPS: tuple[str, ...] = ("acknowledged_at", "resolved_at", "dismissed_at")


def transition(state: str, action: str) -> Transition:
    """The transition `action` makes from `state`, or an AlertError saying why not."""
    if state not in STATES:
        raise AlertError(f"unknown alert state {state!r}")
    found = TRANSITIONS.get(action)
    if found is None:
        raise AlertError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if state not in found.sources:
        allowed = " or ".join(sorted(found.sources))
        raise AlertError(f"cannot {action} an alert that is {state} (only one that is {allowed})")
    return found


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions an alert in `state` offers (for buttons and help texts)."""
    return tuple(a for a, t in TRANSITIONS.items() if state in t.sources)


@dataclass(frozen=True)
class AlertRow:
    """One stored alert. `series` is {axis: [values]} in Filters parameter names."""

    id: int
    kind: str
    key: str
    active: bool  # the wave is still going on (open_key is set)
    rule_id: int | None
    series: dict[str, list[str]]
    label: str
    window_start: datetime
    window_end: datetime
    observed: int | None
    expected: float | None
    score: float | None
    peak_score: float | None
    story_ids: tuple[int, ...]
    item_ids: tuple[int, ...]
    state: str
    note: str
    playbook: str | None
    checklist: dict[str, bool]
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    dismissed_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Waiting for the analyst (new or acknowledged)."""
        return self.state in OPEN_STATES

    @property
    def ratio(self) -> float | None:
        """Observed over expected stories (None when either is missing or expected is 0)."""
        if self.observed is None or not self.expected:
            return None
        return self.observed / self.expected


@dataclass(frozen=True)
class AlertEvent:
    """One entry of an alert's history."""

    id: int
    alert_id: int
    at: datetime
    event: str
    state: str
    note: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WatchRule:
    """An analyst's saved filter: alert when >= min_stories matching stories fall in the window.

    `filters` uses the Filters API parameter names (category, region,
    platform, lang, source -> lists; q -> text), as stored in the database.
    """

    id: int
    name: str
    filters: dict[str, Any]
    min_stories: int
    playbook: str | None
    enabled: bool
    created_at: datetime

    @property
    def key(self) -> str:
        return rule_key(self.id)


def rule_key(rule_id: int) -> str:
    """The stable alert key of a watch rule."""
    return f"rule:{rule_id}"


def series_key(kind: str, series: dict[str, list[str]]) -> str:
    """The stable alert key of a series: 'rise:category=cyber_threats|region=KZ-75'."""
    if kind not in ("rise", "first_seen"):
        raise ValueError(f"series keys are for rise and first_seen alerts, not {kind!r}")
    parts = [f"{axis}={','.join(sorted(series[axis]))}" for axis in SERIES_AXES if series.get(axis)]
    return f"{kind}:" + "|".join(parts)


def series_matches(series: dict[str, list[str]], selections: dict[str, tuple[str, ...]]) -> bool:
    """The series does not contradict the selections (axis -> chosen values).

    A series that names values on an axis matches when it shares one with the
    selection; a series silent on an axis matches any selection there (an
    alert on "all of Almaty" belongs in a view of cyber threats in Almaty).
    """
    for axis, chosen in selections.items():
        named = series.get(axis)
        if chosen and named and not set(named) & set(chosen):
            return False
    return True


@dataclass(frozen=True)
class NotifyTargets:
    """Where new alerts are announced: plain values the caller builds from the settings.

    Each opened alert (and each growth that at least doubles its score) gets
    one delivery per webhook URL and one e-mail delivery to all recipients.
    """

    # Hidden from repr: a webhook URL often carries its credential in the path.
    webhooks: tuple[str, ...] = field(default=(), repr=False)
    email_to: tuple[str, ...] = ()

    def deliveries(self) -> list[tuple[str, str]]:
        """(channel, target) pairs: one per webhook, one for the e-mail recipient list."""
        out = [("webhook", url) for url in self.webhooks if url]
        recipients = [r for r in self.email_to if r]
        if recipients:
            out.append(("email", ",".join(recipients)))
        return out
