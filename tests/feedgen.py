"""Builds small RSS 2.0 documents for pipeline tests (written for this project)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

BASE_TIME = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def rss_item(
    n: int,
    *,
    prefix: str = "item",
    guid: str | None = None,
    title: str | None = None,
    host: str = "news.example",
) -> str:
    when = format_datetime(BASE_TIME + timedelta(minutes=n), usegmt=True)
    title = title or f"{prefix} {n}: В Актобе задержаны сторонники ИГИЛ, номер {n}"
    return (
        "<item>"
        f"<title>{escape(title)}</title>"
        f"<link>https://{host}/{prefix}/{n}?utm_source=rss</link>"
        f'<guid isPermaLink="false">{escape(guid or f"{prefix}-{n}")}</guid>'
        f"<pubDate>{when}</pubDate>"
        f"<description>{escape(f'<p>Сообщение {prefix} номер {n}. КНБ провел операцию.</p>')}"
        "</description></item>"
    )


def rss(items: list[str], *, title: str = "Test feed", language: str = "ru") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example/</link>"
        f"<language>{language}</language>{''.join(items)}</channel></rss>"
    ).encode()


def numbered_feed(count: int, *, prefix: str = "item", start: int = 0) -> bytes:
    return rss([rss_item(n, prefix=prefix) for n in range(start, start + count)], title=prefix)
