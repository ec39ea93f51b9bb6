"""Who is asking, and may they write? Read from the request that `dashboard.signin` admitted.

With sign-in on, every request that reaches a view or a callback carries its
user (`flask.g.user`); with sign-in off (loopback, the default) there is none
and the dashboard behaves as before sign-in existed: whoever can reach it may
act. Outside a request (the validation layout, tests calling functions
directly) nothing is restricted here; the write paths still check their
CSRF token.
"""

from __future__ import annotations

from flask import abort, g, has_request_context

from dashboard.i18n import N_
from indicators.accounts import User

VIEWER_NOTICE = N_(
    "You are signed in as a viewer: alerts are shown but not changed here, and terms are "
    "not proposed. Alert actions and lexicon proposals need the analyst role."
)
VIEWER_REFUSAL = N_("Refused: alert actions and lexicon proposals need the analyst role.")


def signed_in() -> User | None:
    """The user this request was admitted as (None with sign-in off or outside a request)."""
    return g.get("user") if has_request_context() else None


def may_act() -> bool:
    """May this request act on alerts and propose terms (as far as roles go)?"""
    user = signed_in()
    return user is None or user.may_act


def require_analyst() -> None:
    """Answer 403 to a viewer's write request (the UI does not offer them one)."""
    if not may_act():
        abort(403, VIEWER_REFUSAL)
