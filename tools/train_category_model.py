"""Train the category model (missing categories of relevant items) on the tuning halves.

    python tools/train_category_model.py [--data-dir data] [--out data/models/categories.json]
                                         [--no-cv] [--folds 5]

Run after the relevance model (`make model` does both, in order): the items
are tagged by the lexicon with its relevance and region models and without a
category model, which is exactly what the category model looks at in the
tagger. Training data: the real-news corpus's tuning half and the development
set's tuning (even) half; the held-out halves are never read.

Stop words (`data/stopwords`) that are whole stems are left out of the
features, so the model never weighs them and never shows them as evidence.

Unless `--no-cv`, the regularization, the development set's weight and the
add threshold are chosen by k-fold cross-validation (folds by URL hash),
maximizing the out-of-fold category micro-F1 on the real-news tuning half,
with the tagger's own decision (`category_model.additions`, which also
requires an evidence word). A threshold is admissible only if, out of fold,
it adds at most two category errors on the development set's tuning half.
The threshold is the best admissible point of the F1 curve averaged with its
neighbours (a lone peak is fold noise); among configurations the simplest
within 0.002 of the best wins (no model first, then stronger regularization,
then the development set weighted 1, 0, 3). `--no-cv` refits the
hyperparameters of the model at `--out`. Deterministic: fixed folds,
full-batch optimisation from zero.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))

from indicators.category_model import (  # noqa: E402
    MODEL_FILE,
    STEM_CHARS,
    CategoryModel,
    additions,
    item_words,
    lexicon_features,
    model_to_json,
    read_category_model,
)
from indicators.lexicon import CompiledLexicon, load_compiled  # noqa: E402
from indicators.models import tagged_text  # noqa: E402
from indicators.relevance_model import PLATFORM_CATEGORY, Evidence  # noqa: E402
from indicators.stopwords import load_stop_words  # noqa: E402
from indicators.tagger import item_evidence, tag  # noqa: E402
from indicators.taxonomy import CATEGORY_IDS  # noqa: E402
from tools.evaluate import DevItem, load_devset, split_items  # noqa: E402
from tools.train_relevance_model import f1, item_fold, weighted_fit  # noqa: E402

LAMBDAS = (1e-3, 3e-4, 1e-4)  # strongest (simplest) first
DEV_WEIGHTS = (1.0, 0.0, 3.0)  # in order of preference
ADD = (*(round(0.05 * i, 2) for i in range(1, 20)), 1.01)  # 1.01: never add
SIMPLER_WITHIN = 0.002
SLACK_CATEGORIES = 2  # development-set category errors the model may add
KEEP_ABOVE = 1e-4  # smaller weights are left out of the file


class Columns:
    """Each (table, token, category) feature's column: exact, so the shipped model is
    keyed by the words and features themselves."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str, str], int] = {}

    def row(self, ex: Example, category: str) -> dict[int, float]:
        keys = [("bias", "", category)]
        keys += [("words", s, category) for s in ex.stems]
        keys += [("features", f, category) for f in ex.features]
        return {self.index.setdefault(k, len(self.index)): 1.0 for k in keys}


@dataclass(frozen=True)
class Example:
    item: DevItem
    source: str  # "realnews" | "devset"
    categories: frozenset[str]  # what the tagger gives without a category model
    evidence: Evidence
    stems: tuple[str, ...]
    candidates: tuple[str, ...]  # the categories the model may add

    @cached_property
    def features(self) -> frozenset[str]:
        return frozenset(lexicon_features(self.item.lang, self.categories, self.evidence))


def unweighed_stems(stop_words: Collection[str]) -> frozenset[str]:
    """The stems the model never weighs: every stop word that is a whole stem.

    Function and reporting words ("the", "after", "что", "его", "said") are in
    every kind of item; a weight the fit gives them is noise of the tuning half,
    and as an added category's evidence they explain nothing to an analyst.
    Stop words longer than a stem are left alone: their cut ("accord" of
    "according") is shared with words that carry meaning.
    """
    return frozenset(w for w in stop_words if len(w) <= STEM_CHARS)


