"""How an alert is named on screen, in the interface language.

The store keeps an English label made at detection time ("Rise: Cyber
threats · Almaty") for the command line and notifications. The dashboard
names an alert again from its kind and series, with the taxonomy's labels in
the interface language; a watch rule's name is the analyst's own and stays as
written. States, kinds and history events are the closed vocabularies of
`indicators.alerts`, named here for the catalogs. Used by the Alerts view and
by the alert bands of Trends (pages do not import pages).
"""

from __future__ import annotations

from collections.abc import Callable

from dashboard.i18n import ENGLISH, N_, Translator
from indicators.alerts import AlertRow

STATE_NAMES = {
    "new": N_("new"),
    "acknowledged": N_("acknowledged"),
    "resolved": N_("resolved"),
    "dismissed": N_("dismissed"),
}
KIND_NAMES = {"rise": N_("rise"), "first_seen": N_("first seen"), "rule": N_("watch rule")}
EVENT_NAMES = {
    "opened": N_("opened"),
    "grew": N_("grew"),
    "ended": N_("ended"),
    "acknowledged": N_("acknowledged"),
    "resolved": N_("resolved"),
    "dismissed": N_("dismissed"),
    "reopened": N_("reopened"),
    "note": N_("note"),
    "checklist": N_("checklist"),
}
# The label's form per kind; {series} is the series' values, {name} a rule's name.
LABELS = {
    "rise": N_("Rise: {series}"),
    "first_seen": N_("First seen: {series}"),
    "rule": N_("Rule: {name}"),
}
RULE_PREFIX = "Rule: "  # how indicators.detection starts a rule alert's stored label


def named(names: dict[str, str], value: str, t: Translator = ENGLISH) -> str:
    """`value` from one of the vocabularies above in `t`'s language (as stored if unknown)."""
    return t(names[value]) if value in names else value


def alert_label(alert: AlertRow, label: Callable[[str, str], str], t: Translator = ENGLISH) -> str:
    """The alert's label in `t`'s language; `label(axis, value)` names a series value."""
    if alert.kind == "rule":
        name = alert.label.removeprefix(RULE_PREFIX)
        return t(LABELS["rule"]).format(name=name)
    values = [label(axis, value) for axis, found in alert.series.items() for value in found]
    if alert.kind not in LABELS or not values:
        return alert.label
    return t(LABELS[alert.kind]).format(series=" · ".join(values))
