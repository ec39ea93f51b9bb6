"""Reads the pipeline needs: feeds, due feeds, recent story signatures, items to retag.

Aggregations for charts live in `queries.py`; this module serves ingest and
the command line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, or_, select

from indicators.store.schema import feeds, fetch_runs, items


@dataclass(frozen=True)
class FeedRow:
    """A feed as stored, with its health."""

    id: int
    url: str
    name: str
    language: str
    country: str
    kind: str
    interval_minutes: int | None
    enabled: bool
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None
    last_status: str | None
    last_http_status: int | None
    last_error_kind: str | None
    last_error: str | None
    last_success_at: datetime | None
    consecutive_errors: int
    next_due_at: datetime | None
    created_at: datetime
    format: str = "rss"  # rss | telegram | sitemap | html
    selectors_json: str | None = None  # format "html": {"item": css, ...}
    lease_owner: str | None = None  # the ingest worker fetching it now (leases.py)
    lease_until: datetime | None = None
    last_worker: str | None = None  # the worker of its last fetch

    @property
    def selectors(self) -> tuple[tuple[str, str], ...]:
        """The listing selectors as stored (format "html"), as FeedFields holds them."""
        return tuple(json.loads(self.selectors_json).items()) if self.selectors_json else ()


# The row's fields in column order; `selectors_json` reads the `selectors` column.
FEED_COLUMNS = [
    feeds.c["selectors" if name == "selectors_json" else name]
    for name in FeedRow.__dataclass_fields__
]


def list_feeds(engine: Engine) -> list[FeedRow]:
    with engine.connect() as conn:
        rows = conn.execute(select(*FEED_COLUMNS).order_by(feeds.c.id)).all()
    return [FeedRow(*row) for row in rows]


def get_feed(engine: Engine, feed_id: int) -> FeedRow | None:
    with engine.connect() as conn:
        row = conn.execute(select(*FEED_COLUMNS).where(feeds.c.id == feed_id)).first()
    return None if row is None else FeedRow(*row)


def due_feeds(engine: Engine, now: datetime, *, all_enabled: bool = False) -> list[FeedRow]:
    """Enabled feeds whose next due time has come (all enabled ones with `all_enabled`)."""
    query = select(*FEED_COLUMNS).where(feeds.c.enabled.is_(True))
    if not all_enabled:
        query = query.where(or_(feeds.c.next_due_at.is_(None), feeds.c.next_due_at <= now))
    query = query.order_by(feeds.c.next_due_at.is_not(None), feeds.c.next_due_at, feeds.c.id)
    with engine.connect() as conn:
        return [FeedRow(*row) for row in conn.execute(query).all()]


def recent_story_keys(engine: Engine, since: datetime) -> list[tuple[int, str]]:
    """(story_id, signature) of items published since `since`, for near-duplicate grouping."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(items.c.story_id, items.c.story_key).where(
                items.c.published_at >= since,
                items.c.story_key != "",
                items.c.story_id.is_not(None),
            )
        ).all()
    return [(int(r[0]), str(r[1])) for r in rows]


def newest_item_id(engine: Engine) -> int:
    """The largest item id (0 in an empty store)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(items.c.id), 0))).scalar_one())


def story_keys_after(engine: Engine, after_id: int) -> tuple[list[tuple[int, str]], int]:
    """(story_id, signature) of the items stored after item `after_id`, and the newest id.

    How one ingest worker learns the stories other workers stored since it
    last looked, so near-duplicates fetched by different workers still group.
    """
    with engine.connect() as conn:
        rows = conn.execute(
            select(items.c.id, items.c.story_id, items.c.story_key)
            .where(items.c.id > after_id)
            .order_by(items.c.id)
        ).all()
    keys = [(int(r[1]), str(r[2])) for r in rows if r[2] and r[1] is not None]
    return keys, max([after_id, *(int(r[0]) for r in rows)])


def item_counts(engine: Engine) -> dict[str, int]:
    """Headline counts: feeds, items, relevant items, stories, fetch runs."""
    with engine.connect() as conn:
        return {
            "feeds": conn.execute(select(func.count()).select_from(feeds)).scalar_one(),
            "items": conn.execute(select(func.count()).select_from(items)).scalar_one(),
            "relevant": conn.execute(
                select(func.count()).select_from(items).where(items.c.relevant.is_(True))
            ).scalar_one(),
            "stories": conn.execute(
                select(func.count(func.distinct(items.c.story_id)))
            ).scalar_one(),
            "fetch_runs": conn.execute(select(func.count()).select_from(fetch_runs)).scalar_one(),
        }


@dataclass(frozen=True)
class ItemText:
    id: int
    title: str
    summary: str
    lang: str


def items_to_retag(
    conn: Connection, lexicon_version: str, *, after_id: int, limit: int
) -> list[ItemText]:
    """The next `limit` items (by id, after `after_id`) not yet tagged with `lexicon_version`.

    Paging by id makes retag resumable: an interrupted run picks up the
    items that still carry another version.
    """
    rows = conn.execute(
        select(items.c.id, items.c.title, items.c.summary, items.c.lang)
        .where(items.c.id > after_id)
        .where(or_(items.c.lexicon_version.is_(None), items.c.lexicon_version != lexicon_version))
        .order_by(items.c.id)
        .limit(limit)
    ).all()
    return [ItemText(int(r[0]), r[1], r[2], r[3]) for r in rows]


def count_to_retag(engine: Engine, lexicon_version: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(items)
                .where(
                    or_(
                        items.c.lexicon_version.is_(None),
                        items.c.lexicon_version != lexicon_version,
                    )
                )
            ).scalar_one()
        )
