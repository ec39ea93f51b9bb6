"""POST one alert event to one webhook URL, signed, in a single bounded attempt.

Signature: `X-Threatmon-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact
body bytes under the `alert_webhook_secret` setting (no header when the secret
is empty). The body carries `sent_at` and `delivery_id`, so a receiver that
checks the signature can refuse a replayed body (sent_at too old) and drop a
retried duplicate (delivery_id seen before); `X-Threatmon-Timestamp` repeats
sent_at as Unix seconds for receivers that check the age before parsing.

Why plain httpx and not ingest's guarded client (`ingest.netguard`): that
guard exists to keep URLs from an editable feed list away from internal
addresses. Webhook URLs are set by the operator, and are very often internal
(a SOC's ticketing or chat relay on the LAN), so the guard would have to be
switched off anyway; and notify importing the feed fetcher would tie two
unrelated packages together. What we keep from it: no proxies or CA bundles
from the environment, a short timeout on each step, redirects not followed (a
signed POST is not re-sent to wherever a server points), and at most a
snippet of the response body read.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from indicators.weblinks import safe_href
from notify.render import AlertNotice, webhook_body, webhook_payload
from notify.result import SendError, SendResult, redact_url

SIGNATURE_HEADER = "X-Threatmon-Signature"
TIMESTAMP_HEADER = "X-Threatmon-Timestamp"
EVENT_HEADER = "X-Threatmon-Event"
DELIVERY_HEADER = "X-Threatmon-Delivery"
DEFAULT_USER_AGENT = "threatmon/0.1 (alert notifier)"
MAX_ERROR_BODY = 300  # characters of a failing receiver's answer kept in the error


@dataclass(frozen=True)
class WebhookConfig:
    """How webhooks are sent; built from Settings by threatmon.wiring."""

    secret: str = field(default="", repr=False)
    timeout: float = 10.0  # seconds for each of connect, write and read
    user_agent: str = DEFAULT_USER_AGENT


def signature(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of body under secret>`, the X-Threatmon-Signature value."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_headers(
    body: bytes,
    *,
    secret: str,
    event: str,
    delivery_id: int,
    sent_at: datetime,
    user_agent: str = DEFAULT_USER_AGENT,
) -> dict[str, str]:
    """The request headers for one body (the signature only when a secret is set)."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": user_agent,
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
    }
    if secret:
        headers[SIGNATURE_HEADER] = signature(body, secret)
    return headers


def _snippet(response: httpx.Response) -> str:
    """The start of a failing receiver's answer, read no further than needed."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_ERROR_BODY * 4:
            break
    text = b"".join(chunks).decode("utf-8", "replace")
    return " ".join(text.split())[:MAX_ERROR_BODY]


def post_webhook(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    client: httpx.Client | None = None,
) -> SendResult:
    """One POST; a 2xx answer is success. Never raises; messages never show the URL's path."""
    if safe_href(url) is None:
        return SendResult.failed(
            SendError.BAD_TARGET, f"not an absolute http(s) URL: {redact_url(url)}"
        )
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
    try:
        with http.stream("POST", url.strip(), content=body, headers=headers) as response:
            status = response.status_code
            if 200 <= status < 300:
                return SendResult.sent(status)
            reason = f"HTTP {status} {response.reason_phrase}".strip()
            if 300 <= status < 400:
                where = redact_url(response.headers.get("location", ""))
                return SendResult.failed(
                    SendError.HTTP_STATUS, f"{reason} (redirects are not followed: {where})", status
                )
            detail = _snippet(response)
            return SendResult.failed(
                SendError.HTTP_STATUS, f"{reason}: {detail}" if detail else reason, status
            )
    except httpx.TimeoutException:
        return SendResult.failed(SendError.TIMEOUT, f"no answer within {timeout:g} s")
    except httpx.ConnectError as exc:
        cause = exc.__context__ or exc.__cause__
        if isinstance(cause, ssl.SSLError) or "SSL" in str(exc) or "certificate" in str(exc):
            return SendResult.failed(SendError.TLS, f"TLS failed: {exc}")
        return SendResult.failed(SendError.NETWORK, f"cannot connect: {exc}")
    except httpx.TransportError as exc:
        return SendResult.failed(
            SendError.PROTOCOL, f"{type(exc).__name__}: {exc}".replace(url, redact_url(url))
        )
    except Exception as exc:  # a bug; recorded on the delivery, never raised
        return SendResult.failed(SendError.INTERNAL, f"{type(exc).__name__}: {exc}")
    finally:
        if own:
            http.close()


def send_webhook(
    url: str,
    notice: AlertNotice,
    cfg: WebhookConfig,
    *,
    dashboard_url: str,
    sent_at: datetime,
    client: httpx.Client | None = None,
) -> SendResult:
    """Render, sign and POST one alert event to `url` (one attempt; never raises)."""
    try:
        body = webhook_body(webhook_payload(notice, dashboard_url=dashboard_url, sent_at=sent_at))
    except ValueError as exc:
        return SendResult.failed(SendError.INTERNAL, str(exc))
    headers = webhook_headers(
        body,
        secret=cfg.secret,
        event=notice.event,
        delivery_id=notice.delivery_id,
        sent_at=sent_at,
        user_agent=cfg.user_agent,
    )
    return post_webhook(url, body, headers, timeout=cfg.timeout, client=client)
