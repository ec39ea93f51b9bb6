"""Watch rules' filters: the dashboard's own filter parameters, validated the same way.

A rule is a saved dashboard selection ("terrorist_activity in KZ-75", "tiktok
and the word вербовка"). Its filters are stored as a JSON object in the
`Filters` API parameter names, and parsed with `Filters.from_params` and its
vocabulary, so a rule can never name a category, region or platform the
dashboard would refuse. Periods make no sense for a rule (it always looks at
the detection window), so `from`/`to` are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from indicators.alerts import AlertError
from indicators.models import TAG_AXES
from indicators.selection import FilterError, Filters, Vocabulary

RULE_PARAMS: tuple[str, ...] = (*TAG_AXES, "lang", "source", "q")


def parse_rule_filters(
    params: Mapping[str, Any], *, vocabulary: Vocabulary | None = None
) -> Filters:
    """Validate a rule's parameters; AlertError (a message for the analyst) when they are wrong.

    Values may be lists or single strings; `q` is one text. A rule must
    select something: an empty rule would alert on every relevant story.
    """
    unknown = sorted(set(params) - set(RULE_PARAMS))
    if unknown:
        raise AlertError(
            f"a watch rule cannot filter on {', '.join(unknown)} (use {', '.join(RULE_PARAMS)})"
        )
    as_lists: dict[str, Sequence[str]] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, (str, int)):
            as_lists[name] = (str(value),)
        else:
            as_lists[name] = tuple(str(v) for v in value)
    try:
        f = Filters.from_params(as_lists, vocabulary=vocabulary)
    except FilterError as exc:
        raise AlertError(f"watch rule refused: {exc}") from None
    if not (f.has_tag_filter or f.q or f.langs or f.sources):
        raise AlertError("watch rule refused: it selects nothing (name a category, region, ...)")
    return f


def rule_params(f: Filters) -> dict[str, Any]:
    """The stored form of a rule's filters: only the parameters it uses, lists sorted."""
    full = f.to_dict()
    out: dict[str, Any] = {}
    for name in RULE_PARAMS:
        value = full[name]
        if value:
            out[name] = [str(v) for v in value] if isinstance(value, list) else value
    return out


def rule_filters_json(f: Filters) -> str:
    """`rule_params` as the JSON text the `watch_rules.filters` column holds."""
    return json.dumps(rule_params(f), ensure_ascii=False, sort_keys=True)


def rule_series(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """The part of a rule an alert's `series` records: the tag axes it names."""
    return {axis: list(params[axis]) for axis in TAG_AXES if params.get(axis)}


def describe(params: Mapping[str, Any]) -> str:
    """A one-line human description: 'category=terrorist_activity & region=KZ-75'."""
    parts = []
    for name in RULE_PARAMS:
        value = params.get(name)
        if not value:
            continue
        shown = value if isinstance(value, str) else ",".join(str(v) for v in value)
        parts.append(f"{name}={shown}")
    return " & ".join(parts)
