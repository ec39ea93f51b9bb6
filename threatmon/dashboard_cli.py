"""Commands around the dashboard: `serve`, `run` (dashboard + scheduler) and `export`."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from indicators.export import WRITERS
from indicators.lexicon import load_actors, load_labels
from indicators.places import PlacesError, load_places
from indicators.selection import FilterError, default_vocabulary
from indicators.snapshot import build_snapshot
from indicators.store.engine import StoreError, shown_url
from ingest.refresh import run_due_feeds
from ingest.schedule import StopFlag, make_scheduler
from threatmon.alerts_cli import detection_after_cycle
from threatmon.cli_filters import filters_from_options
from threatmon.notify_cli import side_jobs
from threatmon.settings import Settings
from threatmon.tagging import tagging_for, tagging_source
from threatmon.wiring import detection_config, emerging_config, ingest_config, server_options

if TYPE_CHECKING:  # flask behind it: imported when the dashboard is served, not by every command
    from dashboard.signin import SignInConfig

log = logging.getLogger("threatmon")


def is_loopback(host: str) -> bool:
    """Is `host` an address only this machine can reach (127.0.0.0/8, ::1, localhost)?

    Anything else, a name included, counts as reachable from elsewhere: 0.0.0.0
    and :: bind every interface.
    """
    clean = host.strip().strip("[]").lower()
    if clean == "localhost":
        return True
    try:
        return ipaddress.ip_address(clean).is_loopback
    except ValueError:
        return False


def sign_in_required(settings: Settings) -> bool:
    """Off loopback always; on loopback when `require_sign_in` says so."""
    return settings.require_sign_in or not is_loopback(settings.host)


def sign_in_config(settings: Settings, drawn_secret: bytes) -> SignInConfig:
    """The sign-in settings; the session key is `session_secret`'s, else one drawn at start."""
    from dashboard.signin import SignInConfig

    if settings.session_secret:
        key = hashlib.sha256(b"threatmon-session\0" + settings.session_secret.encode()).digest()
    else:  # a key of its own, derived from the secret every worker shares
        key = hmac.new(drawn_secret, b"threatmon-session", hashlib.sha256).digest()
    return SignInConfig(
        secret=key,
        session_hours=settings.session_hours,
        cookie_secure=settings.session_cookie_secure,
        failures_per_user=settings.login_failures_per_user,
        failures_per_client=settings.login_failures_per_client,
        window_minutes=settings.login_window_minutes,
    )


