"""The Alerts view, through Dash's HTTP callback endpoint, on a store with real alerts.

The alerts come from `run_detection` over a generated quiet history and a burst
(tests/alert_history.py), stored in a real SQLite database.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, timedelta
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
from dashboard.pages.alerts import BUTTONS
from indicators import taxonomy
from indicators.alerts import AlertRow
from indicators.detection import DetectionConfig
from indicators.early_warning import run_detection
from indicators.playbooks import load_playbook
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store.deliveries import headlines
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.taxonomy import load_taxonomy
from tests.alert_history import AT, burst, fill, quiet_history
from tests.integration.test_dashboard_http import Callbacks, find, store_for, texts, walk

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


def alert_list(calls: Callbacks, f: Filters, states: list[str], **view: str) -> Any:
    out = calls.call(
        f"{ids.AL_LIST}.children",
        {ids.STATE + ".data": store_for(f, **view), ids.AL_STATES + ".value": states},
    )
    return out[ids.AL_LIST]["children"]


def detail(calls: Callbacks, alert_id: int) -> dict[str, Any]:
    """The detail callback's outputs for `?alert=ID` (the ALL output: one per action button)."""
    dep = calls._find(f"{ids.AL_SUMMARY}.children", None)
    outputs: list[Any] = []
    for spec in dep["output"].strip(".").split("..."):
        component, prop = spec.rsplit(".", 1)
        if component.startswith("{"):
            outputs.append(
                [{"id": {"type": ids.AL_ACTION, "action": a}, "property": prop} for a in BUTTONS]
            )
        else:
            outputs.append({"id": component, "property": prop})
    body = {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [
            {
                "id": ids.STATE,
                "property": "data",
                "value": store_for(Filters(), alert=str(alert_id)),
            },
            {"id": ids.AL_VERSION, "property": "data", "value": 0},
        ],
        "state": [],
        "changedPropIds": [],
    }
    response = calls.client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]


def button_key(action: str) -> str:
    """How Dash names a pattern-matched component in a callback's response."""
    return json.dumps({"action": action, "type": ids.AL_ACTION}, separators=(",", ":"))


def test_the_list_shows_each_alert_with_its_numbers_newest_first(alerting) -> None:
    calls, engine = alerting
    stored = alert_store.list_alerts(engine)  # newest first
    rise = next(a for a in stored if a.key == "rise:category=cyber_threats|region=KZ-75")
    listed = alert_list(calls, Filters(), ["new", "acknowledged"])
    rows = [r for r in walk(listed) if str(r.get("props", {}).get("id", "")).startswith("alert-")]
    assert [r["props"]["id"] for r in rows] == [f"alert-{a.id}" for a in stored if a.is_open]
    words = " ".join(texts(find(listed, f"alert-{rise.id}")))
    assert "Rise: Cyber threats · Almaty" in words
    assert f"{rise.observed} / {rise.expected:.1f}" in words and f"{rise.score:.1f}" in words
    link = find(listed, f"al-open-{rise.id}")
    assert link is not None and link["props"]["href"] == f"/alerts?alert={rise.id}"


