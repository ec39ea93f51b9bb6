"""The small, closed set of ways fetching a feed can fail.

Every failure in the pipeline becomes a `FeedError(kind, message)`; the
orchestrator records it on the fetch run and on the feed row. Nothing else
escapes the per-feed loop.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a fetch produced no items. Stored as text in `fetch_runs.error_kind`."""

    TIMEOUT = "timeout"  # connect timeout or total deadline exceeded
    NETWORK = "network"  # DNS failure, refused, reset, TLS error
    BLOCKED_HOST = "blocked_host"  # private/loopback/link-local/metadata address refused
    BAD_URL = "bad_url"  # not http(s), malformed, or redirect to such
    TOO_MANY_REDIRECTS = "too_many_redirects"
    HTTP_STATUS = "http_status"  # 4xx/5xx (429/503 honour Retry-After)
    TOO_LARGE = "too_large"  # body past the cap, or a lying Content-Length
    EMPTY = "empty"  # empty body
    NOT_A_FEED = "not_a_feed"  # an HTML page or other non-feed document
    UNSAFE_XML = "unsafe_xml"  # entity declarations that could not be stripped safely
    ENCODING = "encoding"  # text could not be decoded into readable characters
    PARSE = "parse"  # the parser failed, crashed, or ran out of time/memory
    STRUCTURE_CHANGED = "structure_changed"  # an html source's selectors match nothing
    STORE = "store"  # the database refused the batch
    INTERNAL = "internal"  # a bug: any other exception, caught per feed


class FeedError(Exception):
    """A recorded, expected failure of one feed: a kind plus a message for humans."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after  # seconds, from a Retry-After header

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to cross a process boundary (pickle).
        return (_rebuild, (self.kind, self.message, self.http_status, self.retry_after))

    def __repr__(self) -> str:
        return f"FeedError({self.kind.value!r}, {self.message!r})"


def _rebuild(
    kind: ErrorKind, message: str, http_status: int | None, retry_after: float | None
) -> FeedError:
    return FeedError(kind, message, http_status=http_status, retry_after=retry_after)
