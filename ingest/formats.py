"""Which parser reads a source: the dispatch on a feed's `format`.

Every format turns a fetched document into the same `ParsedFeed` of
`RawEntry` records that the RSS/Atom/RDF path produces, so normalization,
tagging, story grouping, dedup and feed health stay shared. `parse_source` is
pure (bytes and headers in, records out, or a `FeedError`);
`parse_source_bounded` runs it in the capped child process like feeds.

`read_source_bounded` goes one step further in the same child: when the
document needs no follow-up fetch, it also normalizes the entries and sends
the items to the caller in parts of `ITEMS_PER_PART`, so that the caller can
tag one part while the child normalizes the next (normalizing and tagging
are each about a tenth of a millisecond per item, bench/bench_ingest.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from indicators.models import ItemRecord
from ingest.errors import ErrorKind, FeedError
from ingest.normalize import normalize_entry
from ingest.parse import ParsedFeed, parse_feed

Parser = Callable[[bytes, Mapping[str, str], str], ParsedFeed]
ITEMS_PER_PART = 250  # small enough that tagging starts early, large enough to pickle cheaply


def _parsers() -> dict[str, Parser]:
    from ingest.sitemap import parse_sitemap
    from ingest.telegram import parse_telegram

    return {"rss": parse_feed, "telegram": parse_telegram, "sitemap": parse_sitemap}


def parse_source(
    source_format: str,
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    selectors: tuple[tuple[str, str], ...] = (),
) -> ParsedFeed:
    """Parse one fetched document as `source_format`. Pure; raises only `FeedError`.

    `selectors` are an html source's CSS selectors (see `ingest.listing`).
    """
    try:
        if source_format == "html":
            from ingest.listing import parse_listing

            return parse_listing(body, headers, url, selectors)
        parser = _parsers().get(source_format)
        if parser is None:
            raise FeedError(ErrorKind.PARSE, f"format {source_format!r} is not supported")
        return parser(body, headers, url)
    except FeedError:
        raise
    except Exception as exc:  # a parser's crash or a bug of ours: still a recorded result
        raise FeedError(ErrorKind.PARSE, f"parser failed: {type(exc).__name__}: {exc}") from exc


def parse_source_bounded(
    source_format: str,
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    selectors: tuple[tuple[str, str], ...] = (),
    *,
    timeout: float = 20.0,
    memory_mb: int = 1024,
) -> ParsedFeed:
    """`parse_source` in a child process capped at `memory_mb` MiB and `timeout` seconds."""
    from ingest.bounded import run_bounded  # late: bounded preloads the parsers

    result = run_bounded(
        parse_source,
        (source_format, body, dict(headers), url, selectors),
        timeout=timeout,
        memory_mb=memory_mb,
    )
    assert isinstance(result, ParsedFeed)
    return result


@dataclass(frozen=True)
class Normalizing:
    """What normalizing a source's entries needs besides the entries (`normalize_entry`)."""

    feed_language: str | None  # the source's declared language, when the document has none
    fetched_at: datetime

    def items(self, parsed: ParsedFeed, url: str) -> Iterator[ItemRecord]:
        """The document's entries as items, in document order (entries with no text left out)."""
        language = parsed.language or self.feed_language
        for entry in parsed.entries:
            item = normalize_entry(
                entry, feed_language=language, base_url=url, fetched_at=self.fetched_at
            )
            if item is not None:
                yield item


@dataclass(frozen=True)
class SourceRead:
    """A document read by `read_source`.

    `entries` is None when the entries were left to the caller (`parsed.entries`
    holds them: normalizing was not asked for, or a sitemap index names more
    documents to read first); otherwise the entries were normalized and
    `parsed.entries` is empty, `entries` counts them (the items went to the
    caller in parts).
    """

    parsed: ParsedFeed
    entries: int | None = None


def read_source(
    source_format: str,
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    selectors: tuple[tuple[str, str], ...],
    normalizing: Normalizing | None,
    send: Callable[[list[ItemRecord]], None],
) -> SourceRead:
    """Parse one document and, unless `normalizing` is None or it names more documents,
    normalize its entries, sending the items to `send` in parts (in document order).

    Raises only `FeedError`; a failure while normalizing is an internal error
    (a bug of ours), as it is when the caller normalizes.
    """
    parsed = parse_source(source_format, body, headers, url, selectors)
    if normalizing is None or parsed.more:
        return SourceRead(parsed)
    part: list[ItemRecord] = []
    try:
        for item in normalizing.items(parsed, url):
            part.append(item)
            if len(part) >= ITEMS_PER_PART:
                send(part)
                part = []
    except Exception as exc:
        raise FeedError(
            ErrorKind.INTERNAL, f"internal error: {type(exc).__name__}: {exc} (normalizing)"
        ) from exc
    if part:
        send(part)
    return SourceRead(replace(parsed, entries=()), entries=len(parsed.entries))


def read_source_bounded(
    source_format: str,
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    selectors: tuple[tuple[str, str], ...],
    normalizing: Normalizing | None,
    on_items: Callable[[list[ItemRecord]], None],
    *,
    timeout: float = 20.0,
    memory_mb: int = 1024,
) -> SourceRead:
    """`read_source` in a child process capped at `memory_mb` MiB and `timeout` seconds.

    `on_items` receives each part of items here, in the caller's process, while
    the child works on the next. When this raises, the parts already received
    are incomplete: the caller must drop them.
    """
    from ingest.bounded import run_bounded  # late: bounded preloads the parsers

    result = run_bounded(
        read_source,
        (source_format, body, dict(headers), url, selectors, normalizing),
        timeout=timeout,
        memory_mb=memory_mb,
        on_part=on_items,
    )
    assert isinstance(result, SourceRead)
    return result
