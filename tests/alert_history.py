"""A store history for early-warning tests: quiet days, then a burst in the last 24 hours.

40 quiet days (10 filler items a day, a cyber-threat story in Almaty every
other day), then a window ending at `AT` with 8 such stories, 10 filler items
and the first TikTok story ever. Built through the real write path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from indicators.models import ItemRecord
from indicators.store import write
from tests.factories import make_item

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def quiet_history(days: int = 40) -> list[ItemRecord]:
    out = []
    for d in range(1, days + 1):
        when = AT - timedelta(days=d, hours=3)
        out += [make_item(f"Новости дня {d} номер {i}", published_at=when) for i in range(10)]
        if d % 2 == 0:
            out.append(
                make_item(
                    f"Кибератака в Алматы {d}",
                    published_at=when,
                    categories=("cyber_threats",),
                    regions=("KZ-75",),
                )
            )
    return out


def burst() -> list[ItemRecord]:
    out = [make_item(f"Новости окна {i}", published_at=AT - timedelta(hours=5)) for i in range(10)]
    out += [
        make_item(
            f"DDoS на банки Алматы {i}",
            published_at=AT - timedelta(hours=2, minutes=i),
            categories=("cyber_threats",),
            regions=("KZ-75",),
        )
        for i in range(8)
    ]
    out.append(
        make_item(
            "Вербовка через TikTok",
            published_at=AT - timedelta(hours=1),
            categories=("terrorist_activity",),
            platforms=("tiktok",),
        )
    )
    return out


def fill(engine: Engine, records: list[ItemRecord]) -> None:
    (feed,) = write.upsert_feeds(
        engine, [write.FeedFields(url="https://news.example/rss", name="N")]
    )
    with engine.begin() as conn:
        write.insert_items(conn, feed, records, lexicon_version="v1")
