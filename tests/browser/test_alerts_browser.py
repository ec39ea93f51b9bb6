"""The Alerts view in headless Chromium: open an alert, tick its checklist, acknowledge it.

The server runs on a store with real alerts (`run_detection` over
tests/alert_history.py); what the page does is checked against the store, and
nothing the page asks for may leave 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from indicators.detection import DetectionConfig
from indicators.early_warning import run_detection
from indicators.playbooks import load_playbook
from indicators.store import alerts as alert_store
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.taxonomy import load_taxonomy
from tests.alert_history import AT, burst, fill, quiet_history
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

pytestmark = pytest.mark.browser
CFG = DetectionConfig(min_stories=3, min_ratio=2.0, min_score=4.0, exit_score=2.0)
RISE = "rise:category=cyber_threats|region=KZ-75"


@pytest.fixture(scope="module")
def alert_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from dashboard.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('alerts') / 'alerts.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    run_detection(engine, CFG, at=AT, labeler=load_taxonomy(DATA_DIR).label)
    app = create_app(url, DATA_DIR, clock=lambda: AT, lexicon_version="t", detection=CFG)
    with serving(app, "alerts") as base_url:
        yield base_url, engine


def test_an_analyst_opens_an_alert_ticks_the_checklist_and_acknowledges_it(
    alert_server: tuple[str, Any], recorded_page: tuple[Page, Recorder]
) -> None:
    base, engine = alert_server
    page, recorder = recorded_page
    rise = next(a for a in alert_store.list_alerts(engine) if a.key == RISE)
    book = load_playbook(DATA_DIR, rise.playbook or "general")

    page.goto(base + "/alerts")
    page.click(f"#al-open-{rise.id}")
    expect(page).to_have_url(f"{base}/alerts?alert={rise.id}")
    expect(page.locator("#al-title")).to_contain_text(rise.label)

    # the chart: stories per day, the expected level and the alert level
    page.wait_for_function(
        "() => { const p = document.querySelector('#al-chart .js-plotly-plot');"
        " return p && p.data && p.data.length === 3; }"
    )
    names = page.evaluate(
        "() => document.querySelector('#al-chart .js-plotly-plot').data.map(t => t.name)"
    )
    assert names == ["stories", "expected", "alert level"]
    window_bar = page.evaluate(
        "() => { const d = document.querySelector('#al-chart .js-plotly-plot').data;"
        " return [d[0].y[d[0].y.length - 1], d[2].y[d[2].y.length - 1]]; }"
    )
    assert window_bar[0] == rise.observed and window_bar[0] >= window_bar[1]

    # the playbook, in the interface's language first (the browser asks for English), then
    # in Russian, then in English again
    ru, en = book.text("ru"), book.text("en")
    expect(page.locator("#al-playbook")).to_contain_text(en.title)
    page.get_by_label("Русский", exact=True).check()
    expect(page.locator("#al-playbook")).to_contain_text(ru.title)
    page.get_by_label("English", exact=True).check()
    expect(page.locator("#al-playbook")).to_contain_text(en.title)
    first = en.sections[0].items[0]
    expect(page.locator("#al-check-verify")).to_contain_text(first.text)

    # tick the first item: saved with the alert
    page.locator("#al-check-verify").get_by_label(first.text).check()
    expect(page.locator("#al-check-message")).to_contain_text("Checklist saved: 1 of")
    assert alert_store.get_alert(engine, rise.id).checklist.get(first.key) is True

    # acknowledge with a note
    page.fill("#al-note", "DDoS confirmed with the bank's CERT")
    page.locator("button.action-acknowledge").click()
    expect(page.locator("#al-message")).to_contain_text(f"Alert #{rise.id} acknowledged.")
    expect(page.locator("#al-title")).to_contain_text("acknowledged")
    stored = alert_store.get_alert(engine, rise.id)
    assert stored.state == "acknowledged" and stored.note == "DDoS confirmed with the bank's CERT"

    # a reload shows what was saved: the state, the note, the ticked item, the history
    page.reload()
    expect(page.locator("#al-title")).to_contain_text("acknowledged")
    expect(page.locator("#al-summary")).to_contain_text("DDoS confirmed with the bank's CERT")
    expect(page.locator("#al-history")).to_contain_text("checklist")
    expect(
        page.locator("#al-check-verify").get_by_label(en.sections[0].items[0].text)
    ).to_be_checked()
    expect(page.locator("button.action-acknowledge")).to_be_disabled()
    expect(page.locator("button.action-resolve")).to_be_enabled()
    recorder.assert_clean()


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_an_alert_in_russian_and_kazakh_leaves_no_english(
    alert_server: tuple[str, Any],
    recorded_page: tuple[Page, Recorder],
    browser_context: object,
    lang: str,
) -> None:
    """The list, the opened alert (label from the taxonomy, numbers, chart, history, the
    playbook in the interface language) and an action's answer, in ru and kk."""
    base, engine = alert_server
    page, recorder = recorded_page
    rise = next(a for a in alert_store.list_alerts(engine) if a.key == RISE)
    book = load_playbook(DATA_DIR, rise.playbook or "general")
    labels = load_taxonomy(DATA_DIR)
    try:
        page.goto(f"{base}/alerts?alert={rise.id}&ui={lang}")
        expect(page.locator("#al-playbook")).to_contain_text(book.text(lang).title)
        for axis, values in rise.series.items():
            for value in values:
                expect(page.locator("#al-title")).to_contain_text(labels.label(axis, value, lang))
        page.wait_for_function(
            "() => { const p = document.querySelector('#al-chart .js-plotly-plot');"
            " return p && p.data && p.data.length === 3; }"
        )
        page.wait_for_timeout(300)
        texts = page.evaluate(VISIBLE_TEXT, CONTENT)
        assert latin_words(texts, ALLOWED_LATIN | proper_names(lang)) == []
        assert page.evaluate(LAYOUT_PROBLEMS, [*LABELS, ".action", ".alert-table th"]) == []
        # a refusal and a success, both in the language
        page.locator("button.action-note").click()
        empty = {"ru": "Отклонено: заметка пуста.", "kk": "Қабылданбады: жазба бос."}
        expect(page.locator("#al-message")).to_have_text(empty[lang])
        page.fill("#al-note", "Проверено")
        page.locator("button.action-note").click()
        saved = {"ru": f"Заметка к оповещению №{rise.id} сохранена.", "kk": "жазба сақталды"}
        expect(page.locator("#al-message")).to_contain_text(saved[lang])
        recorder.assert_clean()
    finally:
        browser_context.clear_cookies()  # type: ignore[attr-defined]
