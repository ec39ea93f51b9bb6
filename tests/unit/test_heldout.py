"""The held-out test set is valid, independent of the development set, and covers what it promises.

tests/eval/heldout.jsonl is scored with `python bench/eval.py --devset tests/eval/heldout.jsonl`
and is never tuned on. It follows the labelling rules of tests/eval/GUIDELINES.md; these checks
keep later edits from shrinking it, unbalancing it or letting development-set stories leak in.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from indicators import taxonomy
from tests.evalsets import CYRILLIC, LANGS, LATIN, WORD, is_latin_script, language_share, text
from tools.evaluate import DevItem, load_devset, split_items

EVAL_DIR = Path(__file__).resolve().parents[1] / "eval"
HELDOUT = EVAL_DIR / "heldout.jsonl"
DEVSET = EVAL_DIR / "devset.jsonl"
ID = re.compile(r"^(ru|kk|en)-ho-\d{4}$")

# Less common towns the set must report threats from, with the spellings used in the three
# scripts, and the unit each maps to (GUIDELINES.md, "Regions").
TOWNS = {
    "Ekibastuz": (("экибастуз", "екібастұз", "ekıbastūz", "ekibastuz"), "KZ-55"),
    "Rudny": (("рудн", "rudny"), "KZ-39"),
    "Zhanaozen": (("жанаозен", "жаңаөзен", "jañaözen", "zhanaozen"), "KZ-47"),
    "Kulsary": (("кульсар", "құлсары", "qūlsary", "kulsary"), "KZ-23"),
    "Saryagash": (("сарыагаш", "сарыағаш", "saryağaş", "saryagash"), "KZ-61"),
    "Baikonur": (("байконур", "байқоңыр", "baiqoñyr", "baikonur"), "KZ-43"),
    "Stepnogorsk": (("степногорск", "stepnogorsk"), "KZ-11"),
    "Ridder": (("риддер", "ridder"), "KZ-63"),
    "Balkhash": (("балхаш", "балқаш", "balqaş", "balkhash"), "KZ-35"),
}


@pytest.fixture(scope="module")
def items() -> list[DevItem]:
    return load_devset(HELDOUT)  # also checks unique ids, taxonomy labels, label consistency


@pytest.fixture(scope="module")
def devset() -> list[DevItem]:
    return load_devset(DEVSET)


def test_has_220_items(items):
    assert len(items) >= 220


def test_ids_mark_the_held_out_set_and_number_each_language_from_one(items):
    assert [it.id for it in items if not ID.match(it.id)] == []
    for lang in LANGS:
        numbers = sorted(int(it.id.rsplit("-", 1)[1]) for it in items if it.lang == lang)
        assert numbers == list(range(1, len(numbers) + 1)), lang


def test_ids_split_into_halves_like_the_devset(items):
    halves = split_items(items, "even") + split_items(items, "odd")
    assert sorted(it.id for it in halves) == sorted(it.id for it in items)


def test_no_id_title_or_summary_is_shared_with_the_devset(items, devset):
    assert {it.id for it in items} & {it.id for it in devset} == set()
    assert {it.title for it in items} & {it.title for it in devset} == set()
    assert {it.summary for it in items} & {it.summary for it in devset} == set()


def test_titles_are_not_repeated(items):
    titles = Counter(it.title for it in items)
    assert [t for t, n in titles.items() if n > 1] == []


def test_items_have_news_like_lengths(items):
    for it in items:
        total = len(it.title) + 1 + len(it.summary)
        assert 150 <= total <= 600, (it.id, total)
        assert 15 <= len(it.title) <= 200, it.id
        assert it.summary.rstrip()[-1] in ".!?»\"'", it.id


def test_language_mix_is_about_40_35_25(items):
    share = language_share(items)
    assert set(share) == set(LANGS)
    assert 0.37 <= share["ru"] <= 0.43
    assert 0.32 <= share["kk"] <= 0.38
    assert 0.22 <= share["en"] <= 0.28


def test_about_fifteen_kazakh_items_use_the_2021_latin_alphabet(items):
    latin = [it for it in items if it.lang == "kk" and is_latin_script(it)]
    assert 12 <= len(latin) <= 20
    assert any(not it.relevant for it in latin) and any(it.relevant for it in latin)
    assert all(re.search("[äğıñöşūü]", text(it)) for it in latin)
    assert [it.id for it in latin if CYRILLIC.search(text(it))] == []


def test_no_word_mixes_latin_and_cyrillic_letters(items):
    """No homoglyph items are declared in this set, so a mixed word is a typo."""

    def mixed(word: str) -> bool:
        return bool(LATIN.search(word)) and bool(CYRILLIC.search(word))

    assert [(it.id, w) for it in items for w in WORD.findall(text(it)) if mixed(w)] == []


@pytest.mark.parametrize("category", taxonomy.CATEGORY_IDS)
def test_every_category_has_20_positives_in_all_three_languages(items, category):
    found = [it for it in items if category in it.categories]
    assert len(found) >= 20
    per_lang = Counter(it.lang for it in found)
    assert all(per_lang[lang] >= 3 for lang in LANGS), per_lang


def test_many_items_carry_several_categories(items):
    assert sum(1 for it in items if len(it.categories) >= 2) >= 50


def test_every_platform_is_labelled_at_least_three_times(items):
    counts = Counter(p for it in items for p in it.platforms)
    assert {p: counts[p] for p in taxonomy.PLATFORM_IDS if counts[p] < 3} == {}


def test_every_kazakh_unit_twice_and_several_foreign_countries(items):
    counts = Counter(r for it in items for r in it.regions)
    assert {code: counts[code] for code in taxonomy.KZ_REGION_CODES if counts[code] < 2} == {}
    assert counts[taxonomy.COUNTRY_CODE] >= 10
    foreign = {r for r in counts if r not in taxonomy.KZ_REGION_CODES and r != "KZ"}
    assert {"KG", "UZ", "TJ", "AF", "RU"} <= foreign


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_less_common_towns_appear_in_relevant_items_with_their_unit(items, town):
    spellings, unit = TOWNS[town]
    named = [it for it in items if it.relevant and any(s in text(it).lower() for s in spellings)]
    assert named, town
    assert any(unit in it.regions for it in named), (town, [it.id for it in named])


def test_70_negatives_at_least_half_hard_in_every_language(items):
    negatives = [it for it in items if not it.relevant]
    hard = [it for it in negatives if it.hard]
    assert len(negatives) >= 70
    assert len(hard) >= 35
    assert all(Counter(it.lang for it in hard)[lang] >= 8 for lang in LANGS)


def test_hard_negatives_say_why_they_are_hard(items):
    assert [it.id for it in items if it.hard and not it.note] == []
