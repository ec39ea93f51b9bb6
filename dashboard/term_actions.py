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
from dashboard.i18n import ENGLISH, N_, Translator
from indicators.lexicon_overlay import propose_term

READ_ONLY = N_(
    "Refused: this dashboard is read-only (started with --read-only); on the server: "
    "`threatmon terms propose TERM --category ID`."
)
NO_OVERLAY = N_("Refused: no lexicon overlay file is configured (setting lexicon_overlay).")


@dataclass(frozen=True)
class ProposalResult:
    """What happened, as a message for the analyst."""

    ok: bool
    message: str


def propose(
    ctx: DashboardContext,
    token: object,
    term: str | None,
    category: str | None,
    lang: str | None,
    t: Translator = ENGLISH,
) -> ProposalResult:
    """Append a term to the overlay after the write checks and the term's own validation.

    The message is in `t`'s language, except the lexicon checker's own findings on a
    malformed overlay, which are for whoever maintains the file and stay as written."""
    if ctx.read_only:
        return ProposalResult(False, t(READ_ONLY))
    access.require_analyst()
    why = csrf.refusal(ctx.csrf, token)
    if why:
        return ProposalResult(False, t(why))
    if ctx.lexicon_overlay is None or ctx.data_dir is None:
        return ProposalResult(False, t(NO_OVERLAY))
    term = " ".join((term or "").split())
    if not term or not category:
        return ProposalResult(False, t("Choose a term and the category it is evidence for."))
    problems = propose_term(
        ctx.data_dir, ctx.lexicon_overlay, term, category, lang or "ru", today=ctx.today()
    )
    if problems:
        if [p.message for p in problems] == [f"{term!r} is already matched by the lexicon"]:
            # the refusal an analyst meets every day: said in the interface language
            reason = t("{term} is already matched by the lexicon").format(term=repr(term))
        else:
            reason = "; ".join(p.message for p in problems)
        return ProposalResult(False, t("Refused: {reason}").format(reason=reason))
    return ProposalResult(
        True,
        t(
            "Added {term} to {category} in the lexicon overlay. New items are tagged with it "
            "from the scheduler's next cycle; `threatmon retag` applies it to stored items."
        ).format(term=repr(term), category=ctx.label("category", category, lang=t.lang)),
    )
