"""Signing in and out in headless Chromium, with sign-in required on 127.0.0.1.

The dashboard is served on the known store with one viewer; the browser meets
the login form, signs in through it, sees the Overview with the known counts,
and signs out through the header's button. Nothing may leave 127.0.0.1 and
the pages may log no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dashboard.signin import SESSION_COOKIE, SignInConfig
from indicators.accounts import VIEWER, hash_password
from indicators.store import users as user_store
from indicators.store.engine import make_engine
from tests.browser.conftest import DATA_DIR, Recorder
from tests.browser.known_store import KNOWN, LEXICON_VERSION, NOW, build_store
from tests.live_app import serving

pytestmark = pytest.mark.browser
PASSWORD = "viewer-password-7"


@pytest.fixture(scope="module")
def signin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from dashboard.app import create_app

    url, _ = build_store(tmp_path_factory.mktemp("signin") / "known.db")
    engine = make_engine(url)
    user_store.add_user(engine, "vera", VIEWER, hash_password(PASSWORD), at=NOW)
    engine.dispose()
    app = create_app(
        url,
        DATA_DIR,
        clock=lambda: NOW,
        lexicon_version=LEXICON_VERSION,
        sign_in=SignInConfig(secret=b"k" * 32),
    )
    with serving(app, "signin") as base_url:
        yield base_url


def settle(page: Page) -> None:
    """Wait until every chart on the page is drawn and plotly's follow-up work has run.

    A page left (or a view switched) while plotly still draws logs plotly's own
    errors ("reading '_scrollZoom'" of a graph already removed), which say
    nothing about signing in or out; on a loaded machine the Regions map was
    still being drawn when the test clicked on to the Overview.
    """
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"
        " && [...document.querySelectorAll('.js-plotly-plot')].every(p => p._fullLayout)"
    )
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame("
        "() => requestAnimationFrame(() => setTimeout(done, 0))))"
    )


def test_a_viewer_signs_in_through_the_form_sees_the_overview_and_signs_out(
    signin_server: str, recorded_page: tuple[Page, Recorder], browser_context: Any
) -> None:
    page, recorder = recorded_page
    try:
        page.goto(signin_server + "/regions")
        expect(page).to_have_url(f"{signin_server}/login?next=%2Fregions")
        page.fill("#name", "vera")
        page.fill("#password", "not-the-password")
        page.click("button[type=submit]")
        expect(page.locator("p.message")).to_have_text("Wrong user name or password.")
        recorder.errors.clear()  # the 401 of that answer is reported as a console error

        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{signin_server}/regions")
        settle(page)
        page.click("#nav-overview")
        expect(page.locator("#kpi-items")).to_have_text(str(len(KNOWN)))
        expect(page.locator("#account")).to_contain_text("vera · viewer")
        [cookie] = [c for c in browser_context.cookies() if c["name"] == SESSION_COOKIE]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("() => document.cookie").find(SESSION_COOKIE) == -1

        settle(page)  # leave once the Overview's charts are drawn
        recorder.assert_clean()
        page.click("#account button")
        expect(page).to_have_url(f"{signin_server}/login?out=1")
        expect(page.locator("p.message")).to_have_text("You are signed out.")
        page.goto(signin_server + "/")
        expect(page.locator("#password")).to_be_visible()
        recorder.assert_clean()
    finally:
        browser_context.clear_cookies()  # the other tests' servers share the host 127.0.0.1
