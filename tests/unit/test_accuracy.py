"""The tagger keeps the accuracy the indicators issue asks for on the development set.

A regression guard for lexicon edits: relevance, every category and the
organizations (micro) must keep F1 >= 0.90 on tests/eval/devset.jsonl (the set
the lexicon is tuned on; the held-out estimate is printed by `make eval`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indicators.lexicon import load_compiled
from indicators.tagger import tag
from indicators.taxonomy import CATEGORY_IDS
from tools.evaluate import EvalReport, evaluate, load_devset

ROOT = Path(__file__).resolve().parents[2]
FLOOR = 0.90


@pytest.fixture(scope="module")
def report() -> EvalReport:
    compiled = load_compiled(ROOT / "data")
    items = load_devset(ROOT / "tests" / "eval" / "devset.jsonl")
    return evaluate(items, lambda it: tag(it.title, it.summary, compiled, it.lang))


def test_relevance_f1_stays_above_the_floor(report: EvalReport) -> None:
    assert report.relevance.f1 >= FLOOR


@pytest.mark.parametrize("category", CATEGORY_IDS)
def test_every_category_f1_stays_above_the_floor(report: EvalReport, category: str) -> None:
    assert report.categories[category].f1 >= FLOOR, report.categories[category]


def test_organizations_f1_stays_above_the_floor(report: EvalReport) -> None:
    assert report.actors.support >= 25  # the set does label organizations
    assert report.actors.f1 >= FLOOR, report.actors_by_id
