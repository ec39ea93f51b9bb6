"""The tagger's verdicts on the tuning half as if each item had not been trained on.

The three learned stages (relevance, categories, regions) are fitted on the
real-news tuning half, so the tagger's errors *there* are mostly the ones the
models could not memorize: a lexicon round driven by them chases errors the
held-out half does not have, and misses the ones it does. This refits the
three models k times, each time without one fold of the tuning half (with the
shipped models' hyperparameters, as `make model --no-cv` would), and tags that
fold's items with the lexicon and the models that never saw them. The
result is the held-out half's kind of error, read on items that may be
looked at: what `bench/eval.py --split tune --out-of-fold` prints.

The folds are the relevance and category trainers' (`item_fold`, by URL hash);
the development set's even half stays in every fold's training data, as it
does in `make model`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from indicators.lexicon import CompiledLexicon
from indicators.models import Tags
from indicators.stopwords import load_stop_words
from indicators.tagger import tag
from indicators.taxonomy import CATEGORY_IDS
from tools import train_category_model as categories
from tools import train_region_model as regions
from tools import train_relevance_model as relevance
from tools.evaluate import DevItem
from tools.logistic import fit


def _chosen(trained_on: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {key: trained_on.get(key) for key in keys}


def fold_models(
    compiled: CompiledLexicon,
    data_dir: Path,
    tune: Sequence[DevItem],
    dev: Sequence[DevItem],
    held: int,
    folds: int,
) -> CompiledLexicon:
    """`compiled` with its three models refitted without fold `held` of `tune`."""
    shipped = (compiled.relevance_model, compiled.category_model, compiled.region_model)
    if any(model is None for model in shipped):
        raise ValueError("out-of-fold verdicts need the three shipped models (make model)")
    assert compiled.relevance_model and compiled.category_model and compiled.region_model
    train = [it for it in tune if relevance.item_fold(it, folds) != held]

    rel_chosen = _chosen(
        compiled.relevance_model.trained_on,
        (*relevance.HYPERPARAMETERS, "f1_relevance", "f1_categories"),
    )
    rel_exs = relevance.examples(train, "realnews", data_dir) + relevance.examples(
        dev, "devset", data_dir
    )
    rel_model = relevance.train(rel_exs, rel_chosen)

    reg_on = compiled.region_model.trained_on
    cfg = regions.FEATURE_SETS[str(reg_on["features"])]
    rows, labels = regions.training_set(regions.examples(train, compiled), cfg)
    weights, bias = fit(rows, labels, float(reg_on["lambda"]))
    reg_model = regions.model_of(weights, bias, float(reg_on["keep"]), float(reg_on["add"]), cfg)
    reg_model = replace(reg_model, scope=str(reg_on["scope"]))

    before = replace(
        compiled, relevance_model=rel_model, region_model=reg_model, category_model=None
    )
    threats = tuple(c for c in CATEGORY_IDS if c != categories.PLATFORM_CATEGORY)
    unweighed = categories.unweighed_stems(load_stop_words(data_dir))
    cat_exs = categories.examples(
        train, "realnews", before, threats, unweighed
    ) + categories.examples(dev, "devset", before, threats, unweighed)
    cat_chosen = _chosen(
        compiled.category_model.trained_on, (*categories.HYPERPARAMETERS, "f1_categories")
    )
    cat_model = categories.train(cat_exs, cat_chosen, threats)
    return replace(before, category_model=cat_model)


def out_of_fold_verdicts(
    compiled: CompiledLexicon,
    data_dir: Path,
    tune: Sequence[DevItem],
    dev: Sequence[DevItem],
    folds: int = 5,
) -> dict[str, Tags]:
    """Item id -> the tagger's verdict with models fitted without the item's fold."""
    verdicts: dict[str, Tags] = {}
    for held in range(folds):
        lexicon = fold_models(compiled, data_dir, tune, dev, held, folds)
        for item in tune:
            if relevance.item_fold(item, folds) == held:
                verdicts[item.id] = tag(item.title, item.summary, lexicon, lang=item.lang)
    return verdicts
