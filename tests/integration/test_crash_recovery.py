"""A process killed with SIGKILL in the middle of an ingest loses and duplicates nothing.

The real command line runs in a child process against a real HTTP server on
127.0.0.1 and a real SQLite file; it is killed once some feeds are stored and
others are still in flight, then run again to completion.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug import Request, Response

from indicators.store.engine import make_engine
from indicators.store.schema import items
from tests.feedgen import numbered_feed

FEEDS = 12
ITEMS_PER_FEED = 20


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "threatmon.cli", *args]


def threatmon(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), env=env, capture_output=True, text=True, timeout=120)


def stored(db: Path) -> tuple[int, int]:
    """(items, distinct guids) in the database."""
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(items)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(items.c.guid)))).scalar_one()
    engine.dispose()
    return int(total), int(distinct)


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_loses_and_duplicates_nothing(threaded_httpserver, tmp_path):
    slow = {"enabled": True}

    def handler_for(n: int):
        body = numbered_feed(ITEMS_PER_FEED, prefix=f"feed{n}")

        def handle(_request: Request) -> Response:
            if slow["enabled"] and n % 2:
                time.sleep(1.5)  # odd feeds are still in flight when the kill comes
            return Response(body, content_type="application/rss+xml")

        return handle

    lines = []
    for n in range(FEEDS):
        threaded_httpserver.expect_request(f"/f{n}").respond_with_handler(handler_for(n))
        lines.append(
            f'[[feeds]]\nname = "feed {n}"\nurl = "{threaded_httpserver.url_for(f"/f{n}")}"\n'
            'language = "ru"\nkind = "media"\n'
        )
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text("\n".join(lines), encoding="utf-8")
    db = tmp_path / "crash.db"
    env = os.environ | {
        "THREATMON_DB": f"sqlite:///{db}",
        "THREATMON_ALLOW_PRIVATE_HOSTS": "1",
        "THREATMON_CONCURRENCY": "4",
        # the killed worker's feeds stay leased this long; the rerun waits for them
        "THREATMON_LEASE_SECONDS": "2",
    }

    init = threatmon("init", "--feeds", str(feeds_file), env=env)
    assert init.returncode == 0, init.stderr

    child = subprocess.Popen(
        command("ingest", "--once"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if stored(db)[0] > 0:
            break
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    partial, _ = stored(db)
    assert 0 < partial < FEEDS * ITEMS_PER_FEED, "killed in the middle of the ingest"
    assert partial % ITEMS_PER_FEED == 0, "a feed's batch is stored whole or not at all"

    slow["enabled"] = False
    rerun = threatmon("ingest", "--once", env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert stored(db) == (FEEDS * ITEMS_PER_FEED, FEEDS * ITEMS_PER_FEED)
    # Started while the killed run's cycle was still leased, the rerun finishes that
    # cycle (the feeds it had not stored); started later, it begins a new one (all).
    remaining = FEEDS - partial // ITEMS_PER_FEED
    assert re.search(rf"^({FEEDS}|{remaining}) feeds: ", rerun.stdout, re.M), rerun.stdout


def _feeds_env(server, tmp_path, count: int) -> dict[str, str]:
    lines = []
    for n in range(count):
        server.expect_request(f"/s{n}").respond_with_data(
            numbered_feed(3, prefix=f"s{n}"), content_type="application/rss+xml"
        )
        lines.append(
            f'[[feeds]]\nname = "feed {n}"\nurl = "{server.url_for(f"/s{n}")}"\n'
            'language = "ru"\nkind = "media"\n'
        )
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text("\n".join(lines), encoding="utf-8")
    env = os.environ | {
        "THREATMON_DB": f"sqlite:///{tmp_path}/life.db",
        "THREATMON_ALLOW_PRIVATE_HOSTS": "1",
        "THREATMON_LOG_LEVEL": "WARNING",
    }
    assert threatmon("init", "--feeds", str(feeds_file), env=env).returncode == 0
    return env


def _wait_for_items(db: Path, expected: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while stored(db)[0] < expected:
        assert time.monotonic() < deadline, f"only {stored(db)[0]} of {expected} items stored"
        time.sleep(0.1)


@pytest.mark.slow
def test_the_scheduler_fetches_due_feeds_and_sigterm_exits_cleanly(threaded_httpserver, tmp_path):
    env = _feeds_env(threaded_httpserver, tmp_path, 3)
    child = subprocess.Popen(
        command("ingest"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_for_items(tmp_path / "life.db", 9)
    finally:
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert stored(tmp_path / "life.db") == (9, 9)


@pytest.mark.slow
def test_run_serves_the_dashboard_while_the_scheduler_ingests(threaded_httpserver, tmp_path):
    import re
    import urllib.request

    env = _feeds_env(threaded_httpserver, tmp_path, 2)
    child = subprocess.Popen(
        command("run", "--port", "0"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = child.stderr.readline()
            found = re.search(r"dashboard on (http://\S+/)", line)
            url = found.group(1) if found else None
        assert url, "the dashboard announced its address"
        _wait_for_items(tmp_path / "life.db", 6)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert b"threatmon" in response.read()
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=30)
    assert child.returncode == 0
