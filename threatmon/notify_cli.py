"""`threatmon notify ...` and the scheduler job that sends queued alert notifications.

The job is handed to `ingest.schedule.make_scheduler` as a `SideJob`: its own
interval job next to the feed cycle, so a slow receiver never delays ingest,
and ingest imports nothing of notify.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy import Engine

from indicators.alerts import AlertRow
from indicators.store.deliveries import Delivery
from ingest.schedule import SideJob
from notify.outbox import DeliveryOutcome, OutboxReport, deliver_due, send_notice, shown_target
from notify.render import AlertNotice
from notify.result import SendResult
from threatmon.settings import Settings
from threatmon.wiring import notify_config, notify_targets

log = logging.getLogger("threatmon.notify")

DELIVERY_JOB_ID = "deliver_alert_notifications"
DELIVERY_SECONDS = 60


def delivery_job(engine: Engine, settings: Settings) -> Callable[[], OutboxReport | None]:
    """Send the due notifications once; a failing store is logged, retried next minute."""
    cfg = notify_config(settings)

    def job() -> OutboxReport | None:
        try:
            report = deliver_due(engine, cfg)
        except Exception:
            log.exception("sending alert notifications failed; trying again in a minute")
            return None
        if report.outcomes:
            log.info("%s", report.summary())
        return report

    return job


def side_jobs(engine: Engine, settings: Settings) -> tuple[SideJob, ...]:
    """The scheduler's jobs besides ingest: sending alert notifications every minute."""
    return (SideJob(DELIVERY_JOB_ID, delivery_job(engine, settings), DELIVERY_SECONDS),)


def outcome_line(o: DeliveryOutcome) -> str:
    return f"{o.status:<8} alert #{o.alert_id:<5} {o.channel:<8} {o.target}" + (
        "" if o.result.ok and not o.result.message else f"  {o.result.describe()}"
    )


def echo_report(report: OutboxReport) -> None:
    """Print one line per attempted delivery (webhook paths hidden), then the totals."""
    for outcome in report.outcomes:
        click.echo(outcome_line(outcome))
    click.echo(report.summary())


def delivery_line(d: Delivery) -> str:
    """One notification of an alert, as `alerts show` lists it (webhook URLs redacted)."""
    tries = f"{d.attempts} attempt{'' if d.attempts == 1 else 's'}"
    line = f"{d.event:<6} {d.channel:<8} {shown_target(d.channel, d.target)}  {d.status} ({tries})"
    if d.status == "sent" and d.sent_at is not None:
        line += f" at {d.sent_at:%Y-%m-%d %H:%M}"
    if d.status == "pending" and d.next_attempt_at is not None:
        line += f", next at {d.next_attempt_at:%Y-%m-%d %H:%M}"
    if d.last_error:
        line += f": {d.last_error}"
    return line


def sample_notice(now: datetime) -> AlertNotice:
    """A made-up alert (id 0) for `notify test`, so an operator can check the settings."""
    alert = AlertRow(
        id=0,
        kind="rule",
        key="test",
        active=True,
        rule_id=None,
        series={},
        label="threatmon test notification (not a real alert)",
        window_start=now,
        window_end=now,
        observed=0,
        expected=None,
        score=None,
        peak_score=None,
        story_ids=(),
        item_ids=(),
        state="new",
        note="",
        playbook=None,
        checklist={},
        created_at=now,
        updated_at=now,
    )
    return AlertNotice(delivery_id=0, event="opened", alert=alert)


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach `threatmon notify ...` to the main group."""

    @cli.group()
    def notify() -> None:
        """Alert notifications: send the queued ones now, or test the settings."""

    @notify.command("deliver")
    @db_option
    @click.pass_context
    def deliver(ctx: click.Context, db: str | None) -> None:
        """Send the notifications that are due now (the scheduler does this every minute)."""
        settings = settings_of(ctx, db=db)
        echo_report(deliver_due(engine_of(settings), notify_config(settings)))

    @notify.command("test")
    @click.pass_context
    def test(ctx: click.Context) -> None:
        """Send a made-up alert to every configured webhook and e-mail list; exit 1 on a failure."""
        settings: Settings = settings_of(ctx)
        cfg = notify_config(settings)
        now = datetime.now(UTC)
        notice = sample_notice(now)
        results: list[tuple[str, str, SendResult]] = []
        for channel, target in notify_targets(settings).deliveries():
            result = send_notice(channel, target, notice, cfg, now)
            results.append((channel, shown_target(channel, target), result))
        if not results:
            raise click.ClickException(
                "no notification target: set THREATMON_ALERT_WEBHOOKS and/or THREATMON_SMTP_TO"
            )
        for channel, target, result in results:
            click.echo(f"{'ok' if result.ok else 'FAILED':<7} {channel:<8} {target}  "
                       f"{result.describe()}")  # fmt: skip
        if not all(r.ok for _c, _t, r in results):
            raise click.ClickException("some notification targets failed (see above)")
