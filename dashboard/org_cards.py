"""One organization as the Organizations view shows it: pure, records in, components out.

The page callback asks `indicators.actor_activity` for the records and hands
them here; nothing in this module reads the store. Designation facts link to
their public source only through `safe_href`, like every other link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from dash import dcc, html

from dashboard import figures
from dashboard.components import item_title, notice, utc_text
from dashboard.i18n import ENGLISH, N_, Translator
from indicators.actor_activity import ActorActivity
from indicators.actors import Actor, Designation
from indicators.weblinks import safe_href

Label = Callable[[str, str], str]
# data/actors.yaml's closed vocabularies as the interface names them (translated where shown)
KIND_NAMES = {
    "terrorist": N_("terrorist organization"),
    "extremist": N_("extremist organization"),
    "banned_religious": N_("banned religious movement"),
    "political_extremist": N_("political organization banned as extremist"),
    "criminal_network": N_("criminal network"),
    "cyber": N_("cyber actor"),
}
AUTHORITY_NAMES = {
    "KZ court": N_("court of Kazakhstan"),
    "KZ list": N_("Kazakhstan's list of banned organizations"),
    "UN Security Council 1267": N_("UN Security Council, 1267 list"),
    "UN Security Council 1988": N_("UN Security Council, 1988 list"),
    "US State Department FTO": N_("US State Department, FTO list"),
    "EU": N_("European Union"),
    "other": N_("other authority"),
}
STATUS_NAMES = {
    "terrorist": N_("recognized as terrorist"),
    "extremist": N_("recognized as extremist"),
    "sanctions_list": N_("put on a sanctions list"),
    "delisted": N_("removed from the list"),
}
SHOWN_PER_AXIS = 5  # regions, platforms, categories listed per organization
AXIS_TITLES = (
    ("region", N_("Regions")),
    ("platform", N_("Platforms")),
    ("category", N_("Categories")),
)


def org_id(actor_id: str) -> str:
    return f"or-org-{actor_id}"


def _name(names: Mapping[str, str], value: str, t: Translator) -> str:
    return t(names[value]) if value in names else value


def designation_line(fact: Designation, t: Translator = ENGLISH) -> Any:
    """ "court of Kazakhstan · recognized as terrorist · 2015-10-15 · source", the source a
    link when it is safe. The note is our own remark in data/actors.yaml, written in English: it is
    shown as written and marked as English."""
    authority = _name(AUTHORITY_NAMES, fact.authority, t)
    parts: list[Any] = [f"{authority} · {_name(STATUS_NAMES, fact.status, t)} · {fact.date}"]
    if fact.ref:
        parts.append(f" · {fact.ref}")
    if fact.note:
        parts += [" (", html.Span(fact.note, lang="en", className="data-note"), ")"]
    href = safe_href(fact.source)
    if href is not None:
        parts += [
            " · ",
            html.A(t("source"), href=href, target="_blank", rel="noopener noreferrer nofollow"),
        ]
    return html.Li(parts, className="designation")


def together_line(
    title: str,
    pairs: Sequence[tuple[str, int]],
    axis: str,
    label: Label,
    t: Translator = ENGLISH,
) -> Any:
    if not pairs:
        return html.P([html.Strong(f"{title}: "), t("none named")], className="org-facet")
    shown = ", ".join(f"{label(axis, v)} ({t.number(n)})" for v, n in pairs[:SHOWN_PER_AXIS])
    more = (
        ", " + t("+{n} more").format(n=t.number(len(pairs) - SHOWN_PER_AXIS))
        if len(pairs) > SHOWN_PER_AXIS
        else ""
    )
    return html.P([html.Strong(f"{title}: "), shown + more], className="org-facet")


def org_card(
    activity: ActorActivity,
    actor: Actor | None,
    *,
    label: Label,
    href: str,
    span: tuple[date, date],
    color: str,
    t: Translator = ENGLISH,
) -> Any:
    """An organization: name (a link that filters by it), counts, trend, facets, facts, news."""
    name = label("actor", activity.id)
    kind = _name(KIND_NAMES, actor.kind, t) if actor else t("organization")
    facts = actor.designations if actor else ()
    newest = [
        html.Li([html.Span(utc_text(row.published_at), className="time"), " ", item_title(row)])
        for row in activity.newest
    ]
    return html.Article(
        [
            html.Div(
                [
                    dcc.Link(
                        name,
                        href=href,
                        className="org-name",
                        title=t("filter by {name}").format(name=name),
                    ),
                    html.Span(kind, className="org-kind"),
                    html.Span(
                        t.plural("{n} story", "{n} stories", activity.stories).format(
                            n=t.number(activity.stories)
                        )
                        + " · "
                        + t.plural("{n} item", "{n} items", activity.items).format(
                            n=t.number(activity.items)
                        ),
                        className="org-count",
                    ),
                ],
                className="org-head",
            ),
            dcc.Graph(
                figure=figures.sparkline(activity.per_day, span[0], span[1], color),
                config={"staticPlot": True, "displayModeBar": False},
                className="spark org-spark",
            ),
            *(
                together_line(t(title), activity.together.get(axis, ()), axis, label, t)
                for axis, title in AXIS_TITLES
            ),
            html.Div(
                [
                    html.Strong(t("Designations")),
                    html.Ul([designation_line(f, t) for f in facts], className="designations")
                    if facts
                    else html.P(t("none recorded in data/actors.yaml"), className="hint"),
                ],
                className="org-facts",
            ),
            html.Div(
                [html.Strong(t("Newest stories")), html.Ul(newest, className="org-newest")],
                className="org-news",
            ),
        ],
        id=org_id(activity.id),
        className="org",
    )


def org_list(
    activities: Sequence[ActorActivity],
    actors: Mapping[str, Actor],
    *,
    label: Label,
    href_for: Callable[[str], str],
    span: tuple[date, date],
    empty: str,
    t: Translator = ENGLISH,
) -> Any:
    if not activities:
        return notice(empty)
    colors = figures.colors_for([a.id for a in activities])
    return html.Div(
        [
            org_card(
                a,
                actors.get(a.id),
                label=label,
                href=href_for(a.id),
                span=span,
                color=colors[a.id],
                t=t,
            )
            for a in activities
        ],
        className="org-list",
    )
