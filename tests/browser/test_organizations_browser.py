"""The Organizations view in headless Chromium: who is active, what is known, click to filter.

Its own small store of items naming organizations (the shared known store
names none), served by its own dashboard; expected numbers are recounted from
the items, never typed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from indicators.lexicon import load_actors, load_labels
from tests.browser.conftest import DATA_DIR, Recorder
from tests.browser.known_store import NOW, Known, build_store
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

ACTORS_KNOWN = (
    Known(
        "o1",
        "steppe",
        "2026-03-10T09:00:00+00:00",
        "ru",
        "ИГИЛ вербовал подростков в Актау",
        "Вербовщик писал им в Telegram.",
        url="https://news.example/aktau-isis",
        tags={
            "category": {"extremist_ideology": "вербовал"},
            "region": {"KZ-47": "Актау"},
            "platform": {"telegram": "Telegram"},
            "actor": {"isis": "ИГИЛ"},
        },
    ),
    Known(
        "o2",
        "dala",
        "2026-03-12T09:00:00+00:00",
        "kk",
        "ИГИЛ жақтасы Шымкентте ұсталды",
        "Лаңкестік әрекетке дайындалған.",
        tags={
            "category": {"terrorist_activity": "Лаңкестік"},
            "region": {"KZ-79": "Шымкентте"},
            "actor": {"isis": "ИГИЛ"},
        },
    ),
    Known(
        "o3",
        "steppe",
        "2026-03-13T09:00:00+00:00",
        "ru",
        "Члены Хизб ут-Тахрир осуждены в Алматы",
        "Суд признал их виновными в экстремизме.",
        tags={
            "category": {"extremist_ideology": "экстремизме"},
            "region": {"KZ-75": "Алматы"},
            "actor": {"hizb_ut_tahrir": "Хизб ут-Тахрир"},
        },
    ),
    Known(
        "o4",
        "steppe",
        "2026-03-14T09:00:00+00:00",
        "ru",
        "Погода в Астане",
        "Снег и ветер.",
        tags={"region": {"KZ-71": "Астане"}},
    ),
)


@pytest.fixture(scope="module")
def org_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from dashboard.app import create_app

    db_url, _ids = build_store(tmp_path_factory.mktemp("orgs") / "orgs.db", ACTORS_KNOWN)
    app = create_app(db_url, DATA_DIR, clock=lambda: NOW, lexicon_version="test-lexicon-orgs")
    with serving(app, "orgs") as base_url:
        yield base_url


def naming(actor: str) -> list[Known]:
    return [k for k in ACTORS_KNOWN if actor in k.values("actor")]


def test_the_most_active_organizations_with_their_facts_and_a_click_filters_everything(
    org_server: str, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(org_server + "/organizations")
    cards = page.locator("#or-list article.org")
    expect(cards).to_have_count(2)
    # most stories first: ISIS (two items, two stories) before Hizb ut-Tahrir (one)
    assert [c.get_attribute("id") for c in cards.all()] == ["or-org-isis", "or-org-hizb_ut_tahrir"]
    isis = page.locator("#or-org-isis")
    expect(isis.locator(".org-name")).to_have_text("Islamic State")
    expect(isis.locator(".org-count")).to_have_text(
        f"{len(naming('isis'))} stories · {len(naming('isis'))} items"
    )
    labels = load_labels(DATA_DIR)
    regions = sorted({r for k in naming("isis") for r in k.values("region")})
    expected_regions = ", ".join(f"{labels.label('region', r)} (1)" for r in regions)
    assert isis.locator(".org-facet").all_inner_texts() == [
        f"Regions: {expected_regions}",
        "Platforms: Telegram (1)",
        f"Categories: {labels.label('category', 'extremist_ideology')} (1), "
        f"{labels.label('category', 'terrorist_activity')} (1)",
    ]
    # the designation facts of data/actors.yaml, each with its https source as a link
    facts = load_actors(DATA_DIR)["isis"].designations
    links = isis.locator(".designation a")
    expect(links).to_have_count(len(facts))
    assert [links.nth(i).get_attribute("href") for i in range(len(facts))] == [
        f.source for f in facts
    ]
    newest = isis.locator(".org-newest li")
    expect(newest).to_have_count(len(naming("isis")))
    expect(newest.first).to_contain_text(naming("isis")[-1].title)  # newest first
    expect(page.locator("#or-trend .js-plotly-plot")).to_have_count(1)

    isis.locator(".org-name").click()
    page.wait_for_url("**actor=isis**")
    assert parse_qs(urlsplit(page.url).query)["actor"] == ["isis"]
    expect(cards).to_have_count(1)
    # the whole dashboard now shows that organization only
    page.click("#nav-items")
    page.wait_for_url("**/items?**")
    assert parse_qs(urlsplit(page.url).query)["actor"] == ["isis"]
    rows = page.locator("#it-table .item-title")
    expect(rows).to_have_count(len(naming("isis")))
    assert sorted(rows.all_inner_texts()) == sorted(k.title for k in naming("isis"))
    recorder.assert_clean()


def test_the_organization_filter_in_the_bar_reaches_the_url(
    org_server: str, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(org_server + "/organizations")
    expect(page.locator("#or-list article.org")).to_have_count(2)
    page.click("#f-actor")
    page.get_by_role("option", name="Hizb ut-Tahrir", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url("**actor=hizb_ut_tahrir**")
    expect(page.locator("#or-list article.org")).to_have_count(1)
    expect(page.locator("#or-org-hizb_ut_tahrir")).to_have_count(1)
    recorder.assert_clean()


def test_no_organization_named_and_an_unknown_one_are_both_said(
    org_server: str, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(org_server + "/organizations?region=KZ-71")
    expect(page.locator("#or-list")).to_contain_text("No organization is named")
    # a bookmarked id that data/actors.yaml does not know is an error the analyst sees
    page.goto(org_server + "/organizations?actor=isiss")
    expect(page.locator("#filter-error")).to_contain_text("unknown actor 'isiss'")
    recorder.assert_clean()


@pytest.mark.parametrize(
    ("lang", "count"), [("ru", "2 сюжета · 2 материала"), ("kk", "2 сюжет · 2 материал")]
)
def test_the_cards_in_russian_and_kazakh_leave_no_english(
    org_server: str,
    recorded_page: tuple[Page, Recorder],
    browser_context: object,
    lang: str,
    count: str,
) -> None:
    """Kinds, authorities, statuses, facets and counts in the language (the known store
    names no organization, so the i18n test cannot see the cards)."""
    page, recorder = recorded_page
    try:
        page.goto(org_server + f"/organizations?ui={lang}")
        expect(page.locator("#or-list article.org")).to_have_count(2)
        isis = page.locator("#or-org-isis")
        expect(isis.locator(".org-count")).to_have_text(count)
        expect(isis.locator(".org-name")).to_have_text(
            load_labels(DATA_DIR, load_actors(DATA_DIR)).label("actor", "isis", lang)
        )
        page.wait_for_timeout(300)
        texts = page.evaluate(VISIBLE_TEXT, CONTENT)
        allowed = ALLOWED_LATIN | proper_names(lang) | {"test-lexicon-orgs"}  # the footer
        assert latin_words(texts, allowed) == []
        assert page.evaluate(LAYOUT_PROBLEMS, [*LABELS, ".org-name", ".org-kind"]) == []
        recorder.assert_clean()
    finally:
        browser_context.clear_cookies()  # type: ignore[attr-defined]
