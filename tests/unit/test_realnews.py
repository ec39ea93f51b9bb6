"""The real-news corpus (tests/eval/realnews/): real articles, paraphrased, labelled.

Format and labels are checked by `load_devset` (tools/evaluate.py); this keeps
the corpus's own rules from tests/eval/GUIDELINES.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tools.evaluate import DevItem, load_devset, split_items

CORPUS = Path(__file__).resolve().parents[1] / "eval" / "realnews"


@pytest.fixture(scope="module")
def corpus() -> list[DevItem]:
    return load_devset(CORPUS)  # raises with every problem listed, file and line


def test_every_item_names_its_article_and_is_one_to_three_sentences(corpus) -> None:
    assert all(it.id.startswith("rn-") and it.url and it.outlet for it in corpus)
    lengths = [len(it.title) + len(it.summary) for it in corpus]
    assert min(lengths) >= 150 and max(lengths) <= 600
    # own words, one article per item: no two items share a headline
    assert len({it.title.strip().lower() for it in corpus}) == len(corpus)


def test_ordinary_news_is_in_every_language_and_from_many_outlets(corpus) -> None:
    ordinary = [it for it in corpus if it.sample == "ordinary"]
    assert len(ordinary) >= 200
    assert all(it.id.startswith("rn-or-") for it in ordinary)
    langs = Counter(it.lang for it in ordinary)
    assert set(langs) == {"ru", "kk", "en"} and min(langs.values()) >= 30
    assert len({it.outlet for it in ordinary}) >= 30


def test_the_halves_split_the_corpus_by_article(corpus) -> None:
    tune, held = split_items(corpus, "tune"), split_items(corpus, "heldout")
    assert len(tune) + len(held) == len(corpus)
    assert {it.url for it in tune}.isdisjoint({it.url for it in held})
    assert 0.35 < len(held) / len(corpus) < 0.65
