"""Lists of units sharing one plural head word: every item is a region, not only the last."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicators.lexicon import load_compiled
from indicators.region_lists import list_items, overlaps, participant_runs, shared_head
from indicators.tagger import tag

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def lexicon():
    """The rules alone: lists are the rules' work, before the region model's look."""
    return load_compiled(DATA).rules_only()


KNOWN = {"Акмолинской область": "KZ-11", "Ақмола облысы": "KZ-11", "Алматы облысы": "KZ-19"}


def test_a_plural_head_in_the_match_or_right_after_it_is_shared():
    text = "в Акмолинской и Карагандинской областях"
    start = text.index("Карагандинской")
    assert shared_head(text, start, len(text)) == "область"
    kk = "Ақмола және Қарағанды облыстарының тұрғындары"
    start = kk.index("Қарағанды")
    assert shared_head(kk, start, start + len("Қарағанды")) == "облысы"


def test_a_singular_head_is_not_shared():
    text = "в Алматы и Акмолинской области"
    assert shared_head(text, text.index("Акмолинской"), len(text)) is None


def test_items_are_collected_backwards_until_a_word_is_no_unit():
    text = "Алматы қаласының, Ақмола, Алматы және Қарағанды облыстарының"
    items = list_items(text, text.index("Қарағанды"), lambda item: KNOWN.get(f"{item} облысы"))
    assert [(text[s:e], code) for s, e, code in items] == [("Алматы", "KZ-19"), ("Ақмола", "KZ-11")]


def test_overlapping_spans():
    assert overlaps((3, 6), [(5, 9)])
    assert not overlaps((3, 5), [(5, 9)])


@pytest.mark.parametrize(
    ("title", "regions"),
    [
        (
            "Хакеры атаковали сайты акиматов Северо-Казахстанской, Восточно-Казахстанской и "
            "Алматинской областей",
            ("KZ-19", "KZ-59", "KZ-63"),
        ),
        ("Теракт предотвращён в Акмолинской и Карагандинской областях", ("KZ-11", "KZ-35")),
        (
            "Алматы қаласының, Ақмола, Алматы және Қарағанды облыстарының тұрғындары "
            "экстремизм үшін ұсталды",
            ("KZ-11", "KZ-19", "KZ-35", "KZ-75"),
        ),
        (
            "Terror suspects detained in Akmola, Almaty and Karaganda regions",
            ("KZ-11", "KZ-19", "KZ-35"),
        ),
        (
            "Terror suspects detained in Akmola, Almaty and Karaganda provinces",
            ("KZ-11", "KZ-19", "KZ-35"),
        ),
        # no shared head: the city stays the city
        ("Экстремисты задержаны в Алматы и Акмолинской области", ("KZ-11", "KZ-75")),
    ],
)
def test_the_tagger_gives_every_listed_unit(lexicon, title, regions):
    tags = tag(title, "", lexicon)
    assert tags.regions == regions
    listed = [m for m in tags.matches if m.axis == "region"]
    assert all(m.term for m in listed)  # each unit keeps a gazetteer phrase as evidence


def _spans(text: str, *names: str) -> list[tuple[int, int]]:
    return [(text.index(n), text.index(n) + len(n)) for n in names]


def test_three_states_listed_one_after_another_are_a_participants_run():
    text = "делегации Беларуси, Индии, Казахстана и Китая обсудили отмывание денег"
    spans = _spans(text, "Китая", "Беларуси", "Индии", "Казахстана")  # any order
    assert participant_runs(text, spans) == [[1, 2, 3, 0]]


def test_two_states_or_states_apart_are_no_run():
    text = "Казахстан и Кыргызстан провели учения; позже Россия прислала наблюдателей"
    assert participant_runs(text, _spans(text, "Казахстан", "Кыргызстан", "Россия")) == []
    text = "Kazakhstan, Kyrgyzstan and Russia"
    assert participant_runs(text, _spans(text, "Kazakhstan", "Kyrgyzstan")) == []


def test_a_kazakh_list_with_a_conjunction_is_a_run():
    text = "Армения, Беларусь, Қазақстан, Қырғызстан, Ресей және Тәжікстан министрлері"
    names = ("Армения", "Беларусь", "Қазақстан", "Қырғызстан", "Ресей", "Тәжікстан")
    assert participant_runs(text, _spans(text, *names)) == [list(range(6))]


def test_the_participants_of_a_meeting_are_not_where_it_took_place(lexicon):
    tags = tag(
        "В Бишкеке прошло пленарное заседание ЕАГ по финансированию терроризма",
        "Делегации Беларуси, Индии, Казахстана, Китая, Кыргызстана, России и Таджикистана"
        " обсуждали противодействие финансированию терроризма.",
        lexicon,
        lang="ru",
    )
    assert tags.relevant and tags.regions == ("KG",)


def test_a_state_named_apart_from_a_list_keeps_its_region(lexicon):
    tags = tag(
        "В Бишкеке задержан вербовщик террористической организации",
        "Он работал в России, Турции и Узбекистане, а затем вернулся в Кыргызстан.",
        lexicon,
        lang="ru",
    )
    assert "KG" in tags.regions and "RU" not in tags.regions
