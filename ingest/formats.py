"""Which parser reads a source: the dispatch on a feed's `format`.

Every format turns a fetched document into the same `ParsedFeed` of
`RawEntry` records that the RSS/Atom/RDF path produces, so normalization,
tagging, story grouping, dedup and feed health stay shared. `parse_source` is
pure (bytes and headers in, records out, or a `FeedError`);
`parse_source_bounded` runs it in the capped child process like feeds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ingest.errors import ErrorKind, FeedError
from ingest.parse import ParsedFeed, parse_feed

Parser = Callable[[bytes, Mapping[str, str], str], ParsedFeed]


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
