"""HTML listing pages through the whole pipeline, served from 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from indicators.store import read, write
from indicators.store.schema import items
from ingest.fetch import FetchLimits
from ingest.listing import check_selectors
from ingest.refresh import IngestConfig, run_due_feeds
from tests.feedgen import numbered_feed
from threatmon.settings import load_settings
from threatmon.tagging import tagging_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "listing"
HTML = "text/html; charset=utf-8"
CFG = IngestConfig(
    limits=FetchLimits(
        connect_timeout=2,
        deadline=2.0,
        max_bytes=200_000,
        max_redirects=3,
        allow_private_hosts=True,
        user_agent="threatmon-test",
    ),
    parse_timeout=10,
    concurrency=4,
)
SELECTORS = check_selectors(
    {"item": "article.news-item", "link": "h3 a", "date": ".news-date", "lead": ".news-lead"}
)


@pytest.fixture(scope="module")
def tagging():
    return tagging_for(load_settings(environ={}))


def add(store, url: str, name: str, source_format: str = "html") -> int:
    selectors = SELECTORS if source_format == "html" else ()
    [feed_id] = write.upsert_feeds(
        store,
        [
            write.FeedFields(
                url=url, name=name, language="ru", format=source_format, selectors=selectors
            )
        ],
    )
    return feed_id


def test_a_listing_page_is_stored_and_a_redesign_is_recorded_on_the_source(
    store, httpserver, tagging
) -> None:
    httpserver.expect_request("/press/").respond_with_data(
        (FIXTURES / "press.html").read_bytes(), content_type=HTML
    )
    feed_id = add(store, httpserver.url_for("/press/"), "Пресс-служба")
    assert read.get_feed(store, feed_id).selectors == SELECTORS
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (run.status, run.new_items) == ("ok", 2)
    with store.connect() as conn:
        urls = sorted(str(u) for (u,) in conn.execute(select(items.c.url)).all())
    page = httpserver.url_for("/press/")
    assert urls == sorted(
        [
            page.replace("/press/", "/ru/press/news/details/1001"),  # relative link resolved
            "https://press.example.kz/ru/press/news/details/1000",
        ]
    )
    assert all("utm_source" not in u for u in urls)

    httpserver.clear_all_handlers()
    httpserver.expect_request("/press/").respond_with_data(
        (FIXTURES / "redesigned.html").read_bytes(), content_type=HTML
    )
    [changed] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (changed.status, changed.error_kind) == ("error", "structure_changed")
    feed = read.get_feed(store, feed_id)
    assert (feed.last_status, feed.last_error_kind) == ("error", "structure_changed")
    assert "structure changed" in (feed.last_error or "")


def test_hostile_pages_never_stop_the_other_sources(store, httpserver, tagging) -> None:
    httpserver.expect_request("/press/").respond_with_data(
        (FIXTURES / "press.html").read_bytes(), content_type=HTML
    )
    httpserver.expect_request("/huge").respond_with_data(
        b"<html><body>" + b'<article class="news-item">x</article>' * 10_000, content_type=HTML
    )
    httpserver.expect_request("/broken").respond_with_data(
        b'<html><body><article class="news-item"><h3><a href="/ok">\xd0\x9e\xd0\xba</a',
        content_type=HTML,
    )
    httpserver.expect_request("/scripts").respond_with_data(
        b"<html><head><script>"
        + b'document.write("<article class=news-item><h3><a href=/x>X</a></h3></article>");' * 50
        + b"</script><style>article.news-item{}</style></head><body></body></html>",
        content_type=HTML,
    )
    httpserver.expect_request("/track").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/track")}
    )
    httpserver.expect_request("/feed").respond_with_data(
        numbered_feed(2), content_type="application/rss+xml"
    )
    add(store, httpserver.url_for("/press/"), "Хорошая")
    add(store, httpserver.url_for("/huge"), "Огромная")
    broken = add(store, httpserver.url_for("/broken"), "Битая")
    add(store, httpserver.url_for("/scripts"), "Скрипты")
    add(store, httpserver.url_for("/track"), "Редиректы")
    add(store, httpserver.url_for("/feed"), "Лента", "rss")
    runs = {r.feed_name: r for r in run_due_feeds(store, CFG, tagging, all_enabled=True)}
    assert {name: (r.status, r.error_kind) for name, r in runs.items()} == {
        "Хорошая": ("ok", None),
        "Огромная": ("error", "too_large"),
        "Битая": ("ok", None),
        "Скрипты": ("error", "structure_changed"),
        "Редиректы": ("error", "too_many_redirects"),
        "Лента": ("ok", None),
    }
    with store.connect() as conn:
        titles = [
            t for (t,) in conn.execute(select(items.c.title).where(items.c.feed_id == broken))
        ]
    assert titles == ["Ок"]
