"""`threatmon alerts ...`: run detection on demand, list alerts, respond to them, manage rules."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy import Engine

from indicators.alerts import ACTIONS, STATES, AlertError, AlertRow
from indicators.early_warning import AlertChange, DetectionError, DetectionReport, run_detection
from indicators.lexicon import load_actors
from indicators.playbooks import playbook_ids
from indicators.selection import default_vocabulary
from indicators.store import alerts as store
from indicators.store.deliveries import deliveries_of
from indicators.taxonomy import load_taxonomy
from indicators.watchrules import describe
from ingest.shared_jobs import DETECTION_JOB, once_per_cycle
from threatmon.notify_cli import delivery_job, delivery_line, echo_report
from threatmon.settings import Settings
from threatmon.wiring import detection_config, notify_targets, worker_id

log = logging.getLogger("threatmon.alerts")

# CLI verb -> state machine action (indicators.alerts.TRANSITIONS)
VERBS = {"ack": "acknowledge", "resolve": "resolve", "dismiss": "dismiss", "reopen": "reopen"}
assert set(VERBS.values()) == set(ACTIONS)


def parse_moment(value: str | None) -> datetime | None:
    """ISO 8601 date or date-time; without a zone it is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"not an ISO date-time: {value!r} (e.g. 2026-11-25T12:00 or 2026-11-25T12:00+05:00)",
            param_hint="--at",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def change_line(change: AlertChange) -> str:
    """One opened/grown/ended alert: label, observed vs expected, score."""
    return (
        f"{change.action:<6} #{change.alert_id:<5} {change.label}  "
        f"observed {change.observed if change.observed is not None else '-'} "
        f"vs expected {_number(change.expected)}  score {_number(change.score)}"
    )


def alert_json(a: AlertRow) -> dict[str, Any]:
    """An alert as the JSON the CLI prints (times in ISO 8601 UTC)."""

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": a.id,
        "kind": a.kind,
        "key": a.key,
        "label": a.label,
        "state": a.state,
        "active": a.active,
        "series": a.series,
        "rule_id": a.rule_id,
        "window_start": when(a.window_start),
        "window_end": when(a.window_end),
        "observed": a.observed,
        "expected": a.expected,
        "score": a.score,
        "peak_score": a.peak_score,
        "story_ids": list(a.story_ids),
        "item_ids": list(a.item_ids),
        "note": a.note,
        "playbook": a.playbook,
        "checklist": a.checklist,
        "created_at": when(a.created_at),
        "updated_at": when(a.updated_at),
        "acknowledged_at": when(a.acknowledged_at),
        "resolved_at": when(a.resolved_at),
        "dismissed_at": when(a.dismissed_at),
        "ended_at": when(a.ended_at),
    }


def alerts_table(rows: list[AlertRow], now: datetime) -> str:
    header = (
        f"{'id':>5} {'state':<12} {'wave':<6} {'obs':>4} {'exp':>6} {'score':>6} {'age':>6}  label"
    )
    lines = [header]
    for a in rows:
        hours = (now - a.created_at).total_seconds() / 3600
        age = f"{hours:.0f}h" if hours < 48 else f"{hours / 24:.0f}d"
        lines.append(
            f"{a.id:>5} {a.state:<12} {'active' if a.active else 'ended':<6} "
            f"{a.observed if a.observed is not None else '-':>4} {_number(a.expected):>6} "
            f"{_number(a.score):>6} {age:>6}  {a.label}"
        )
    return "\n".join(lines)


def report_line(report: DetectionReport, window_hours: int) -> str:
    return (
        f"detection at {report.at:%Y-%m-%d %H:%M} UTC (window {window_hours} h): "
        f"{report.series_checked} series checked, {len(report.opened)} opened, "
        f"{len(report.grown)} grew, {len(report.ended)} ended, "
        f"{report.deliveries} notification(s) queued ({report.seconds:.2f} s)"
    )


