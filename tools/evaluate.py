"""Score a tagger against the hand-labelled development set.

The development set (``tests/eval/devset.jsonl``, rules in
``tests/eval/GUIDELINES.md``) was written without looking at the lexicon, so
these numbers say how the tagger does on wording it was not built from.

Everything here is pure except ``load_devset``, which reads one file. The
tagger is passed in as a ``predict`` callable, so the metric code is tested
with tiny fake predictors and ``bench/eval.py`` plugs in the real one.

Zero-division rule, used for every ratio: when a denominator is zero the
ratio is 1.0 if there was nothing to find and nothing was claimed
(tp = fp = fn = 0), and 0.0 otherwise. So a tagger that says nothing about
a category nobody labelled scores 1.0 there, and one that only makes wrong
claims scores 0.0.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indicators import taxonomy
from indicators.models import LANGS, TAG_AXES, Tags, tagged_text

NOT_RELEVANT = "(not relevant)"  # confusion label: the item carried no category at all
NOTHING = "(nothing)"  # confusion label: the tagger gave the item no category at all


class DevsetError(ValueError):
    """The development set file is malformed or uses ids outside the taxonomy."""


@dataclass(frozen=True, slots=True)
class DevItem:
    """One labelled item of the development set."""

    id: str
    lang: str
    title: str
    summary: str
    relevant: bool
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    hard: bool = False  # a negative that uses threat vocabulary in another sense
    note: str = ""
    actors: tuple[str, ...] = ()  # organization ids (data/actors.yaml)
    # Real-news items (tests/eval/realnews/) also name their source:
    url: str = ""  # the article's address
    outlet: str = ""
    published: str = ""  # YYYY-MM-DD (or YYYY-MM, YYYY: what the source says), "" if unknown
    sample: str = ""  # JSON "set": "topic" (the taxonomy's topics, hard negatives included)
    # or "ordinary" (the same outlets' everyday news)

    def values(self, axis: str) -> tuple[str, ...]:
        labels = {
            "category": self.categories,
            "region": self.regions,
            "platform": self.platforms,
            "actor": self.actors,
        }
        return labels[axis]


@dataclass(frozen=True, slots=True)
class Scores:
    """Counts and the ratios derived from them (see the module's zero-division rule)."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @property
    def support(self) -> int:
        """How many expected labels there were."""
        return self.tp + self.fn


def scores(tp: int, fp: int, fn: int) -> Scores:
    """Precision, recall and F1 from counts."""
    if min(tp, fp, fn) < 0:
        raise ValueError("counts must not be negative")
    empty = tp == fp == fn == 0
    return Scores(
        tp=tp,
        fp=fp,
        fn=fn,
        precision=_ratio(tp, tp + fp, empty),
        recall=_ratio(tp, tp + fn, empty),
        f1=_ratio(2 * tp, 2 * tp + fp + fn, empty),
    )


def _ratio(num: int, den: int, empty: bool) -> float:
    if den == 0:
        return 1.0 if empty else 0.0
    return num / den


@dataclass(frozen=True, slots=True)
class ItemError:
    """One item where the tagger disagreed with the labels on at least one axis."""

    item: DevItem
    got: Tags  # as returned by the tagger, evidence (matches) included
    axes: tuple[str, ...]  # "relevance" and the tag axes that differ

    def expected(self, axis: str) -> tuple[str, ...]:
        return self.item.values(axis)

    def predicted(self, axis: str) -> tuple[str, ...]:
        return _predicted(self.got, axis)

    def extra(self, axis: str) -> tuple[str, ...]:
        """Labels the tagger gave that the item does not carry (false positives)."""
        want = set(self.expected(axis))
        return tuple(v for v in self.predicted(axis) if v not in want)

    def missing(self, axis: str) -> tuple[str, ...]:
        """Labels the item carries that the tagger did not give (false negatives)."""
        got = set(self.predicted(axis))
        return tuple(v for v in self.expected(axis) if v not in got)


@dataclass(frozen=True, slots=True)
class Confusion:
    """Where the errors of one category go.

    ``fp_carried``: for the items wrongly given the category, the categories
    they really carry (``NOT_RELEVANT`` when none). ``fn_given``: for the items
    where it was missed, what the tagger gave instead (``NOTHING`` when it gave
    no category). Both are (label, count) pairs, most frequent first.
    """

    category: str
    scores: Scores
    fp_carried: tuple[tuple[str, int], ...]
    fn_given: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Everything ``evaluate`` measured; ``format_report`` renders it."""

    n_items: int
    items_by_lang: Mapping[str, int]
    relevance: Scores
    relevance_by_lang: Mapping[str, Scores]
    categories: Mapping[str, Scores]  # in taxonomy order
    category_micro: Scores
    category_macro_f1: float
    regions: Scores
    kz_regions: Scores  # the regions axis on Kazakhstan's codes only (KZ and the 20 units)
    platforms: Scores
    actors: Scores  # micro over every organization
    actors_by_id: Mapping[str, Scores]  # each organization labelled or predicted, by id
    hard_negatives: int
    hard_negatives_flagged: int  # hard negatives the tagger called relevant
    ordinary: int  # real-news items of the "ordinary" sample
    ordinary_flagged: int  # of those, labelled not relevant but called relevant
    worst: Confusion | None  # None when no category has an error
    errors: tuple[ItemError, ...]  # in development-set order


# --------------------------------------------------------------------------- loading


def load_devset(path: Path) -> list[DevItem]:
    """Read and validate a development set (JSON lines, ``#`` comment lines).

    `path` is one file, or a folder whose ``*.jsonl`` files are read in name
    order as one set (the real-news corpus: ids and URLs unique across them).
    Every problem is collected and reported at once, with file and line
    numbers, so a labelling session can be fixed in one pass.
    """
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    if not files:
        raise DevsetError(f"{path}: no .jsonl files")
    items: list[DevItem] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    urls: dict[str, str] = {}
    for file in files:
        where = f"{file.name}:" if path.is_dir() else "line "
        for lineno, item, item_problems in _read_lines(file):
            problems.extend(f"{where}{lineno}: {p}" for p in item_problems)
            if item is None:
                continue
            if item.id in seen:
                problems.append(f"{where}{lineno}: id {item.id} already used on {seen[item.id]}")
            seen.setdefault(item.id, f"{where}{lineno}")
            if item.url and item.url in urls:
                problems.append(f"{where}{lineno}: url already used on {urls[item.url]}")
            urls.setdefault(item.url, f"{where}{lineno}")
            items.append(item)
    if problems:
        shown = "\n  ".join(problems[:30])
        more = f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else ""
        raise DevsetError(f"{path}: {len(problems)} problem(s):\n  {shown}{more}")
    if not items:
        raise DevsetError(f"{path}: no items")
    return items


def _read_lines(file: Path) -> Iterable[tuple[int, DevItem | None, list[str]]]:
    """(line number, item or None, problems) for every item line of one file."""
    text = file.read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            raw = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield lineno, None, [f"not JSON ({exc.msg})"]
            continue
        item, item_problems = parse_item(raw)
        yield lineno, item, item_problems


_REQUIRED: Mapping[str, type] = {
    "id": str,
    "lang": str,
    "title": str,
    "summary": str,
    "relevant": bool,
    "categories": list,
    "regions": list,
    "platforms": list,
}
_OPTIONAL: Mapping[str, type] = {
    "hard": bool,
    "note": str,
    "url": str,
    "outlet": str,
    "published": str,
    "set": str,
    "actors": list,
}
SAMPLES = ("topic", "ordinary")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")  # as precise as the source says
_ACTOR_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


SPLITS = ("all", "even", "odd", "tune", "heldout", "search", "check")


def split_items(items: Sequence[DevItem], split: str) -> list[DevItem]:
    """The items of one half of the set.

    ``even``/``odd``: by the parity of the id's number (the invented sets:
    tuning looks only at ``ru-0002``...). ``tune``/``heldout``: by a fixed hash
    of the item's URL (of its id when it has none), the real-news corpus's
    split: it does not depend on who collected what in which order, and one
    article can never land in both halves. Tuning never looks at the held-out
    half, so a large gap between the two scores shows over-fitting.

    ``search``/``check``: the tuning half cut in two by a second bit of the
    same hash. A lexicon round that accepts many changes by their effect on
    the items it reads fits those items (a 2026-12 round gained 3.7 points
    of category F1 out of fold on the tuning half and lost 0.4 on the
    held-out half): reading and judging changes on ``search`` and checking
    the round's result once on ``check`` shows that without reading the
    held-out half.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if split == "all":
        return list(items)
    if split in ("tune", "heldout"):
        want = 0 if split == "tune" else 1
        return [it for it in items if hash_half(it.url or it.id) == want]
    if split in ("search", "check"):
        want = 0 if split == "search" else 1
        return [
            it
            for it in items
            if hash_half(it.url or it.id) == 0 and hash_quarter(it.url or it.id) == want
        ]
    want = 0 if split == "even" else 1
    return [it for it in items if int(it.id.rsplit("-", 1)[-1]) % 2 == want]


def hash_half(key: str) -> int:
    """0 (tuning) or 1 (held out): the parity of the SHA-256 of `key`, stable everywhere."""
    return hashlib.sha256(key.encode("utf-8")).digest()[-1] % 2


def hash_quarter(key: str) -> int:
    """0 (search) or 1 (check) within a half: the parity of the SHA-256's last-but-one byte,
    independent of `hash_half`'s bit."""
    return hashlib.sha256(key.encode("utf-8")).digest()[-2] % 2


def parse_item(raw: Any) -> tuple[DevItem | None, list[str]]:
    """One decoded line as an item, and its problems (the item is None when its fields
    are missing or of the wrong type; otherwise the problems are label or source ones)."""
    if not isinstance(raw, dict):
        return None, ["expected a JSON object"]
    problems = [f"unknown field {key!r}" for key in raw if key not in {*_REQUIRED, *_OPTIONAL}]
    for key, kind in {**_REQUIRED, **_OPTIONAL}.items():
        if key not in raw:
            if key in _REQUIRED:
                problems.append(f"missing field {key!r}")
        elif not isinstance(raw[key], kind):
            problems.append(f"field {key!r} must be {kind.__name__}")
        elif kind is list and not all(isinstance(v, str) for v in raw[key]):
            problems.append(f"field {key!r} must be a list of strings")
    if problems:
        return None, problems
    item = DevItem(
        id=raw["id"],
        lang=raw["lang"],
        title=raw["title"],
        summary=raw["summary"],
        relevant=raw["relevant"],
        categories=tuple(raw["categories"]),
        regions=tuple(raw["regions"]),
        platforms=tuple(raw["platforms"]),
        hard=raw.get("hard", False),
        note=raw.get("note", ""),
        actors=tuple(raw.get("actors", ())),
        url=raw.get("url", ""),
        outlet=raw.get("outlet", ""),
        published=raw.get("published", ""),
        sample=raw.get("set", ""),
    )
    return item, _check_labels(item) + _check_source(item)


def _check_source(item: DevItem) -> list[str]:
    """A real-news item names its article: http(s) URL, outlet, sample, date if known."""
    where = item.id or "(no id)"
    if not item.id.startswith("rn-"):
        if item.url or item.outlet or item.published or item.sample:
            return [f"{where}: source fields are for real-news items (ids rn-...)"]
        return []
    problems = []
    if not item.url.startswith(("https://", "http://")) or " " in item.url:
        problems.append(f"{where}: url must be the article's http(s) address")
    if not item.outlet.strip():
        problems.append(f"{where}: outlet missing")
    if item.sample not in SAMPLES:
        problems.append(f"{where}: set must be one of {', '.join(SAMPLES)}")
    if item.published and not _DATE.fullmatch(item.published):
        problems.append(f"{where}: published must be YYYY-MM-DD, YYYY-MM, YYYY or empty")
    return problems


def _check_labels(item: DevItem) -> list[str]:
    """Label problems of one item, against the fixed taxonomy ids."""
    where = item.id or "(no id)"
    problems: list[str] = []
    if not item.id.startswith((f"{item.lang}-", "rn-")):
        problems.append(f"{where}: id should start with the language, {item.lang}-")
    if item.lang not in LANGS:
        problems.append(f"{where}: unknown lang {item.lang!r}")
    if not item.title.strip():
        problems.append(f"{where}: empty title")
    problems += [
        f"{where}: unknown category {c!r}"
        for c in item.categories
        if c not in taxonomy.CATEGORY_IDS
    ]
    problems += [
        f"{where}: unknown platform {p!r}" for p in item.platforms if p not in taxonomy.PLATFORM_IDS
    ]
    problems += [
        f"{where}: unknown region {r!r}"
        for r in item.regions
        if r not in taxonomy.KZ_REGION_CODES and not taxonomy.is_country_code(r)
    ]
    problems += [
        f"{where}: malformed actor id {a!r}" for a in item.actors if not _ACTOR_ID.match(a)
    ]
    for axis in TAG_AXES:
        values = item.values(axis)
        if len(set(values)) != len(values):
            problems.append(f"{where}: repeated {axis} label")
    if item.relevant != bool(item.categories):
        problems.append(f"{where}: relevant must be true exactly when there are categories")
    if not item.relevant and (item.regions or item.platforms or item.actors):
        problems.append(f"{where}: a non-relevant item carries no regions, platforms or actors")
    if item.hard and item.relevant:
        problems.append(f"{where}: only negatives can be hard")
    if taxonomy.COUNTRY_CODE in item.regions and any(
        r in taxonomy.KZ_REGION_CODES for r in item.regions
    ):
        problems.append(f"{where}: KZ is labelled only when no Kazakh unit is named")
    return problems


# --------------------------------------------------------------------------- scoring


def _predicted(tags: Tags, axis: str) -> tuple[str, ...]:
    """What the tagger claims on an axis; a non-relevant verdict claims nothing.

    Items judged not relevant are not charted, so their leftover region or
    platform guesses cost nothing and count for nothing.
    """
    return tags.values(axis) if tags.relevant else ()


def _set_counts(expected: Iterable[str], predicted: Iterable[str]) -> tuple[int, int, int]:
    want, got = set(expected), set(predicted)
    return len(want & got), len(got - want), len(want - got)


def _is_kazakh(code: str) -> bool:
    """Kazakhstan as a whole or one of its units: issue 8's "KZ units" figure."""
    return code == "KZ" or code.startswith("KZ-")


def evaluate(items: Sequence[DevItem], predict: Callable[[DevItem], Tags]) -> EvalReport:
    """Run ``predict`` on every item and score it on every axis."""
    langs = sorted({it.lang for it in items}, key=_lang_order)
    rel = {lang: [0, 0, 0] for lang in langs}
    cat = {c: [0, 0, 0] for c in taxonomy.CATEGORY_IDS}
    reg = [0, 0, 0]
    kz_reg = [0, 0, 0]
    plat = [0, 0, 0]
    act: dict[str, list[int]] = {}
    hard_flagged = 0
    ordinary_flagged = 0
    errors: list[ItemError] = []
    predictions: list[tuple[DevItem, Tags]] = []

    for item in items:
        got = predict(item)
        predictions.append((item, got))
        counts = rel[item.lang]
        if item.relevant and got.relevant:
            counts[0] += 1
        elif got.relevant:
            counts[1] += 1
        elif item.relevant:
            counts[2] += 1
        if item.hard and got.relevant:
            hard_flagged += 1
        if item.sample == "ordinary" and not item.relevant and got.relevant:
            ordinary_flagged += 1
        got_cats = set(_predicted(got, "category"))
        for c, c_counts in cat.items():
            want, have = c in item.categories, c in got_cats
            if want and have:
                c_counts[0] += 1
            elif have:
                c_counts[1] += 1
            elif want:
                c_counts[2] += 1
        for axis, total in (("region", reg), ("platform", plat)):
            tp, fp, fn = _set_counts(item.values(axis), _predicted(got, axis))
            total[0] += tp
            total[1] += fp
            total[2] += fn
        counts_kz = _set_counts(
            (r for r in item.regions if _is_kazakh(r)),
            (r for r in _predicted(got, "region") if _is_kazakh(r)),
        )
        for i, n in enumerate(counts_kz):
            kz_reg[i] += n
        labelled, claimed = set(item.actors), set(_predicted(got, "actor"))
        for actor in labelled | claimed:
            a_counts = act.setdefault(actor, [0, 0, 0])
            a_counts[
                0 if actor in labelled and actor in claimed else 1 if actor in claimed else 2
            ] += 1
        axes = _differing_axes(item, got)
        if axes:
            errors.append(ItemError(item=item, got=got, axes=axes))

    by_lang = {lang: scores(*c) for lang, c in rel.items()}
    per_cat = {c: scores(*counts) for c, counts in cat.items()}
    return EvalReport(
        n_items=len(items),
        items_by_lang={lang: sum(1 for it in items if it.lang == lang) for lang in langs},
        relevance=scores(*(sum(c[i] for c in rel.values()) for i in range(3))),
        relevance_by_lang=by_lang,
        categories=per_cat,
        category_micro=scores(*(sum(c[i] for c in cat.values()) for i in range(3))),
        category_macro_f1=sum(s.f1 for s in per_cat.values()) / len(per_cat),
        regions=scores(*reg),
        kz_regions=scores(*kz_reg),
        platforms=scores(*plat),
        actors=scores(*(sum(c[i] for c in act.values()) for i in range(3))),
        actors_by_id={a: scores(*act[a]) for a in sorted(act)},
        hard_negatives=sum(1 for it in items if it.hard),
        hard_negatives_flagged=hard_flagged,
        ordinary=sum(1 for it in items if it.sample == "ordinary"),
        ordinary_flagged=ordinary_flagged,
        worst=_worst_confusion(per_cat, predictions),
        errors=tuple(errors),
    )


def item_error_count(item: DevItem, got: Tags) -> int:
    """How many labels a verdict gets wrong: relevance (1), and each category, region,
    platform and organization claimed but not labelled or labelled but not claimed."""
    wrong = int(item.relevant != got.relevant)
    for axis in TAG_AXES:
        _tp, fp, fn = _set_counts(item.values(axis), _predicted(got, axis))
        wrong += fp + fn
    return wrong


@dataclass(frozen=True)
class VerdictChanges:
    """What a change did to the verdicts of the same items (`compare_verdicts`)."""

    changed: int  # items whose verdict differs at all (evidence included)
    better: int  # ... with fewer wrong labels
    worse: int  # ... with more


def compare_verdicts(
    items: Sequence[DevItem], before: Mapping[str, Tags], after: Mapping[str, Tags]
) -> VerdictChanges:
    """Count the items a change made better or worse, by `item_error_count`."""
    changed = better = worse = 0
    for item in items:
        old, new = before[item.id], after[item.id]
        if old == new:
            continue
        changed += 1
        delta = item_error_count(item, new) - item_error_count(item, old)
        better += delta < 0
        worse += delta > 0
    return VerdictChanges(changed, better, worse)


def _lang_order(lang: str) -> tuple[int, str]:
    order = LANGS
    return (order.index(lang) if lang in order else len(order), lang)


def _differing_axes(item: DevItem, got: Tags) -> tuple[str, ...]:
    axes = []
    if item.relevant != got.relevant:
        axes.append("relevance")
    for axis in TAG_AXES:
        if set(item.values(axis)) != set(_predicted(got, axis)):
            axes.append(axis)
    return tuple(axes)


def _worst_confusion(
    per_cat: Mapping[str, Scores], predictions: Sequence[tuple[DevItem, Tags]]
) -> Confusion | None:
    """The category with the lowest F1 (most errors on ties), and where its errors go."""
    with_errors = [c for c, s in per_cat.items() if s.fp + s.fn > 0]
    if not with_errors:
        return None
    worst = min(with_errors, key=lambda c: (per_cat[c].f1, -(per_cat[c].fp + per_cat[c].fn)))
    carried: Counter[str] = Counter()
    given: Counter[str] = Counter()
    for item, got in predictions:
        got_cats = _predicted(got, "category")
        if worst in got_cats and worst not in item.categories:
            carried.update(item.categories or (NOT_RELEVANT,))
        if worst in item.categories and worst not in got_cats:
            given.update(got_cats or (NOTHING,))
    return Confusion(
        category=worst,
        scores=per_cat[worst],
        fp_carried=_ranked(carried),
        fn_given=_ranked(given),
    )


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------- rendering


def format_summary(report: EvalReport) -> str:
    """Every axis's F1 on one line (a learning curve's row): the weakest category
    named, hard negatives and ordinary news called relevant."""
    worst = min(report.categories.items(), key=lambda kv: (kv[1].f1, kv[0]))
    line = (
        f"relevance {report.relevance.f1:.3f}, categories {report.category_micro.f1:.3f}"
        f" (weakest {worst[0]} {worst[1].f1:.3f}), regions {report.regions.f1:.3f},"
        f" KZ {report.kz_regions.f1:.3f}, platforms {report.platforms.f1:.3f},"
        f" hard negatives {report.hard_negatives_flagged} of {report.hard_negatives}"
    )
    if report.ordinary:
        line += f", ordinary {1000 * report.ordinary_flagged / report.ordinary:.1f} per 1,000"
    return line


def format_report(report: EvalReport) -> str:
    """A plain-text table of every score in the report."""
    langs = ", ".join(f"{lang} {n}" for lang, n in report.items_by_lang.items())
    lines = [f"Development set: {report.n_items} items ({langs})", "", _header()]
    lines.append(_row("relevance", report.relevance))
    lines += [_row(f"  {lang}", s) for lang, s in report.relevance_by_lang.items()]
    lines.append(_row("categories (micro)", report.category_micro))
    lines += [_row(f"  {c}", s) for c, s in report.categories.items()]
    lines.append(f"{'categories (macro F1)':<26}{'':>30}{report.category_macro_f1:>8.3f}")
    lines.append(_row("regions (micro)", report.regions))
    lines.append(_row("  Kazakhstan (KZ, KZ-xx)", report.kz_regions))
    lines.append(_row("platforms (micro)", report.platforms))
    lines.append(_row("actors (micro)", report.actors))
    lines += [_row(f"  {a}", s) for a, s in report.actors_by_id.items()]
    lines.append("")
    lines.append(
        f"Hard negatives called relevant: {report.hard_negatives_flagged}"
        f" of {report.hard_negatives}"
    )
    if report.ordinary:
        per_1000 = 1000 * report.ordinary_flagged / report.ordinary
        lines.append(
            f"Ordinary news called relevant: {report.ordinary_flagged} of {report.ordinary}"
            f" = {per_1000:.1f} per 1,000 items"
        )
    if report.worst is None:
        lines.append("Worst category: none (no category errors)")
    else:
        w = report.worst
        lines.append(
            f"Worst category: {w.category} (F1 {w.scores.f1:.3f},"
            f" {w.scores.fp} false positives, {w.scores.fn} missed)"
        )
        lines.append("  false positives really carried: " + _pairs(w.fp_carried))
        lines.append("  missed items were given instead: " + _pairs(w.fn_given))
    n_rel = sum(1 for e in report.errors if "relevance" in e.axes)
    lines.append(f"Items with an error on some axis: {len(report.errors)} ({n_rel} on relevance)")
    return "\n".join(lines) + "\n"


def _header() -> str:
    return f"{'':<26}{'tp':>6}{'fp':>6}{'fn':>6}{'prec':>8}{'recall':>8}{'f1':>8}"


def _row(name: str, s: Scores) -> str:
    return f"{name:<26}{s.tp:>6}{s.fp:>6}{s.fn:>6}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"


def _pairs(pairs: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{label} {n}" for label, n in pairs) if pairs else "-"


def format_errors(errors: Sequence[ItemError], limit: int) -> str:
    """The first ``limit`` errors: expected vs got per axis, and the evidence.

    For every label the tagger gave wrongly, the matched terms behind it are
    shown with the text they matched, which is what one needs to fix the
    lexicon.
    """
    out: list[str] = []
    for err in errors[: max(limit, 0)]:
        item = err.item
        kind = "hard negative" if item.hard else ("relevant" if item.relevant else "negative")
        out.append(f"{item.id} [{item.lang}, {kind}] {item.title}")
        if "relevance" in err.axes:
            out.append(f"  relevance: expected {item.relevant}, got {err.got.relevant}")
        for axis in TAG_AXES:
            if axis not in err.axes:
                continue
            out.append(
                f"  {axis}: expected [{', '.join(err.expected(axis))}]"
                f" got [{', '.join(err.predicted(axis))}]"
            )
            for value in err.extra(axis):
                out.append(f"    + {value}: {_evidence(err, axis, value)}")
        if item.note:
            out.append(f"  note: {item.note}")
    if len(errors) > limit:
        out.append(f"... {len(errors) - max(limit, 0)} more")
    return "\n".join(out) + ("\n" if out else "")


def format_changes(
    items: Sequence[DevItem],
    before: Mapping[str, Tags],
    after: Mapping[str, Tags],
    limit: int,
) -> str:
    """The first ``limit`` items whose labels a change moved, worse ones first: what
    was labelled, what the tagger said before and after, so a lexicon editor sees
    what each change did (`compare_verdicts` counts them)."""
    moved = []
    for item in items:
        old, new = before[item.id], after[item.id]
        old_labels = tuple(_predicted(old, axis) for axis in TAG_AXES)
        new_labels = tuple(_predicted(new, axis) for axis in TAG_AXES)
        if old.relevant == new.relevant and old_labels == new_labels:
            continue  # the evidence moved, not a label
        delta = item_error_count(item, new) - item_error_count(item, old)
        moved.append((-delta, item.id, item, old, new, delta))
    moved.sort(key=lambda m: (m[0], m[1]))
    out: list[str] = []
    for _rank, _id, item, old, new, delta in moved[: max(limit, 0)]:
        verdict = "better" if delta < 0 else "worse" if delta > 0 else "as wrong"
        out.append(f"{verdict}: {item.id} [{item.lang}] {item.title}")
        for name, tags in (("labelled", None), ("before", old), ("after", new)):
            values = [
                ", ".join(item.values(axis) if tags is None else _predicted(tags, axis)) or "-"
                for axis in TAG_AXES
            ]
            relevant = item.relevant if tags is None else tags.relevant
            out.append(f"  {name:>8}: relevant {relevant}; " + " | ".join(values))
    if len(moved) > limit:
        out.append(f"... {len(moved) - max(limit, 0)} more")
    return "\n".join(out) + ("\n" if out else "")


def _evidence(err: ItemError, axis: str, value: str) -> str:
    text = tagged_text(err.item.title, err.item.summary)
    hits = [m for m in err.got.matches if m.axis == axis and m.id == value]
    if not hits:
        return "(no matched term reported)"
    return "; ".join(f"{m.term!r} at {text[m.start : m.end]!r}" for m in hits)
