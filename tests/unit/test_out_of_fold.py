"""Out-of-fold verdicts (tools.out_of_fold): an item is judged by models that never saw it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from indicators.lexicon import load_compiled
from indicators.models import tagged_text
from indicators.textnorm import normalize
from tools.evaluate import load_devset, split_items
from tools.out_of_fold import (
    fold_models,
    learning_curve,
    out_of_fold_verdicts,
    paired_out_of_fold_verdicts,
)
from tools.train_relevance_model import item_fold

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"


def test_an_items_verdict_does_not_depend_on_its_own_label() -> None:
    """Erase every label of fold 0: fold 0's verdicts stay exactly the same (its models
    were fitted on fold 1 alone), while fold 1's move (its models learned the erasure)."""
    compiled = load_compiled(DATA)
    tune = split_items(load_devset(REPO / "tests/eval/realnews"), "tune")[::5]  # every file
    dev = split_items(load_devset(REPO / "tests/eval/devset.jsonl"), "even")
    before = out_of_fold_verdicts(compiled, DATA, tune, dev, folds=2)
    erased = [
        replace(it, relevant=False, categories=(), regions=(), platforms=(), actors=())
        if item_fold(it, 2) == 0
        else it
        for it in tune
    ]
    after = out_of_fold_verdicts(compiled, DATA, erased, dev, folds=2)
    assert set(before) == set(after) == {it.id for it in tune}
    fold0 = [it.id for it in tune if item_fold(it, 2) == 0]
    fold1 = [it.id for it in tune if item_fold(it, 2) == 1]
    assert fold0 and fold1
    assert all(before[i] == after[i] for i in fold0)
    assert any(before[i] != after[i] for i in fold1)


def test_each_fold_refits_all_three_learned_stages_from_its_training_folds() -> None:
    compiled = load_compiled(DATA)
    tune = split_items(load_devset(REPO / "tests/eval/realnews"), "tune")[::5]
    dev = split_items(load_devset(REPO / "tests/eval/devset.jsonl"), "even")
    erased = [
        replace(it, relevant=False, categories=(), regions=(), platforms=(), actors=())
        if item_fold(it, 2) == 0
        else it
        for it in tune
    ]
    kept, moved = (fold_models(compiled, DATA, items, dev, 1, 2) for items in (tune, erased))
    assert kept.relevance_model != moved.relevance_model
    assert kept.region_model != moved.region_model
    assert kept.category_model != moved.category_model
    # ... and none of them is the shipped model, fitted on every fold
    assert kept.category_model != compiled.category_model
    assert kept.relevance_model != compiled.relevance_model


def test_paired_verdicts_move_only_the_items_a_lexicon_change_touches(tmp_path: Path) -> None:
    """Both lexicons are judged by the models fitted with the first: a false friend that
    cancels "теракт" changes the verdicts of items with that word and of no other item,
    and the first lexicon's verdicts are its plain out-of-fold ones."""
    changed_dir = tmp_path / "data"
    shutil.copytree(DATA, changed_dir)
    rules = changed_dir / "lexicon" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "false_friends:\n  ru:\n" in text
    rules.write_text(
        text.replace("false_friends:\n  ru:\n", "false_friends:\n  ru:\n    - теракт\n", 1),
        encoding="utf-8",
    )
    base, changed = load_compiled(DATA), load_compiled(changed_dir)
    tune = split_items(load_devset(REPO / "tests/eval/realnews"), "tune")[::5]
    dev = split_items(load_devset(REPO / "tests/eval/devset.jsonl"), "even")
    before, after = paired_out_of_fold_verdicts(base, DATA, changed, tune, dev, folds=2)
    assert before == out_of_fold_verdicts(base, DATA, tune, dev, folds=2)
    touched = {
        it.id for it in tune if "теракт" in normalize(tagged_text(it.title, it.summary)).text
    }
    assert touched
    assert all(before[it.id] == after[it.id] for it in tune if it.id not in touched)
    assert any(before[i] != after[i] for i in touched)


