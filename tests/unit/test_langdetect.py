"""Language of an item: the declaration, unless the text clearly says otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.langdetect import detect_language, normalize_language_code

RUSSIAN = [
    "Теракт в Актобе предотвращен",
    "В Алматы задержали членов запрещенной организации",
    "КНБ: в Шымкенте ликвидирован канал вербовки, который действовал в Telegram",
    "Президент подписал закон о противодействии терроризму",
]
KAZAKH = [
    "Ақтөбеде лаңкестік әрекеттің алдын алды",
    "ҰҚК Шымкентте тыйым салынған ұйым мүшелерін ұстады",
    "Президент терроризмге қарсы іс-қимыл туралы заңға қол қойды",
    "Алматы облысы бойынша жаттығулар өтті",
    "Қазақстанда кибершабуылдар саны өткен жылы артты",
]
KAZAKH_LATIN = [
    "Aqtóbede lańkestik áreketti aldyn aldy jáne kúdiktiler ustaldy",
    "Terrorızmge qarsy is-qımyl týraly zań boıynsha jańa túzetýler",
    "Qazaqstanda kıbershabýyldar úshin jaza kúsheıtildi",
]
ENGLISH = [
    "Kazakhstan foils terror plot in Aktobe",
    "Security service detains members of a banned group in Almaty",
    "President signs counter-terrorism law after the attack",
]


@pytest.mark.parametrize("text", RUSSIAN)
def test_russian_is_detected(text: str) -> None:
    assert detect_language(text) == "ru"
    assert detect_language(text, "ru") == "ru"


@pytest.mark.parametrize("text", KAZAKH)
def test_kazakh_cyrillic_is_detected(text: str) -> None:
    assert detect_language(text) == "kk"


@pytest.mark.parametrize("text", KAZAKH)
def test_kazakh_text_in_a_feed_declared_russian_is_kazakh(text: str) -> None:
    # Bilingual sites publish Kazakh items in feeds declared "ru".
    assert detect_language(text, "ru") == "kk"
    assert detect_language(text, "ru-RU") == "kk"


@pytest.mark.parametrize("text", KAZAKH_LATIN)
def test_kazakh_latin_is_kazakh(text: str) -> None:
    assert detect_language(text) == "kk"
    assert detect_language(text, "en") == "kk"
    assert detect_language(text, "ru") == "kk"


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_detected(text: str) -> None:
    assert detect_language(text) == "en"
    assert detect_language(text, "ru") == "en", "Latin-script English contradicts a ru feed"
    assert detect_language(text, "kk") == "en"


def test_russian_text_in_a_feed_declared_kazakh_is_russian() -> None:
    assert detect_language("В Алматы задержали членов запрещенной организации", "kk") == "ru"


def test_a_kazakh_name_in_a_russian_headline_does_not_make_it_kazakh() -> None:
    text = "Қасым-Жомарт Тоқаев провел совещание по вопросам безопасности"
    assert detect_language(text) == "ru"
    assert detect_language(text, "ru") == "ru"


def test_a_kazakh_name_in_a_long_russian_text_does_not_hide_that_it_is_russian() -> None:
    text = (
        "Қасым-Жомарт Тоқаев провел совещание по вопросам безопасности. Обсуждались меры "
        "по противодействию терроризму и экстремизму, а также защита объектов "
        "критической инфраструктуры в регионах страны."
    )
    assert detect_language(text, "kk") == "ru"


def test_declared_language_is_kept_when_the_text_does_not_clearly_contradict_it() -> None:
    assert detect_language("Astana EXPO", "kk") == "kk"
    assert detect_language("Astana Hub", "ru") == "ru"
    assert detect_language("Президент", "kk") == "kk"
    assert detect_language("", "en") == "en"


def test_other_declared_languages_are_respected() -> None:
    # Kyrgyz shares ң ө ү with Kazakh, but not ә ғ қ ұ і.
    kyrgyz = "Бишкекте коопсуздук боюнча жыйын өттү, ага бир нече өлкөнүн өкүлдөрү катышты"
    assert detect_language(kyrgyz, "ky") == "ky"
    assert detect_language(kyrgyz) != "kk"
    # Ukrainian has і like Kazakh, and ї є ґ that Kazakh never uses.
    ukrainian = "У Києві відбулася зустріч щодо безпеки, її учасники обговорили загрози"
    assert detect_language(ukrainian, "uk") == "uk"
    assert detect_language(ukrainian) == "und"
    assert detect_language("Anschlag in Aktobe vereitelt, sagt die Polizei", "de") == "de"
    assert detect_language("Взрыв в Актобе: подробности", "uz") == "uz"


def test_clear_kazakh_overrides_any_declaration() -> None:
    assert detect_language(KAZAKH[0], "ky") == "kk"


def test_short_or_empty_text_without_declaration_is_undetermined() -> None:
    assert detect_language("") == "und"
    assert detect_language("   ") == "und"
    assert detect_language("12:45") == "und"
    assert detect_language("Видео") == "und"
    assert detect_language("EXPO") == "und"


@pytest.mark.parametrize(
    ("declared", "code"),
    [
        ("ru", "ru"),
        ("RU", "ru"),
        ("ru-RU", "ru"),
        ("ru_RU", "ru"),
        (" en-us ", "en"),
        ("kk", "kk"),
        ("kk-KZ", "kk"),
        ("kk-Cyrl-KZ", "kk"),
        ("kz", "kk"),  # the country code, used by Kazakh sites for the language
        ("KZ", "kk"),
        ("qaz", "kk"),
        ("ua", "uk"),  # likewise a country code
        ("kaz", "kk"),
        ("rus", "ru"),
        ("eng", "en"),
        ("deu", "de"),
        ("ger", "de"),  # ISO 639-2 bibliographic form
        ("uz", "uz"),
        ("ast", "ast"),  # no two-letter code: kept
        ("en-us, ru", "en"),  # a list: its first language
        ("ru;q=0.9", "ru"),
        ("", None),
        (None, None),
        (3, None),  # not text at all
        ("x-klingon", None),
        ("zzz", None),
        ("Russian", None),
        ("русский", None),
        ("1", None),
    ],
)
def test_declared_values_are_normalized(declared: object, code: str | None) -> None:
    assert normalize_language_code(declared) == code


def test_unknown_declaration_counts_as_none() -> None:
    assert detect_language("Теракт в Актобе предотвращен", "x-klingon") == "ru"
    assert detect_language("EXPO", "x-klingon") == "und"


@given(st.text(max_size=200), st.sampled_from([None, "ru", "kk", "en", "ky", "RU-ru", "bogus"]))
def test_result_is_always_a_short_lowercase_code(text: str, declared: str | None) -> None:
    code = detect_language(text, declared)
    assert code == "und" or (code.isascii() and code.isalpha() and code.islower())
    assert 2 <= len(code) <= 3
    if declared is not None and normalize_language_code(declared) is None:
        assert code in {"ru", "kk", "en", "und"}
