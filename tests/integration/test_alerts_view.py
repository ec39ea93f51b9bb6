"""The Alerts view, through Dash's HTTP callback endpoint, on a store with real alerts.

The alerts come from `run_detection` over a generated quiet history and a burst
(tests/alert_history.py), stored in a real SQLite database.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest
from openpyxl import load_workbook

from dashboard import ids
from dashboard.app import create_app
from dashboard.atom import alerts_feed
from dashboard.components import utc_text
from dashboard.figures import with_alert_marks
from indicators.alerts import AlertRow
from indicators.detection import DetectionConfig
from indicators.early_warning import run_detection
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store.deliveries import headlines
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.taxonomy import load_taxonomy
from tests.alert_history import AT, burst, fill, quiet_history
from tests.integration.test_dashboard_http import Callbacks, find, store_for, texts

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CFG = DetectionConfig(min_stories=3, min_ratio=2.0, min_score=4.0, exit_score=2.0)


@pytest.fixture(scope="module")
def alerting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Callbacks, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts') / 'alerts.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    run_detection(engine, CFG, at=AT, labeler=load_taxonomy(DATA_DIR).label)
    app = create_app(url, DATA_DIR, clock=lambda: AT, lexicon_version="test")
    return Callbacks(app.server.test_client()), engine


def alert_list(calls: Callbacks, f: Filters, states: list[str]) -> Any:
    out = calls.call(
        f"{ids.AL_LIST}.children",
        {ids.STATE + ".data": store_for(f), ids.AL_STATES + ".value": states},
    )
    return out[ids.AL_LIST]["children"]


def test_open_alerts_show_their_reason_evidence_playbook_and_history(alerting) -> None:
    calls, engine = alerting
    stored = alert_store.list_alerts(engine)
    rise = next(a for a in stored if a.key == "rise:category=cyber_threats|region=KZ-75")
    panel = find(alert_list(calls, Filters(), ["new", "acknowledged"]), f"alert-{rise.id}")
    words = " ".join(texts(panel))
    assert "Rise: Cyber threats · Almaty" in words
    assert f"{rise.observed} stories, expected {rise.expected:.1f}" in words
    assert f"score {rise.score:.1f}" in words
    # the stories behind it, the cyber playbook in three languages, and the history
    newest = headlines(engine, rise.item_ids, limit=1)[0]
    assert newest.title in words
    assert "opened (new)" in words
    assert words.count("☐") == 3 * len(load_playbook_keys("cyber_threats"))


def load_playbook_keys(playbook_id: str) -> tuple[str, ...]:
    from indicators.playbooks import load_playbook

    return load_playbook(DATA_DIR, playbook_id).item_keys()


def test_the_global_filters_and_the_states_select_alerts(alerting) -> None:
    calls, engine = alerting
    stored = alert_store.list_alerts(engine)
    tiktok = [a for a in stored if a.series.get("platform") == ["tiktok"]]
    assert tiktok
    shown = " ".join(texts(alert_list(calls, Filters(platforms=("tiktok",)), ["new"])))
    for alert in stored:
        expected_shown = alert.series.get("platform") in (None, ["tiktok"])
        assert (f"alert #{alert.id}" in shown) is expected_shown, alert.key
    nothing = " ".join(texts(alert_list(calls, Filters(), ["dismissed"])))
    assert "No alerts match these filters and states" in nothing


def test_a_checked_item_and_a_state_change_show_after_the_next_refresh(alerting) -> None:
    calls, engine = alerting
    alert = alert_store.list_alerts(engine)[0]
    key = load_playbook_keys(alert.playbook or "general")[0]
    alert_store.set_checklist(engine, alert.id, {key: True})
    alert_store.change_state(engine, alert.id, "acknowledge", note="checking with the source")
    panel = find(alert_list(calls, Filters(), ["acknowledged"]), f"alert-{alert.id}")
    words = " ".join(texts(panel))
    assert "Note: checking with the source" in words
    assert words.count("☑") == 3  # the same item, ticked, in ru, kk and en
    assert "acknowledged (acknowledged) — checking with the source" in words


# --- /alerts.atom ------------------------------------------------------------------------


def atom(calls: Callbacks, query: str = "") -> Any:
    return calls.client.get("/alerts.atom" + query)


def test_the_atom_feed_lists_every_alert_newest_first_for_any_feed_reader(alerting) -> None:
    calls, engine = alerting
    response = atom(calls)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(io.BytesIO(response.data))
    assert not parsed.bozo, parsed.get("bozo_exception")
    stored = alert_store.list_alerts(engine)  # newest first
    assert [e.id for e in parsed.entries] == [f"tag:threatmon,2026:alert/{a.id}" for a in stored]
    assert [e.title for e in parsed.entries] == [a.label for a in stored]
    first = parsed.entries[0]
    assert first.link == f"http://localhost/alerts?alert={stored[0].id}"
    assert f"{stored[0].observed} stories" in first.summary


def test_the_atom_feed_takes_the_dashboard_filters_and_states(alerting) -> None:
    calls, engine = alerting
    stored = alert_store.list_alerts(engine)
    parsed = feedparser.parse(io.BytesIO(atom(calls, "?platform=tiktok&state=new").data))
    expected = {
        f"tag:threatmon,2026:alert/{a.id}"
        for a in stored
        if a.state == "new" and a.series.get("platform") in (None, ["tiktok"])
    }
    assert {e.id for e in parsed.entries} == expected
    assert expected != {f"tag:threatmon,2026:alert/{a.id}" for a in stored}
    assert feedparser.parse(io.BytesIO(atom(calls, "?state=dismissed").data)).entries == []


def test_the_atom_feed_refuses_unknown_parameters_and_values(alerting) -> None:
    calls, _ = alerting
    typo = atom(calls, "?categroy=cyber_threats")
    assert typo.status_code == 400 and "categroy" in typo.get_json()["error"]
    bad_state = atom(calls, "?state=closed")
    assert bad_state.status_code == 400 and "closed" in bad_state.get_json()["error"]
    bad_region = atom(calls, "?region=XX-99")
    assert bad_region.status_code == 400


def test_alert_text_from_feeds_is_escaped_in_the_atom_xml() -> None:
    hostile = AlertRow(
        id=7, kind="rule", key="rule:1", active=True, rule_id=1, series={},
        label='<script>alert("x")</script> & co', window_start=AT, window_end=AT,
        observed=3, expected=0.5, score=5.0, peak_score=5.0, story_ids=(), item_ids=(),
        state="new", note="</summary><evil/>", playbook=None, checklist={},
        created_at=AT, updated_at=AT,
    )  # fmt: skip
    body = alerts_feed([hostile], base_url="http://h", self_url="http://h/alerts.atom", now=AT)
    assert ElementTree.fromstring(body).tag.endswith("feed")  # well-formed
    assert b"<script>" not in body and b"<evil/>" not in body
    parsed = feedparser.parse(io.BytesIO(body))
    assert parsed.entries[0].title == '<script>alert("x")</script> & co'


def test_the_overview_counts_open_alerts_and_says_when_detection_last_ran(alerting) -> None:
    calls, engine = alerting
    out = calls.call(f"{ids.OV_TOTALS}.children", {ids.STATE + ".data": store_for(Filters())})
    kpis = out[ids.OV_TOTALS]["children"]
    value = find(kpis, "kpi-alerts")
    open_now = sum(a.is_open for a in alert_store.list_alerts(engine))
    assert value is not None and value["props"]["children"] == str(open_now)
    words = " ".join(texts(kpis))
    run = alert_store.last_run(engine)
    assert run is not None and f"last check {utc_text(run['finished_at'])}" in words
    assert "detection has not run yet" not in words


def test_exports_carry_the_alerts_of_the_period_and_filters(alerting) -> None:
    calls, engine = alerting
    expected = alert_store.alerts_overlapping(engine, Filters(platforms=("tiktok",)))
    assert expected
    snap = calls.client.get("/api/snapshot?platform=tiktok&format=json").get_json()
    assert [a["id"] for a in snap["alerts"]] == [a.id for a in expected]
    assert snap["alerts"][0]["label"] == expected[0].label
    assert snap["alerts"][0]["observed"] == expected[0].observed
    body = calls.client.get("/api/snapshot?platform=tiktok&format=csv").data.decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(body)) if r["table"] == "alerts"]
    assert [int(r["id"]) for r in rows] == [a.id for a in expected]
    assert [r["state"] for r in rows] == [a.state for a in expected]
    xlsx = calls.client.get("/api/snapshot?platform=tiktok&format=xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx), read_only=True)["alerts"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("id", "kind", "label", "state")
    assert [row[0] for row in values[1:]] == [a.id for a in expected]


def test_the_trend_chart_marks_the_alerts_of_the_shown_categories(alerting) -> None:
    calls, engine = alerting
    f = Filters(date_from=AT.date() - timedelta(days=10), date_to=AT.date())
    out = calls.call(f"{ids.TR_GRAPH}.figure", {ids.STATE + ".data": store_for(f)})
    figure = out[ids.TR_GRAPH]["figure"]
    marked = {a["text"] for a in figure["layout"].get("annotations", [])}
    expected = {
        f"⚠ #{a.id}" for a in alert_store.alerts_overlapping(engine, f) if a.series.get("category")
    }
    assert expected and marked == expected
    shapes = figure["layout"]["shapes"]
    assert len(shapes) == len(expected) and all(s["yref"] == "paper" for s in shapes)
    only_terror = Filters(
        date_from=f.date_from, date_to=f.date_to, categories=("terrorist_activity",)
    )
    out = calls.call(f"{ids.TR_GRAPH}.figure", {ids.STATE + ".data": store_for(only_terror)})
    assert not out[ids.TR_GRAPH]["figure"]["layout"].get("annotations")


def test_alert_marks_leave_an_empty_figure_alone() -> None:
    empty = {"data": [], "layout": {"annotations": [{"text": "No items"}]}}
    assert with_alert_marks(empty, [(1, AT, AT, "x")]) == empty
