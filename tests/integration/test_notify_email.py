"""E-mail sending against a real SMTP server (aiosmtpd) on 127.0.0.1: plain, STARTTLS, SMTPS.

The STARTTLS server presents a self-signed certificate made for the test with
the openssl command; the client trusts it through the ssl context it is given,
exactly as an operator's CA store would.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from notify.email import SmtpConfig, parse_recipients, send_email
from notify.render import AlertNotice, StoryLink
from notify.result import SendError
from tests.alert_notices import STORIES, make_alert, notice
from tests.smtp_server import Inbox, free_port, start

SENT = datetime(2026, 11, 25, 12, 1, 30, tzinfo=UTC)
BASE = "https://threatmon.example.kz"
USER, PASSWORD = "duty-robot", "correct horse battery staple"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == USER.encode()
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def plain_server(inbox: Inbox) -> Iterator[int]:
    yield from start(inbox)


@pytest.fixture
def tls_server(inbox: Inbox, certificate: tuple[Path, Path]) -> Iterator[int]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    yield from start(
        inbox,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )


@pytest.fixture
def smtps_server(inbox: Inbox, certificate: tuple[Path, Path]) -> Iterator[int]:
    """TLS from the first byte (SMTPS, as on port 465); login allowed since it is all encrypted."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    yield from start(
        inbox,
        ssl_context=server_context,
        authenticator=authenticator,
        auth_require_tls=False,  # it cannot tell its socket is TLS-wrapped; the client logs in
    )


@pytest.fixture
def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def plain_config(port: int) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1", port=port, sender="threatmon@soc.example.kz", starttls=False, timeout=5
    )


def send(target: str, cfg: SmtpConfig, the_notice: AlertNotice | None = None):  # type: ignore[no-untyped-def]
    return send_email(target, the_notice or notice(), cfg, dashboard_url=BASE, sent_at=SENT)


def test_a_plain_server_receives_both_parts_and_the_headers(
    inbox: Inbox, plain_server: int
) -> None:
    result = send(
        "duty@soc.example.kz, Analyst <analyst@soc.example.kz>", plain_config(plain_server)
    )
    assert result.ok, result.describe()
    (got,) = inbox.received
    assert got.mail_from == "threatmon@soc.example.kz"
    assert got.rcpt_tos == ["duty@soc.example.kz", "analyst@soc.example.kz"]
    msg = got.message
    assert msg["Subject"] == (
        "[threatmon] New alert #12: Cyber threats · Almaty (8 stories, 1.2 expected)"
    )
    assert msg["From"] == "threatmon@soc.example.kz"
    assert msg["To"] == "duty@soc.example.kz, analyst@soc.example.kz"
    assert msg["Message-ID"] == "<threatmon.delivery.77@soc.example.kz>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Threatmon-Alert"] == "12"
    assert msg["Date"] == "Wed, 25 Nov 2026 12:01:30 +0000"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "DDoS на банки Алматы" in text.get_content()
    assert "Open the alert: https://threatmon.example.kz/alerts?alert=12" in text.get_content()
    assert '<a href="https://threatmon.example.kz/alerts?alert=12">' in html.get_content()


def test_feed_text_arrives_escaped_in_the_html_part(inbox: Inbox, plain_server: int) -> None:
    hostile = AlertNotice(
        5,
        "grew",
        make_alert(),
        (StoryLink('<script>steal()</script> "Взрыв" & <i>паника</i>', "javascript:x()", SENT),
         *STORIES),
    )  # fmt: skip
    assert send("duty@soc.example.kz", plain_config(plain_server), hostile).ok
    html = inbox.received[0].message.get_body(("html",))
    assert html is not None
    body = html.get_content()
    assert "<script>" not in body and "<i>" not in body and "javascript:" not in body
    assert "&lt;script&gt;steal()&lt;/script&gt; &quot;Взрыв&quot; &amp; &lt;i&gt;паника" in body
    assert inbox.received[0].message["Subject"].startswith("[threatmon] Alert grew #12: ")


def test_starttls_and_login_with_a_trusted_certificate(
    inbox: Inbox, tls_server: int, trusting: ssl.SSLContext
) -> None:
    cfg = SmtpConfig(
        host="127.0.0.1", port=tls_server, user=USER, password=PASSWORD,
        sender="threatmon@soc.example.kz", starttls=True, timeout=5, ssl_context=trusting,
    )  # fmt: skip
    result = send("duty@soc.example.kz", cfg)
    assert result.ok, result.describe()
    (got,) = inbox.received
    assert (got.over_tls, got.authenticated) == (True, True)
    assert got.message["Subject"].startswith("[threatmon] New alert #12")


def test_smtps_sends_over_tls_from_the_first_byte_with_login(
    inbox: Inbox, smtps_server: int, trusting: ssl.SSLContext
) -> None:
    cfg = SmtpConfig(
        host="127.0.0.1", port=smtps_server, user=USER, password=PASSWORD,
        sender="threatmon@soc.example.kz", starttls=True, implicit_tls=True, timeout=5,
        ssl_context=trusting,
    )  # fmt: skip
    result = send("duty@soc.example.kz", cfg)
    assert (result.ok, result.error) == (True, None), result.message
    (got,) = inbox.received
    assert got.authenticated and got.rcpt_tos == ["duty@soc.example.kz"]


