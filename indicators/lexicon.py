"""Compile the lexicon, gazetteer and context rules into one immutable matcher.

``indicators.lexicon_files`` reads and checks the data folder; this module
turns its entries into a ``CompiledLexicon``: an Aho-Corasick automaton over
the normalized *keys* of anchor words (see ``indicators.morph``), the phrases
built from word slots, and the context rules. Compilation happens once per data
folder and is cached by file modification times, so an edited file is picked
up and changes ``CompiledLexicon.version``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import ahocorasick

from indicators import lexicon_cache, morph
from indicators.actors import Actor
from indicators.category_model import MODEL_FILE as CATEGORY_FILE
from indicators.category_model import CategoryModel, CategoryModelError, load_category_model
from indicators.lexicon_files import (
    KIND_NOT_INSIDE,
    KIND_TERM,
    KIND_TRIGGER,
    Entry,
    LexiconProblem,
    LoadedData,
    cross_check,
    display_variants,
    lexicon_files,
    parse_term,
    read_actors,
    read_data_folder,
    version_key,
)
from indicators.region_model import MODEL_FILE, RegionModel, RegionModelError, load_region_model
from indicators.relevance_model import MODEL_FILE as RELEVANCE_FILE
from indicators.relevance_model import (
    RelevanceModel,
    RelevanceModelError,
    load_relevance_model,
)
from indicators.taxonomy import Taxonomy, load_taxonomy
from indicators.textnorm import fold


class LexiconError(ValueError):
    """The data folder has errors; ``problems`` lists them."""

    def __init__(self, problems: list[LexiconProblem]) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} lexicon error(s):\n{shown}{more}")


@dataclass(frozen=True, slots=True)
class Phrase:
    """A compiled term: a sequence of word slots and what a match means."""

    term: str  # the base term as written (one variant of "a|b" alternatives)
    kind: str
    axis: str
    ids: tuple[str, ...]
    slots: tuple[int, ...]  # word slot ids, in order
    weak: bool  # needs support (also true for context terms)
    context: bool  # counts only when the item already has a category
    case: str  # any | proper | upper
    upper_len: int  # normalized letters of the first word checked by case "upper"
    only_lang: str  # "" or the language an item must have (when known) for this to match
    anchor: int  # index in `slots` of the word looked up in the automaton
    term_id: int = -1  # one per term: an entry's "a|b" variants and a text in two entries share it


@dataclass(frozen=True, slots=True)
class ContextRule:
    """Drop (or add) matches when trigger phrases occur, unless cancelled."""

    id: str
    drop_terms: frozenset[str]  # folded base terms
    drop_categories: frozenset[str]
    drop_platforms: bool
    drop_weak: bool
    unless_categories: frozenset[str]
    # fire only when a non-weak term of one of these categories remains
    requires_categories: frozenset[str] = frozenset()
    # fire only when one of these terms (weak ones too) remains, as folded base terms
    requires_terms: frozenset[str] = frozenset()
    # category given to the item, with the trigger phrase as its evidence
    add_category: str | None = None
    # dropped terms still back weak terms as a core term would ("экстремистской
    # организации" in a financing item is no activity, but the money is for one)
    keep_as_support: bool = False
    # the item's Kazakh units become Kazakhstan, the trigger phrase its evidence
    # ("по всей стране": the units named are background of a nationwide measure)
    country_wide: bool = False
    # the war zones (background_regions) the item names stay, beside the places at
    # home: a repatriation operation takes place in both countries (GUIDELINES)
    keep_war_zones: bool = False


@dataclass(frozen=True)
class CompiledLexicon:
    """Everything the tagger needs, compiled once; treat as immutable."""

    version: str
    automaton: Any  # ahocorasick.Automaton: key -> (key length, ((tail class, slot), ...))
    phrases: tuple[Phrase, ...]
    by_anchor: Mapping[int, tuple[int, ...]]  # slot id -> indices of phrases anchored on it
    # slot id -> (slot of the word before or -1, slot of the word after or -1,
    # indices of the phrases anchored on it with those neighbours): one
    # neighbour check serves every phrase of a group ("attack on ...")
    anchor_groups: Mapping[int, tuple[tuple[int, int, tuple[int, ...]], ...]]
    # slot id -> whether any phrase anchored on it needs the word before / after it
    anchor_sides: Mapping[int, tuple[bool, bool]]
    slot_patterns: tuple[tuple[tuple[str, str], ...], ...]  # slot id -> (key, tail class)s
    rules: tuple[ContextRule, ...]
    weak_terms_alone: int
    # categories whose weak terms never back each other: they need a strong term
    weak_never_alone: frozenset[str]
    core_categories: frozenset[str]  # strong terms here support weak terms of any category
    platform_category: str | None
    # the item needs one of these categories for weak platform mentions, weak terms
    # of platform_category and the implied category to count (empty: no condition)
    platform_needs: frozenset[str]
    # organization kind -> the category a named organization of that kind gives a
    # relevant item ("Хизб ут-Тахрир" is extremist ideology by what it is)
    actor_kind_categories: Mapping[str, str]
    # countries that are background beside a place at home (a Kazakh unit or one
    # of home_regions): a war zone is where fighters went or a group sits, seldom
    # where the reported arrest or trial happened
    background_regions: frozenset[str]
    home_regions: frozenset[str]
    taxonomy: Taxonomy
    term_count: int  # terms as written (before "a|b" expansion), for reports
    problems: tuple[LexiconProblem, ...] = field(default=())  # warnings kept from loading
    # organizations of the `actor` axis (actors.yaml), in file order; their labels
    # are also on `taxonomy.actors`
    actors: Mapping[str, Actor] = field(default_factory=dict)
    # the learned second look at a relevant item's regions (data/models/regions.json)
    region_model: RegionModel | None = None
    # the learned second look at relevance and categories (data/models/relevance.json)
    relevance_model: RelevanceModel | None = None
    # the learned look for a relevant item's missing categories (data/models/categories.json)
    category_model: CategoryModel | None = None
    # Memo of (slot, word) -> matches; with `near_cache` the only mutable parts, pure caches.
    word_cache: dict[tuple[int, str], bool] = field(default_factory=dict, compare=False)
    # Memo of (anchor slot, word before, word after) -> the indices of the phrases
    # whose neighbour words those are (see `anchored_phrases`).
    near_cache: dict[tuple[int, str | None, str | None], tuple[int, ...]] = field(
        default_factory=dict, compare=False
    )

    def rules_only(self) -> CompiledLexicon:
        """The same lexicon without its learned stages: what the rules alone say (the
        models are trained on this, and `threatmon tag --explain` shows it beside them)."""
        return replace(self, region_model=None, relevance_model=None, category_model=None)

    def anchored_phrases(self, slot: int, before: str | None, after: str | None) -> tuple[int, ...]:
        """Indices of the phrases anchored on `slot` whose neighbour slots these words realize.

        `before`/`after` are the whole words next to the anchor (None: none
        there). A common anchor ("террористической", "attack") heads dozens of
        phrase groups, each naming the word it needs beside it; news repeats
        the same pairs of words, so the answer is memoized per pair instead
        of checking every group at every occurrence.
        """
        key = (slot, before, after)
        cache = self.near_cache
        found = cache.get(key)
        if found is None:
            matches = self.word_matches
            found = tuple(
                index
                for need_before, need_after, indices in self.anchor_groups[slot]
                if (need_before < 0 or (before is not None and matches(need_before, before)))
                and (need_after < 0 or (after is not None and matches(need_after, after)))
                for index in indices
            )
            if len(cache) > 200_000:
                cache.clear()
            cache[key] = found
        return found

    def word_matches(self, slot: int, word: str) -> bool:
        """Whether a whole normalized text word realizes a lexicon word slot."""
        cache = self.word_cache
        found = cache.get((slot, word))
        if found is None:
            found = any(
                word.startswith(key) and morph.tail_allowed(cls, word[len(key) :])
                for key, cls in self.slot_patterns[slot]
            )
            if len(cache) > 200_000:
                cache.clear()
            cache[(slot, word)] = found
        return found


# --- compiling ---------------------------------------------------------------------


def _term_names(terms: Iterable[str]) -> frozenset[str]:
    """The folded term names a rule lists; "a|b" alternatives name every variant, as the
    entry that matches them is written ("лаңкестік|террористік тобы|тобын")."""
    return frozenset(fold(display) for term in terms for display in display_variants(term))


@dataclass
class _Builder:
    slots: dict[tuple[str, str, str], int] = field(default_factory=dict)
    patterns: list[tuple[tuple[str, str], ...]] = field(default_factory=list)

    def slot(self, word: str, lang: str, morph_mode: str) -> int:
        ident = (word, lang, morph_mode)
        if ident not in self.slots:
            self.slots[ident] = len(self.patterns)
            self.patterns.append(tuple(morph.word_patterns(word, lang, morph_mode)))
        return self.slots[ident]

    def anchor(self, slots: tuple[int, ...], free_keys: set[str], uses: dict[int, int]) -> int:
        """Index of the word to look up in the automaton for a multi-word phrase.

        Cheapest first: a word whose keys are looked up anyway (it is a term on
        its own), then the word used by the fewest phrases (generic words like
        "района" or "программа" recur across phrases), then the longest key.
        """

        def cost(slot: int) -> tuple[int, int, int]:
            keys = [key for key, _ in self.patterns[slot]]
            shortest = min(len(key) for key in keys)
            if set(keys) <= free_keys:
                return (0, 0, -shortest)
            tier = 1 if shortest >= 4 else 2 if shortest == 3 else 3
            return (tier, uses[slot], -shortest)

        costs = [cost(s) for s in slots]
        return costs.index(min(costs))


def check_lexicon(data_dir: Path, overlay: Path | None = None) -> list[LexiconProblem]:
    """All problems in the data folder: errors block loading, warnings do not.

    Finds malformed files and entries, unknown ids, duplicate or ambiguous
    terms, terms that can never match after normalization, and rules that
    refer to terms or categories that do not exist.
    """
    loaded = read_data_folder(Path(data_dir), overlay)
    problems = loaded.problems + cross_check(loaded) + _model_problems(Path(data_dir))
    masks = [e for e in loaded.entries if e.kind == KIND_NOT_INSIDE]
    if masks and loaded.taxonomy is not None and not any(p.severity == "error" for p in problems):
        # the files just read, compiled as they are: no second read of the folder
        problems += _idle_masks(masks, _compile(loaded))
    return problems


def _idle_masks(masks: list[Entry], compiled: CompiledLexicon) -> list[LexiconProblem]:
    """`not_inside` phrases that hold none of their rule's triggers: they mask nothing,
    which is a silent mistake (a typo, or a trigger reworded since) unless reported."""
    from indicators.tagger import find_candidates  # the tagger builds on this module

    found = []
    for entry in masks:
        for text, _words in parse_term(entry.term):
            if not any(
                c.phrase.kind == KIND_TRIGGER and not set(entry.ids).isdisjoint(c.phrase.ids)
                for c in find_candidates(text, compiled)
            ):
                rule = ", ".join(entry.ids)
                found.append(
                    LexiconProblem(
                        entry.file,
                        entry.line,
                        "warning",
                        f"rule {rule}: not_inside {text!r} holds none of its triggers, "
                        "so it masks nothing",
                    )
                )
    return found


def _kazakh_latin(entry: Entry, words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Latin spellings of a Cyrillic Kazakh term (or Kazakh place name), one per alphabet.

    Kazakh news is also written in the Latin alphabets of 2017-2021; rather
    than list every term twice, each Cyrillic word of a Kazakh entry is
    transliterated. Acronyms (ҰҚК) are left alone: they are transliterated
    letter by letter in print, and short keys would be ambiguous.
    """
    kazakh = entry.lang == "kk" or (entry.lang == "any" and entry.axis == "region")
    if not kazakh or entry.case == "upper" or not any(morph.is_cyrillic_word(w) for w in words):
        return []
    spellings = [morph.kk_latin_spellings(w) for w in words]
    found = []
    for index in range(max(len(s) for s in spellings)):
        found.append(tuple(s[min(index, len(s) - 1)] for s in spellings))
    return [v for v in dict.fromkeys(found) if v != words]


