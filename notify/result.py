"""The outcome of one send attempt: sent, or a failure with a kind and a readable message.

Senders never raise: the outbox records the result on the delivery row, where
the analyst sees it next to the alert. The kinds are a closed set, like
ingest's fetch errors; `permanent` ones (a target that can never work as
written) are not retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class SendError(StrEnum):
    """Why a notification was not delivered. Stored in `alert_deliveries.last_error`."""

    CONFIG = "config"  # the channel is not configured (no SMTP host, no sender)
    BAD_TARGET = "bad_target"  # not an http(s) URL, no valid recipient
    TIMEOUT = "timeout"  # connect or read took longer than the timeout
    NETWORK = "network"  # DNS failure, connection refused or reset
    TLS = "tls"  # certificate or handshake failure, STARTTLS unsupported
    HTTP_STATUS = "http_status"  # the webhook answered something other than 2xx
    AUTH = "auth"  # the SMTP server refused the login
    REFUSED = "refused"  # the SMTP server refused the sender, recipients or message
    PROTOCOL = "protocol"  # the peer spoke something unexpected
    INTERNAL = "internal"  # a bug: any other exception, caught per delivery


PERMANENT: frozenset[SendError] = frozenset({SendError.CONFIG, SendError.BAD_TARGET})


@dataclass(frozen=True)
class SendResult:
    """One attempt's outcome. `status` is the HTTP status or SMTP reply code when known."""

    ok: bool
    error: SendError | None = None
    message: str = ""
    status: int | None = None

    @classmethod
    def sent(cls, status: int | None = None) -> SendResult:
        return cls(ok=True, status=status)

    @classmethod
    def failed(cls, error: SendError, message: str, status: int | None = None) -> SendResult:
        return cls(ok=False, error=error, message=message, status=status)

    @property
    def retryable(self) -> bool:
        """Worth another attempt later (the receiver may come back)."""
        return not self.ok and self.error not in PERMANENT

    def describe(self) -> str:
        """`http_status: HTTP 500 ...`, as recorded on the delivery."""
        if self.ok:
            return "sent"
        kind = self.error.value if self.error else "error"
        return f"{kind}: {self.message}" if self.message else kind


def redact_url(url: str) -> str:
    """`https://hooks.example.org/…`: scheme, host and port only.

    Webhook URLs often carry their credential in the path or query (chat
    services' incoming hooks do), so logs and error messages never show more.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not host:
        return "<invalid URL>"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    rest = "/…" if (parts.path not in ("", "/") or parts.query) else "/"
    return f"{parts.scheme}://{netloc}{rest}"