def detection_after_cycle(
    engine: Engine,
    settings: Settings,
    on_report: Callable[[DetectionReport], object] | None = None,
) -> Callable[[object], None]:
    """The step the scheduler runs after each ingest cycle: detection, as of now.

    A cycle that fetched no feed (nothing was due) brought nothing new, so it
    is skipped. With several ingest workers on one database, detection runs
    once per cycle for all of them, not once per worker
    (`ingest.shared_jobs.once_per_cycle`). A failing run raises after
    `run_detection` recorded it in `detection_runs`; the scheduler's wrapper
    (`ingest.schedule.then_after`) logs it and ingest goes on. Invalid
    thresholds fail here, at start-up.
    """
    try:
        cfg = detection_config(settings)
    except ValueError as exc:
        raise click.ClickException(f"settings: {exc}") from exc
    targets = notify_targets(settings)
    labeler = load_taxonomy(settings.data_path).label

    def after(cycle_result: object) -> None:
        if isinstance(cycle_result, list) and not cycle_result:
            return
        report = run_detection(engine, cfg, targets=targets, labeler=labeler)
        log.info("%s", report_line(report, cfg.window_hours))
        for change in report.changes:
            log.info("%s", change_line(change))
        if on_report is not None:
            on_report(report)

    return once_per_cycle(engine, DETECTION_JOB, worker_id(settings), settings.lease_seconds, after)


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach `threatmon alerts ...` to the main group."""

    @cli.group()
    def alerts() -> None:
        """Early warning: detect rises, list alerts, respond to them, manage watch rules."""

    @alerts.command("check")
    @db_option
    @click.option(
        "--at",
        "at",
        metavar="DATETIME",
        default=None,
        help="Detect as of this moment (default: now).",
    )
    @click.pass_context
    def check(ctx: click.Context, db: str | None, at: str | None) -> None:
        """Run detection once: open, grow and end alerts, print what changed; send what is due."""
        moment = parse_moment(at)
        settings = settings_of(ctx, db=db)
        try:
            cfg = detection_config(settings)
        except ValueError as exc:
            raise click.ClickException(f"settings: {exc}") from exc
        engine = engine_of(settings)
        try:
            report = run_detection(
                engine,
                cfg,
                at=moment,
                targets=notify_targets(settings),
                labeler=load_taxonomy(settings.data_path).label,
            )
        except DetectionError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(report_line(report, cfg.window_hours))
        for change in report.changes:
            click.echo(change_line(change))
        # Send what is due now (what this run queued included) instead of waiting for the
        # scheduler's minute; a failure is recorded on its delivery and printed, not raised.
        sent = delivery_job(engine, settings)()
        if sent is not None and sent.outcomes:
            echo_report(sent)

    @alerts.command("list")
    @db_option
    @click.option(
        "--state",
        "states",
        type=click.Choice(STATES),
        multiple=True,
        help="Only alerts in this state (repeatable; default: all).",
    )
    @click.option(
        "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
    )
    @click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
    @click.pass_context
    def list_command(
        ctx: click.Context, db: str | None, states: tuple[str, ...], fmt: str, limit: int
    ) -> None:
        """Alerts, newest first."""
        engine = engine_of(settings_of(ctx, db=db))
        rows = store.list_alerts(engine, states=states, limit=limit)
        if fmt == "json":
            click.echo(json.dumps([alert_json(a) for a in rows], ensure_ascii=False, indent=2))
        elif not rows:
            click.echo("no alerts")
        else:
            click.echo(alerts_table(rows, datetime.now(UTC)))

    @alerts.command("show")
    @db_option
    @click.argument("alert_id", type=int)
    @click.pass_context
    def show(ctx: click.Context, db: str | None, alert_id: int) -> None:
        """One alert with its history."""
        engine = engine_of(settings_of(ctx, db=db))
        try:
            alert = store.get_alert(engine, alert_id)
            history = store.events(engine, alert_id)
        except AlertError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps(alert_json(alert), ensure_ascii=False, indent=2))
        for e in history:
            note = f"  {e.note}" if e.note else ""
            click.echo(f"{e.at:%Y-%m-%d %H:%M} {e.event:<12} -> {e.state}{note}")
        sent = deliveries_of(engine, alert_id)
        if sent:
            click.echo("notifications (times in UTC):")
            for d in sent:
                click.echo(f"  {delivery_line(d)}")

    def _state_command(verb: str, action: str) -> None:
        @alerts.command(verb, help=f"{action.capitalize()} an alert, with an optional note.")
        @db_option
        @click.argument("alert_id", type=int)
        @click.option("--note", default="", help="The analyst's note (replaces the alert's note).")
        @click.pass_context
        def command(ctx: click.Context, db: str | None, alert_id: int, note: str) -> None:
            engine = engine_of(settings_of(ctx, db=db))
            try:
                alert = store.change_state(engine, alert_id, action, note=note)
            except AlertError as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"alert {alert.id} is {alert.state}: {alert.label}")

    for verb, action in VERBS.items():
        _state_command(verb, action)

    @alerts.group()
    def rules() -> None:
        """Watch rules: saved dashboard filters that alert on matching stories."""

    @rules.command("list")
    @db_option
    @click.pass_context
    def rules_list(ctx: click.Context, db: str | None) -> None:
        """Every watch rule."""
        engine = engine_of(settings_of(ctx, db=db))
        found = store.list_rules(engine)
        if not found:
            click.echo("no watch rules: add one with `threatmon alerts rules add NAME ...`")
            return
        click.echo(f"{'id':>4} {'on':<3} {'min':>3} {'playbook':<20} name: filters")
        for r in found:
            click.echo(
                f"{r.id:>4} {'yes' if r.enabled else 'no':<3} {r.min_stories:>3} "
                f"{r.playbook or 'general':<20} {r.name}: {describe(r.filters)}"
            )

    @rules.command("add")
    @db_option
    @click.argument("name")
    @click.option("--category", multiple=True, help="Category id (repeatable).")
    @click.option("--region", multiple=True, help="ISO 3166-2:KZ unit or country code.")
    @click.option("--platform", multiple=True, help="Platform id (repeatable).")
    @click.option("--actor", multiple=True, help="Organization id, e.g. isis (repeatable).")
    @click.option("--lang", multiple=True, help="Language code (repeatable).")
    @click.option("--source", multiple=True, help="Feed id (repeatable).")
    @click.option("-q", "q", default=None, help="Text the title or summary must contain.")
    @click.option("--min-stories", type=click.IntRange(min=1), default=1, show_default=True)
    @click.option("--playbook", default=None, help="Playbook id (default: general).")
    @click.pass_context
    def rules_add(
        ctx: click.Context,
        db: str | None,
        name: str,
        category: tuple[str, ...],
        region: tuple[str, ...],
        platform: tuple[str, ...],
        actor: tuple[str, ...],
        lang: tuple[str, ...],
        source: tuple[str, ...],
        q: str | None,
        min_stories: int,
        playbook: str | None,
    ) -> None:
        """Add a watch rule, e.g. NAME --category terrorist_activity --region KZ-75."""
        params = {
            "category": category,
            "region": region,
            "platform": platform,
            "actor": actor,
            "lang": lang,
            "source": source,
            "q": q,
        }
        settings = settings_of(ctx, db=db)
        known = playbook_ids(settings.data_path)
        if playbook is not None and playbook not in known:
            raise click.UsageError(
                f"unknown playbook {playbook!r}; the data folder has {', '.join(known) or 'none'}"
            )
        engine = engine_of(settings)
        try:
            rule = store.add_rule(
                engine,
                name,
                {k: v for k, v in params.items() if v},
                min_stories=min_stories,
                playbook=playbook,
                # organizations are data: a rule may name only the ones the data folder has
                vocabulary=replace(
                    default_vocabulary(), actors=frozenset(load_actors(settings.data_path))
                ),
            )
        except AlertError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(f"watch rule {rule.id}: {rule.name}: {describe(rule.filters)}")

    @rules.command("remove")
    @db_option
    @click.argument("rule_id", type=int)
    @click.pass_context
    def rules_remove(ctx: click.Context, db: str | None, rule_id: int) -> None:
        """Delete a watch rule (its past alerts stay)."""
        engine = engine_of(settings_of(ctx, db=db))
        try:
            store.remove_rule(engine, rule_id)
        except AlertError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(f"watch rule {rule_id} removed")
