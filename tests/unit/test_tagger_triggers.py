"""Context-rule triggers that are also terms, pinned with a tiny lexicon
(tests/fixtures/lexicon/trigger_overlap).

A phrase can be both a term ("сары деңгей" is counter_measures) and the trigger
of a rule (a threat level: the terrorism words around it are the reason for
the measure, not an attack). Firing the rule must not cost the item the
evidence of the term's own category, which the rule does not drop, and two
rules that both keep a term as support must keep it whichever runs first.
"""

import shutil
from pathlib import Path

import pytest
import yaml

from indicators.lexicon import load_compiled
from indicators.tagger import tag

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "lexicon" / "trigger_overlap"

LEVEL_TITLE = "Қалада террористік қауіптің «көк» деңгейі жарияланды"
LEVEL_SUMMARY = "Облыстық жедел штаб тұрғындарды сақ болуға шақырды."


def _fixture_copy(folder: Path, edit_rules=None) -> Path:
    """The fixture with the real taxonomy; ``edit_rules`` may rewrite its rules."""
    shutil.copytree(FIXTURE, folder)
    shutil.copy(ROOT / "data" / "taxonomy.toml", folder / "taxonomy.toml")
    if edit_rules is not None:
        path = folder / "lexicon" / "rules.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit_rules(data["context_rules"])
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def overlap(tmp_path_factory):
    return load_compiled(_fixture_copy(tmp_path_factory.mktemp("data") / "overlap"))


def terms_of(tags, category: str) -> list[str]:
    return [m.term for m in tags.matches if m.id == category]


def test_the_trigger_and_the_term_are_both_found(overlap):
    phrases = {(p.kind, p.term) for p in overlap.phrases}
    assert {("trigger", "сары деңгей"), ("term", "сары деңгей")} <= phrases


def test_a_trigger_that_is_also_a_term_keeps_that_term_and_its_category(overlap):
    tags = tag("Антитеррорлық комиссия отырысы", "Сары деңгей мен жедел штаб.", overlap)
    assert tags.categories == ("counter_measures",)
    assert terms_of(tags, "counter_measures") == [
        "антитеррорлық комиссия",
        "сары деңгей",
        "жедел штаб",
    ]


def test_terms_both_rules_keep_as_support_still_back_the_weak_level_term(overlap):
    # threat_level keeps "террористік қауіп" as support; topic_needs_an_event
    # names it again in drop_terms and keeps support too: it must stay support
    tags = tag(LEVEL_TITLE, LEVEL_SUMMARY, overlap)
    assert tags.categories == ("counter_measures",)
    assert terms_of(tags, "counter_measures") == ["көк деңгей", "жедел штаб"]
    assert terms_of(tags, "terrorist_activity") == []


def test_the_order_of_two_rules_that_keep_support_does_not_change_the_tags(overlap, tmp_path):
    reversed_rules = load_compiled(_fixture_copy(tmp_path / "reversed", list.reverse))
    assert [r.id for r in reversed_rules.rules] == ["topic_needs_an_event", "threat_level"]
    assert tag(LEVEL_TITLE, LEVEL_SUMMARY, reversed_rules) == tag(
        LEVEL_TITLE, LEVEL_SUMMARY, overlap
    )


def test_a_drop_without_keep_as_support_takes_the_backing_away(tmp_path):
    # what the lexicon engineer saw: a rule that drops the only strong (core)
    # words outright leaves the weak level term unsupported, and the context
    # term "жедел штаб" has no relevant item to join
    def no_support_for_levels(rules: list) -> None:
        del rules[0]["keep_as_support"]

    strict = load_compiled(_fixture_copy(tmp_path / "strict", no_support_for_levels))
    assert not tag(LEVEL_TITLE, LEVEL_SUMMARY, strict).relevant


def test_a_cancelled_rule_leaves_the_other_rules_support_in_place(overlap):
    tags = tag(LEVEL_TITLE, "Бір адам қаза тапты. " + LEVEL_SUMMARY, overlap)
    assert tags.categories == ("counter_measures",)
    assert terms_of(tags, "counter_measures") == ["көк деңгей", "жедел штаб"]
