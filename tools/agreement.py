"""A second, independent labelling of part of the real-news corpus: how far people agree.

The targets of the real-news evaluation (category micro-F1 0.92, KZ codes
0.95...) only mean something if two careful annotators, following
`tests/eval/GUIDELINES.md`, agree at least that well on the same items. This
module draws a fixed sample of the corpus, writes it out *blind* (text and
source only, no labels) for a second annotator, reads the second labels back
and scores them against the corpus labels with the same metrics as the
tagger (`tools.evaluate.evaluate`), so the tagger's figure on the same items
can be read against the human one.

Everything here is pure except the two functions that read and write a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from indicators.models import Tags
from tools.evaluate import DevItem, DevsetError, EvalReport, parse_item

SALT = "agreement-2026"  # changes the sample only when deliberately changed
BLIND_FIELDS = ("id", "lang", "outlet", "published", "title", "summary")
LABEL_FIELDS = ("relevant", "categories", "regions", "platforms", "actors", "hard")


def _rank(item_id: str) -> bytes:
    return hashlib.sha256(f"{SALT}:{item_id}".encode()).digest()


def draw_sample(items: Sequence[DevItem], topic: int, ordinary: int) -> list[DevItem]:
    """`topic` items of the topic sample and `ordinary` of the ordinary one, chosen by a
    salted hash of the id (stable, independent of file order and of the tagger), returned
    in that hash order so that the two samples are interleaved for the annotator."""
    by_rank = sorted(items, key=lambda it: _rank(it.id))
    chosen = [it for it in by_rank if it.sample != "ordinary"][:topic]
    chosen += [it for it in by_rank if it.sample == "ordinary"][:ordinary]
    return sorted(chosen, key=lambda it: _rank(it.id))


def blind_record(item: DevItem) -> dict[str, str]:
    """What the second annotator sees: the text and its source, never a label or URL
    (the URL would lead back to the first annotator's reading of the whole article)."""
    return {field: getattr(item, field) for field in BLIND_FIELDS}


def write_blind(items: Iterable[DevItem], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(blind_record(item), ensure_ascii=False) + "\n")


def parse_second(lines: Iterable[str], corpus: Mapping[str, DevItem]) -> list[DevItem]:
    """Read second labels (JSON lines of `id` + `LABEL_FIELDS`), checked with the corpus's
    own validation (the taxonomy's ids, relevance consistent with categories). Each is
    returned as its corpus item carrying the second labels. Every problem is reported
    at once."""
    found: list[DevItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            raw: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: not JSON ({exc.msg})")
            continue
        if not isinstance(raw, dict) or raw.get("id") not in corpus:
            problems.append(f"line {lineno}: no corpus item with this id")
            continue
        if raw["id"] in seen:
            problems.append(f"line {lineno}: {raw['id']} labelled twice")
            continue
        seen.add(raw["id"])
        base = corpus[raw["id"]]
        unknown = [key for key in raw if key not in ("id", *LABEL_FIELDS)]
        if unknown:
            problems.append(f"line {lineno}: unknown field(s) {', '.join(unknown)}")
            continue
        # Validate exactly as a corpus line, with the first item's text and source.
        merged = {**blind_record(base), "url": base.url, "set": base.sample, **raw}
        item, item_problems = parse_item(merged)
        if item is None or item_problems:
            problems.extend(f"line {lineno}: {p}" for p in item_problems)
            continue
        found.append(item)
    if problems:
        raise DevsetError(
            f"{len(problems)} problem(s) in the second labels:\n  " + "\n  ".join(problems)
        )
    return found


def as_tags(labels: DevItem) -> Tags:
    """The second labels in the shape a tagger returns, so `evaluate` scores them."""
    return Tags(
        relevant=labels.relevant,
        categories=labels.categories,
        regions=labels.regions,
        platforms=labels.platforms,
        actors=labels.actors,
    )


def read_second(path: Path, corpus: Mapping[str, DevItem]) -> list[DevItem]:
    return parse_second(path.read_text(encoding="utf-8").splitlines(), corpus)


def side_by_side(reports: Mapping[str, EvalReport]) -> str:
    """F1 per axis (and per category) of several reports over the same items, one column
    each: the second annotator's and the tagger's agreement with the corpus labels.
    (Micro-F1 is symmetric: it does not matter which annotator is the reference.)"""
    names = list(reports)
    first = reports[names[0]]
    rows: list[tuple[str, list[float]]] = [
        ("relevance", [r.relevance.f1 for r in reports.values()]),
        ("categories (micro)", [r.category_micro.f1 for r in reports.values()]),
    ]
    rows += [
        (f"  {category}", [r.categories[category].f1 for r in reports.values()])
        for category in first.categories
    ]
    rows += [
        ("regions (micro)", [r.regions.f1 for r in reports.values()]),
        ("  KZ codes (KZ, KZ-xx)", [r.kz_regions.f1 for r in reports.values()]),
        ("platforms (micro)", [r.platforms.f1 for r in reports.values()]),
        ("actors (micro)", [r.actors.f1 for r in reports.values()]),
    ]
    width = max(12, *(len(n) + 2 for n in names))
    lines = [f"{'F1 against the corpus labels':<30}" + "".join(f"{n:>{width}}" for n in names)]
    lines += [
        f"{label:<30}" + "".join(f"{v:>{width}.3f}" for v in values) for label, values in rows
    ]
    lines.append(
        f"{'hard negatives called relevant':<30}"
        + "".join(
            f"{f'{r.hard_negatives_flagged} of {r.hard_negatives}':>{width}}"
            for r in reports.values()
        )
    )
    lines.append(
        f"{'ordinary called relevant':<30}"
        + "".join(f"{f'{r.ordinary_flagged} of {r.ordinary}':>{width}}" for r in reports.values())
    )
    return "\n".join(lines) + "\n"
