"""Event rules, support-only terms, platform use and Kazakh spellings, pinned with a
tiny lexicon (tests/fixtures/lexicon/events).

GUIDELINES.md reads a category as a fact the item reports: "терроризм" in the
name of a law is no terrorist activity, a detention in a recruitment case is.
These tests say how the rules in rules.yaml express that, independently of
the real lexicon.
"""

import shutil
from pathlib import Path

import pytest

from indicators.lexicon import check_lexicon, load_compiled
from indicators.models import tagged_text
from indicators.morph import kk_latin_spellings, tail_allowed, word_patterns
from indicators.tagger import tag
from tests.factories import replace_in_file

ROOT = Path(__file__).resolve().parents[2]


def _copy_fixture(folder: Path) -> Path:
    shutil.copytree(ROOT / "tests" / "fixtures" / "lexicon" / "events", folder)
    shutil.copy(ROOT / "data" / "taxonomy.toml", folder / "taxonomy.toml")
    return folder


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    return load_compiled(_copy_fixture(tmp_path_factory.mktemp("data") / "events"))


def evidence(title: str, tags, category: str) -> list[str]:
    text = tagged_text(title, "")
    return [text[m.start : m.end] for m in tags.matches if m.id == category]


def test_a_topic_word_without_an_event_gives_no_activity(events):
    tags = tag("Сенат принял закон о противодействии терроризму", "", events)
    assert tags.categories == ("counter_measures",)


def test_the_same_word_counts_when_the_item_reports_an_event(events):
    tags = tag("В Шымкенте задержан террорист", "", events)
    assert tags.categories == ("terrorist_activity",)
    assert tags.regions == ("KZ-79",)


def test_a_support_only_term_backs_weak_terms_of_other_categories(events):
    assert tag("Криптовалюта для террористов", "", events).categories == ("terrorist_financing",)
    assert not tag("Криптовалюта подешевела", "", events).relevant


def test_a_support_only_term_cannot_revive_its_own_category(events):
    assert not tag("Террористы и нападение", "", events).relevant


def test_a_case_word_adds_activity_to_a_required_category_with_its_evidence(events):
    tags = tag("Вербовщик задержан", "", events)
    assert tags.categories == ("terrorist_activity", "extremist_ideology")
    assert evidence("Вербовщик задержан", tags, "terrorist_activity") == ["задержан"]
    # a detained hacker is cyber news: cyber_threats is not a required category
    assert tag("Хакер задержан", "", events).categories == ("cyber_threats",)


def test_a_rule_can_require_a_context_term_and_add_a_category(events):
    tags = tag("Продажа оружия", "", events)
    assert tags.categories == ("tactics_methods",)
    assert evidence("Продажа оружия", tags, "tactics_methods") == ["Продажа", "оружия"]
    assert not tag("Продажа квартир", "", events).relevant
    assert not tag("Оружие в музее", "", events).relevant


def test_a_platform_in_cyber_news_is_labelled_but_is_no_use_of_a_platform(events):
    tags = tag("Хакер атаковал сайт и Telegram онлайн", "", events)
    assert tags.categories == ("cyber_threats",)
    assert tags.platforms == ("telegram",)  # named: labelled; the bare "сайт" is not


def test_a_platform_used_for_recruitment_is_online_platforms(events):
    tags = tag("Вербовщик на сайте и в Telegram", "", events)
    assert tags.categories == ("extremist_ideology", "online_platforms")
    assert tags.platforms == ("telegram", "other_online")


def test_a_named_platform_in_an_item_about_terrorists_is_their_channel(events):
    tags = tag("Террористы общались в Telegram", "", events)
    assert tags.categories == ("online_platforms",)
    assert tags.platforms == ("telegram",)


@pytest.mark.parametrize(
    "title",
    [
        "Лаңкестік топтың мүшесі ұсталды",  # Cyrillic
        "Lañkestık toptyñ müşesı ūstaldy",  # 2021 Latin alphabet
        "Lańkestik toptyń múshesi ustaldy",  # 2017-2018 Latin alphabets
    ],
)
def test_kazakh_terms_match_in_every_alphabet_and_verbs_inflect(events, title):
    assert tag(title, "", events).categories == ("terrorist_activity",)


def test_kazakh_verbs_take_voice_tense_and_case_suffixes():
    assert word_patterns("ұстау", "kk", "verb") == [("ұста", "kk_verb")]
    for tail in ("лды", "ды", "ған", "п", "ғандар"):
        assert tail_allowed("kk_verb", tail), tail
    assert not tail_allowed("kk_verb", "қшы")
    # the -у form of a verb in an ordinary entry also finds the verb: тарту -> тартқан
    assert ("тарт", "kk_verb") in word_patterns("тарту", "kk")


def test_kazakh_words_are_spelled_in_the_latin_alphabets_as_text_is_folded():
    assert kk_latin_spellings("жарылғыш") == ["jarylgys", "jarylgysh"]
    assert kk_latin_spellings("ұстау") == ["ustau", "ustay"]


def test_a_rule_must_drop_or_add_and_can_only_add_a_known_category(tmp_path):
    folder = _copy_fixture(tmp_path / "events")
    rules = folder / "lexicon" / "rules.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8")
        + "  - id: nonsense\n    when: {ru: [теракт]}\n    add_category: weather\n",
        encoding="utf-8",
    )
    problems = [str(p) for p in check_lexicon(folder) if p.severity == "error"]
    assert problems == [
        "lexicon/rules.yaml:22: error: rule nonsense: unknown add_category 'weather'",
        "lexicon/rules.yaml:22: error: rule nonsense: drops nothing and adds nothing",
    ]


def test_the_forms_of_one_weak_entry_are_one_weak_term_wherever_they_are(tmp_path):
    # weak_terms_alone is 2 in the fixture: two different weak terms back each other
    folder = _copy_fixture(tmp_path / "events")
    replace_in_file(
        folder / "lexicon" / "categories.yaml",
        "{term: нападение, weak: true}]",
        "{term: нападение, weak: true}, {term: наезд|таран, weak: true}]",
    )
    compiled = load_compiled(folder)
    assert not tag("Наезд на пост, затем таран колонны", "", compiled).relevant
    assert tag("Нападение: таран колонны", "", compiled).categories == ("terrorist_activity",)


def test_one_text_in_two_language_lists_is_one_weak_term(tmp_path):
    folder = _copy_fixture(tmp_path / "events")
    terms = folder / "lexicon" / "categories.yaml"
    replace_in_file(
        terms,
        "{term: нападение, weak: true}]",
        "{term: нападение, weak: true}, {term: таран, weak: true}]",
    )
    replace_in_file(terms, "kk: [лаңкестік]", "kk: [лаңкестік, {term: таран, weak: true}]")
    compiled = load_compiled(folder)
    # "тараном" takes a Russian ending only, "таранға" a Kazakh one: two entries, one term
    assert not tag("Колонну остановили тараном, пост таранға ұшырады", "", compiled).relevant
    assert tag("Нападение и таран колонны", "", compiled).relevant
