"""Train the region model on the real-news tuning half (`make model`).

    python tools/train_region_model.py [--data-dir data] [--corpus tests/eval/realnews]
                                       [--out data/models/regions.json] [--no-cv] [--folds 5]

What it does, reproducibly (no randomness: fixed folds by URL hash, full-batch
optimisation from zero weights):
1. tags every item of the corpus's *tuning* half with the rules alone (the
   data folder's lexicon without its learned models) and collects, for every
   item the rules or the label call relevant, each region it names or the
   rules give, with its label (is the region among the item's labelled ones?);
2. unless `--no-cv`: chooses the hyperparameters (regularization, the
   feature set, the keep and add thresholds) by k-fold cross-validation
   *within* the tuning half, scoring regions' micro-F1 as `make eval` does
   (the simplest candidate within 0.002 of the best). The held-out half is
   never read;
3. fits the chosen model on the whole tuning half and writes it (JSON).
Without `--no-cv` the choice is printed with every candidate's score; with
it the hyperparameters of the model already at `--out` are refitted (a
retrain after the corpus grew, or the reproducibility test).

Needs numpy (a dependency of the dashboard); inference in
`indicators.region_model` does not.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))

from indicators.lexicon import CompiledLexicon, load_compiled  # noqa: E402
from indicators.models import tagged_text  # noqa: E402
from indicators.region_model import (  # noqa: E402
    MODEL_FILE,
    Mention,
    RegionModel,
    candidates,
    feature_groups,
    features,
    item_words,
    model_to_json,
    read_region_model,
    region_kind,
)
from indicators.tagger import place_mentions, tag  # noqa: E402
from tools.evaluate import DevItem, load_devset, split_items  # noqa: E402
from tools.logistic import ITERATIONS, fit, predict  # noqa: E402

BITS = 18
LAMBDAS = (1e-4, 1e-3, 1e-2)
# (context words, item words), simplest first
FEATURE_SETS = {"context": (3, False), "context+words": (3, True)}
SCOPE_ORDER = ("foreign", "all")  # simplest first: the model decides only other countries
KEEP = tuple(round(0.2 + 0.05 * i, 2) for i in range(9))  # 0.2 .. 0.6
ADD = (*(round(0.3 + 0.05 * i, 2) for i in range(14)), 1.01)  # 0.3 .. 0.95, and never
SIMPLER_WITHIN = 0.002  # cross-validated F1 a simpler candidate may lose and still be chosen


@dataclass(frozen=True)
class Example:
    """One item the rules or the label call relevant, with what the model sees of it."""

    item: DevItem
    rule_relevant: bool
    rule_regions: tuple[str, ...]
    mentions: tuple[Mention, ...]

    def pairs(self) -> list[str]:
        return candidates(self.mentions, self.rule_regions)


def examples(items: Sequence[DevItem], compiled: CompiledLexicon) -> list[Example]:
    rules_only = compiled.rules_only()
    out = []
    for item in items:
        got = tag(item.title, item.summary, rules_only, lang=item.lang)
        if not (got.relevant or item.relevant):
            continue
        mentions = place_mentions(item.title, item.summary, rules_only, item.lang)
        out.append(Example(item, got.relevant, got.regions, tuple(mentions)))
    return out


def vectors(ex: Example, context_words: int, words: bool) -> list[dict[int, float]]:
    text = tagged_text(ex.item.title, ex.item.summary)
    found = item_words(ex.item.title, ex.item.summary) if words else ()
    return [
        features(
            feature_groups(
                region,
                text,
                len(ex.item.title),
                ex.item.lang,
                ex.mentions,
                ex.rule_regions,
                context_words=context_words,
                words=found,
            ),
            BITS,
        )
        for region in ex.pairs()
    ]


def model_of(
    weights: dict[int, float], bias: float, keep: float, add: float, cfg: tuple[int, bool]
) -> RegionModel:
    return RegionModel(
        bits=BITS,
        bias=bias,
        weights={k: v for k, v in weights.items() if abs(v) >= 1e-4},
        keep=keep,
        add=add,
        context_words=cfg[0],
        item_words=cfg[1],
        trained_on=MappingProxyType({}),
    )


def region_counts(
    exs: Sequence[Example],
    probs: Sequence[list[float]],
    keep: float,
    add: float,
    scope: str = "all",
) -> tuple[int, int, int]:
    """Regions' (tp, fp, fn) as `make eval` counts them (a non-relevant verdict claims none)."""
    tp = fp = fn = 0
    for ex, ps in zip(exs, probs, strict=True):
        got: set[str] = set()
        if ex.rule_relevant:
            for region, p in zip(ex.pairs(), ps, strict=True):
                if scope == "foreign" and region_kind(region) != "foreign":
                    if region in ex.rule_regions:
                        got.add(region)
                elif (p >= keep) if region in ex.rule_regions else (p > add):
                    got.add(region)
            if any(r.startswith("KZ-") for r in got):
                got.discard("KZ")
        want = set(ex.item.regions) if ex.item.relevant else set()
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return tp, fp, fn


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def training_set(exs: Sequence[Example], cfg: tuple[int, bool]) -> tuple[list[Any], list[int]]:
    rows: list[dict[int, float]] = []
    labels: list[int] = []
    for ex in exs:
        rows += vectors(ex, *cfg)
        labels += [int(ex.item.relevant and r in ex.item.regions) for r in ex.pairs()]
    return rows, labels


