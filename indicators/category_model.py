"""A learned look for the threat categories a relevant item is missing (issue 8).

Why: on real news most categories the rules miss on a relevant item have no
term of that category in it at all. A repatriation story says "вернули детей
из Ирака", not "противодействие терроризму"; a joint operation of two
countries' services is international cooperation without the word. Word
lists cannot carry such everyday words (they would fire on every ordinary
story), but once an item is already relevant they are informative, which a
linear model over the item's words and the lexicon's evidence learns from
labelled news.

What it may do, so every tag stays explainable by words of the item:
- **add** a threat category (one of the model's ``categories``; never
  ``online_platforms``, which the rules decide) to an item that is already
  relevant; it never makes an item relevant and never removes anything;
- an added category's evidence is the item's words that pushed it most (up
  to ``EVIDENCE_WORDS``, each with a positive weight for that category), so
  the analyst sees which words caused it; without such a word there is no
  addition, whatever the probability.

Features: the item's words cut to their first ``STEM_CHARS`` letters (one
crude stem that serves Russian, Kazakh and English inflection alike), the
relevance model's lexicon features of the item (`relevance_model.item_features`),
each crossed with the candidate category, and a per-category bias. Stop words
(`data/stopwords`) that are whole stems get no weight: the trainer leaves
them out, so "the" or "что" can neither add a category nor explain one. Trained by
``tools/train_category_model.py`` on the tuning halves, shipped as
``data/models/categories.json`` (part of the lexicon's version). Its weights
are stored by word, not hashed: an analyst can read which words push which
category, and the tagger looks each word up once for all categories (a
third of the cost of a lookup per word and category).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from indicators.hashed_features import read_model_json, sigmoid
from indicators.relevance_model import PLATFORM_CATEGORY, Evidence, item_features
from indicators.taxonomy import CATEGORY_IDS

FORMAT = 1
MODEL_FILE = "models/categories.json"  # under the data folder
STEM_CHARS = 6
MIN_WORD_CHARS = 3  # shorter words are particles and prepositions in all three languages
EVIDENCE_WORDS = 3
_LONG_WORD = re.compile(rf"\w{{{MIN_WORD_CHARS},}}")
# a word's stem as the regex's one group, pure numbers left out: the whole cut in C
_STEM = re.compile(rf"(?<!\w)(?!\d+(?!\w))(\w{{{MIN_WORD_CHARS},{STEM_CHARS}}})\w*")

Weights = Mapping[str, tuple[float, ...]]  # token -> its weight for each of `categories`


class CategoryModelError(ValueError):
    """The model file is unreadable or not a category model of this format."""


@dataclass(frozen=True)
class CategoryModel:
    bias: Mapping[str, float]  # per category
    words: Weights  # item word stems
    features: Weights  # the lexicon's features of the item
    add_above: float  # a category is added when p > add_above (> 1: never)
    categories: tuple[str, ...]  # the categories it may add
    trained_on: Mapping[str, Any]

    def word_weight(self, category: str, stem: str) -> float:
        weights = self.words.get(stem)
        return weights[self.categories.index(category)] if weights else 0.0


@dataclass(frozen=True)
class Addition:
    category: str
    p: float
    stems: tuple[str, ...]  # the evidence, strongest first


def item_words(text: str) -> tuple[str, ...]:
    """The distinct stems of `text`, in order of first occurrence (digits left out)."""
    return tuple(dict.fromkeys(_STEM.findall(text.lower())))


def word_span(text: str, stem: str) -> tuple[int, int] | None:
    """Where the first word of `text` with this stem stands (None: no such word)."""
    for m in _LONG_WORD.finditer(text):
        if _STEM.findall(m.group().lower()) == [stem]:
            return m.start(), m.end()
    return None


def lexicon_features(lang: str, categories: Collection[str], ev: Evidence) -> set[str]:
    """The lexicon's evidence of a relevant item carrying `categories` (the gate's features)."""
    return item_features(lang, True, categories, ev)


def candidates(model: CategoryModel, categories: Collection[str]) -> list[str]:
    """The categories the model may add to an item carrying `categories`."""
    return [c for c in model.categories if c not in categories and c != PLATFORM_CATEGORY]


def linear_scores(
    model: CategoryModel, todo: Iterable[str], stems: Iterable[str], features: Iterable[str]
) -> dict[str, float]:
    """Each candidate's linear score: its bias plus the weights of the item's tokens
    (one lookup per token; the per-category sums run in C)."""
    rows = [w for w in map(model.words.get, stems) if w]
    rows += [w for w in map(model.features.get, features) if w]
    totals = [sum(col) for col in zip(*rows, strict=True)] if rows else []
    wanted = set(todo)
    return {
        c: model.bias.get(c, 0.0) + (totals[i] if totals else 0.0)
        for i, c in enumerate(model.categories)
        if c in wanted
    }


def evidence_words(model: CategoryModel, category: str, stems: Sequence[str]) -> tuple[str, ...]:
    """The stems with the largest positive weights for `category`, strongest first
    (ties: earlier in the text)."""
    scored = []
    for order, stem in enumerate(stems):
        w = model.word_weight(category, stem)
        if w > 0.0:
            scored.append((-w, order, stem))
    scored.sort()
    return tuple(stem for _w, _order, stem in scored[:EVIDENCE_WORDS])


def additions(
    model: CategoryModel,
    categories: Collection[str],
    stems: Sequence[str],
    features: Collection[str],
) -> list[Addition]:
    """The categories to add to a relevant item carrying `categories`, with their words
    (`stems`: `item_words`; `features`: `lexicon_features`)."""
    todo = candidates(model, categories)
    if not todo or model.add_above > 1.0:
        return []
    out = []
    for category, z in linear_scores(model, todo, stems, features).items():
        p = sigmoid(z)
        if p > model.add_above:
            said = evidence_words(model, category, stems)
            if said:
                out.append(Addition(category, p, said))
    return out


def load_category_model(data_dir: Path) -> CategoryModel | None:
    """The data folder's category model, or None when it has none (nothing is added)."""
    path = Path(data_dir) / MODEL_FILE
    return read_category_model(path) if path.is_file() else None


