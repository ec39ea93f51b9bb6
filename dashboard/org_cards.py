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
from indicators.actor_activity import ActorActivity
from indicators.actors import Actor, Designation
from indicators.weblinks import safe_href

Label = Callable[[str, str], str]
KIND_NAMES = {
    "terrorist": "terrorist organization",
    "extremist": "extremist organization",
    "banned_religious": "banned religious movement",
    "political_extremist": "political organization banned as extremist",
    "criminal_network": "criminal network",
    "cyber": "cyber actor",
}
SHOWN_PER_AXIS = 5  # regions, platforms, categories listed per organization
AXIS_TITLES = (("region", "Regions"), ("platform", "Platforms"), ("category", "Categories"))


def org_id(actor_id: str) -> str:
    return f"or-org-{actor_id}"


def designation_line(fact: Designation) -> Any:
    """ "KZ court · terrorist · 2015-10-15 · source" with the source a link when it is safe."""
    parts: list[Any] = [f"{fact.authority} · {fact.status} · {fact.date}"]
    if fact.ref:
        parts.append(f" · {fact.ref}")
    if fact.note:
        parts.append(f" ({fact.note})")
    href = safe_href(fact.source)
    if href is not None:
        parts += [
            " · ",
            html.A("source", href=href, target="_blank", rel="noopener noreferrer nofollow"),
        ]
    return html.Li(parts, className="designation")


def together_line(title: str, pairs: Sequence[tuple[str, int]], axis: str, label: Label) -> Any:
    if not pairs:
        return html.P([html.Strong(f"{title}: "), "none named"], className="org-facet")
    shown = ", ".join(f"{label(axis, v)} ({n})" for v, n in pairs[:SHOWN_PER_AXIS])
    more = f", +{len(pairs) - SHOWN_PER_AXIS} more" if len(pairs) > SHOWN_PER_AXIS else ""
    return html.P([html.Strong(f"{title}: "), shown + more], className="org-facet")


def org_card(
    activity: ActorActivity,
    actor: Actor | None,
    *,
    label: Label,
    href: str,
    span: tuple[date, date],
    color: str,
) -> Any:
    """An organization: name (a link that filters by it), counts, trend, facets, facts, news."""
    name = label("actor", activity.id)
    kind = KIND_NAMES.get(actor.kind, actor.kind) if actor else "organization"
    facts = actor.designations if actor else ()
    newest = [
        html.Li([html.Span(utc_text(row.published_at), className="time"), " ", item_title(row)])
        for row in activity.newest
    ]
    return html.Article(
        [
            html.Div(
                [
                    dcc.Link(name, href=href, className="org-name", title=f"filter by {name}"),
                    html.Span(kind, className="org-kind"),
                    html.Span(
                        f"{activity.stories:,} stories · {activity.items:,} items",
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
                together_line(title, activity.together.get(axis, ()), axis, label)
                for axis, title in AXIS_TITLES
            ),
            html.Div(
                [
                    html.Strong("Designations"),
                    html.Ul([designation_line(f) for f in facts], className="designations")
                    if facts
                    else html.P("none recorded in data/actors.yaml", className="hint"),
                ],
                className="org-facts",
            ),
            html.Div(
                [html.Strong("Newest stories"), html.Ul(newest, className="org-newest")],
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
            )
            for a in activities
        ],
        className="org-list",
    )
