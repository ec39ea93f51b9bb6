"""Notification settings and commands end to end: env -> detection queues -> the CLI sends.

A real SQLite store filled through the write path, a real HTTP receiver on
127.0.0.1 that verifies the signature, and the real APScheduler for the
side job that sends notifications next to the ingest cycle.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from indicators.early_warning import run_detection
from indicators.store import deliveries
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from ingest.schedule import SideJob, make_scheduler
from tests.alert_history import AT, burst, fill, quiet_history
from tests.smtp_server import free_port
from threatmon.cli import cli
from threatmon.settings import load_settings
from threatmon.wiring import detection_config, notify_targets

SECRET = "cli-webhook-secret"
PASSWORD = "smtp-pa55word"


@pytest.fixture
def env(tmp_path: Path, httpserver: HTTPServer) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/notify.db"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    engine.dispose()
    return {
        "THREATMON_DB": url,
        "THREATMON_LOG_LEVEL": "WARNING",
        "THREATMON_ALERT_WEBHOOKS": f" {httpserver.url_for('/hook/T0K3N')} ,",
        "THREATMON_ALERT_WEBHOOK_SECRET": SECRET,
        "THREATMON_SMTP_PASSWORD": PASSWORD,
        "THREATMON_DASHBOARD_URL": "https://soc.example.kz/tm/",
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def signed_receiver(httpserver: HTTPServer) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []

    def receiver(request: Request) -> Response:
        body = request.get_data()
        good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if request.headers.get("X-Threatmon-Signature") != good:
            return Response("bad signature", status=401)
        posts.append(json.loads(body))
        return Response("", status=200)

    httpserver.expect_request("/hook/T0K3N", method="POST").respond_with_handler(receiver)
    return posts


def queue_alerts(env: dict[str, str]) -> None:
    """Detection as the scheduler runs it (settings -> wiring), leaving its deliveries queued."""
    settings = load_settings(environ=env)
    engine = make_engine(settings.db)
    report = run_detection(
        engine, detection_config(settings), at=AT, targets=notify_targets(settings)
    )
    engine.dispose()
    assert report.deliveries == 4  # one webhook x 4 opened alerts


def test_alerts_check_queues_for_the_configured_webhook_and_sends_at_once(
    env: dict[str, str], httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    posts = signed_receiver(httpserver)
    with caplog.at_level(logging.DEBUG):
        checked = invoke(env, "alerts", "check", "--at", AT.isoformat())
    assert checked.exit_code == 0, checked.output
    assert "4 notification(s) queued" in checked.output  # one webhook x 4 opened alerts
    assert len(posts) == 4
    assert {p["event"] for p in posts} == {"opened"}
    assert all(str(p["links"]["alert"]).startswith("https://soc.example.kz/tm/alerts?alert=")  # type: ignore[index]
               for p in posts)  # fmt: skip
    lines = checked.output.splitlines()
    sent = [line for line in lines if line.startswith("sent ")]
    assert len(sent) == 4
    assert re.fullmatch(r"sent\s+alert #\d+\s+webhook\s+http://localhost:\d+/…", sent[0])
    assert lines[-1].endswith("4 attempted, 4 sent, 0 to retry, 0 failed for good")
    # what threatmon printed and logged (the receiver's own access log aside)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    everything = checked.output + logged
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # DEBUG was captured
    assert "T0K3N" not in everything and SECRET not in everything and PASSWORD not in everything
    # nothing is left to send
    assert invoke(env, "notify", "deliver").output.endswith("0 attempted, 0 sent, 0 to retry, "
                                                            "0 failed for good\n")  # fmt: skip
    assert len(posts) == 4


def test_notify_deliver_sends_what_is_queued(env: dict[str, str], httpserver: HTTPServer) -> None:
    posts = signed_receiver(httpserver)
    queue_alerts(env)
    assert posts == []  # detection itself never sends
    result = invoke(env, "notify", "deliver")
    assert result.exit_code == 0, result.output
    assert len(posts) == 4
    assert result.output.splitlines()[-1].endswith("4 attempted, 4 sent, 0 to retry, 0 failed "
                                                   "for good")  # fmt: skip


def test_ingest_once_also_sends_what_is_due(env: dict[str, str], httpserver: HTTPServer) -> None:
    posts = signed_receiver(httpserver)
    queue_alerts(env)
    result = invoke(env, "ingest", "--once")  # no feeds: nothing fetched, the outbox still runs
    assert result.exit_code == 0, result.output
    assert "4 attempted, 4 sent" in result.output
    assert len(posts) == 4


def test_a_dead_webhook_is_recorded_not_raised(env: dict[str, str]) -> None:
    env = env | {"THREATMON_ALERT_WEBHOOKS": f"http://127.0.0.1:{free_port()}/hook"}
    result = invoke(env, "alerts", "check", "--at", AT.isoformat())
    assert result.exit_code == 0, result.output
    assert "4 opened" in result.output  # the alerts are stored whatever the receiver does
    assert "4 to retry" in result.output
    assert "network: cannot connect" in result.output
    engine = make_engine(env["THREATMON_DB"])
    (delivery,) = deliveries.deliveries_of(engine, 1)
    engine.dispose()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error is not None and delivery.last_error.startswith("network: ")
    # backing off: the next attempt is a minute away, so sending now attempts nothing
    assert "0 attempted" in invoke(env, "notify", "deliver").output
    shown = invoke(env, "alerts", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert re.search(
        r"notifications \(times in UTC\):\n  opened webhook  http://127\.0\.0\.1:\d+/…  pending "
        r"\(1 attempt\), next at \d{4}-\d\d-\d\d \d\d:\d\d: network: cannot connect",
        shown.output,
    ), shown.output


def test_notify_test_sends_a_sample_to_each_target(
    env: dict[str, str], httpserver: HTTPServer
) -> None:
    posts = signed_receiver(httpserver)
    result = invoke(env, "notify", "test")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok      webhook  http://localhost:")
    (post,) = posts
    assert post["alert"]["label"] == "threatmon test notification (not a real alert)"  # type: ignore[index]

    failing = invoke(env | {"THREATMON_SMTP_TO": "duty@soc.example.kz"}, "notify", "test")
    assert failing.exit_code == 1
    assert "FAILED  email    duty@soc.example.kz  config: smtp_host is not set" in failing.output


def test_notify_test_without_targets_says_what_to_set(env: dict[str, str]) -> None:
    result = invoke(env | {"THREATMON_ALERT_WEBHOOKS": ""}, "notify", "test")
    assert result.exit_code == 1
    assert "THREATMON_ALERT_WEBHOOKS" in result.output


def test_the_sending_job_runs_beside_the_cycle_and_a_slow_one_does_not_hold_it() -> None:
    cycles = 0
    two_cycles = threading.Event()
    release = threading.Event()
    side_started = threading.Event()

    def cycle() -> list[str]:
        nonlocal cycles
        cycles += 1
        if cycles >= 2:
            two_cycles.set()
        return []

    def slow_receiver() -> None:
        side_started.set()
        release.wait(10)  # a webhook that takes its time

    scheduler = make_scheduler(
        cycle, blocking=False, poll_seconds=1, side_jobs=(SideJob("send", slow_receiver, 1),)
    )
    scheduler.start()
    try:
        assert side_started.wait(10)
        assert two_cycles.wait(10), "the ingest cycle waited for the slow sending job"
        assert {j.id for j in scheduler.get_jobs()} == {"run_due_feeds", "send"}
    finally:
        release.set()
        scheduler.shutdown(wait=True)


def test_every_notify_command_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    group = cli.get_command(click.Context(cli), "notify")
    assert isinstance(group, click.Group)
    rows = [line for line in readme.splitlines() if line.startswith("| `threatmon notify ")]
    missing = [n for n in group.commands if not any(f"notify {n}" in row for row in rows)]
    assert sorted(group.commands) == ["deliver", "test"]
    assert not missing, f"README does not document: {missing}"
