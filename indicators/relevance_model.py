"""A learned second look at an item's relevance and categories (issue 8).

Why: on real news the rules call about one ordinary item in a hundred and
twenty relevant and miss relevant items whose only terms are strong but not
enough for them; word-list rounds had stopped moving either. Which matched
words make a story a threat depends on their company (a special-forces
unit named in a parade report, "mines" in a demining story), which a small
linear model over *what the lexicon matched* learns from labelled news.

What it may do, so every tag stays explainable by matched words:
- the **gate** may drop a relevant verdict, and may make an item relevant
  only when a strong (not weak, not context) category term matched; such an
  item gets the categories the rules' own terms name once the context rules
  have judged them (weak and context terms too: "учения" where the exercise
  rule struck "акт терроризма" from the scenario), or, when the context rules
  left none, the categories of its strong terms; those terms are the evidence;
- the **category stage** may drop a category the rules gave (never an
  item's last threat category; ``online_platforms`` only when the rules gave
  it on generic words alone, "интернет", "канал", "followers", with no
  platform named: "канал сбыта оружия", "followers of Hizb ut-Tahrir" and
  "отключили связь и интернет" are no online channel of a threat, which the
  words' company tells); it adds none.

Features are the lexicon's evidence only (no raw text): the matched terms,
their categories, strength and place (title or not), the context-rule
triggers and false friends met, platforms, organizations and methods named,
the rules' verdict, the language. Logistic regression over hashed features
(`indicators.hashed_features`), trained by ``tools/train_relevance_model.py``
on the real-news tuning half and the development set's tuning half, shipped
as ``data/models/relevance.json`` (part of the lexicon's version).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from indicators import hashed_features as hashed

FORMAT = 1
MODEL_FILE = "models/relevance.json"  # under the data folder
PLATFORM_CATEGORY = "online_platforms"  # judged only when generic words alone gave it
_UNSCALED: frozenset[str] = frozenset()  # every group is a set of facts, valued 1


class RelevanceModelError(ValueError):
    """The model file is unreadable or not a relevance model of this format."""


@dataclass(frozen=True)
class CategoryTerm:
    """A matched category term (after overlaps are resolved, before context rules)."""

    category: str
    term: str
    weak: bool
    context: bool
    start: int
    end: int
    in_title: bool

    @property
    def strong(self) -> bool:
        return not self.weak and not self.context


@dataclass(frozen=True)
class Evidence:
    """What the lexicon matched in an item, as the model sees it."""

    terms: tuple[CategoryTerm, ...] = ()
    triggers: tuple[str, ...] = ()  # context rules whose trigger words occur
    false_friends: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    # the category terms left after the context rules (any strength): what a relevant
    # item would carry; not features (the rules' verdict and the triggers are)
    after_rules: tuple[CategoryTerm, ...] = ()

    def strong_categories(self) -> frozenset[str]:
        return frozenset(t.category for t in self.terms if t.strong)

    def evidence_if_relevant(self) -> tuple[CategoryTerm, ...]:
        """The terms an item the gate makes relevant carries: those the context rules
        left, else (they struck every one) the strong terms they were found with."""
        return self.after_rules or tuple(t for t in self.terms if t.strong)


@dataclass(frozen=True)
class RelevanceModel:
    """The gate's and the category stage's weights and thresholds."""

    bits: int
    gate_bias: float
    gate_weights: Mapping[int, float]
    drop_below: float  # a relevant verdict is dropped when p < drop_below (0: never)
    add_above: float  # an item with a strong term is made relevant when p > add_above (> 1: never)
    category_bias: float
    category_weights: Mapping[int, float]
    keep_at_least: float  # a rule category stays when p >= keep_at_least (0: always)
    trained_on: Mapping[str, Any]


@dataclass(frozen=True)
class Decision:
    relevant: bool
    categories: frozenset[str]


def item_features(
    lang: str, relevant: bool, rule_categories: Collection[str], ev: Evidence
) -> set[str]:
    """The item's lexicon features (the gate's only group; crossed with each category)."""
    count = hashed.count_bucket
    found = {f"lang:{lang}", f"rr:{int(relevant)}", f"nrc:{count(len(rule_categories))}"}
    strong: set[str] = set()
    weak: set[str] = set()
    for t in ev.terms:
        found.add(f"et:{t.term}")
        found.add(f"ec:{t.category}")
        (weak if t.weak else strong).add(t.category)
        if t.in_title:
            found.add(f"ect:{t.category}")
    found.update(f"ecs:{c}" for c in strong)
    found.update(f"ecw:{c}" for c in weak - strong)
    found.add(f"nstrong:{hashed.count_bucket(len(strong))}")
    found.add(f"nterms:{hashed.count_bucket(len({t.term for t in ev.terms}))}")
    found.update(f"rc:{c}" for c in rule_categories)
    found.update(f"tr:{t}" for t in ev.triggers)
    found.update(f"ff:{t}" for t in ev.false_friends)
    found.update(f"pl:{p}" for p in ev.platforms)
    found.update(f"ac:{a}" for a in ev.actors)
    found.update(f"me:{m}" for m in ev.methods)
    return found


def category_groups(
    category: str,
    features: set[str],
    relevant: bool,
    rule_categories: Collection[str],
    ev: Evidence,
) -> dict[str, set[str]]:
    """The features of one (item, category) pair, by group."""
    general = category_general(category, relevant, rule_categories, ev)
    return {"gen": general, f"genx:{category}": general, f"lexx:{category}": features}


def category_general(
    category: str, relevant: bool, rule_categories: Collection[str], ev: Evidence
) -> set[str]:
    """The pair's own features (the "gen" group, also crossed with the category)."""
    terms = [t for t in ev.terms if t.category == category]
    general = {
        "bias",
        f"rg:{int(category in rule_categories)}",
        f"str:{int(any(not t.weak for t in terms))}",
        f"ttl:{int(any(t.in_title for t in terms))}",
        f"nt:{hashed.count_bucket(len({t.term for t in terms}))}",
        f"rr:{int(relevant)}",
        f"nrc:{hashed.count_bucket(len(rule_categories))}",
    }
    general.update(f"oc:{c}" for c in rule_categories if c != category)
    general.update(f"t:{t.term}" for t in terms)
    return general