def _neighbour_groups(
    indices: list[int], phrases: list[Phrase]
) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
    """Phrases of one anchor grouped by the slots of the words right before and after it."""
    groups: dict[tuple[int, int], list[int]] = {}
    for index in indices:
        phrase = phrases[index]
        anchor, slots = phrase.anchor, phrase.slots
        before = slots[anchor - 1] if anchor > 0 else -1
        after = slots[anchor + 1] if anchor < len(slots) - 1 else -1
        groups.setdefault((before, after), []).append(index)
    return tuple((b, a, tuple(ix)) for (b, a), ix in groups.items())


def _term_ids(parsed: Sequence[tuple[int, Entry, str, tuple[int, ...], int]]) -> dict[int, int]:
    """Entry number -> the id of the term it spells, for counting different weak terms.

    The variants of one entry are one term, and so are entries that share a
    variant's text (the same word as a weak term of two languages or
    categories): entries are joined through their texts, each group named by
    its lowest entry number.
    """
    parent: dict[int, int] = {}

    def root(number: int) -> int:
        while parent.setdefault(number, number) != number:
            parent[number] = parent[parent[number]]
            number = parent[number]
        return number

    by_text: dict[str, int] = {}
    for number, _, display, _, _ in parsed:
        first, own = root(by_text.setdefault(fold(display), number)), root(number)
        if first != own:
            parent[max(first, own)] = min(first, own)
    return {number: root(number) for number, *_ in parsed}


