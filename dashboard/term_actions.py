"""The dashboard's one write outside the database: a term proposed to the lexicon overlay.

The same checks as the alert actions (`dashboard.alert_actions`): the
dashboard is not read-only, a signed-in user is an analyst, and the request
carries this browser's CSRF token (the same-origin check already ran before
Dash). The term is then validated and appended by
`indicators.lexicon_overlay.propose_term`, which leaves the file as it was
when anything is wrong. A refusal is a message, never an exception in the
page; a viewer's request gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import access, csrf
from dashboard.context import DashboardContext
from indicators.lexicon_overlay import propose_term

READ_ONLY = (
    "Refused: this dashboard is read-only (started with --read-only); on the server: "
    "`threatmon terms propose TERM --category ID`."
)
NO_OVERLAY = "Refused: no lexicon overlay file is configured (setting lexicon_overlay)."


@dataclass(frozen=True)
class ProposalResult:
    """What happened, as a message for the analyst."""

    ok: bool
    message: str


def propose(
    ctx: DashboardContext, token: object, term: str | None, category: str | None, lang: str | None
) -> ProposalResult:
    """Append a term to the overlay after the write checks and the term's own validation."""
    if ctx.read_only:
        return ProposalResult(False, READ_ONLY)
    access.require_analyst()
    why = csrf.refusal(ctx.csrf, token)
    if why:
        return ProposalResult(False, why)
    if ctx.lexicon_overlay is None or ctx.data_dir is None:
        return ProposalResult(False, NO_OVERLAY)
    term = " ".join((term or "").split())
    if not term or not category:
        return ProposalResult(False, "Choose a term and the category it is evidence for.")
    problems = propose_term(
        ctx.data_dir, ctx.lexicon_overlay, term, category, lang or "ru", today=ctx.today()
    )
    if problems:
        return ProposalResult(False, "Refused: " + "; ".join(p.message for p in problems))
    return ProposalResult(
        True,
        f"Added {term!r} to {ctx.label('category', category)} in the lexicon overlay. "
        "New items are tagged with it from the scheduler's next cycle; "
        "`threatmon retag` applies it to stored items.",
    )
