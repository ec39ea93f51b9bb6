"""The analyst's state machine, alert keys, series matching and watch-rule parsing (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.alerts import (
    ACTIONS,
    STATES,
    AlertError,
    allowed_actions,
    rule_key,
    series_key,
    series_matches,
    transition,
)
from indicators.selection import Vocabulary
from indicators.watchrules import describe, parse_rule_filters, rule_params, rule_series

VOCAB = Vocabulary(
    categories=frozenset({"terrorist_activity", "cyber_threats"}),
    platforms=frozenset({"tiktok", "telegram"}),
    kz_regions=frozenset({"KZ-75", "KZ-19"}),
)


@pytest.mark.parametrize(
    ("state", "action", "target", "event"),
    [
        ("new", "acknowledge", "acknowledged", "acknowledged"),
        ("acknowledged", "resolve", "resolved", "resolved"),
        ("new", "resolve", "resolved", "resolved"),
        ("new", "dismiss", "dismissed", "dismissed"),
        ("acknowledged", "dismiss", "dismissed", "dismissed"),
        ("resolved", "reopen", "new", "reopened"),
        ("dismissed", "reopen", "new", "reopened"),
    ],
)
def test_allowed_transitions(state: str, action: str, target: str, event: str) -> None:
    step = transition(state, action)
    assert (step.target, step.event) == (target, event)


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        ("acknowledged", "acknowledge", "cannot acknowledge an alert that is acknowledged"),
        ("resolved", "acknowledge", "cannot acknowledge an alert that is resolved"),
        ("resolved", "resolve", "cannot resolve an alert that is resolved"),
        ("dismissed", "dismiss", "cannot dismiss an alert that is dismissed"),
        ("resolved", "dismiss", "cannot dismiss an alert that is resolved"),
        ("new", "reopen", "cannot reopen an alert that is new"),
        ("acknowledged", "reopen", "cannot reopen an alert that is acknowledged"),
        ("new", "escalate", "unknown action 'escalate'"),
        ("lost", "resolve", "unknown alert state 'lost'"),
    ],
)
def test_refused_transitions_say_why(state: str, action: str, message: str) -> None:
    with pytest.raises(AlertError, match=message):
        transition(state, action)


@given(st.sampled_from(STATES), st.lists(st.sampled_from(ACTIONS), max_size=12))
def test_any_sequence_of_actions_stays_in_the_known_states(start: str, actions: list[str]) -> None:
    state = start
    for action in actions:
        if action in allowed_actions(state):
            state = transition(state, action).target
        else:
            with pytest.raises(AlertError):
                transition(state, action)
        assert state in STATES
    # whatever happened, a closed alert can always be reopened and an open one closed
    assert allowed_actions(state)


def test_keys_are_stable_whatever_the_order_of_values() -> None:
    a = series_key("rise", {"region": ["KZ-75"], "category": ["cyber_threats"]})
    b = series_key("rise", {"category": ["cyber_threats"], "region": ["KZ-75"], "platform": []})
    assert a == b == "rise:category=cyber_threats|region=KZ-75"
    assert series_key("first_seen", {"platform": ["tiktok"]}) == "first_seen:platform=tiktok"
    assert rule_key(7) == "rule:7"
    with pytest.raises(ValueError, match="not 'rule'"):
        series_key("rule", {"category": ["x"]})


@pytest.mark.parametrize(
    ("series", "selections", "expected"),
    [
        ({"category": ["cyber_threats"]}, {"category": ("cyber_threats",)}, True),
        ({"category": ["cyber_threats"]}, {"category": ("terrorist_activity",)}, False),
        ({"category": ["cyber_threats"]}, {"region": ("KZ-75",)}, True),  # silent axis
        ({"region": ["KZ-75"]}, {"region": ("KZ-19", "KZ-75")}, True),
        ({"region": ["KZ-75"], "platform": ["tiktok"]}, {"platform": ("telegram",)}, False),
        ({"region": ["KZ-75"]}, {"category": (), "region": ()}, True),
    ],
)
def test_an_alert_matches_filters_it_does_not_contradict(
    series: dict[str, list[str]], selections: dict[str, tuple[str, ...]], expected: bool
) -> None:
    assert series_matches(series, selections) is expected


def test_rule_filters_are_parsed_with_the_dashboards_vocabulary() -> None:
    f = parse_rule_filters(
        {"platform": "TikTok", "q": "  вербовка ", "region": ["kz-75"]}, vocabulary=VOCAB
    )
    assert (f.platforms, f.regions, f.q) == (("tiktok",), ("KZ-75",), "вербовка")
    params = rule_params(f)
    assert params == {"platform": ["tiktok"], "region": ["KZ-75"], "q": "вербовка"}
    assert rule_series(params) == {"region": ["KZ-75"], "platform": ["tiktok"]}
    assert describe(params) == "region=KZ-75 & platform=tiktok & q=вербовка"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": ["terror"]}, "unknown category 'terror'"),
        ({"region": ["KZ-99"]}, "unknown region 'KZ-99'"),
        ({"platform": ["myspace"]}, "unknown platform 'myspace'"),
        ({"from": "2026-01-01", "category": ["cyber_threats"]}, "cannot filter on from"),
        ({}, "selects nothing"),
        ({"source": ["0"]}, "feed id"),
    ],
)
def test_a_rule_naming_unknown_ids_is_refused_clearly(params: dict, message: str) -> None:
    with pytest.raises(AlertError, match=message):
        parse_rule_filters(params, vocabulary=VOCAB)
