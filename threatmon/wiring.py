"""Builds the objects the packages need from `Settings` (the only place that knows both)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from indicators.alerts import NotifyTargets
from indicators.detection import DetectionConfig
from indicators.store.engine import ServerOptions, make_engine
from indicators.store.migrations import require_current, upgrade
from ingest.fetch import FetchLimits
from ingest.refresh import IngestConfig, default_worker_id
from notify.email import SmtpConfig
from notify.outbox import NotifyConfig
from notify.webhook import WebhookConfig

if TYPE_CHECKING:  # the report pulls in numpy: loaded only by the commands that count terms
    from indicators.emerging_report import EmergingConfig
from threatmon.settings import Settings


def emerging_config(settings: Settings) -> EmergingConfig:
    """How emerging terms are counted, for the command line and the dashboard."""
    from indicators.emerging_report import EmergingConfig

    return EmergingConfig(
        recent_days=settings.terms_recent_days,
        window_days=settings.terms_window_days,
        min_count=settings.terms_min_count,
    )


def ingest_config(settings: Settings) -> IngestConfig:
    return IngestConfig(
        limits=FetchLimits(
            connect_timeout=settings.connect_timeout,
            deadline=settings.fetch_deadline,
            max_bytes=settings.max_body_bytes,
            max_redirects=settings.max_redirects,
            allow_private_hosts=settings.allow_private_hosts,
            user_agent=settings.user_agent,
        ),
        parse_timeout=settings.parse_timeout,
        parse_memory_mb=settings.parse_memory_mb,
        telegram_pages=settings.telegram_pages,
        sitemap_depth=settings.sitemap_depth,
        interval_minutes=settings.interval_minutes,
        concurrency=settings.concurrency,
        worker_id=worker_id(settings),
        lease_seconds=settings.lease_seconds,
    )


def worker_id(settings: Settings) -> str:
    """This process's name among the ingest workers (`--worker-id`, default host:pid)."""
    return settings.worker_id or default_worker_id()


def server_options(settings: Settings) -> ServerOptions:
    """The connection pool (any store) and the statement timeout (PostgreSQL)."""
    return ServerOptions(
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        statement_timeout=settings.db_statement_timeout,
    )


def detection_config(settings: Settings) -> DetectionConfig:
    """The early-warning thresholds (ValueError when they contradict each other)."""
    return DetectionConfig(
        window_hours=settings.alert_window_hours,
        min_stories=settings.alert_min_stories,
        min_ratio=settings.alert_min_ratio,
        min_score=settings.alert_min_score,
        exit_score=settings.alert_exit_score,
        cooldown_hours=settings.alert_cooldown_hours,
    )


def _listed(value: object) -> tuple[str, ...]:
    """A comma-separated setting (or an already split one) as a tuple of non-empty parts."""
    parts = value.split(",") if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
    return tuple(p.strip() for p in parts if p and p.strip())


def notify_targets(settings: Settings) -> NotifyTargets:
    """Where detection queues notifications: the webhook URLs and the e-mail recipients."""
    return NotifyTargets(
        webhooks=_listed(settings.alert_webhooks),
        email_to=_listed(settings.smtp_to),
    )


def notify_config(settings: Settings) -> NotifyConfig:
    """How the notifier sends what detection queued (webhook signing, SMTP, links)."""
    return NotifyConfig(
        dashboard_url=settings.dashboard_url,
        webhook=WebhookConfig(
            secret=settings.alert_webhook_secret,
            timeout=settings.connect_timeout,
            user_agent=settings.user_agent,
        ),
        smtp=SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            implicit_tls=settings.smtp_ssl,
        ),
        language=settings.notify_language,
        data_dir=settings.data_path,
    )


def open_store(settings: Settings, *, migrate: bool = False, read_only: bool = False) -> Engine:
    """Open the database; `migrate` creates/upgrades it, otherwise it must be current."""
    engine = make_engine(settings.db, read_only=read_only, server=server_options(settings))
    if migrate:
        upgrade(engine)
    else:
        require_current(engine)
    return engine
