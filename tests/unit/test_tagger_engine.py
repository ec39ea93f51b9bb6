"""The tagger's rules, pinned with a tiny lexicon (tests/fixtures/lexicon/mini).

These tests say how evidence is combined, independently of what the real
lexicon contains: weak and context terms, false friends, context rules,
platforms only with a threat, longest match, KZ only without a unit.
"""

import shutil
from pathlib import Path

import pytest

from indicators.lexicon import load_compiled
from indicators.models import tagged_text
from indicators.tagger import tag

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data") / "mini"
    shutil.copytree(ROOT / "tests" / "fixtures" / "lexicon" / "mini", folder)
    shutil.copy(ROOT / "data" / "taxonomy.toml", folder / "taxonomy.toml")
    return load_compiled(folder)


def evidence(title: str, summary: str, tags) -> list[tuple[str, str, str]]:
    text = tagged_text(title, summary)
    return [(m.axis, m.id, text[m.start : m.end]) for m in tags.matches]


def test_a_strong_term_makes_an_item_relevant_with_its_evidence(mini):
    tags = tag("Предотвращен теракт", "Подробности позже.", mini)
    assert tags.relevant
    assert tags.categories == ("terrorist_activity",)
    assert evidence("Предотвращен теракт", "Подробности позже.", tags) == [
        ("category", "terrorist_activity", "теракт")
    ]


def test_one_weak_term_is_not_enough(mini):
    assert not tag("Громкий взрыв напугал жителей", "", mini).relevant


def test_two_different_weak_terms_of_one_group_support_each_other(mini):
    tags = tag("Взрыв бомбы у вокзала", "", mini)
    assert tags.categories == ("terrorist_activity",)
    assert [m.term for m in tags.matches] == ["взрыв", "бомба"]
    # weak terms of unrelated groups do not: a virus and a bomb are two stories
    assert not tag("Вирус и бомба", "", mini).relevant


def test_variants_of_one_entry_on_the_same_words_are_one_weak_term(mini):
    """ "протаранил|протаранили" may both match "протаранил": still one word of evidence."""
    assert not tag("Автомобиль протаранил автобус", "Пострадали восемь человек.", mini).relevant
    tags = tag("Автомобиль протаранил автобус, в салоне была бомба", "", mini)
    assert tags.categories == ("terrorist_activity",)  # a second, different word backs it


def test_some_categories_weak_terms_never_back_each_other(mini):
    """`weak_never_alone`: cash and a courier are a fraud story until terrorism is named."""
    assert not tag("Курьер перевозил наличные", "", mini).relevant
    tags = tag("Курьер перевозил наличные на финансирование терроризма", "", mini)
    assert tags.categories == ("terrorist_financing",)
    assert {m.term for m in tags.matches} == {"курьер", "наличные", "финансирование терроризма"}


def test_weak_terms_of_other_groups_need_their_own_support_next_to_strong_terms(mini):
    tags = tag("Кибератака: вирус и бомба", "", mini)
    assert tags.categories == ("cyber_threats",)
    assert [m.term for m in tags.matches] == ["кибератака", "вирус"]


def test_a_weak_term_counts_next_to_a_strong_term_of_its_category_or_a_core_one(mini):
    assert tag("Кибератака и вирус", "", mini).categories == ("cyber_threats",)
    # terrorist_activity is a core category in the fixture: it supports any weak term
    assert tag("Теракт и вирус", "", mini).categories == ("terrorist_activity", "cyber_threats")
    # cyber_threats is not: an explosion in a cyber story stays unsupported
    tags = tag("Кибератака и взрыв", "", mini)
    assert tags.categories == ("cyber_threats",)
    assert [m.term for m in tags.matches] == ["кибератака"]


def test_context_terms_never_make_an_item_relevant_but_join_a_relevant_one(mini):
    assert not tag("Новые соцсети", "", mini).relevant
    tags = tag("Теракт обсуждают в соцсетях", "", mini)
    assert tags.categories == ("terrorist_activity", "online_platforms")


def test_a_false_friend_cancels_the_term_it_covers(mini):
    assert not tag("Взрыв газа и бомба", "", mini).relevant  # only "бомба" is left: weak
    assert tag("Взрыв газа и теракт", "", mini).categories == ("terrorist_activity",)


def test_a_false_friend_beaten_by_a_longer_term_still_cancels_the_words_inside_it(mini):
    """ "канал поставки" loses "поставки" to the longer weapons term, yet "канал" inside
    it is still no online channel; the weapons term keeps its own evidence."""
    title = "Перекрыт канал поставки оружия"
    tags = tag(title, "", mini)
    assert tags.categories == ("tactics_methods",)
    assert evidence(title, "", tags) == [("category", "tactics_methods", "поставки оружия")]
    # without the false friend's words the channel is one
    assert tag("Оружие продавали через канал", "", mini).categories == ("online_platforms",)


def test_one_term_can_support_several_categories(mini):
    tags = tag("Задержан кибертеррорист", "", mini)
    assert tags.categories == ("terrorist_activity", "cyber_threats")
    assert {m.id for m in tags.matches} == {"terrorist_activity", "cyber_threats"}


def test_platforms_count_only_when_the_item_is_about_a_threat(mini):
    assert tag("Новый Telegram-бот для заказа пиццы", "", mini).platforms == ()
    tags = tag("Теракт готовили через Telegram", "", mini)
    assert tags.platforms == ("telegram",)
    # rules.yaml platform_category: the platform is also evidence of online use
    assert tags.categories == ("terrorist_activity", "online_platforms")
    text = "Теракт готовили через Telegram"
    assert [text[m.start : m.end] for m in tags.matches if m.id == "online_platforms"] == [
        "Telegram"
    ]


