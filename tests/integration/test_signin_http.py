"""Sign-in over real HTTP: the dashboard served on 127.0.0.1 with sign-in required.

Each test serves its own app (real SQLite with real alerts and two users, a
viewer and an analyst) from a threaded WSGI server on a free port and talks to
it with httpx, as a browser and as a script would: the login form, session
cookies, roles on the alert actions, rate limiting of wrong passwords, API
tokens, sign-out and expired sessions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Engine, select

from dashboard import access, ids
from dashboard.app import create_app
from dashboard.signin import EXPIRED, SESSION_COOKIE, SignInConfig, password_stamp
from indicators.accounts import ANALYST, VIEWER, hash_password
from indicators.detection import DetectionConfig
from indicators.early_warning import run_detection
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store import users as user_store
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.schema import login_failures, users
from indicators.taxonomy import load_taxonomy
from tests.alert_history import AT, burst, fill, quiet_history
from tests.integration.test_alert_actions_http import action_body
from tests.integration.test_dashboard_http import Callbacks, find, store_for, texts
from tests.integration.test_terms_view import rows
from tests.live_app import serving
from tests.terms_store import FIRST, LAST
from tests.terms_store import fill as fill_terms
from threatmon.cli import cli

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CFG = DetectionConfig(min_stories=3, min_ratio=2.0, min_score=4.0, exit_score=2.0)
SECRET = b"s" * 32
PASSWORDS = {"vera": "viewer-password-1", "anna": "analyst-password-2"}
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    run_detection(engine, CFG, at=AT, labeler=load_taxonomy(DATA_DIR).label)
    assert alert_store.list_alerts(engine)
    for name, role in (("vera", VIEWER), ("anna", ANALYST)):
        user_store.add_user(engine, name, role, hash_password(PASSWORDS[name]), at=AT)
    yield url, engine
    engine.dispose()


def serve(
    url: str, *, overlay: Path | None = None, read_only: bool = False, **config: Any
) -> Iterator[str]:
    sign_in = SignInConfig(secret=SECRET, **config)
    app = create_app(
        url,
        DATA_DIR,
        clock=lambda: AT,
        lexicon_version="t",
        sign_in=sign_in,
        lexicon_overlay=overlay,
        read_only=read_only,
    )
    with serving(app) as base_url:
        yield base_url


@pytest.fixture
def base(store: tuple[str, Engine]) -> Iterator[str]:
    yield from serve(store[0], failures_per_user=3, failures_per_client=6)


def browser(base: str, client_address: str = "127.0.0.1", language: str = "en") -> httpx.Client:
    """A client with a cookie jar, connecting from `client_address` (any 127.x works),
    whose browser asks for `language` (English unless a test is about the language)."""
    transport = httpx.HTTPTransport(local_address=client_address)
    return httpx.Client(
        base_url=base,
        transport=transport,
        timeout=15,
        headers={"Accept-Language": language},
    )


def form_token(client: httpx.Client) -> str:
    found = TOKEN_FIELD.search(client.get("/login").text)
    assert found is not None
    return found[1]


def sign_in(client: httpx.Client, name: str, password: str, next_path: str = "/") -> Any:
    token = form_token(client)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next_path},
    )


class _Response:
    """What the Callbacks helper reads from a response."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content

    def get_json(self) -> Any:
        return json.loads(self.data)


