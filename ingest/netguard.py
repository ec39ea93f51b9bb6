"""Keep feed fetches away from internal addresses and within one deadline, at the socket level.

A feed URL comes from a list anyone may edit and redirects wherever its
server likes, so before any byte is sent we must know *where* it goes.
Checking a host name and then letting httpx resolve it again would leave a
gap (DNS rebinding: the second answer may differ). So the custom httpcore
network backend here resolves the name itself, checks every address the
resolver returned against an `AddressPolicy` and connects only to those
checked addresses.

The same connection wrapper enforces one `Deadline` for the whole exchange:
every connect, TLS handshake, read and write gets at most the time that is
left, so a server dripping a byte per second is cut off on time. It also
counts response body bytes on the wire, which lets the body reader catch a
body longer than its Content-Length.

A caller-supplied httpx client bypasses the backend; `check_host` is the
weaker resolve-then-check used for those.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from ingest.errors import ErrorKind, FeedError

AddressPolicy = Callable[[str], "str | None"]  # IP literal -> reason to refuse, or None


# --- deadline -------------------------------------------------------------------------------


class Deadline:
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

    def expired(self) -> FeedError:
        """The error recorded when the whole exchange did not finish in time."""
        return FeedError(
            ErrorKind.TIMEOUT, f"no complete response within the {self.total:g} s deadline"
        )

    def check(self) -> None:
        if self.passed():
            raise self.expired()


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


def allow_all(address: str) -> str | None:
    """The policy for `allow_private_hosts`: refuse nothing."""
    return None


def port_of(url: httpx.URL) -> int:
    """The TCP port a URL connects to, with the scheme's default filled in."""
    return url.port or (443 if url.scheme == "https" else 80)


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


def check_host(url: httpx.URL, policy: AddressPolicy, deadline: Deadline) -> None:
    """Resolve-then-check for caller-supplied clients (weaker: no connect-time check)."""
    host = url.raw_host.decode("ascii")
    try:
        addresses = _resolve(host, port_of(url), deadline.clamp(None, httpcore.ConnectTimeout))
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

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
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


def wire_body_bytes(response: httpx.Response) -> int | None:
    """Body bytes counted on the socket so far, or None if a guarded connection did not carry it."""
    stream = response.extensions.get("network_stream")
    return stream.body_bytes if isinstance(stream, _GuardedStream) else None


class _GuardedBackend(httpcore.SyncBackend):
    """Resolve, check every address against the policy, connect only to checked ones."""

    def __init__(self, deadline: Deadline, policy: AddressPolicy) -> None:
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


def guarded_client(deadline: Deadline, policy: AddressPolicy, connect: float) -> httpx.Client:
    """A short-lived client that connects only to addresses `policy` allows, within `deadline`."""
    return httpx.Client(
        transport=_GuardedTransport(_GuardedBackend(deadline, policy)),
        trust_env=False,  # no proxies or CA bundles from the environment
        follow_redirects=False,
        timeout=httpx.Timeout(deadline.total, connect=connect),
    )
