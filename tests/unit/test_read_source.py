"""read_source: a document parsed and normalized in the capped child, its items sent in parts.

The child does what the caller would otherwise do itself (parse, then
`normalize_entry` each entry), so every test here compares with that; the
parts let the caller tag one part while the child normalizes the next.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from indicators.models import ItemRecord
from ingest.bounded import run_bounded
from ingest.errors import ErrorKind, FeedError
from ingest.formats import (
    ITEMS_PER_PART,
    Normalizing,
    SourceRead,
    parse_source,
    read_source,
    read_source_bounded,
)
from ingest.normalize import normalize_entry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
XML = {"content-type": "application/xml"}


# --- the streaming child process (ingest.bounded) ---------------------------------------


def _three_parts_then(value: str, send: Any) -> str:
    for n in range(3):
        send([n])
    return value


def _one_part_then_work(value: str, send: Any) -> str:
    send(["first"])
    time.sleep(2.0)  # still working when the caller is done with the part
    return value


def _parts_forever(send: Any) -> None:
    while True:
        send([0])
        time.sleep(0.01)


def _one_part_then_hang(send: Any) -> None:
    send(["first"])
    time.sleep(30)


def test_parts_reach_the_caller_in_order_before_the_result() -> None:
    seen: list[object] = []
    result = run_bounded(
        _three_parts_then, ("done",), timeout=10, memory_mb=512, on_part=seen.append
    )
    assert (seen, result) == ([[0], [1], [2]], "done")


def test_time_the_caller_spends_on_a_part_does_not_count_against_the_timeout() -> None:
    """The child waits 1.5 s on the caller, then works 2 s, of which 0.5 s are waited for."""

    def slow(part: object) -> None:
        time.sleep(1.5)

    result = run_bounded(_one_part_then_work, ("done",), timeout=1.0, memory_mb=512, on_part=slow)
    assert result == "done"


def test_a_child_that_never_stops_sending_is_killed_at_the_timeout() -> None:
    parts = 0

    def count(part: object) -> None:
        nonlocal parts
        parts += 1
        if parts > 500:  # about 5 s of parts: the timeout did not stop it
            raise RuntimeError("the child was not stopped")

    started = time.monotonic()
    with pytest.raises(FeedError) as caught:
        run_bounded(_parts_forever, (), timeout=0.5, memory_mb=512, on_part=count)
    assert caught.value.kind is ErrorKind.PARSE
    assert caught.value.message == "parser exceeded 0.5 s"
    assert time.monotonic() - started < 3.0


def test_a_failing_part_handler_stops_the_child_at_once() -> None:
    def refuse(part: object) -> None:
        raise RuntimeError("tagger broke")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="tagger broke"):
        run_bounded(_one_part_then_hang, (), timeout=60, memory_mb=512, on_part=refuse)
    assert time.monotonic() - started < 3.0  # killed, not waited for


# --- read_source: the same items as normalizing in the caller ----------------------------


def _caller_items(
    body: bytes, headers: dict[str, str], url: str, language: str | None
) -> list[ItemRecord]:
    parsed = parse_source("rss", body, headers, url)
    return [
        item
        for entry in parsed.entries
        if (
            item := normalize_entry(
                entry,
                feed_language=parsed.language or language,
                base_url=url,
                fetched_at=NOW,
            )
        )
        is not None
    ]


def _read(
    body: bytes, language: str | None, *, url: str = "https://example.kz/rss"
) -> tuple[SourceRead, list[list[ItemRecord]]]:
    parts: list[list[ItemRecord]] = []
    read = read_source_bounded(
        "rss", body, XML, url, (), Normalizing(language, NOW), parts.append, timeout=30
    )
    return read, parts


@pytest.mark.parametrize(
    "path",
    sorted((FIXTURES / "feeds" / "wellformed").glob("*.xml")),
    ids=lambda p: p.stem,
)
def test_a_fixture_feed_gives_the_items_the_caller_would_make(path: Path) -> None:
    body = path.read_bytes()
    read, parts = _read(body, "ru")
    parsed = parse_source("rss", body, XML, "https://example.kz/rss")
    assert [i for part in parts for i in part] == _caller_items(
        body, XML, "https://example.kz/rss", "ru"
    )
    assert read.entries == len(parsed.entries)
    assert read.parsed.entries == ()
    assert read.parsed == parsed.__class__(**{**vars(parsed), "entries": ()})


def _rss(items: int, language: str = "") -> bytes:
    entries = "".join(
        f"<item><title>Новость {n}: учения в Актобе</title><guid>g{n}</guid>"
        f"<link>/news/{n}</link><description>Текст новости номер {n}.</description></item>"
        for n in range(items)
    )
    head = f"<language>{language}</language>" if language else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://example.kz/</link>{head}{entries}</channel></rss>"
    ).encode()


def test_a_big_feed_arrives_in_parts_in_document_order() -> None:
    body = _rss(1001)
    read, parts = _read(body, None)
    assert len(parts) == math.ceil(1001 / ITEMS_PER_PART)
    assert all(len(part) == ITEMS_PER_PART for part in parts[:-1])
    items = [i for part in parts for i in part]
    assert [i.guid for i in items] == [f"g{n}" for n in range(1001)]
    assert items[7].url == "https://example.kz/news/7"  # relative links against the feed's URL
    assert items == _caller_items(body, XML, "https://example.kz/rss", None)
    assert read.entries == 1001


def test_the_documents_language_wins_and_the_sources_fills_in() -> None:
    """A headline too short to tell its language keeps the declared one."""
    short = b"<item><title>OK 2026</title><guid>a</guid></item>"

    def doc(language: str) -> bytes:
        head = f"<language>{language}</language>" if language else ""
        return (
            (
                '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                f"<link>https://example.kz/</link>{head}"
            ).encode()
            + short
            + b"</channel></rss>"
        )

    assert [i.lang for part in _read(doc(""), "kk")[1] for i in part] == ["kk"]
    assert [i.lang for part in _read(doc("en"), "kk")[1] for i in part] == ["en"]


def test_a_sitemap_index_is_left_to_the_caller() -> None:
    body = (
        b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://example.kz/news.xml</loc></sitemap></sitemapindex>"
    )
    parts: list[list[ItemRecord]] = []
    read = read_source_bounded(
        "sitemap",
        body,
        XML,
        "https://example.kz/index.xml",
        (),
        Normalizing(None, NOW),
        parts.append,
    )
    assert (read.entries, parts) == (None, [])
    assert read.parsed.more == ("https://example.kz/news.xml",)


def test_without_normalizing_the_entries_come_back_parsed() -> None:
    body = _rss(3)
    read = read_source_bounded("rss", body, XML, "https://example.kz/rss", (), None, print)
    assert read == SourceRead(parse_source("rss", body, XML, "https://example.kz/rss"))


def test_a_failure_while_normalizing_is_an_internal_error_not_a_parse_error() -> None:
    broken = Normalizing(None, cast(Any, "not a time"))  # a bug's stand-in: a wrong type
    with pytest.raises(FeedError) as caught:
        read_source("rss", _rss(2), XML, "https://example.kz/rss", (), broken, print)
    assert caught.value.kind is ErrorKind.INTERNAL
    assert caught.value.message.endswith("(normalizing)")


def test_a_document_that_does_not_parse_is_still_a_parse_error() -> None:
    with pytest.raises(FeedError) as caught:
        _read(b"plain words, no feed at all", "ru")
    assert caught.value.kind is ErrorKind.NOT_A_FEED
