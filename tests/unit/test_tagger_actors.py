"""The `actor` axis of the tagger: organizations named in an item, with their spans.

Against the shipped data/actors.yaml (the names a reader of Russian, Kazakh
and English news meets) and the small fixture tests/fixtures/actors/valid
(a weak alias that is an ordinary word).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from indicators.lexicon import load_compiled
from indicators.models import tagged_text
from indicators.tagger import tag

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def compiled():
    return load_compiled(DATA)


def named(compiled, title: str, summary: str = "") -> dict[str, list[str]]:
    """Actor id -> the text each of its spans covers."""
    verdict = tag(title, summary, compiled)
    text = tagged_text(title, summary)
    out: dict[str, list[str]] = {}
    for m in verdict.matches:
        if m.axis == "actor":
            out.setdefault(m.id, []).append(text[m.start : m.end])
    assert sorted(out) == list(verdict.actors)
    return out


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        # abbreviations, with Russian and Kazakh endings
        ("Задержан сторонник ИГИЛ", "Он готовил теракт.", {"isis": ["ИГИЛ"]}),
        ("ДАИШ-ке қосылмақ болған жігіт сотталды", "Лаңкестік әрекетке дайындалған.",
         {"isis": ["ДАИШ"]}),  # the span is the name; the suffix after the hyphen is not
        ("Вербовщика ИГИЛа осудили за пропаганду терроризма", "", {"isis": ["ИГИЛа"]}),
        ("ISIS recruiter jailed in Almaty for terrorism", "", {"isis": ["ISIS"]}),
        ("UN adds two ISIL commanders to terrorism sanctions list", "", {"isis": ["ISIL"]}),
        # full names in three languages, inflected
        ("Осуждён вербовщик Исламского государства", "Суд признал его виновным в терроризме.",
         {"isis": ["Исламского государства"]}),
        ("«Ислам мемлекетінің» жақтасы лаңкестік үшін сотталды", "",
         {"isis": ["Ислам мемлекетінің"]}),
        ("Islamic State claims attack on police checkpoint", "", {"isis": ["Islamic State"]}),
        # Kazakh in the Latin alphabet: the Cyrillic kk names are transliterated
        ("«Islam memleketiniñ» jaqtasy lañkestik üşin sottaldy", "",
         {"isis": ["Islam memleketiniñ"]}),
        # the Khorasan branch is its own organization; the longer name wins the span
        ("Kazakh security service foiled ISIS-K attack", "A terrorist cell was detained.",
         {"isis_k": ["ISIS-K"]}),
        ("IS-K claims suicide bombing in Kabul", "", {"isis_k": ["IS-K"]}),
        ("Теракт: ответственность взяло ИГИЛ-Хорасан", "", {"isis_k": ["ИГИЛ-Хорасан"]}),
        ("Вербовщик ИГИЛ-К осуждён за терроризм", "Он вербовал для ИГИЛ-Хорасан.",
         {"isis_k": ["ИГИЛ-К", "ИГИЛ-Хорасан"]}),
        # other organizations, Kazakh and English forms
        ("«Хизб ут-Тахрир» ұйымының мүшелері экстремизм үшін сотталды", "",
         {"hizb_ut_tahrir": ["Хизб ут-Тахрир"]}),
        ("Талибы взяли ответственность за теракт", "", {"taliban": ["Талибы"]}),
        ("Killnet claims DDoS attack on Kazakh banks", "", {"killnet": ["Killnet"]}),
    ],
)  # fmt: skip
def test_organizations_are_named_with_the_words_that_name_them(compiled, title, summary, expected):
    assert named(compiled, title, summary) == expected


def test_an_ambiguous_short_form_counts_only_next_to_a_full_name(compiled):
    # "ИГ" and "IS" are also ordinary text: alone they name nobody, even in a threat item
    assert named(compiled, "В Актобе задержан вербовщик", "Он вербовал в ИГ подростков.") == {}
    assert named(compiled, "IS terrorism trial opens in Almaty", "") == {}
    assert named(
        compiled, "Задержан вербовщик Исламского государства", "Он вербовал в ИГ подростков."
    ) == {"isis": ["Исламского государства", "ИГ"]}


def test_a_preposition_after_the_abbreviation_is_no_khorasan_branch(compiled):
    # "ИГИЛ к ..." reads like "ИГИЛ-К": without a Khorasan name it stays the Islamic State
    assert named(compiled, "Вербовка женщин: отношение ИГИЛ к семье", "Пропаганда терроризма.") == {
        "isis": ["ИГИЛ"]
    }


def test_an_organization_in_an_item_that_is_no_threat_is_not_tagged(compiled):
    verdict = tag("Талибан и Казахстан подписали торговое соглашение", "Поставки муки.", compiled)
    assert (verdict.relevant, verdict.actors) == (False, ())
    assert not [m for m in verdict.matches if m.axis == "actor"]


def test_a_given_name_is_not_the_taliban(compiled):
    assert named(compiled, "Талиб Алиев осуждён за терроризм", "") == {}


def test_a_congregation_is_not_an_organization(compiled):
    verdict = tag(
        "Түркістанда радикалды топ мүшелеріне үкім шығарылды",
        "Олар мешіт жамағаты арасында зорлық-зомбылықты насихаттап, экстремистік топ құрған.",
        compiled,
    )
    assert verdict.relevant and verdict.actors == ()


def test_a_weak_alias_that_is_an_ordinary_word_never_fires_on_its_own(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(ROOT / "tests" / "fixtures" / "lexicon" / "mini", folder)
    shutil.copy(DATA / "taxonomy.toml", folder / "taxonomy.toml")
    shutil.copy(ROOT / "tests" / "fixtures" / "actors" / "valid" / "actors.yaml", folder)
    small = load_compiled(folder)
    # "Көше" (street): alone, not even in a threat item
    assert tag("Көше бойында лаңкестік әрекет болды", "", small).actors == ()
    assert tag("Көше бойында жиналыс", "", small).actors == ()
    # with the full name of the party it is evidence too
    both = tag("Көше партиясы лаңкестік әрекетке шақырды", "Көше жақтастары ұсталды.", small)
    assert both.actors == ("koshe",)
    assert [m.term for m in both.matches if m.axis == "actor"] == ["Көше партиясы", "Көше"]
    # a `weak: context` alias joins any relevant item, and no other
    assert tag("Даиш взял ответственность за теракт", "", small).actors == ("isis",)
    assert tag("Даиш", "", small).actors == ()


def test_organizations_change_no_relevance_and_add_only_their_kinds_category(compiled, tmp_path):
    """Tagging the development set with and without actors.yaml differs only in actors,
    and in the category a kind implies (rules.yaml `actor_kind_categories`), which
    then has the organization's own name as its evidence. The rules alone: the
    learned relevance model does weigh a named organization as evidence."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("actors.yaml", "samples"))
    without = load_compiled(folder).rules_only()
    compiled = compiled.rules_only()
    assert without.actors == {}
    lines = (ROOT / "tests" / "eval" / "devset.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]
    tagged_actors = 0
    for item in items:
        full = tag(item["title"], item["summary"], compiled, item["lang"])
        bare = tag(item["title"], item["summary"], without, item["lang"])
        tagged_actors += bool(full.actors)
        actor_spans = {(m.start, m.end) for m in full.matches if m.axis == "actor"}
        kind_categories = set(compiled.actor_kind_categories.values())
        added = set(full.categories) - set(bare.categories)
        assert added <= set(compiled.actor_kind_categories.values()), item["id"]
        for category in added:
            spans = {(m.start, m.end) for m in full.matches if m.id == category}
            assert spans & actor_spans, item["id"]
        others = tuple(
            m
            for m in full.matches
            if (
                m.axis != "actor"
                and not ((m.start, m.end) in actor_spans and m.id in kind_categories)
            )
            or m in bare.matches
        )
        categories = tuple(c for c in full.categories if c not in added)
        assert replace(full, actors=(), matches=others, categories=categories) == bare, item["id"]
    assert tagged_actors >= 25  # the comparison did see organizations


def test_every_actor_span_slices_back_to_a_name_of_that_organization(compiled):
    lines = (ROOT / "tests" / "eval" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        item = json.loads(line)
        verdict = tag(item["title"], item["summary"], compiled, item["lang"])
        text = tagged_text(item["title"], item["summary"])
        for m in verdict.matches:
            if m.axis == "actor":
                assert 0 <= m.start < m.end <= len(text)
                assert text[m.start : m.end].strip() == text[m.start : m.end]
                assert m.id in compiled.actors


@pytest.mark.parametrize(
    "title",
    [
        "В Таджикистане задержаны 27 предполагаемых членов «Братьев-мусульман»",
        "Как в Казахстане судят за участие в «Демократическом выборе Казахстана»",
    ],
)
def test_naming_a_banned_movement_makes_an_item_relevant_with_its_kinds_category(compiled, title):
    verdict = tag(title, "", compiled)
    assert verdict.relevant
    assert "extremist_ideology" in verdict.categories
    assert verdict.actors


def test_an_armed_group_named_in_a_trade_story_still_gives_nothing(compiled):
    verdict = tag("Kazakhstan and the Taliban discuss wheat exports and a railway", "", compiled)
    assert not verdict.relevant and verdict.actors == ()


def test_a_weak_alias_alone_makes_nothing_relevant(compiled):
    assert not tag("ДВК провёл собрание акционеров", "", compiled).relevant
