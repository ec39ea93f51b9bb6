"""Detection runs after every ingest cycle, and its failure never breaks ingest.

Three layers: the scheduler's wrapper with a real APScheduler; `ingest --once`
in-process against a real HTTP server and SQLite file; the real `threatmon
ingest` scheduler in a child process, stopped with SIGTERM.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from indicators.store.engine import make_engine
from indicators.store.schema import alerts, detection_runs, items
from ingest.schedule import make_scheduler, then_after
from tests.feedgen import numbered_feed
from threatmon.cli import cli


def test_the_step_after_a_cycle_gets_its_result_and_cannot_break_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[object] = []

    def broken(result: object) -> None:
        seen.append(result)
        raise RuntimeError("detection exploded")

    cycle = then_after(lambda: ["run"], broken)
    with caplog.at_level(logging.ERROR, logger="ingest.schedule"):
        assert cycle() == ["run"]
    assert seen == [["run"]]
    assert "the step after the ingest cycle failed" in caplog.text
    assert "detection exploded" in caplog.text


def test_the_real_scheduler_runs_the_step_after_each_cycle() -> None:
    order: list[str] = []
    done = threading.Event()

    def cycle() -> list[str]:
        order.append("ingest")
        return ["fetched"]

    def after(result: object) -> None:
        order.append(f"detect {result}")
        if len(order) >= 4:
            done.set()

    scheduler = make_scheduler(cycle, blocking=False, poll_seconds=1, after_cycle=after)
    scheduler.start()
    try:
        assert done.wait(10), order
    finally:
        scheduler.shutdown(wait=True)
    assert order[:4] == ["ingest", "detect ['fetched']", "ingest", "detect ['fetched']"]


def count(url: str, table: object) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
    engine.dispose()
    return n


def feeds_env(server, tmp_path: Path, n: int = 2) -> dict[str, str]:
    lines = []
    for i in range(n):
        server.expect_request(f"/f{i}").respond_with_data(
            numbered_feed(3, prefix=f"f{i}"), content_type="application/rss+xml"
        )
        lines.append(f'[[feeds]]\nname = "feed {i}"\nurl = "{server.url_for(f"/f{i}")}"\n')
    path = tmp_path / "feeds.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    env = {
        "THREATMON_DB": f"sqlite:///{tmp_path}/cycle.db",
        "THREATMON_ALLOW_PRIVATE_HOSTS": "1",
        "THREATMON_LOG_LEVEL": "WARNING",
    }
    result = CliRunner().invoke(cli, ["init", "--feeds", str(path)], env=env)
    assert result.exit_code == 0, result.output
    return env


def test_ingest_once_runs_detection_after_the_fetch(httpserver, tmp_path: Path) -> None:
    env = feeds_env(httpserver, tmp_path)
    result = CliRunner().invoke(cli, ["ingest", "--once"], env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert "2 feeds: 2 ok" in result.output
    assert "detection at " in result.output and "0 opened" in result.output
    engine = make_engine(env["THREATMON_DB"])
    with engine.connect() as conn:
        run = conn.execute(select(detection_runs)).one()
    engine.dispose()
    assert (run.status, run.opened, run.error) == ("ok", 0, None)


def test_a_failing_detection_is_recorded_and_ingest_still_succeeds(
    httpserver, tmp_path: Path
) -> None:
    env = feeds_env(httpserver, tmp_path)
    engine = make_engine(env["THREATMON_DB"])
    with engine.begin() as conn:  # a damaged database: the alerts table is gone
        conn.exec_driver_sql("DROP TABLE alert_deliveries")
        conn.exec_driver_sql("DROP TABLE alert_events")
        conn.exec_driver_sql("DROP TABLE alerts")
    engine.dispose()
    result = CliRunner().invoke(cli, ["ingest", "--once"], env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert "2 feeds: 2 ok" in result.output
    assert count(env["THREATMON_DB"], items) == 6
    engine = make_engine(env["THREATMON_DB"])
    with engine.connect() as conn:
        run = conn.execute(select(detection_runs)).one()
    engine.dispose()
    assert run.status == "error"
    assert "alerts" in run.error


@pytest.mark.slow
def test_the_ingest_scheduler_process_runs_detection_after_its_cycle(
    threaded_httpserver, tmp_path: Path
) -> None:
    env = os.environ | feeds_env(threaded_httpserver, tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-m", "threatmon.cli", "ingest"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while count(env["THREATMON_DB"], detection_runs) == 0:
            assert time.monotonic() < deadline, "no detection run after the first cycle"
            time.sleep(0.2)
    finally:
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert count(env["THREATMON_DB"], items) == 6
    assert count(env["THREATMON_DB"], alerts) == 0  # six quiet items are no warning
