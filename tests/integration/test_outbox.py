"""The notification outbox end to end: detection queues, `deliver_due` sends, the rows record.

Alerts come from a real detection run over a store filled through the real
write path (SQLite and PostgreSQL); receivers are a real HTTP server and a
real SMTP server on 127.0.0.1. Time is driven through `now`, never slept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from werkzeug import Request, Response

from indicators import early_warning
from indicators.alerts import NotifyTargets
from indicators.detection import DetectionConfig
from indicators.early_warning import run_detection
from indicators.store import deliveries
from indicators.store.deliveries import RetryPolicy
from indicators.store.schema import alert_deliveries
from indicators.taxonomy import load_taxonomy
from notify.email import SmtpConfig
from notify.outbox import NotifyConfig, deliver_due
from notify.webhook import WebhookConfig
from tests.alert_history import AT, burst, fill, quiet_history
from tests.smtp_server import Inbox, free_port, start

SECRET = "outbox-test-secret"
CFG = DetectionConfig(min_stories=3, min_ratio=2.0, min_score=4.0, exit_score=2.0)
VOCAB = early_warning.Vocabulary(
    categories=("cyber_threats", "terrorist_activity"),
    kz_regions=("KZ", "KZ-75"),
    platforms=("tiktok",),
)
OPENED = 4  # alerts the burst opens with this vocabulary (see test_early_warning)

LABELS = load_taxonomy(Path(__file__).resolve().parents[2] / "data").label


def notify_config(**changes: object) -> NotifyConfig:
    values: dict[str, object] = {
        "dashboard_url": "https://soc.example.kz/threatmon",
        "webhook": WebhookConfig(secret=SECRET, timeout=5),
        "smtp": SmtpConfig(),
    }
    values.update(changes)
    return NotifyConfig(**values)  # type: ignore[arg-type]


def detect(engine: Engine, targets: NotifyTargets) -> None:
    report = run_detection(engine, CFG, at=AT, targets=targets, vocabulary=VOCAB, labeler=LABELS)
    assert len(report.opened) == OPENED


@pytest.fixture
def engine(store: Engine) -> Engine:
    fill(store, quiet_history() + burst())
    return store


def all_deliveries(engine: Engine) -> list[deliveries.Delivery]:
    with engine.connect() as conn:
        ids = conn.execute(select(alert_deliveries.c.id).order_by(alert_deliveries.c.id)).scalars()
        found = [deliveries.get_delivery(engine, i) for i in ids]
    return [d for d in found if d is not None]


def verified(request: Request) -> bool:
    body = request.get_data()
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers.get("X-Threatmon-Signature", ""), expected)


def test_due_webhooks_are_sent_signed_and_recorded(engine: Engine, httpserver: HTTPServer) -> None:
    posts: list[dict[str, object]] = []

    def receiver(request: Request) -> Response:
        if not verified(request):
            return Response("bad signature", status=401)
        posts.append(json.loads(request.get_data()))
        return Response("", status=202)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    detect(engine, NotifyTargets(webhooks=(httpserver.url_for("/hook"),)))

    report = deliver_due(engine, notify_config(), now=AT + timedelta(seconds=20))

    assert (len(report.outcomes), report.count("sent")) == (OPENED, OPENED)
    assert {p["event"] for p in posts} == {"opened"}
    rise = next(p for p in posts if p["alert"]["label"] == "Rise: Cyber threats · Almaty")  # type: ignore[index]
    assert rise["alert"]["observed"] == 8  # type: ignore[index]
    # the 5 newest of the 8 stories behind it, newest first, from the real items
    titles = [s["title"] for s in rise["stories"]]  # type: ignore[attr-defined]
    assert titles == [f"DDoS на банки Алматы {i}" for i in range(5)]
    assert rise["links"]["alert"] == (  # type: ignore[index]
        f"https://soc.example.kz/threatmon/alerts?alert={rise['alert']['id']}"  # type: ignore[index]
    )
    for d in all_deliveries(engine):
        assert (d.status, d.attempts, d.sent_at, d.next_attempt_at, d.last_error) == (
            "sent", 1, AT + timedelta(seconds=20), None, None,
        )  # fmt: skip
    # nothing is due any more: a second run sends nothing
    assert deliver_due(engine, notify_config(), now=AT + timedelta(hours=1)).outcomes == ()
    assert len(posts) == OPENED


def test_a_receiver_failing_twice_gets_each_delivery_on_the_third_attempt(
    engine: Engine, httpserver: HTTPServer
) -> None:
    tries: Counter[str] = Counter()

    def flaky(request: Request) -> Response:
        delivery = request.headers["X-Threatmon-Delivery"]
        tries[delivery] += 1
        if tries[delivery] <= 2:
            return Response("upstream down", status=500)
        return Response("", status=200)

    httpserver.expect_request("/hook").respond_with_handler(flaky)
    detect(engine, NotifyTargets(webhooks=(httpserver.url_for("/hook"),)))
    cfg = notify_config()

    first = deliver_due(engine, cfg, now=AT)
    assert [o.status for o in first.outcomes] == ["pending"] * OPENED
    for d in all_deliveries(engine):
        assert (d.status, d.attempts, d.next_attempt_at) == (
            "pending",
            1,
            AT + timedelta(minutes=1),
        )
        assert d.last_error == "http_status: HTTP 500 INTERNAL SERVER ERROR: upstream down"

    assert deliver_due(engine, cfg, now=AT + timedelta(seconds=59)).outcomes == ()  # not yet due
    second = deliver_due(engine, cfg, now=AT + timedelta(minutes=1))
    assert second.count("pending") == OPENED
    assert {d.next_attempt_at for d in all_deliveries(engine)} == {AT + timedelta(minutes=3)}

    third = deliver_due(engine, cfg, now=AT + timedelta(minutes=3))
    assert third.count("sent") == OPENED
    assert [(d.status, d.attempts) for d in all_deliveries(engine)] == [("sent", 3)] * OPENED
    assert set(tries.values()) == {3}


def test_a_closed_port_is_recorded_and_given_up_after_the_last_attempt(engine: Engine) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook/T0K3N"
    detect(engine, NotifyTargets(webhooks=(url,)))
    cfg = notify_config(policy=RetryPolicy(max_attempts=3))

    report = deliver_due(engine, cfg, now=AT)
    assert report.count("pending") == OPENED
    assert {o.target for o in report.outcomes} == {f"{url.split('/hook')[0]}/…"}
    (alert_id, *_) = {d.alert_id for d in all_deliveries(engine)}
    (delivery,) = deliveries.deliveries_of(engine, alert_id)
    assert delivery.last_error is not None and delivery.last_error.startswith("network: ")
    assert "T0K3N" not in delivery.last_error

    deliver_due(engine, cfg, now=AT + timedelta(minutes=1))
    last = deliver_due(engine, cfg, now=AT + timedelta(minutes=3))
    assert last.count("failed") == OPENED
    (delivery,) = deliveries.deliveries_of(engine, alert_id)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert delivery.last_error.startswith("network: cannot connect")
    assert deliver_due(engine, cfg, now=AT + timedelta(days=1)).outcomes == ()


def test_a_malformed_webhook_url_fails_at_once(engine: Engine) -> None:
    detect(engine, NotifyTargets(webhooks=("hooks.example.org/no-scheme",)))
    report = deliver_due(engine, notify_config(), now=AT)
    assert report.count("failed") == OPENED
    assert {(d.status, d.attempts) for d in all_deliveries(engine)} == {("failed", 1)}
    assert all_deliveries(engine)[0].last_error == (
        "bad_target: not an absolute http(s) URL: <invalid URL>"
    )


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    for port in start(inbox):
        yield inbox, port


def test_email_deliveries_reach_the_smtp_server(
    engine: Engine, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    detect(engine, NotifyTargets(email_to=("duty@soc.example.kz", "lead@soc.example.kz")))
    smtp = SmtpConfig(host="127.0.0.1", port=port, sender="threatmon@soc.example.kz",
                      starttls=False, timeout=5)  # fmt: skip
    report = deliver_due(engine, notify_config(smtp=smtp), now=AT)
    assert report.count("sent") == OPENED
    assert len(inbox.received) == OPENED
    assert {tuple(r.rcpt_tos) for r in inbox.received} == {
        ("duty@soc.example.kz", "lead@soc.example.kz")
    }
    # strip(): Python folds a 78-character ASCII subject onto its own continuation line
    subjects = sorted(str(r.message["Subject"]).strip() for r in inbox.received)
    assert subjects == [
        "[threatmon] New alert #1: First seen: TikTok (1 story, 0.0 expected)",
        "[threatmon] New alert #2: Rise: Cyber threats (8 stories, 0.9 expected)",
        "[threatmon] New alert #3: Rise: Cyber threats · Almaty (8 stories, 0.9 expected)",
        "[threatmon] New alert #4: Rise: Almaty (8 stories, 0.9 expected)",
    ]


def test_unconfigured_smtp_is_recorded_as_a_permanent_failure(engine: Engine) -> None:
    detect(engine, NotifyTargets(email_to=("duty@soc.example.kz",)))
    report = deliver_due(engine, notify_config(), now=AT)
    assert report.count("failed") == OPENED
    assert all_deliveries(engine)[0].last_error == "config: smtp_host is not set"


def test_a_claimed_delivery_is_not_taken_twice_until_its_lease_runs_out(engine: Engine) -> None:
    detect(engine, NotifyTargets(webhooks=("http://127.0.0.1:9/hook",)))
    policy = RetryPolicy()
    (first, *_) = deliveries.due_deliveries(engine, AT)
    assert deliveries.claim(engine, first, AT, policy)
    assert not deliveries.claim(engine, first, AT, policy)  # a second notifier loses the race
    assert first.id not in {d.id for d in deliveries.due_deliveries(engine, AT)}
    # the claiming notifier died: after the lease the delivery is due again
    later = AT + policy.lease
    assert first.id in {d.id for d in deliveries.due_deliveries(engine, later)}


def test_enqueue_refuses_an_unknown_event_and_queues_nothing_without_targets(
    engine: Engine,
) -> None:
    detect(engine, NotifyTargets())
    with engine.begin() as conn:
        assert deliveries.enqueue(conn, 1, "opened", NotifyTargets(), AT) == 0
        with pytest.raises(ValueError, match="ended"):
            deliveries.enqueue(conn, 1, "ended", NotifyTargets(webhooks=("http://x/",)), AT)
    assert all_deliveries(engine) == []
