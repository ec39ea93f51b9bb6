"""Response playbooks: the shipped files, the format's rules, and malformed files refused.

Each malformed fixture under tests/fixtures/playbooks/malformed/ states the
error it must produce in its first line: `<!-- expect: line N: message -->`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from indicators.playbooks import (
    LANGUAGES,
    REQUIRED_IDS,
    SECTIONS,
    PlaybookError,
    check_playbooks,
    load_playbook,
    load_playbooks,
    parse_playbook,
    playbook_path,
)
from indicators.taxonomy import CATEGORY_IDS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "playbooks"
MALFORMED = sorted((FIXTURES / "malformed").glob("*.md"))
EXPECT = re.compile(r"<!-- expect: line (?P<line>\d+): (?P<message>.*) -->")
KAZAKH_LETTERS = set("әғқңөұүһі")


def cyrillic_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum("\u0400" <= c <= "\u04ff" for c in letters) / len(letters)


def test_every_category_and_general_has_a_playbook() -> None:
    shipped = load_playbooks(DATA)
    assert set(REQUIRED_IDS) == {*CATEGORY_IDS, "general"}
    assert set(shipped) == set(REQUIRED_IDS)
    assert check_playbooks(DATA) == []


@pytest.mark.parametrize("playbook_id", REQUIRED_IDS)
def test_a_shipped_playbook_is_written_in_each_language(playbook_id: str) -> None:
    playbook = load_playbook(DATA, playbook_id)
    assert tuple(playbook.texts) == LANGUAGES
    for lang, text in playbook.texts.items():
        assert [s.id for s in text.sections] == list(SECTIONS)
        assert all(len(s.items) >= 3 for s in text.sections), lang
        assert text.item_keys() == playbook.item_keys()
        assert text.summary, f"{playbook_id}/{lang} has no summary"
    words = {lang: " ".join(i.text for s in t.sections for i in s.items)
             for lang, t in playbook.texts.items()}  # fmt: skip
    assert cyrillic_share(words["ru"]) > 0.9 and cyrillic_share(words["kk"]) > 0.9
    assert KAZAKH_LETTERS & set(words["kk"]), "the Kazakh text uses no Kazakh letter"
    assert cyrillic_share(words["en"]) == 0
    # translated, not copied: no item is the same text in two languages
    for one, other in (("ru", "kk"), ("ru", "en"), ("kk", "en")):
        same = set(words[one].split(". ")) & set(words[other].split(". "))
        assert not {s for s in same if len(s) > 20}, (one, other)


@pytest.mark.parametrize(
    ("playbook_id", "key", "names"),
    [
        ("terrorist_activity", "notify.knb_atc", ["National Security Committee", "Anti-Terrorism"]),
        ("terrorist_financing", "notify.afm", ["Agency for Financial Monitoring"]),
        ("cyber_threats", "notify.kz_cert", ["KZ-CERT", "State Technical Service"]),
        ("terrorist_activity", "notify.international", ["SCO RATS", "CIS Anti-Terrorism Center"]),
        ("extremist_ideology", "notify.mia", ["Ministry of Internal Affairs"]),
    ],
)
def test_whom_to_notify_names_the_responsible_bodies(
    playbook_id: str, key: str, names: list[str]
) -> None:
    items = {i.key: i.text for s in load_playbook(DATA, playbook_id).text("en").sections
             for i in s.items}  # fmt: skip
    assert all(name in items[key] for name in names), items[key]


def test_the_valid_fixture_parses_into_keyed_items_per_language() -> None:
    text = (FIXTURES / "valid.md").read_text(encoding="utf-8")
    playbook = parse_playbook("test_playbook", text)
    assert playbook.title == "Test playbook"
    assert playbook.item_keys() == (
        "verify.source", "verify.place", "notify.lead", "cross_check.official"
    )  # fmt: skip
    ru = playbook.text("ru")
    assert ru.title == "Проверочный сценарий"
    assert ru.summary == "Краткое описание в две строки."
    assert ru.sections[0].heading == "Проверить"
    assert ru.sections[0].items[0].text == "Источник и его дата."
    assert playbook.text("kk").sections[2].items[0].text == "Ресми хабарлар."
    assert playbook.text("de") is playbook.text("en")  # unknown languages fall back to English


def test_checklist_state_keeps_only_the_playbooks_items() -> None:
    playbook = parse_playbook("t", (FIXTURES / "valid.md").read_text(encoding="utf-8"))
    saved = {"verify.place": True, "notify.lead": False, "verify.removed_item": True}
    assert playbook.checklist_state(saved) == {
        "verify.source": False,
        "verify.place": True,
        "notify.lead": False,
        "cross_check.official": False,
    }


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_a_malformed_playbook_is_refused_with_file_line_and_reason(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expect = EXPECT.match(text.splitlines()[0])
    assert expect is not None, f"{path.name} does not state its expected error"
    with pytest.raises(PlaybookError) as raised:
        parse_playbook(path.stem, text, where=path.name)
    message = str(raised.value)
    assert message.startswith(f"{path.name}:{expect['line']}: "), message
    assert expect["message"] in message


def test_check_reports_malformed_and_missing_playbooks(tmp_path: Path) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    shutil.copy(FIXTURES / "valid.md", folder / "general.md")
    shutil.copy(FIXTURES / "malformed" / "duplicate_key.md", folder / "cyber_threats.md")
    (folder / "README.md").write_text("# not a playbook\n", encoding="utf-8")
    problems = check_playbooks(tmp_path, required=("general", "cyber_threats", "counter_measures"))
    assert [(Path(p.file).name, p.line, p.severity) for p in problems] == [
        ("cyber_threats.md", 6, "error"),
        ("playbooks", None, "error"),
    ]
    assert problems[0].message == "ru/verify: duplicate item key 'source'"
    assert (
        problems[1].message
        == "no playbook 'counter_measures' (counter_measures.md): alerts link it"
    )


@pytest.mark.parametrize("bad", ["../etc/passwd", "General", "a b", ""])
def test_a_playbook_id_is_a_plain_name(bad: str) -> None:
    with pytest.raises(ValueError, match="not a playbook id"):
        playbook_path(DATA, bad)