def test_the_outlets_own_channel_is_not_the_threats_channel(mini):
    tags = tag("Теракт предотвращен", "Об этом сообщили в Телеграм-канале ведомства.", mini)
    assert tags.platforms == ()
    assert tags.categories == ("terrorist_activity",)


def test_a_multi_word_term_with_punctuation_between_words(mini):
    assert tag("Теракт обсуждали в X (Twitter)", "", mini).platforms == ("x",)
    assert tag("Теракт обсуждали в X", "", mini).platforms == ()


def test_a_multi_word_term_never_spans_title_and_summary(mini):
    tags = tag("Уровень террористической", "опасности нет", mini)
    assert not tags.relevant
    assert tag("Уровень террористической опасности повышен", "", mini).categories == (
        "counter_measures",
    )


@pytest.mark.parametrize(
    ("title", "relevant"),
    [
        ("Бомба и взрыв: матч года", False),  # sport context drops weak terms
        ("Теракт на матче", True),  # ... but not strong ones
        ("Бомба и взрыв: грипп", True),  # the health rule drops only "вирус"
        ("Фильм про теракт", False),  # fiction drops terrorist_activity
        ("Фильм про теракт: уровень террористической опасности", True),  # unless_categories
    ],
)
def test_context_rules(mini, title, relevant):
    assert tag(title, "", mini).relevant is relevant


@pytest.mark.parametrize(
    ("title", "relevant"),
    [
        ("Фильм про теракт", False),
        ("Документальный фильм про теракт", True),  # the trigger inside `not_inside`
        ("Документальный фильм про теракт и фильм о нём", False),  # ... and once outside
    ],
)
def test_a_trigger_inside_a_not_inside_phrase_does_not_fire_its_rule(mini, title, relevant):
    assert tag(title, "", mini).relevant is relevant


def test_context_rule_drops_only_its_targets(mini):
    # a strong counter_measures term cancels the fiction rule, so nothing is dropped
    tags = tag("Фильм про теракт повысил уровень террористической опасности", "", mini)
    assert tags.categories == ("terrorist_activity", "counter_measures")
    tags = tag("Вирус гриппа и кибератака", "", mini)
    assert [m.term for m in tags.matches] == ["кибератака"]  # "вирус" dropped by health
    tags = tag("Хакер: вирус гриппа и кибератака", "", mini)  # `unless` cancels the rule
    assert [m.term for m in tags.matches] == ["вирус", "кибератака"]


@pytest.mark.parametrize(
    ("title", "regions"),
    [
        ("Теракт в Алматы", ("KZ-75",)),
        ("Теракт в Алматинской области", ("KZ-19",)),  # the longer name wins
        ("Алматы облысында лаңкестік", ("KZ-19",)),
        ("Алматыда лаңкестік", ("KZ-75",)),
        ("Теракт в Казахстане", ("KZ",)),
        ("Теракт в Казахстане, в Алматы", ("KZ-75",)),  # KZ only when no unit is named
        ("Теракт и кыргызский след", ("KG",)),
        ("Теракт в Семее", ("KZ-10",)),
        ("Теракт: у семей погибших", ()),  # a capitalized name must be capitalized
    ],
)
def test_regions(mini, title, regions):
    assert tag(title, "", mini).regions == regions


def test_regions_are_tagged_even_when_the_item_is_not_relevant(mini):
    tags = tag("Погода в Алматы", "", mini)
    assert not tags.relevant
    assert tags.regions == ("KZ-75",)


def test_strict_language_entries_match_only_items_in_their_language(mini):
    title = "Теракт готовили через Tor"
    assert tag(title, "", mini, lang="en").platforms == ("darknet",)
    assert tag(title, "", mini).platforms == ("darknet",)  # unknown language
    assert tag(title, "", mini, lang="kk").platforms == ()


def test_matches_are_in_text_order_and_tags_in_taxonomy_order(mini):
    tags = tag("Кибератака", "Теракт в Алматы через Telegram", mini)
    assert [m.start for m in tags.matches] == sorted(m.start for m in tags.matches)
    assert tags.categories == (
        "terrorist_activity",
        "online_platforms",
        "cyber_threats",
    )


def test_the_neighbour_memo_gives_what_checking_every_group_gives():
    """`anchored_phrases` memoizes per pair of neighbour words; the answer must not change.

    Checked on the real lexicon's busiest anchors (dozens of groups each) with
    neighbour words that realize some of their groups, a word that realizes
    none, and no word at all, asked twice (the second answer comes from the memo).
    """
    compiled = load_compiled(ROOT / "data")
    busiest = sorted(compiled.anchor_groups, key=lambda s: -len(compiled.anchor_groups[s]))[:20]

    def brute(slot, before, after):
        return tuple(
            index
            for need_before, need_after, indices in compiled.anchor_groups[slot]
            if (
                need_before < 0
                or (before is not None and compiled.word_matches(need_before, before))
            )
            and (need_after < 0 or (after is not None and compiled.word_matches(need_after, after)))
            for index in indices
        )

    asked = found = 0
    for slot in busiest:
        words = {None, "погода"}
        for need_before, need_after, _indices in compiled.anchor_groups[slot][:8]:
            for need in (need_before, need_after):
                if need >= 0:
                    key, _tail = compiled.slot_patterns[need][0]
                    words.add(key)
        for before in words:
            for after in words:
                for _twice in range(2):
                    answer = compiled.anchored_phrases(slot, before, after)
                    assert answer == brute(slot, before, after)
                    asked += 1
                    found += bool(answer) and len(answer) < len(compiled.by_anchor[slot])
    assert asked > 200
    assert found > 20  # real filtering happened: some phrases pass, not all
