"""A detection run end to end on a real store filled through the real write path.

History: 40 quiet days (filler items every day, a cyber-threat story in
Almaty every other day), then a window with a burst of such stories, the first
TikTok story ever, and a watch rule that matches the burst.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from indicators import early_warning
from indicators.alerts import NotifyTargets
from indicators.detection import DetectionConfig
from indicators.early_warning import DetectionError, run_detection
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store import write
from indicators.store.schema import alert_deliveries, alert_events, alerts, detection_runs
from indicators.taxonomy import load_taxonomy
from tests.alert_history import AT, burst, fill, quiet_history
from tests.factories import make_item

CFG = DetectionConfig(min_stories=3, min_ratio=2.0, min_score=4.0, exit_score=2.0)
TARGETS = NotifyTargets(webhooks=("http://127.0.0.1:9/hook",), email_to=("duty@example.org",))
VOCAB = early_warning.Vocabulary(
    categories=("cyber_threats", "terrorist_activity"),
    kz_regions=("KZ", "KZ-75", "KZ-19"),
    platforms=("tiktok", "telegram"),
)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


LABELS = load_taxonomy(Path(__file__).resolve().parents[2] / "data").label


def run(engine: Engine, at: datetime = AT) -> early_warning.DetectionReport:
    return run_detection(engine, CFG, at=at, targets=TARGETS, vocabulary=VOCAB, labeler=LABELS)


@pytest.fixture
def engine(store: Engine) -> Engine:
    fill(store, quiet_history() + burst())
    return store


def test_a_burst_opens_alerts_with_their_evidence_and_queues_deliveries(engine: Engine) -> None:
    rule = alert_store.add_rule(
        engine, "Кибер в Алматы", {"category": "cyber_threats", "region": "KZ-75"}, min_stories=5
    )
    report = run(engine)
    opened = {c.key: c for c in report.opened}
    assert set(opened) == {
        "rise:category=cyber_threats",
        "rise:category=cyber_threats|region=KZ-75",
        "rise:region=KZ-75",
        "first_seen:platform=tiktok",
        f"rule:{rule.id}",
    }
    rise = opened["rise:category=cyber_threats|region=KZ-75"]
    # baseline: 14 stories in 28 days of 10-11 items; window: 8 stories among 19 items
    baseline_volume = 28 * 10 + 14
    assert rise.observed == 8
    assert rise.expected == pytest.approx((14 + 0.5) / baseline_volume * 19)
    assert rise.label == "Rise: Cyber threats · Almaty"
    stored = alert_store.get_alert(engine, rise.alert_id)
    assert (stored.kind, stored.state, stored.active, stored.playbook) == (
        "rise",
        "new",
        True,
        "cyber_threats",
    )
    assert stored.series == {"category": ["cyber_threats"], "region": ["KZ-75"]}
    assert len(stored.story_ids) == 8 and stored.story_ids == stored.item_ids
    assert (stored.window_start, stored.window_end) == (AT - timedelta(hours=24), AT)
    tiktok = alert_store.get_alert(engine, opened["first_seen:platform=tiktok"].alert_id)
    assert (tiktok.playbook, len(tiktok.story_ids)) == ("general", 1)
    ruled = alert_store.get_alert(engine, opened[f"rule:{rule.id}"].alert_id)
    assert (ruled.rule_id, ruled.observed, ruled.label) == (rule.id, 8, "Rule: Кибер в Алматы")
    # one webhook + one e-mail delivery per opened alert, in the same transaction
    assert report.deliveries == count(engine, alert_deliveries) == 2 * 5
    with engine.connect() as conn:
        channels = conn.execute(
            select(alert_deliveries.c.channel, alert_deliveries.c.target, alert_deliveries.c.status)
            .where(alert_deliveries.c.alert_id == rise.alert_id)
            .order_by(alert_deliveries.c.channel)
        ).all()
        run_row = conn.execute(select(detection_runs)).one()
    assert [tuple(r) for r in channels] == [
        ("email", "duty@example.org", "pending"),
        ("webhook", "http://127.0.0.1:9/hook", "pending"),
    ]
    assert (run_row.status, run_row.opened, run_row.grown, run_row.ended, run_row.error) == (
        "ok",
        5,
        0,
        0,
        None,
    )
    assert run_row.series_checked == report.series_checked == 2 + 2 * 3 + 2 * 2 + 3 + 2 + 1
    assert [e.event for e in alert_store.events(engine, rise.alert_id)] == ["opened"]


def test_running_twice_at_the_same_moment_opens_nothing_new(engine: Engine) -> None:
    first = run(engine)
    assert len(first.opened) == 4
    second = run(engine)
    assert (second.opened, second.grown, second.ended, second.deliveries) == ((), (), (), 0)
    assert count(engine, alerts) == 4
    assert count(engine, alert_deliveries) == 8
    assert count(engine, detection_runs) == 2


def test_a_wave_grows_with_new_stories_then_ends_and_cools_down(engine: Engine) -> None:
    opened = {c.key: c.alert_id for c in run(engine).opened}
    key = "rise:category=cyber_threats|region=KZ-75"
    later = AT + timedelta(hours=3)
    fill_more = [
        make_item(
            f"Новая кибератака {i}",
            published_at=AT + timedelta(hours=1, minutes=i),
            categories=("cyber_threats",),
            regions=("KZ-75",),
        )
        for i in range(4)
    ]
    with engine.begin() as conn:
        write.insert_items(conn, None, fill_more, lexicon_version="v1")
    grown = {c.key: c for c in run(engine, later).grown}
    assert key in grown
    alert = alert_store.get_alert(engine, opened[key])
    assert (alert.observed, len(alert.story_ids), alert.window_end) == (12, 12, later)
    assert alert.window_start == AT - timedelta(hours=24)  # the wave's first window
    history = alert_store.events(engine, opened[key])
    assert [e.event for e in history] == ["opened", "grew"]
    assert len(history[1].detail["new_stories"]) == 4
    # two days later the window is empty: every wave ends, none is active
    quiet = AT + timedelta(days=2)
    ended = {c.key for c in run(engine, quiet).ended}
    assert key in ended
    assert alert_store.list_alerts(engine, active=True) == []
    ended_alert = alert_store.get_alert(engine, opened[key])
    assert (ended_alert.ended_at, ended_alert.state) == (quiet, "new")  # the response is untouched
    assert [e.event for e in alert_store.events(engine, opened[key])][-1] == "ended"


def test_a_wave_that_goes_on_next_day_grows_against_the_days_before_it(engine: Engine) -> None:
    opened = {c.key: c.alert_id for c in run(engine).opened}
    key = "rise:category=cyber_threats|region=KZ-75"
    # Two days on, the burst's day is baseline; 5 more stories arrive (and the usual filler).
    later = AT + timedelta(days=2)
    more = [
        make_item(f"Новости {i}", published_at=later - timedelta(hours=5)) for i in range(10)
    ] + [
        make_item(
            f"Снова DDoS в Алматы {i}",
            published_at=later - timedelta(hours=2, minutes=i),
            categories=("cyber_threats",),
            regions=("KZ-75",),
        )
        for i in range(5)
    ]
    with engine.begin() as conn:
        write.insert_items(conn, None, more, lexicon_version="v1")
    report = run(engine, later)
    assert key in {c.key for c in report.grown} and key not in {c.key for c in report.ended}
    alert = alert_store.get_alert(engine, opened[key])
    # Expected from the quiet days only: one story every other day in 10.5 items a day.
    assert alert.expected is not None and alert.expected < 1.0
    assert alert.observed == 5


def test_a_run_that_fails_midway_leaves_only_its_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kw: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(alert_store, "enqueue_deliveries", broken)
    with pytest.raises(DetectionError, match="disk full"):
        run(engine)
    assert count(engine, alerts) == count(engine, alert_events) == 0
    with engine.connect() as conn:
        row = conn.execute(select(detection_runs)).one()
    assert (row.status, row.error) == ("error", "RuntimeError: disk full")
    monkeypatch.undo()
    assert len(run(engine).opened) == 4  # the next run does the work


def test_series_json_is_a_dashboard_selection(engine: Engine) -> None:
    run(engine)
    with engine.connect() as conn:
        raw = conn.execute(select(alerts.c.key, alerts.c.series)).all()
    series = {key: json.loads(value) for key, value in raw}
    assert series == {
        "first_seen:platform=tiktok": {"platform": ["tiktok"]},
        "rise:category=cyber_threats": {"category": ["cyber_threats"]},
        "rise:category=cyber_threats|region=KZ-75": {
            "category": ["cyber_threats"],
            "region": ["KZ-75"],
        },
        "rise:region=KZ-75": {"region": ["KZ-75"]},
    }
    # the dashboard's own parser reads each one back as exactly that selection
    for selection in series.values():
        expected = [(name, v) for name, values in selection.items() for v in values]
        assert Filters.from_params(selection).to_params() == expected
