"""Request-side rules that need no server: URL checks and Retry-After parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from ingest.errors import ErrorKind, FeedError
from ingest.fetch import FetchLimits, FetchResult, fetch_feed, parse_retry_after

NOW = datetime(2024, 3, 4, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.kz/feed.xml",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "mailto:editor@example.kz",
        "data:text/xml,<rss/>",
        "gopher://example.kz/",
        "",
        "not a url",
        "http://",
        "//example.kz/feed",
    ],
)
def test_only_http_and_https_urls_are_fetched(url: str) -> None:
    with pytest.raises(FeedError) as caught:
        fetch_feed(url, FetchLimits(deadline=2.0))
    assert caught.value.kind is ErrorKind.BAD_URL


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 3600 ", 3600.0),
        ("999999999999", 86400.0),  # capped at a day
        (format_datetime(NOW + timedelta(minutes=30), usegmt=True), 1800.0),
        (format_datetime(NOW - timedelta(minutes=30), usegmt=True), 0.0),  # already passed
        (format_datetime(NOW + timedelta(days=30), usegmt=True), 86400.0),
        ("Mon, 04 Mar 2024 13:00:00", 3600.0),  # no zone: taken as UTC
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_fetch_result_knows_not_modified() -> None:
    result = FetchResult("https://x/", 304, {}, b"", '"e"', None, 0, 0.1)
    assert result.not_modified
    assert not FetchResult("https://x/", 200, {}, b"<rss/>", None, None, 6, 0.1).not_modified
