"""Fetch one feed URL safely: bounded in time, size, redirects and reachable addresses.

Feeds are untrusted input from servers we do not control, fetched from up to
eight threads. `fetch_feed` therefore

- follows redirects itself, re-checking scheme and host on every hop;
- resolves host names itself *at connect time* and connects only to the
  addresses it checked, so a DNS answer cannot point us at loopback, the LAN
  or a cloud metadata service, not even by changing between check and
  connect (DNS rebinding);
- enforces one deadline for the whole exchange at the socket level: every
  connect, TLS handshake, read and write gets at most the time that is left,
  so a server dripping a byte per second is cut off on time;
- counts the body after gzip/deflate decompression while it streams, and
  decompresses in bounded steps, so a small gzip bomb never inflates in memory;
- turns every failure into `FeedError` with a kind and a readable message.

The first two rely on a custom httpcore network backend installed in a
per-call httpx client. A caller may pass its own `client` instead; then host
checks fall back to resolving before each request (open to DNS rebinding)
and the deadline to checks between chunks and per-request timeouts.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpcore
import httpx

from ingest.errors import ErrorKind, FeedError

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


AddressPolicy = Callable[[str], "str | None"]  # IP literal -> reason to refuse, or None


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
    policy = _allow_all if limits.allow_private_hosts else blocked_reason
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
    deadline = _Deadline(limits.deadline)
    fetch = _Fetch(limits, etag, last_modified, deadline, policy)
    try:
        if client is not None:
            return fetch.follow(url, client, precheck=policy is not _allow_all)
        with _guarded_client(deadline, policy, limits.connect_timeout) as own:
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


# --- the redirect loop and the body ---------------------------------------------------------


class _Fetch:
    """State of one fetch across its redirect hops."""

    def __init__(
        self,
        limits: FetchLimits,
        etag: str | None,
        last_modified: str | None,
        deadline: _Deadline,
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
                _check_host(target, self.policy, self.deadline)
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
        declared = _content_length(headers)
        if declared is not None and declared > self.limits.max_bytes:
            raise FeedError(
                ErrorKind.TOO_LARGE,
                f"Content-Length {declared} bytes exceeds the {self.limits.max_bytes} byte limit",
            )
        body, raw = self.read_body(response, headers, declared)
        if not body:
            raise FeedError(ErrorKind.EMPTY, f"HTTP {status} with an empty body")
        return self.result(response, headers, body, raw)

    def read_body(
        self, response: httpx.Response, headers: dict[str, str], declared: int | None
    ) -> tuple[bytes, int]:
        decoder = BoundedDecoder(headers.get("content-encoding"), self.limits.max_bytes)
        raw = 0
        try:
            for chunk in response.iter_raw():
                raw += len(chunk)
                decoder.feed(chunk)
                self.deadline.check()
        except httpx.RemoteProtocolError as exc:
            if declared is not None and raw < declared:
                raise FeedError(
                    ErrorKind.TOO_LARGE,
                    f"lying Content-Length: declared {declared} bytes, "
                    f"the server sent {raw} and closed",
                ) from exc
            raise
        stream = response.extensions.get("network_stream")
        if (
            declared is not None
            and "transfer-encoding" not in headers
            and isinstance(stream, _GuardedStream)
            and stream.body_bytes > declared
        ):
            raise FeedError(
                ErrorKind.TOO_LARGE,
                f"lying Content-Length: declared {declared} bytes, "
                f"the server sent at least {stream.body_bytes}",
            )
        return decoder.finish(), raw

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


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length", "").split(",")[0].strip()
    return int(value) if value.isdigit() else None


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


# --- bounded decompression ------------------------------------------------------------------


class BoundedDecoder:
    """Undo Content-Encoding (identity, gzip, deflate) without ever holding more than the cap.

    zlib is asked for at most `max_bytes + 1` bytes per step, so a gzip bomb
    stops at the cap instead of inflating a whole network chunk a thousandfold.
    """

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        codings = [
            c.strip().lower()
            for c in (content_encoding or "").split(",")
            if c.strip().lower() not in ("", "identity")
        ]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FeedError(ErrorKind.NETWORK, f"unsupported Content-Encoding {content_encoding!r}")
        self._coding = codings[0] if codings else "identity"
        self._max = max_bytes
        self._out = bytearray()
        self._pending = b""  # deflate: bytes held until the zlib/raw header can be told apart
        self._zlib: Any = zlib.decompressobj(wbits=31) if self._coding.endswith("gzip") else None
        self._seen_input = False

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._seen_input = True
        if self._coding == "identity":
            self._append(data)
            return
        if self._zlib is None:  # deflate: zlib-wrapped per the RFC, raw from some servers
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return
            self._pending = b""
            wrapped = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(wbits=15 if wrapped else -15)
        self._inflate(data)

    def finish(self) -> bytes:
        if self._coding != "identity" and self._seen_input:
            if self._pending:
                self._inflate_first_pending()
            if self._zlib is None or not self._zlib.eof:
                raise FeedError(ErrorKind.NETWORK, f"the {self._coding} body ended early")
        return bytes(self._out)

    def _inflate_first_pending(self) -> None:
        data, self._pending = self._pending, b""
        self._zlib = zlib.decompressobj(wbits=-15)
        self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        try:
            while data:
                if self._zlib.eof:
                    if self._coding == "deflate" or not b"\x1f\x8b".startswith(data[:2]):
                        return  # padding or junk after the stream: ignored, as browsers do
                    self._zlib = zlib.decompressobj(wbits=31)  # the next gzip member
                self._append(self._zlib.decompress(data, self._max - len(self._out) + 1))
                data = self._zlib.unconsumed_tail or (
                    self._zlib.unused_data if self._zlib.eof else b""
                )
        except zlib.error as exc:
            raise FeedError(
                ErrorKind.NETWORK, f"could not decompress the {self._coding} body: {exc}"
            ) from exc

    def _append(self, data: bytes) -> None:
        self._out += data
        if len(self._out) > self._max:
            raise FeedError(
                ErrorKind.TOO_LARGE,
                f"body exceeds the {self._max} byte limit (counted after decompression)",
            )


# --- deadline -------------------------------------------------------------------------------


class _Deadline:
    """One monotonic deadline for a whole fetch."""

    def __init__(self, seconds: float) -> None:
        self.total = seconds
        self.start = time.monotonic()
        self.at = self.start + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def passed(self) -> bool:
        return self.remaining() <= 0

    def clamp(self, timeout: float | None, error: type[Exception]) -> float:
        """The socket timeout to use now: the given one, shrunk to the time left."""
        left = self.remaining()
        if left <= 0:
            raise error(f"the {self.total:g} s deadline passed")
        return left if timeout is None else min(timeout, left)

    def check(self) -> None:
        if self.passed():
            raise FeedError(
                ErrorKind.TIMEOUT, f"no complete response within the {self.total:g} s deadline"
            )


def _timeout_error(
    exc: httpx.TimeoutException, deadline: _Deadline, limits: FetchLimits
) -> FeedError:
    if deadline.passed() or not isinstance(exc, httpx.ConnectTimeout):
        return FeedError(
            ErrorKind.TIMEOUT, f"no complete response within the {deadline.total:g} s deadline"
        )
    return FeedError(
        ErrorKind.TIMEOUT, f"could not connect within {limits.connect_timeout:g} s ({exc})"
    )


def _network_message(exc: httpx.HTTPError, url: httpx.URL | None) -> str:
    where = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}" if url else "server"
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


# --- addresses ------------------------------------------------------------------------------

# Cloud metadata endpoints that are not covered by the private/link-local ranges.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "168.63.129.16", "100.100.100.200", "192.0.0.192")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def blocked_reason(address: str) -> str | None:
    """Why we refuse to connect to this IP literal, or None if it is a public address.

    Refuses loopback, private, shared (CGNAT), link-local, multicast, reserved,
    unspecified and documentation ranges, cloud metadata addresses, and IPv6
    forms that embed such an IPv4 address (mapped, compatible, 6to4, NAT64).
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if ip in _METADATA:
        return "cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and (ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1)):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = blocked_reason(str(embedded))
            return f"IPv6 form of {embedded}: {inner}" if inner else None
    for flag, reason in (
        ("is_unspecified", "unspecified address"),
        ("is_loopback", "loopback address"),
        ("is_link_local", "link-local address"),
        ("is_multicast", "multicast address"),
        ("is_private", "private address"),
        ("is_reserved", "reserved address"),
        ("is_site_local", "site-local address"),
    ):
        if getattr(ip, flag, False):
            return reason
    if not ip.is_global:
        return "non-public address"
    return None