def test_an_opened_alert_shows_its_reason_chart_stories_and_history(alerting) -> None:
    calls, engine = alerting
    rise = next(
        a
        for a in alert_store.list_alerts(engine)
        if a.key == "rise:category=cyber_threats|region=KZ-75"
    )
    out = detail(calls, rise.id)
    assert out[ids.AL_DETAIL]["hidden"] is False
    words = " ".join(texts(out[ids.AL_SUMMARY]["children"]))
    assert f"{rise.observed} stories, expected {rise.expected:.1f}" in words
    assert f"alert #{rise.id}" in words
    newest = headlines(engine, rise.item_ids, limit=1)[0]
    assert newest.title in texts(out[ids.AL_STORIES]["children"])
    assert "opened (new)" in " ".join(texts(out[ids.AL_HISTORY]["children"]))
    # a new alert offers acknowledge, resolve, dismiss and a note; not reopen
    disabled = {a: out[button_key(a)]["disabled"] for a in BUTTONS}
    assert disabled == {
        "acknowledge": False, "resolve": False, "dismiss": False, "reopen": True, "note": False
    }  # fmt: skip
    # the chart: the series' stories per day (every other quiet day one, 8 in the window)
    figure = out[ids.AL_CHART]["figure"]
    bars, expected, level = figure["data"]
    days = [date.fromisoformat(d) for d in bars["x"]]
    # the baseline's 28 days before the window's first day, then the window's days
    assert days[0] == rise.window_start.date() - timedelta(days=CFG.baseline_days)
    assert days[-1] == AT.date()
    quiet = {AT.date() - timedelta(days=d) for d in range(2, 41, 2)}
    assert bars["y"][:-1] == [1 if d in quiet else 0 for d in days[:-1]]
    assert bars["y"][-1] == rise.observed
    # the band: quiet days sit under the alert level, the window day is above it
    assert all(n < lvl for n, lvl in zip(bars["y"][:-1], level["y"][:-1], strict=True))
    assert bars["y"][-1] >= level["y"][-1]
    assert all(e < lvl for e, lvl in zip(expected["y"], level["y"], strict=True))


def test_an_unknown_alert_id_says_so(alerting) -> None:
    calls, _ = alerting
    out = detail(calls, 99999)
    assert "There is no alert #99999." in texts(out[ids.AL_SUMMARY]["children"])


def test_the_global_filters_and_the_states_select_alerts(alerting) -> None:
    calls, engine = alerting
    stored = alert_store.list_alerts(engine)
    tiktok = [a for a in stored if a.series.get("platform") == ["tiktok"]]
    assert tiktok
    listed = alert_list(calls, Filters(platforms=("tiktok",)), ["new"])
    for alert in stored:
        expected_shown = alert.series.get("platform") in (None, ["tiktok"])
        assert (find(listed, f"alert-{alert.id}") is not None) is expected_shown, alert.key
    nothing = " ".join(texts(alert_list(calls, Filters(), ["dismissed"])))
    assert "No alerts match these filters and states" in nothing


def playbook(calls: Callbacks, alert_id: int, lang: str) -> dict[str, Any]:
    out = calls.call(
        f"{ids.AL_PLAYBOOK}.children",
        {
            ids.STATE + ".data": store_for(Filters(), alert=str(alert_id)),
            ids.AL_LANG + ".value": lang,
            ids.AL_VERSION + ".data": 0,
        },
    )
    assert out is not None
    return out


def test_the_playbook_shows_in_the_chosen_language_with_the_saved_checklist(alerting) -> None:
    calls, engine = alerting
    alert = alert_store.list_alerts(engine)[0]
    book = load_playbook(DATA_DIR, alert.playbook or "general")
    first = book.item_keys()[0]
    alert_store.set_checklist(engine, alert.id, {first: True})
    alert_store.change_state(engine, alert.id, "acknowledge", note="checking with the source")
    for lang in ("ru", "kk", "en"):
        out = playbook(calls, alert.id, lang)
        text = book.text(lang)
        assert text.title in texts(out[ids.AL_PLAYBOOK]["children"])
        for section in text.sections:
            box = out[f"{ids.AL_CHECK}-{section.id}"]
            assert [o["label"] for o in box["options"]] == [i.text for i in section.items]
            assert [o["value"] for o in box["options"]] == [i.key for i in section.items]
            ticked = [i.key for i in section.items if i.key == first]
            assert box["value"] == ticked
            assert out[f"{ids.AL_CHECK}-{section.id}-heading"]["children"] == section.heading
    shown = detail(calls, alert.id)
    summary = texts(shown[ids.AL_SUMMARY]["children"])
    assert summary[summary.index("Note: ") + 1] == "checking with the source"
    history = " ".join(" ".join(texts(shown[ids.AL_HISTORY]["children"])).split())
    assert "acknowledged (acknowledged) — checking with the source" in history


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


