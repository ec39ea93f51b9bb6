"""News sitemaps through the whole pipeline, served from 127.0.0.1."""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug import Request, Response

from indicators.store import write
from indicators.store.schema import items
from ingest.fetch import FetchLimits
from ingest.refresh import IngestConfig, run_due_feeds
from tests.feedgen import numbered_feed
from threatmon.settings import load_settings
from threatmon.tagging import tagging_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sitemap"
XML = "application/xml"
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
    sitemap_depth=2,
    concurrency=4,
)


@pytest.fixture(scope="module")
def tagging():
    return tagging_for(load_settings(environ={}))


def index(*locs: str) -> bytes:
    body = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'
    ).encode()


def add(store, url: str, name: str, source_format: str = "sitemap") -> int:
    [feed_id] = write.upsert_feeds(
        store, [write.FeedFields(url=url, name=name, language="ru", format=source_format)]
    )
    return feed_id


def stored(store, feed_id: int) -> list[tuple[str, str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            select(items.c.url, items.c.title, items.c.lang).where(items.c.feed_id == feed_id)
        ).all()
    return sorted((str(r[0]), str(r[1]), str(r[2])) for r in rows)


def test_a_news_sitemap_stores_its_articles(store, httpserver, tagging) -> None:
    httpserver.expect_request("/news.xml").respond_with_data(
        (FIXTURES / "news.xml").read_bytes(), content_type=XML
    )
    feed_id = add(store, httpserver.url_for("/news.xml"), "Пример")
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (run.status, run.new_items) == ("ok", 2)
    assert stored(store, feed_id) == [
        ("https://news.example.kz/kz/2026/12/04/habar.html", "Алматыда алаяқтар ұсталды", "kk"),
        (
            "https://news.example.kz/ru/2026/12/04/zaderzhanie.html",
            "В Астане задержан вербовщик террористической организации",
            "ru",
        ),
    ]


def test_an_index_is_followed_to_its_depth_and_a_failing_child_is_a_warning(
    store, httpserver, tagging
) -> None:
    httpserver.expect_request("/index.xml").respond_with_data(
        index(httpserver.url_for("/nested.xml"), httpserver.url_for("/missing.xml")),
        content_type=XML,
    )
    httpserver.expect_request("/nested.xml").respond_with_data(
        index(httpserver.url_for("/news.xml"), httpserver.url_for("/index.xml")),
        content_type=XML,
    )
    httpserver.expect_request("/news.xml").respond_with_data(
        (FIXTURES / "news.xml").read_bytes(), content_type=XML
    )
    httpserver.expect_request("/missing.xml").respond_with_data("gone", status=404)
    add(store, httpserver.url_for("/index.xml"), "Индекс")
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (run.status, run.new_items) == ("ok", 2)
    assert "missing.xml: http_status" in (run.warning or "")
    paths = sorted(request.path for request, _ in httpserver.log)
    assert paths == ["/index.xml", "/missing.xml", "/nested.xml", "/news.xml"]  # no loop


def test_endless_nesting_stops_at_the_depth_with_a_recorded_error(
    store, httpserver, tagging
) -> None:
    def deeper(request: Request) -> Response:
        level = int(request.args.get("level", "0"))
        return Response(
            index(httpserver.url_for("/deep.xml") + f"?level={level + 1}"), content_type=XML
        )

    httpserver.expect_request("/deep.xml").respond_with_handler(deeper)
    add(store, httpserver.url_for("/deep.xml"), "Бездна")
    [run] = run_due_feeds(store, replace(CFG, sitemap_depth=3), tagging, all_enabled=True)
    assert (run.status, run.error_kind) == ("error", "not_a_feed")
    assert "nested deeper than 3" in (run.error_message or "")
    assert len(httpserver.log) == 4  # the source and three levels below it


def test_hostile_sitemaps_never_stop_the_other_sources(store, httpserver, tagging) -> None:
    httpserver.expect_request("/news.xml").respond_with_data(
        (FIXTURES / "news.xml").read_bytes(), content_type=XML
    )
    httpserver.expect_request("/huge.xml").respond_with_data(
        b"<urlset>" + b"<url><loc>x</loc></url>" * 20_000 + b"</urlset>", content_type=XML
    )
    httpserver.expect_request("/broken.xml").respond_with_data(
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>',
        content_type=XML,
    )
    httpserver.expect_request("/xxe.xml").respond_with_data(
        (FIXTURES / "xxe.xml").read_bytes(), content_type=XML
    )
    httpserver.expect_request("/feed").respond_with_data(
        numbered_feed(2), content_type="application/rss+xml"
    )
    add(store, httpserver.url_for("/news.xml"), "Хорошая")
    add(store, httpserver.url_for("/huge.xml"), "Огромная")
    add(store, httpserver.url_for("/broken.xml"), "Битая")
    xxe = add(store, httpserver.url_for("/xxe.xml"), "Сущности")
    add(store, httpserver.url_for("/feed"), "Лента", "rss")
    runs = {r.feed_name: r for r in run_due_feeds(store, CFG, tagging, all_enabled=True)}
    assert {name: (r.status, r.error_kind) for name, r in runs.items()} == {
        "Хорошая": ("ok", None),
        "Огромная": ("error", "too_large"),
        "Битая": ("error", "parse"),
        "Сущности": ("ok", None),
        "Лента": ("ok", None),
    }
    assert [title for _, title, _ in stored(store, xxe)] == ["Заголовок"]


def test_a_gzipped_child_sitemap_served_as_a_file_is_read(store, httpserver, tagging) -> None:
    httpserver.expect_request("/index.xml").respond_with_data(
        index(httpserver.url_for("/news.xml.gz")), content_type=XML
    )
    # a .gz file as a web server sends it: gzip bytes, no Content-Encoding header
    httpserver.expect_request("/news.xml.gz").respond_with_data(
        gzip.compress((FIXTURES / "news.xml").read_bytes()), content_type="application/x-gzip"
    )
    feed_id = add(store, httpserver.url_for("/index.xml"), "Сжатый")
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (run.status, run.new_items, run.warning) == ("ok", 2, None)
    assert len(stored(store, feed_id)) == 2


def dated_index(*children: tuple[str, str]) -> bytes:
    body = "".join(
        f"<sitemap><loc>{loc}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        for loc, lastmod in children
    )
    return (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'
    ).encode()


def test_children_the_index_dates_before_the_last_read_are_not_fetched_again(
    store, httpserver, tagging
) -> None:
    from datetime import UTC, datetime

    # an outlet's index: an old monthly sitemap and today's news sitemap
    old, today = httpserver.url_for("/2026-01.xml"), httpserver.url_for("/today.xml")
    lastmod = {"today": "2026-01-31T23:00:00Z"}

    def the_index(_request: Request) -> Response:
        return Response(
            dated_index((old, "2026-01-31T23:00:00Z"), (today, lastmod["today"])),
            content_type=XML,
        )

    httpserver.expect_request("/index.xml").respond_with_handler(the_index)
    httpserver.expect_request("/2026-01.xml").respond_with_data(
        (FIXTURES / "news.xml").read_bytes(), content_type=XML
    )
    httpserver.expect_request("/today.xml").respond_with_data(
        (FIXTURES / "news.xml").read_bytes(), content_type=XML
    )
    add(store, httpserver.url_for("/index.xml"), "Индекс по датам")

    def fetched_paths() -> list[str]:
        paths = sorted(request.path for request, _ in httpserver.log)
        httpserver.clear_log()
        return paths

    # the first read takes every child, whatever its date
    [first] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (first.status, first.new_items) == ("ok", 2)
    assert fetched_paths() == ["/2026-01.xml", "/index.xml", "/today.xml"]
    # nothing changed since: only the index is read, and that is a success, not an error
    [second] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (second.status, second.new_items, second.error_kind) == ("ok", 0, None)
    assert fetched_paths() == ["/index.xml"]
    # today's sitemap changes: only it is read again
    lastmod["today"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    [third] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert third.status == "ok"
    assert fetched_paths() == ["/index.xml", "/today.xml"]


def add_following(store, url: str, name: str, follow: str = "sitemap-news") -> int:
    """A sitemap source that reads only the sitemaps whose URL contains `follow`."""
    [feed_id] = write.upsert_feeds(
        store,
        [write.FeedFields(url=url, name=name, format="sitemap", selectors=(("follow", follow),))],
    )
    return feed_id


def test_follow_reads_only_the_sitemaps_whose_url_contains_it(store, httpserver, tagging) -> None:
    httpserver.expect_request("/index.xml").respond_with_data(
        index(
            httpserver.url_for("/sitemap-pages-1.xml"),
            httpserver.url_for("/sitemap-news-1.xml"),
            httpserver.url_for("/sitemap-tags.xml"),
        ),
        content_type=XML,
    )
    httpserver.expect_request("/sitemap-news-1.xml").respond_with_data(
        (FIXTURES / "news.xml").read_bytes(), content_type=XML
    )
    feed_id = add_following(store, httpserver.url_for("/index.xml"), "Выборочно")
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (run.status, run.new_items, run.warning) == ("ok", 2, None)
    assert sorted(r.path for r, _ in httpserver.log) == ["/index.xml", "/sitemap-news-1.xml"]
    assert len(stored(store, feed_id)) == 2


def test_follow_matching_nothing_is_a_recorded_error(store, httpserver, tagging) -> None:
    httpserver.expect_request("/index.xml").respond_with_data(
        index(httpserver.url_for("/sitemap-pages-1.xml")), content_type=XML
    )
    add_following(store, httpserver.url_for("/index.xml"), "Перестроен")
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (run.status, run.error_kind) == ("error", "not_a_feed")
    assert "none of the 1 sitemaps listed has 'sitemap-news'" in (run.error_message or "")


def test_past_the_cap_the_most_recently_changed_sitemaps_are_read(
    store, httpserver, tagging
) -> None:
    import re

    from ingest.refresh import MAX_SITEMAP_FILES

    months = MAX_SITEMAP_FILES + 10  # an outlet's index of monthly sitemaps, oldest first
    children = [
        (httpserver.url_for(f"/m-{n}.xml"), f"{2020 + n // 12}-{n % 12 + 1:02d}-28T00:00:00Z")
        for n in range(months)
    ]
    httpserver.expect_request("/index.xml").respond_with_data(
        dated_index(*children), content_type=XML
    )
    httpserver.expect_request(re.compile(r"/m-\d+\.xml")).respond_with_data(
        (FIXTURES / "news.xml").read_bytes(), content_type=XML
    )
    add(store, httpserver.url_for("/index.xml"), "Архив")
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert run.status == "ok"
    assert f"more than {MAX_SITEMAP_FILES} sitemaps listed" in (run.warning or "")
    read = {int(r.path[3:-4]) for r, _ in httpserver.log if r.path.startswith("/m-")}
    assert read == set(range(months - MAX_SITEMAP_FILES, months))  # the newest fifty
