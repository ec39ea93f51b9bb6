"""Headless Chromium against the dashboard served on a free 127.0.0.1 port.

One server and one browser for the whole session (starting Chromium is the
slow part); every test gets a fresh page that records each request and each
console error, so any test can assert that nothing left 127.0.0.1 and that
the page logged no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.known_store import LEXICON_VERSION, NOW, build_store
from tests.live_app import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DATA_DIR = Path(__file__).resolve().parents[2] / "data"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@dataclass
class LiveServer:
    url: str
    feed_ids: dict[str, int]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from dashboard.app import create_app

    db_url, feed_ids = build_store(tmp_path_factory.mktemp("store") / "known.db")
    app = create_app(db_url, DATA_DIR, clock=lambda: NOW, lexicon_version=LEXICON_VERSION)
    with serving(app, "dashboard") as base_url:
        yield LiveServer(base_url, feed_ids)


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1440, "height": 900},
            timezone_id="UTC",
            locale="en-GB",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@dataclass
class Recorder:
    """Everything a page asked for and complained about."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        local = {"127.0.0.1"}
        return [
            u
            for u in self.requests
            if urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and urlsplit(u).hostname not in local
        ]

    def assert_clean(self) -> None:
        assert self.foreign_requests() == [], "requests left 127.0.0.1"
        assert self.errors == [], "the page logged errors"


@pytest.fixture
def recorded_page(browser_context: object) -> Iterator[tuple[object, Recorder]]:
    page = browser_context.new_page()  # type: ignore[attr-defined]
    recorder = Recorder()
    page.on("request", lambda request: recorder.requests.append(request.url))
    page.on(
        "console",
        lambda msg: recorder.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: recorder.errors.append(f"page error: {exc}"))
    try:
        yield page, recorder
    finally:
        page.close()