class _Client:
    """A signed-in httpx client shaped like Flask's test client, for the Callbacks helper."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def get(self, path: str) -> _Response:
        return _Response(self.http.get(path))

    def post(self, path: str, json: Any, headers: dict[str, str] | None = None) -> _Response:
        return _Response(self.http.post(path, json=json, headers=headers))


def page_token(client: httpx.Client) -> str:
    found = find(client.get("/_dash-layout").json(), ids.CSRF_TOKEN)
    assert found is not None
    return str(found["props"]["data"])


def alerts_view(calls: Callbacks) -> Any:
    routed = calls.call(f"{ids.PAGE}.children", {ids.URL + ".pathname": "/alerts"})
    assert routed is not None
    return routed[ids.PAGE]["children"]


# --- without a session -------------------------------------------------------------------


def test_without_a_session_pages_lead_to_the_login_form_and_the_api_says_401(base: str) -> None:
    with browser(base) as client:
        page = client.get("/alerts?category=cyber_threats")
        assert page.status_code == 303
        assert page.headers["Location"] == "/login?next=%2Falerts%3Fcategory%3Dcyber_threats"
        form = client.get(page.headers["Location"])
        assert form.status_code == 200
        assert 'name="password"' in form.text and 'type="password"' in form.text
        assert "<script" not in form.text  # the form works without any script, under the CSP
        assert "frame-ancestors 'none'" in form.headers["Content-Security-Policy"]
        assert form.headers["X-Frame-Options"] == "DENY"
        # no referrer leaves the dashboard, yet its own form POSTs carry their real Origin
        assert form.headers["Referrer-Policy"] == "same-origin"
        for path in ("/api/snapshot", "/alerts.atom", "/_dash-layout", "/_dash-dependencies"):
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
            assert "sign in required" in refused.json()["error"]
        assert client.post("/_dash-update-component", json={}).status_code == 401
        health = client.get("/healthz")  # for load balancers: open
        assert health.status_code == 200 and health.json()["status"] == "ok"


def test_a_wrong_password_or_unknown_user_gets_the_form_again_with_one_message(base) -> None:
    with browser(base) as client:
        for name, password in (("anna", "not-her-password"), ("nobody", "whatever-password")):
            response = sign_in(client, name, password)
            assert response.status_code == 401
            assert "Wrong user name or password." in response.text
            assert SESSION_COOKIE not in client.cookies


def test_the_login_form_needs_its_csrf_token(base: str) -> None:
    with browser(base) as client:
        form_token(client)  # the browser has its CSRF cookie
        forged = client.post(
            "/login", data={"name": "anna", "password": PASSWORDS["anna"], "csrf_token": "x"}
        )
        assert forged.status_code == 403
        assert "out of date" in forged.text
        assert SESSION_COOKIE not in client.cookies
        foreign = client.post(
            "/login",
            data={"name": "anna", "password": PASSWORDS["anna"], "csrf_token": form_token(client)},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        assert SESSION_COOKIE not in client.cookies


# --- sessions ----------------------------------------------------------------------------


def test_signing_in_sets_a_session_cookie_that_scripts_cannot_read(base: str) -> None:
    with browser(base) as client:
        response = sign_in(client, "Anna", PASSWORDS["anna"], next_path="/alerts?alert=1")
        assert response.status_code == 303
        assert response.headers["Location"] == "/alerts?alert=1"
        [cookie] = [
            c for c in response.headers.get_list("Set-Cookie") if c.startswith(SESSION_COOKIE)
        ]
        flags = [part.strip().lower() for part in cookie.split(";")[1:]]
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        assert "max-age=43200" in flags  # session_hours, 12 by default
        assert "secure" not in flags  # plain http on loopback: a Secure cookie would not return
        assert PASSWORDS["anna"] not in cookie
        assert client.get("/").status_code == 200


def test_the_cookie_is_secure_when_tls_ends_at_a_proxy(store) -> None:
    for base in serve(store[0], cookie_secure=True):
        with browser(base) as client:
            cookie = sign_in(client, "anna", PASSWORDS["anna"]).headers["Set-Cookie"]
            assert "; Secure" in cookie


def test_after_sign_in_the_dashboard_returns_only_to_its_own_paths(base: str) -> None:
    with browser(base) as client:
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            response = sign_in(client, "vera", PASSWORDS["vera"], next_path=target)
            assert response.headers["Location"] == "/", target


def test_a_viewer_reads_and_exports_but_gets_403_on_alert_actions(store, base: str) -> None:
    _, engine = store
    alert = alert_store.list_alerts(engine)[0]
    with browser(base) as client:
        assert sign_in(client, "vera", PASSWORDS["vera"]).status_code == 303
        assert client.get("/").status_code == 200
        export = client.get("/api/snapshot", params={"format": "csv"})
        assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
        calls = Callbacks(_Client(client))
        view = alerts_view(calls)
        assert find(view, ids.AL_NOTE)["props"]["disabled"] is True
        assert any(access.VIEWER_NOTICE in t for t in texts(view))
        layout = client.get("/_dash-layout").json()
        assert any("vera · viewer" in t for t in texts(find(layout, ids.ACCOUNT)))
        body = action_body(calls, alert.id, "acknowledge", "forged", page_token(client))
        refused = client.post("/_dash-update-component", json=body)
        assert refused.status_code == 403
        assert access.VIEWER_REFUSAL in refused.text
    assert alert_store.get_alert(engine, alert.id).state == "new"


def test_an_analyst_acts_on_an_alert(store, base: str) -> None:
    _, engine = store
    alert = alert_store.list_alerts(engine)[0]
    with browser(base) as client:
        assert sign_in(client, "anna", PASSWORDS["anna"]).status_code == 303
        calls = Callbacks(_Client(client))
        assert find(alerts_view(calls), ids.AL_NOTE)["props"]["disabled"] is False
        body = action_body(calls, alert.id, "acknowledge", "called the desk", page_token(client))
        done = client.post("/_dash-update-component", json=body)
        assert done.status_code == 200
        message = texts(done.json()["response"][ids.AL_MESSAGE]["children"])
        assert message == [f"Alert #{alert.id} acknowledged."]
    stored = alert_store.get_alert(engine, alert.id)
    assert (stored.state, stored.note) == ("acknowledged", "called the desk")


def test_a_new_password_or_a_removed_user_ends_the_session_at_once(store, base: str) -> None:
    url, _ = store
    with browser(base) as anna, browser(base) as vera:
        sign_in(anna, "anna", PASSWORDS["anna"])
        sign_in(vera, "vera", PASSWORDS["vera"])
        assert anna.get("/_dash-layout").status_code == 200
        env = {"THREATMON_DB": url, "THREATMON_LOG_LEVEL": "WARNING"}
        runner = CliRunner()
        changed = runner.invoke(
            cli, ["users", "passwd", "anna", "--password-stdin"], input="a-new-password\n", env=env
        )
        assert changed.exit_code == 0, changed.output
        assert anna.get("/_dash-layout").status_code == 401
        assert runner.invoke(cli, ["users", "remove", "vera"], env=env).exit_code == 0
        assert vera.get("/").status_code == 303
        assert sign_in(anna, "anna", "a-new-password").status_code == 303


def test_an_expired_session_says_so_and_leads_back_to_the_form(store, base: str) -> None:
    _, engine = store
    anna = user_store.user_by_name(engine, "anna")
    assert anna is not None

    class ThirteenHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 13 * 3600

    old = URLSafeTimedSerializer(SECRET, salt="threatmon-session", signer=ThirteenHoursAgo)
    value = old.dumps({"u": "anna", "s": password_stamp(SECRET, anna.password_hash)})
    with browser(base) as client:
        client.cookies.set(SESSION_COOKIE, value)
        api = client.get("/_dash-layout")
        assert api.status_code == 401 and api.json()["error"] == EXPIRED
        page = client.get("/")
        assert page.status_code == 303 and "expired=1" in page.headers["Location"]
        assert EXPIRED.split(":")[0] in client.get(page.headers["Location"]).text
    fresh = URLSafeTimedSerializer(SECRET, salt="threatmon-session")  # the same, signed now
    with browser(base) as client:
        client.cookies.set(
            SESSION_COOKIE,
            fresh.dumps({"u": "anna", "s": password_stamp(SECRET, anna.password_hash)}),
        )
        assert client.get("/_dash-layout").status_code == 200
        forged = URLSafeTimedSerializer(b"another secret", salt="threatmon-session")
        client.cookies.set(SESSION_COOKIE, forged.dumps({"u": "anna", "s": "x"}))
        assert client.get("/_dash-layout").status_code == 401


def test_signing_out_needs_the_token_and_ends_the_session(base: str) -> None:
    with browser(base) as client:
        sign_in(client, "anna", PASSWORDS["anna"])
        assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        assert client.get("/_dash-layout").status_code == 200
        out = client.post("/logout", data={"csrf_token": page_token(client)})
        assert out.status_code == 303 and out.headers["Location"] == "/login?out=1"
        assert "You are signed out." in client.get(out.headers["Location"]).text
        assert client.get("/_dash-layout").status_code == 401


def test_signing_out_ends_every_copy_of_that_session(store, base: str) -> None:
    _, engine = store
    with browser(base) as laptop, browser(base, "127.0.0.5") as copy:
        sign_in(laptop, "anna", PASSWORDS["anna"])
        copy.cookies.set(SESSION_COOKIE, laptop.cookies[SESSION_COOKIE])  # a stolen copy
        assert copy.get("/_dash-layout").status_code == 200
        laptop.post("/logout", data={"csrf_token": page_token(laptop)})
        assert copy.get("/_dash-layout").status_code == 401
        assert copy.get("/").status_code == 303  # to the login form
        anna = user_store.user_by_name(engine, "anna")
        assert anna is not None and anna.session_epoch == 1
        # signing in again works, and only the new session is valid
        assert sign_in(laptop, "anna", PASSWORDS["anna"]).status_code == 303
        assert laptop.get("/_dash-layout").status_code == 200
        assert copy.get("/_dash-layout").status_code == 401


def test_a_read_only_dashboard_signs_out_by_removing_the_cookie(store) -> None:
    url, engine = store
    for base in serve(url, read_only=True):
        with browser(base) as client:
            sign_in(client, "anna", PASSWORDS["anna"])
            kept = client.cookies[SESSION_COOKIE]
            client.post("/logout", data={"csrf_token": page_token(client)})
            assert client.get("/_dash-layout").status_code == 401
            client.cookies.set(SESSION_COOKIE, kept)  # no writable database: it still works
            assert client.get("/_dash-layout").status_code == 200
    anna = user_store.user_by_name(engine, "anna")
    assert anna is not None and anna.session_epoch == 0


# --- rate limiting ---------------------------------------------------------------------


def test_every_dashboard_process_counts_the_same_failures(store) -> None:
    """Two servers on one database stand for `serve --workers 2` (or two hosts)."""
    url, engine = store
    limits = {"failures_per_user": 3, "failures_per_client": 6}
    for one in serve(url, **limits):
        for other in serve(url, **limits):
            with browser(one, "127.0.0.6") as a, browser(other, "127.0.0.7") as b:
                assert sign_in(a, "anna", "guess-guess-guess").status_code == 401
                assert sign_in(b, "anna", "guess-guess-guess").status_code == 401
                assert sign_in(a, "anna", "guess-guess-guess").status_code == 401
                assert sign_in(b, "anna", PASSWORDS["anna"]).status_code == 429
                assert sign_in(a, "anna", PASSWORDS["anna"]).status_code == 429
                # a right password for another name clears only that name's failures
                assert sign_in(b, "vera", PASSWORDS["vera"]).status_code == 303
    with engine.connect() as conn:
        stored = conn.execute(select(login_failures.c.user_name, login_failures.c.client)).all()
    assert sorted(stored) == [("anna", "127.0.0.6"), ("anna", "127.0.0.6"), ("anna", "127.0.0.7")]


def test_wrong_passwords_pause_that_user_from_every_address(base: str) -> None:
    with browser(base, "127.0.0.1") as first, browser(base, "127.0.0.2") as second:
        for _ in range(3):  # failures_per_user
            assert sign_in(first, "anna", "guess-guess-guess").status_code == 401
        paused = sign_in(second, "anna", PASSWORDS["anna"])  # even the right password
        assert paused.status_code == 429
        assert "Too many failed sign-ins: try again in 15 minute(s)." in paused.text
        assert 14 * 60 < int(paused.headers["Retry-After"]) <= 15 * 60
        assert SESSION_COOKIE not in second.cookies
        # another user from the first address is not paused (3 < failures_per_client)
        assert sign_in(first, "vera", PASSWORDS["vera"]).status_code == 303


def test_failures_from_one_address_pause_it_for_every_name(base: str) -> None:
    with browser(base, "127.0.0.3") as sprayer, browser(base, "127.0.0.4") as other:
        for n in range(6):  # failures_per_client, one guess per name
            assert sign_in(sprayer, f"user{n}", "guess-guess-guess").status_code == 401
        assert sign_in(sprayer, "vera", PASSWORDS["vera"]).status_code == 429
        assert sign_in(other, "vera", PASSWORDS["vera"]).status_code == 303


def test_failed_sign_ins_are_logged_without_the_password(
    base: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="threatmon.signin")
    with browser(base) as client:
        sign_in(client, "anna", "my-secret-guess")
        sign_in(client, "anna", PASSWORDS["anna"])
    logged = [r.getMessage() for r in caplog.records]
    assert "failed sign-in for 'anna' from 127.0.0.1" in logged
    assert "anna (analyst) signed in from 127.0.0.1" in logged
    assert not any("my-secret-guess" in m or PASSWORDS["anna"] in m for m in logged)


# --- API tokens --------------------------------------------------------------------------


def test_an_api_token_opens_the_api_only_and_stops_working_when_rotated(store, base) -> None:
    url, engine = store
    env = {"THREATMON_DB": url, "THREATMON_LOG_LEVEL": "WARNING"}
    runner = CliRunner()
    first = runner.invoke(cli, ["users", "token", "vera"], env=env)
    assert first.exit_code == 0, first.output
    token = first.stdout.strip()
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.token_hash).where(users.c.name == "vera")).scalar()
    assert stored == hashlib.sha256(token.encode()).hexdigest()  # only the digest is kept

    def api(bearer: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {bearer}"}
        params = {"category": "cyber_threats"}
        return httpx.get(base + "/api/snapshot", params=params, headers=headers, timeout=15)

    answer = api(token)
    assert answer.status_code == 200
    assert answer.json()["filters"]["category"] == ["cyber_threats"]
    atom = httpx.get(base + "/alerts.atom", headers={"Authorization": f"Bearer {token}"})
    assert atom.status_code == 200
    page = httpx.get(base + "/", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 303  # a token is for scripts on /api/, not for the pages

    second = runner.invoke(cli, ["users", "token", "vera"], env=env).stdout.strip()
    assert second != token
    revoked = api(token)
    assert revoked.status_code == 401
    assert revoked.json() == {"error": "invalid or revoked API token"}
    assert api(second).status_code == 200
    assert api("tm_made-up").status_code == 401


# --- lexicon proposals -------------------------------------------------------------------


def proposal_body(calls: Callbacks, term: str, token: str) -> dict[str, Any]:
    """The Propose button's callback request, as dash-renderer sends it."""
    dep = calls._find(f"{ids.TE_MESSAGE}.children", f"{ids.TE_PROPOSE}.n_clicks")
    given = {
        f"{ids.TE_PROPOSE}.n_clicks": 1,
        f"{ids.TE_TERM}.value": term,
        f"{ids.TE_CATEGORY}.value": "tactics_methods",
        f"{ids.TE_LANG}.value": "ru",
        f"{ids.CSRF_TOKEN}.data": token,
        f"{ids.TE_VERSION}.data": 0,
    }

    def items(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**spec, "value": given.get(f"{spec['id']}.{spec['property']}")} for spec in specs]

    outputs = [
        {"id": spec.rsplit(".", 1)[0], "property": spec.rsplit(".", 1)[1]}
        for spec in dep["output"].strip(".").split("...")
    ]
    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": items(dep["inputs"]),
        "state": items(dep["state"]),
        "changedPropIds": [f"{ids.TE_PROPOSE}.n_clicks"],
    }


