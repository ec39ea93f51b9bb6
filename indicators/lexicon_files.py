"""Reading the lexicon data folder: YAML term and rule files into checked entries.

Analysts write the files under ``data/lexicon`` and ``data/gazetteer`` (each
explains its fields in a header comment). This module reads them with line
numbers, validates every entry and rule, and reports problems as
``LexiconProblem(file, line, severity, message)``. It knows nothing about
matching; ``indicators.lexicon`` compiles the entries it returns.

Three kinds of YAML file:

- term files (``axis:`` at the top): ``ids -> language -> [entries]``;
- the organizations file ``actors.yaml`` (``axis: actor``): a term file whose
  ids also carry a label, a kind and designation facts (``indicators.actors``);
- rule files (``false_friends:`` and/or ``context_rules:``): phrases that
  cancel matches they overlap, and rules that drop matches in a context.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from indicators import morph
from indicators.actors import ACTOR_KINDS, META_KEYS, Actor, names_among_terms, parse_actor_meta
from indicators.models import LANGS, METHOD_AXIS, STORED_AXES
from indicators.taxonomy import (
    CATEGORY_IDS,
    KZ_REGION_CODES,
    METHOD_IDS,
    PLATFORM_IDS,
    Taxonomy,
    TaxonomyError,
    is_country_code,
    load_taxonomy,
)
from indicators.textnorm import fold

ENTRY_LANGS = (*LANGS, "any")
CASE_MODES = ("any", "proper", "upper", "acronym", "as_written")
ENTRY_KEYS = {"term", "weak", "morph", "case", "also", "note", "strict_lang"}
TERM_FILE_KEYS = {"version", "axis", "defaults", "ids", "note"}
ACTORS_FILE = "actors.yaml"  # in the data folder, beside lexicon/ and gazetteer/
RULE_FILE_KEYS = {
    "version",
    "weak_terms_alone",
    "weak_never_alone",
    "core_categories",
    "platform_category",
    "platform_needs",
    "actor_kind_categories",
    "background_regions",
    "home_regions",
    "false_friends",
    "context_rules",
    "note",
}
RULE_KEYS = {
    "id",
    "note",
    "when",
    "unless",
    "not_inside",
    "unless_categories",
    "drop_terms",
    "drop_categories",
    "drop_weak",
    "drop_platforms",
    "requires_categories",
    "requires_terms",
    "add_category",
    "keep_as_support",
    "country_wide",
    "keep_war_zones",
}
_WORD = re.compile(r"[^\W_]+")
_SETTING_KEYS = {"weak", "morph", "case", "strict_lang"}
MAX_VARIANTS = 64
# Characters a multi-word term may have between its words ("ут-Тахрир",
# "X (Twitter)", "Telegram-канал"). Anything else in a term is ignored and
# reported, since the text side cannot be matched on it.
_TERM_PUNCT = set(" -‐‑‒–—()«»\"'’.,/:")

KIND_TERM = "term"
KIND_FALSE_FRIEND = "false_friend"
MODELS_DIR = "models"  # learned second stages (JSON), part of the lexicon's version
KIND_TRIGGER = "trigger"
KIND_UNLESS = "unless"
KIND_NOT_INSIDE = "not_inside"  # phrases inside which a rule's trigger does not count
# A context rule's phrase lists and the kind of phrase each holds.
_RULE_PHRASES = (("when", KIND_TRIGGER), ("unless", KIND_UNLESS), ("not_inside", KIND_NOT_INSIDE))


@dataclass(frozen=True, slots=True)
class LexiconProblem:
    """One finding of ``check_lexicon``: where, how bad ("error" | "warning"), what."""

    file: str
    line: int | None
    severity: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One lexicon entry after reading, before compilation."""

    file: str
    line: int | None
    kind: str  # term | false_friend | trigger | unless | not_inside
    axis: str  # one of STORED_AXES ("" for rule phrases)
    ids: tuple[str, ...]  # taxonomy ids (terms) or rule ids (trigger/unless/not_inside)
    lang: str  # ru | kk | en | any
    term: str  # as written
    weak: bool = False  # true for `weak: true` and `weak: context`
    context: bool = False  # `weak: context`: never makes an item relevant by itself
    morph: str = "auto"
    case: str = "any"
    strict_lang: bool = False


