"""A learned second look at the regions the rules give a relevant item (issue 8).

Why: on real news the rules' regions were the weakest axis (F1 0.74 on the
held-out half) and word-list rounds had stopped moving it. Whether a named
place is where the event happened depends on the words around it ("a native
of Shymkent", "extradited from Turkey", "the court in Almaty"), which a small
linear model learns from the labelled tuning half better than hand rules do.

What it may do, so every region stays explainable: for each region the item
*names* (a gazetteer term matched in the text) or the rules gave, keep it or
drop it; it can add a named region the rules left out, never one without a
matched place name. The evidence of an added region is its matched mention.

The model is logistic regression over hashed features of one (item, region)
pair: what the rules did, the region's kind (Kazakh unit, ``KZ``, a
country), its mentions (how many, in the title, how early, the words just
before and after), the other places named, and the item's words. It is
trained by ``tools/train_region_model.py`` on the real-news tuning half and
shipped as ``data/models/regions.json`` (part of the lexicon's version, so a
new model re-tags). Inference is plain Python: the command-line tagger must
not load numpy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from indicators import hashed_features as hashed

FORMAT = 1
SCOPES = ("all", "foreign")  # which regions the model decides (see RegionModel.scope)
MODEL_FILE = "models/regions.json"  # under the data folder
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_CONTEXT_CHARS = 60  # how far before and after a mention its neighbour words are looked for
_SCALED = frozenset(
    {"ctx", "ctxk", "wordk"}
)  # text groups: unit length, so long items do not dominate


class RegionModelError(ValueError):
    """The model file is unreadable or not a region model of this format."""


@dataclass(frozen=True)
class Mention:
    """One matched place name: the region it names, the term, where, and whether weak."""

    region: str
    term: str
    start: int
    end: int
    weak: bool


@dataclass(frozen=True)
class RegionModel:
    """Weights by hashed feature, the decision thresholds and how features are built."""

    bits: int
    bias: float
    weights: Mapping[int, float]
    keep: float  # a region the rules gave stays when p >= keep
    add: float  # a named region the rules left out is added when p > add
    context_words: int
    item_words: bool
    trained_on: Mapping[str, Any]  # what produced it (corpus, half, items, hyperparameters)
    scope: str = "all"  # "foreign": Kazakhstan's own codes stay as the rules give them

    def decides(self, region: str) -> bool:
        """Whether the model looks at this region at all (else the rules' word stands)."""
        return self.scope == "all" or region_kind(region) == "foreign"


def region_kind(region: str) -> str:
    if region == "KZ":
        return "kz"
    return "unit" if region.startswith("KZ-") else "foreign"


def item_words(title: str, summary: str) -> tuple[str, ...]:
    """The item's distinct lower-cased words, for the item-words feature group."""
    text = _SPACE.sub(" ", f"{title} | {summary}".lower())
    return tuple(dict.fromkeys(_WORD.findall(text)))


def feature_groups(
    region: str,
    text: str,
    title_len: int,
    lang: str,
    mentions: Sequence[Mention],
    rule_regions: Iterable[str],
    *,
    context_words: int,
    words: Sequence[str] = (),
) -> dict[str, set[str]]:
    """The features of one (item, region) pair, by group, as text (hashed by `features`).

    `mentions` are every matched place name of the item (of any region);
    `text` is `tagged_text(title, summary)`, which their spans index.
    """
    own = [m for m in mentions if m.region == region]
    rules = set(rule_regions)
    kind = region_kind(region)
    named = {m.region for m in mentions} | rules
    first = min((m.start for m in own), default=-1)
    starts = sorted({m.start for m in mentions})
    if first < 0:
        position = "none"
    elif first < title_len:
        position = "t"
    else:
        position = str(min(4, (first - title_len) // 80))
    general = {
        "bias",
        f"rg:{int(region in rules)}",
        f"kind:{kind}",
        f"rid:{region}",
        f"lang:{lang}",
        f"nm:{hashed.count_bucket(len(own))}",
        f"ttl:{int(any(m.start < title_len for m in own))}",
        f"weak:{int(bool(own) and all(m.weak for m in own))}",
        f"nu:{hashed.count_bucket(sum(1 for r in named if r.startswith('KZ-')))}",
        f"nf:{hashed.count_bucket(sum(1 for r in named if region_kind(r) == 'foreign'))}",
        f"pos:{position}",
        f"rank:{hashed.count_bucket(starts.index(first) if first >= 0 else 9)}",
    }
    general.update(f"term:{m.term}" for m in own)
    context: set[str] = set()
    for m in own:
        before = _WORD.findall(text[max(0, m.start - _CONTEXT_CHARS) : m.start].lower())
        after = _WORD.findall(text[m.end : m.end + _CONTEXT_CHARS].lower())
        before, after = before[-context_words:], after[:context_words]
        context.update(f"L:{w}" for w in before)
        context.update(f"R:{w}" for w in after)
        if before:
            context.add(f"L1:{before[-1]}")
        if after:
            context.add(f"R1:{after[0]}")
    groups = {"gen": general, f"genk:{kind}": general, "ctx": context, f"ctxk:{kind}": context}
    if words:
        groups[f"wordk:{kind}"] = set(words)
    return groups


def features(groups: Mapping[str, set[str]], bits: int) -> dict[int, float]:
    """Hashed feature vector: bucket -> value (text groups scaled to unit length)."""
    return hashed.vector(groups, bits, _SCALED)


def candidates(mentions: Iterable[Mention], rule_regions: Iterable[str]) -> list[str]:
    """The regions the model looks at: every region named in the text or given by the rules."""
    return sorted({m.region for m in mentions} | set(rule_regions))


def choose_regions(
    model: RegionModel,
    title: str,
    text: str,
    lang: str,
    mentions: Sequence[Mention],
    rule_regions: Sequence[str],
) -> set[str]:
    """The regions of a relevant item after the model's look (see the module docstring).

    A Kazakh unit makes ``KZ`` redundant, as in the rules.
    """
    words = item_words(title, text[len(title) + 1 :]) if model.item_words else ()
    by_kind: dict[str, float] = {}  # the item words' share of the score, per region kind
    chosen: set[str] = set()
    for region in candidates(mentions, rule_regions):
        if not model.decides(region):
            if region in rule_regions:
                chosen.add(region)
            continue
        groups = feature_groups(
            region,
            text,
            len(title),
            lang,
            mentions,
            rule_regions,
            context_words=model.context_words,
        )
        z = model.bias + _partial(model, groups)
        if words:
            kind = region_kind(region)
            if kind not in by_kind:  # the same for every region of a kind: summed once
                by_kind[kind] = _partial(model, {f"wordk:{kind}": words})
            z += by_kind[kind]
        p = hashed.sigmoid(z)
        if (p >= model.keep) if region in rule_regions else (p > model.add):
            chosen.add(region)
    if any(r.startswith("KZ-") for r in chosen):
        chosen.discard("KZ")
    return chosen


def _partial(model: RegionModel, groups: Mapping[str, Collection[str]]) -> float:
    """These groups' share of the score (what `features` would give, without the vector)."""
    return hashed.partial_score(model.weights, groups, model.bits, _SCALED)


def load_region_model(data_dir: Path) -> RegionModel | None:
    """The data folder's region model, or None when it has none (the rules alone then)."""
    path = Path(data_dir) / MODEL_FILE
    return read_region_model(path) if path.is_file() else None


def read_region_model(path: Path) -> RegionModel:
    """The model stored at `path`; `RegionModelError` says what is wrong with it."""
    return model_from_json(hashed.read_model_json(path, MODEL_FILE, RegionModelError))


def model_from_json(raw: Any) -> RegionModel:
    """Check and build a model from its JSON form (written by `model_to_json`)."""
    try:
        if raw["format"] != FORMAT:
            raise RegionModelError(f"{MODEL_FILE}: format {raw['format']!r}, expected {FORMAT}")
        bits = int(raw["bits"])
        weights = {int(k): float(v) for k, v in raw["weights"].items()}
        model = RegionModel(
            bits=bits,
            bias=float(raw["bias"]),
            weights=weights,  # a plain dict: read-only by convention, faster to look up
            keep=float(raw["keep"]),
            add=float(raw["add"]),
            context_words=int(raw["context_words"]),
            item_words=bool(raw["item_words"]),
            trained_on=MappingProxyType(dict(raw.get("trained_on", {}))),
            scope=str(raw.get("scope", "all")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, RegionModelError):
            raise
        raise RegionModelError(f"{MODEL_FILE}: not a region model: {exc!r}") from exc
    hashed.check_buckets(bits, weights, MODEL_FILE, RegionModelError)
    if model.scope not in SCOPES:
        raise RegionModelError(f"{MODEL_FILE}: scope must be one of {', '.join(SCOPES)}")
    if not (0.0 <= model.keep <= 1.0 and 0.0 <= model.add <= 1.01):
        raise RegionModelError(f"{MODEL_FILE}: thresholds must be probabilities")
    return model


def model_to_json(model: RegionModel) -> str:
    """The shipped form: sorted keys, one rounded weight per line (a retrain diffs line by line)."""
    body = {
        "format": FORMAT,
        "bits": model.bits,
        "bias": round(model.bias, 6),
        "keep": model.keep,
        "add": model.add,
        "context_words": model.context_words,
        "item_words": model.item_words,
        "scope": model.scope,
        "trained_on": dict(model.trained_on),
        "weights": {str(k): round(v, 5) for k, v in sorted(model.weights.items())},
    }
    return json.dumps(body, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
