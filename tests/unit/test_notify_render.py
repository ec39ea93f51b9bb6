"""What a notification says: the webhook payload and the e-mail texts (pure)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.weblinks import safe_href
from notify.render import (
    AlertNotice,
    StoryLink,
    email_content,
    email_subject,
    links,
    webhook_body,
    webhook_payload,
)
from tests.alert_notices import AT, make_alert, notice

SENT = datetime(2026, 11, 25, 12, 1, 30, tzinfo=UTC)
BASE = "https://threatmon.example.kz/"


def test_webhook_payload_fields_in_their_documented_order() -> None:
    payload = webhook_payload(notice(), dashboard_url=BASE, sent_at=SENT)
    assert list(payload) == [
        "version", "event", "delivery_id", "alert", "stories", "links", "sent_at"
    ]  # fmt: skip
    assert payload["version"] == 1
    assert payload["event"] == "opened"
    assert payload["delivery_id"] == 77
    assert payload["alert"] == {
        "id": 12,
        "kind": "rise",
        "label": "Cyber threats · Almaty",
        "state": "new",
        "active": True,
        "series": {"category": ["cyber_threats"], "region": ["KZ-75"]},
        "rule_id": None,
        "window_start": "2026-11-24T12:00:00+00:00",
        "window_end": "2026-11-25T12:00:00+00:00",
        "observed": 8,
        "expected": 1.25,
        "score": 6.04,
        "peak_score": 6.04,
        "story_count": 8,
        "item_count": 9,
        "playbook": "cyber_threats",
        "created_at": "2026-11-25T12:00:00+00:00",
        "updated_at": "2026-11-25T12:00:00+00:00",
    }
    assert payload["stories"][0] == {
        "title": "DDoS на банки Алматы",
        "url": "https://news.example.kz/a/1",
        "published_at": "2026-11-25T10:00:00+00:00",
    }
    assert payload["links"] == {
        "alert": "https://threatmon.example.kz/alerts?alert=12",
        "trend": "https://threatmon.example.kz/trends?category=cyber_threats&region=KZ-75",
        "dashboard": "https://threatmon.example.kz/",
    }
    assert payload["sent_at"] == "2026-11-25T12:01:30+00:00"


def test_webhook_body_is_compact_utf8_json_and_the_same_for_the_same_notice() -> None:
    payload = webhook_payload(notice(), dashboard_url=BASE, sent_at=SENT)
    body = webhook_body(payload)
    assert body.startswith(b'{"version":1,"event":"opened","delivery_id":77,"alert":{"id":12,')
    assert "Алматы".encode() in body  # not \u-escaped
    assert json.loads(body) == payload
    again = webhook_body(webhook_payload(notice(), dashboard_url=BASE, sent_at=SENT))
    assert again == body


def test_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError, match="ended"):
        webhook_payload(notice("ended"), dashboard_url=BASE, sent_at=SENT)


def test_links_of_a_series_less_rule_alert_point_at_the_plain_trends_page() -> None:
    rule = make_alert(kind="rule", series={}, rule_id=3)
    assert links(rule, "http://127.0.0.1:8050") == {
        "alert": "http://127.0.0.1:8050/alerts?alert=12",
        "trend": "http://127.0.0.1:8050/trends",
        "dashboard": "http://127.0.0.1:8050/",
    }


def test_email_subject_and_plain_text() -> None:
    content = email_content(notice(), dashboard_url=BASE)
    assert content.subject == (
        "[threatmon] New alert #12: Cyber threats · Almaty (8 stories, 1.2 expected)"
    )
    text = content.text
    assert text.startswith("New alert #12 (rise): Cyber threats · Almaty\n")
    assert "Stories: 8 observed, 1.2 expected\n" in text
    assert "Series: category=cyber_threats, region=KZ-75\n" in text
    assert "- 2026-11-25 10:00 UTC  DDoS на банки Алматы\n  https://news.example.kz/a/1\n" in text
    assert "... and 6 more\n" in text
    assert "Open the alert: https://threatmon.example.kz/alerts?alert=12\n" in text


def test_grew_and_first_seen_wording() -> None:
    first = notice("grew", kind="first_seen", expected=None, observed=1, story_ids=(5,))
    assert email_subject(first) == "[threatmon] Alert grew #12: Cyber threats · Almaty (1 story)"
    assert email_content(first, dashboard_url=BASE).text.startswith("Alert grew #12 (first seen): ")


HOSTILE_TITLE = '<script>alert("x")</script> & <b>bold</b>'


def test_email_html_escapes_feed_text_and_links_only_web_urls() -> None:
    hostile = AlertNotice(
        delivery_id=1,
        event="opened",
        alert=make_alert(label='Rule "<img src=x onerror=alert(1)>"'),
        stories=(
            StoryLink(HOSTILE_TITLE, "javascript:alert(1)", AT),
            StoryLink("Обычная новость", 'https://news.example.kz/?a=1&b="2"', AT),
        ),
    )
    page = email_content(hostile, dashboard_url=BASE).html
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "javascript:" not in page
    assert 'href="https://news.example.kz/?a=1&amp;b=&quot;2&quot;"' in page


def test_subject_cannot_carry_a_header_break() -> None:
    subject = email_subject(notice(label="Label\r\nBcc: everyone@example.org"))
    assert "\r" not in subject and "\n" not in subject
    assert "Label Bcc: everyone@example.org" in subject


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]


@given(title=st.text(max_size=80), url=st.text(max_size=40), label=st.text(max_size=40))
def test_any_feed_text_leaves_the_html_structure_unchanged(
    title: str, url: str, label: str
) -> None:
    page = email_content(
        AlertNotice(1, "opened", make_alert(label=label), (StoryLink(title, url, AT),)),
        dashboard_url=BASE,
    ).html
    parsed = _Tags()
    parsed.feed(page)
    linked = safe_href(url) is not None
    assert parsed.tags.count("a") == 2 + linked
    assert set(parsed.tags) <= {"html", "head", "meta", "title", "body", "h2", "h3", "table",
                                "tr", "th", "td", "ul", "li", "a", "p", "small"}  # fmt: skip
    assert all(h.startswith(("http://", "https://")) for h in parsed.hrefs)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.kz/x", "https://a.kz/x"),
        ("  http://a.kz/  ", "http://a.kz/"),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("/relative/path", None),
        ("https://a.kz/x y", None),
        (None, None),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_href(url) == expected


README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_notifications() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Alert notifications")
    return text[start : text.index("\n## ", start + 1)]


def _flat_keys(payload: dict[str, object]) -> list[str]:
    """`event`, `alert.id`, ..., `links.alert`: the names the README's field table uses."""
    keys: list[str] = []
    for key, value in payload.items():
        if isinstance(value, dict) and key in ("alert", "links"):
            keys += [f"{key}.{inner}" for inner in value]
        else:
            keys.append(key)
    return keys


