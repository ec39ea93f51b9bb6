"""The ingest pipeline for one feed, and for all due feeds.

`collect_feed` reads top to bottom: fetch -> parse -> normalize -> tag, with no
database access, so it can run in worker threads. Parsing and normalizing run
in the bounded child process, which sends the items in parts; this process
tags each part while the child normalizes the next. `run_due_feeds` runs it for
every due feed with bounded concurrency and stores each result from the
calling thread (the single writer): items, fetch run and feed state in one
transaction per feed. Every failure becomes a recorded `FetchRun`; nothing
escapes the per-feed loop.

Several ingest processes may share one database: each claims the feeds it
starts with a lease (`indicators/store/leases.py`), only as many as it has
free fetch slots, renews them while it fetches and ends each in the
transaction that stores the feed, so no feed is fetched by two workers.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from indicators.models import ItemRecord, Tags
from indicators.store import leases, read, write
from indicators.store.read import FeedRow
from ingest.errors import ErrorKind, FeedError
from ingest.fetch import FetchLimits, FetchResult, fetch_feed
from ingest.formats import Normalizing, parse_source_bounded, read_source_bounded
from ingest.parse import ParsedFeed, RawEntry
from ingest.schedule import StopFlag, next_due
from ingest.sources import FOLLOW
from ingest.stories import StoryIndex
from ingest.telegram import older_messages_url

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(days=3)


class Tagging(Protocol):
    """What the pipeline needs from the tagger: a version and a pure tag function."""

    @property
    def version(self) -> str: ...

    def tag(self, title: str, summary: str, lang: str | None) -> Tags: ...


@dataclass(frozen=True)
class IngestConfig:
    """The ingest settings, passed down from `threatmon.settings.Settings`."""

    limits: FetchLimits = field(default_factory=FetchLimits)
    parse_timeout: float = 20.0
    parse_memory_mb: int = 1024
    telegram_pages: int = 5  # preview pages read on a channel's first fetch
    sitemap_depth: int = 2  # levels of sitemap index followed below the listed URL
    interval_minutes: int = 30
    concurrency: int = 8
    worker_id: str = field(default_factory=lambda: default_worker_id())  # host:pid
    lease_seconds: float = 60.0  # a claimed feed is free again this long after its worker died


def default_worker_id() -> str:
    """This process as the team sees it in fetch runs and feed health: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Collected:
    """What fetching one feed produced, before storing."""

    status: str  # ok | not_modified | error
    items: tuple[ItemRecord, ...] = ()
    entries: int = 0
    http_status: int | None = None
    bytes: int = 0
    etag: str | None = None
    last_modified: str | None = None
    warning: str | None = None
    error: FeedError | None = None


@dataclass(frozen=True)
class FetchRun:
    """The outcome of one feed in one run, as shown in the summary table."""

    feed_id: int
    feed_name: str
    url: str
    status: str
    new_items: int
    entries: int
    duration_s: float
    http_status: int | None = None
    error_kind: str | None = None
    error_message: str | None = None
    warning: str | None = None


