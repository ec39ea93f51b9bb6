"""Send one alert event by e-mail (SMTP, STARTTLS and login when configured), one attempt.

The message is multipart/alternative (plain text first, then HTML, so a
client shows the richest part it can). Its Message-ID is derived from the
delivery id, so a retry after a lost server answer is recognisable as the
same message; `Auto-Submitted: auto-generated` (RFC 3834) keeps vacation
responders from answering a robot.

A password is never sent in the clear: with `smtp_user` set, the connection
must be encrypted, either upgraded with STARTTLS (`smtp_starttls`, submission
on port 587) or TLS from the first byte (`smtp_ssl`, SMTPS on port 465, which
some providers still require). Either way the server's certificate is
verified (the system's CA store, or the `ssl_context` a caller passes).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from notify.render import ENGLISH, AlertNotice, EmailContent, Wording, email_content
from notify.result import SendError, SendResult

MAIL_DOMAIN_FALLBACK = "threatmon.invalid"


@dataclass(frozen=True)
class SmtpConfig:
    """How e-mail is sent; built from Settings by threatmon.wiring."""

    host: str = ""
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    starttls: bool = True
    implicit_tls: bool = False  # SMTPS: TLS from the first byte (STARTTLS is then moot)
    timeout: float = 15.0  # seconds for each network operation
    # None: the system's trusted CAs. Tests pass a context that trusts their own certificate.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


def parse_recipients(target: str | Sequence[str]) -> list[str]:
    """Addresses from a comma-separated list (or a sequence); names and blanks dropped."""
    items = [target] if isinstance(target, str) else list(target)
    return [addr for _name, addr in getaddresses(items) if "@" in addr and " " not in addr]


def _domain(sender: str) -> str:
    addresses = parse_recipients(sender)
    return addresses[0].rsplit("@", 1)[1] if addresses else MAIL_DOMAIN_FALLBACK


def build_message(
    content: EmailContent,
    *,
    sender: str,
    recipients: Sequence[str],
    sent_at: datetime,
    delivery_id: int,
    alert_id: int,
) -> EmailMessage:
    """The MIME message: headers, a text/plain part and a text/html alternative."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = content.subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = f"<threatmon.delivery.{delivery_id}@{_domain(sender)}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Threatmon-Alert"] = str(alert_id)
    msg.set_content(content.text, subtype="plain", charset="utf-8")
    msg.add_alternative(content.html, subtype="html", charset="utf-8")
    return msg


def _check_config(cfg: SmtpConfig) -> SendResult | None:
    if not cfg.host:
        return SendResult.failed(SendError.CONFIG, "smtp_host is not set")
    if not parse_recipients(cfg.sender):
        return SendResult.failed(SendError.CONFIG, f"smtp_from is not an address: {cfg.sender!r}")
    try:
        Address(addr_spec=parse_recipients(cfg.sender)[0])
    except (ValueError, IndexError) as exc:
        return SendResult.failed(SendError.CONFIG, f"smtp_from is not an address: {exc}")
    if cfg.user and not (cfg.starttls or cfg.implicit_tls):
        return SendResult.failed(
            SendError.CONFIG, "smtp_user is set but neither smtp_starttls nor smtp_ssl is on: "
            "the password would travel in the clear"
        )  # fmt: skip
    return None


def transmit(msg: EmailMessage, recipients: Sequence[str], cfg: SmtpConfig) -> SendResult:
    """One SMTP session: connect (over TLS for SMTPS), STARTTLS, login, send. Never raises."""
    context = cfg.ssl_context or ssl.create_default_context()
    try:
        smtp = (
            smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
            if cfg.implicit_tls
            else smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        )
        with smtp:
            smtp.ehlo()
            if cfg.starttls and not cfg.implicit_tls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.user:
                smtp.login(cfg.user, cfg.password)
            refused = smtp.send_message(msg, to_addrs=list(recipients))
    except smtplib.SMTPNotSupportedError as exc:
        kind = SendError.TLS if cfg.starttls and "STARTTLS" in str(exc) else SendError.AUTH
        return SendResult.failed(kind, f"the server does not support it: {exc}")
    except smtplib.SMTPAuthenticationError as exc:
        return SendResult.failed(SendError.AUTH, f"login refused: {_reply(exc)}", exc.smtp_code)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {addr: code for addr, (code, _msg) in exc.recipients.items()}
        return SendResult.failed(SendError.REFUSED, f"every recipient refused: {codes}")
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        return SendResult.failed(SendError.REFUSED, f"refused: {_reply(exc)}", exc.smtp_code)
    except smtplib.SMTPServerDisconnected as exc:
        return SendResult.failed(SendError.PROTOCOL, f"the server hung up: {exc}")
    except smtplib.SMTPResponseException as exc:
        return SendResult.failed(
            SendError.PROTOCOL, f"unexpected reply: {_reply(exc)}", exc.smtp_code
        )
    except smtplib.SMTPException as exc:
        return SendResult.failed(SendError.PROTOCOL, f"{type(exc).__name__}: {exc}")
    except ssl.SSLError as exc:  # includes certificate verification failures
        return SendResult.failed(SendError.TLS, f"TLS failed: {exc}")
    except TimeoutError:
        return SendResult.failed(SendError.TIMEOUT, f"no answer within {cfg.timeout:g} s")
    except OSError as exc:  # refused, unreachable, unknown host
        return SendResult.failed(SendError.NETWORK, f"cannot connect to {cfg.host}: {exc}")
    except Exception as exc:  # a bug; recorded on the delivery, never raised
        return SendResult.failed(SendError.INTERNAL, f"{type(exc).__name__}: {exc}")
    if refused:
        return SendResult(ok=True, message=f"some recipients refused: {sorted(refused)}")
    return SendResult.sent()


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {' '.join(text.split())}".strip()


def send_email(
    target: str,
    notice: AlertNotice,
    cfg: SmtpConfig,
    *,
    dashboard_url: str,
    sent_at: datetime,
    wording: Wording = ENGLISH,
) -> SendResult:
    """Render (worded by `wording`) and send one alert event to the comma-separated
    recipients in `target`."""
    problem = _check_config(cfg)
    if problem is not None:
        return problem
    recipients = parse_recipients(target)
    if not recipients:
        return SendResult.failed(SendError.BAD_TARGET, f"no e-mail address in {target!r}")
    try:
        msg = build_message(
            email_content(notice, dashboard_url=dashboard_url, w=wording),
            sender=cfg.sender,
            recipients=recipients,
            sent_at=sent_at,
            delivery_id=notice.delivery_id,
            alert_id=notice.alert.id,
        )
    except (ValueError, TypeError) as exc:
        return SendResult.failed(SendError.INTERNAL, f"cannot build the message: {exc}")
    return transmit(msg, recipients, cfg)