def test_smtps_with_an_untrusted_certificate_is_a_tls_failure(
    inbox: Inbox, smtps_server: int
) -> None:
    cfg = SmtpConfig(
        host="127.0.0.1", port=smtps_server, user=USER, password=PASSWORD,
        sender="threatmon@soc.example.kz", implicit_tls=True, timeout=5,
    )  # fmt: skip
    result = send("duty@soc.example.kz", cfg)
    assert (result.ok, result.error) == (False, SendError.TLS)
    assert "certificate" in result.message
    assert inbox.received == []


def test_smtps_against_a_plain_server_is_a_tls_failure(plain_server: int) -> None:
    cfg = replace(plain_config(plain_server), implicit_tls=True)
    result = send("duty@soc.example.kz", cfg)
    assert (result.ok, result.error) == (False, SendError.TLS), result.message


def test_a_wrong_password_is_an_auth_failure(
    inbox: Inbox, tls_server: int, trusting: ssl.SSLContext
) -> None:
    cfg = SmtpConfig(
        host="127.0.0.1", port=tls_server, user=USER, password="wrong",
        sender="threatmon@soc.example.kz", timeout=5, ssl_context=trusting,
    )  # fmt: skip
    result = send("duty@soc.example.kz", cfg)
    assert (result.ok, result.error, result.status) == (False, SendError.AUTH, 535)
    assert "wrong" not in result.describe()
    assert inbox.received == []


def test_an_untrusted_certificate_is_a_tls_failure(inbox: Inbox, tls_server: int) -> None:
    cfg = SmtpConfig(
        host="127.0.0.1", port=tls_server, user=USER, password=PASSWORD,
        sender="threatmon@soc.example.kz", timeout=5,
    )  # fmt: skip
    result = send("duty@soc.example.kz", cfg)
    assert (result.ok, result.error) == (False, SendError.TLS)
    assert "certificate" in result.message
    assert inbox.received == []


def test_starttls_demanded_from_a_server_without_it_is_a_tls_failure(plain_server: int) -> None:
    cfg = replace(plain_config(plain_server), starttls=True)
    result = send("duty@soc.example.kz", cfg)
    assert (result.ok, result.error) == (False, SendError.TLS)
    assert "STARTTLS" in result.message


def test_a_refused_recipient_is_recorded(inbox: Inbox, plain_server: int) -> None:
    cfg = plain_config(plain_server)
    every = send("nobody@soc.example.kz", cfg)
    assert (every.ok, every.error) == (False, SendError.REFUSED)
    assert "550" in every.message
    some = send("nobody@soc.example.kz,duty@soc.example.kz", cfg)
    assert some.ok
    assert some.message == "some recipients refused: ['nobody@soc.example.kz']"
    assert inbox.received[0].rcpt_tos == ["duty@soc.example.kz"]


def test_a_closed_port_is_a_network_failure() -> None:
    result = send("duty@soc.example.kz", plain_config(free_port()))
    assert (result.ok, result.error, result.retryable) == (False, SendError.NETWORK, True)


@pytest.mark.parametrize(
    ("cfg", "fragment"),
    [
        (SmtpConfig(sender="a@b.kz"), "smtp_host is not set"),
        (SmtpConfig(host="127.0.0.1", sender=""), "smtp_from"),
        (
            SmtpConfig(host="127.0.0.1", sender="a@b.kz", user="u", password="p", starttls=False),
            "in the clear",
        ),
    ],
)
def test_missing_or_unsafe_settings_are_permanent_config_failures(
    cfg: SmtpConfig, fragment: str
) -> None:
    result = send("duty@soc.example.kz", cfg)
    assert (result.error, result.retryable) == (SendError.CONFIG, False)
    assert fragment in result.message


def test_a_target_without_an_address_is_a_bad_target(plain_server: int) -> None:
    result = send(" , not-an-address", plain_config(plain_server))
    assert (result.error, result.retryable) == (SendError.BAD_TARGET, False)


def test_parse_recipients() -> None:
    assert parse_recipients("a@x.kz, B <b@y.kz>,, junk") == ["a@x.kz", "b@y.kz"]
    assert parse_recipients(["a@x.kz", "c@z.kz"]) == ["a@x.kz", "c@z.kz"]


def test_the_password_is_not_in_the_config_repr() -> None:
    assert PASSWORD not in repr(SmtpConfig(password=PASSWORD))


def test_a_russian_email_arrives_in_russian_with_an_encoded_subject(
    inbox: Inbox, plain_server: int
) -> None:
    from notify.wording import wording_for

    data = Path(__file__).resolve().parents[2] / "data"
    result = send_email(
        "duty@soc.example.kz",
        notice(),
        plain_config(plain_server),
        dashboard_url=BASE,
        sent_at=SENT,
        wording=wording_for("ru", data),
    )
    assert result.ok, result.describe()
    (got,) = inbox.received
    msg = got.message
    assert msg["Subject"].startswith("[threatmon] Новое оповещение #12: ")
    assert "Киберугрозы" in msg["Subject"] and "сюжетов" in msg["Subject"]
    text = msg.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Открыть оповещение: https://threatmon.example.kz/alerts?alert=12" in body
    assert "Open the alert" not in body
