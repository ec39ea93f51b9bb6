"""The rules the corpus tests hold every stored item to can fail, each with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.storable import item_problems, text_problems

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_plain_text_with_line_breaks_passes() -> None:
    assert text_problems("Теракт предотвращён в Атырау.\nКНБ: 2 < 3 & 4 > 1") == []
    assert item_problems("Заголовок", "", "https://news.example/1", AT) == []
    assert item_problems("Title", "Text", None, AT) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>Headline</b>", "markup left in '<b>Headline</b>'"),
        ("before <!-- note --> after", "markup left in"),
        ("Tom &amp; Jerry", "an entity left undecoded in 'Tom &amp; Jerry'"),
        ("a&#160;b", "an entity left undecoded in"),
        ("tab\there", r"control characters ['\t'] in"),
        ("bell\x07", r"control characters ['\x07'] in"),
    ],
)
def test_markup_entities_and_control_characters_are_problems(text: str, reason: str) -> None:
    (problem,) = text_problems(text)
    assert problem.startswith(reason), problem


def test_an_item_reports_each_broken_rule() -> None:
    kyiv = timezone(timedelta(hours=2))
    problems = item_problems(
        " ", "read /etc/passwd: root:x:0:0", "javascript:alert(1)", AT.astimezone(kyiv),
        secrets=["root:x:0"],
    )  # fmt: skip
    assert problems == [
        "an empty title",
        "a link that is not http(s): 'javascript:alert(1)'",
        "a time that is not UTC: datetime.datetime(2026, 12, 1, 11, 0, "
        "tzinfo=datetime.timezone(datetime.timedelta(seconds=7200)))",
        "'root:x:0' leaked into the item",
    ]
