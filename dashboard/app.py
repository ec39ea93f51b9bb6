"""The app factory: `create_app(...)` builds a fully wired Dash app; `serve(...)` runs it.

Nothing happens at import time: no database is opened, no file is read. The
factory receives every value explicitly (the command line resolves them from
`threatmon.settings`), opens the store read-only, checks its schema, reads
the taxonomy and lexicon versions once, and registers the pages.

Writes: the views read through a read-only engine. Unless `read_only` is set,
a second, writable engine serves the alert actions alone (acknowledge,
resolve, dismiss, reopen, the checklist), always through
`indicators.store.alerts`, behind the same-origin and CSRF checks of
`dashboard.csrf`; a term proposed from Emerging terms is appended to the
lexicon overlay file behind the same checks. With `read_only` there is no
writable engine at all: the controls are not offered and any write request
is refused.

Offline by construction: Dash serves its own scripts (`serve_locally`), there
are no external stylesheets, the fonts are the system's, and the map shapes
and plotly's base-map file are served from `assets/`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from dash import Dash, html
from flask import Response, has_request_context, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from dashboard import shell, signin
from dashboard.api import register_api
from dashboard.atom import register_atom
from dashboard.client_locales import SCRIPT_PATH, locales_script
from dashboard.context import DashboardContext, load_map_shapes
from dashboard.csrf import CsrfGuard, current_token, install
from dashboard.i18n import (
    COOKIE_MAX_AGE,
    SOURCE_LANGUAGE,
    UI_COOKIE,
    UI_PARAM,
    load_translators,
    pick_language,
    valid_language,
)
from dashboard.memory import limit_malloc_arenas
from dashboard.pages import (
    alerts,
    cyber,
    items,
    organizations,
    overview,
    platforms,
    regions,
    sources,
    terms,
    trends,
)
from dashboard.query_runner import QueryRunner
from indicators.detection import DetectionConfig
from indicators.emerging_report import EmergingConfig
from indicators.lexicon import load_actors, load_compiled, load_labels
from indicators.places import load_places
from indicators.playbooks import load_playbooks
from indicators.stopwords import load_stop_words
from indicators.store import queries
from indicators.store.engine import ServerOptions, make_engine
from indicators.store.migrations import require_current

ASSETS = Path(__file__).resolve().parent / "assets"
MAP_FILE = "map/central_asia.geojson"
PAGES = (
    overview,
    trends,
    terms,
    regions,
    platforms,
    organizations,
    cyber,
    items,
    alerts,
    sources,
)

# Defence in depth for "item text is text" and "nothing leaves 127.0.0.1": the
# browser refuses inline scripts it was not told about and any foreign origin.
CSP = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def create_app(
    db_url: str,
    data_dir: Path,
    *,
    demo: bool = False,
    title: str = "threatmon",
    clock: Callable[[], datetime] | None = None,
    lexicon_version: str | None = None,
    read_only: bool = False,
    detection: DetectionConfig | None = None,
    lexicon_overlay: Path | None = None,
    emerging: EmergingConfig | None = None,
    csrf_secret: bytes | None = None,
    sign_in: signin.SignInConfig | None = None,
    read_db_url: str | None = None,
    server: ServerOptions | None = None,
    query_threads: int = 2,
) -> Dash:
    """Build the dashboard for the store at `db_url`.

    `data_dir` holds the taxonomy (labels, version) and the lexicon whose
    version the snapshots record; `lexicon_version` overrides the latter (the
    caller may already know it, and then the lexicon is not compiled here).
    `demo` shows a "demo data" banner. `clock` (UTC-aware) dates the quick
    date presets and the snapshots. Raises `StoreError` when the database is
    missing or older than this code, and the lexicon's error when it cannot
    be compiled. `read_only` leaves out the writable engine (no alert actions,
    no lexicon proposals); `detection` holds the thresholds the alert charts
    draw their bands with; `lexicon_overlay` is the analyst's overlay (its
    terms are known; proposals are appended to it) and `emerging` the
    emerging-terms settings. `csrf_secret` is shared by every process serving
    the same dashboard (`serve --workers`), so a page's token is valid whichever
    process answers; by default each app draws its own. `sign_in` requires
    every visitor to sign in (`dashboard.signin`); None leaves the dashboard
    open to whoever reaches it (loopback). `read_db_url` is where the views
    read when it differs from the writer's store (a read-only PostgreSQL role,
    the `dashboard_db` setting); `server` sizes the PostgreSQL connection pools
    and sets their statement timeout. `query_threads` is how many of a view's
    independent queries run at once (`dashboard.query_runner`).
    """
    # the views ask many questions of one search: counted from kept facts (queries)
    engine = queries.with_search_facts(
        make_engine(read_db_url or db_url, read_only=True, server=server)
    )
    require_current(engine)
    writer = None if read_only else make_engine(db_url, server=server)
    actors = load_actors(Path(data_dir))
    taxonomy = load_labels(Path(data_dir), actors)  # with the organizations' labels
    lexicon = lexicon_version or load_compiled(Path(data_dir)).version
    app = Dash(
        __name__,
        title=title,
        assets_folder=str(ASSETS),
        serve_locally=True,
        external_stylesheets=[],
        # plotly's and the date picker's words in ru/kk, served by the app itself (_client_locales)
        external_scripts=[SCRIPT_PATH],
        suppress_callback_exceptions=False,
        update_title=None,  # type: ignore[arg-type]  # documented: no "Updating..." title
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    shapes = load_map_shapes(
        ASSETS / MAP_FILE,
        geojson_url=app.get_asset_url(MAP_FILE),
        topojson_url=app.get_asset_url("topojson/"),
    )
    options: dict[str, Any] = {}
    if clock is not None:
        options["clock"] = clock
    ctx = DashboardContext(
        engine=engine,
        shapes=shapes,
        taxonomy=taxonomy,
        lexicon_version=lexicon,
        title=title,
        demo=demo,
        playbooks=load_playbooks(Path(data_dir)),
        writer=writer,
        csrf=CsrfGuard(csrf_secret) if csrf_secret else CsrfGuard(),
        detection=detection or DetectionConfig(),
        actors=actors,
        places=load_places(Path(data_dir)),
        data_dir=Path(data_dir),
        lexicon_overlay=lexicon_overlay,
        stop_words=load_stop_words(Path(data_dir)),
        emerging=emerging or EmergingConfig(),
        translators=load_translators(),
        runner=QueryRunner(query_threads),
        **options,
    )

    def layout() -> Any:
        # The edge: the request's cookie and Accept-Language pick the language here and
        # it is passed down. (The layout is fetched by script, without the page's query
        # string: a `ui=` in the page URL reached this cookie when the page was served.)
        # Dash also calls this once outside any request, to check the layout.
        lang = (
            pick_language(
                None, request.cookies.get(UI_COOKIE), request.headers.get("Accept-Language")
            )
            if has_request_context()
            else SOURCE_LANGUAGE
        )
        return shell.layout(
            ctx,
            PAGES,
            queries.sources(ctx.engine),
            csrf_token=current_token(ctx.csrf),
            t=ctx.translator(lang),
        )

    app.layout = layout
    # Every page's components, so Dash can validate callbacks against views
    # that are not on screen yet.
    app.validation_layout = html.Div(  # type: ignore[assignment]
        [shell.layout(ctx, PAGES, []), *(page.layout(ctx) for page in PAGES)]
    )
    shell.register(app, ctx, PAGES)
    for page in PAGES:
        page.register(app, ctx)
    register_api(app.server, ctx)
    _health(app)
    register_atom(app.server, ctx)
    install(app.server, ctx.csrf)
    if sign_in is not None:
        signin.install(
            app.server,
            engine,
            ctx.csrf,
            sign_in,
            title=title,
            translators=ctx.translators,
            writer=writer,
        )
    _secure(app)
    _remember_language(app)
    _client_locales(app, ctx)
    return app


def _client_locales(app: Dash, ctx: DashboardContext) -> None:
    """`GET /i18n/locales.js`: plotly's and the date picker's words (built once)."""
    script = locales_script(ctx.translators).encode("utf-8")

    @app.server.get(SCRIPT_PATH)
    def plotly_locales() -> Any:
        return Response(
            script,
            mimetype="text/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )


def _remember_language(app: Dash) -> None:
    """A page served with `ui=xx` leaves a cookie, so the language outlives the URL; the
    page says its language (`<html lang>`: screen readers, hyphenation, spell checking)."""

    @app.server.after_request
    def remember(response: Any) -> Any:
        if response.mimetype != "text/html" or response.direct_passthrough:
            if request.path.endswith("/_dash-layout"):
                # the layout differs by cookie and Accept-Language: caches must not mix them
                response.vary.update(("Cookie", "Accept-Language"))
            return response
        chosen = valid_language(request.args.get(UI_PARAM))
        if chosen:
            response.set_cookie(
                UI_COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True
            )
        lang = pick_language(
            chosen, request.cookies.get(UI_COOKIE), request.headers.get("Accept-Language")
        )
        page = response.get_data(as_text=True)
        if "<html>" in page:
            response.set_data(page.replace("<html>", f'<html lang="{lang}">', 1))
        response.vary.update(("Cookie", "Accept-Language"))
        return response


def _health(app: Dash) -> None:
    """`GET /healthz`: for load balancers and process supervisors; names the answering process."""

    @app.server.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok", "worker": os.getpid()}


def _secure(app: Dash) -> None:
    hashes = " ".join(app.csp_hashes())

    @app.server.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP.format(hashes=hashes))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # No referrer to other sites; within the dashboard, a form's POST then carries its
        # real Origin (under no-referrer a browser sends `Origin: null`, which csrf refuses).
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Errors are still logged; the per-request lines are not."""


def make_http_server(
    app: Dash, host: str = "127.0.0.1", port: int = 8050, *, quiet: bool = False
) -> BaseWSGIServer:
    """A threaded WSGI server for `app` (port 0 picks a free port; see `.server_port`).

    `quiet` drops the one-line-per-request access log (tests, the demo).
    """
    limit_malloc_arenas()  # before the first request thread (dashboard.memory says why)
    handler = _QuietHandler if quiet else WSGIRequestHandler
    return make_server(host, port, app.server, threaded=True, request_handler=handler)


def serve(app: Dash, host: str = "127.0.0.1", port: int = 8050, *, quiet: bool = False) -> None:
    """Serve the dashboard until interrupted. Binds to 127.0.0.1 unless told otherwise."""
    server = make_http_server(app, host, port, quiet=quiet)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