def read_category_model(path: Path) -> CategoryModel:
    """The model stored at `path`; `CategoryModelError` says what is wrong with it."""
    return model_from_json(read_model_json(path, MODEL_FILE, CategoryModelError))


def _table(raw: Mapping[str, Mapping[str, Any]], categories: Sequence[str]) -> Weights:
    """token -> {category: weight} as stored, to weights aligned with `categories`."""
    out = {}
    for token, by_category in raw.items():
        unknown = sorted(set(by_category) - set(categories))
        if unknown:
            raise CategoryModelError(f"{MODEL_FILE}: {token!r} weighs unknown {unknown}")
        out[str(token)] = tuple(float(by_category.get(c, 0.0)) for c in categories)
    return MappingProxyType(out)


def model_from_json(raw: Any) -> CategoryModel:
    """Check and build a model from its JSON form (written by `model_to_json`)."""
    try:
        if raw["format"] != FORMAT:
            raise CategoryModelError(f"{MODEL_FILE}: format {raw['format']!r}, expected {FORMAT}")
        categories = tuple(str(c) for c in raw["categories"])
        unknown = sorted(set(categories) - set(CATEGORY_IDS))
        if unknown:
            raise CategoryModelError(f"{MODEL_FILE}: unknown categories {', '.join(unknown)}")
        if PLATFORM_CATEGORY in categories:
            raise CategoryModelError(f"{MODEL_FILE}: {PLATFORM_CATEGORY} is left to the rules")
        model = CategoryModel(
            bias=MappingProxyType({str(c): float(b) for c, b in raw["bias"].items()}),
            words=_table(raw["words"], categories),
            features=_table(raw["features"], categories),
            add_above=float(raw["add_above"]),
            categories=categories,
            trained_on=MappingProxyType(dict(raw.get("trained_on", {}))),
        )
    except CategoryModelError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CategoryModelError(f"{MODEL_FILE}: not a category model: {exc!r}") from exc
    if not 0.0 <= model.add_above <= 1.01:
        raise CategoryModelError(f"{MODEL_FILE}: add_above must be a probability")
    return model


def model_to_json(model: CategoryModel) -> str:
    """The shipped form: rounded weights, tokens sorted, one per line (diffs read well)."""

    def table(weights: Weights) -> dict[str, dict[str, float]]:
        return {
            t: {c: round(w, 5) for c, w in zip(model.categories, ws, strict=True) if w}
            for t, ws in weights.items()
        }

    tables = {"words": table(model.words), "features": table(model.features)}
    body = {
        "format": FORMAT,
        "bias": {c: round(b, 6) for c, b in sorted(model.bias.items())},
        "add_above": model.add_above,
        "categories": list(model.categories),
        "trained_on": dict(model.trained_on),
    }
    lines = [f"{_json(key)}: {_json(value)}" for key, value in body.items()]
    for key, found in tables.items():  # one token and its weights per line
        rows = [f"{_json(t)}: {_json(w)}" for t, w in sorted(found.items())]
        lines.append(f"{_json(key)}: {{\n" + ",\n".join(rows) + "\n}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