@pytest.mark.parametrize(
    ("ui", "feed_title"), [("ru", "Оповещения threatmon"), ("kk", "threatmon ескертулері")]
)
def test_the_atom_feed_speaks_russian_or_kazakh_with_ui(alerting, ui: str, feed_title: str) -> None:
    from dashboard.alert_text import STATE_NAMES, named
    from dashboard.i18n import load_translators

    calls, engine = alerting
    stored = alert_store.list_alerts(engine)
    parsed = feedparser.parse(io.BytesIO(atom(calls, f"?ui={ui}").data))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == feed_title
    ids = [f"tag:threatmon,2026:alert/{a.id}" for a in stored]
    assert [e.id for e in parsed.entries] == ids
    titles = " ".join(e.title for e in parsed.entries)
    for english in ("Rise", "First seen", "Cyber threats", "Almaty"):  # the stored labels' words
        assert english not in titles, titles
    # the state as the Alerts view names it (other tests of this module change states)
    state = named(STATE_NAMES, stored[0].state, load_translators()[ui])
    assert parsed.entries[0].summary.startswith(state + ";")
    assert "stories" not in parsed.entries[0].summary


def test_the_atom_feed_refuses_an_unknown_interface_language(alerting) -> None:
    calls, _ = alerting
    assert atom(calls, "?ui=de").status_code == 400


@pytest.fixture(scope="module")
def one_acknowledged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Callbacks, Any]:
    """Its own store (other tests change states): the oldest alert acknowledged, the rest new."""
    url = f"sqlite:///{tmp_path_factory.mktemp('atom') / 'alerts.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    run_detection(engine, CFG, at=AT, labeler=load_taxonomy(DATA_DIR).label)
    oldest = alert_store.list_alerts(engine)[-1]
    alert_store.change_state(engine, oldest.id, "acknowledge", at=AT)
    app = create_app(url, DATA_DIR, clock=lambda: AT, lexicon_version="test")
    return Callbacks(app.server.test_client()), engine


def test_the_atom_feed_takes_the_dashboard_filters_and_states(one_acknowledged) -> None:
    calls, engine = one_acknowledged
    stored = alert_store.list_alerts(engine)
    assert sorted(a.state for a in stored).count("acknowledged") == 1
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


def test_the_overview_flags_categories_with_open_alerts_and_links_to_them(
    one_acknowledged,
) -> None:
    calls, engine = one_acknowledged
    newest = next(a for a in alert_store.list_alerts(engine) if a.series.get("category"))
    alert_store.change_state(engine, newest.id, "dismiss", at=AT)  # dismissed: not counted
    try:
        out = calls.call(
            f"{ids.OV_CATEGORIES}.children", {ids.STATE + ".data": store_for(Filters())}
        )
        table = out[ids.OV_CATEGORIES]["children"]
        alerts_now = alert_store.list_alerts(engine)
        want = Counter(c for a in alerts_now if a.is_open for c in a.series.get("category", []))
    finally:
        alert_store.change_state(engine, newest.id, "reopen", at=AT)
    assert want["cyber_threats"] >= 1 and len(want) < len(taxonomy.CATEGORY_IDS)
    assert any(not a.is_open and a.series.get("category") for a in alerts_now)
    for cid in taxonomy.CATEGORY_IDS:
        badge = find(table, f"ov-alerts-{cid}")
        if want[cid]:
            assert badge is not None and badge["props"]["children"] == f"⚠ {want[cid]}"
            assert badge["props"]["href"] == f"/alerts?category={cid}"
        else:
            assert badge is None, cid


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


def test_an_export_in_russian_names_the_alerts_in_russian(
    alerting: tuple[Callbacks, Any],
) -> None:
    calls, engine = alerting
    english = {a.id: a.label for a in alert_store.list_alerts(engine)}
    snap = calls.client.get("/api/snapshot?format=json&ui=ru").get_json()
    assert snap["alerts"], "the generated history raises alerts"
    for alert in snap["alerts"]:
        assert alert["label"] != english[alert["id"]]
        assert alert["label"].split(":")[0] in ("Рост", "Впервые", "Правило")
    # without ui= the API is as it was: the stored English labels
    plain = calls.client.get("/api/snapshot?format=json").get_json()
    assert {a["id"]: a["label"] for a in plain["alerts"]} == {
        a["id"]: english[a["id"]] for a in plain["alerts"]
    }
