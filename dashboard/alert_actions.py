"""The dashboard's database write path: an analyst's action on one alert.

Every write goes through `indicators.store.alerts` with the context's
writable engine, and only after three checks: the dashboard is not read-only
(`ctx.writer` is set), a signed-in user has the analyst role
(`dashboard.access`; a viewer gets 403) and the request carries this browser's CSRF token
(`dashboard.csrf`; the same-origin check already ran before Dash). A refusal
is a message for the analyst, never an exception in the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dashboard import access, csrf
from dashboard.context import DashboardContext
from indicators.alerts import ACTIONS, AlertError, AlertRow
from indicators.playbooks import Playbook
from indicators.store import alerts as alert_store

NOTE_ACTION = "note"  # save the note alone, without a change of state
READ_ONLY = (
    "Refused: this dashboard is read-only (started with --read-only); "
    "use `threatmon alerts ack ID --note TEXT` on the server instead."
)
READ_ONLY_NOTICE = (
    "This dashboard is read-only (started with --read-only): alerts are shown but not "
    "changed here. On the server: `threatmon alerts ack ID --note TEXT`."
)
PAST_TENSE = {
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "dismiss": "dismissed",
    "reopen": "reopened",
    NOTE_ACTION: "note saved",
}


@dataclass(frozen=True)
class ActionResult:
    """What happened: `ok` and a message for the analyst; `alert` as stored afterwards."""

    ok: bool
    message: str
    alert: AlertRow | None = None
    changed: bool = False


def refusal(ctx: DashboardContext, token: object) -> str | None:
    """Why this request may not write, or None when it may (a viewer's request gets 403)."""
    if ctx.writer is None:
        return READ_ONLY
    access.require_analyst()
    return csrf.refusal(ctx.csrf, token)


def blocked_notice(ctx: DashboardContext) -> str | None:
    """Why this page offers no alert actions (read-only, or a viewer), or None."""
    if ctx.read_only:
        return READ_ONLY_NOTICE
    return None if access.may_act() else access.VIEWER_NOTICE


def perform(
    ctx: DashboardContext, token: object, alert_id: int, action: str, note: str = ""
) -> ActionResult:
    """Acknowledge, resolve, dismiss or reopen an alert (or save its note) with an optional note."""
    why = refusal(ctx, token)
    if why:
        return ActionResult(False, why)
    assert ctx.writer is not None  # refusal() said so
    note = note or ""
    try:
        if action == NOTE_ACTION:
            row = alert_store.add_note(ctx.writer, alert_id, note, at=ctx.clock())
        elif action in ACTIONS:
            row = alert_store.change_state(ctx.writer, alert_id, action, note=note, at=ctx.clock())
        else:
            return ActionResult(False, f"Refused: unknown action {action!r}.")
    except AlertError as exc:
        return ActionResult(False, f"Refused: {exc}.")
    return ActionResult(True, f"Alert #{alert_id} {PAST_TENSE[action]}.", row, changed=True)


def save_checklist(
    ctx: DashboardContext, token: object, alert: AlertRow, playbook: Playbook, ticked: Iterable[str]
) -> ActionResult:
    """Store which playbook items are done; nothing is written when nothing changed.

    Keys the playbook does not have are ignored, so a forged request cannot
    fill the alert's checklist with arbitrary keys.
    """
    chosen = set(ticked)
    state = {key: key in chosen for key in playbook.item_keys()}
    if state == playbook.checklist_state(alert.checklist):
        return ActionResult(True, "", alert, changed=False)
    why = refusal(ctx, token)
    if why:
        return ActionResult(False, why, alert)
    assert ctx.writer is not None
    try:
        row = alert_store.set_checklist(ctx.writer, alert.id, state, at=ctx.clock())
    except AlertError as exc:
        return ActionResult(False, f"Refused: {exc}.", alert)
    done = sum(state.values())
    return ActionResult(True, f"Checklist saved: {done} of {len(state)} done.", row, changed=True)
