"""The Telegram channel preview parser: each message a plain-text entry with its permanent link."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.errors import ErrorKind, FeedError
from ingest.formats import parse_source
from ingest.telegram import TITLE_CHARS, older_messages_url, parse_telegram

FIXTURES = Path(__file__).parents[1] / "fixtures" / "telegram"
PAGE = "http://127.0.0.1:8000/s/testchannel"
HTML = {"content-type": "text/html; charset=utf-8"}


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_each_message_with_text_is_an_entry_newest_first_with_its_permanent_link() -> None:
    parsed = parse_telegram(page("channel_page1.html"), HTML, PAGE)
    assert parsed.title == "Тестовый канал"
    assert [e.guid for e in parsed.entries] == [
        "https://t.me/testchannel/103",
        "https://t.me/testchannel/101",
    ]  # 102 is a photo without a caption: nothing to read
    assert [e.link for e in parsed.entries] == [e.guid for e in parsed.entries]
    assert [e.published for e in parsed.entries] == [
        datetime(2026, 12, 4, 7, 40, tzinfo=UTC),
        datetime(2026, 12, 4, 9, 15, tzinfo=UTC),
    ]


def test_forwarded_from_and_links_are_kept_as_plain_text_without_script_or_markup() -> None:
    entry = parse_telegram(page("channel_page1.html"), HTML, PAGE).entries[1]
    assert entry.title == "В Алматы задержаны подозреваемые в мошенничестве"
    assert entry.summary.splitlines() == [
        "Forwarded from Другой канал",
        "В Алматы задержаны подозреваемые в мошенничестве",
        "Подробности по ссылке: example.kz/news/1",
        "Links: https://example.kz/news/1?utm_source=tg",
    ]
    text = entry.title + entry.summary
    assert "alert" not in text and "<" not in text and "trackingPixel" not in text
    assert "color: red" not in text


def test_a_long_message_is_titled_by_its_first_line_cut_at_a_word() -> None:
    words = "слово " * 60
    body = (
        '<div class="tgme_widget_message" data-post="c/1">'
        f'<div class="tgme_widget_message_text">{words}<br>вторая строка</div>'
        '<a class="tgme_widget_message_date" href="https://t.me/c/1">'
        '<time datetime="2026-12-01T00:00:00+00:00"></time></a></div>'
    ).encode()
    [entry] = parse_telegram(body, HTML, PAGE).entries
    assert entry.title.endswith("слово…")
    assert len(entry.title) <= TITLE_CHARS + 1
    assert entry.summary.endswith("вторая строка")


def test_a_page_without_messages_is_not_a_channel_preview() -> None:
    with pytest.raises(FeedError) as caught:
        parse_telegram(b"<html><body><h1>Channel not found</h1></body></html>", HTML, PAGE)
    assert caught.value.kind is ErrorKind.NOT_A_FEED


def test_broken_markup_still_yields_the_messages_it_holds() -> None:
    broken = page("channel_page1.html")[:-400]  # cut off mid-document
    parsed = parse_telegram(broken, HTML, PAGE)
    assert "https://t.me/testchannel/101" in [e.guid for e in parsed.entries]


def test_the_older_messages_link_is_resolved_against_the_page() -> None:
    assert older_messages_url(page("channel_page1.html"), PAGE) == (
        "http://127.0.0.1:8000/s/testchannel?before=101"
    )
    assert older_messages_url(page("channel_page2.html"), PAGE) is None


def test_the_format_dispatch_sends_telegram_pages_to_the_telegram_parser() -> None:
    assert parse_source("telegram", page("channel_page2.html"), HTML, PAGE).entries[0].guid == (
        "https://t.me/testchannel/99"
    )
    with pytest.raises(FeedError) as caught:
        parse_source("rss", page("channel_page2.html"), HTML, PAGE)
    assert caught.value.kind is ErrorKind.NOT_A_FEED