def _compile(loaded: LoadedData) -> CompiledLexicon:
    assert loaded.taxonomy is not None
    builder = _Builder()
    parsed: list[tuple[int, Entry, str, tuple[int, ...], int]] = []
    for number, entry in enumerate(loaded.entries):
        word_morph = "acronym" if entry.case == "upper" and entry.morph == "auto" else entry.morph
        for display, variant in parse_term(entry.term):
            slots = tuple(builder.slot(word, entry.lang, word_morph) for word in variant)
            parsed.append((number, entry, display, slots, len(variant[0])))
            for latin in _kazakh_latin(entry, variant):
                slots = tuple(builder.slot(word, "kk", word_morph) for word in latin)
                parsed.append((number, entry, display, slots, len(latin[0])))
    free_keys = {
        key
        for _, _, _, slots, _ in parsed
        if len(slots) == 1
        for key, _ in builder.patterns[slots[0]]
    }
    term_ids = _term_ids(parsed)
    uses: dict[int, int] = {}
    for _, _, _, slots, _ in parsed:
        for slot in set(slots):
            uses[slot] = uses.get(slot, 0) + 1
    phrases = [
        Phrase(
            term=display,
            kind=entry.kind,
            axis=entry.axis,
            ids=entry.ids,
            slots=slots,
            weak=entry.weak,
            context=entry.context,
            case=entry.case,
            upper_len=first_len,
            only_lang=entry.lang if entry.strict_lang else "",
            anchor=builder.anchor(slots, free_keys, uses) if len(slots) > 1 else 0,
            term_id=term_ids[number],
        )
        for number, entry, display, slots, first_len in parsed
    ]
    # Only anchor words go into the automaton; the other words of a phrase are
    # checked in place around the anchor. Common short words ("в", "на") of
    # false-friend phrases would otherwise hit at every other position.
    by_anchor: dict[int, list[int]] = {}
    for index, phrase in enumerate(phrases):
        by_anchor.setdefault(phrase.slots[phrase.anchor], []).append(index)
    keys: dict[str, dict[tuple[str, int], None]] = {}
    for slot in by_anchor:
        for key, tail_class in builder.patterns[slot]:
            keys.setdefault(key, {})[(tail_class, slot)] = None
    automaton = ahocorasick.Automaton()
    for key, pairs in keys.items():
        automaton.add_word(key, (len(key), tuple(pairs)))
    automaton.make_automaton()
    rules = tuple(
        ContextRule(
            id=spec.id,
            drop_terms=_term_names(spec.drop_terms),
            drop_categories=frozenset(spec.drop_categories),
            drop_platforms=spec.drop_platforms,
            drop_weak=spec.drop_weak,
            unless_categories=frozenset(spec.unless_categories),
            requires_categories=frozenset(spec.requires_categories),
            requires_terms=_term_names(spec.requires_terms),
            add_category=spec.add_category,
            keep_as_support=spec.keep_as_support,
            country_wide=spec.country_wide,
            keep_war_zones=spec.keep_war_zones,
        )
        for spec in loaded.rules
    )
    base = max(loaded.versions, key=version_key) if loaded.versions else "0"
    actors = MappingProxyType(dict(loaded.actors))
    taxonomy = replace(
        loaded.taxonomy, actors=MappingProxyType({k: a.labels for k, a in actors.items()})
    )
    groups = {k: _neighbour_groups(v, phrases) for k, v in by_anchor.items()}
    return CompiledLexicon(
        version=f"{base}+{loaded.digest[:8]}",
        automaton=automaton,
        phrases=tuple(phrases),
        by_anchor={k: tuple(v) for k, v in by_anchor.items()},
        anchor_groups=groups,
        anchor_sides={
            k: (any(b >= 0 for b, _a, _i in g), any(a >= 0 for _b, a, _i in g))
            for k, g in groups.items()
        },
        slot_patterns=tuple(builder.patterns),
        rules=rules,
        weak_terms_alone=int(loaded.settings["weak_terms_alone"]),
        weak_never_alone=loaded.settings["weak_never_alone"],
        core_categories=loaded.settings["core_categories"],
        platform_category=loaded.settings["platform_category"],
        platform_needs=loaded.settings["platform_needs"],
        actor_kind_categories=loaded.settings["actor_kind_categories"],
        background_regions=loaded.settings["background_regions"],
        home_regions=loaded.settings["home_regions"],
        taxonomy=taxonomy,
        term_count=sum(1 for e in loaded.entries if e.kind == KIND_TERM),
        actors=actors,
    )


