"""Notification settings: parsed from the environment, wired into configs, secrets never shown."""

from __future__ import annotations

from dataclasses import fields

import pytest

from threatmon.settings import SECRET_SETTINGS, Settings, load_settings
from threatmon.wiring import notify_config, notify_targets

ENV = {
    "THREATMON_ALERT_WEBHOOKS": "https://a.example.kz/h/1, ,https://b.example.kz/h/2",
    "THREATMON_ALERT_WEBHOOK_SECRET": "hmac-key",
    "THREATMON_SMTP_HOST": "mail.example.kz",
    "THREATMON_SMTP_PORT": "2525",
    "THREATMON_SMTP_USER": "robot",
    "THREATMON_SMTP_PASSWORD": "pw-123",
    "THREATMON_SMTP_FROM": "threatmon@example.kz",
    "THREATMON_SMTP_TO": "duty@example.kz,lead@example.kz",
    "THREATMON_SMTP_STARTTLS": "no",
    "THREATMON_DASHBOARD_URL": "https://tm.example.kz",
}


def test_defaults_send_nothing_and_link_to_the_local_dashboard() -> None:
    settings = load_settings(environ={})
    targets = notify_targets(settings)
    assert (targets.webhooks, targets.email_to) == ((), ())
    cfg = notify_config(settings)
    assert cfg.dashboard_url == "http://127.0.0.1:8050"
    assert (cfg.smtp.host, cfg.smtp.port, cfg.smtp.starttls) == ("", 587, True)
    assert cfg.smtp.implicit_tls is False
    assert cfg.webhook.secret == ""


def test_environment_reaches_targets_and_configs() -> None:
    settings = load_settings(environ=ENV)
    targets = notify_targets(settings)
    assert targets.webhooks == ("https://a.example.kz/h/1", "https://b.example.kz/h/2")
    assert targets.deliveries()[-1] == ("email", "duty@example.kz,lead@example.kz")
    cfg = notify_config(settings)
    assert cfg.dashboard_url == "https://tm.example.kz"
    assert cfg.webhook.secret == "hmac-key"
    assert (cfg.smtp.host, cfg.smtp.port, cfg.smtp.user, cfg.smtp.password) == (
        "mail.example.kz",
        2525,
        "robot",
        "pw-123",
    )
    assert (cfg.smtp.sender, cfg.smtp.starttls) == ("threatmon@example.kz", False)


def test_smtps_is_one_setting() -> None:
    settings = load_settings(environ={"THREATMON_SMTP_SSL": "1", "THREATMON_SMTP_PORT": "465"})
    smtp = notify_config(settings).smtp
    assert (smtp.implicit_tls, smtp.port) == (True, 465)


def test_a_bad_port_names_its_variable() -> None:
    with pytest.raises(ValueError, match="THREATMON_SMTP_PORT"):
        load_settings(environ={"THREATMON_SMTP_PORT": "smtp"})


def test_secrets_never_appear_in_a_repr() -> None:
    settings = load_settings(environ=ENV)
    shown = repr(settings) + repr(notify_config(settings)) + repr(notify_targets(settings))
    for value in ("hmac-key", "pw-123", "/h/1", "/h/2"):
        assert value not in shown
    hidden = {f.name for f in fields(Settings) if not f.repr}
    assert hidden == SECRET_SETTINGS
