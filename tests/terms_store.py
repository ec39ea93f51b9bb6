"""A small store for emerging-terms tests: four weeks of relevant items, a new word in the last.

In the last week a new word ("квадрокоптер") appears in six relevant items, in
two different phrases, and a new name ("Северный ветер") in four; "теракт"
(which the lexicon knows) in all eight; "также" (a stop word) everywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from indicators.store import write
from tests.factories import make_item

LAST = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)  # the evening of the last day
FIRST = LAST - timedelta(days=27)  # four weeks: three earlier, one recent
CAT = ("counter_measures",)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def fill(engine: Engine) -> None:
    """20 earlier and 8 recent relevant items, plus irrelevant ones that must not count."""
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    batch = []
    for n in range(20):
        day = FIRST + timedelta(days=n)
        batch.append(
            make_item(
                f"Полиция провела рейд номер {n}",
                summary="Также проверены склады.",
                published_at=at(day),
                categories=CAT,
                regions=("KZ-75",),
            )
        )
    recent = LAST - timedelta(days=6)
    for n in range(8):
        summary = [
            "Квадрокоптер сбросил взрывчатку. Операция «Северный ветер». Также теракт.",
            "Замечен квадрокоптер над складом. Также теракт.",
            "Также теракт.",
        ][0 if n < 4 else 1 if n < 6 else 2]
        batch.append(
            make_item(
                f"Полиция сообщила о случае {n}",
                summary=summary,
                published_at=at(recent + timedelta(days=n % 7), hour=8 + n),
                categories=CAT,
                regions=("KZ-75",) if n < 4 else ("KZ-71",),
                # the newest one carries a link that must never become clickable
                url="javascript:alert(1)" if n == 5 else f"https://news.example/{n}",
            )
        )
    for n in range(5):  # irrelevant items with the new word: not counted
        batch.append(make_item(f"Квадрокоптер в магазине {n}", published_at=at(recent)))
    with engine.begin() as conn:
        write.insert_items(conn, feed, batch, lexicon_version="v1")