_cache: dict[tuple[str, tuple[tuple[str, int, int], ...]], CompiledLexicon] = {}
_cache_lock = threading.Lock()


def _fingerprint(data_dir: Path, overlay: Path | None) -> tuple[tuple[str, int, int], ...]:
    marks = []
    for path in lexicon_files(data_dir, overlay):
        try:
            stat = path.stat()
        except OSError:
            continue
        marks.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(marks)


def load_compiled(
    data_dir: Path, overlay: Path | None = None, cache_dir: Path | None = None
) -> CompiledLexicon:
    """Load, validate and compile the data folder; cached per path and file mtimes.

    `overlay` is an analyst's local term file compiled on top (part of the
    version, so `retag` applies it). Raises ``LexiconError`` when
    ``check_lexicon`` would report errors; warnings are kept on
    ``CompiledLexicon.problems``. With `cache_dir`, a lexicon compiled by an
    earlier process from the same bytes and code is read from there instead
    (`indicators.lexicon_cache`); only lexicons without errors are stored.
    """
    root = Path(data_dir).resolve()
    key = (f"{root}|{overlay or ''}", _fingerprint(root, overlay))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        if cache_dir is None:
            compiled = _compile_checked(root, overlay)
        else:
            disk_key = lexicon_cache.cache_key(root, overlay)
            stored = lexicon_cache.load(cache_dir, disk_key)
            if isinstance(stored, CompiledLexicon):
                compiled = stored
            else:
                compiled = _compile_checked(root, overlay)
                lexicon_cache.store(cache_dir, disk_key, compiled)
        for stale in [k for k in _cache if k[0] == key[0]]:
            del _cache[stale]
        _cache[key] = compiled
        return compiled


