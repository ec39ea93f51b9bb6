"""Text normalization: what is folded, and that spans still map to the original."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.textnorm import fold, normalize


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ТЕРАКТ", "теракт"),
        ("Ёлка и её", "елка и ее"),
        ("Terrorism", "terrorism"),
        # Kazakh Latin: 2018 acutes, 2021 letters and plain ASCII become one spelling
        ("lańkestik", "lankestik"),
        ("lañkestik", "lankestik"),
        ("terrorızm", "terrorizm"),
        ("Qaraǵandy", "qaragandy"),
        ("Şymkent", "symkent"),
        ("İstanbul", "istanbul"),
    ],
)
def test_folds_case_yo_and_latin_diacritics(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("тeрaкт", "теракт"),  # Latin e and a inside a Cyrillic word
        ("TEPAKT в Таразе", "tepakt в таразе"),  # an all-Latin word stays Latin
        ("Теlеgrаm", "telegram"),  # Cyrillic Т, е, а inside a Latin word
        ("ИГИЛ и ISIS", "игил и isis"),
        ("Telegram-канал", "telegram-канал"),  # a hyphen separates the words
    ],
)
def test_folds_lookalike_letters_into_the_words_script(raw, folded):
    assert fold(raw) == folded


def test_removes_zero_width_and_bidi_controls_and_maps_spans_back():
    raw = "в тер\u200bак\u200dте \u202eзадержан\u202c"
    norm = normalize(raw)
    assert norm.text == "в теракте задержан"
    start = norm.text.index("теракте")
    first, last = norm.original_span(start, start + len("теракте"))
    assert raw[first:last] == "тер\u200bак\u200dте"


def test_composes_combining_marks_and_drops_stress_marks():
    raw = "и\u0306 е\u0308 ра\u0301дикал"
    norm = normalize(raw)
    assert norm.text == "й е радикал"
    first, last = norm.original_span(0, 1)
    assert raw[first:last] == "и\u0306"


def test_length_preserving_text_needs_no_offset_table():
    norm = normalize("Взрыв в Актау, ЁЛКА")
    assert norm.offsets is None
    assert norm.original_span(3, 7) == (3, 7)


_TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"теракТЕРАКТёЁaeopcxyHTMKBiıńǵáü ,.-\n",
            *["\u200b", "\u200d", "\u202e", "\u00ad", "\u0301", "\u0308", "\u0306", "İ", "ß"],
        ]
    ),
    max_size=40,
)


@given(_TEXT)
def test_normalization_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@given(_TEXT)
def test_offsets_are_increasing_and_each_span_covers_its_source(text):
    norm = normalize(text)
    spans = [norm.original_span(i, i + 1) for i in range(len(norm.text))]
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    for a, _ in spans:  # every normalized character comes from a visible base character
        assert unicodedata.category(text[a]) != "Cf"
        assert not unicodedata.combining(text[a])