def test_only_an_analyst_may_propose_a_term_to_the_lexicon(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'terms.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill_terms(engine)
    for name, role in (("vera", VIEWER), ("anna", ANALYST)):
        user_store.add_user(engine, name, role, hash_password(PASSWORDS[name]), at=AT)
    engine.dispose()
    overlay = tmp_path / "overlay.yaml"
    for base in serve(url, overlay=overlay):
        with browser(base) as vera, browser(base) as anna:
            sign_in(vera, "vera", PASSWORDS["vera"])
            calls = Callbacks(_Client(vera))
            routed = calls.call(f"{ids.PAGE}.children", {ids.URL + ".pathname": "/terms"})
            assert routed is not None
            assert any(access.VIEWER_NOTICE in t for t in texts(routed[ids.PAGE]["children"]))
            listed = calls.call(
                f"{ids.TE_LIST}.children",
                {
                    f"{ids.STATE}.data": store_for(Filters(date_from=FIRST, date_to=LAST)),
                    f"{ids.TE_VERSION}.data": 0,
                },
            )
            assert listed is not None
            assert len(rows(listed[ids.TE_LIST]["children"])[0]) == 6  # no Propose column
            body = proposal_body(calls, "квадрокоптер", page_token(vera))
            refused = vera.post("/_dash-update-component", json=body)
            assert refused.status_code == 403
            assert not overlay.exists()

            sign_in(anna, "anna", PASSWORDS["anna"])
            body = proposal_body(Callbacks(_Client(anna)), "квадрокоптер", page_token(anna))
            added = anna.post("/_dash-update-component", json=body)
            assert added.status_code == 200
            assert "квадрокоптер" in overlay.read_text(encoding="utf-8")


def test_the_login_page_speaks_the_browsers_language_russian_by_default(base: str) -> None:
    with browser(base, language="de-DE") as client:  # neither ru, kk nor en: Russian
        form = client.get("/login")
        assert '<html lang="ru">' in form.text and "Имя пользователя" in form.text
        assert "User name" not in form.text
        wrong = sign_in(client, "anna", "not-her-password")
        assert wrong.status_code == 401
        assert "Неверное имя пользователя или пароль." in wrong.text
    with browser(base, language="kk-KZ,ru;q=0.8") as client:
        form = client.get("/login")
        assert '<html lang="kk">' in form.text and "Құпиясөз" in form.text
    with browser(base, language="ru") as client:  # the dashboard's own choice wins
        client.cookies.set("threatmon_ui", "en")
        assert "User name" in client.get("/login").text
        assert "Құпиясөз" in client.get("/login?ui=kk").text
