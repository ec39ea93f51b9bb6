"""A process killed with SIGKILL in the middle of an ingest loses and duplicates nothing.

The real command line runs in a child process against a real HTTP server on
127.0.0.1 and a real SQLite file; it is killed once some feeds are stored and
others are still in flight, then run again to completion.
"""

from __future__ import annotations

import os
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
    assert f"{FEEDS} feeds:" in rerun.stdout