def gate_eligible(relevant: bool, ev: Evidence) -> bool:
    """The gate looks at relevant verdicts and at items with a strong category term."""
    return relevant or bool(ev.strong_categories())


def platform_judged(rule_categories: Collection[str], ev: Evidence) -> bool:
    """Whether the category stage judges the item's ``online_platforms``: only when the
    rules gave it on generic words alone ("интернет", "канал", "followers"), no platform
    named; a named platform in a threat item stays the rules' call."""
    if PLATFORM_CATEGORY not in rule_categories or ev.platforms:
        return False
    own = [t for t in ev.terms if t.category == PLATFORM_CATEGORY]
    return bool(own) and all(not t.strong for t in own)


def category_candidates(rule_categories: Collection[str], ev: Evidence) -> list[str]:
    """The (item, category) pairs the category stage is trained on; it decides on the
    rule categories among them."""
    found = (set(rule_categories) | ev.strong_categories()) - {PLATFORM_CATEGORY}
    if platform_judged(rule_categories, ev):
        found.add(PLATFORM_CATEGORY)
    return sorted(found)


def gate_probability(
    model: RelevanceModel, features: set[str], hashes: list[int] | None = None
) -> float:
    """The gate's p for an item's features (`hashes`: their token hashes, when known)."""
    if hashes is None:
        hashes = [hashed.token_hash(f) for f in features]
    mask = (1 << model.bits) - 1
    return hashed.sigmoid(
        model.gate_bias + hashed.score_hashed(model.gate_weights, hashes, "lex", mask)
    )


def category_probability(
    model: RelevanceModel,
    category: str,
    features: set[str],
    rules: frozenset[str],
    ev: Evidence,
    hashes: list[int] | None = None,
) -> float:
    """The category stage's p for one rule category: `category_groups` scored, with the
    item's features (crossed with the category) summed from their token hashes."""
    if hashes is None:
        hashes = [hashed.token_hash(f) for f in features]
    general = category_general(category, bool(rules), rules, ev)
    groups = {"gen": general, f"genx:{category}": general}
    weights = model.category_weights
    z = model.category_bias + hashed.partial_score(weights, groups, model.bits, _UNSCALED)
    z += hashed.score_hashed(weights, hashes, f"lexx:{category}", (1 << model.bits) - 1)
    return hashed.sigmoid(z)


@dataclass(frozen=True)
class Thresholds:
    drop_below: float  # 0: never drop
    add_above: float  # above 1: never add
    keep_at_least: float  # 0: the category stage keeps every rule category


