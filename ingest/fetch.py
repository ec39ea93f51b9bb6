"""Fetch one feed URL safely: bounded in time, size, redirects and reachable addresses.

Feeds are untrusted input from servers we do not control, fetched from up to
eight threads. `fetch_feed` therefore

- follows redirects itself, re-checking scheme and host on every hop;
- connects only to addresses the network guard (`ingest.netguard`) checked at
  connect time, within one deadline for the whole exchange;
- reads the body through `ingest.http_body`, which counts it after
  gzip/deflate decompression while it streams;
- sends conditional GETs, maps HTTP statuses (and Retry-After) and turns
  every failure into `FeedError` with a kind and a readable message.

A caller may pass its own `client` instead; then host checks fall back to
resolving before each request (open to DNS rebinding) and the deadline to
checks between chunks and per-request timeouts.
"""

from __future__ import annotations

import email.utils
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

import httpx

from ingest.errors import ErrorKind, FeedError
from ingest.http_body import read_body
from ingest.netguard import (
    AddressPolicy,
    Deadline,
    allow_all,
    blocked_reason,
    check_host,
    guarded_client,
    port_of,
)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
ACCEPT_ENCODING = "gzip, deflate"
DEFAULT_USER_AGENT = "threatmon/0.1 (+https://github.com/threatmon/threatmon; news monitoring bot)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may cost; built from Settings by the caller."""

    connect_timeout: float = 10.0
    deadline: float = 30.0  # whole response: redirects, headers and body
    max_bytes: int = 10 * 1024 * 1024  # counted AFTER decompression
    max_redirects: int = 5
    allow_private_hosts: bool = False
    user_agent: str = DEFAULT_USER_AGENT


@dataclass(frozen=True)
class FetchResult:
    """A successful response (2xx) or a 304 Not Modified."""

    url: str  # final URL after redirects
    status: int  # 200..299 or 304
    headers: dict[str, str]  # lower-cased header names
    body: bytes  # decompressed; b"" on 304
    etag: str | None  # on a 304 without one, the ETag we sent (still valid)
    last_modified: str | None  # likewise
    bytes_read: int  # body bytes received on the wire (before decompression)
    elapsed: float  # seconds

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch_feed(
    url: str,
    limits: FetchLimits,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
) -> FetchResult:
    """GET a feed within `limits`; raises only `FeedError`.

    Sends If-None-Match / If-Modified-Since when given. Thread-safe: without
    `client`, every call uses its own short-lived client.
    """
    policy = allow_all if limits.allow_private_hosts else blocked_reason
    return _fetch_feed(url, limits, etag, last_modified, client, policy)


def _fetch_feed(
    url: str,
    limits: FetchLimits,
    etag: str | None,
    last_modified: str | None,
    client: httpx.Client | None,
    policy: AddressPolicy,
) -> FetchResult:
    """`fetch_feed` with the address policy as a parameter (tests narrow it)."""
    deadline = Deadline(limits.deadline)
    fetch = _Fetch(limits, etag, last_modified, deadline, policy)
    try:
        if client is not None:
            return fetch.follow(url, client, precheck=policy is not allow_all)
        with guarded_client(deadline, policy, limits.connect_timeout) as own:
            return fetch.follow(url, own, precheck=False)
    except FeedError:
        raise
    except httpx.TimeoutException as exc:
        raise _timeout_error(exc, deadline, limits) from exc
    except httpx.HTTPError as exc:
        raise FeedError(ErrorKind.NETWORK, _network_message(exc, fetch.current)) from exc
    except Exception as exc:  # a bug or an unforeseen library error: still a recorded result
        raise FeedError(
            ErrorKind.INTERNAL, f"unexpected error while fetching: {type(exc).__name__}: {exc}"
        ) from exc


# --- the redirect loop ----------------------------------------------------------------------


