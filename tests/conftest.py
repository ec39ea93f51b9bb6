"""Fixtures shared by several test folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="session")
def _threaded_http_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def local_server(_threaded_http_server: HTTPServer) -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1, threaded so a slow handler cannot block the next test."""
    _threaded_http_server.clear()
    yield _threaded_http_server
    _threaded_http_server.clear()


@pytest.fixture(autouse=True)
def _no_local_lexicon_overlay(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An analyst's var/lexicon.local.yaml in the checkout must not change what tests see."""
    missing = tmp_path_factory.getbasetemp() / "no-lexicon-overlay.yaml"
    monkeypatch.setenv("THREATMON_LEXICON_OVERLAY", str(missing))
    # and compiled lexicons go to the session's own folder, not the user's cache
    monkeypatch.setenv(
        "THREATMON_LEXICON_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "lexicon-cache")
    )
