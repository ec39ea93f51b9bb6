"""Inflection the ending inventories alone cannot reach: fleeting vowels, Kazakh voicing and
vowel drop (`indicators.morph`). A text word matches a lexicon word when it starts with one
of the word's keys and the rest is an ending that key's class allows."""

from __future__ import annotations

import pytest

from indicators.morph import kk_latin_spellings, tail_allowed, word_patterns
from indicators.textnorm import fold


def matches(lexicon_word: str, text_word: str, lang: str, morph: str = "auto") -> bool:
    word = fold(text_word)
    return any(
        word.startswith(key) and tail_allowed(cls, word[len(key) :])
        for key, cls in word_patterns(fold(lexicon_word), lang, morph)
    )


@pytest.mark.parametrize(
    ("noun", "genitive_plural"),
    [
        ("ячейка", "ячеек"),  # й -> е
        ("группировка", "группировок"),
        ("перестрелка", "перестрелок"),
        ("растяжка", "растяжек"),  # after ж, ш, ч: е
        ("утечка", "утечек"),
        ("листовка", "листовок"),
    ],
)
def test_a_russian_noun_in_ka_gains_a_vowel_in_its_genitive_plural(noun, genitive_plural):
    assert matches(noun, genitive_plural, "ru")
    assert matches(noun, noun[:-1] + "и", "ru")  # the endings still apply


@pytest.mark.parametrize(
    ("noun", "forms"),
    [
        ("торговец", ["торговца", "торговцем", "торговцы", "торговцев"]),
        ("уроженец", ["уроженца", "уроженцы", "уроженцев"]),
        ("боец", ["бойца", "бойцы"]),  # after a vowel the "е" becomes "й"
        ("владелец", ["владельца", "владельцев"]),  # after "л" it becomes "ь"
    ],
)
def test_a_russian_noun_in_ets_loses_its_vowel_before_an_ending(noun, forms):
    for form in forms:
        assert matches(noun, form, "ru"), form
    assert matches(noun, noun, "ru")
    assert not matches(noun, noun[:-2] + "ц", "ru")  # the shortened stem needs an ending


def test_fleeting_vowels_are_for_common_nouns_not_for_names_or_verbs():
    # the gazetteer lists which forms of a demonym count (nationality is no place)
    assert not matches("казахстанец", "казахстанца", "ru", "name")
    assert not matches("казахстанец", "казахстанца", "any")
    assert not matches("Осакаровка", "Осакаровок", "ru", "name")
    assert not matches("ячейка", "ячеек", "ru", "exact")


@pytest.mark.parametrize(
    ("word", "voiced", "plain"),
    [
        ("топ", ["тобы", "тобын", "тобына", "тобымен"], ["топқа", "топтар", "топта"]),
        ("лаңкестік", ["лаңкестігі", "лаңкестігін"], ["лаңкестікке", "лаңкестіктің"]),
        ("жақ", ["жағы"], ["жақта"]),
    ],
)
def test_a_kazakh_final_voiceless_consonant_voices_before_a_vowel(word, voiced, plain):
    for form in [*voiced, *plain]:
        assert matches(word, form, "kk"), form
    stem = word[:-1] + {"к": "г", "қ": "ғ", "п": "б"}[word[-1]]
    assert not matches(word, stem, "kk")  # voiced, it needs a vowel after it
    assert not matches(word, stem + "да", "kk")


def test_voicing_and_vowel_drop_work_in_the_latin_alphabets():
    # a Cyrillic entry is compiled in its Latin spellings too (kk_latin_spellings)
    for cyrillic, text in [("топ", "toby"), ("лаңкестік", "lañkestıgı"), ("қауіп", "qaupi")]:
        assert any(matches(latin, text, "kk") for latin in kk_latin_spellings(cyrillic)), text
    assert not any(matches(latin, "tobda", "kk") for latin in kk_latin_spellings("топ"))


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("қауіп", ["қаупі", "қаупін", "қаупіне", "қаупінен"]),
        ("орын", ["орны", "орнында"]),
        ("халық", ["халқы", "халқының"]),
    ],
)
def test_listed_kazakh_words_drop_their_last_vowel_before_a_vowel(word, forms):
    for form in forms:
        assert matches(word, form, "kk"), form
    assert matches(word, word + "ты" if word[-1] in "қп" else word + "ды", "kk")
    assert not matches(word, word[:-2] + word[-1] + "да", "kk")  # only a vowel follows


def test_words_that_keep_their_vowel_do_not_lose_it():
    assert matches("ойын", "ойыны", "kk")
    assert not matches("ойын", "ойны", "kk")


@pytest.mark.parametrize(
    ("noun", "forms", "others"),
    [
        ("учения", ["учение", "учений", "учениях", "учением"], ["ученый", "ученые", "ученого"]),
        ("миссия", ["миссии", "миссию", "миссией"], ["мисс", "миссы"]),
        ("идеология", ["идеологии", "идеологию"], ["идеолог", "идеологов"]),
    ],
)
def test_a_russian_noun_in_ia_takes_only_a_nouns_endings(noun, forms, others):
    for form in forms:
        assert matches(noun, form, "ru"), form
    for word in others:  # a scientist, a beauty queen, an ideologist
        assert not matches(noun, word, "ru"), word


def test_a_place_name_in_ia_is_not_a_common_word_of_its_stem():
    assert matches("Грузия", "Грузии", "ru", "name")
    assert matches("Кения", "Кении", "any")
    assert not matches("Грузия", "груз", "ru", "name")  # cargo
    assert not matches("Грузия", "грузы", "ru", "name")
    assert not matches("Кения", "Кена", "any")  # a given name
