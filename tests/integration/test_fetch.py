"""fetch_feed against a real HTTP server on 127.0.0.1 (no mocks of httpx)."""

from __future__ import annotations

import gzip
import shutil
import socket
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ingest.errors import ErrorKind, FeedError
from ingest.fetch import (
    ACCEPT,
    FetchLimits,
    FetchResult,
    _fetch_feed,
    fetch_feed,
)
from ingest.netguard import blocked_reason

FEED = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<rss version="2.0"><channel><title>Т</title></channel></rss>'
)
LIMITS = FetchLimits(allow_private_hosts=True, deadline=5.0, user_agent="threatmon-test/1.0")


def fetch(
    server: HTTPServer, path: str, limits: FetchLimits = LIMITS, **kwargs: str
) -> FetchResult:
    return fetch_feed(server.url_for(path), limits, **kwargs)


def failure(server: HTTPServer, path: str, limits: FetchLimits = LIMITS) -> FeedError:
    with pytest.raises(FeedError) as caught:
        fetch(server, path, limits)
    return caught.value


def slowly(chunks: Iterator[bytes], pause: float, limit: float = 5.0) -> Iterator[bytes]:
    """Yield chunks with a pause between them, for at most `limit` seconds in all."""
    started = time.monotonic()
    for chunk in chunks:
        if time.monotonic() - started > limit:
            return
        yield chunk
        time.sleep(pause)


def endless(chunk: bytes) -> Iterator[bytes]:
    for _ in range(100_000):  # far past any cap; ends if the client never hangs up
        yield chunk


# --- success, headers, conditional GET ------------------------------------------------------


def test_fetch_returns_body_headers_and_validators(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed").respond_with_data(
        FEED,
        content_type="application/rss+xml; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 04 Mar 2024 10:00:00 GMT"},
    )
    result = fetch(local_server, "/feed")
    assert result.status == 200 and not result.not_modified
    assert result.body == FEED.encode()
    assert result.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert all(name == name.lower() for name in result.headers)
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 04 Mar 2024 10:00:00 GMT")
    assert result.bytes_read == len(FEED.encode())
    assert result.url == local_server.url_for("/feed")
    assert 0 < result.elapsed < 5


def test_fetch_sends_identifying_and_negotiating_headers(local_server: HTTPServer) -> None:
    local_server.expect_request(
        "/feed",
        headers={
            "User-Agent": "threatmon-test/1.0",
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate",
        },
    ).respond_with_data(FEED)
    assert fetch(local_server, "/feed").status == 200


