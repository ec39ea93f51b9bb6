"""`threatmon demo`: the whole product on a machine without internet.

The bundled sample feeds (data/samples/) are served by the dashboard's own
HTTP server and fetched through the real ingest pipeline (fetch -> parse ->
normalize -> tag -> store); a generated 180-day history, run through the real
tagger, fills the charts. Early-warning detection is replayed once a day over
the history's last weeks, as if the product had been watching, so the Alerts
view has alerts to open; it then runs after every cycle as in `threatmon run`.
The demo never sends notifications, whatever the settings say. The demo uses
its own database (var/demo.db by default) so it never mixes with real
monitoring data, and the UI says "demo".
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import Engine

from indicators.early_warning import run_detection
from indicators.models import FeedFields
from indicators.store.alerts import count_open
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.write import upsert_feeds
from indicators.taxonomy import load_taxonomy
from ingest.refresh import run_due_feeds
from ingest.schedule import StopFlag, make_scheduler
from threatmon.dashboard_cli import is_loopback
from threatmon.demo_history import populate
from threatmon.settings import Settings
from threatmon.tagging import tagging_for
from threatmon.wiring import detection_config, emerging_config, ingest_config

DEMO_DB = "sqlite:///var/demo.db"
FEED_ROUTE = "/demo-feeds/"
REPLAY_DAYS = 28  # detection replayed once a day over the history's last four weeks


def sample_feeds(samples_dir: Path, base_url: str) -> list[FeedFields]:
    """The manifest's feeds, each pointing at `base_url` + its file."""
    manifest = tomllib.loads((samples_dir / "manifest.toml").read_text(encoding="utf-8"))
    return [
        FeedFields(
            url=base_url + entry["file"],
            name=entry["name"],
            language=entry.get("language", ""),
            country=entry.get("country", ""),
            kind=entry.get("kind", "media"),
        )
        for entry in manifest["feeds"]
    ]


def add_sample_route(server: Any, samples_dir: Path) -> None:
    """Serve the sample feed files (with ETag/Last-Modified, so re-fetches get 304)."""
    from flask import abort, send_from_directory  # the web stack: not for `ingest` and `tag`

    @server.get(FEED_ROUTE + "<path:name>")
    def demo_feed(name: str) -> Any:
        if not name.endswith(".xml"):
            abort(404)
        return send_from_directory(samples_dir, name, mimetype="application/rss+xml")


def run_demo(settings: Settings, *, history: int, days: int, serve: bool = True) -> None:
    """Prepare the demo database and (with `serve`) run the dashboard on it."""
    from dashboard.app import create_app, make_http_server

    if not is_loopback(settings.host):  # the demo has no sign-in: it stays on this machine
        raise click.ClickException(
            f"the demo serves on loopback only, not {settings.host}; for a dashboard others "
            "reach, add users and run `threatmon serve --host ...`"
        )
    settings = settings.with_overrides(allow_private_hosts=True)
    engine = make_engine(settings.db)
    upgrade(engine)
    tagging = tagging_for(settings)
    click.echo(f"demo database {settings.db}; generating {history} items of history...", err=True)
    # History ends yesterday, so no generated item is dated in the future.
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    new = populate(
        engine,
        history,
        days=days,
        seed=7,
        tagger=tagging.tag,
        lexicon_version=tagging.version,
        end=yesterday,
    )
    click.echo(f"history: {new} new synthetic items", err=True)
    detect = _demo_detection(engine, settings)
    history_end = datetime.combine(yesterday + timedelta(days=1), datetime.min.time(), UTC)
    for back in range(REPLAY_DAYS - 1, -1, -1):
        detect(history_end - timedelta(days=back))
    click.echo(f"early warning: {count_open(engine)} open alerts after the replay", err=True)

    app = create_app(
        settings.db,
        settings.data_path,
        demo=True,
        title="threatmon (demo)",
        lexicon_version=tagging.version,
        lexicon_overlay=settings.overlay_path,
        emerging=emerging_config(settings),
        query_threads=settings.dashboard_query_threads,
    )
    samples_dir = settings.data_path / "samples"
    add_sample_route(app.server, samples_dir)
    http = make_http_server(app, settings.host, settings.port, quiet=True)
    port = http.server_port
    thread = threading.Thread(target=http.serve_forever, name="dashboard", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}{FEED_ROUTE}"
    upsert_feeds(engine, sample_feeds(samples_dir, base))
    stop = StopFlag()
    cfg = ingest_config(settings)
    runs = run_due_feeds(engine, cfg, tagging, all_enabled=True, stop=stop)
    ok = sum(r.status != "error" for r in runs)
    click.echo(
        f"sample feeds: {ok}/{len(runs)} fetched, {sum(r.new_items for r in runs)} new items",
        err=True,
    )
    detect(None)
    if not serve:
        http.shutdown()
        return
    scheduler = make_scheduler(
        lambda: run_due_feeds(engine, cfg, tagging, stop=stop),
        blocking=False,
        after_cycle=lambda runs: detect(None) if runs else None,
    )
    scheduler.start()
    click.echo(f"demo dashboard on http://{settings.host}:{port}/ (Ctrl+C to stop)", err=True)
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        scheduler.shutdown(wait=True)
        http.shutdown()


def _demo_detection(engine: Engine, settings: Settings) -> Callable[[datetime | None], None]:
    """Detection at a moment (None: now) with the configured thresholds and no notifications."""
    cfg = detection_config(settings)
    labeler = load_taxonomy(settings.data_path).label

    def detect(at: datetime | None) -> None:
        run_detection(engine, cfg, at=at, labeler=labeler)  # no targets: the demo never sends

    return detect


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach `demo` (it opens its own database: `db_option` and `engine_of` are not used)."""

    @cli.command()
    @click.option(
        "--db",
        default=None,
        metavar="URL",
        help=f"Database for the demo (default: {DEMO_DB}, never your real one).",
    )
    @click.option("--port", type=int, default=None, help="Dashboard port (default 8050).")
    @click.option(
        "--history",
        type=click.IntRange(min=0),
        default=30000,
        show_default=True,
        help="Synthetic items to generate (idempotent: re-runs add nothing).",
    )
    @click.option(
        "--days",
        type=click.IntRange(min=1),
        default=180,
        show_default=True,
        help="Days of generated history.",
    )
    @click.option(
        "--prepare-only",
        is_flag=True,
        help="Build the demo database and ingest the samples, then exit.",
    )
    @click.pass_context
    def demo(
        ctx: click.Context,
        db: str | None,
        port: int | None,
        history: int,
        days: int,
        prepare_only: bool,
    ) -> None:
        """Offline demo: bundled sample feeds through the real pipeline + generated history."""
        settings = settings_of(ctx, db=db or DEMO_DB, port=port)
        run_demo(settings, history=history, days=days, serve=not prepare_only)
