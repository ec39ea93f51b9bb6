"""Send results: which failures are retried, how they read, and URLs that keep their secrets."""

from __future__ import annotations

import pytest

from notify.result import SendError, SendResult, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.org/services/T00/B00/XXXX", "https://hooks.example.org/…"),
        ("http://10.0.0.5:8080/soc?token=abc", "http://10.0.0.5:8080/…"),
        ("https://relay.example.kz/", "https://relay.example.kz/"),
        ("http://[::1]:9000/x", "http://[::1]:9000/…"),
        ("not a url", "<invalid URL>"),
        ("http://host:99999/", "<invalid URL>"),
    ],
)
def test_redacted_urls_show_only_scheme_host_and_port(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_only_misconfiguration_is_permanent() -> None:
    retried = {k for k in SendError if SendResult.failed(k, "x").retryable}
    assert retried == set(SendError) - {SendError.CONFIG, SendError.BAD_TARGET}
    assert not SendResult.sent(200).retryable


def test_describe_is_what_the_delivery_row_records() -> None:
    assert SendResult.sent(250).describe() == "sent"
    failed = SendResult.failed(SendError.HTTP_STATUS, "HTTP 502 Bad Gateway", 502)
    assert failed.describe() == "http_status: HTTP 502 Bad Gateway"