def _allow_all(address: str) -> str | None:
    return None


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """IP literals for host, resolved in a helper thread so a hung resolver cannot outlast us."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    found: list[Any] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)

    resolver = threading.Thread(target=lookup, name="threatmon-dns", daemon=True)
    resolver.start()
    resolver.join(timeout)
    if resolver.is_alive():
        raise httpcore.ConnectTimeout(f"DNS lookup for {host} took longer than {timeout:g} s")
    if failed:
        raise httpcore.ConnectError(f"DNS lookup for {host} failed: {failed[0]}")
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise httpcore.ConnectError(f"DNS lookup for {host} returned no address")
    return addresses


def _refuse_blocked(host: str, addresses: list[str], policy: AddressPolicy) -> None:
    for address in addresses:
        reason = policy(address)
        if reason:
            shown = host if host == address else f"{host} ({address})"
            raise FeedError(ErrorKind.BLOCKED_HOST, f"refusing to connect to {shown}: {reason}")


def _check_host(url: httpx.URL, policy: AddressPolicy, deadline: _Deadline) -> None:
    """Resolve-then-check for caller-supplied clients (weaker: no connect-time check)."""
    host = url.raw_host.decode("ascii")
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = _resolve(host, port, deadline.clamp(None, httpcore.ConnectTimeout))
    except httpcore.ConnectTimeout as exc:
        raise httpx.ConnectTimeout(str(exc)) from exc
    except httpcore.ConnectError as exc:
        raise httpx.ConnectError(str(exc)) from exc
    _refuse_blocked(host, addresses, policy)


# --- the guarded httpcore backend -----------------------------------------------------------


class _GuardedStream(httpcore.NetworkStream):
    """A connection whose every read/write gets at most the time left before the deadline.

    It also counts response body bytes as they arrive on the socket, to catch a
    body longer than its Content-Length (h11 would silently stop at the
    declared length and leave the rest unread).
    """

    _HEAD_LIMIT = 256 * 1024

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline
        self._head = bytearray()
        self._in_body = False
        self.body_bytes = 0

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, self._deadline.clamp(timeout, httpcore.ReadTimeout))
        self._count(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._head.clear()  # a new request: a new response head follows
        self._in_body = False
        self.body_bytes = 0
        self._inner.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        )
        return _GuardedStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def _count(self, data: bytes) -> None:
        if self._in_body:
            self.body_bytes += len(data)
            return
        if len(self._head) > self._HEAD_LIMIT:
            return  # h11 refuses such heads itself
        self._head += data
        while (end := self._head.find(b"\r\n\r\n")) >= 0:
            head, rest = self._head[:end], self._head[end + 4 :]
            if head.startswith(b"HTTP/1.1 1") or head.startswith(b"HTTP/1.0 1"):
                self._head = rest  # an interim 1xx response; the real head follows
                continue
            self._in_body = True
            self.body_bytes = len(rest)
            self._head.clear()
            return


class _GuardedBackend(httpcore.SyncBackend):
    """Resolve, check every address against the policy, connect only to checked ones."""

    def __init__(self, deadline: _Deadline, policy: AddressPolicy) -> None:
        self._deadline = deadline
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port, self._deadline.clamp(timeout, httpcore.ConnectTimeout))
        _refuse_blocked(host, addresses, self._policy)
        failure: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(
                    address,
                    port,
                    self._deadline.clamp(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc  # try the next address, like socket.create_connection
                continue
            return _GuardedStream(stream, self._deadline)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for feeds")


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with our backend: httpx exposes no backend option, so we swap the pool."""

    def __init__(self, backend: _GuardedBackend) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=4,
            max_keepalive_connections=2,
            network_backend=backend,
        )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verified TLS context (certifi roots) shared by all threads: loading it is slow."""
    return httpx.create_ssl_context(trust_env=False)


def _guarded_client(deadline: _Deadline, policy: AddressPolicy, connect: float) -> httpx.Client:
    return httpx.Client(
        transport=_GuardedTransport(_GuardedBackend(deadline, policy)),
        trust_env=False,  # no proxies or CA bundles from the environment
        follow_redirects=False,
        timeout=httpx.Timeout(deadline.total, connect=connect),
    )
