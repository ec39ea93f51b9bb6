"""Near-duplicate headlines: signatures and the story index."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.stories import MIN_TOKENS, STEM_LENGTH, StoryIndex, jaccard, title_signature

# --- title_signature ----------------------------------------------------------------------


def test_signature_is_sorted_unique_stems_without_stop_words() -> None:
    assert title_signature("В Актобе предотвратили теракт, теракт!") == "актоб предо терак"


def test_signature_folds_case_and_yo() -> None:
    assert title_signature("ЁЛКА на площади Астаны") == title_signature("елка НА ПЛОЩАДИ астаны")


def test_signature_keeps_numbers_whole() -> None:
    signature = title_signature("Взрыв в Алматы: 12345 человек эвакуированы в 2024 году")
    assert "12345" in signature.split() and "2024" in signature.split()


def test_signature_of_a_very_short_title_is_empty() -> None:
    assert title_signature("Новости дня") == ""
    assert title_signature("Видео") == ""
    assert title_signature("") == ""
    assert title_signature("и в на the of") == ""


@given(st.text(max_size=200))
def test_signature_tokens_are_short_sorted_and_unique(title: str) -> None:
    signature = title_signature(title)
    tokens = signature.split()
    assert tokens == sorted(set(tokens))
    assert signature == "" or len(tokens) >= MIN_TOKENS
    assert all(token.isdigit() or len(token) <= STEM_LENGTH for token in tokens)


@given(st.text(max_size=200))
def test_signature_ignores_case(title: str) -> None:
    assert title_signature(title.upper()) == title_signature(title.upper().lower())


# --- StoryIndex: grouping -------------------------------------------------------------------


def index_of(*titles: str) -> StoryIndex:
    index = StoryIndex()
    for story_id, title in enumerate(titles, start=1):
        index.add(story_id, title_signature(title))
    return index


def test_same_event_in_two_wordings_groups() -> None:
    index = index_of("Теракт в Актобе предотвращен", "Курс тенге укрепился к доллару")
    assert index.find(title_signature("В Актобе предотвратили теракт")) == 1


def test_same_event_with_an_extra_word_groups() -> None:
    index = index_of("КНБ задержал вербовщиков ИГИЛ в Шымкенте")
    assert index.find(title_signature("В Шымкенте КНБ задержал вербовщиков ИГИЛ")) == 1
    assert index.find(title_signature("КНБ задержал двоих вербовщиков ИГИЛ в Шымкенте")) == 1


def test_english_headlines_group_too() -> None:
    index = index_of("Kazakhstan foils terror plot in Aktobe")
    assert index.find(title_signature("Terror plot foiled in Aktobe, Kazakhstan")) == 1


def test_different_events_in_the_same_city_do_not_group() -> None:
    index = index_of("Теракт в Актобе предотвращен")
    assert index.find(title_signature("В Актобе открыли новую школу")) is None
    assert index.find(title_signature("Пожар на рынке в Актобе")) is None


def test_the_most_similar_story_wins() -> None:
    index = index_of(
        "Взрыв газа в жилом доме в Алматы",
        "Взрыв газа в жилом доме в Алматы: погибли двое",
    )
    assert index.find(title_signature("Взрыв газа в жилом доме в Алматы: погибли двое")) == 2


def test_ties_go_to_the_most_recently_added_signature() -> None:
    index = StoryIndex()
    index.add(7, "актоб предо терак")
    index.add(3, "актоб предо терак")
    assert index.find("актоб предо терак") == 3


def test_several_signatures_may_point_at_one_story() -> None:
    index = StoryIndex()
    index.add(1, "актоб предо терак")
    index.add(1, "актоб задер терро")
    assert len(index) == 2
    assert index.find("актоб задер терро") == 1
    index.add(1, "актоб задер терро")
    assert len(index) == 2, "the same signature for the same story is stored once"


def test_empty_index_and_empty_signature_find_nothing() -> None:
    index = StoryIndex()
    assert index.find("актоб предо терак") is None
    index.add(1, "")
    assert len(index) == 0
    index.add(1, "актоб предо терак")
    assert index.find("") is None


def test_threshold_is_inclusive_and_validated() -> None:
    index = StoryIndex(threshold=0.6)
    index.add(1, "a b c d e")
    assert index.find("a b c") == 1  # 3 / 5 is exactly the threshold
    assert index.find("a b c f") is None  # 3 / 6
    with pytest.raises(ValueError):
        StoryIndex(threshold=0)
    with pytest.raises(ValueError):
        StoryIndex(threshold=1.5)


# --- StoryIndex: agrees with a full scan, and does not do one --------------------------------


def brute_force(entries: list[tuple[int, str]], query: str, threshold: float) -> int | None:
    """The specification: the most similar signature (latest on ties) at or over the threshold."""
    wanted = frozenset(query.split())
    best: tuple[float, int] | None = None
    for position, (_, signature) in enumerate(entries):
        score = jaccard(wanted, frozenset(signature.split()))
        if score >= threshold - 1e-9 and (best is None or (score, position) >= best):
            best = (score, position)
    return None if best is None or not wanted else entries[best[1]][0]


SIGNATURES = st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=7).map(
    lambda tokens: " ".join(sorted(set(tokens)))
)


@settings(max_examples=300)
@given(
    entries=st.lists(st.tuples(st.integers(1, 20), SIGNATURES), max_size=25),
    query=SIGNATURES,
    threshold=st.sampled_from([0.3, 0.5, 0.6, 0.75, 1.0]),
)
def test_find_agrees_with_a_full_scan(
    entries: list[tuple[int, str]], query: str, threshold: float
) -> None:
    index = StoryIndex(threshold)
    stored: list[tuple[int, str]] = []
    for story_id, signature in entries:
        if (story_id, signature) not in stored:
            stored.append((story_id, signature))
        index.add(story_id, signature)
    assert index.find(query) == brute_force(stored, query, threshold)


@given(st.lists(SIGNATURES, min_size=1, max_size=20))
def test_an_added_signature_is_always_found(signatures: list[str]) -> None:
    index = StoryIndex()
    for story_id, signature in enumerate(signatures):
        index.add(story_id, signature)
    for signature in signatures:
        # An identical signature scores 1.0; ties go to the story added last.
        latest = max(i for i, other in enumerate(signatures) if other == signature)
        assert index.find(signature) == latest


def synthetic_signatures(count: int, rng: random.Random) -> list[str]:
    """News-like signatures: 4-9 stems from a 6,000-word vocabulary with Zipf frequencies."""
    vocabulary = [f"w{rank}" for rank in range(6_000)]
    weights = [1 / (rank + 1) for rank in range(6_000)]
    return [
        " ".join(sorted(set(rng.choices(vocabulary, weights, k=rng.randint(4, 9)))))
        for _ in range(count)
    ]


def test_find_stays_cheap_with_20000_signatures() -> None:
    rng = random.Random(20_000)
    index = StoryIndex()
    for story_id, signature in enumerate(synthetic_signatures(20_000, rng)):
        index.add(story_id, signature)
    queries = synthetic_signatures(1_000, rng)

    started = time.perf_counter()
    for query in queries:
        index.find(query)
    elapsed = time.perf_counter() - started

    # A full scan would compare 20,000 signatures per query.
    assert index.candidates_checked / len(queries) < 500
    assert elapsed < 2.0, f"{elapsed * 1000:.0f} ms for 1,000 finds"