def test_a_learning_curve_fit_learns_only_from_its_parts() -> None:
    """Erase every label outside the first of two parts: the fit on that part is the same
    model, the fit on both parts learns the erasure; the sizes grow to the whole half."""
    compiled = load_compiled(DATA)
    tune = split_items(load_devset(REPO / "tests/eval/realnews"), "tune")[::5]
    dev = split_items(load_devset(REPO / "tests/eval/devset.jsonl"), "even")
    erased = [
        replace(it, relevant=False, categories=(), regions=(), platforms=(), actors=())
        if item_fold(it, 2) != 0
        else it
        for it in tune
    ]
    kept, moved = (list(learning_curve(compiled, DATA, items, dev, 2)) for items in (tune, erased))
    assert [(k, size) for k, size, _ in kept] == [(k, size) for k, size, _ in moved]
    (k1, size1, first), (k2, size2, whole) = kept
    assert (k1, k2) == (1, 2) and 0 < size1 < size2 == len(tune)
    assert moved[0][2].relevance_model == first.relevance_model
    assert moved[0][2].category_model == first.category_model
    assert moved[0][2].region_model == first.region_model
    assert moved[1][2].relevance_model != whole.relevance_model
    assert moved[1][2].category_model != whole.category_model


def test_a_learning_curve_needs_two_parts() -> None:
    with pytest.raises(ValueError, match="at least 2 parts"):
        next(learning_curve(load_compiled(DATA), DATA, [], [], 1))


def test_out_of_fold_needs_the_shipped_models() -> None:
    compiled = load_compiled(DATA).rules_only()
    with pytest.raises(ValueError, match="make model"):
        out_of_fold_verdicts(compiled, DATA, [], [], folds=2)


def _eval_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`bench/eval.py` on the real-news corpus with these arguments, as a user runs it."""
    command = [
        sys.executable,
        str(REPO / "bench/eval.py"),
        "--devset",
        str(REPO / "tests/eval/realnews"),
    ]
    return subprocess.run([*command, *args], capture_output=True, text=True, check=False)


def test_the_command_refuses_out_of_fold_on_the_held_out_half() -> None:
    """Out-of-fold verdicts exist only for the half the models are fitted on; asking for
    them on the held-out half is misuse, not a silent in-sample score."""
    done = _eval_command("--split", "heldout", "--out-of-fold", "5")
    assert done.returncode == 2
    assert "--split tune" in done.stderr
    assert "relevance" not in done.stdout  # nothing scored


def test_the_command_scores_the_check_quarter_out_of_fold() -> None:
    """`--split check --out-of-fold K` refits on the whole tuning half and scores only the
    check quarter: the round's one look at items it has not read."""
    check = split_items(load_devset(REPO / "tests/eval/realnews"), "check")
    done = _eval_command("--split", "check", "--out-of-fold", "2", "--errors", "0")
    assert done.returncode == 0, done.stderr
    assert "Out of fold: the learned stages refitted 2 times" in done.stdout
    assert f"Development set: {len(check)} items" in done.stdout


def test_the_command_refuses_models_from_without_out_of_fold() -> None:
    done = _eval_command("--split", "search", "--models-from", str(DATA))
    assert done.returncode == 2
    assert "--models-from needs --out-of-fold" in done.stderr
    assert "relevance" not in done.stdout


def test_the_command_prints_one_line_per_fit_of_the_learning_curve() -> None:
    held = split_items(load_devset(REPO / "tests/eval/realnews"), "heldout")
    tune = split_items(load_devset(REPO / "tests/eval/realnews"), "tune")
    done = _eval_command("--split", "heldout", "--learning-curve", "2")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line[:2] in ("1/", "2/")]
    assert len(lines) == 2
    assert f"each fit scored on the {len(held)}-item held-out half" in done.stdout
    assert lines[1].startswith(f"2/2 ({len(tune)} items): relevance 0.")
    assert "weakest" in lines[0] and "per 1,000" in lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("--split", "tune", "--learning-curve", "2"),
        ("--split", "heldout", "--learning-curve", "2", "--out-of-fold", "2"),
        ("--split", "heldout", "--learning-curve", "1"),
    ],
)
def test_the_command_refuses_a_learning_curve_it_cannot_draw(args: tuple[str, ...]) -> None:
    done = _eval_command(*args)
    assert done.returncode == 2
    assert "relevance" not in done.stdout


def test_the_learning_curve_needs_the_real_news_corpus() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench/eval.py"),
            "--split",
            "heldout",
            "--learning-curve",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "real-news corpus" in done.stderr