# --- reading YAML with line numbers ---------------------------------------------


class _LinedList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    lines: list[int]


class _LinedDict(dict[Any, Any]):
    """A YAML mapping that remembers the line of each scalar key."""

    key_lines: dict[Any, int]


# libyaml's parser where PyYAML was built with it (the wheels are): the same
# events and line marks, several times faster, which is most of a process's
# start-up lexicon load.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that records item lines and reports duplicate mapping keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            if isinstance(key, str | int) and key in seen:
                self.duplicates.append((key_node.start_mark.line + 1, str(key)))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Iterable[_LinedList]:
    data = _LinedList()
    data.lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_sequence(node, deep=True))


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterable[_LinedDict]:
    data = _LinedDict()
    data.key_lines = {
        key.value: key.start_mark.line + 1
        for key, _ in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    yield data
    data.update(loader.construct_mapping(node))


_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)  # type: ignore[arg-type]
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)  # type: ignore[arg-type]


def _read_yaml(path: Path, rel: str, problems: list[LexiconProblem]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(LexiconProblem(rel, None, "error", f"cannot read: {exc}"))
        return None
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(LexiconProblem(rel, line, "error", f"invalid YAML: {exc}"))
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        problems.append(LexiconProblem(rel, line, "error", f"duplicate key {key!r}"))
    return data


def _line(seq: Any, index: int) -> int | None:
    lines = getattr(seq, "lines", None)
    return lines[index] if lines and index < len(lines) else None


def _key_line(mapping: Any, key: Any) -> int | None:
    lines = getattr(mapping, "key_lines", None)
    return lines.get(key) if lines else None


# --- reading entries -------------------------------------------------------------------


def _valid_ids(axis: str) -> set[str] | None:
    if axis == "category":
        return set(CATEGORY_IDS)
    if axis == METHOD_AXIS:
        return set(METHOD_IDS)
    if axis == "platform":
        return set(PLATFORM_IDS)
    return None  # regions: checked by _valid_region


def _valid_region(code: str) -> bool:
    return code in KZ_REGION_CODES or is_country_code(code)


def _id_ok(axis: str, id_: str, known: frozenset[str] = frozenset()) -> bool:
    """Whether `id_` exists on `axis`; actor ids are the ones the actors file declares."""
    if axis == "actor":
        return id_ in known
    valid = _valid_ids(axis)
    return _valid_region(id_) if valid is None else id_ in valid


def _resolve_case(case: str, term: str) -> str:
    """Turn the file-level policies ``acronym``/``as_written`` into any/proper/upper."""
    letters = [ch for ch in term if ch.isalpha()]
    written_upper = (
        len(letters) >= 2
        and all(ch.isupper() for ch in letters[:2])
        and all(ch.isupper() for ch in term.split()[0] if ch.isalpha())
    )
    if case == "acronym":
        return "upper" if written_upper else "any"
    if case == "as_written":
        if written_upper:
            return "upper"
        return "proper" if letters and letters[0].isupper() else "any"
    return case


def _read_entry(
    raw: Any,
    *,
    rel: str,
    line: int | None,
    kind: str,
    axis: str,
    ids: tuple[str, ...],
    lang: str,
    defaults: Mapping[str, Any],
    problems: list[LexiconProblem],
    known: frozenset[str] = frozenset(),
) -> Entry | None:
    def bad(message: str, severity: str = "error") -> None:
        problems.append(LexiconProblem(rel, line, severity, message))

    if isinstance(raw, str):
        raw = {"term": raw}
    if not isinstance(raw, dict):
        bad(f"entry must be a string or a mapping with `term`, got {type(raw).__name__}")
        return None
    unknown = set(raw) - ENTRY_KEYS
    if unknown:
        bad(f"unknown field(s) {sorted(unknown)} in entry {raw.get('term')!r}")
    term = raw.get("term")
    if not isinstance(term, str) or not term.strip():
        bad(f"entry without a `term` string: {raw!r}")
        return None
    settings = {**defaults, **{k: v for k, v in raw.items() if k in _SETTING_KEYS}}
    weak = settings.get("weak", False)
    morph_mode = settings.get("morph", "auto")
    case = settings.get("case", "acronym")
    strict = settings.get("strict_lang", False)
    context = weak == "context"
    if context:
        weak = True
    if not isinstance(weak, bool) or not isinstance(strict, bool):
        bad(f"{term!r}: `weak` must be true, false or context; `strict_lang` true or false")
        weak = strict = False
    if strict and lang == "any":
        bad(f"{term!r}: `strict_lang` needs a ru, kk or en list, not `any`")
        strict = False
    if morph_mode not in morph.MORPH_MODES:
        bad(f"{term!r}: `morph` must be one of {', '.join(morph.MORPH_MODES)}")
        return None
    if case not in CASE_MODES:
        bad(f"{term!r}: `case` must be one of {', '.join(CASE_MODES)}")
        return None
    also = raw.get("also", [])
    if isinstance(also, str):
        also = [also]
    if not isinstance(also, list) or not all(isinstance(a, str) for a in also):
        bad(f"{term!r}: `also` must be a list of ids")
        also = []
    for extra in also:
        if kind == KIND_TERM and not _id_ok(axis, extra, known):
            bad(f"{term!r}: unknown {axis} id {extra!r} in `also`")
    all_ids = tuple(dict.fromkeys([*ids, *(a for a in also if _id_ok(axis, a, known))]))
    return Entry(
        file=rel,
        line=line,
        kind=kind,
        axis=axis,
        ids=all_ids,
        lang=lang,
        term=term.strip(),
        weak=weak,
        context=context,
        morph=morph_mode,
        case=_resolve_case(case, term.strip()),
        strict_lang=strict,
    )


def _read_lang_lists(
    block: Any,
    *,
    rel: str,
    where: str,
    kind: str,
    axis: str,
    ids: tuple[str, ...],
    defaults: Mapping[str, Any],
    problems: list[LexiconProblem],
    known: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
) -> list[Entry]:
    entries: list[Entry] = []
    if block is None:
        return entries
    if not isinstance(block, dict):
        problems.append(LexiconProblem(rel, None, "error", f"{where}: expected lang -> list"))
        return entries
    for lang, items in block.items():
        if lang in skip:
            continue
        if lang not in ENTRY_LANGS:
            problems.append(
                LexiconProblem(
                    rel,
                    None,
                    "error",
                    f"{where}: unknown language {lang!r} (use {', '.join(ENTRY_LANGS)})",
                )
            )
            continue
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(LexiconProblem(rel, None, "error", f"{where}.{lang}: expected a list"))
            continue
        for index, raw in enumerate(items):
            entry = _read_entry(
                raw,
                rel=rel,
                line=_line(items, index),
                kind=kind,
                axis=axis,
                ids=ids,
                lang=lang,
                defaults=defaults,
                problems=problems,
                known=known,
            )
            if entry is not None:
                entries.append(entry)
    return entries


def _check_keys(data: dict[str, Any], rel: str, problems: list[LexiconProblem]) -> None:
    """A term file (or the organizations file) has only the keys term files have."""
    unknown = set(data) - TERM_FILE_KEYS
    if unknown:
        problems.append(LexiconProblem(rel, None, "error", f"unknown key(s) {sorted(unknown)}"))


def _file_defaults(
    data: dict[str, Any], rel: str, problems: list[LexiconProblem]
) -> dict[str, Any]:
    """The file's `defaults` entry settings; {} (and a problem) when malformed."""
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - _SETTING_KEYS:
        problems.append(
            LexiconProblem(rel, None, "error", f"`defaults` may set only {sorted(_SETTING_KEYS)}")
        )
        return {}
    return defaults


def _read_term_file(data: dict[str, Any], rel: str, problems: list[LexiconProblem]) -> list[Entry]:
    _check_keys(data, rel, problems)
    axis = data.get("axis")
    if axis not in STORED_AXES or axis == "actor":
        problems.append(
            LexiconProblem(
                rel, None, "error", "`axis` must be category, platform, region or method"
            )
        )
        return []
    defaults = _file_defaults(data, rel, problems)
    ids = data.get("ids")
    if not isinstance(ids, dict):
        problems.append(LexiconProblem(rel, None, "error", "`ids` must map ids to term lists"))
        return []
    entries: list[Entry] = []
    for id_, block in ids.items():
        if not isinstance(id_, str) or not _id_ok(axis, id_):
            problems.append(LexiconProblem(rel, None, "error", f"unknown {axis} id {id_!r}"))
            continue
        entries += _read_lang_lists(
            block,
            rel=rel,
            where=f"ids.{id_}",
            kind=KIND_TERM,
            axis=axis,
            ids=(id_,),
            defaults=defaults,
            problems=problems,
        )
    return entries


def _read_actor_file(
    data: dict[str, Any], rel: str, problems: list[LexiconProblem]
) -> tuple[list[Entry], dict[str, Actor]]:
    """The organizations file: term lists as in any term file, plus each actor's facts."""
    _check_keys(data, rel, problems)
    defaults = _file_defaults(data, rel, problems)
    ids = data.get("ids")
    if not isinstance(ids, dict):
        problems.append(LexiconProblem(rel, None, "error", "`ids` must map actor ids to entries"))
        return [], {}
    known = frozenset(str(i) for i in ids)
    entries: list[Entry] = []
    actors: dict[str, Actor] = {}
    for id_, block in ids.items():
        line = _key_line(ids, id_)
        if not isinstance(id_, str) or not isinstance(block, dict):
            problems.append(
                LexiconProblem(rel, line, "error", f"actor {id_!r}: expected a mapping")
            )
            continue
        stray = {k for k in block if k not in META_KEYS and k not in ENTRY_LANGS}
        for key in sorted(stray, key=str):
            problems.append(
                LexiconProblem(
                    rel,
                    _key_line(block, key) or line,
                    "error",
                    f"actor {id_}: unknown field {key!r} (use label, kind, designations, note "
                    f"and the term lists {', '.join(ENTRY_LANGS)})",
                )
            )
        found: list[tuple[int | None, str]] = []
        designations = block.get("designations")
        actor = parse_actor_meta(
            id_,
            block,
            line=line,
            designation_lines=getattr(designations, "lines", None),
            problems=found,
        )
        problems += [LexiconProblem(rel, at, "error", message) for at, message in found]
        named = _read_lang_lists(
            block,
            rel=rel,
            where=f"ids.{id_}",
            kind=KIND_TERM,
            axis="actor",
            ids=(id_,),
            defaults=defaults,
            problems=problems,
            known=known,
            skip=META_KEYS | stray,
        )
        if not named:
            problems.append(
                LexiconProblem(rel, line, "error", f"actor {id_}: no names, it can never match")
            )
        entries += named
        if actor is not None:
            names = names_among_terms((e.term, e.weak) for e in named)
            actors[id_] = replace(actor, aliases=names)
    return entries, actors


@dataclass
class _RuleSpec:
    id: str
    drop_terms: list[str]
    drop_categories: list[str]
    drop_platforms: bool
    drop_weak: bool
    unless_categories: list[str]
    requires_categories: list[str]
    requires_terms: list[str]
    add_category: str | None
    keep_as_support: bool
    country_wide: bool
    file: str
    line: int | None
    keep_war_zones: bool = False


def _str_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _read_rule_file(
    data: dict[str, Any], rel: str, problems: list[LexiconProblem], settings: dict[str, Any]
) -> tuple[list[Entry], list[_RuleSpec]]:
    unknown = set(data) - RULE_FILE_KEYS
    if unknown:
        problems.append(LexiconProblem(rel, None, "error", f"unknown key(s) {sorted(unknown)}"))
    if "weak_terms_alone" in data:
        value = data["weak_terms_alone"]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            settings["weak_terms_alone"] = value
        else:
            problems.append(LexiconProblem(rel, None, "error", "`weak_terms_alone` must be >= 1"))
    for key in ("weak_never_alone", "core_categories", "platform_needs"):
        if key in data:
            value = _str_list(data[key])
            if value is None or not set(value) <= set(CATEGORY_IDS):
                message = f"`{key}` must list category ids"
                problems.append(LexiconProblem(rel, None, "error", message))
            else:
                settings[key] = frozenset(value)
    if "actor_kind_categories" in data:
        value = data["actor_kind_categories"]
        if (
            isinstance(value, dict)
            and set(value) <= set(ACTOR_KINDS)
            and set(value.values()) <= set(CATEGORY_IDS)
        ):
            settings["actor_kind_categories"] = MappingProxyType(dict(value))
        else:
            problems.append(
                LexiconProblem(
                    rel,
                    None,
                    "error",
                    "`actor_kind_categories` must map organization kinds to category ids",
                )
            )
    if "background_regions" in data:
        value = _str_list(data["background_regions"])
        if value is None or not all(is_country_code(code) and code != "KZ" for code in value):
            problems.append(
                LexiconProblem(
                    rel, None, "error", "`background_regions` must list foreign country codes"
                )
            )
        else:
            settings["background_regions"] = frozenset(value)
    if "home_regions" in data:
        value = _str_list(data["home_regions"])
        if value is None or not all(is_country_code(code) and code != "KZ" for code in value):
            problems.append(
                LexiconProblem(rel, None, "error", "`home_regions` must list foreign country codes")
            )
        else:
            settings["home_regions"] = frozenset(value)
    if "platform_category" in data:
        value = data["platform_category"]
        if value is None or value in CATEGORY_IDS:
            settings["platform_category"] = value
        else:
            problems.append(
                LexiconProblem(rel, None, "error", f"unknown platform_category {value!r}")
            )
    entries = _read_lang_lists(
        data.get("false_friends"),
        rel=rel,
        where="false_friends",
        kind=KIND_FALSE_FRIEND,
        axis="",
        ids=(),
        defaults={},
        problems=problems,
    )
    specs: list[_RuleSpec] = []
    rules = data.get("context_rules") or []
    if not isinstance(rules, list):
        problems.append(LexiconProblem(rel, None, "error", "`context_rules` must be a list"))
        rules = []
    for index, rule in enumerate(rules):
        line = _line(rules, index)
        if not isinstance(rule, dict) or not isinstance(rule.get("id"), str):
            problems.append(LexiconProblem(rel, line, "error", "a context rule needs an `id`"))
            continue
        rule_id = rule["id"]
        unknown = set(rule) - RULE_KEYS
        if unknown:
            problems.append(
                LexiconProblem(rel, line, "error", f"rule {rule_id}: unknown {sorted(unknown)}")
            )
        if not rule.get("when"):
            problems.append(LexiconProblem(rel, line, "error", f"rule {rule_id}: empty `when`"))
        for key, kind in _RULE_PHRASES:
            entries += _read_lang_lists(
                rule.get(key),
                rel=rel,
                where=f"{rule_id}.{key}",
                kind=kind,
                axis="",
                ids=(rule_id,),
                defaults={},
                problems=problems,
            )
        lists = {}
        for key in (
            "drop_terms",
            "drop_categories",
            "unless_categories",
            "requires_categories",
            "requires_terms",
        ):
            value = _str_list(rule.get(key))
            if value is None:
                problems.append(
                    LexiconProblem(rel, line, "error", f"rule {rule_id}: `{key}` must be a list")
                )
                value = []
            lists[key] = value
        for key in ("drop_categories", "unless_categories", "requires_categories"):
            for cat in lists[key]:
                if cat not in CATEGORY_IDS:
                    problems.append(
                        LexiconProblem(rel, line, "error", f"rule {rule_id}: unknown {cat!r}")
                    )
        flags = {}
        for key in (
            "drop_weak",
            "drop_platforms",
            "keep_as_support",
            "country_wide",
            "keep_war_zones",
        ):
            value = rule.get(key, False)
            if not isinstance(value, bool):
                problems.append(
                    LexiconProblem(rel, line, "error", f"rule {rule_id}: `{key}` true/false")
                )
                value = False
            flags[key] = value
        add = rule.get("add_category")
        if add is not None and add not in CATEGORY_IDS:
            problems.append(
                LexiconProblem(rel, line, "error", f"rule {rule_id}: unknown add_category {add!r}")
            )
            add = None
        drops = lists["drop_terms"] or lists["drop_categories"] or any(flags.values())
        if not (drops or add):
            problems.append(
                LexiconProblem(
                    rel, line, "error", f"rule {rule_id}: drops nothing and adds nothing"
                )
            )
        specs.append(
            _RuleSpec(
                id=rule_id,
                drop_terms=lists["drop_terms"],
                drop_categories=[c for c in lists["drop_categories"] if c in CATEGORY_IDS],
                drop_platforms=flags["drop_platforms"],
                drop_weak=flags["drop_weak"],
                unless_categories=[c for c in lists["unless_categories"] if c in CATEGORY_IDS],
                requires_categories=[c for c in lists["requires_categories"] if c in CATEGORY_IDS],
                requires_terms=lists["requires_terms"],
                add_category=add,
                keep_as_support=flags["keep_as_support"],
                country_wide=flags["country_wide"],
                keep_war_zones=flags["keep_war_zones"],
                file=rel,
                line=line,
            )
        )
    return entries, specs


# --- term text -> word variants --------------------------------------------------------


def parse_term(term: str) -> list[tuple[str, tuple[str, ...]]]:
    """Expand "a|b" alternatives: (display form, normalized words) per variant.

    Alternatives bind to whitespace-separated chunks, so
    "telegram-канале|телеграм-канале ведомства" offers two hyphenated forms.
    """
    chunks = re.split(r"(\s+)", term.strip())
    options = [[chunk] if index % 2 else chunk.split("|") for index, chunk in enumerate(chunks)]
    variants = []
    for choice in itertools.islice(itertools.product(*options), MAX_VARIANTS + 1):
        display = "".join(choice)
        variants.append((display, tuple(_WORD.findall(fold(display)))))
    return variants


def _variants(term: str) -> list[tuple[str, ...]]:
    return [words for _, words in parse_term(term)]


def display_variants(term: str) -> list[str]:
    """The displayed text of each "a|b" variant of a term as written."""
    return [display for display, _ in parse_term(term)]


def _entry_problems(entry: Entry) -> list[LexiconProblem]:
    problems = []

    def bad(message: str, severity: str = "error") -> None:
        problems.append(LexiconProblem(entry.file, entry.line, severity, message))

    variants = parse_term(entry.term)
    if len(variants) > MAX_VARIANTS:
        bad(f"{entry.term!r}: more than {MAX_VARIANTS} `a|b` combinations")
        return problems
    if any(
        part.startswith("|") or part.endswith("|") or "||" in part for part in entry.term.split()
    ):
        bad(f"{entry.term!r}: empty `a|b` alternative (no spaces around `|`)")
        return problems
    for display, words in variants:
        if not words:
            bad(f"{display!r} normalizes to nothing: it can never match")
        elif max(len(w) for w in words) < 2 and not (entry.case == "upper" and len(words) > 1):
            # dotted acronyms in capitals ("U.S.") are specific enough; "в X" is not
            bad(f"{display!r} has no word of 2 letters or more: too ambiguous to match")
    if all(words and max(len(w) for w in words) < 2 for _, words in variants):
        bad(
            f"{entry.term!r}: every word is a single letter, so it is looked up at almost "
            "every position of every text; prefer a longer form",
            "warning",
        )
    odd = {ch for ch in entry.term if not ch.isalnum() and ch not in _TERM_PUNCT and ch != "|"}
    if odd:
        bad(
            f"{entry.term!r}: characters {''.join(sorted(odd))!r} are ignored when matching",
            "warning",
        )
    all_words = [w for _, ws in variants for w in ws]
    cyr = any("а" <= ch <= "я" or ch in "әғқңөұүһі" for w in all_words for ch in w)
    if entry.lang == "en" and cyr:
        bad(f"{entry.term!r}: Cyrillic term in the `en` list", "warning")
    return problems


def lexicon_files(data_dir: Path, overlay: Path | None = None) -> list[Path]:
    """Every file the compiled lexicon depends on (an edit to any of them re-tags);
    the analyst's overlay last, when it exists."""
    files = [data_dir / "taxonomy.toml"]
    for sub in ("lexicon", "gazetteer"):
        folder = data_dir / sub
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    if (data_dir / ACTORS_FILE).is_file():
        files.append(data_dir / ACTORS_FILE)
    if (data_dir / MODELS_DIR).is_dir():  # learned stages: a new model re-tags like a new word
        files += sorted(p for p in (data_dir / MODELS_DIR).iterdir() if p.suffix == ".json")
    if overlay is not None and overlay.is_file():
        files.append(overlay)
    return files


def read_actors(data_dir: Path) -> tuple[dict[str, Actor], list[LexiconProblem]]:
    """Only the organizations file, for readers that need labels and facts, not matching."""
    path = data_dir / ACTORS_FILE
    problems: list[LexiconProblem] = []
    if not path.is_file():
        return {}, problems
    data = _read_yaml(path, ACTORS_FILE, problems)
    if not isinstance(data, dict):
        if data is not None:
            problems.append(
                LexiconProblem(ACTORS_FILE, None, "error", "top level must be a mapping")
            )
        return {}, problems
    _entries, actors = _read_actor_file(data, ACTORS_FILE, problems)
    return actors, problems


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", version))


@dataclass
class LoadedData:
    entries: list[Entry]
    rules: list[_RuleSpec]
    settings: dict[str, Any]
    versions: list[str]
    taxonomy: Taxonomy | None
    problems: list[LexiconProblem]
    digest: str
    actors: dict[str, Actor]  # from actors.yaml, in file order (empty without the file)


def read_data_folder(data_dir: Path, overlay: Path | None = None) -> LoadedData:
    """Read and check every lexicon file; `overlay` (outside the folder) is read last.

    Problems in the overlay name it as given (``var/lexicon.local.yaml:12``).
    """
    problems: list[LexiconProblem] = []
    entries: list[Entry] = []
    rules: list[_RuleSpec] = []
    settings: dict[str, Any] = {
        "weak_terms_alone": 2,
        "weak_never_alone": frozenset(),
        "core_categories": frozenset(),
        "platform_category": None,
        "platform_needs": frozenset(),
        "actor_kind_categories": MappingProxyType({}),
        "background_regions": frozenset(),
        "home_regions": frozenset(),
    }
    versions: list[str] = []
    actors: dict[str, Actor] = {}
    digest = hashlib.sha256()
    taxonomy: Taxonomy | None = None
    try:
        taxonomy = load_taxonomy(data_dir)
        versions.append(taxonomy.version)
    except (OSError, TaxonomyError) as exc:
        problems.append(LexiconProblem("taxonomy.toml", None, "error", str(exc)))
    for path in lexicon_files(data_dir, overlay):
        rel = path.as_posix() if path == overlay else path.relative_to(data_dir).as_posix()
        try:
            # the overlay counts by content, wherever it is kept
            label = "overlay" if path == overlay else rel
            digest.update(label.encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            continue
        if path.suffix in (".toml", ".json"):  # taxonomy and models: read by their own loaders
            continue
        data = _read_yaml(path, rel, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(LexiconProblem(rel, None, "error", "top level must be a mapping"))
            continue
        version = data.get("version")
        if not isinstance(version, str) or not re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", version):
            problems.append(
                LexiconProblem(rel, None, "error", "`version` must be a string like 2026.11.1")
            )
        else:
            versions.append(version)
        if rel == ACTORS_FILE or data.get("axis") == "actor":
            if rel != ACTORS_FILE or data.get("axis") != "actor":
                problems.append(
                    LexiconProblem(
                        rel, None, "error", f"organizations go in {ACTORS_FILE}, with `axis: actor`"
                    )
                )
                continue
            found_entries, found_actors = _read_actor_file(data, rel, problems)
            entries += found_entries
            actors.update(found_actors)
        elif "axis" in data:
            entries += _read_term_file(data, rel, problems)
        elif "false_friends" in data or "context_rules" in data:
            found, specs = _read_rule_file(data, rel, problems, settings)
            entries += found
            rules += specs
        else:
            problems.append(
                LexiconProblem(rel, None, "error", "neither a term file (`axis`) nor a rule file")
            )
    return LoadedData(
        entries, rules, settings, versions, taxonomy, problems, digest.hexdigest(), actors
    )


def cross_check(loaded: LoadedData) -> list[LexiconProblem]:
    problems: list[LexiconProblem] = []
    seen: dict[tuple[str, tuple[str, ...]], list[Entry]] = {}
    for entry in loaded.entries:
        found = _entry_problems(entry)
        problems += found
        if any(p.severity == "error" for p in found):
            continue
        scope = entry.axis if entry.kind == KIND_TERM else entry.kind + ":" + ",".join(entry.ids)
        for variant in dict.fromkeys(_variants(entry.term)):
            text = " ".join(variant)
            earlier = seen.setdefault((scope, variant), [])
            clash = next((e for e in earlier if e.ids != entry.ids), None)
            twin = next((e for e in earlier if e.ids == entry.ids and e.lang == entry.lang), None)
            if clash is not None:
                problems.append(
                    LexiconProblem(
                        entry.file,
                        entry.line,
                        "error",
                        f"term {text!r} maps to {list(entry.ids)} here and to "
                        f"{list(clash.ids)} at {clash.file}:{clash.line}; list it once and "
                        "use `also:`",
                    )
                )
            elif twin is not None:
                problems.append(
                    LexiconProblem(
                        entry.file,
                        entry.line,
                        "warning",
                        f"duplicate term {text!r} (also at {twin.file}:{twin.line})",
                    )
                )
            earlier.append(entry)
    known_terms = {fold(e.term) for e in loaded.entries if e.kind == KIND_TERM}
    known_terms |= {
        fold(v) for e in loaded.entries if e.kind == KIND_TERM for v in display_variants(e.term)
    }
    for spec in loaded.rules:
        named = [("drop", t) for t in spec.drop_terms]
        named += [("required", t) for t in spec.requires_terms]
        for role, term in named:
            if any(fold(v) not in known_terms for v in display_variants(term)):
                problems.append(
                    LexiconProblem(
                        spec.file,
                        spec.line,
                        "warning",
                        f"rule {spec.id}: {role} term {term!r} is not in the lexicon",
                    )
                )
    trigger_rules = {i for e in loaded.entries if e.kind == KIND_TRIGGER for i in e.ids}
    ids = [s.id for s in loaded.rules]
    for spec in loaded.rules:
        if ids.count(spec.id) > 1:
            problems.append(
                LexiconProblem(spec.file, spec.line, "error", f"rule id {spec.id!r} repeated")
            )
        if spec.id not in trigger_rules:
            problems.append(
                LexiconProblem(spec.file, spec.line, "warning", f"rule {spec.id}: no triggers")
            )
    return problems