def collect_feed(feed: FeedRow, cfg: IngestConfig, tagging: Tagging, *, now: datetime) -> Collected:
    """Fetch, parse, normalize and tag one feed. Never raises."""
    http_status: int | None = None
    size = 0
    try:
        fetched = fetch_feed(feed.url, cfg.limits, etag=feed.etag, last_modified=feed.last_modified)
        http_status, size = fetched.status, fetched.bytes_read
        if fetched.not_modified:
            return Collected("not_modified", http_status=http_status)
        records: list[ItemRecord] = []

        def tag_part(part: list[ItemRecord]) -> None:
            records.extend(replace(i, tags=tagging.tag(i.title, i.summary, i.lang)) for i in part)

        # A channel's first read walks its older pages before normalizing: the parent does it.
        follow_pages = feed.format == "telegram" and feed.last_success_at is None
        normalizing = Normalizing(feed.language or None, now)
        read = read_source_bounded(
            feed.format,
            fetched.body,
            fetched.headers,
            fetched.url,
            feed.selectors,
            None if follow_pages else normalizing,
            tag_part,
            timeout=cfg.parse_timeout,
            memory_mb=cfg.parse_memory_mb,
        )
        parsed, entries = read.parsed, read.entries
        if entries is None:  # normalized here: more documents first, or older pages
            if parsed.more:
                parsed, size = _follow_sitemaps(
                    parsed,
                    fetched.url,
                    cfg,
                    size,
                    since=feed.last_success_at,
                    follow=dict(feed.selectors).get(FOLLOW),
                )
            if follow_pages:
                parsed, size = _older_telegram_pages(parsed, fetched.body, fetched.url, cfg, size)
            tag_part(list(normalizing.items(parsed, fetched.url)))
            entries = len(parsed.entries)
        warning = parsed.warning
        if parsed.repaired_encoding:
            note = f"declared encoding was wrong; decoded as {parsed.encoding}"
            warning = f"{warning}; {note}" if warning else note
        return Collected(
            "ok",
            tuple(records),
            entries=entries,
            http_status=http_status,
            bytes=size,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            warning=warning,
        )
    except FeedError as exc:
        return Collected("error", http_status=exc.http_status or http_status, bytes=size, error=exc)
    except Exception as exc:  # a bug: record it on the feed, keep the other feeds going
        log.exception("unexpected failure on feed %s", feed.url)
        error = FeedError(ErrorKind.INTERNAL, f"internal error: {type(exc).__name__}: {exc}")
        return Collected("error", http_status=http_status, bytes=size, error=error)


def _fetch_parsed(url: str, fmt: str, cfg: IngestConfig) -> tuple[FetchResult, ParsedFeed]:
    """One follow-up page of a source (an older Telegram page, a child sitemap): the same
    safe fetch and bounded parser as the source's first URL, without a conditional GET."""
    fetched = fetch_feed(url, cfg.limits)
    page = parse_source_bounded(
        fmt,
        fetched.body,
        fetched.headers,
        fetched.url,
        timeout=cfg.parse_timeout,
        memory_mb=cfg.parse_memory_mb,
    )
    return fetched, page


def _older_telegram_pages(
    first: ParsedFeed, body: bytes, url: str, cfg: IngestConfig, size: int
) -> tuple[ParsedFeed, int]:
    """Follow a channel preview's "older messages" links, up to `cfg.telegram_pages` pages.

    Only on a channel's first fetch: afterwards the newest page holds every new
    message. A page seen before ends the walk (endless pagination), and a
    failing older page keeps what was read, with a warning.
    """
    entries = list(first.entries)
    seen_pages = {url}
    seen_guids = {e.guid for e in entries}
    warning = first.warning
    for _ in range(cfg.telegram_pages - 1):
        older = older_messages_url(body, url)
        if older is None or older in seen_pages:
            break
        seen_pages.add(older)
        try:
            fetched, page = _fetch_parsed(older, "telegram", cfg)
        except FeedError as exc:
            warning = f"older messages at {older} not read: {exc.kind.value}: {exc.message}"
            break
        size += fetched.bytes_read
        fresh = [e for e in page.entries if e.guid not in seen_guids]
        if not fresh:
            break
        seen_guids.update(e.guid for e in fresh)
        entries.extend(fresh)
        body, url = fetched.body, fetched.url
    return replace(first, entries=tuple(entries), warning=warning), size


MAX_SITEMAP_FILES = 50  # child sitemaps read per source and run, whatever the depth
# A child sitemap whose <lastmod> is this much older than the source's last successful
# read is taken as read already: the slack covers the outlet's clock against ours.
LASTMOD_SLACK = timedelta(hours=1)


def _unchanged(modified: datetime | None, since: datetime | None) -> bool:
    """Did the index say this child last changed before the source was last read?"""
    return modified is not None and since is not None and modified < since - LASTMOD_SLACK


