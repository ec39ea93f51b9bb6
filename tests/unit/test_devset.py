"""The development set file is valid and covers what it promises.

The labelling rules are in tests/eval/GUIDELINES.md; these checks keep later
edits from silently shrinking the set or breaking its balance.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from indicators import taxonomy
from tests.evalsets import CYRILLIC, LANGS, LATIN, WORD, is_latin_script, language_share, text
from tools.evaluate import DevItem, load_devset

DEVSET = Path(__file__).resolve().parents[1] / "eval" / "devset.jsonl"


@pytest.fixture(scope="module")
def items() -> list[DevItem]:
    return load_devset(DEVSET)  # also checks ids, taxonomy labels and label consistency


def positives(items: list[DevItem], category: str) -> list[DevItem]:
    return [it for it in items if category in it.categories]


def test_has_at_least_400_items(items):
    assert len(items) >= 400


def test_language_mix_is_about_45_30_25(items):
    share = language_share(items)
    assert set(share) == set(LANGS)
    assert 0.40 <= share["ru"] <= 0.50
    assert 0.25 <= share["kk"] <= 0.35
    assert 0.20 <= share["en"] <= 0.30


def test_about_twenty_kazakh_items_use_the_latin_alphabet(items):
    latin = [it for it in items if it.lang == "kk" and is_latin_script(it)]
    assert 18 <= len(latin) <= 30
    assert any(not it.relevant for it in latin) and any(it.relevant for it in latin)
    # The 2021 alphabet's letters, not an English-keyboard approximation.
    assert all(re.search("[äğıñöşūü]", text(it)) for it in latin)


def test_items_have_news_like_lengths(items):
    for it in items:
        total = len(it.title) + 1 + len(it.summary)
        assert 150 <= total <= 600, (it.id, total)
        assert 15 <= len(it.title) <= 200, it.id
        assert it.summary.rstrip()[-1] in ".!?»\"'", it.id


def test_titles_are_not_repeated(items):
    titles = Counter(it.title for it in items)
    assert [t for t, n in titles.items() if n > 1] == []


@pytest.mark.parametrize("category", taxonomy.CATEGORY_IDS)
def test_every_category_has_40_positives_in_all_three_languages(items, category):
    found = positives(items, category)
    assert len(found) >= 40
    per_lang = Counter(it.lang for it in found)
    assert all(per_lang[lang] >= 5 for lang in LANGS), per_lang


def test_many_items_carry_several_categories(items):
    assert sum(1 for it in items if len(it.categories) >= 2) >= 80


def test_every_kazakh_unit_is_labelled_at_least_twice(items):
    counts = Counter(r for it in items for r in it.regions)
    assert {code: counts[code] for code in taxonomy.KZ_REGION_CODES if counts[code] < 2} == {}
    assert counts[taxonomy.COUNTRY_CODE] >= 10
    foreign = {r for r in counts if r not in taxonomy.KZ_REGION_CODES and r != "KZ"}
    assert {"KG", "UZ", "TJ", "AF", "RU", "SY"} <= foreign


def test_every_platform_is_labelled_at_least_five_times(items):
    counts = Counter(p for it in items for p in it.platforms)
    assert {p: counts[p] for p in taxonomy.PLATFORM_IDS if counts[p] < 5} == {}


def test_at_least_130_negatives_and_half_of_them_hard(items):
    negatives = [it for it in items if not it.relevant]
    hard = [it for it in negatives if it.hard]
    assert len(negatives) >= 130
    assert len(hard) * 2 >= len(negatives)
    assert all(Counter(it.lang for it in hard)[lang] >= 10 for lang in LANGS)


def test_hard_negatives_say_why_they_are_hard(items):
    assert [it.id for it in items if it.hard and not it.note] == []


def test_mixed_script_words_appear_only_where_the_note_declares_homoglyphs(items):
    """Look-alike Latin letters are deliberate in a few items and a typo anywhere else."""

    def mixed(word: str) -> bool:
        return bool(LATIN.search(word)) and bool(CYRILLIC.search(word))

    with_mixed = {it.id for it in items if any(mixed(w) for w in WORD.findall(text(it)))}
    declared = {it.id for it in items if "homoglyph" in it.note}
    assert with_mixed == declared
    assert len(declared) >= 3
