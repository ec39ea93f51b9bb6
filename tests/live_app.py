"""The dashboard served for a test: its own thread, a free port on 127.0.0.1, stopped after."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serving(app: Any, name: str = "dashboard") -> Iterator[str]:
    """Serve `app` (a `dashboard.app.create_app` result) through the real HTTP server;
    yield its base URL, and shut it down and join its thread when the block ends."""
    from dashboard.app import make_http_server

    server = make_http_server(app, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
