"""The analyst's local lexicon overlay: loaded on top of data/lexicon, and proposed terms.

The overlay (setting `lexicon_overlay`, by default ``var/lexicon.local.yaml``,
git-ignored) is one more term file in the syntax of ``data/lexicon/*.yaml``
(``version``, ``axis``, ``ids -> language -> [terms]``), kept outside the
shared data so an analyst can add a word the moment it surfaces in emerging
terms, before it is reviewed into the shipped lexicon. It is compiled with
the data folder (`indicators.lexicon.load_compiled`), so it changes the
lexicon version and `threatmon retag` applies it.

A malformed overlay must not take tagging down: `load_with_overlay` reports
its problems (file, line, reason) and keeps the lexicon the process had (the
last good one compiled with this overlay, else the data folder alone).
`propose_term` appends one term and writes the file only if the result
checks clean, so a proposal cannot break the overlay.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from indicators.lexicon import CompiledLexicon, LexiconError, check_lexicon, load_compiled
from indicators.lexicon_files import ENTRY_LANGS, LexiconProblem, parse_term
from indicators.lexicon_known import known_terms
from indicators.taxonomy import CATEGORY_IDS

HEADER = """\
# Local lexicon overlay: terms an analyst added on this installation.
# Same syntax as data/lexicon/*.yaml (a term file): ids -> language -> [terms].
# Loaded on top of data/lexicon by the tagger; `threatmon lexicon check`
# validates it, `threatmon retag` applies it to stored items.
# `threatmon terms propose` and the dashboard append here (and rewrite this
# file, so keep notes in `note:` fields rather than comments).
"""


@dataclass(frozen=True)
class OverlayLoad:
    """The lexicon to use, and why the overlay was left out (empty when it was not)."""

    compiled: CompiledLexicon
    rejected: tuple[LexiconProblem, ...] = ()


_last_good: dict[tuple[str, str], CompiledLexicon] = {}
_lock = threading.Lock()


def _in_overlay(problem: LexiconProblem, overlay: Path) -> bool:
    return problem.file == overlay.as_posix()


_QUOTED = re.compile(r"[`'\"]([^`'\"]+)[`'\"]")


def locate(problems: Iterable[LexiconProblem], overlay: Path) -> list[LexiconProblem]:
    """The overlay's problems with a line number even where the checker gave none.

    File-level findings ("unknown category id 'drones'", "`version` must be
    ...") name a key or value in quotes; the first line of the overlay holding
    it is where the analyst has to look.
    """
    try:
        lines = overlay.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    located = []
    for problem in problems:
        if problem.line is None and _in_overlay(problem, overlay):
            for quoted in _QUOTED.findall(problem.message):
                found = next((n for n, text in enumerate(lines, 1) if quoted in text), None)
                if found is not None:
                    problem = replace(problem, line=found)
                    break
        located.append(problem)
    return located


def load_with_overlay(data_dir: Path, overlay: Path, cache_dir: Path | None = None) -> OverlayLoad:
    """The data folder's lexicon with the overlay on top; without it when it is malformed.

    Errors in the data folder itself still raise ``LexiconError``. `cache_dir`:
    see `load_compiled`.
    """
    key = (str(Path(data_dir).resolve()), str(overlay))
    try:
        compiled = load_compiled(data_dir, overlay, cache_dir)
    except LexiconError as exc:
        if not exc.problems or not all(_in_overlay(p, overlay) for p in exc.problems):
            raise
        with _lock:
            previous = _last_good.get(key)
        return OverlayLoad(
            previous or load_compiled(data_dir, cache_dir=cache_dir),
            tuple(locate(exc.problems, overlay)),
        )
    with _lock:
        _last_good[key] = compiled
    return OverlayLoad(compiled)


def _read(overlay: Path) -> dict[str, Any]:
    if not overlay.is_file():
        return {"version": "", "axis": "category", "ids": {}}
    data = yaml.safe_load(overlay.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or data.get("axis", "category") != "category":
        raise ValueError("the overlay must be a category term file (`axis: category`)")
    data.setdefault("axis", "category")
    if not isinstance(data.get("ids") or {}, dict):
        raise ValueError("`ids` must map category ids to term lists")
    data["ids"] = data.get("ids") or {}
    return data


def propose_term(
    data_dir: Path, overlay: Path, term: str, category: str, lang: str, *, today: date
) -> list[LexiconProblem]:
    """Append `term` to the overlay under `category` and `lang`; [] when it was written.

    Refused (problems returned, file untouched): an unknown category or
    language, a term the lexicon already matches, an overlay that is already
    malformed, or a result that `check_lexicon` finds errors in.
    """
    where = overlay.as_posix()

    def refuse(message: str, line: int | None = None) -> list[LexiconProblem]:
        return [LexiconProblem(where, line, "error", message)]

    term = " ".join(term.split())
    if category not in CATEGORY_IDS:
        return refuse(f"unknown category {category!r} (use one of {', '.join(CATEGORY_IDS)})")
    if lang not in ENTRY_LANGS:
        return refuse(f"unknown language {lang!r} (use {', '.join(ENTRY_LANGS)})")
    current = load_with_overlay(data_dir, overlay)
    if current.rejected:
        return list(current.rejected)
    variants = [variant for _, variant in parse_term(term)]
    known = known_terms(current.compiled)
    if variants and all(len(v) == 1 and known.knows(v) for v in variants):
        # a one-word term the tagger already finds (maybe inflected: "теракты");
        # phrases are checked for duplicates by check_lexicon below
        return refuse(f"{term!r} is already matched by the lexicon")
    try:
        data = _read(overlay)
    except (ValueError, yaml.YAMLError) as exc:
        return refuse(f"cannot add to the overlay: {exc}")
    terms = data["ids"].setdefault(category, {}) or {}
    data["ids"][category] = terms
    terms.setdefault(lang, [])
    if not isinstance(terms[lang], list):
        return refuse(f"ids.{category}.{lang} must be a list")
    terms[lang].append(term)
    data["version"] = f"{today.year}.{today.month}.{today.day}"
    ordered = {"version": data.pop("version"), "axis": data.pop("axis"), **data}
    text = HEADER + yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100)
    overlay.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".lexicon-", suffix=".yaml", dir=overlay.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        errors = [
            replace(p, file=where)
            for p in locate(check_lexicon(data_dir, tmp), tmp)
            if p.file == tmp.as_posix() and p.severity == "error"
        ]
        if errors:
            return errors
        os.replace(tmp, overlay)
    finally:
        tmp.unlink(missing_ok=True)
    return []
