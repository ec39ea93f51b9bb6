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
does in `make model`. `paired_out_of_fold_verdicts` tags the same items with
two lexicons under the models fitted on the first, so that a lexicon change is
judged by what it changes, not by how a refit moves borderline items.
`learning_curve` fits the same three stages on growing parts of the tuning
half, so the held-out half shows what more labelled news would still buy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from indicators.lexicon import CompiledLexicon
from indicators.models import Tags
from indicators.stopwords import load_stop_words
from indicators.tagger import tag
from indicators.taxonomy import CATEGORY_IDS
from tools import train_category_model as categories
from tools import train_region_model as regions
from tools import train_relevance_model as relevance
from tools.evaluate import DevItem


@dataclass(frozen=True)
class _RulesExamples:
    """What the relevance and region trainers learn from: the rules' verdicts, the same
    whichever fold is held out, so they are computed once for all the folds."""

    relevance_tune: list[relevance.Example]
    relevance_dev: list[relevance.Example]
    regions_tune: list[regions.Example]

    @classmethod
    def of(
        cls,
        compiled: CompiledLexicon,
        data_dir: Path,
        tune: Sequence[DevItem],
        dev: Sequence[DevItem],
    ) -> _RulesExamples:
        return cls(
            relevance.examples(tune, "realnews", data_dir),
            relevance.examples(dev, "devset", data_dir),
            regions.examples(tune, compiled),
        )


def fold_models(
    compiled: CompiledLexicon,
    data_dir: Path,
    tune: Sequence[DevItem],
    dev: Sequence[DevItem],
    held: int,
    folds: int,
    prepared: _RulesExamples | None = None,
) -> CompiledLexicon:
    """`compiled` with its three models refitted without fold `held` of `tune`."""

    def kept(item: DevItem) -> bool:
        return relevance.item_fold(item, folds) != held

    return models_fitted_on(compiled, data_dir, tune, dev, kept, prepared)


def models_fitted_on(
    compiled: CompiledLexicon,
    data_dir: Path,
    tune: Sequence[DevItem],
    dev: Sequence[DevItem],
    kept: Callable[[DevItem], bool],
    prepared: _RulesExamples | None = None,
) -> CompiledLexicon:
    """`compiled` with its three models refitted on the items of `tune` that `kept` accepts.

    The development set's tuning half (`dev`) is in every fit, as in `make model`;
    the hyperparameters are the shipped models' own.
    """
    rel, cat, reg = compiled.relevance_model, compiled.category_model, compiled.region_model
    if rel is None or cat is None or reg is None:
        raise ValueError("out-of-fold verdicts need the three shipped models (make model)")
    rules = prepared or _RulesExamples.of(compiled, data_dir, tune, dev)

    rel_exs = [ex for ex in rules.relevance_tune if kept(ex.item)] + rules.relevance_dev
    rel_model = relevance.train(rel_exs, relevance.kept_hyperparameters(rel.trained_on))
    reg_exs = [ex for ex in rules.regions_tune if kept(ex.item)]
    reg_model = regions.train(reg_exs, regions.kept_hyperparameters(reg.trained_on))

    # The category model learns from the tagger with the other two stages: this fit's.
    before = replace(
        compiled, relevance_model=rel_model, region_model=reg_model, category_model=None
    )
    threats = tuple(c for c in CATEGORY_IDS if c != categories.PLATFORM_CATEGORY)
    unweighed = categories.unweighed_stems(load_stop_words(data_dir))
    train = [item for item in tune if kept(item)]
    cat_exs = categories.examples(
        train, "realnews", before, threats, unweighed
    ) + categories.examples(dev, "devset", before, threats, unweighed)
    cat_model = categories.train(cat_exs, categories.kept_hyperparameters(cat.trained_on), threats)
    return replace(before, category_model=cat_model)


def learning_curve(
    compiled: CompiledLexicon,
    data_dir: Path,
    tune: Sequence[DevItem],
    dev: Sequence[DevItem],
    parts: int,
) -> Iterator[tuple[int, int, CompiledLexicon]]:
    """(k, items fitted on, `compiled` with its models refitted on k of `parts` parts of
    `tune`) for k = 1 .. `parts`, the parts cut by the trainers' own URL hash.

    Why: whether labelling more news would still pay. Scoring each fit on the
    held-out half shows how much the learned stages gained from the last
    parts; a curve that has flattened says the next gains must come from
    elsewhere. The last fit is the shipped one (`make model-refit`).
    """
    if parts < 2:
        raise ValueError("a learning curve needs at least 2 parts")
    prepared = _RulesExamples.of(compiled, data_dir, tune, dev)
    for k in range(1, parts + 1):

        def kept(item: DevItem, k: int = k) -> bool:
            return relevance.item_fold(item, parts) < k

        size = sum(map(kept, tune))
        yield k, size, models_fitted_on(compiled, data_dir, tune, dev, kept, prepared)


def out_of_fold_verdicts(
    compiled: CompiledLexicon,
    data_dir: Path,
    tune: Sequence[DevItem],
    dev: Sequence[DevItem],
    folds: int = 5,
) -> dict[str, Tags]:
    """Item id -> the tagger's verdict with models fitted without the item's fold."""
    return paired_out_of_fold_verdicts(compiled, data_dir, compiled, tune, dev, folds)[1]


def paired_out_of_fold_verdicts(
    base: CompiledLexicon,
    base_dir: Path,
    changed: CompiledLexicon,
    tune: Sequence[DevItem],
    dev: Sequence[DevItem],
    folds: int = 5,
) -> tuple[dict[str, Tags], dict[str, Tags]]:
    """Out-of-fold verdicts of two lexicons under the same models: those `base` fits.

    Why: refitting the models for each lexicon moves a few borderline items
    whatever the change (a feature's weight shifts, an item crosses a
    threshold), which on a quarter of the tuning half is as much as a small
    lexicon change is worth. With the models held fixed, an item's verdict can
    differ only where the lexicon's change touches its text, so comparing the
    two tells what the change itself does. Returns (base verdicts, `changed`'s).
    """
    before: dict[str, Tags] = {}
    after: dict[str, Tags] = {}
    prepared = _RulesExamples.of(base, base_dir, tune, dev)
    for held in range(folds):
        fitted = fold_models(base, base_dir, tune, dev, held, folds, prepared)
        other = (
            fitted
            if changed is base
            else replace(
                changed,
                relevance_model=fitted.relevance_model,
                region_model=fitted.region_model,
                category_model=fitted.category_model,
            )
        )
        for item in tune:
            if relevance.item_fold(item, folds) == held:
                before[item.id] = tag(item.title, item.summary, fitted, lang=item.lang)
                after[item.id] = (
                    before[item.id]
                    if other is fitted
                    else tag(item.title, item.summary, other, lang=item.lang)
                )
    return before, after
