"""Alert notices for notification tests: one stored-looking alert and two stories."""

from __future__ import annotations

from datetime import UTC, datetime

from indicators.alerts import AlertRow
from notify.render import AlertNotice, StoryLink

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def make_alert(**changes: object) -> AlertRow:
    values: dict[str, object] = {
        "id": 12,
        "kind": "rise",
        "key": "rise:category=cyber_threats|region=KZ-75",
        "active": True,
        "rule_id": None,
        "series": {"category": ["cyber_threats"], "region": ["KZ-75"]},
        "label": "Cyber threats · Almaty",
        "window_start": datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        "window_end": AT,
        "observed": 8,
        "expected": 1.25,
        "score": 6.04,
        "peak_score": 6.04,
        "story_ids": (101, 102, 103, 104, 105, 106, 107, 108),
        "item_ids": (101, 102, 103, 104, 105, 106, 107, 108, 109),
        "state": "new",
        "note": "",
        "playbook": "cyber_threats",
        "checklist": {},
        "created_at": AT,
        "updated_at": AT,
    }
    values.update(changes)
    return AlertRow(**values)  # type: ignore[arg-type]


STORIES = (
    StoryLink("DDoS на банки Алматы", "https://news.example.kz/a/1", AT.replace(hour=10)),
    StoryLink("Атака на портал акимата", "https://news.example.kz/a/2", AT.replace(hour=9)),
)


def notice(event: str = "opened", **changes: object) -> AlertNotice:
    return AlertNotice(delivery_id=77, event=event, alert=make_alert(**changes), stories=STORIES)
