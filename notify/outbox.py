"""Send the due notifications of the outbox and record each outcome on its delivery row.

    for each due delivery: claim -> load the alert + a few stories -> send once -> record

`deliver_due` runs as its own scheduler job (every minute, next to ingest),
so a slow or dead receiver costs at most its own timeout per delivery and
never delays ingest or detection. A failure of any kind (bad URL, refused
connection, HTTP 500, SMTP refusal, even a bug) is recorded on the delivery
(`status`, `attempts`, `last_error`, `next_attempt_at`), where the alert's
page and `threatmon alerts show` display it; nothing is raised. Retries
follow `indicators.store.deliveries.RetryPolicy`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from indicators.alerts import AlertError
from indicators.store import alerts as alert_store
from indicators.store import deliveries as outbox
from indicators.store.deliveries import DEFAULT_POLICY, Delivery, RetryPolicy
from notify.email import SmtpConfig, send_email
from notify.render import AlertNotice, StoryLink
from notify.result import SendError, SendResult, redact_url
from notify.webhook import WebhookConfig, send_webhook
from notify.wording import wording_for

log = logging.getLogger(__name__)

DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8050"


@dataclass(frozen=True)
class NotifyConfig:
    """Everything the notifier needs; built from Settings by threatmon.wiring."""

    dashboard_url: str = DEFAULT_DASHBOARD_URL
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    policy: RetryPolicy = DEFAULT_POLICY
    stories: int = 5  # stories listed in each notification
    batch: int = 100  # deliveries taken per run; the rest wait for the next minute
    language: str = "en"  # of the e-mails (setting notify_language); webhooks stay English
    data_dir: Path | None = None  # the taxonomy's labels, for alert names in `language`


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one delivery in this run."""

    delivery_id: int
    alert_id: int
    channel: str
    target: str  # shown redacted for webhooks
    result: SendResult
    status: str  # the row's status afterwards: sent | pending (retried later) | failed


@dataclass(frozen=True)
class OutboxReport:
    """One run of the outbox."""

    at: datetime
    outcomes: tuple[DeliveryOutcome, ...] = ()

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def summary(self) -> str:
        return (
            f"notifications at {self.at:%Y-%m-%d %H:%M} UTC: {len(self.outcomes)} attempted, "
            f"{self.count('sent')} sent, {self.count('pending')} to retry, "
            f"{self.count('failed')} failed for good"
        )


def shown_target(channel: str, target: str) -> str:
    """A target as logs and screens show it: webhook URLs without their path (often a secret)."""
    return redact_url(target) if channel == "webhook" else target


def load_notice(engine: Engine, delivery: Delivery, stories: int) -> AlertNotice:
    """The alert behind a delivery, with its newest few stories (AlertError if it is gone)."""
    alert = alert_store.get_alert(engine, delivery.alert_id)
    ids = alert.story_ids or alert.item_ids
    links = tuple(
        StoryLink(h.title, h.url, h.published_at)
        for h in outbox.headlines(engine, ids, limit=stories)
    )
    return AlertNotice(delivery_id=delivery.id, event=delivery.event, alert=alert, stories=links)


def send_notice(
    channel: str, target: str, notice: AlertNotice, cfg: NotifyConfig, now: datetime
) -> SendResult:
    """One attempt to send `notice` to `target` on `channel` (`webhook` or `email`)."""
    if channel == "webhook":
        return send_webhook(
            target, notice, cfg.webhook, dashboard_url=cfg.dashboard_url, sent_at=now
        )
    if channel == "email":
        return send_email(
            target,
            notice,
            cfg.smtp,
            dashboard_url=cfg.dashboard_url,
            sent_at=now,
            wording=wording_for(cfg.language, cfg.data_dir),
        )
    return SendResult.failed(SendError.CONFIG, f"unknown channel {channel!r}")


def deliver_one(
    engine: Engine, delivery: Delivery, cfg: NotifyConfig, now: datetime
) -> DeliveryOutcome:
    """Send one claimed delivery and record the result on its row."""
    try:
        notice = load_notice(engine, delivery, cfg.stories)
        result = send_notice(delivery.channel, delivery.target, notice, cfg, now)
    except AlertError as exc:
        result = SendResult.failed(SendError.CONFIG, str(exc))
    except Exception as exc:  # a bug must not stop the other deliveries
        log.exception("delivery %s: unexpected error", delivery.id)
        result = SendResult.failed(SendError.INTERNAL, f"{type(exc).__name__}: {exc}")
    if result.ok:
        outbox.record_sent(engine, delivery.id, now, note=result.message or None)
        status = "sent"
    else:
        status = outbox.record_failure(
            engine,
            delivery.id,
            result.describe(),
            now,
            retryable=result.retryable,
            policy=cfg.policy,
        ).status
    target = shown_target(delivery.channel, delivery.target)
    return DeliveryOutcome(delivery.id, delivery.alert_id, delivery.channel, target, result, status)


def deliver_due(engine: Engine, cfg: NotifyConfig, now: datetime | None = None) -> OutboxReport:
    """Send every due delivery once (up to `cfg.batch`); failures are recorded, never raised."""
    at = now or datetime.now(UTC)
    outcomes: list[DeliveryOutcome] = []
    for delivery in outbox.due_deliveries(engine, at, limit=cfg.batch):
        if not outbox.claim(engine, delivery, at, cfg.policy):
            continue  # another notifier process took it
        outcome = deliver_one(engine, delivery, cfg, at)
        outcomes.append(outcome)
        if outcome.status != "sent":
            log.warning(
                "alert %s: %s to %s not delivered (%s): %s",
                outcome.alert_id,
                outcome.channel,
                outcome.target,
                "will retry" if outcome.status == "pending" else "gave up",
                outcome.result.describe(),
            )
    return OutboxReport(at=at, outcomes=tuple(outcomes))
