"""Alert actions over HTTP: same-origin POSTs only, a CSRF token per browser, read-only mode.

Each test builds its own SQLite store with real alerts (`run_detection` over
tests/alert_history.py) and calls the action callbacks exactly as the browser
does (POST /_dash-update-component), then reads the store to see what was,
or was not, written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dashboard import ids
from dashboard.app import create_app
from dashboard.csrf import COOKIE, CsrfGuard, foreign_origin
from dashboard.pages.alerts import BUTTONS
from indicators.detection import DetectionConfig
from indicators.early_warning import run_detection
from indicators.playbooks import load_playbook
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.taxonomy import load_taxonomy
from tests.alert_history import AT, burst, fill, quiet_history
from tests.integration.test_dashboard_http import Callbacks, find, store_for, texts

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CFG = DetectionConfig(min_stories=3, min_ratio=2.0, min_score=4.0, exit_score=2.0)


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, Any]:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    run_detection(engine, CFG, at=AT, labeler=load_taxonomy(DATA_DIR).label)
    return url, engine


def app_for(url: str, *, read_only: bool = False) -> Any:
    return create_app(url, DATA_DIR, clock=lambda: AT, lexicon_version="t", read_only=read_only)


def token_of(client: Any) -> str:
    """The token the page layout hands this browser (the cookie comes with the response)."""
    layout = json.loads(client.get("/_dash-layout").data)
    found = find(layout, ids.CSRF_TOKEN)
    assert found is not None
    return str(found["props"]["data"])


def action_body(calls: Callbacks, alert_id: int, action: str, note: str, token: Any) -> dict:
    dep = calls._find(f"{ids.AL_MESSAGE}.children", "{pattern}.n_clicks")
    outputs = [
        {"id": spec.rsplit(".", 1)[0], "property": spec.rsplit(".", 1)[1]}
        for spec in dep["output"].strip(".").split("...")
    ]
    trigger = json.dumps({"action": action, "type": ids.AL_ACTION}, separators=(",", ":"))
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [
            [
                {
                    "id": {"type": ids.AL_ACTION, "action": a},
                    "property": "n_clicks",
                    "value": int(a == action),
                }
                for a in BUTTONS
            ]
        ],
        "state": [
            {"id": ids.AL_NOTE, "property": "value", "value": note},
            {
                "id": ids.STATE,
                "property": "data",
                "value": store_for(Filters(), alert=str(alert_id)),
            },
            {"id": ids.CSRF_TOKEN, "property": "data", "value": token},
            {"id": ids.AL_VERSION, "property": "data", "value": 0},
        ],
        "changedPropIds": [f"{trigger}.n_clicks"],
    }


def act(calls: Callbacks, alert_id: int, action: str, note: str, token: Any, **headers: str) -> Any:
    body = action_body(calls, alert_id, action, note, token)
    return calls.client.post("/_dash-update-component", json=body, headers=headers)


def message(response: Any) -> str:
    assert response.status_code == 200, response.data[:300]
    return " ".join(texts(response.get_json()["response"][ids.AL_MESSAGE]["children"]))


def test_an_action_with_this_browsers_token_changes_the_state_and_keeps_the_note(store) -> None:
    url, engine = store
    calls = Callbacks(app_for(url).server.test_client())
    alert = alert_store.list_alerts(engine)[0]
    response = act(
        calls, alert.id, "acknowledge", "called the regional desk", token_of(calls.client)
    )
    assert message(response) == f"Alert #{alert.id} acknowledged."
    assert response.get_json()["response"][ids.AL_VERSION]["data"] == 1  # list and detail re-read
    stored = alert_store.get_alert(engine, alert.id)
    assert stored.state == "acknowledged" and stored.note == "called the regional desk"
    assert stored.acknowledged_at == AT
    last = alert_store.events(engine, alert.id)[-1]
    assert (last.event, last.note) == ("acknowledged", "called the regional desk")
    # the state machine still decides: an acknowledged alert cannot be acknowledged again
    again = act(calls, alert.id, "acknowledge", "", token_of(calls.client))
    assert "cannot acknowledge an alert that is acknowledged" in message(again)


@pytest.mark.parametrize("token", [None, "", "0" * 64, "not-a-token"])
def test_an_action_without_the_right_token_is_refused_and_writes_nothing(store, token) -> None:
    url, engine = store
    calls = Callbacks(app_for(url).server.test_client())
    token_of(calls.client)  # the browser has its cookie, but sends a missing or forged token
    alert = alert_store.list_alerts(engine)[0]
    before = alert_store.events(engine, alert.id)
    text = message(act(calls, alert.id, "dismiss", "forged", token))
    assert text.startswith("Refused: this page's security token is missing or out of date")
    assert alert_store.get_alert(engine, alert.id).state == "new"
    assert alert_store.events(engine, alert.id) == before


def test_a_token_is_bound_to_its_browsers_cookie(store) -> None:
    url, engine = store
    app = app_for(url)
    victim, attacker = app.server.test_client(), app.server.test_client()
    stolen = token_of(victim)
    token_of(attacker)  # a different cookie
    alert = alert_store.list_alerts(engine)[0]
    text = message(act(Callbacks(attacker), alert.id, "dismiss", "", stolen))
    assert text.startswith("Refused")
    assert alert_store.get_alert(engine, alert.id).state == "new"
    # and a token from another server (another secret) is worth nothing here
    mine, other = CsrfGuard(), CsrfGuard()
    assert mine.valid("cookie", mine.token_for("cookie"))
    assert not other.valid("cookie", mine.token_for("cookie"))


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost:8050"},  # another port is another origin
        {"Referer": "https://evil.example/page"},
    ],
)
def test_a_post_from_another_origin_is_refused_before_dash_sees_it(store, headers) -> None:
    url, engine = store
    calls = Callbacks(app_for(url).server.test_client())
    token = token_of(calls.client)  # even with the right token
    alert = alert_store.list_alerts(engine)[0]
    response = act(calls, alert.id, "dismiss", "", token, **headers)
    assert response.status_code == 403
    assert b"another origin" in response.data
    assert alert_store.get_alert(engine, alert.id).state == "new"


def test_a_post_from_the_dashboards_own_origin_is_accepted(store) -> None:
    url, engine = store
    calls = Callbacks(app_for(url).server.test_client())
    alert = alert_store.list_alerts(engine)[0]
    token = token_of(calls.client)
    response = act(calls, alert.id, "resolve", "", token, Origin="http://localhost")
    assert message(response) == f"Alert #{alert.id} resolved."
    assert alert_store.get_alert(engine, alert.id).state == "resolved"


def test_the_csrf_cookie_is_httponly_and_same_site_strict(store) -> None:
    url, _ = store
    response = app_for(url).server.test_client().get("/_dash-layout")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie


def test_origin_rules() -> None:
    own = ("http", "127.0.0.1:8050")
    assert not foreign_origin({"Origin": "http://127.0.0.1:8050"}, *own)
    assert not foreign_origin({"Referer": "http://127.0.0.1:8050/alerts?alert=3"}, *own)
    assert not foreign_origin({}, *own)  # neither header: the token alone decides
    assert foreign_origin({"Origin": "https://127.0.0.1:8050"}, *own)  # another scheme
    assert foreign_origin({"Origin": "http://127.0.0.1:8050.evil.example"}, *own)
    assert foreign_origin({"Origin": "null", "Referer": "http://127.0.0.1:8050/"}, *own)


def test_the_read_only_dashboard_offers_no_actions_and_refuses_any(store) -> None:
    url, engine = store
    app = app_for(url, read_only=True)
    calls = Callbacks(app.server.test_client())
    alert = alert_store.list_alerts(engine)[0]
    # the controls are hidden and disabled, and the page says why
    page = calls.call(
        f"{ids.AL_PLAYBOOK}.children",
        {
            ids.STATE + ".data": store_for(Filters(), alert=str(alert.id)),
            ids.AL_LANG + ".value": "en",
            ids.AL_VERSION + ".data": 0,
        },
    )
    assert page is not None
    options = [o for key, out in page.items() if key.startswith(ids.AL_CHECK + "-")
               and "options" in out for o in out["options"]]  # fmt: skip
    assert options and all(o["disabled"] for o in options)
    view = calls.call(f"{ids.PAGE}.children", {ids.URL + ".pathname": "/alerts"})
    assert view is not None
    routed = view[ids.PAGE]["children"]
    assert find(routed, ids.AL_NOTE)["props"]["disabled"] is True
    assert any("This dashboard is read-only" in t for t in texts(routed))
    writable = Callbacks(app_for(url).server.test_client())
    routed = writable.call(f"{ids.PAGE}.children", {ids.URL + ".pathname": "/alerts"})
    assert routed is not None
    assert find(routed[ids.PAGE]["children"], ids.AL_NOTE)["props"]["disabled"] is False
    text = message(act(calls, alert.id, "acknowledge", "x", token_of(calls.client)))
    assert text.startswith("Refused: this dashboard is read-only")
    assert alert_store.get_alert(engine, alert.id).state == "new"


def test_ticking_a_checklist_item_saves_it_once(store) -> None:
    url, engine = store
    calls = Callbacks(app_for(url).server.test_client())
    token = token_of(calls.client)
    alert = alert_store.list_alerts(engine)[0]
    book = load_playbook(DATA_DIR, alert.playbook or "general")
    first = book.item_keys()[0]
    values = {
        f"{ids.AL_CHECK}-{s}.value": [first] if first.startswith(s + ".") else []
        for s in ("verify", "notify", "cross_check")
    }
    states = {
        ids.STATE + ".data": store_for(Filters(), alert=str(alert.id)),
        ids.CSRF_TOKEN + ".data": token,
    }
    trigger = f"{ids.AL_CHECK}-verify.value"
    out = calls.call(f"{ids.AL_CHECK_MESSAGE}.children", values, states=states, trigger=trigger)
    assert out is not None
    assert f"Checklist saved: 1 of {len(book.item_keys())} done." in texts(
        out[ids.AL_CHECK_MESSAGE]["children"]
    )
    stored = alert_store.get_alert(engine, alert.id)
    assert book.checklist_state(stored.checklist) == {k: k == first for k in book.item_keys()}
    events = alert_store.events(engine, alert.id)
    assert events[-1].event == "checklist"
    # the same state again (the page re-rendering it) writes nothing
    again = calls.call(f"{ids.AL_CHECK_MESSAGE}.children", values, states=states, trigger=trigger)
    assert again is None
    assert alert_store.events(engine, alert.id) == events
    # and a forged token cannot untick it
    forged = {**states, ids.CSRF_TOKEN + ".data": "f" * 64}
    cleared = {k: [] for k in values}
    out = calls.call(f"{ids.AL_CHECK_MESSAGE}.children", cleared, states=forged, trigger=trigger)
    assert out is not None and "Refused" in " ".join(texts(out[ids.AL_CHECK_MESSAGE]["children"]))
    assert alert_store.get_alert(engine, alert.id).checklist == stored.checklist