def _require_a_user(settings: Settings) -> None:
    """Refuse to serve a dashboard nobody could sign in to."""
    from indicators.store.engine import make_engine
    from indicators.store.users import count_users

    engine = make_engine(settings.db, read_only=True)
    try:
        if count_users(engine):
            return
    finally:
        engine.dispose()
    why = (
        f"{settings.host} is not a loopback address, so the dashboard requires sign-in"
        if not is_loopback(settings.host)
        else "require_sign_in is set"
    )
    raise click.ClickException(
        f"{why}, and no user exists: add one with `threatmon users add NAME --role analyst`, "
        "or serve on 127.0.0.1 (the default)"
    )


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve_dashboard(settings: Settings, *, demo: bool = False, quiet: bool = False) -> None:
    """Build the dashboard for `settings` and serve it until SIGINT or SIGTERM.

    Port 0 picks a free port; the address actually bound is printed, with
    whether alert actions are on (the default) or the dashboard is read-only.
    `settings.workers` above 1 serves it from that many processes (gunicorn).
    Off loopback (or with `require_sign_in`) every visitor must sign in, and a
    database without users is refused before anything is bound.
    """
    from dashboard.app import create_app, make_http_server

    sign_in = sign_in_required(settings)
    drawn = secrets.token_bytes(32)  # forked workers inherit it; gunicorn passes its own

    def build(shared_secret: bytes | None = None) -> Any:
        secret = shared_secret or drawn
        return create_app(
            settings.db,
            settings.data_path,
            demo=demo,
            read_only=settings.dashboard_read_only,
            detection=detection_config(settings),
            lexicon_overlay=settings.overlay_path,
            emerging=emerging_config(settings),
            csrf_secret=secret,
            sign_in=sign_in_config(settings, secret) if sign_in else None,
            read_db_url=settings.dashboard_db or None,
            server=server_options(settings),
            query_threads=settings.dashboard_query_threads,
        )

    mode = "read-only" if settings.dashboard_read_only else "alert actions on"
    if sign_in:
        mode += "; sign-in required"

    def banner(port: int, processes: str = "") -> None:
        click.echo(
            f"dashboard on http://{settings.host}:{port}/ ({mode}; {processes}Ctrl+C to stop)",
            err=True,
        )

    try:
        app = build()  # also in the multi-process case: a broken store fails here, clearly
    except StoreError as exc:
        raise click.ClickException(f"database {shown_url(settings.db)}: {exc}") from exc
    if sign_in:
        _require_a_user(settings)
    if settings.workers > 1:
        from threatmon.web_server import run_workers

        del app  # each worker builds its own after the fork
        run_workers(
            build,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            on_ready=lambda port: banner(port, f"{settings.workers} worker processes; "),
            quiet=quiet,
        )
        return
    server = make_http_server(app, settings.host, settings.port, quiet=quiet)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    banner(server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach the dashboard commands to the main group."""
    host_option = click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
    port_option = click.option("--port", type=int, default=None, help="Port (default 8050).")
    workers_option = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="Dashboard processes (default 1: the built-in server; more: gunicorn).",
    )
    read_only_option = click.option(
        "--read-only",
        "read_only",
        is_flag=True,
        default=False,
        help="No alert actions: the dashboard gets no writable database connection "
        "(default: analysts can acknowledge, resolve, dismiss and reopen alerts).",
    )

    @cli.command()
    @db_option
    @host_option
    @port_option
    @workers_option
    @read_only_option
    @click.pass_context
    def serve(
        ctx: click.Context,
        db: str | None,
        host: str | None,
        port: int | None,
        workers: int | None,
        read_only: bool,
    ) -> None:
        """Serve the dashboard on http://127.0.0.1:8050 (alert actions on unless --read-only)."""
        settings = settings_of(
            ctx,
            db=db,
            host=host,
            port=port,
            workers=workers,
            dashboard_read_only=read_only or None,
        )
        engine_of(settings).dispose()  # fails clearly when the database is not initialized
        serve_dashboard(settings)

    @cli.command()
    @db_option
    @host_option
    @port_option
    @read_only_option
    @click.pass_context
    def run(
        ctx: click.Context, db: str | None, host: str | None, port: int | None, read_only: bool
    ) -> None:
        """Run the ingest scheduler in the background and the dashboard in the foreground."""
        settings = settings_of(
            ctx, db=db, host=host, port=port, dashboard_read_only=read_only or None
        )
        engine = engine_of(settings)
        tagging = tagging_source(settings)  # re-read before each cycle when changed
        tagging()  # a lexicon that does not compile stops `run` here, not in the scheduler
        cfg = ingest_config(settings)
        stop = StopFlag()
        scheduler = make_scheduler(
            lambda: run_due_feeds(engine, cfg, tagging(), stop=stop),
            blocking=False,
            after_cycle=detection_after_cycle(engine, settings),
            side_jobs=side_jobs(engine, settings),
        )
        scheduler.start()
        click.echo("ingest scheduler started (feeds are fetched when due)", err=True)
        if settings.workers > 1:  # forking workers next to the scheduler's threads is unsafe
            click.echo(
                "run serves the dashboard from one process; for several, run "
                "`threatmon ingest` and `threatmon serve --workers N` side by side",
                err=True,
            )
            settings = settings.with_overrides(workers=1)
        try:
            serve_dashboard(settings)
        finally:
            click.echo("stopping: letting the feeds in flight finish", err=True)
            stop.set()
            scheduler.shutdown(wait=True)

    @cli.command()
    @db_option
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(WRITERS)),
        default="json",
        show_default=True,
        help="Snapshot format.",
    )
    @click.option(
        "--from", "date_from", metavar="DATE", default=None, help="First day (YYYY-MM-DD, UTC)."
    )
    @click.option(
        "--to", "date_to", metavar="DATE", default=None, help="Last day (YYYY-MM-DD, UTC)."
    )
    @click.option("--category", multiple=True, help="Category id (repeatable).")
    @click.option("--region", multiple=True, help="Region code, e.g. KZ-75 (repeatable).")
    @click.option("--platform", multiple=True, help="Platform id (repeatable).")
    @click.option("--actor", multiple=True, help="Organization id, e.g. isis (repeatable).")
    @click.option("--lang", multiple=True, help="Language code ru/kk/en (repeatable).")
    @click.option("--source", multiple=True, help="Feed id (repeatable).")
    @click.option("-q", "query", default=None, help="Text that title or summary must contain.")
    @click.option(
        "--granularity",
        type=click.Choice(["day", "week", "month"]),
        default="day",
        show_default=True,
        help="Time series bucket.",
    )
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        help="Output file (default: standard output).",
    )
    @click.option(
        "--ui",
        "ui_lang",
        type=click.Choice(["en", "ru", "kk"]),
        default="en",
        show_default=True,
        help="Language of CSV/XLSX headings, sheet names and labels (en keeps the "
        "identifiers scripts read; JSON keys and STIX never change).",
    )
    @click.pass_context
    def export(
        ctx: click.Context,
        db: str | None,
        fmt: str,
        date_from: str | None,
        date_to: str | None,
        category: tuple[str, ...],
        region: tuple[str, ...],
        platform: tuple[str, ...],
        actor: tuple[str, ...],
        lang: tuple[str, ...],
        source: tuple[str, ...],
        query: str | None,
        granularity: str,
        output: str | None,
        ui_lang: str,
    ) -> None:
        """Export an indicator snapshot for the given filters (same as the dashboard's buttons)."""
        settings = settings_of(ctx, db=db)
        engine = engine_of(settings)
        actors = load_actors(settings.data_path)
        try:
            filters = filters_from_options(
                date_from,
                date_to,
                query,
                category=category,
                region=region,
                platform=platform,
                actor=actor,
                lang=lang,
                source=source,
                # an organization the actors file does not name is refused, as by the API
                vocabulary=replace(default_vocabulary(), actors=frozenset(actors)),
            )
        except FilterError as exc:
            raise click.UsageError(str(exc)) from exc
        tagging = tagging_for(settings)
        try:
            places = load_places(settings.data_path)
        except PlacesError as exc:
            raise click.ClickException(f"{exc} (see `threatmon lexicon check`)") from exc
        snapshot_labels = load_labels(settings.data_path, actors)  # with the organizations'
        snapshot = build_snapshot(
            engine,
            filters,
            taxonomy=snapshot_labels,
            lexicon_version=tagging.version,
            granularity=granularity,
            actors=actors,
            places=places,
            whole_stories=WRITERS[fmt].whole_stories,
            label_lang=ui_lang,
        )
        from dashboard.export_names import export_heading, localize
        from dashboard.i18n import load_translators

        t = load_translators()[ui_lang]
        snapshot = localize(snapshot, snapshot_labels, t)
        body = WRITERS[fmt].write(snapshot, export_heading(t))
        if output:
            Path(output).write_bytes(body)
            click.echo(f"wrote {fmt} snapshot to {output}", err=True)
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
