"""The Emerging terms view in headless Chromium: read the list, propose a term to the lexicon.

The server runs on the small emerging-terms store (tests/terms_store.py) with
its own overlay file; what the page does is checked against that file, and
nothing the page asks for may leave 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.taxonomy import load_taxonomy
from tests.browser.conftest import DATA_DIR, Recorder
from tests.browser.test_i18n_browser import (
    ALLOWED_LATIN,
    CONTENT,
    LABELS,
    LAYOUT_PROBLEMS,
    VISIBLE_TEXT,
    latin_words,
    proper_names,
)
from tests.live_app import serving
from tests.terms_store import FIRST, LAST, NOW, fill

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def terms_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from dashboard.app import create_app

    folder = tmp_path_factory.mktemp("terms")
    url = f"sqlite:///{folder / 'terms.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine)
    engine.dispose()
    overlay = folder / "lexicon.local.yaml"
    app = create_app(url, DATA_DIR, clock=lambda: NOW, lexicon_version="t", lexicon_overlay=overlay)
    with serving(app, "terms") as base_url:
        yield base_url, overlay


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_view_in_russian_and_kazakh_and_a_refusal_in_the_language(
    terms_server: tuple[str, Path],
    recorded_page: tuple[Page, Recorder],
    browser_context: object,
    lang: str,
) -> None:
    """Runs before the English test below proposes a term, so the list is still full;
    the term tried here is one the lexicon knows, so the overlay is left as it was."""
    base, overlay = terms_server
    page, recorder = recorded_page
    try:
        page.goto(f"{base}/terms?from={FIRST}&to={LAST}&ui={lang}")
        row = page.locator("#te-list tbody tr").first
        expect(row.locator("td").first).to_have_text("квадрокоптер")
        expect(row.locator(".spark-now")).to_have_attribute(
            "title", {"ru": "6 из 8 материалов", "kk": "8 материалдың 6"}[lang]
        )
        page.wait_for_timeout(300)
        texts = page.evaluate(VISIBLE_TEXT, CONTENT)
        assert latin_words(texts, ALLOWED_LATIN | proper_names(lang)) == []
        assert page.evaluate(LAYOUT_PROBLEMS, [*LABELS, ".terms-table th"]) == []

        page.fill("#te-term", "теракт")
        page.click("#te-category")
        label = load_taxonomy(DATA_DIR).label("category", "terrorist_activity", lang)
        page.get_by_text(label, exact=True).click()
        page.click("#te-propose")
        refused = {"ru": "уже распознаётся лексиконом", "kk": "лексиконда бұрыннан танылады"}
        expect(page.locator("#te-message")).to_contain_text(refused[lang])
        assert not overlay.exists() or "теракт" not in overlay.read_text(encoding="utf-8")
        recorder.assert_clean()
    finally:
        browser_context.clear_cookies()  # type: ignore[attr-defined]


def test_an_analyst_reads_the_new_term_and_proposes_it_to_the_lexicon(
    terms_server: tuple[str, Path], recorded_page: tuple[Page, Recorder]
) -> None:
    base, overlay = terms_server
    page, recorder = recorded_page
    page.goto(f"{base}/terms?from={FIRST}&to={LAST}")
    expect(page.locator("#nav-terms")).to_have_class("nav-link active")
    row = page.locator("#te-list tbody tr").first
    expect(row.locator("td").first).to_have_text("квадрокоптер")
    expect(row.locator("td").nth(1)).to_have_text("6")
    expect(row.locator("td").nth(2)).to_have_text("0")
    expect(row.locator(".spark-bar")).to_have_count(4)  # one bar per week
    expect(row.locator(".spark-now")).to_have_attribute("title", "6 of 8 items")
    # the newest example's javascript: link is text; the others open the news site
    expect(row.locator("a.item-title")).to_have_count(2)
    expect(row.locator("a.item-title").first).to_have_attribute("href", "https://news.example/4")
    expect(row.locator("span.item-title")).to_have_text("Полиция сообщила о случае 5")

    row.get_by_role("button", name="Propose").click()
    expect(page.locator("#te-term")).to_have_value("квадрокоптер")
    page.click("#te-category")
    label = load_taxonomy(DATA_DIR).label("category", "tactics_methods", "en")
    page.get_by_text(label, exact=True).click()
    page.get_by_role("button", name="Add to lexicon overlay").click()
    expect(page.locator("#te-message")).to_contain_text("Added 'квадрокоптер'")
    assert yaml.safe_load(overlay.read_text(encoding="utf-8"))["ids"] == {
        "tactics_methods": {"ru": ["квадрокоптер"]}
    }
    # the list is read again: the lexicon knows the word now
    expect(page.locator("#te-list")).to_contain_text("No term rose enough")
    recorder.assert_clean()
