"""Telegram channel previews through the whole pipeline, served from 127.0.0.1.

The first fetch follows "older messages" up to the configured depth; later
fetches read only the newest page; endless pagination is bounded; a hostile
channel never stops the other sources of the run.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug import Request, Response

from indicators.store import read, write
from indicators.store.schema import items
from ingest.fetch import FetchLimits
from ingest.refresh import IngestConfig, run_due_feeds
from tests.feedgen import numbered_feed
from threatmon.settings import load_settings
from threatmon.tagging import tagging_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "telegram"
HTML = "text/html; charset=utf-8"
CFG = IngestConfig(
    limits=FetchLimits(
        connect_timeout=2,
        deadline=2.0,
        max_bytes=200_000,
        max_redirects=5,
        allow_private_hosts=True,
        user_agent="threatmon-test",
    ),
    parse_timeout=10,
    telegram_pages=3,
    concurrency=4,
)


@pytest.fixture(scope="module")
def tagging():
    return tagging_for(load_settings(environ={}))


def channel(request: Request) -> Response:
    name = "channel_page2.html" if request.args.get("before") else "channel_page1.html"
    return Response((FIXTURES / name).read_bytes(), content_type=HTML)


def add(store, url: str, name: str, source_format: str) -> int:
    [feed_id] = write.upsert_feeds(
        store, [write.FeedFields(url=url, name=name, language="ru", format=source_format)]
    )
    return feed_id


def stored_urls(store, feed_id: int) -> list[str]:
    with store.connect() as conn:
        rows = conn.execute(select(items.c.url).where(items.c.feed_id == feed_id)).all()
    return sorted(str(r[0]) for r in rows)


def test_first_fetch_reads_older_pages_then_only_the_newest(store, httpserver, tagging) -> None:
    httpserver.expect_request("/s/testchannel").respond_with_handler(channel)
    feed_id = add(store, httpserver.url_for("/s/testchannel"), "Канал", "telegram")

    [first] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (first.status, first.new_items, first.entries) == ("ok", 3, 3)
    assert stored_urls(store, feed_id) == [
        "https://t.me/testchannel/101",
        "https://t.me/testchannel/103",
        "https://t.me/testchannel/99",
    ]
    assert len(httpserver.log) == 2  # the newest page and one older page, which has no older

    [later] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (later.status, later.new_items, later.entries) == ("ok", 0, 2)
    assert len(httpserver.log) == 3  # only the newest page again
    assert read.get_feed(store, feed_id).format == "telegram"


def test_endless_pagination_stops_at_the_configured_depth(store, httpserver, tagging) -> None:
    pages: list[str] = []

    def endless(request: Request) -> Response:
        before = int(request.args.get("before", "1000"))
        pages.append(str(before))
        body = (
            f'<link rel="prev" href="/s/endless?before={before - 1}">'
            f'<div class="tgme_widget_message" data-post="endless/{before}">'
            f'<div class="tgme_widget_message_text">Сообщение {before}</div>'
            f'<a class="tgme_widget_message_date" href="https://t.me/endless/{before}">'
            '<time datetime="2026-12-04T00:00:00+00:00"></time></a></div>'
        )
        return Response(body, content_type=HTML)

    httpserver.expect_request("/s/endless").respond_with_handler(endless)
    add(store, httpserver.url_for("/s/endless"), "Бесконечный", "telegram")
    [run] = run_due_feeds(store, replace(CFG, telegram_pages=4), tagging, all_enabled=True)
    assert (run.status, run.new_items) == ("ok", 4)
    assert pages == ["1000", "999", "998", "997"]


def test_a_page_linking_to_itself_is_read_once(store, httpserver, tagging) -> None:
    httpserver.expect_request("/s/endless").respond_with_data(
        (FIXTURES / "endless.html").read_bytes(), content_type=HTML
    )
    add(store, httpserver.url_for("/s/endless"), "Петля", "telegram")
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (run.status, run.new_items) == ("ok", 1)
    assert len(httpserver.log) == 2  # the page, then its "older" link, which repeats it


def test_hostile_channels_record_errors_and_the_other_sources_are_stored(
    store, httpserver, tagging
) -> None:
    httpserver.expect_request("/s/testchannel").respond_with_handler(channel)
    httpserver.expect_request("/s/gone").respond_with_data(
        "<html><body>Channel not found</body></html>", content_type=HTML
    )
    httpserver.expect_request("/s/huge").respond_with_data(
        b"<div>" + b"x" * 300_000 + b"</div>", content_type=HTML
    )
    httpserver.expect_request("/feed").respond_with_data(
        numbered_feed(2), content_type="application/rss+xml"
    )
    add(store, httpserver.url_for("/s/testchannel"), "Канал", "telegram")
    add(store, httpserver.url_for("/s/gone"), "Нет канала", "telegram")
    add(store, httpserver.url_for("/s/huge"), "Огромный", "telegram")
    add(store, httpserver.url_for("/feed"), "Лента", "rss")

    runs = {r.feed_name: r for r in run_due_feeds(store, CFG, tagging, all_enabled=True)}
    assert (runs["Канал"].status, runs["Канал"].new_items) == ("ok", 3)
    assert (runs["Лента"].status, runs["Лента"].new_items) == ("ok", 2)
    assert (runs["Нет канала"].status, runs["Нет канала"].error_kind) == ("error", "not_a_feed")
    assert (runs["Огромный"].status, runs["Огромный"].error_kind) == ("error", "too_large")