def examples(
    items: Sequence[DevItem],
    source: str,
    compiled: CompiledLexicon,
    threats: Sequence[str],
    unweighed: Collection[str] = frozenset(),
) -> list[Example]:
    out = []
    for item in items:
        got = tag(item.title, item.summary, compiled, lang=item.lang)
        have = frozenset(got.categories) if got.relevant else frozenset()
        ev = item_evidence(item.title, item.summary, compiled, item.lang)
        todo = tuple(c for c in threats if c not in have) if have else ()
        words = item_words(tagged_text(item.title, item.summary)) if have else ()
        stems = tuple(s for s in words if s not in unweighed)
        out.append(Example(item, source, have, ev, stems, todo))
    return out


def fold_of(ex: Example, folds: int) -> int:
    return item_fold(ex.item, folds)


Rows = tuple[list[Any], list[int], list[float]]


def rows(exs: Sequence[Example], dev_weight: float, columns: Columns) -> Rows:
    out: Rows = ([], [], [])
    for ex in exs:
        if ex.source == "devset" and not dev_weight:
            continue
        for c in ex.candidates:
            out[0].append(columns.row(ex, c))
            out[1].append(int(ex.item.relevant and c in ex.item.categories))
            out[2].append(dev_weight if ex.source == "devset" else 1.0)
    return out


def model_of(
    weights: Mapping[int, float], bias: float, columns: Columns, threats: Sequence[str]
) -> CategoryModel:
    """The fitted columns as a model (adding above 0: every candidate with evidence)."""
    biases = dict.fromkeys(threats, bias)
    place = {c: i for i, c in enumerate(threats)}
    tables: dict[str, dict[str, list[float]]] = {"words": {}, "features": {}}
    for (table, token, category), col in columns.index.items():
        w = weights.get(col, 0.0)
        if table == "bias":
            biases[category] += w
        elif abs(w) >= KEEP_ABOVE:
            tables[table].setdefault(token, [0.0] * len(threats))[place[category]] = w
    frozen = {t: MappingProxyType({k: tuple(v) for k, v in found.items()})
              for t, found in tables.items()}  # fmt: skip
    return CategoryModel(MappingProxyType(biases), frozen["words"], frozen["features"], 0.0,
                         tuple(threats), MappingProxyType({}))  # fmt: skip


Added = dict[str, tuple[tuple[float, str], ...]]  # item id -> (p, category) with an evidence word


def out_of_fold(
    exs: list[Example], lam: float, dev_weight: float, folds: int, threats: Sequence[str]
) -> Added:
    """Each relevant item's candidates that would carry evidence, with their p, out of fold."""
    out: Added = {}
    for k in range(folds):
        columns = Columns()
        train = [ex for ex in exs if fold_of(ex, folds) != k]
        weights, bias = weighted_fit(*rows(train, dev_weight, columns), lam)
        model = model_of(weights, bias, columns, threats)
        for ex in exs:
            if fold_of(ex, folds) == k and ex.candidates:
                found = additions(model, ex.categories, ex.stems, ex.features)
                out[ex.item.id] = tuple((a.p, a.category) for a in found)
    return out


def counts(exs: Sequence[Example], added: Added, above: float) -> tuple[int, int, int]:
    """Category (tp, fp, fn) over the items with additions above `above`."""
    tp = fp = fn = 0
    for ex in exs:
        have = set(ex.categories)
        have.update(c for p, c in added.get(ex.item.id, ()) if p > above)
        want = set(ex.item.categories) if ex.item.relevant else set()
        tp += len(have & want)
        fp += len(have - want)
        fn += len(want - have)
    return tp, fp, fn


def best_threshold(
    real: list[Example], dev: list[Example], added: Added
) -> tuple[float, float] | None:
    """(F1, threshold) at the best admissible point of the smoothed F1 curve, or None."""
    _tp, base_fp, base_fn = counts(dev, {}, 1.01)
    curve = np.array([f1(*counts(real, added, a)) for a in ADD])
    ok = np.array([sum(counts(dev, added, a)[1:]) <= base_fp + base_fn + SLACK_CATEGORIES
                   for a in ADD])  # fmt: skip
    if not ok.any():
        return None
    smooth = np.array([curve[max(0, i - 1) : i + 2].mean() for i in range(len(ADD))])
    smooth[~ok] = -1.0
    best = int(np.argmax(smooth))
    return float(curve[best]), ADD[best]


