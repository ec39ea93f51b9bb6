"""The relevance model: what its gate and category stage may change, its file, its refit.

It takes a second look at an item's relevance and categories
(indicators/relevance_model.py): it may drop a relevant verdict or a rule
category, make relevant only an item with a strong category term, touches
online_platforms only when generic words alone gave it, and never leaves an
item without a threat category. Its
file is part of the lexicon's version, and the shipped model is what
`make model` fits on the tuning halves.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from types import MappingProxyType

import pytest

from indicators import hashed_features as hashed
from indicators import relevance_model as rel
from indicators.lexicon import LexiconError, check_lexicon, load_compiled
from indicators.models import tagged_text
from indicators.relevance_model import CategoryTerm, Evidence, RelevanceModel, Thresholds, verdict
from indicators.tagger import item_evidence, tag
from tools import train_relevance_model

DATA = Path(__file__).resolve().parents[2] / "data"
BITS = 18
MASK = (1 << BITS) - 1


def model(gate_bias: float = 0.0, cat_bias: float = 5.0, *, drop: float = 0.5, add: float = 0.5,
          keep: float = 0.5, gate: dict[int, float] | None = None,
          cats: dict[int, float] | None = None) -> RelevanceModel:  # fmt: skip
    return RelevanceModel(BITS, gate_bias, gate or {}, drop, add, cat_bias, cats or {}, keep,
                          MappingProxyType({}))  # fmt: skip


def term(category: str, *, weak: bool = False, context: bool = False) -> CategoryTerm:
    return CategoryTerm(category, f"{category}-term", weak, context, 0, 5, True)


def always(p: float):
    return lambda *_: p


@pytest.fixture(scope="module")
def lexicon():
    return load_compiled(DATA)


def test_the_gate_drops_a_relevant_verdict_below_its_threshold() -> None:
    ev = Evidence(terms=(term("terrorist_activity"),))
    rules = frozenset({"terrorist_activity"})
    t = Thresholds(0.5, 1.01, 0.0)
    assert verdict(rules, ev, always(0.4), always(1.0), t).relevant is False
    assert verdict(rules, ev, always(0.6), always(1.0), t).categories == rules


def test_only_a_strong_term_lets_the_gate_make_an_item_relevant() -> None:
    t = Thresholds(0.0, 0.5, 0.0)
    weak = Evidence(terms=(term("tactics_methods", weak=True), term("cyber_threats", context=True)))
    assert verdict(frozenset(), weak, always(0.99), always(1.0), t).relevant is False
    strong = Evidence(terms=(term("tactics_methods"), term("cyber_threats", weak=True)))
    got = verdict(frozenset(), strong, always(0.99), always(1.0), t)
    assert got.relevant and got.categories == {"tactics_methods"}  # its strong terms' categories
    assert verdict(frozenset(), strong, always(0.4), always(1.0), t).relevant is False


def test_an_item_the_gate_makes_relevant_carries_what_the_context_rules_left() -> None:
    # the exercise rule struck the scripted attack ("условный акт терроризма"); the
    # exercise word it left decides the category, not the struck strong term
    t = Thresholds(0.0, 0.5, 0.0)
    ev = Evidence(
        terms=(term("terrorist_activity"), term("counter_measures", context=True)),
        after_rules=(term("counter_measures", context=True),),
    )
    assert verdict(frozenset(), ev, always(0.99), always(1.0), t).categories == {"counter_measures"}
    struck_all = dataclasses.replace(ev, after_rules=())
    got = verdict(frozenset(), struck_all, always(0.99), always(1.0), t)
    assert got.categories == {"terrorist_activity"}  # nothing left: its strong terms


def test_the_category_stage_keeps_platforms_and_at_least_one_threat() -> None:
    rules = frozenset({"terrorist_activity", "extremist_ideology", "online_platforms"})
    ev = Evidence(terms=(term("terrorist_activity"), term("extremist_ideology")))
    low = {"terrorist_activity": 0.2, "extremist_ideology": 0.3}
    got = verdict(rules, ev, always(0.9), low.__getitem__, Thresholds(0.5, 1.01, 0.5))
    assert got.categories == {"extremist_ideology", "online_platforms"}
    mixed = {"terrorist_activity": 0.8, "extremist_ideology": 0.3}
    got = verdict(rules, ev, always(0.9), mixed.__getitem__, Thresholds(0.5, 1.01, 0.5))
    assert got.categories == {"terrorist_activity", "online_platforms"}


def test_online_platforms_on_generic_words_alone_is_judged_a_named_platform_is_not() -> None:
    rules = frozenset({"terrorist_activity", "online_platforms"})
    generic = Evidence(terms=(term("terrorist_activity"), term("online_platforms", context=True)))
    low = {"terrorist_activity": 0.9, "online_platforms": 0.1}
    t = Thresholds(0.5, 1.01, 0.5)
    assert rel.platform_judged(rules, generic)
    assert verdict(rules, generic, always(0.9), low.__getitem__, t).categories == {
        "terrorist_activity"
    }
    high = {"terrorist_activity": 0.9, "online_platforms": 0.7}
    assert verdict(rules, generic, always(0.9), high.__getitem__, t).categories == rules
    named = dataclasses.replace(generic, platforms=("telegram",))
    assert not rel.platform_judged(rules, named)
    assert verdict(rules, named, always(0.9), low.__getitem__, t).categories == rules
    strong = Evidence(terms=(term("terrorist_activity"), term("online_platforms")))
    assert not rel.platform_judged(rules, strong)  # "экстремистский канал" is the rules' call
    alone = frozenset({"online_platforms"})  # never dropped into an item with no category
    only = Evidence(terms=(term("online_platforms", context=True),))
    assert verdict(alone, only, always(0.9), low.__getitem__, t).categories == alone
    assert "online_platforms" in rel.category_candidates(rules, generic)
    assert "online_platforms" not in rel.category_candidates(rules, named)


def test_in_the_tagger_a_dropped_verdict_claims_nothing_and_a_kept_one_keeps_its_evidence(
    lexicon,
) -> None:
    title = "В Алматы задержан вербовщик террористической организации"
    rules = dataclasses.replace(lexicon, relevance_model=None)
    before = tag(title, "", rules, lang="ru")
    assert before.relevant
    sinking = dataclasses.replace(lexicon, relevance_model=model(gate_bias=-9))
    dropped = tag(title, "", sinking, lang="ru")
    assert not dropped.relevant and dropped.categories == ()
    assert not [m for m in dropped.matches if m.axis != "region"]
    keeping = dataclasses.replace(lexicon, relevance_model=model(gate_bias=9))
    kept = tag(title, "", keeping, lang="ru")
    assert kept.categories == before.categories
    text = tagged_text(title, "")
    for c in kept.categories:
        assert [
            m for m in kept.matches if m.axis == "category" and m.id == c and text[m.start : m.end]
        ]


def test_a_category_the_stage_drops_loses_its_evidence_in_the_tagger(lexicon) -> None:
    title = "Вербовщик ИГИЛ в Telegram призывал к теракту и джихаду"
    rules = tag(title, "", dataclasses.replace(lexicon, relevance_model=None), lang="ru")
    assert {"terrorist_activity", "extremist_ideology"} <= set(rules.categories)
    sink = {hashed.bucket("genx:extremist_ideology", "bias", MASK): -20.0}
    picky = model(gate_bias=9, cat_bias=3, keep=0.5, cats=sink)
    tags = tag(title, "", dataclasses.replace(lexicon, relevance_model=picky), lang="ru")
    assert "extremist_ideology" not in tags.categories
    assert "terrorist_activity" in tags.categories
    assert not [m for m in tags.matches if m.axis == "category" and m.id == "extremist_ideology"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, "format 2"),
        ({"gate_weights": {str(1 << 20): 1.0}}, "outside 18 bits"),
        ({"drop_below": 1.5}, "probabilities"),
        ({"gate_bias": "high"}, "not a relevance model"),
    ],
)
def test_a_broken_model_file_is_refused_with_the_reason(change, message) -> None:
    raw = json.loads(rel.model_to_json(model()))
    raw.update(change)
    with pytest.raises(rel.RelevanceModelError, match=message):
        rel.model_from_json(raw)


def test_the_model_file_is_part_of_the_lexicon_and_checked_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    path = folder / rel.MODEL_FILE
    before = load_compiled(folder).version
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["drop_below"] = 0.45 if raw["drop_below"] != 0.45 else 0.4
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert load_compiled(folder).version != before
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"models/relevance\.json"):
        load_compiled(folder)
    assert [p.file for p in check_lexicon(folder) if p.severity == "error"] == [rel.MODEL_FILE]
    path.unlink()
    assert load_compiled(folder).relevance_model is None


def test_the_shipped_model_is_what_make_model_fits_on_the_tuning_halves(tmp_path: Path) -> None:
    shipped = rel.read_relevance_model(DATA / rel.MODEL_FILE)
    out = tmp_path / "relevance.json"
    shutil.copy(DATA / rel.MODEL_FILE, out)
    assert train_relevance_model.main(["--no-cv", "--out", str(out)]) == 0
    refit = rel.read_relevance_model(out)
    assert dict(refit.trained_on) == dict(shipped.trained_on), "run `make model`: stale model"
    for mine, theirs in ((refit.gate_weights, shipped.gate_weights),
                         (refit.category_weights, shipped.category_weights)):  # fmt: skip
        drift = max(abs(mine.get(k, 0.0) - theirs.get(k, 0.0)) for k in set(mine) | set(theirs))
        assert drift < 1e-3, "run `make model`: the shipped weights are not what the data give"


def test_an_item_the_gate_leaves_not_relevant_is_exactly_the_rules_verdict(lexicon) -> None:
    title = "На учениях условные террористы захватили школу в Алматы"  # a drill: the rules say no
    rules = lexicon.rules_only()
    before = tag(title, "", rules, lang="ru")
    assert not before.relevant and before.regions == ("KZ-75",)
    never = dataclasses.replace(rules, relevance_model=model(gate_bias=-9))
    assert tag(title, "", never, lang="ru") == before
    eager = dataclasses.replace(rules, relevance_model=model(gate_bias=9, add=0.5))
    added = tag(title, "", eager, lang="ru")
    # made relevant by its strong term, it carries what the exercise rule left of the
    # item: the drill, not the scripted attack ("террористы", struck by the rule)
    assert "terrorist_activity" in item_evidence(title, "", rules, "ru").strong_categories()
    assert added.categories == ("counter_measures",)
    said = {title[m.start : m.end] for m in added.matches if m.axis == "category"}
    assert said == {"учениях"}


def test_the_tagger_scores_exactly_what_training_fits(lexicon) -> None:
    """Inference sums the weights of each token's bucket from hashes computed once per item;
    training builds the feature vector (`hashed.vector`). Both give the same p."""
    from tools.evaluate import load_devset

    shipped = lexicon.relevance_model
    rules_only = lexicon.rules_only()
    checked = 0
    for item in load_devset(DATA.parent / "tests/eval/devset.jsonl")[:120]:
        got = tag(item.title, item.summary, rules_only, lang=item.lang)
        ev = item_evidence(item.title, item.summary, rules_only, item.lang)
        rules = frozenset(got.categories) if got.relevant else frozenset()
        feats = rel.item_features(item.lang, bool(rules), rules, ev)
        vec = hashed.vector({"lex": feats}, BITS, frozenset())
        z = shipped.gate_bias + sum(shipped.gate_weights.get(k, 0.0) * v for k, v in vec.items())
        assert rel.gate_probability(shipped, feats) == pytest.approx(hashed.sigmoid(z), abs=1e-12)
        for c in sorted(rules):
            groups = rel.category_groups(c, feats, bool(rules), rules, ev)
            vec = hashed.vector(groups, BITS, frozenset())
            weights = shipped.category_weights
            z = shipped.category_bias + sum(weights.get(k, 0.0) * v for k, v in vec.items())
            p = rel.category_probability(shipped, c, feats, rules, ev)
            assert p == pytest.approx(hashed.sigmoid(z), abs=1e-12)
            checked += 1
    assert checked > 50