def _follow_sitemaps(
    index: ParsedFeed,
    url: str,
    cfg: IngestConfig,
    size: int,
    *,
    since: datetime | None = None,
    follow: str | None = None,
) -> tuple[ParsedFeed, int]:
    """Read the sitemaps a sitemap index names, `cfg.sitemap_depth` levels down at most.

    Bounded twice: by depth and by `MAX_SITEMAP_FILES` documents, each through
    the same safe fetch and bounded parser. A child the index dates before the
    source's last successful read (`since`) is not fetched again: an outlet's
    index often lists years of monthly sitemaps, and only the newest change.
    With `follow` (the source's selector), only sitemaps whose URL contains it
    are read: an index that mixes news sitemaps with sitemaps of every page.
    A child that fails is skipped with a warning; an index that yields no
    article at all is an error, unless every child was skipped as unchanged.
    """
    entries: dict[str | None, RawEntry] = {e.link: e for e in index.entries}
    seen, problems = {url}, list[str]()
    frontier = list(zip(index.more, _dates(index), strict=True))
    files = unchanged = left_out = 0
    for _level in range(cfg.sitemap_depth):
        deeper: list[tuple[str, datetime | None]] = []
        for child, modified in _newest_first(frontier):
            if child in seen:
                continue
            if follow and follow not in child:
                left_out += 1
                seen.add(child)
                continue
            if _unchanged(modified, since):
                unchanged += 1
                seen.add(child)
                continue
            if files >= MAX_SITEMAP_FILES:
                problems.append(f"more than {MAX_SITEMAP_FILES} sitemaps listed; the rest skipped")
                break
            seen.add(child)
            files += 1
            try:
                fetched, page = _fetch_parsed(child, "sitemap", cfg)
            except FeedError as exc:
                problems.append(f"{child}: {exc.kind.value}: {exc.message}")
                continue
            size += fetched.bytes_read
            entries.update((e.link, e) for e in page.entries if e.link not in entries)
            deeper.extend(zip(page.more, _dates(page), strict=True))
        frontier = deeper
        if not frontier or files >= MAX_SITEMAP_FILES:
            break
    else:
        if frontier:
            problems.append(f"sitemap index nested deeper than {cfg.sitemap_depth}: not followed")
    if follow and left_out and not files and not unchanged:
        problems.append(f"none of the {left_out} sitemaps listed has {follow!r} in its URL")
    warning = "; ".join(problems)[:500] or None
    if not entries and not (unchanged and not problems):
        raise FeedError(
            ErrorKind.NOT_A_FEED,
            f"sitemap index {url} gave no news articles: {warning or 'it lists no sitemaps'}",
        )
    return (
        replace(index, entries=tuple(entries.values()), more=(), more_modified=(), warning=warning),
        size,
    )


def _newest_first(
    children: list[tuple[str, datetime | None]],
) -> list[tuple[str, datetime | None]]:
    """The most recently changed sitemaps first (undated ones after, in listed order), so
    the per-run cap keeps the newest articles of an index of years of sitemaps."""
    dated: list[tuple[str, datetime]] = [(u, when) for u, when in children if when is not None]
    dated.sort(key=lambda child: child[1], reverse=True)
    ordered: list[tuple[str, datetime | None]] = [*dated]
    return ordered + [(u, when) for u, when in children if when is None]


def _dates(page: ParsedFeed) -> tuple[datetime | None, ...]:
    """`page.more_modified`, or no dates at all where the parser gave none."""
    return page.more_modified or (None,) * len(page.more)


def feed_state_after(
    feed: FeedRow, result: Collected, cfg: IngestConfig, *, now: datetime, rng: random.Random
) -> write.FeedState:
    """The feed row's new health and next due time (pure).

    Validators (ETag / Last-Modified) change only with a successfully parsed
    body, and they are written in the same transaction as its items. An error
    keeps the old validators and the last success time; a 304 keeps the last
    error message as history but ends the error streak.
    """
    interval = timedelta(minutes=feed.interval_minutes or cfg.interval_minutes)
    if result.error is not None:
        errors = feed.consecutive_errors + 1
        return write.FeedState(
            last_fetched_at=now,
            last_status="error",
            next_due_at=next_due(now, interval, errors, result.error.retry_after, rng),
            consecutive_errors=errors,
            last_http_status=result.http_status,
            last_error_kind=result.error.kind.value,
            last_error=result.error.message,
        )
    return write.FeedState(
        last_fetched_at=now,
        last_status=result.status,
        next_due_at=next_due(now, interval, 0, None, rng),
        consecutive_errors=0,
        last_http_status=result.http_status,
        last_error_kind=feed.last_error_kind,
        last_error=feed.last_error,
        last_success_at=now,
        etag=result.etag,
        last_modified=result.last_modified,
        keep_validators=result.status == "not_modified",
    )


