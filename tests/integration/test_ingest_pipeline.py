"""The whole ingest pipeline against a real HTTP server on 127.0.0.1 and a real store.

fetch -> parse -> normalize -> tag -> store, for good feeds and bad ones in the
same run: each bad feed records its own error and the others are stored.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from werkzeug import Request, Response

from indicators.store import read, write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.schema import fetch_runs, item_tags, items
from ingest.fetch import FetchLimits
from ingest.refresh import IngestConfig, run_due_feeds, run_feeds
from ingest.schedule import StopFlag, next_due
from tests.feedgen import numbered_feed, rss, rss_item
from threatmon.settings import load_settings
from threatmon.tagging import tagging_for

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
    parse_memory_mb=1024,
    interval_minutes=30,
    concurrency=4,
)


@pytest.fixture(scope="module")
def tagging():
    return tagging_for(load_settings(environ={}))


def add_feeds(engine, httpserver, *paths: str) -> dict[str, int]:
    ids = write.upsert_feeds(
        engine,
        [
            write.FeedFields(url=httpserver.url_for(p), name=p.strip("/"), language="ru")
            for p in paths
        ],
    )
    return dict(zip(paths, ids, strict=True))


def count(engine, table=items, **where) -> int:
    query = select(func.count()).select_from(table)
    for key, value in where.items():
        query = query.where(table.c[key] == value)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def runs_by_feed(runs):
    return {run.feed_name: run for run in runs}


def etag_handler(body: bytes, etag: str):
    def handle(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    return handle


def test_first_fetch_stores_items_then_304_stores_nothing_then_only_new_items(
    store, httpserver, tagging
):
    add_feeds(store, httpserver, "/feed")
    httpserver.expect_request("/feed").respond_with_handler(etag_handler(numbered_feed(5), '"v1"'))
    [first] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (first.status, first.new_items, first.entries) == ("ok", 5, 5)
    assert count(store) == 5

    [second] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (second.status, second.new_items) == ("not_modified", 0)
    assert count(store) == 5
    assert httpserver.log[-1][0].headers.get("If-None-Match") == '"v1"'

    httpserver.clear_all_handlers()
    httpserver.expect_request("/feed").respond_with_handler(etag_handler(numbered_feed(7), '"v2"'))
    [third] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert (third.status, third.new_items, third.entries) == ("ok", 2, 7)
    assert count(store) == 7
    assert read.list_feeds(store)[0].etag == '"v2"'


def test_stored_items_are_normalized_and_tagged_with_evidence(store, httpserver, tagging):
    add_feeds(store, httpserver, "/feed")
    httpserver.expect_request("/feed").respond_with_data(
        numbered_feed(1), content_type="application/rss+xml"
    )
    run_due_feeds(store, CFG, tagging, all_enabled=True)
    with store.connect() as conn:
        row = conn.execute(select(items)).mappings().one()
        tags = conn.execute(select(item_tags)).mappings().all()
    assert row["url"] == "https://news.example/item/0", "tracking parameters dropped"
    assert "<p>" not in row["summary"] and row["summary"].startswith("Сообщение")
    assert row["published_at"].tzinfo is not None and row["lang"] == "ru"
    assert row["relevant"] is True and row["lexicon_version"] == tagging.version
    by_axis = {(t["axis"], t["value"]) for t in tags}
    assert ("category", "terrorist_activity") in by_axis
    assert ("region", "KZ-15") in by_axis, "Актобе is in Aktobe region"
    text = row["title"] + "\n" + row["summary"]
    for tag in tags:
        for evidence in json.loads(tag["terms"]):
            assert text[evidence["start"] : evidence["end"]].strip(), "span points at real words"


def test_duplicate_guids_and_cross_feed_duplicates_are_folded(store, httpserver, tagging):
    add_feeds(store, httpserver, "/a", "/b")
    same_guid_twice = rss([rss_item(1, prefix="a"), rss_item(2, prefix="a", guid="a-1")])
    httpserver.expect_request("/a").respond_with_data(same_guid_twice)
    # Feed b republishes a's item 1 verbatim (same URL and text) plus one of its own.
    httpserver.expect_request("/b").respond_with_data(
        rss([rss_item(1, prefix="a", guid="b-copy"), rss_item(9, prefix="b")])
    )
    # One at a time, a before b, so the expected survivors are well defined.
    sequential = replace(CFG, concurrency=1)
    runs = runs_by_feed(run_due_feeds(store, sequential, tagging, all_enabled=True))
    assert (runs["a"].new_items, runs["b"].new_items) == (1, 1)
    assert count(store) == 2


def slow_drip(request: Request) -> Response:
    def body():
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>'
        for _ in range(30):
            time.sleep(0.25)
            yield b" "

    return Response(body(), content_type="application/rss+xml")


def test_each_bad_feed_records_its_error_and_the_good_feeds_are_stored(
    store, threaded_httpserver, tagging
):
    paths = [
        "/good-1",
        "/malformed",
        "/html",
        "/huge",
        "/slow",
        "/loop",
        "/e500",
        "/e429",
        "/empty",
        "/good-2",
    ]
    add_feeds(store, threaded_httpserver, *paths)
    threaded_httpserver.expect_request("/good-1").respond_with_data(numbered_feed(3, prefix="g1"))
    threaded_httpserver.expect_request("/good-2").respond_with_data(numbered_feed(4, prefix="g2"))
    threaded_httpserver.expect_request("/malformed").respond_with_data(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>broken</title>'
        b"<item><title>Unclosed <b>item</title></item><item><title>second"
    )
    threaded_httpserver.expect_request("/html").respond_with_data(
        b"<!DOCTYPE html><html><head><title>Site</title></head><body>Hello</body></html>",
        content_type="text/html",
    )
    threaded_httpserver.expect_request("/huge").respond_with_data(
        gzip.compress(b"<rss>" + b" " * 5_000_000 + b"</rss>"),
        headers={"Content-Encoding": "gzip"},
        content_type="application/rss+xml",
    )
    threaded_httpserver.expect_request("/slow").respond_with_handler(slow_drip)
    threaded_httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": threaded_httpserver.url_for("/loop")}
    )
    threaded_httpserver.expect_request("/e500").respond_with_data("boom", status=500)
    threaded_httpserver.expect_request("/e429").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"}
    )
    threaded_httpserver.expect_request("/empty").respond_with_data(b"")

    runs = runs_by_feed(run_due_feeds(store, CFG, tagging, all_enabled=True))

    assert runs["good-1"].new_items == 3 and runs["good-2"].new_items == 4
    expected_kinds = {
        "html": "not_a_feed",
        "huge": "too_large",
        "slow": "timeout",
        "loop": "too_many_redirects",
        "e500": "http_status",
        "e429": "http_status",
        "empty": "empty",
    }
    assert {name: runs[name].error_kind for name in expected_kinds} == expected_kinds
    for name in expected_kinds:
        assert runs[name].status == "error" and runs[name].error_message
    assert runs["malformed"].status == "ok" and runs["malformed"].warning, (
        "a bozo feed keeps what could be read, with the problem recorded"
    )
    feeds = {f.name: f for f in read.list_feeds(store)}
    assert feeds["e429"].next_due_at >= feeds["e429"].last_fetched_at + timedelta(seconds=3590)
    assert feeds["e500"].consecutive_errors == 1 and feeds["e500"].last_error_kind == "http_status"
    assert count(store, fetch_runs) == len(paths)
    assert count(store, fetch_runs, status="error") == len(expected_kinds)


def test_a_304_after_an_error_keeps_the_error_history(store, httpserver, tagging):
    add_feeds(store, httpserver, "/feed")
    httpserver.expect_request("/feed").respond_with_data("down", status=503)
    run_due_feeds(store, CFG, tagging, all_enabled=True)
    httpserver.clear_all_handlers()
    httpserver.expect_request("/feed").respond_with_data("", status=304)
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    feed = read.list_feeds(store)[0]
    assert run.status == "not_modified"
    assert (feed.last_status, feed.consecutive_errors) == ("not_modified", 0)
    assert feed.last_error_kind == "http_status" and "503" in feed.last_error


def test_wrong_declared_encoding_still_yields_readable_text(store, httpserver, tagging):
    add_feeds(store, httpserver, "/cp1251")
    body = rss([rss_item(1, title="Теракт предотвращен в Шымкенте")]).decode("utf-8")
    httpserver.expect_request("/cp1251").respond_with_data(
        body.encode("cp1251"), content_type="application/rss+xml; charset=utf-8"
    )
    [run] = run_due_feeds(store, CFG, tagging, all_enabled=True)
    with store.connect() as conn:
        title = conn.execute(select(items.c.title)).scalar_one()
    assert run.status == "ok"
    assert title == "Теракт предотвращен в Шымкенте"


def test_external_entities_never_leak_local_files_into_the_store(
    store, httpserver, tagging, tmp_path: Path
):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    add_feeds(store, httpserver, "/xxe")
    httpserver.expect_request("/xxe").respond_with_data(
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>x</title><item><title>Leak &xxe; here</title>'
        "<guid>x1</guid><description>body &xxe;</description></item></channel></rss>"
    )
    run_due_feeds(store, CFG, tagging, all_enabled=True)
    with store.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(select(items)).all() for v in row)
    assert "TOP-SECRET" not in stored


def test_a_disabled_feed_is_not_fetched(store, httpserver, tagging):
    ids = add_feeds(store, httpserver, "/on", "/off")
    write.set_feed_enabled(store, ids["/off"], False)
    httpserver.expect_request("/on").respond_with_data(numbered_feed(1))
    runs = run_due_feeds(store, CFG, tagging, all_enabled=True)
    assert [r.feed_name for r in runs] == ["on"]


def test_a_stop_request_lets_running_feeds_finish_and_skips_the_rest(store, httpserver, tagging):
    paths = [f"/f{n}" for n in range(6)]
    add_feeds(store, httpserver, *paths)
    for n, path in enumerate(paths):
        httpserver.expect_request(path).respond_with_data(numbered_feed(2, prefix=f"f{n}"))
    stop = StopFlag()
    cfg = replace(CFG, concurrency=1)
    runs = run_feeds(
        store,
        read.due_feeds(store, datetime.now(UTC), all_enabled=True),
        cfg,
        tagging,
        stop=stop,
        on_result=lambda run: stop.set(),
    )
    assert len(runs) == 1 and runs[0].new_items == 2
    assert count(store) == 2


class MidpointRandom(random.Random):
    """A random source that always answers the middle of its range, so due times are exact."""

    def random(self) -> float:
        return 0.5

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def test_a_batch_the_database_refuses_backs_the_feed_off_and_keeps_its_last_success(
    tmp_path, httpserver, tagging
):
    engine = make_engine(f"sqlite:///{tmp_path}/refuse.db")
    upgrade(engine)
    add_feeds(engine, httpserver, "/feed")
    httpserver.expect_request("/feed").respond_with_handler(etag_handler(numbered_feed(2), '"v1"'))
    run_due_feeds(engine, CFG, tagging, all_enabled=True)
    [before] = read.list_feeds(engine)

    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_items BEFORE INSERT ON items "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )
        )
    httpserver.clear_all_handlers()
    httpserver.expect_request("/feed").respond_with_handler(etag_handler(numbered_feed(4), '"v2"'))
    [run] = run_feeds(
        engine,
        read.due_feeds(engine, datetime.now(UTC), all_enabled=True),
        CFG,
        tagging,
        rng=MidpointRandom(),
    )
    [after] = read.list_feeds(engine)
    engine.dispose()

    assert (run.status, run.error_kind, run.new_items) == ("error", "store", 0)
    assert "disk says no" in run.error_message
    assert (after.last_status, after.consecutive_errors, after.last_error_kind) == (
        "error",
        1,
        "store",
    )
    interval = timedelta(minutes=CFG.interval_minutes)
    backed_off = next_due(after.last_fetched_at, interval, 1, None, MidpointRandom())
    assert after.next_due_at == backed_off, "one error: half to all of the interval, not a full one"
    assert (after.etag, after.last_success_at) == (before.etag, before.last_success_at)


class _FailsOnce:
    """A real tagger that raises on its 600th item once: the failure lands in the second
    part the parser process sends, after the first part was already tagged."""

    def __init__(self, inner) -> None:
        self.inner, self.calls, self.failed = inner, 0, False

    @property
    def version(self) -> str:
        return self.inner.version

    def tag(self, title, summary, lang):
        self.calls += 1
        if self.calls == 600 and not self.failed:
            self.failed = True
            raise RuntimeError("tagger broke")
        return self.inner.tag(title, summary, lang)


def test_a_failure_midway_through_a_feeds_parts_stores_none_of_it_and_the_next_run_all(
    store, httpserver, tagging
):
    add_feeds(store, httpserver, "/feed")
    httpserver.expect_request("/feed").respond_with_data(
        numbered_feed(1200), content_type="application/rss+xml"
    )
    flaky = _FailsOnce(tagging)
    cfg = replace(CFG, limits=replace(CFG.limits, max_bytes=2_000_000))
    [failed] = run_due_feeds(store, cfg, flaky, all_enabled=True)
    assert (failed.status, failed.error_kind) == ("error", "internal")
    assert "tagger broke" in (failed.error_message or "")
    assert count(store) == 0

    [stored] = run_due_feeds(store, cfg, flaky, all_enabled=True)
    assert (stored.status, stored.new_items, stored.entries) == ("ok", 1200, 1200)
    assert count(store) == 1200
