"""Webhook sending against a real HTTP receiver on 127.0.0.1: signature, headers, failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from notify.result import SendError
from notify.webhook import WebhookConfig, send_webhook
from tests.alert_notices import notice

SECRET = "s3cret-shared-with-the-receiver"
SENT = datetime(2026, 11, 25, 12, 1, 30, tzinfo=UTC)
BASE = "https://threatmon.example.kz"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def send(url: str, secret: str = SECRET, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    cfg = WebhookConfig(secret=secret, timeout=timeout, user_agent="threatmon-test")
    return send_webhook(url, notice(), cfg, dashboard_url=BASE, sent_at=SENT)


def test_receiver_gets_a_signed_json_post_it_can_verify(httpserver: HTTPServer) -> None:
    received: list[Request] = []

    def receiver(request: Request) -> Response:
        received.append(request)
        body = request.get_data()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(request.headers.get("X-Threatmon-Signature", ""), expected)
        return Response("ok" if good else "bad signature", status=204 if good else 401)

    httpserver.expect_request("/hooks/soc", method="POST").respond_with_handler(receiver)
    result = send(httpserver.url_for("/hooks/soc"))
    assert result.ok, result.describe()
    assert result.status == 204
    (request,) = received
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["User-Agent"] == "threatmon-test"
    assert request.headers["X-Threatmon-Event"] == "opened"
    assert request.headers["X-Threatmon-Delivery"] == "77"
    assert request.headers["X-Threatmon-Timestamp"] == str(int(SENT.timestamp()))
    payload = json.loads(request.get_data())
    assert payload["event"] == "opened"
    assert payload["alert"]["id"] == 12
    assert payload["sent_at"] == "2026-11-25T12:01:30+00:00"
    assert payload["links"]["alert"] == f"{BASE}/alerts?alert=12"


def test_a_receiver_with_another_secret_refuses_the_signature(httpserver: HTTPServer) -> None:
    def receiver(request: Request) -> Response:
        expected = "sha256=" + hmac.new(b"other", request.get_data(), hashlib.sha256).hexdigest()
        ok = request.headers.get("X-Threatmon-Signature") == expected
        return Response("", status=200 if ok else 401)

    httpserver.expect_request("/hook").respond_with_handler(receiver)
    result = send(httpserver.url_for("/hook"))
    assert not result.ok
    assert result.error is SendError.HTTP_STATUS
    assert result.status == 401


def test_without_a_secret_no_signature_header_is_sent(httpserver: HTTPServer) -> None:
    seen: list[Request] = []
    httpserver.expect_request("/hook").respond_with_handler(
        lambda r: seen.append(r) or Response("", status=200)
    )
    assert send(httpserver.url_for("/hook"), secret="").ok
    assert "X-Threatmon-Signature" not in seen[0].headers


def test_http_500_is_a_retryable_failure_with_the_start_of_the_answer(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/hook/T0K3N").respond_with_data(
        "database\n  is down " + "x" * 5000, status=500
    )
    result = send(httpserver.url_for("/hook/T0K3N"))
    assert (result.ok, result.error, result.status, result.retryable) == (
        False,
        SendError.HTTP_STATUS,
        500,
        True,
    )
    assert result.message.startswith("HTTP 500 INTERNAL SERVER ERROR: database is down xxx")
    assert len(result.message) < 400
    assert "T0K3N" not in result.describe()


def test_redirects_are_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=308, headers={"Location": httpserver.url_for("/new?token=abc")}
    )
    result = send(httpserver.url_for("/old"))
    assert result.error is SendError.HTTP_STATUS
    assert result.status == 308
    assert "redirects are not followed" in result.message
    assert "token=abc" not in result.message


def test_a_closed_port_is_a_network_failure_not_an_exception() -> None:
    result = send(f"http://127.0.0.1:{closed_port()}/hook/SECRETPATH")
    assert (result.ok, result.error, result.retryable) == (False, SendError.NETWORK, True)
    assert "SECRETPATH" not in result.describe()


def test_a_receiver_slower_than_the_timeout_is_a_timeout(httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(0.6)
        return Response("late", status=200)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    result = send(httpserver.url_for("/slow"), timeout=0.15)
    assert result.error is SendError.TIMEOUT
    assert result.message == "no answer within 0.15 s"


@pytest.mark.parametrize("url", ["ftp://files.example.org/x", "hooks.example.org/x", "", "http://"])
def test_a_malformed_url_is_a_permanent_failure(url: str) -> None:
    result = send(url)
    assert (result.ok, result.error, result.retryable) == (False, SendError.BAD_TARGET, False)