def _compile_checked(root: Path, overlay: Path | None) -> CompiledLexicon:
    loaded = read_data_folder(root, overlay)
    problems = loaded.problems + cross_check(loaded)
    errors = [p for p in problems if p.severity == "error"]
    if errors or loaded.taxonomy is None:
        raise LexiconError(errors)
    model_errors = _model_problems(root)
    if model_errors:
        raise LexiconError(model_errors)
    compiled = _compile(loaded)
    return replace(
        compiled,
        problems=tuple(p for p in problems if p not in errors),
        region_model=load_region_model(root),
        relevance_model=load_relevance_model(root),
        category_model=load_category_model(root),
    )


def _model_problems(data_dir: Path) -> list[LexiconProblem]:
    """The learned models' files that do not load, as lexicon errors."""
    problems = []
    loaders = (
        (MODEL_FILE, load_region_model),
        (RELEVANCE_FILE, load_relevance_model),
        (CATEGORY_FILE, load_category_model),
    )
    for name, load in loaders:
        try:
            load(data_dir)
        except (RegionModelError, RelevanceModelError, CategoryModelError) as exc:
            problems.append(LexiconProblem(name, None, "error", str(exc)))
    return problems


def load_actors(data_dir: Path) -> Mapping[str, Actor]:
    """The organizations of ``actors.yaml`` (labels, kinds, designations), checked.

    For the dashboard and exports, which need the facts but not the matcher.
    Raises ``LexiconError`` on errors in the file; no file, no organizations.
    """
    actors, problems = read_actors(Path(data_dir))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise LexiconError(errors)
    return MappingProxyType(actors)


def load_labels(data_dir: Path, actors: Mapping[str, Actor] | None = None) -> Taxonomy:
    """The taxonomy's labels with the organizations' labels added (``Taxonomy.actors``).

    Pass `actors` when they are already loaded, so the file is not read twice.
    """
    if actors is None:
        actors = load_actors(data_dir)
    return replace(
        load_taxonomy(Path(data_dir)),
        actors=MappingProxyType({k: a.labels for k, a in actors.items()}),
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m indicators.lexicon DATA_DIR``: print problems; exit 1 on errors."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    data_dir = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "data"
    problems = check_lexicon(data_dir)
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    if not errors:
        compiled = load_compiled(data_dir)
        print(
            f"ok: {compiled.term_count} terms, {len(compiled.phrases)} phrases, "
            f"version {compiled.version}"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "CompiledLexicon",
    "ContextRule",
    "LexiconError",
    "LexiconProblem",
    "Phrase",
    "check_lexicon",
    "load_actors",
    "load_compiled",
    "load_labels",
]
