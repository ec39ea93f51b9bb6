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
from dashboard.alert_text import STATE_NAMES, named
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from indicators.alerts import ACTIONS, AlertError, AlertRow, allowed_actions
from indicators.playbooks import Playbook
from indicators.store import alerts as alert_store

NOTE_ACTION = "note"  # save the note alone, without a change of state
READ_ONLY = N_(
    "Refused: this dashboard is read-only (started with --read-only); "
    "use `threatmon alerts ack ID --note TEXT` on the server instead."
)
READ_ONLY_NOTICE = N_(
    "This dashboard is read-only (started with --read-only): alerts are shown but not "
    "changed here. On the server: `threatmon alerts ack ID --note TEXT`."
)
DONE = {
    "acknowledge": N_("Alert #{id} acknowledged."),
    "resolve": N_("Alert #{id} resolved."),
    "dismiss": N_("Alert #{id} dismissed."),
    "reopen": N_("Alert #{id} reopened."),
    NOTE_ACTION: N_("Alert #{id} note saved."),
}


VERBS = {
    "acknowledge": N_("acknowledge"),
    "resolve": N_("resolve"),
    "dismiss": N_("dismiss"),
    "reopen": N_("reopen"),
}


@dataclass(frozen=True)
class ActionResult:
    """What happened: `ok` and a message for the analyst; `alert` as stored afterwards."""

    ok: bool
    message: str
    alert: AlertRow | None = None
    changed: bool = False


def refusal(ctx: DashboardContext, token: object, t: Translator = ENGLISH) -> str | None:
    """Why this request may not write (in `t`'s language), or None when it may (a
    viewer's request gets 403)."""
    if ctx.writer is None:
        return t(READ_ONLY)
    access.require_analyst()
    why = csrf.refusal(ctx.csrf, token)
    return t(why) if why else None


def blocked_notice(ctx: DashboardContext) -> str | None:
    """Why this page offers no alert actions (read-only, or a viewer), or None."""
    if ctx.read_only:
        return READ_ONLY_NOTICE
    return None if access.may_act() else access.VIEWER_NOTICE


def perform(
    ctx: DashboardContext,
    token: object,
    alert_id: int,
    action: str,
    note: str = "",
    t: Translator = ENGLISH,
) -> ActionResult:
    """Acknowledge, resolve, dismiss or reopen an alert (or save its note) with an optional note.

    The message is in `t`'s language; a refusal from the store (`AlertError`) says in
    English why the state machine refused, after a translated "Refused:"."""
    why = refusal(ctx, token, t)
    if why:
        return ActionResult(False, why)
    assert ctx.writer is not None  # refusal() said so
    note = note or ""
    # The refusals an analyst can meet from the page, said in the interface language before
    # the store would say them in English (its checks still run: two analysts may race).
    if action == NOTE_ACTION and not note.strip():
        return ActionResult(False, t("Refused: the note is empty."))
    if action in ACTIONS:
        try:
            current = alert_store.get_alert(ctx.writer, alert_id)
        except AlertError:
            return ActionResult(False, t("Refused: there is no alert #{id}.").format(id=alert_id))
        if action not in allowed_actions(current.state):
            return ActionResult(
                False,
                t("Refused: cannot {action} an alert that is {state}.").format(
                    action=t(VERBS[action]), state=named(STATE_NAMES, current.state, t)
                ),
            )
    try:
        if action == NOTE_ACTION:
            row = alert_store.add_note(ctx.writer, alert_id, note, at=ctx.clock())
        elif action in ACTIONS:
            row = alert_store.change_state(ctx.writer, alert_id, action, note=note, at=ctx.clock())
        else:
            return ActionResult(
                False, t("Refused: unknown action {action}.").format(action=repr(action))
            )
    except AlertError as exc:
        return ActionResult(False, refused(exc, t))
    return ActionResult(True, t(DONE[action]).format(id=alert_id), row, changed=True)


def refused(exc: AlertError, t: Translator = ENGLISH) -> str:
    return t("Refused: {reason}").format(reason=str(exc)) + "."


def save_checklist(
    ctx: DashboardContext,
    token: object,
    alert: AlertRow,
    playbook: Playbook,
    ticked: Iterable[str],
    t: Translator = ENGLISH,
) -> ActionResult:
    """Store which playbook items are done; nothing is written when nothing changed.

    Keys the playbook does not have are ignored, so a forged request cannot
    fill the alert's checklist with arbitrary keys.
    """
    chosen = set(ticked)
    state = {key: key in chosen for key in playbook.item_keys()}
    if state == playbook.checklist_state(alert.checklist):
        return ActionResult(True, "", alert, changed=False)
    why = refusal(ctx, token, t)
    if why:
        return ActionResult(False, why, alert)
    assert ctx.writer is not None
    try:
        row = alert_store.set_checklist(ctx.writer, alert.id, state, at=ctx.clock())
    except AlertError as exc:
        return ActionResult(False, refused(exc, t), alert)
    done = sum(state.values())
    message = t("Checklist saved: {done} of {total} done.").format(
        done=t.number(done), total=t.number(len(state))
    )
    return ActionResult(True, message, row, changed=True)