class _Fetch:
    """State of one fetch across its redirect hops."""

    def __init__(
        self,
        limits: FetchLimits,
        etag: str | None,
        last_modified: str | None,
        deadline: Deadline,
        policy: AddressPolicy,
    ) -> None:
        self.limits = limits
        self.etag = etag
        self.last_modified = last_modified
        self.deadline = deadline
        self.policy = policy
        self.current: httpx.URL | None = None

    def headers(self) -> dict[str, str]:
        headers = {
            "User-Agent": self.limits.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def follow(self, url: str, client: httpx.Client, *, precheck: bool) -> FetchResult:
        target = _http_url(url)
        seen = {str(target)}
        for hop in range(self.limits.max_redirects + 1):
            self.current = target
            if precheck:
                check_host(target, self.policy, self.deadline)
            request = client.build_request(
                "GET", target, headers=self.headers(), timeout=self.hop_timeout()
            )
            try:
                response = client.send(request, stream=True, follow_redirects=False)
            except httpx.InvalidURL as exc:  # httpx parses Location even when not following
                raise FeedError(
                    ErrorKind.BAD_URL,
                    f"redirect refused: {target} sent an unusable Location ({exc})",
                ) from exc
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    next_url = _redirect_target(target, location)
                    if str(next_url) in seen:
                        raise FeedError(
                            ErrorKind.TOO_MANY_REDIRECTS, f"redirect loop: {target} -> {next_url}"
                        )
                    if hop == self.limits.max_redirects:
                        raise FeedError(
                            ErrorKind.TOO_MANY_REDIRECTS,
                            f"more than {self.limits.max_redirects} redirects (last to {next_url})",
                        )
                    seen.add(str(next_url))
                    target = next_url
                    continue
                return self.finish(response)
            finally:
                response.close()
        raise AssertionError("unreachable: the loop returns or raises")

    def hop_timeout(self) -> httpx.Timeout:
        left = max(self.deadline.remaining(), 0.001)
        return httpx.Timeout(
            connect=min(self.limits.connect_timeout, left), read=left, write=left, pool=left
        )

    def finish(self, response: httpx.Response) -> FetchResult:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status == 304:
            return self.result(response, headers, b"", 0)
        if status >= 400:
            raise _status_error(response)
        if not 200 <= status < 300:
            raise FeedError(
                ErrorKind.HTTP_STATUS,
                f"unexpected HTTP {status} {_reason(response)}",
                http_status=status,
            )
        body, raw = read_body(response, headers, self.limits.max_bytes, self.deadline)
        if not body:
            raise FeedError(ErrorKind.EMPTY, f"HTTP {status} with an empty body")
        return self.result(response, headers, body, raw)

    def result(
        self, response: httpx.Response, headers: dict[str, str], body: bytes, raw: int
    ) -> FetchResult:
        return FetchResult(
            url=str(response.url),
            status=response.status_code,
            headers=headers,
            body=body,
            etag=headers.get("etag") or (self.etag if response.status_code == 304 else None),
            last_modified=headers.get("last-modified")
            or (self.last_modified if response.status_code == 304 else None),
            bytes_read=raw,
            elapsed=self.deadline.elapsed(),
        )


def _http_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FeedError(ErrorKind.BAD_URL, f"not a valid URL: {raw!r} ({exc})") from exc
    return _require_http(url, raw, "")


def _require_http(url: httpx.URL, shown: str, context: str) -> httpx.URL:
    if url.scheme not in ("http", "https"):
        raise FeedError(
            ErrorKind.BAD_URL, f"{context}only http and https URLs can be fetched, not {shown!r}"
        )
    if not url.host:
        raise FeedError(ErrorKind.BAD_URL, f"{context}URL without a host: {shown!r}")
    return url


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    try:
        target = current.join(location.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FeedError(
            ErrorKind.BAD_URL, f"redirect to an invalid URL: {location!r} ({exc})"
        ) from exc
    return _require_http(target, location, "redirect refused: ")


def _reason(response: httpx.Response) -> str:
    """The standard phrase for known codes (servers shout or localize theirs)."""
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason_phrase


def _status_error(response: httpx.Response) -> FeedError:
    status = response.status_code
    message = f"HTTP {status} {_reason(response)}".strip()
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
        if retry_after is not None:
            message += f" (retry after {retry_after:g} s)"
    return FeedError(ErrorKind.HTTP_STATUS, message, http_status=status, retry_after=retry_after)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta seconds or HTTP-date), capped at 24 h."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(min(int(value), int(MAX_RETRY_AFTER)))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


# --- errors ---------------------------------------------------------------------------------


def _timeout_error(
    exc: httpx.TimeoutException, deadline: Deadline, limits: FetchLimits
) -> FeedError:
    if deadline.passed() or not isinstance(exc, httpx.ConnectTimeout):
        return deadline.expired()
    return FeedError(
        ErrorKind.TIMEOUT, f"could not connect within {limits.connect_timeout:g} s ({exc})"
    )


def _network_message(exc: httpx.HTTPError, url: httpx.URL | None) -> str:
    where = f"{url.host}:{port_of(url)}" if url else "server"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(e, ssl.SSLError) for e in _causes(exc)) or "SSL" in detail:
            return f"TLS handshake with {where} failed: {detail}"
        return f"could not connect to {where}: {detail}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{where} broke the HTTP protocol: {detail}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"cannot fetch this URL: {detail}"
    return f"connection to {where} failed: {detail}"


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__
