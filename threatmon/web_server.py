"""`threatmon serve --workers N`: the dashboard in N processes under gunicorn.

Why gunicorn: it is the pre-fork WSGI server made for this: a master process
that binds once, forks N workers sharing the socket, restarts one that dies
and stops them all on SIGTERM. Several *processes* are what a team needs,
since one Python process runs the dashboard's callbacks one at a time under
the GIL; waitress only adds threads to one process. (Linux and macOS only,
which is where a team server runs; `--workers 1` keeps the built-in threaded
server everywhere.)

Each worker builds its own app after the fork (no preloading), so no
database connection or lexicon automaton crosses a fork; the secret behind
the CSRF tokens is drawn once in the master and shared, so a page's token is
valid whichever worker answers. Each worker runs 4 threads, so a slow query
in one browser does not hold up the others.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from dashboard.memory import limit_malloc_arenas

THREADS_PER_WORKER = 4


class DashboardServer(BaseApplication):  # type: ignore[misc]
    """gunicorn configured in code: no config file is read, nothing from the command line."""

    def __init__(
        self,
        build: Callable[[bytes], Any],
        *,
        host: str,
        port: int,
        workers: int,
        on_ready: Callable[[int], None],
        quiet: bool,
    ) -> None:
        self._build = build
        self._secret = secrets.token_bytes(32)
        self._options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": THREADS_PER_WORKER,
            "preload_app": False,
            "accesslog": None if quiet else "-",
            "errorlog": "-",
            "loglevel": "warning",
            "graceful_timeout": 10,
            "when_ready": lambda server: on_ready(_bound_port(server)),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Called in each worker after the fork: its own app, the shared CSRF secret."""
        limit_malloc_arenas()  # before the worker's threads (dashboard.memory says why)
        return self._build(self._secret).server


def _bound_port(server: Any) -> int:
    return int(server.LISTENERS[0].sock.getsockname()[1])


def run_workers(
    build: Callable[[bytes], Any],
    *,
    host: str,
    port: int,
    workers: int,
    on_ready: Callable[[int], None],
    quiet: bool = False,
) -> None:
    """Serve until SIGTERM or SIGINT (gunicorn's arbiter stops the workers and exits)."""
    DashboardServer(
        build, host=host, port=port, workers=workers, on_ready=on_ready, quiet=quiet
    ).run()