def verdict(
    rules: frozenset[str],
    ev: Evidence,
    gate_p: Callable[[], float],
    category_p: Callable[[str], float],
    t: Thresholds,
) -> Decision:
    """The decision given the two stages' probabilities (the one decision logic, used
    by the tagger and by training's cross-validation alike)."""
    relevant = bool(rules)
    if not gate_eligible(relevant, ev):
        return Decision(relevant, rules)
    if not relevant:
        if t.add_above <= 1.0 and gate_p() > t.add_above:
            return Decision(True, frozenset(t.category for t in ev.evidence_if_relevant()))
        return Decision(False, frozenset())
    if t.drop_below > 0.0 and gate_p() < t.drop_below:
        return Decision(False, frozenset())
    threats = sorted(rules - {PLATFORM_CATEGORY})
    platform = rules & {PLATFORM_CATEGORY}
    judged = platform and threats and t.keep_at_least > 0.0 and platform_judged(rules, ev)
    if judged and category_p(PLATFORM_CATEGORY) < t.keep_at_least:
        platform = frozenset()
    if len(threats) < 2 or t.keep_at_least <= 0.0:  # a lone threat category always stays
        return Decision(True, frozenset(threats) | platform)
    scored = {c: category_p(c) for c in threats}
    kept = {c for c, q in scored.items() if q >= t.keep_at_least}
    if not kept:  # never an item without its likeliest threat category
        kept = {max(threats, key=lambda c: (scored[c], c))}
    return Decision(True, frozenset(kept) | platform)


def decide(
    model: RelevanceModel,
    lang: str,
    rule_categories: Collection[str],
    ev: Evidence,
    features: set[str] | None = None,
) -> Decision:
    """Relevance and categories after the model's look (see the module docstring).

    The item's features (`item_features`; passed in when the caller has them)
    are built and hashed once: the gate scores them as they are and the
    category stage crosses them with each category (`category_groups`' "lexx"
    group), which is the same sum with the category's salt.
    """
    rules = frozenset(rule_categories)
    cache: list[tuple[set[str], list[int]]] = []

    def item() -> tuple[set[str], list[int]]:
        if not cache:
            found = item_features(lang, bool(rules), rules, ev) if features is None else features
            cache.append((found, [hashed.token_hash(f) for f in found]))
        return cache[0]

    return verdict(
        rules,
        ev,
        lambda: gate_probability(model, *item()),
        lambda c: category_probability(model, c, item()[0], rules, ev, item()[1]),
        Thresholds(model.drop_below, model.add_above, model.keep_at_least),
    )


def load_relevance_model(data_dir: Path) -> RelevanceModel | None:
    """The data folder's relevance model, or None when it has none (the rules alone then)."""
    path = Path(data_dir) / MODEL_FILE
    return read_relevance_model(path) if path.is_file() else None


def read_relevance_model(path: Path) -> RelevanceModel:
    """The model stored at `path`; `RelevanceModelError` says what is wrong with it."""
    return model_from_json(hashed.read_model_json(path, MODEL_FILE, RelevanceModelError))


def model_from_json(raw: Any) -> RelevanceModel:
    """Check and build a model from its JSON form (written by `model_to_json`)."""
    try:
        if raw["format"] != FORMAT:
            raise RelevanceModelError(f"{MODEL_FILE}: format {raw['format']!r}, expected {FORMAT}")
        bits = int(raw["bits"])
        gate = {int(k): float(v) for k, v in raw["gate_weights"].items()}
        category = {int(k): float(v) for k, v in raw["category_weights"].items()}
        model = RelevanceModel(
            bits=bits,
            gate_bias=float(raw["gate_bias"]),
            gate_weights=gate,
            drop_below=float(raw["drop_below"]),
            add_above=float(raw["add_above"]),
            category_bias=float(raw["category_bias"]),
            category_weights=category,
            keep_at_least=float(raw["keep_at_least"]),
            trained_on=MappingProxyType(dict(raw.get("trained_on", {}))),
        )
    except RelevanceModelError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RelevanceModelError(f"{MODEL_FILE}: not a relevance model: {exc!r}") from exc
    hashed.check_buckets(bits, (*gate, *category), MODEL_FILE, RelevanceModelError)
    limits = (model.drop_below, model.keep_at_least, model.add_above)
    if not (0.0 <= limits[0] <= 1.0 and 0.0 <= limits[1] <= 1.0 and 0.0 <= limits[2] <= 1.01):
        raise RelevanceModelError(f"{MODEL_FILE}: thresholds must be probabilities")
    return model


def model_to_json(model: RelevanceModel) -> str:
    """The shipped form: sorted keys, one rounded weight per line."""
    body = {
        "format": FORMAT,
        "bits": model.bits,
        "gate_bias": round(model.gate_bias, 6),
        "drop_below": model.drop_below,
        "add_above": model.add_above,
        "category_bias": round(model.category_bias, 6),
        "keep_at_least": model.keep_at_least,
        "trained_on": dict(model.trained_on),
        "gate_weights": {str(k): round(v, 5) for k, v in sorted(model.gate_weights.items())},
        "category_weights": {
            str(k): round(v, 5) for k, v in sorted(model.category_weights.items())
        },
    }
    return json.dumps(body, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
