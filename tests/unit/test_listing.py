"""HTML listing pages read by configured CSS selectors; a changed page is an error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.errors import ErrorKind, FeedError
from ingest.formats import parse_source
from ingest.listing import check_selectors, parse_listing, parse_listing_date

FIXTURES = Path(__file__).parents[1] / "fixtures" / "listing"
CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpora" / "feedparser"
PAGE = "https://press.example.kz/ru/press/news/"
HTML = {"content-type": "text/html; charset=utf-8"}
SELECTORS = check_selectors(
    {
        "item": "article.news-item",
        "link": "h3 a",
        "title": ".news-title",
        "date": ".news-date",
        "lead": "p.news-lead",
    }
)


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_each_item_with_a_link_is_an_entry_with_resolved_link_date_and_plain_lead() -> None:
    parsed = parse_listing(page("press.html"), HTML, PAGE, SELECTORS)
    assert [(e.link, e.title, e.published, e.summary) for e in parsed.entries] == [
        (
            "https://press.example.kz/ru/press/news/details/1001?utm_source=site",
            "Задержан организатор финансовой пирамиды",
            datetime(2026, 12, 4, 10, 30, tzinfo=UTC),
            "Сотрудники департамента пресекли деятельность пирамиды в Караганде.",
        ),
        (
            "https://press.example.kz/ru/press/news/details/1000",
            "Брифинг о профилактике экстремизма",
            datetime(2026, 12, 3, 4, 0, tzinfo=UTC),
            "Состоялся брифинг для журналистов.",
        ),
    ]
    assert parsed.title == "Пресс-служба — Новости"


def test_without_a_title_selector_the_link_text_is_the_title() -> None:
    selectors = check_selectors({"item": "article.news-item", "link": "h3 a"})
    parsed = parse_source("html", page("press.html"), HTML, PAGE, selectors)
    assert [e.title for e in parsed.entries] == [
        "Задержан организатор финансовой пирамиды",
        "Брифинг о профилактике экстремизма",
    ]
    assert [e.published for e in parsed.entries] == [None, None]


def test_a_redesigned_page_is_structure_changed_not_zero_items() -> None:
    with pytest.raises(FeedError) as caught:
        parse_listing(page("redesigned.html"), HTML, PAGE, SELECTORS)
    assert caught.value.kind is ErrorKind.STRUCTURE_CHANGED
    assert "'article.news-item' matches nothing" in caught.value.message


def test_items_without_any_link_are_structure_changed() -> None:
    selectors = check_selectors({"item": "article.news-item", "link": "a.gone"})
    with pytest.raises(FeedError) as caught:
        parse_listing(page("press.html"), HTML, PAGE, selectors)
    assert caught.value.kind is ErrorKind.STRUCTURE_CHANGED
    assert "3 items" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "fault"),
    [
        ({"link": "a"}, "selector 'item' is missing"),
        ({"item": "div", "link": "a", "body": "p"}, "unknown selector part(s): body"),
        ({"item": "div[", "link": "a"}, "selector 'item' is not valid CSS"),
        ({"item": "div", "link": ""}, "selector 'link' must be a non-empty string"),
    ],
)
def test_bad_selectors_are_refused_when_the_list_is_loaded(raw: dict, fault: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        check_selectors(raw)
    assert fault in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-04T10:30:00+05:00", datetime(2026, 12, 4, 5, 30, tzinfo=UTC)),
        ("04.12.2026", datetime(2026, 12, 4, tzinfo=UTC)),
        ("Опубликовано 4.12.2026, 09:05", datetime(2026, 12, 4, 9, 5, tzinfo=UTC)),
        ("31.02.2026", None),
        ("вчера", None),
    ],
)
def test_listing_dates(text: str, expected: datetime | None) -> None:
    assert parse_listing_date(text) == expected


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared feedparser corpus is not present")
def test_every_corpus_feed_fails_cleanly_as_a_listing_page() -> None:
    files = sorted(p for p in CORPUS.rglob("*.xml") if p.is_file())
    assert len(files) > 100
    kinds: set[str] = set()
    for path in files:
        try:
            parse_source("html", path.read_bytes(), HTML, str(path), SELECTORS)
        except FeedError as exc:
            kinds.add(exc.kind.value)
        else:
            pytest.fail(f"{path} read as a listing page")
    assert "structure_changed" in kinds
