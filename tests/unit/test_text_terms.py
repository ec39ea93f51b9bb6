"""An item's terms for emerging terms: normalized words and word pairs, stop words, the lexicon."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.lexicon import load_compiled
from indicators.lexicon_known import known_terms
from indicators.stopwords import load_stop_words, parse_stop_words
from indicators.text_terms import item_terms, pack_hashes, term_hash, terms_by_hash
from indicators.textnorm import fold
from threatmon.settings import DEFAULT_DATA_DIR


def test_words_and_neighbouring_pairs_are_normalized_like_the_tagger_sees_them():
    terms = item_terms("Новый Квадрокоптёр", "")
    assert terms == {"новый", "квадрокоптер", "новый квадрокоптер"}


def test_look_alike_latin_letters_inside_a_cyrillic_word_are_folded():
    # "Kвaдрокоптер" written with Latin K, a: the same term as the Cyrillic spelling
    assert item_terms("Kвaдрокоптер", "") == {"квадрокоптер"}


def test_pairs_stop_at_punctuation_and_between_title_and_summary():
    terms = item_terms("Дроны атакуют", "склады. Полиция проверяет")
    assert "атакуют склады" not in terms  # title -> summary
    assert "склады полиция" not in terms  # across a full stop
    assert {"дроны атакуют", "полиция проверяет"} <= terms


def test_short_words_pair_but_are_not_terms_alone_and_numbers_are_skipped():
    terms = item_terms("Хизб ут-Тахрир 2026", "")
    assert terms == {"хизб", "тахрир", "хизб ут", "ут тахрир"}


def test_a_term_counts_once_per_item():
    assert item_terms("бот бот бот", "") == {"бот", "бот бот"}


def test_hashes_are_stable_and_packed_sorted_as_int64():
    assert term_hash("квадрокоптер") == term_hash("квадрокоптер")
    assert term_hash("квадрокоптер") != term_hash("квадрокоптеры")
    packed = pack_hashes({"бот", "дрон", "шахед"})
    assert len(packed) == 3 * 8
    values = [int.from_bytes(packed[i : i + 8], "little", signed=True) for i in (0, 8, 16)]
    assert values == sorted(term_hash(t) for t in ("бот", "дрон", "шахед"))


def test_hashes_lead_back_to_the_text_of_the_items_holding_them():
    found = terms_by_hash([("Шахед над Актау", "")])
    assert found[term_hash("шахед")] == "шахед"
    assert found[term_hash("шахед над")] == "шахед над"


def test_stop_word_files_are_words_with_comments_normalized():
    words = parse_stop_words("# header\nЕщё  ТАКЖЕ # trailing comment\nand\n")
    assert words == {"еще", "также", "and"}


def test_the_shipped_stop_words_cover_three_languages():
    words = load_stop_words(DEFAULT_DATA_DIR)
    assert {"также", "және", "the"} <= words
    assert "квадрокоптер" not in words


def test_no_stop_word_folder_means_no_stop_words(tmp_path):
    assert load_stop_words(tmp_path) == frozenset()


@pytest.fixture(scope="module")
def known():
    return known_terms(load_compiled(DEFAULT_DATA_DIR))


@pytest.mark.parametrize(
    "words",
    [
        ("теракта",),  # inflected form of a category term
        ("лаңкестікке",),  # Kazakh suffix chain
        ("telegram",),  # a platform
        ("алматы",),  # a place in the gazetteer
        ("предотвратил", "теракт"),  # a pair holding a known word
        ("взрывное", "устройство"),  # two words of one lexicon phrase
    ],
)
def test_what_the_lexicon_matches_is_known(known, words):
    assert known.knows(words)


@pytest.mark.parametrize("words", [("квадрокоптер",), ("минут",), ("взрывное",), ("новый", "бот")])
def test_words_the_lexicon_does_not_match_are_not_known(known, words):
    # "минут" shares the key of "мина" but not an ending it allows
    assert not known.knows(words)


TEXT = st.text(
    alphabet=st.sampled_from(list("аеикнорстәқңxyzAEКТёЁ0123 .,-«»\n\u200b")), max_size=80
)


@given(TEXT, TEXT)
def test_terms_do_not_depend_on_how_the_text_was_written(title, summary):
    # the tagger's normalization is already applied: folding the input changes nothing
    assert item_terms(fold(title), fold(summary)) == item_terms(title, summary)


@given(TEXT, TEXT)
def test_every_term_is_a_long_word_or_a_pair_of_words_from_the_text(title, summary):
    words = set(re.findall(r"[^\W_]+", fold(f"{title}\n{summary}")))
    for term in item_terms(title, summary):
        parts = term.split(" ")
        assert 1 <= len(parts) <= 2
        assert all(not p.isdigit() for p in parts)
        assert len(parts[0]) >= (3 if len(parts) == 1 else 2)
        assert set(parts) <= words
    assert len(pack_hashes(item_terms(title, summary))) == 8 * len(item_terms(title, summary))