def test_the_readme_documents_every_payload_field_and_its_example_has_the_real_shape() -> None:
    section = _readme_notifications()
    payload = webhook_payload(notice(), dashboard_url=BASE, sent_at=SENT)
    # the field table: every key of the real payload, nothing that is not in it
    table = section[section.index("| field | meaning |") :].split("\n\n", 1)[0]
    documented = [
        name
        for row in table.splitlines()[2:]
        for name in re.findall(r"`([a-z_.]+)`", row.split("|")[1])
    ]
    assert sorted(documented) == sorted(_flat_keys(payload))
    # the JSON example: the same keys in the same order as what is sent
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    assert _flat_keys(example) == _flat_keys(payload)
    assert list(example["stories"][0]) == list(payload["stories"][0])


# --- e-mails in Russian and Kazakh (setting notify_language) ---------------------------------

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
ENGLISH_WORDS = ("New alert", "expected", "Open the alert", "Trend of the series", "Window")


@pytest.mark.parametrize(
    ("lang", "title", "words"),
    [
        ("ru", "Новое оповещение", ("Окно", "ожидалось 1,2", "Открыть оповещение", "Алматы")),
        ("kk", "Жаңа ескерту", ("Терезе", "күтілгені 1,2", "Ескертуді ашу", "Алматы")),
    ],
)
def test_an_email_in_russian_or_kazakh_says_everything_in_that_language(
    lang: str, title: str, words: tuple[str, ...]
) -> None:
    from notify.render import email_content
    from notify.wording import wording_for

    content = email_content(notice(), dashboard_url=BASE, w=wording_for(lang, DATA_DIR))
    assert content.subject.startswith(f"[threatmon] {title} #12: ")
    for body in (content.text, content.html):
        for word in words:
            assert word in body, (lang, word)
        for english in ENGLISH_WORDS:
            assert english not in body, (lang, english)
    # the alert is named from its series in the language, not by its stored English label
    assert "Cyber threats" not in content.subject
    # links and ids stay as the dashboard reads them
    assert "https://threatmon.example.kz/alerts?alert=12" in content.text
    assert "category=cyber_threats, region=KZ-75" in content.text


def test_english_is_the_messages_as_written() -> None:
    from notify.render import ENGLISH, email_content
    from notify.wording import wording_for

    assert wording_for("en", DATA_DIR) is ENGLISH
    content = email_content(notice(), dashboard_url=BASE)
    assert content.subject == (
        "[threatmon] New alert #12: Cyber threats · Almaty (8 stories, 1.2 expected)"
    )
