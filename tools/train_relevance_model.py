"""Train the relevance model (gate + category stage) on the tuning halves (`make model`).

    python tools/train_relevance_model.py [--data-dir data] [--out data/models/relevance.json]
                                          [--no-cv] [--folds 5]

Training data: the real-news corpus's tuning half and the development set's
tuning (even) half, both tagged by the rules alone (no learned model). The
held-out halves and the invented held-out set are never read.

Unless `--no-cv`, everything is chosen by k-fold cross-validation within the
training data (folds by URL hash):
- the gate's regularization, the development set's weight and its two
  thresholds (drop a relevant verdict below p; make an item with a strong
  term relevant above p; "never" is a candidate for both), maximizing the
  out-of-fold relevance F1 on the real-news tuning half;
- then, with that gate, the category stage's regularization, weight and keep
  threshold, maximizing out-of-fold category micro-F1.
A threshold point is admissible only if, out of fold on the development
set's tuning half, the pipeline makes at most one more relevance error and
two more category errors than the rules and calls no more hard negatives
relevant: real news must not be bought with the invented sets. Thresholds
are the best admissible point of the F1 grid smoothed over its neighbours
(a lone peak is fold noise); among configurations, the simplest within 0.002
of the best wins (the rules alone first, then stronger regularization, then
the development set weighted 1, 0, 3). With `--no-cv` the hyperparameters of
the model at `--out` are refitted (after the corpus or the rules changed).
Deterministic: fixed folds, full-batch optimisation from zero.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))

from indicators import hashed_features as hashed  # noqa: E402
from indicators.lexicon import load_compiled  # noqa: E402
from indicators.relevance_model import (  # noqa: E402
    MODEL_FILE,
    Evidence,
    RelevanceModel,
    Thresholds,
    category_candidates,
    category_groups,
    gate_eligible,
    item_features,
    model_to_json,
    read_relevance_model,
    verdict,
)
from indicators.tagger import item_evidence, tag  # noqa: E402
from tools.evaluate import DevItem, load_devset, split_items  # noqa: E402
from tools.logistic import fit, predict  # noqa: E402

BITS = 18
LAMBDAS = (1e-2, 1e-3, 1e-4)  # strongest (simplest) first
DEV_WEIGHTS = (1.0, 0.0, 3.0)  # in order of preference
DROP = (0.0, *(round(0.05 * i, 2) for i in range(1, 20)))  # 0: never drop
ADD = (*(round(0.05 * i, 2) for i in range(1, 20)), 1.01)  # 1.01: never add
SIMPLER_WITHIN = 0.002
SLACK_RELEVANCE, SLACK_CATEGORIES = 1, 2  # development-set errors the model may add
NO_SCALING: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Example:
    item: DevItem
    source: str  # "realnews" | "devset"
    rules: frozenset[str]  # the rules' categories (empty: not relevant)
    evidence: Evidence

    @cached_property
    def features(self) -> set[str]:
        return item_features(self.item.lang, bool(self.rules), self.rules, self.evidence)

    @cached_property
    def gate_vector(self) -> dict[int, float]:
        """Built once: every fold and every lambda of the sweep scores it."""
        return hashed.vector({"lex": self.features}, BITS, NO_SCALING)

    @cached_property
    def category_vectors(self) -> dict[str, dict[int, float]]:
        return {
            c: hashed.vector(
                category_groups(c, self.features, bool(self.rules), self.rules, self.evidence),
                BITS,
                NO_SCALING,
            )
            for c in category_candidates(self.rules, self.evidence)
        }


def examples(items: Sequence[DevItem], source: str, data_dir: Path) -> list[Example]:
    rules_only = load_compiled(data_dir).rules_only()
    out = []
    for item in items:
        got = tag(item.title, item.summary, rules_only, lang=item.lang)
        ev = item_evidence(item.title, item.summary, rules_only, item.lang)
        out.append(
            Example(item, source, frozenset(got.categories) if got.relevant else frozenset(), ev)
        )
    return out


def item_fold(item: DevItem, folds: int) -> int:
    """An item's cross-validation fold, by its URL's hash (the category model's too)."""
    return hashlib.sha256(f"cv:{item.url or item.id}".encode()).digest()[-1] % folds


def fold_of(ex: Example, folds: int) -> int:
    return item_fold(ex.item, folds)


Probabilities = dict[tuple[str, str], float]  # (item id, "" or category) -> p


Rows = tuple[list[Any], list[int], list[float]]  # feature vectors, labels, instance weights


def gate_rows(exs: Sequence[Example], dev_weight: float) -> Rows:
    rows, labels, weights = [], [], []
    for ex in exs:
        if gate_eligible(bool(ex.rules), ex.evidence) and (ex.source == "realnews" or dev_weight):
            rows.append(ex.gate_vector)
            labels.append(int(ex.item.relevant))
            weights.append(dev_weight if ex.source == "devset" else 1.0)
    return rows, labels, weights


def category_rows(exs: Sequence[Example], dev_weight: float) -> Rows:
    rows, labels, weights = [], [], []
    for ex in exs:
        if ex.rules and (ex.source == "realnews" or dev_weight):
            for c in category_candidates(ex.rules, ex.evidence):
                rows.append(ex.category_vectors[c])
                labels.append(int(c in ex.item.categories))
                weights.append(dev_weight if ex.source == "devset" else 1.0)
    return rows, labels, weights


def weighted_fit(rows: list[Any], labels: list[int], weights: list[float], lam: float) -> Any:
    """`fit` with instance weights: a weight-w row counts as w rows (w in 0, 1, 3)."""
    rep_rows, rep_labels = [], []
    for row, label, w in zip(rows, labels, weights, strict=True):
        rep_rows += [row] * int(w)
        rep_labels += [label] * int(w)
    return fit(rep_rows, rep_labels, lam)


def out_of_fold(
    exs: list[Example], kind: str, lam: float, dev_weight: float, folds: int
) -> Probabilities:
    out: Probabilities = {}
    build = gate_rows if kind == "gate" else category_rows
    for k in range(folds):
        train = [ex for ex in exs if fold_of(ex, folds) != k]
        weights, bias = weighted_fit(*build(train, dev_weight), lam)
        for ex in exs:
            if fold_of(ex, folds) != k:
                continue
            if kind == "gate" and gate_eligible(bool(ex.rules), ex.evidence):
                out[(ex.item.id, "")] = predict(weights, bias, [ex.gate_vector])[0]
            elif kind == "category" and ex.rules:
                for c in category_candidates(ex.rules, ex.evidence):
                    out[(ex.item.id, c)] = predict(weights, bias, [ex.category_vectors[c]])[0]
    return out


@dataclass
class Counts:
    rel: list[int]  # tp, fp, fn
    cat: list[int]
    hard: int

    def errors(self, axis: str) -> int:
        _tp, fp, fn = getattr(self, axis)
        return int(fp + fn)


def counts(
    exs: Sequence[Example], gate: Probabilities, cats: Probabilities, t: Thresholds
) -> Counts:
    c = Counts([0, 0, 0], [0, 0, 0], 0)
    if not gate:  # no gate: the rules' relevance
        t = Thresholds(0.0, 1.01, t.keep_at_least)
    for ex in exs:
        got = verdict(ex.rules, ex.evidence, *_lookups(ex.item.id, gate, cats), t)
        want = ex.item.relevant
        c.rel[0 if want and got.relevant else 1 if got.relevant else 2] += int(want or got.relevant)
        if ex.item.hard and got.relevant:
            c.hard += 1
        have = got.categories if got.relevant else frozenset()
        wanted = frozenset(ex.item.categories) if want else frozenset()
        c.cat[0] += len(have & wanted)
        c.cat[1] += len(have - wanted)
        c.cat[2] += len(wanted - have)
    return c


def _lookups(
    key: str, gate: Probabilities, cats: Probabilities
) -> tuple[Callable[[], float], Callable[[str], float]]:
    """An item's out-of-fold probabilities, as `verdict` asks for them."""

    def gate_p() -> float:
        return gate.get((key, ""), 1.0)

    def category_p(category: str) -> float:
        return cats.get((key, category), 1.0)

    return gate_p, category_p


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def smoothed(grid: np.ndarray) -> np.ndarray:
    out = np.empty_like(grid)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            out[i, j] = grid[max(0, i - 1) : i + 2, max(0, j - 1) : j + 2].mean()
    return out


def best_point(
    real: list[Example],
    dev: list[Example],
    evaluate: Grid,
    firsts: Sequence[float],
    seconds: Sequence[float],
    axis: str,
    admissible: Callable[[Counts], bool],
) -> tuple[float, float, float] | None:
    """(F1, first, second) at the best admissible point of the smoothed grid, or None."""
    grid = np.zeros((len(firsts), len(seconds)))
    ok = np.zeros_like(grid, dtype=bool)
    for i, a in enumerate(firsts):
        for j, b in enumerate(seconds):
            grid[i, j] = f1(*getattr(evaluate(real, a, b), axis))
            ok[i, j] = admissible(evaluate(dev, a, b))
    if not ok.any():
        return None
    smooth = smoothed(grid)
    smooth[~ok] = -1.0
    row, col = (int(x) for x in np.unravel_index(int(np.argmax(smooth)), smooth.shape))
    return float(grid[row, col]), firsts[row], seconds[col]


Grid = Callable[[list[Example], float, float], Counts]


def _gate_grid(p: Probabilities) -> Grid:
    def evaluate(xs: list[Example], drop: float, add: float) -> Counts:
        return counts(xs, p, {}, Thresholds(drop, add, 0.0))

    return evaluate


def _keep_grid(
    with_gate: Callable[[list[Example], Probabilities, float], Counts], p: Probabilities
) -> Grid:
    def evaluate(xs: list[Example], keep: float, _unused: float) -> Counts:
        return with_gate(xs, p, keep)

    return evaluate


def cross_validate(exs: list[Example], folds: int) -> dict[str, Any]:
    real = [ex for ex in exs if ex.source == "realnews"]
    dev = [ex for ex in exs if ex.source == "devset"]
    rules = Thresholds(0.0, 1.01, 0.0)
    base_dev = counts(dev, {}, {}, rules)

    def admissible(c: Counts) -> bool:
        return (
            c.errors("rel") <= base_dev.errors("rel") + SLACK_RELEVANCE
            and c.errors("cat") <= base_dev.errors("cat") + SLACK_CATEGORIES
            and c.hard <= base_dev.hard
        )

    rules_only = {"gate_lambda": None, "drop_below": 0.0, "add_above": 1.01,
                  "f1_relevance": f1(*counts(real, {}, {}, rules).rel)}  # fmt: skip
    gates: dict[tuple[float, float], Probabilities] = {}

    def gate_point(p: Probabilities) -> tuple[Grid, Sequence[float], Sequence[float]]:
        return _gate_grid(p), DROP, ADD

    gate = _sweep(exs, real, dev, folds, "gate", rules_only, gate_point, admissible, gates)
    p_gate = gates.get((gate["gate_lambda"], gate.get("gate_dev_weight", 0.0)), {})
    t_gate = (gate["drop_below"], gate["add_above"])

    def with_gate(xs: list[Example], p_cat: Probabilities, keep: float) -> Counts:
        return counts(xs, p_gate, p_cat, Thresholds(*t_gate, keep))

    def keep_point(p: Probabilities) -> tuple[Grid, Sequence[float], Sequence[float]]:
        return _keep_grid(with_gate, p), DROP, (0.0,)

    no_stage = {"category_lambda": None, "keep_at_least": 0.0,
                "f1_categories": f1(*with_gate(real, {}, 0.0).cat)}  # fmt: skip
    stage = _sweep(exs, real, dev, folds, "category", no_stage, keep_point, admissible, {})
    return {**gate, **stage}


# What each stage's sweep names its hyperparameters, thresholds and score.
_NAMES = {
    "gate": ("gate_lambda", "gate_dev_weight", ("drop_below", "add_above"), "f1_relevance", "rel"),
    "category": ("category_lambda", "category_dev_weight", ("keep_at_least", None),
                 "f1_categories", "cat"),
}  # fmt: skip


def _sweep(
    exs: list[Example],
    real: list[Example],
    dev: list[Example],
    folds: int,
    kind: str,
    baseline: dict[str, Any],
    grid_of: Callable[[Probabilities], tuple[Grid, Sequence[float], Sequence[float]]],
    admissible: Callable[[Counts], bool],
    kept: dict[tuple[float, float], Probabilities],
) -> dict[str, Any]:
    """Every (lambda, development weight) of one stage: its out-of-fold probabilities
    (kept by key), its best admissible thresholds; then the simplest candidate within
    `SIMPLER_WITHIN` of the best, the stage off (`baseline`) first."""
    lam_key, weight_key, (first, second), score_key, axis = _NAMES[kind]
    candidates = [baseline]
    for lam in LAMBDAS:
        for dev_weight in DEV_WEIGHTS:
            p = out_of_fold(exs, kind, lam, dev_weight, folds)
            kept[(lam, dev_weight)] = p
            found = best_point(real, dev, *grid_of(p), axis, admissible)
            where = f"{kind} lambda {lam:g} dev weight {dev_weight:g}"
            if found is None:
                print(f"{where}: nothing admissible")
                continue
            score, a, b = found
            found_at = {first: a} | ({second: b} if second else {})
            print(f"{where}: {axis} F1 {score:.4f} at {found_at}", flush=True)
            candidates.append({lam_key: lam, weight_key: dev_weight, **found_at, score_key: score})
    top = max(c[score_key] for c in candidates)
    chosen = next(c for c in candidates if c[score_key] >= top - SIMPLER_WITHIN)
    print(f"{kind} chosen: {chosen}")
    return chosen


def train(exs: list[Example], chosen: Mapping[str, Any]) -> RelevanceModel:
    gate_weights: dict[int, float] = {}
    gate_bias = 0.0
    if chosen["gate_lambda"] is not None:
        rows = gate_rows(exs, float(chosen["gate_dev_weight"]))
        gate_weights, gate_bias = weighted_fit(*rows, float(chosen["gate_lambda"]))
    cat_weights: dict[int, float] = {}
    cat_bias = 0.0
    if chosen["category_lambda"] is not None:
        rows = category_rows(exs, float(chosen["category_dev_weight"]))
        cat_weights, cat_bias = weighted_fit(*rows, float(chosen["category_lambda"]))
    return RelevanceModel(
        bits=BITS,
        gate_bias=gate_bias,
        gate_weights={k: v for k, v in gate_weights.items() if abs(v) >= 1e-4},
        drop_below=float(chosen["drop_below"]),
        add_above=float(chosen["add_above"]),
        category_bias=cat_bias,
        category_weights={k: v for k, v in cat_weights.items() if abs(v) >= 1e-4},
        keep_at_least=float(chosen["keep_at_least"]),
        trained_on=MappingProxyType({}),
    )


HYPERPARAMETERS = ("gate_lambda", "gate_dev_weight", "drop_below", "add_above",
                   "category_lambda", "category_dev_weight", "keep_at_least")  # fmt: skip


def kept_hyperparameters(trained_on: Mapping[str, Any]) -> dict[str, Any]:
    """A shipped model's hyperparameters (and cross-validated scores), to refit with."""
    return {k: trained_on.get(k) for k in (*HYPERPARAMETERS, "f1_relevance", "f1_categories")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "data")
    parser.add_argument("--out", type=Path, default=None, help=f"default: DATA_DIR/{MODEL_FILE}")
    parser.add_argument("--no-cv", action="store_true", help="refit the hyperparameters at --out")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    out = args.out or args.data_dir / MODEL_FILE
    real = split_items(load_devset(REPO_ROOT / "tests/eval/realnews"), "tune")
    dev = split_items(load_devset(REPO_ROOT / "tests/eval/devset.jsonl"), "even")
    exs = examples(real, "realnews", args.data_dir) + examples(dev, "devset", args.data_dir)
    print(f"training data: {len(real)} real-news items (tuning half), {len(dev)} development "
          f"set items (even half)")  # fmt: skip
    if args.no_cv:
        if not out.is_file():
            print(f"train_relevance_model: --no-cv needs a model at {out}", file=sys.stderr)
            return 2
        chosen = kept_hyperparameters(read_relevance_model(out).trained_on)
    else:
        chosen = cross_validate(exs, args.folds)
    model = train(exs, chosen)
    trained_on = {
        "corpus": "tests/eval/realnews (tune) + tests/eval/devset.jsonl (even)",
        "items": len(exs),
        "lexicon": load_compiled(args.data_dir).version.split("+")[0],
        **{k: chosen.get(k) for k in HYPERPARAMETERS},
        "f1_relevance": round(float(chosen["f1_relevance"] or 0.0), 4),
        "f1_categories": round(float(chosen["f1_categories"] or 0.0), 4),
    }
    model = replace(model, trained_on=MappingProxyType(trained_on))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model_to_json(model), encoding="utf-8")
    print(f"{len(model.gate_weights)} gate and {len(model.category_weights)} category weights "
          f"-> {out}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