class StoryGrouper:
    """Assigns story ids from an index of recent titles, kept in step with commits."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.index = StoryIndex()
        self.newest_id = 0
        self.reload(engine, now)

    def reload(self, engine: Engine, now: datetime) -> None:
        """Rebuild from the store (after a rolled-back batch left ids that do not exist)."""
        self.index = StoryIndex()
        self.newest_id = read.newest_item_id(engine)  # first: a later item is caught up
        for story_id, signature in read.recent_story_keys(engine, now - STORY_WINDOW):
            self.index.add(story_id, signature)

    def catch_up(self, engine: Engine) -> None:
        """Learn the stories stored since the last look (by other ingest workers too)."""
        keys, self.newest_id = read.story_keys_after(engine, self.newest_id)
        for story_id, signature in keys:
            self.index.add(story_id, signature)

    def assign(self, item_id: int, item: ItemRecord) -> int:
        story_id = item_id
        if item.story_key:
            story_id = self.index.find(item.story_key) or item_id
            self.index.add(story_id, item.story_key)
        return story_id


def store_collected(
    engine: Engine,
    feed: FeedRow,
    result: Collected,
    cfg: IngestConfig,
    *,
    started_at: datetime,
    duration_s: float,
    lexicon_version: str,
    stories: StoryGrouper,
    rng: random.Random,
) -> FetchRun:
    """Write one feed's result atomically; a store failure is recorded as the feed's error.

    The feed's new state comes from `feed_state_after` for the result actually
    recorded, so a refused batch backs the feed off like any other error.
    """
    error = result.error
    now = datetime.now(UTC)

    def run_record(res: Collected, err: FeedError | None) -> write.FetchRunRecord:
        return write.FetchRunRecord(
            started_at=started_at,
            duration_ms=duration_s * 1000,
            status=res.status,
            http_status=res.http_status,
            bytes=res.bytes,
            entries=res.entries,
            error_kind=err.kind.value if err else None,
            error_message=err.message if err else None,
            warning=res.warning,
            worker_id=cfg.worker_id,
        )

    try:
        stories.catch_up(engine)
        new_ids = write.store_feed_batch(
            engine,
            feed.id,
            result.items,
            run_record(result, error),
            feed_state_after(feed, result, cfg, now=now, rng=rng),
            lexicon_version=lexicon_version,
            assign_story=stories.assign,
            worker=cfg.worker_id,
        )
    except Exception as exc:
        log.exception("storing feed %s failed", feed.url)
        error = FeedError(ErrorKind.STORE, f"database refused the batch: {exc}")
        failed = Collected(
            "error",
            http_status=result.http_status,
            bytes=result.bytes,
            entries=result.entries,
            error=error,
        )
        stories.reload(engine, started_at)
        write.store_feed_batch(
            engine,
            feed.id,
            (),
            run_record(failed, error),
            feed_state_after(feed, failed, cfg, now=now, rng=rng),
            lexicon_version=lexicon_version,
            worker=cfg.worker_id,
        )
        new_ids = []
        result = failed
    return FetchRun(
        feed_id=feed.id,
        feed_name=feed.name,
        url=feed.url,
        status=result.status,
        new_items=len(new_ids),
        entries=result.entries,
        duration_s=duration_s,
        http_status=result.http_status,
        error_kind=error.kind.value if error else None,
        error_message=error.message if error else None,
        warning=result.warning,
    )


FeedSupply = Callable[[int], list[FeedRow]]
"""Given the number of free fetch slots, the feeds to start now (fewer: none left for now)."""


def run_feeds(
    engine: Engine,
    feeds: Sequence[FeedRow],
    cfg: IngestConfig,
    tagging: Tagging,
    *,
    stop: StopFlag | None = None,
    on_result: Callable[[FetchRun], None] | None = None,
    rng: random.Random | None = None,
) -> list[FetchRun]:
    """Fetch the given `feeds` (no leases taken) with bounded concurrency; store each result.

    For tests and tools that name their feeds; the ingest commands claim
    theirs (`run_due_feeds`, `run_every_feed_once`).
    """
    queue = list(feeds)

    def supply(slots: int) -> list[FeedRow]:
        taken = queue[:slots]
        del queue[:slots]
        return taken

    return _run(engine, supply, cfg, tagging, stop=stop, on_result=on_result, rng=rng)


def _run(
    engine: Engine,
    supply: FeedSupply,
    cfg: IngestConfig,
    tagging: Tagging,
    *,
    stop: StopFlag | None = None,
    on_result: Callable[[FetchRun], None] | None = None,
    rng: random.Random | None = None,
    leased: bool = False,
    wait_for: Callable[[], bool] | None = None,
    keep_alive: Callable[[], None] | None = None,
) -> list[FetchRun]:
    """The fetch loop: start feeds from `supply` while slots are free, store each result.

    When `stop` is set, no new feed starts; the ones in flight finish and are
    stored, so a shutdown never leaves a half-written batch. `leased`: the
    feeds come with leases, renewed every third of `cfg.lease_seconds` while
    they are fetched, and any left are released when the loop ends. With
    nothing in flight and nothing to claim, `wait_for()` true means other
    workers still hold wanted feeds: poll again shortly (their feeds are
    either finished by them or, when their lease runs out, claimed here).
    `keep_alive` is called as often as leases are renewed, while fetching
    and while waiting (the `--once` cycle's lease).
    """
    rng = rng or random.Random()
    slots = max(1, cfg.concurrency)
    stories = StoryGrouper(engine, datetime.now(UTC))
    runs: list[FetchRun] = []
    in_flight: dict[Future[Collected], tuple[FeedRow, datetime, float]] = {}
    renew_every = max(cfg.lease_seconds / 3, 0.2)
    last_renewal = time.monotonic()
    exhausted = rechecked = False
    try:
        with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="fetch") as pool:
            while True:
                stopping = bool(stop and stop.is_set())
                if not stopping and not exhausted and len(in_flight) < slots:
                    wanted = slots - len(in_flight)
                    started_feeds = supply(wanted)
                    exhausted = len(started_feeds) < wanted
                    rechecked = rechecked and not started_feeds
                    for feed in started_feeds:
                        started = datetime.now(UTC)
                        future = pool.submit(collect_feed, feed, cfg, tagging, now=started)
                        in_flight[future] = (feed, started, time.monotonic())
                if not in_flight:
                    if stopping or wait_for is None:
                        break
                    if not wait_for():
                        if rechecked:
                            break
                        exhausted, rechecked = False, True  # last claim: a lease just ran out?
                        continue
                    if keep_alive and time.monotonic() - last_renewal >= renew_every:
                        keep_alive()
                        last_renewal = time.monotonic()
                    time.sleep(min(0.5, renew_every))
                    exhausted = rechecked = False
                    continue
                done, _ = wait(in_flight, timeout=renew_every, return_when=FIRST_COMPLETED)
                if leased and time.monotonic() - last_renewal >= renew_every:
                    _renew(engine, cfg, [feed.id for feed, _, _ in in_flight.values()])
                    if keep_alive:
                        keep_alive()
                    last_renewal = time.monotonic()
                for future in done:
                    feed, started, t0 = in_flight.pop(future)
                    run = store_collected(
                        engine,
                        feed,
                        future.result(),
                        cfg,
                        started_at=started,
                        duration_s=time.monotonic() - t0,
                        lexicon_version=tagging.version,
                        stories=stories,
                        rng=rng,
                    )
                    runs.append(run)
                    if on_result:
                        on_result(run)
    finally:
        if leased:  # after a failure: another worker may take them at once
            try:
                leases.release_feeds(engine, cfg.worker_id)
            except Exception:
                log.exception("could not release this worker's feed leases; they expire")
    return runs


def _renew(engine: Engine, cfg: IngestConfig, feed_ids: list[int]) -> None:
    """Extend the leases of the feeds still being fetched; a failing store is only logged
    (the fetch goes on, and another worker may take the feed when the lease ends)."""
    try:
        leases.renew_feeds(engine, cfg.worker_id, feed_ids, _lease_end(cfg))
    except Exception:
        log.exception("renewing feed leases failed")


def _lease_end(cfg: IngestConfig) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=cfg.lease_seconds)


def _claimer(
    engine: Engine, cfg: IngestConfig, fetched_before: datetime | None = None
) -> FeedSupply:
    def supply(slots: int) -> list[FeedRow]:
        now = datetime.now(UTC)
        return leases.claim_feeds(
            engine,
            cfg.worker_id,
            now,
            now + timedelta(seconds=cfg.lease_seconds),
            limit=slots,
            fetched_before=fetched_before,
        )

    return supply


def run_due_feeds(
    engine: Engine,
    cfg: IngestConfig,
    tagging: Tagging,
    *,
    all_enabled: bool = False,
    stop: StopFlag | None = None,
    on_result: Callable[[FetchRun], None] | None = None,
) -> list[FetchRun]:
    """Claim and run the feeds that are due now, as many at a time as there are slots.

    Feeds other workers hold are left to them. `all_enabled`: every enabled
    feed not fetched since this call began, due or not (`run_every_feed_once`
    also waits for the ones other workers hold).
    """
    before = datetime.now(UTC) if all_enabled else None
    return _run(
        engine,
        _claimer(engine, cfg, before),
        cfg,
        tagging,
        stop=stop,
        on_result=on_result,
        leased=True,
    )


def run_every_feed_once(
    engine: Engine,
    cfg: IngestConfig,
    tagging: Tagging,
    *,
    since: datetime,
    stop: StopFlag | None = None,
    on_result: Callable[[FetchRun], None] | None = None,
    on_wait: Callable[[list[leases.HeldFeed]], None] | None = None,
    on_cycle: Callable[[datetime], None] | None = None,
) -> list[FetchRun]:
    """`ingest --once`: every enabled feed fetched once in the team's cycle, by this worker
    or another.

    The cycle is the one in progress when this worker starts (another
    worker's, begun earlier) or a new one begun at `since`
    (`leases.join_once_cycle`). Claims the enabled feeds not fetched since the
    cycle began until none is left; while other workers still hold some,
    waits: they either store them or die, and then their leases run out and
    the feeds are claimed here. So several `--once` workers started around
    the same time, on one machine or by cron on several, fetch each feed
    exactly once; the worker that finds nothing left ends the cycle.
    `on_wait` hears which feeds are waited for (each time the set changes);
    `on_cycle` hears the start of the cycle joined.
    """
    since = leases.join_once_cycle(engine, cfg.worker_id, since, _lease_end(cfg))
    if on_cycle is not None:
        on_cycle(since)
    shown: list[list[int]] = [[]]

    def others_hold_some() -> bool:
        held = leases.held_elsewhere(engine, cfg.worker_id, datetime.now(UTC), fetched_before=since)
        if on_wait is not None and held and [h.id for h in held] != shown[0]:
            on_wait(held)
        shown[0] = [h.id for h in held]
        return bool(held)

    def keep_alive() -> None:
        try:
            leases.renew_once_cycle(engine, since, _lease_end(cfg))
        except Exception:
            log.exception("renewing the --once cycle failed")

    runs = _run(
        engine,
        _claimer(engine, cfg, since),
        cfg,
        tagging,
        stop=stop,
        on_result=on_result,
        leased=True,
        wait_for=others_hold_some,
        keep_alive=keep_alive,
    )
    if not (stop and stop.is_set()):  # nothing left to fetch or wait for: the cycle is done
        leases.end_once_cycle(engine, since, datetime.now(UTC))
    return runs
