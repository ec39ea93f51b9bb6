"""Fixtures for tests against real databases (SQLite files and a PostgreSQL server)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, create_engine, text

from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.pgserver import postgres_server

_db_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """One PostgreSQL server for the session (started on first use)."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"t{next(_db_counter)}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return pg_server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database, once per supported backend."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path}/store.db"


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    """An initialized store (latest schema) on each backend."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def threaded_httpserver() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 that answers requests concurrently.

    The default `httpserver` answers one request at a time, so one slow feed
    would stall all the others; real servers do not.
    """
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()
