"""Commands that create the store and fetch feeds: `init`, `ingest` and `feeds ...`.

Registered on the command group when one of them is used (see
`threatmon.cli.LazyGroup`), so that a command which does not touch feeds
starts without the fetching stack.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from indicators.models import FeedFields
from indicators.store import read, write
from indicators.store.engine import StoreError, make_engine, shown_url
from indicators.store.leases import HeldFeed
from indicators.store.migrations import upgrade
from ingest.refresh import FetchRun, run_due_feeds, run_every_feed_once
from ingest.schedule import StopFlag, make_scheduler, then_after
from ingest.sources import (
    FORMATS,
    FeedListError,
    build_feed_fields,
    load_feed_list,
    validate_feed_url,
)
from threatmon import alerts_cli, notify_cli
from threatmon.tagging import tagging_for, tagging_source
from threatmon.wiring import ingest_config

log = logging.getLogger("threatmon")


# --- init ------------------------------------------------------------------


def _load_feeds(engine: Engine, path: Path) -> int:
    try:
        specs = load_feed_list(path)
    except FeedListError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot read feed list {path}: {exc}") from exc
    write.upsert_feeds(engine, specs)
    return len(specs)


# --- ingest ------------------------------------------------------------------


def _progress_line(run: FetchRun, done: int, total: int) -> str:
    mark = {"ok": "ok", "not_modified": "304", "error": "ERR"}.get(run.status, run.status)
    detail = f"+{run.new_items} new" if run.status != "error" else f"{run.error_kind}"
    return f"[{done}/{total}] {mark:>3} {run.feed_name[:40]:<40} {detail} ({run.duration_s:.1f}s)"


def _summary_table(runs: list[FetchRun]) -> str:
    header = f"{'status':<12} {'new':>5} {'secs':>6}  {'feed':<36} error"
    lines = [header, "-" * len(header)]
    for run in sorted(runs, key=lambda r: (r.status != "error", r.feed_name.lower())):
        error = f"{run.error_kind}: {run.error_message}" if run.error_kind else (run.warning or "")
        lines.append(
            f"{run.status:<12} {run.new_items:>5} {run.duration_s:>6.1f}  "
            f"{run.feed_name[:36]:<36} {error[:120]}"
        )
    ok = sum(r.status == "ok" for r in runs)
    unchanged = sum(r.status == "not_modified" for r in runs)
    failed = sum(r.status == "error" for r in runs)
    new = sum(r.new_items for r in runs)
    lines.append("-" * len(header))
    lines.append(
        f"{len(runs)} feeds: {ok} ok, {unchanged} not modified, {failed} failed; {new} new items"
    )
    return "\n".join(lines)


def _install_stop_handlers(stop: StopFlag, on_stop: Any = None) -> None:
    """Make SIGINT and SIGTERM set `stop` and call `on_stop` (the scheduler's shutdown).

    `on_stop` runs in a thread of its own, not in the handler: a handler runs in
    the main thread between any two bytecodes, so it can interrupt the scheduler
    while the main thread holds a lock the shutdown needs (a thread pool's, taken
    while a job is submitted), and calling it there would wait on that lock
    forever. The thread waits for the main thread to let go instead.
    """

    def handler(signum: int, _frame: Any) -> None:
        log.info("received %s: finishing the current feed batch", signal.Signals(signum).name)
        stop.set()
        if on_stop is not None:
            threading.Thread(target=on_stop, name="threatmon-stop", daemon=True).start()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach `init`, `ingest` and the `feeds` group to the main group."""
    _settings, _engine = settings_of, engine_of

    @cli.command()
    @db_option
    @click.option(
        "--feeds",
        "feeds_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Feed list to load (default: data/feeds.toml).",
    )
    @click.pass_context
    def init(ctx: click.Context, db: str | None, feeds_file: str | None) -> None:
        """Create or upgrade the database and load the feed list."""
        settings = _settings(ctx, db=db, feeds_file=feeds_file)
        try:
            engine = make_engine(settings.db)
            before, after = upgrade(engine)
        except (StoreError, SQLAlchemyError) as exc:
            raise click.ClickException(f"database {shown_url(settings.db)}: {exc}") from exc
        if before is None:
            click.echo(f"created database {shown_url(settings.db)} (schema version {after})")
        elif before != after:
            click.echo(
                f"upgraded database {shown_url(settings.db)} from version {before} to {after}"
            )
        else:
            click.echo(f"database {shown_url(settings.db)} is up to date (schema version {after})")
        count = _load_feeds(engine, settings.feeds_path)
        click.echo(f"loaded {count} feeds from {settings.feeds_path}")

    @cli.command()
    @db_option
    @click.option(
        "--once", is_flag=True, help="Fetch every enabled feed once, print a summary, exit."
    )
    @click.option(
        "--feeds",
        "feeds_file",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="Upsert the feeds in this TOML file first.",
    )
    @click.option(
        "--worker-id",
        "worker_id",
        metavar="NAME",
        default=None,
        help="This worker's name in fetch runs and feed health (default: $THREATMON_WORKER_ID "
        "or host:pid).",
    )
    @click.pass_context
    def ingest(
        ctx: click.Context,
        db: str | None,
        once: bool,
        feeds_file: str | None,
        worker_id: str | None,
    ) -> None:
        """Fetch feeds: on a schedule (default) or once.

        Several ingest processes, on one machine or several, may share a database:
        each claims the feeds it fetches with a lease, so none is fetched twice.
        """
        began = datetime.now(UTC)  # --once: the feeds not fetched since then, by anyone
        settings = _settings(ctx, db=db, worker_id=worker_id)
        engine = _engine(settings)
        if feeds_file:
            click.echo(f"upserted {_load_feeds(engine, Path(feeds_file))} feeds from {feeds_file}")
        tagging = tagging_source(settings)  # re-read before each cycle when changed
        tagging()  # a lexicon that does not compile stops here, not in the scheduler
        cfg = ingest_config(settings)
        stop = StopFlag()
        # Early warning after every cycle; `--once` also prints the run's summary line.
        detect = alerts_cli.detection_after_cycle(
            engine,
            settings,
            on_report=(
                (lambda r: click.echo(alerts_cli.report_line(r, settings.alert_window_hours)))
                if once
                else None
            ),
        )
        click.echo(f"ingest worker {cfg.worker_id}", err=True)
        if once:
            _install_stop_handlers(stop)
            total = done = 0

            def progress(run: FetchRun) -> None:
                nonlocal done
                done += 1
                click.echo(_progress_line(run, done, total), err=True)

            def joined(since: datetime) -> None:
                nonlocal total  # the feeds the cycle still wants; some may go to others
                total = len(read.due_feeds(engine, since, all_enabled=True))
                if since != began:  # another worker's cycle: what is left of it
                    click.echo(
                        f"joining the --once cycle other workers began at {since:%H:%M:%S} UTC: "
                        f"{total} feed(s) not fetched in it yet",
                        err=True,
                    )

            def waiting(held: list[HeldFeed]) -> None:
                owners = ", ".join(
                    sorted({f"{h.owner} (until {h.until:%H:%M:%S} UTC)" for h in held})
                )
                click.echo(
                    f"waiting for {len(held)} feed(s) other workers hold: {owners}", err=True
                )

            runs = run_every_feed_once(
                engine,
                cfg,
                tagging(),
                since=began,
                stop=stop,
                on_result=progress,
                on_wait=waiting,
                on_cycle=joined,
            )
            click.echo(_summary_table(runs))
            then_after(lambda: runs, detect)()
            sent = notify_cli.delivery_job(engine, settings)()  # what detection just queued
            if sent is not None and sent.outcomes:
                click.echo(sent.summary())
            return
        scheduler = make_scheduler(
            lambda: run_due_feeds(engine, cfg, tagging(), stop=stop),
            blocking=True,
            after_cycle=detect,
            side_jobs=notify_cli.side_jobs(engine, settings),
        )
        _install_stop_handlers(stop, on_stop=lambda: scheduler.shutdown(wait=False))
        click.echo("ingest scheduler started; Ctrl+C to stop", err=True)
        scheduler.start()

    # --- feeds ---------------------------------------------------------------

    @cli.group()
    def feeds() -> None:
        """List and manage the feeds."""

    @feeds.command("list")
    @db_option
    @click.pass_context
    def feeds_list(ctx: click.Context, db: str | None) -> None:
        """Show every feed with its health."""
        engine = _engine(_settings(ctx, db=db))
        rows = read.list_feeds(engine)
        now = datetime.now(UTC)
        if not rows:
            click.echo("no feeds: run `threatmon init` or `threatmon feeds add URL`")
            return
        click.echo(
            f"{'id':>4} {'on':<3} {'lang':<4} {'kind':<8} {'format':<8} {'status':<12} "
            f"{'errs':>4}  {'last fetch (UTC)':<16}  name / url"
        )
        for f in rows:
            fetched = f.last_fetched_at.strftime("%Y-%m-%d %H:%M") if f.last_fetched_at else "never"
            click.echo(
                f"{f.id:>4} {'yes' if f.enabled else 'no':<3} {f.language:<4} {f.kind:<8} "
                f"{f.format:<8} {f.last_status or '-':<12} {f.consecutive_errors:>4}  "
                f"{fetched:<16}  {f.name}"
            )
            click.echo(f"{'':>52}{f.url}")
            if f.last_worker:
                click.echo(f"{'':>52}last fetched by {f.last_worker}")
            if f.lease_owner and f.lease_until and f.lease_until >= now:
                until = f"{f.lease_until:%H:%M:%S} UTC"
                click.echo(f"{'':>52}being fetched by {f.lease_owner} (lease until {until})")
            if f.last_status == "error" and f.last_error:
                click.echo(f"{'':>52}last error: {f.last_error_kind}: {f.last_error}")

    @feeds.command("add")
    @db_option
    @click.argument("url")
    @click.option("--name", default=None, help="Display name (default: the URL's host).")
    @click.option("--language", default="", help="ru, kk or en (default: detected per item).")
    @click.option("--country", default="", help="ISO 3166-1 alpha-2 code of the outlet.")
    @click.option(
        "--kind",
        type=click.Choice(["media", "official", "cyber", "search"]),
        default="media",
        show_default=True,
    )
    @click.option(
        "--format",
        "source_format",
        type=click.Choice(FORMATS),
        default="rss",
        show_default=True,
        help="How the source publishes: rss (RSS/Atom/RDF), telegram (https://t.me/s/NAME), "
        "sitemap (a news sitemap or sitemap index) or html (a listing page read by --selector).",
    )
    @click.option(
        "--selector",
        "selector_pairs",
        multiple=True,
        metavar="PART=VALUE",
        help="For --format html: a CSS selector for item, link, title, date or lead "
        "(repeat; item and link are required). For --format sitemap: follow=TEXT reads "
        "only the sitemaps of an index whose URL contains TEXT.",
    )
    @click.option(
        "--interval",
        "interval_minutes",
        type=click.IntRange(min=5),
        default=None,
        help="Minutes between fetches (default: the global interval).",
    )
    @click.pass_context
    def feeds_add(
        ctx: click.Context,
        db: str | None,
        url: str,
        name: str | None,
        language: str,
        country: str,
        kind: str,
        source_format: str,
        selector_pairs: tuple[str, ...],
        interval_minutes: int | None,
    ) -> None:
        """Add a feed (or update the one with this URL)."""
        from urllib.parse import urlsplit

        try:
            url = validate_feed_url(url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="URL") from exc
        raw: dict[str, object] = {
            "url": url,
            "name": name or urlsplit(url).hostname or url,
            "language": language,
            "country": country,
            "kind": kind,
            "format": source_format,
            "interval_minutes": interval_minutes,
        }
        if selector_pairs:
            if any("=" not in pair for pair in selector_pairs):
                raise click.BadParameter("write each as PART=VALUE", param_hint="--selector")
            raw["selectors"] = dict(pair.split("=", 1) for pair in selector_pairs)
        try:
            fields = build_feed_fields(raw)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        engine = _engine(_settings(ctx, db=db))
        (feed_id,) = write.upsert_feeds(engine, [fields])
        click.echo(f"feed {feed_id}: {fields.name} <{url}>")

    def _feed_id_command(name: str, help_text: str, action: Any, done: str) -> None:
        @feeds.command(name, help=help_text)
        @db_option
        @click.argument("feed_id", type=int)
        @click.pass_context
        def command(ctx: click.Context, db: str | None, feed_id: int) -> None:
            engine = _engine(_settings(ctx, db=db))
            if not action(engine, feed_id):
                raise click.ClickException(
                    f"no feed with id {feed_id} (see `threatmon feeds list`)"
                )
            click.echo(f"feed {feed_id} {done}")

    _feed_id_command(
        "remove", "Delete a feed (its stored items stay).", write.remove_feed, "removed"
    )
    _feed_id_command(
        "enable",
        "Enable a feed; it is fetched at the next run.",
        lambda e, i: write.set_feed_enabled(e, i, True),
        "enabled",
    )
    _feed_id_command(
        "disable",
        "Disable a feed; it is no longer fetched.",
        lambda e, i: write.set_feed_enabled(e, i, False),
        "disabled",
    )

    @feeds.command("test")
    @db_option
    @click.argument("feed_id", type=int)
    @click.pass_context
    def feeds_test(ctx: click.Context, db: str | None, feed_id: int) -> None:
        """Fetch a source once and print what would be stored, storing nothing."""
        from dataclasses import replace

        from ingest.refresh import collect_feed

        settings = _settings(ctx, db=db)
        engine = _engine(settings)
        feed = read.get_feed(engine, feed_id)
        if feed is None:
            raise click.ClickException(f"no feed with id {feed_id} (see `threatmon feeds list`)")
        # A full fetch: the stored validators would turn an unchanged source into a bare 304.
        feed = replace(feed, etag=None, last_modified=None)
        result = collect_feed(
            feed, ingest_config(settings), tagging_for(settings), now=datetime.now(UTC)
        )
        click.echo(f"feed {feed.id}: {feed.name} <{feed.url}> ({feed.format})")
        if result.error is not None:
            click.echo(f"error: {result.error.kind.value}: {result.error.message}")
            ctx.exit(1)
        click.echo(
            f"{result.status}: HTTP {result.http_status}, {result.bytes} bytes, "
            f"{result.entries} entries, {len(result.items)} items"
        )
        if result.warning:
            click.echo(f"warning: {result.warning}")
        for item in result.items:
            tags = ", ".join(item.tags.categories + item.tags.regions + item.tags.platforms)
            click.echo(f"- {item.published_at:%Y-%m-%d %H:%M} [{item.lang}] {item.title}")
            click.echo(f"  {item.url or item.guid or ''}")
            if item.summary:
                click.echo(f"  {item.summary[:200]}")
            click.echo(f"  relevant: {'yes' if item.tags.relevant else 'no'}; tags: {tags or '-'}")
        click.echo("nothing was stored")

    @feeds.command("import-opml")
    @db_option
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.pass_context
    def feeds_import_opml(ctx: click.Context, db: str | None, file: str) -> None:
        """Add the feeds of an OPML file."""
        from ingest.opml import OpmlError, parse_opml

        try:
            specs = parse_opml(Path(file).read_bytes())
        except OpmlError as exc:
            raise click.ClickException(f"{file}: {exc}") from exc
        engine = _engine(_settings(ctx, db=db))
        write.upsert_feeds(engine, specs)
        click.echo(f"imported {len(specs)} feeds from {file}")

    @feeds.command("export-opml")
    @db_option
    @click.argument("file", type=click.Path(dir_okay=False, writable=True))
    @click.pass_context
    def feeds_export_opml(ctx: click.Context, db: str | None, file: str) -> None:
        """Write all feeds to an OPML file ("-" for standard output)."""
        from ingest.opml import to_opml

        engine = _engine(_settings(ctx, db=db))
        specs = [
            FeedFields(
                url=f.url,
                name=f.name,
                language=f.language,
                country=f.country,
                kind=f.kind,
                format=f.format,
                selectors=f.selectors,
                interval_minutes=f.interval_minutes,
                enabled=f.enabled,
            )
            for f in read.list_feeds(engine)
        ]
        data = to_opml(specs)
        if file == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(file).write_bytes(data)
            click.echo(f"exported {len(specs)} feeds to {file}")