def test_etag_gives_304_not_modified(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    result = fetch(local_server, "/feed", etag='"v1"')
    assert result.not_modified and result.status == 304
    assert result.body == b"" and result.bytes_read == 0
    assert result.etag == '"v1"'  # still valid: the caller keeps it


def test_if_modified_since_gives_304(local_server: HTTPServer) -> None:
    stamp = "Mon, 04 Mar 2024 10:00:00 GMT"
    local_server.expect_request("/feed", headers={"If-Modified-Since": stamp}).respond_with_data(
        "", status=304, headers={"Last-Modified": stamp}
    )
    result = fetch(local_server, "/feed", last_modified=stamp)
    assert result.not_modified and result.last_modified == stamp


def test_gzip_body_is_decoded_and_wire_bytes_counted(local_server: HTTPServer) -> None:
    body = (FEED * 50).encode()
    compressed = gzip.compress(body)
    local_server.expect_request("/feed").respond_with_data(
        compressed, headers={"Content-Encoding": "gzip"}
    )
    result = fetch(local_server, "/feed")
    assert result.body == body
    assert result.bytes_read == len(compressed)


def test_deflate_body_is_decoded(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed").respond_with_data(
        zlib.compress(FEED.encode()), headers={"Content-Encoding": "deflate"}
    )
    assert fetch(local_server, "/feed").body == FEED.encode()


def test_fetch_works_from_many_threads(local_server: HTTPServer) -> None:
    for n in range(8):
        local_server.expect_request(f"/feed{n}").respond_with_data(f"<rss>{n}</rss>")
    bodies: dict[int, bytes] = {}

    def work(n: int) -> None:
        bodies[n] = fetch(local_server, f"/feed{n}").body

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert bodies == {n: f"<rss>{n}</rss>".encode() for n in range(8)}


def test_a_caller_supplied_client_is_used(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed").respond_with_data(FEED)
    with httpx.Client() as client:
        result = fetch_feed(local_server.url_for("/feed"), LIMITS, client=client)
    assert result.body == FEED.encode()


# --- redirects ------------------------------------------------------------------------------


def test_a_redirect_chain_is_followed_to_the_final_url(local_server: HTTPServer) -> None:
    local_server.expect_request("/a").respond_with_data("", 301, {"Location": "/b"})
    local_server.expect_request("/b").respond_with_data("", 302, {"Location": "c"})
    local_server.expect_request("/c").respond_with_data(
        "", 308, {"Location": local_server.url_for("/final")}
    )
    local_server.expect_request("/final").respond_with_data(FEED)
    result = fetch(local_server, "/a")
    assert result.url == local_server.url_for("/final")
    assert result.body == FEED.encode()


def test_more_redirects_than_allowed_fail(local_server: HTTPServer) -> None:
    for n in range(4):
        local_server.expect_request(f"/r{n}").respond_with_data("", 302, {"Location": f"/r{n + 1}"})
    local_server.expect_request("/r4").respond_with_data(FEED)
    limits = FetchLimits(allow_private_hosts=True, deadline=5.0, max_redirects=3)
    error = failure(local_server, "/r0", limits)
    assert error.kind is ErrorKind.TOO_MANY_REDIRECTS
    assert len(local_server.log) == 4  # the first request and three redirects, no more


@pytest.mark.parametrize("cycle", [["/loop"], ["/x", "/y"]])
def test_a_redirect_loop_ends_at_once(local_server: HTTPServer, cycle: list[str]) -> None:
    for here, there in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        local_server.expect_request(here).respond_with_data("", 302, {"Location": there})
    started = time.monotonic()
    error = failure(local_server, cycle[0])
    assert error.kind is ErrorKind.TOO_MANY_REDIRECTS and "loop" in error.message
    assert len(local_server.log) == len(cycle)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://example.kz/feed", "javascript:alert(1)"]
)
def test_a_redirect_to_another_scheme_is_refused(local_server: HTTPServer, location: str) -> None:
    local_server.expect_request("/feed").respond_with_data("", 302, {"Location": location})
    error = failure(local_server, "/feed")
    assert error.kind is ErrorKind.BAD_URL and "redirect refused" in error.message


# --- time -----------------------------------------------------------------------------------


def test_a_dripping_body_is_cut_off_at_the_deadline(local_server: HTTPServer) -> None:
    local_server.expect_request("/drip").respond_with_handler(
        lambda _: Response(slowly(iter([b"<"] + [b"x"] * 100), 0.1), content_type="text/xml")
    )
    limits = FetchLimits(allow_private_hosts=True, deadline=1.0)
    started = time.monotonic()
    error = failure(local_server, "/drip", limits)
    elapsed = time.monotonic() - started
    assert error.kind is ErrorKind.TIMEOUT and "1 s deadline" in error.message
    assert 0.9 <= elapsed < 1.6


def test_a_server_that_never_answers_is_cut_off_at_the_deadline(local_server: HTTPServer) -> None:
    released = threading.Event()
    finished = threading.Event()

    def silent(_: Request) -> Response:
        released.wait(3)  # silent until the client has given up and the test lets it go
        finished.set()
        return Response(FEED)

    local_server.expect_request("/silent").respond_with_handler(silent)
    started = time.monotonic()
    error = failure(local_server, "/silent", FetchLimits(allow_private_hosts=True, deadline=0.8))
    elapsed = time.monotonic() - started
    # Let the handler end before the next test: its late answer must not land in that test's log.
    released.set()
    assert finished.wait(3)
    deadline = time.monotonic() + 3
    while not local_server.log and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(local_server.log) == 1
    assert error.kind is ErrorKind.TIMEOUT
    assert 0.7 <= elapsed < 1.5


def test_a_slow_redirect_chain_shares_one_deadline(local_server: HTTPServer) -> None:
    def slow_redirect(request: Request) -> Response:
        time.sleep(0.4)
        return Response("", 302, {"Location": request.path + "x"})

    for path in ("/s", "/sx", "/sxx", "/sxxx"):
        local_server.expect_request(path).respond_with_handler(slow_redirect)
    started = time.monotonic()
    error = failure(local_server, "/s", FetchLimits(allow_private_hosts=True, deadline=1.0))
    assert error.kind is ErrorKind.TIMEOUT
    assert time.monotonic() - started < 1.5


# --- size -----------------------------------------------------------------------------------


def test_an_endless_body_stops_at_the_cap(local_server: HTTPServer) -> None:
    local_server.expect_request("/huge").respond_with_handler(
        lambda _: Response(endless(b"<item>" + b"x" * 65530 + b"</item>"), content_type="text/xml")
    )
    error = failure(local_server, "/huge", FetchLimits(allow_private_hosts=True, max_bytes=1 << 20))
    assert error.kind is ErrorKind.TOO_LARGE


def test_an_endless_gzip_body_stops_at_the_cap_after_decompression(
    local_server: HTTPServer,
) -> None:
    def bomb(_: Request) -> Response:
        compressor = zlib.compressobj(wbits=31)
        zeros = bytes(1 << 20)
        chunks = (compressor.compress(zeros) for _ in range(500))  # 500 MiB, never all sent
        return Response(chunks, headers={"Content-Encoding": "gzip"}, content_type="text/xml")

    local_server.expect_request("/bomb").respond_with_handler(bomb)
    started = time.monotonic()
    error = failure(local_server, "/bomb", FetchLimits(allow_private_hosts=True, max_bytes=1 << 20))
    assert error.kind is ErrorKind.TOO_LARGE and "after decompression" in error.message
    assert time.monotonic() - started < 3


def test_a_content_length_over_the_cap_is_refused_before_reading(
    local_server: HTTPServer,
) -> None:
    def announced(_: Request) -> Response:
        response = Response(slowly(endless(b"x" * 1000), 0.5), content_type="text/xml")
        response.headers["Content-Length"] = str(50 << 20)
        return response

    local_server.expect_request("/big").respond_with_handler(announced)
    started = time.monotonic()
    error = failure(local_server, "/big", FetchLimits(allow_private_hosts=True, max_bytes=1 << 20))
    assert error.kind is ErrorKind.TOO_LARGE and "Content-Length" in error.message
    assert time.monotonic() - started < 0.5  # the slow body was never waited for


@pytest.mark.parametrize(("declared", "sent"), [(5000, 16), (10, 511)])
def test_a_lying_content_length_is_detected(
    local_server: HTTPServer, declared: int, sent: int
) -> None:
    def liar(_: Request) -> Response:
        response = Response(iter([b"<rss>" + b"x" * (sent - 11) + b"</rss>"]))
        response.headers["Content-Length"] = str(declared)
        return response

    local_server.expect_request("/liar").respond_with_handler(liar)
    error = failure(local_server, "/liar")
    assert error.kind is ErrorKind.TOO_LARGE
    assert "lying Content-Length" in error.message and str(declared) in error.message


def test_an_empty_200_is_empty(local_server: HTTPServer) -> None:
    local_server.expect_request("/empty").respond_with_data(b"")
    assert failure(local_server, "/empty").kind is ErrorKind.EMPTY


# --- HTTP errors ----------------------------------------------------------------------------


def test_a_server_error_is_an_http_status_error(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed").respond_with_data("oops", status=500)
    error = failure(local_server, "/feed")
    assert error.kind is ErrorKind.HTTP_STATUS and error.http_status == 500
    assert error.message == "HTTP 500 Internal Server Error"
    assert error.retry_after is None


def test_429_with_retry_after_seconds(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    error = failure(local_server, "/feed")
    assert (error.kind, error.http_status, error.retry_after) == (ErrorKind.HTTP_STATUS, 429, 120)
    assert "429" in error.message and "retry after 120 s" in error.message


def test_503_with_retry_after_http_date(local_server: HTTPServer) -> None:
    when = datetime.now(UTC) + timedelta(hours=1)
    local_server.expect_request("/feed").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )
    error = failure(local_server, "/feed")
    assert (error.kind, error.http_status) == (ErrorKind.HTTP_STATUS, 503)
    assert error.retry_after is not None and 3590 <= error.retry_after <= 3600


def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    with pytest.raises(FeedError) as caught:
        fetch_feed(f"http://127.0.0.1:{port}/feed", LIMITS)
    assert caught.value.kind is ErrorKind.NETWORK
    assert "could not connect to 127.0.0.1" in caught.value.message


# --- TLS ------------------------------------------------------------------------------------


def test_an_untrusted_certificate_is_a_readable_network_error(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a throw-away certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/feed").respond_with_data(FEED)
    server.start()
    try:
        with pytest.raises(FeedError) as caught:
            fetch_feed(server.url_for("/feed"), LIMITS)
    finally:
        server.stop()
    assert caught.value.kind is ErrorKind.NETWORK
    assert "TLS handshake with 127.0.0.1:" in caught.value.message


def test_a_stalled_tls_handshake_is_cut_off_at_the_deadline() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection in the kernel, never says a word
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(FeedError) as caught:
            fetch_feed(
                f"https://127.0.0.1:{port}/feed",
                FetchLimits(allow_private_hosts=True, deadline=0.8),
            )
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert 0.7 <= time.monotonic() - started < 1.4


# --- private addresses ----------------------------------------------------------------------


def test_loopback_is_refused_by_default_without_a_request(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed").respond_with_data(FEED)
    error = failure(local_server, "/feed", FetchLimits(deadline=5.0))
    assert error.kind is ErrorKind.BLOCKED_HOST and "loopback" in error.message
    assert local_server.log == []


@pytest.mark.parametrize("host", ["localhost", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0"])
def test_loopback_in_other_spellings_is_refused(host: str) -> None:
    with pytest.raises(FeedError) as caught:
        fetch_feed(f"http://{host}:9/feed", FetchLimits(deadline=5.0))
    assert caught.value.kind is ErrorKind.BLOCKED_HOST


def test_a_caller_supplied_client_still_gets_the_host_check(local_server: HTTPServer) -> None:
    local_server.expect_request("/feed").respond_with_data(FEED)
    with httpx.Client() as client, pytest.raises(FeedError) as caught:
        fetch_feed(local_server.url_for("/feed"), FetchLimits(deadline=5.0), client=client)
    assert caught.value.kind is ErrorKind.BLOCKED_HOST
    assert local_server.log == []


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.2:{port}/feed"]
)
def test_a_redirect_to_a_blocked_address_is_refused(local_server: HTTPServer, target: str) -> None:
    """The first hop is allowed (only 127.0.0.1 is let through), the redirect is not."""
    local_server.expect_request("/start").respond_with_data(
        "", 302, {"Location": target.format(port=local_server.port)}
    )

    def only_the_test_server(address: str) -> str | None:
        return None if address == "127.0.0.1" else blocked_reason(address)

    with pytest.raises(FeedError) as caught:
        _fetch_feed(
            local_server.url_for("/start"),
            FetchLimits(deadline=5.0),
            None,
            None,
            None,
            only_the_test_server,
        )
    assert caught.value.kind is ErrorKind.BLOCKED_HOST
    assert len(local_server.log) == 1