def fold_of(item: DevItem, folds: int) -> int:
    return hashlib.sha256(f"fold|{item.url or item.id}".encode()).digest()[0] % folds


def cross_validate(exs: list[Example], folds: int) -> dict[str, Any]:
    """Every (features, lambda, keep, add) scored on out-of-fold predictions; the one chosen.

    The simplest candidate within `SIMPLER_WITHIN` of the best F1 wins (fewer
    feature groups first, then stronger regularization, then the model
    deciding only other countries' codes): a difference that
    small is fold noise, and a smaller model is faster and easier to read.
    """
    scored: list[dict[str, Any]] = []  # in order of simplicity
    for name, cfg in FEATURE_SETS.items():
        per_ex = [vectors(ex, *cfg) for ex in exs]
        for lam in sorted(LAMBDAS, reverse=True):
            probs: list[list[float]] = [[] for _ in exs]
            for k in range(folds):
                train = [i for i, ex in enumerate(exs) if fold_of(ex.item, folds) != k]
                rows = [r for i in train for r in per_ex[i]]
                labels = [
                    int(exs[i].item.relevant and r in exs[i].item.regions)
                    for i in train
                    for r in exs[i].pairs()
                ]
                weights, bias = fit(rows, labels, lam)
                for i, ex in enumerate(exs):
                    if fold_of(ex.item, folds) == k:
                        probs[i] = predict(weights, bias, per_ex[i])
            for scope in SCOPE_ORDER:
                best: dict[str, Any] = {"f1": -1.0}
                for keep in KEEP:
                    for add in ADD:
                        score = f1(*region_counts(exs, probs, keep, add, scope))
                        if score > best["f1"] + 1e-9:
                            best = {"f1": score, "features": name, "lambda": lam, "keep": keep,
                                    "add": add, "scope": scope}  # fmt: skip
                scored.append(best)
                where = f"cv {name:14s} lambda {lam:g} scope {scope:8s}"
                print(f"{where}: best regions F1 {best['f1']:.4f} "
                      f"(keep {best['keep']}, add {best['add']})", flush=True)  # fmt: skip
    top = max(c["f1"] for c in scored)
    return next(c for c in scored if c["f1"] >= top - SIMPLER_WITHIN)


def kept_hyperparameters(trained_on: Mapping[str, Any]) -> dict[str, Any]:
    """A shipped model's hyperparameters (and cross-validated score), to refit with."""
    chosen = {key: trained_on[key] for key in ("features", "lambda", "keep", "add", "scope")}
    chosen["f1"] = trained_on.get("cv_f1")
    return chosen


def train(exs: Sequence[Example], chosen: Mapping[str, Any]) -> RegionModel:
    """The model of the chosen hyperparameters, fitted on every example."""
    cfg = FEATURE_SETS[str(chosen["features"])]
    rows, labels = training_set(exs, cfg)
    weights, bias = fit(rows, labels, float(chosen["lambda"]))
    model = model_of(weights, bias, float(chosen["keep"]), float(chosen["add"]), cfg)
    return replace(model, scope=str(chosen["scope"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "data")
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "tests/eval/realnews")
    parser.add_argument("--out", type=Path, default=None, help=f"default: DATA_DIR/{MODEL_FILE}")
    parser.add_argument("--no-cv", action="store_true", help="refit the hyperparameters at --out")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    out = args.out or args.data_dir / MODEL_FILE
    compiled = load_compiled(args.data_dir)
    tuning = split_items(load_devset(args.corpus), "tune")
    exs = examples(tuning, compiled)
    rules_f1 = f1(*region_counts(exs, [[1.0] * len(ex.pairs()) for ex in exs], 0.5, 1.01))
    print(f"tuning half: {len(tuning)} items, {len(exs)} relevant by rules or label; "
          f"rules alone: regions F1 {rules_f1:.4f}")  # fmt: skip
    if args.no_cv:
        if not out.is_file():
            print(f"train_region_model: --no-cv needs a model at {out}", file=sys.stderr)
            return 2
        chosen = kept_hyperparameters(read_region_model(out).trained_on)
    else:
        chosen = cross_validate(exs, args.folds)
    model = train(exs, chosen)
    trained_on = {
        "corpus": "tests/eval/realnews",
        "half": "tune",
        "items": len(tuning),
        "examples": len(exs),
        "pairs": sum(len(ex.pairs()) for ex in exs),
        "lexicon": compiled.version.split("+")[0],
        "features": chosen["features"],
        "lambda": chosen["lambda"],
        "keep": chosen["keep"],
        "add": chosen["add"],
        "scope": chosen["scope"],
        "cv_f1": round(float(chosen["f1"]), 4) if chosen["f1"] is not None else None,
        "iterations": ITERATIONS,
    }
    model = replace(model, trained_on=MappingProxyType(trained_on))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(model_to_json(model), encoding="utf-8")
    print(f"chosen {trained_on}; {len(model.weights)} weights -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
