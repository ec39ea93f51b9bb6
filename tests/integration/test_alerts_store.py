"""The alert store on SQLite and PostgreSQL: reading, the analyst's actions, rules, overlap."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from indicators.alerts import AlertError
from indicators.selection import Filters
from indicators.store import alerts as store
from indicators.store.schema import alert_events, alerts

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def put_alert(engine: Engine, key: str, series: dict[str, list[str]], **kw: Any) -> int:
    """An alert row as detection writes it (detection itself is tested elsewhere)."""
    row = {
        "kind": key.split(":")[0],
        "key": key,
        "open_key": key,
        "series": json.dumps(series),
        "label": key,
        "window_start": NOW - timedelta(hours=24),
        "window_end": NOW,
        "observed": 6,
        "expected": 1.5,
        "score": 4.2,
        "peak_score": 4.2,
        "story_ids": "[11, 12]",
        "item_ids": "[11, 12, 13]",
        "playbook": "cyber_threats",
        "created_at": NOW,
        "updated_at": NOW,
    } | kw
    with engine.begin() as conn:
        return int(conn.execute(insert(alerts).values(**row)).inserted_primary_key[0])


def event_names(engine: Engine, alert_id: int) -> list[tuple[str, str, str]]:
    return [(e.event, e.state, e.note) for e in store.events(engine, alert_id)]


def test_an_alert_reads_back_as_written(store_engine: Engine) -> None:
    alert_id = put_alert(
        store_engine, "rise:category=cyber_threats", {"category": ["cyber_threats"]}
    )
    a = store.get_alert(store_engine, alert_id)
    assert (a.kind, a.key, a.active, a.state, a.note, a.checklist) == (
        "rise",
        "rise:category=cyber_threats",
        True,
        "new",
        "",
        {},
    )
    assert (a.observed, a.expected, a.ratio) == (6, 1.5, 4.0)
    assert (a.story_ids, a.item_ids) == ((11, 12), (11, 12, 13))
    assert a.window_start == NOW - timedelta(hours=24)
    assert a.created_at.tzinfo is UTC
    with pytest.raises(AlertError, match="no alert with id 999"):
        store.get_alert(store_engine, 999)


def test_acknowledge_then_resolve_records_each_step(store_engine: Engine) -> None:
    alert_id = put_alert(store_engine, "rise:region=KZ-75", {"region": ["KZ-75"]})
    later = NOW + timedelta(hours=1)
    acked = store.change_state(store_engine, alert_id, "acknowledge", note="смотрю", at=later)
    assert (acked.state, acked.note, acked.acknowledged_at, acked.updated_at) == (
        "acknowledged",
        "смотрю",
        later,
        later,
    )
    done = store.change_state(store_engine, alert_id, "resolve", at=later + timedelta(hours=2))
    assert (done.state, done.note, done.resolved_at) == (
        "resolved",
        "смотрю",  # an empty note keeps the earlier one
        later + timedelta(hours=2),
    )
    assert event_names(store_engine, alert_id) == [
        ("acknowledged", "acknowledged", "смотрю"),
        ("resolved", "resolved", ""),
    ]


def test_a_refused_transition_changes_nothing(store_engine: Engine) -> None:
    alert_id = put_alert(store_engine, "rise:region=KZ-75", {"region": ["KZ-75"]})
    store.change_state(store_engine, alert_id, "dismiss", note="шум", at=NOW)
    with pytest.raises(AlertError, match="cannot acknowledge an alert that is dismissed"):
        store.change_state(store_engine, alert_id, "acknowledge", note="x", at=NOW)
    a = store.get_alert(store_engine, alert_id)
    assert (a.state, a.note) == ("dismissed", "шум")
    assert len(store.events(store_engine, alert_id)) == 1
    with pytest.raises(AlertError, match="no alert with id 404"):
        store.change_state(store_engine, 404, "acknowledge")


def test_reopen_makes_the_alert_new_and_forgets_the_response_times(store_engine: Engine) -> None:
    alert_id = put_alert(store_engine, "rise:region=KZ-75", {"region": ["KZ-75"]})
    store.change_state(store_engine, alert_id, "acknowledge", at=NOW)
    store.change_state(store_engine, alert_id, "resolve", at=NOW)
    again = store.change_state(store_engine, alert_id, "reopen", note="вернулось", at=NOW)
    assert (again.state, again.acknowledged_at, again.resolved_at, again.note) == (
        "new",
        None,
        None,
        "вернулось",
    )
    assert [e[0] for e in event_names(store_engine, alert_id)] == [
        "acknowledged",
        "resolved",
        "reopened",
    ]


def test_count_open_counts_new_and_acknowledged(store_engine: Engine) -> None:
    ids = [
        put_alert(store_engine, f"rise:region=KZ-{n}", {"region": [f"KZ-{n}"]})
        for n in (1, 2, 3, 4)
    ]
    store.change_state(store_engine, ids[1], "acknowledge", at=NOW)
    store.change_state(store_engine, ids[2], "resolve", at=NOW)
    store.change_state(store_engine, ids[3], "dismiss", at=NOW)
    assert store.count_open(store_engine) == 2
    assert [a.id for a in store.list_alerts(store_engine, states=["new", "acknowledged"])] == [
        ids[1],
        ids[0],
    ]
    with pytest.raises(AlertError, match="unknown alert state 'open'"):
        store.list_alerts(store_engine, states=["open"])


def test_list_is_newest_first_and_filters_by_kind_and_wave(store_engine: Engine) -> None:
    old = put_alert(store_engine, "rule:1", {}, created_at=NOW - timedelta(days=1), open_key=None)
    new = put_alert(store_engine, "first_seen:platform=tiktok", {"platform": ["tiktok"]})
    assert [a.id for a in store.list_alerts(store_engine)] == [new, old]
    assert [a.id for a in store.list_alerts(store_engine, kinds=["rule"])] == [old]
    assert [a.id for a in store.list_alerts(store_engine, active=True)] == [new]
    assert [a.id for a in store.list_alerts(store_engine, active=False)] == [old]
    assert [a.id for a in store.list_alerts(store_engine, limit=1, offset=1)] == [old]


def test_notes_and_checklists_are_saved_with_an_event(store_engine: Engine) -> None:
    alert_id = put_alert(
        store_engine, "rise:category=cyber_threats", {"category": ["cyber_threats"]}
    )
    store.add_note(store_engine, alert_id, "позвонить в ДП", at=NOW)
    saved = store.set_checklist(store_engine, alert_id, {"verify-source": True, "notify": False})
    assert saved.checklist == {"verify-source": True, "notify": False}
    assert saved.note == "позвонить в ДП"
    history = store.events(store_engine, alert_id)
    assert [(e.event, e.state) for e in history] == [("note", "new"), ("checklist", "new")]
    assert history[1].detail == {"verify-source": True, "notify": False}
    with pytest.raises(AlertError, match="must be true or false"):
        store.set_checklist(store_engine, alert_id, {"notify": "yes"})  # type: ignore[dict-item]
    with pytest.raises(AlertError, match="the note is empty"):
        store.add_note(store_engine, alert_id, "   ")


def test_watch_rules_are_validated_listed_and_removed(store_engine: Engine) -> None:
    rule = store.add_rule(
        store_engine,
        "Теракты в Алматы",
        {"category": ["terrorist_activity"], "region": ["kz-75"]},
        at=NOW,
    )
    assert (rule.filters, rule.min_stories, rule.enabled, rule.key) == (
        {"category": ["terrorist_activity"], "region": ["KZ-75"]},
        1,
        True,
        f"rule:{rule.id}",
    )
    tiktok = store.add_rule(
        store_engine, "TikTok вербовка", {"platform": "tiktok", "q": "вербовка"}, min_stories=2
    )
    assert [r.name for r in store.list_rules(store_engine)] == [
        "Теракты в Алматы",
        "TikTok вербовка",
    ]
    store.set_rule_enabled(store_engine, tiktok.id, False)
    assert [r.id for r in store.list_rules(store_engine, enabled_only=True)] == [rule.id]
    with pytest.raises(AlertError, match="exists already"):
        store.add_rule(store_engine, "Теракты  в Алматы", {"category": ["cyber_threats"]})
    with pytest.raises(AlertError, match="unknown category 'terror'"):
        store.add_rule(store_engine, "bad", {"category": ["terror"]})
    with pytest.raises(AlertError, match="unknown platform 'myspace'"):
        store.add_rule(store_engine, "bad", {"platform": ["myspace"]})
    store.remove_rule(store_engine, rule.id)
    assert [r.id for r in store.list_rules(store_engine)] == [tiktok.id]
    with pytest.raises(AlertError, match=f"no watch rule with id {rule.id}"):
        store.remove_rule(store_engine, rule.id)


def test_removing_a_rule_keeps_its_alerts(store_engine: Engine) -> None:
    rule = store.add_rule(store_engine, "r", {"category": ["cyber_threats"]})
    alert_id = put_alert(store_engine, rule.key, {"category": ["cyber_threats"]}, rule_id=rule.id)
    store.remove_rule(store_engine, rule.id)
    assert store.get_alert(store_engine, alert_id).rule_id is None


def test_alerts_overlapping_a_period_and_a_selection(store_engine: Engine) -> None:
    def window(day: int) -> dict[str, datetime]:
        start = datetime(2026, 11, day, 6, tzinfo=UTC)
        return {"window_start": start, "window_end": start + timedelta(hours=24)}

    almaty_cyber = put_alert(
        store_engine,
        "rise:category=cyber_threats|region=KZ-75",
        {"category": ["cyber_threats"], "region": ["KZ-75"]},
        **window(10),
    )
    almaty = put_alert(store_engine, "rise:region=KZ-75", {"region": ["KZ-75"]}, **window(12))
    tiktok = put_alert(
        store_engine, "first_seen:platform=tiktok", {"platform": ["tiktok"]}, **window(20)
    )
    period = Filters(date_from=date(2026, 11, 11), date_to=date(2026, 11, 12))
    assert [a.id for a in store.alerts_overlapping(store_engine, period)] == [almaty_cyber, almaty]
    cyber = Filters(categories=("cyber_threats",))
    assert [a.id for a in store.alerts_overlapping(store_engine, cyber)] == [
        almaty_cyber,
        almaty,  # silent on category: does not contradict
        tiktok,
    ]
    terror_in_almaty = Filters(categories=("terrorist_activity",), regions=("KZ-75",))
    assert [a.id for a in store.alerts_overlapping(store_engine, terror_in_almaty)] == [
        almaty,
        tiktok,  # silent on category and region
    ]
    telegram = Filters(platforms=("telegram",))
    assert [a.id for a in store.alerts_overlapping(store_engine, telegram)] == [
        almaty_cyber,
        almaty,
    ]
    store.change_state(store_engine, tiktok, "dismiss")
    assert [
        a.id for a in store.alerts_overlapping(store_engine, Filters(), states=["dismissed"])
    ] == [tiktok]


def test_events_of_an_unknown_alert_are_an_error(store_engine: Engine) -> None:
    with pytest.raises(AlertError, match="no alert with id 5"):
        store.events(store_engine, 5)
    with store_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alert_events)).scalar_one() == 0


@pytest.fixture
def store_engine(store: Engine) -> Engine:
    return store