def cross_validate(exs: list[Example], folds: int, threats: Sequence[str]) -> dict[str, Any]:
    real = [ex for ex in exs if ex.source == "realnews"]
    dev = [ex for ex in exs if ex.source == "devset"]
    candidates: list[dict[str, Any]] = [
        {"lambda": None, "dev_weight": None, "add_above": 1.01,
         "f1_categories": f1(*counts(real, {}, 1.01))}
    ]  # fmt: skip
    for lam in LAMBDAS:
        for dev_weight in DEV_WEIGHTS:
            found = best_threshold(real, dev, out_of_fold(exs, lam, dev_weight, folds, threats))
            where = f"lambda {lam:g} dev weight {dev_weight:g}"
            if found is None:
                print(f"{where}: nothing admissible")
                continue
            score, above = found
            print(f"{where}: category F1 {score:.4f} adding above {above}", flush=True)
            candidates.append({"lambda": lam, "dev_weight": dev_weight, "add_above": above,
                               "f1_categories": score})  # fmt: skip
    top = max(c["f1_categories"] for c in candidates)
    chosen = next(c for c in candidates if c["f1_categories"] >= top - SIMPLER_WITHIN)
    print(f"chosen: {chosen} (no model: {candidates[0]['f1_categories']:.4f})")
    return chosen


def train(exs: list[Example], chosen: Mapping[str, Any], threats: Sequence[str]) -> CategoryModel:
    weights: dict[int, float] = {}
    bias = 0.0
    columns = Columns()
    if chosen["lambda"] is not None:
        found = rows(exs, float(chosen["dev_weight"]), columns)
        weights, bias = weighted_fit(*found, float(chosen["lambda"]))
    model = model_of(weights, bias, columns, threats)
    return replace(model, add_above=float(chosen["add_above"]))


HYPERPARAMETERS = ("lambda", "dev_weight", "add_above")


def kept_hyperparameters(trained_on: Mapping[str, Any]) -> dict[str, Any]:
    """A shipped model's hyperparameters (and cross-validated score), to refit with."""
    return {key: trained_on.get(key) for key in (*HYPERPARAMETERS, "f1_categories")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "data")
    parser.add_argument("--out", type=Path, default=None, help=f"default: DATA_DIR/{MODEL_FILE}")
    parser.add_argument("--no-cv", action="store_true", help="refit the hyperparameters at --out")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    out = args.out or args.data_dir / MODEL_FILE
    compiled = load_compiled(args.data_dir)
    before = replace(compiled, category_model=None)
    threats = tuple(c for c in CATEGORY_IDS if c != PLATFORM_CATEGORY)
    real = split_items(load_devset(REPO_ROOT / "tests/eval/realnews"), "tune")
    dev = split_items(load_devset(REPO_ROOT / "tests/eval/devset.jsonl"), "even")
    unweighed = unweighed_stems(load_stop_words(args.data_dir))
    exs = examples(real, "realnews", before, threats, unweighed) + examples(
        dev, "devset", before, threats, unweighed
    )
    print(f"training data: {len(real)} real-news items (tuning half), {len(dev)} development "
          f"set items (even half)")  # fmt: skip
    if args.no_cv:
        if not out.is_file():
            print(f"train_category_model: --no-cv needs a model at {out}", file=sys.stderr)
            return 2
        chosen = kept_hyperparameters(read_category_model(out).trained_on)
    else:
        chosen = cross_validate(exs, args.folds, threats)
    model = train(exs, chosen, threats)
    trained_on = {
        "corpus": "tests/eval/realnews (tune) + tests/eval/devset.jsonl (even)",
        "items": len(exs),
        # the lexicon without this file: the version the training items were tagged with
        "lexicon": compiled.version.split("+")[0],
        **{k: chosen.get(k) for k in HYPERPARAMETERS},
        "f1_categories": round(float(chosen["f1_categories"] or 0.0), 4),
    }
    model = replace(model, trained_on=MappingProxyType(trained_on))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model_to_json(model), encoding="utf-8")
    print(f"{len(model.words)} words and {len(model.features)} lexicon features weighed -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
