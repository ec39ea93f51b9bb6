"""Response playbooks: checklists in Russian, Kazakh and English, loaded from data/playbooks/*.md.

Each alert links a playbook (a category's id, or `general`, or a rule's own
choice); the analyst ticks its items and the state is saved on the alert as
{item key: done}. The keys must therefore be stable and the same in every
language, so an item ticked on the Russian page is ticked on the English one.
The format (documented in data/playbooks/README.md) is plain Markdown that
translators can edit, validated strictly here:

    # <playbook title, any language>

    ## ru: <title>
    <optional summary paragraph>
    ### verify: <heading>
    - [ ] <key>: <item text>
    ### notify: <heading>
    ...
    ### cross_check: <heading>
    ...
    ## kk: <title>
    ...
    ## en: <title>
    ...

Every language has the three sections in this order with the same item keys
in the same order; the checklist key of an item is `<section>.<key>`
(`verify.scope`). Anything else is a `PlaybookError` naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from indicators.lexicon_files import LexiconProblem
from indicators.taxonomy import CATEGORY_IDS

LANGUAGES: tuple[str, ...] = ("ru", "kk", "en")
SECTIONS: tuple[str, ...] = ("verify", "notify", "cross_check")
GENERAL = "general"
REQUIRED_IDS: tuple[str, ...] = (*CATEGORY_IDS, GENERAL)
PLAYBOOK_DIR = "playbooks"

_ID = re.compile(r"[a-z0-9_]{1,60}")
_KEY = re.compile(r"[a-z0-9_]{1,40}")
_H1 = re.compile(r"#\s+(?P<title>\S.*)")
_H2 = re.compile(r"##\s+(?P<lang>[A-Za-z_-]+)\s*:\s*(?P<title>\S.*)")
_H3 = re.compile(r"###\s+(?P<section>[A-Za-z_-]+)\s*:\s*(?P<heading>\S.*)")
_ITEM = re.compile(r"-\s+\[ \]\s+(?P<key>[^:\s]+)\s*:\s*(?P<text>\S.*)")
_CONTINUATION = re.compile(r"\s{2,}(?P<text>\S.*)")


class PlaybookError(ValueError):
    """A malformed playbook file; the message names the file and line."""


@dataclass(frozen=True)
class ChecklistItem:
    """One item: `key` is `<section>.<key>`, the same in every language."""

    key: str
    text: str


@dataclass(frozen=True)
class ChecklistSection:
    id: str  # verify | notify | cross_check
    heading: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class PlaybookText:
    """A playbook in one language."""

    lang: str
    title: str
    summary: str
    sections: tuple[ChecklistSection, ...]

    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for section in self.sections for item in section.items)


@dataclass(frozen=True)
class Playbook:
    """A response playbook with its text per language (every one of LANGUAGES)."""

    id: str
    title: str
    texts: Mapping[str, PlaybookText]

    def text(self, lang: str) -> PlaybookText:
        """The playbook in `lang`, or in English when there is no such language."""
        return self.texts.get(lang) or self.texts["en"]

    def item_keys(self) -> tuple[str, ...]:
        """The checklist keys, in order (the same in every language)."""
        return self.texts["en"].item_keys()

    def checklist_state(self, saved: Mapping[str, bool]) -> dict[str, bool]:
        """Every item's done flag from a saved state; keys the playbook no longer has drop out."""
        return {key: bool(saved.get(key, False)) for key in self.item_keys()}


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class _Section:
    id: str
    heading: str
    line: int
    items: list[tuple[str, str, int]]  # key, text, line


@dataclass
class _Language:
    lang: str
    title: str
    line: int
    summary: list[str]
    sections: list[_Section]


def _fail(where: str, line: int, message: str) -> PlaybookError:
    return PlaybookError(f"{where}:{line}: {message}")


def _read_lines(where: str, text: str) -> tuple[str, list[_Language]]:
    """Split the file into its title and language blocks, checking the line grammar."""
    title = ""
    languages: list[_Language] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("<!--"):
            continue
        if m := _H3.fullmatch(line):
            if not languages:
                raise _fail(where, number, "a section before any '## <lang>: <title>' heading")
            languages[-1].sections.append(_Section(m["section"], m["heading"], number, []))
        elif m := _H2.fullmatch(line):
            languages.append(_Language(m["lang"], m["title"], number, [], []))
        elif m := _H1.fullmatch(line):
            if title or languages:
                raise _fail(where, number, "only one '# title' line, at the top")
            title = m["title"]
        elif m := _ITEM.fullmatch(line):
            if not languages or not languages[-1].sections:
                raise _fail(where, number, "a checklist item outside a '### <section>:' block")
            languages[-1].sections[-1].items.append((m["key"], m["text"], number))
        elif (m := _CONTINUATION.fullmatch(line)) and languages and languages[-1].sections:
            items = languages[-1].sections[-1].items
            if not items:
                raise _fail(where, number, "an indented line before any checklist item")
            key, item_text, first = items[-1]
            items[-1] = (key, f"{item_text} {m['text']}", first)
        elif languages and not languages[-1].sections and not line.startswith(("#", "-")):
            languages[-1].summary.append(line.strip())
        else:
            raise _fail(
                where,
                number,
                "expected '## <lang>: <title>', '### <section>: <heading>', "
                f"'- [ ] <key>: <text>' or summary text, got {line.strip()[:60]!r}",
            )
    if not title:
        raise _fail(where, 1, "the file must start with a '# <title>' line")
    return title, languages


def _check_language(where: str, block: _Language) -> PlaybookText:
    if block.lang not in LANGUAGES:
        known = ", ".join(LANGUAGES)
        raise _fail(where, block.line, f"unknown language {block.lang!r}; use {known}")
    found = [s.id for s in block.sections]
    if found != list(SECTIONS):
        raise _fail(
            where,
            block.line,
            f"{block.lang}: sections must be {', '.join(SECTIONS)} in this order, got "
            f"{', '.join(found) or 'none'}",
        )
    sections = []
    for section in block.sections:
        if not section.items:
            raise _fail(where, section.line, f"{block.lang}/{section.id}: no checklist items")
        seen: set[str] = set()
        items = []
        for key, text, line in section.items:
            if not _KEY.fullmatch(key):
                raise _fail(where, line, f"item key {key!r}: use lower-case letters, digits, _")
            if key in seen:
                raise _fail(where, line, f"{block.lang}/{section.id}: duplicate item key {key!r}")
            seen.add(key)
            items.append(ChecklistItem(f"{section.id}.{key}", text))
        sections.append(ChecklistSection(section.id, section.heading, tuple(items)))
    return PlaybookText(block.lang, block.title, " ".join(block.summary), tuple(sections))


def parse_playbook(playbook_id: str, text: str, *, where: str | None = None) -> Playbook:
    """A playbook from its Markdown text; PlaybookError (file:line: why) when malformed."""
    where = where or f"{playbook_id}.md"
    if not _ID.fullmatch(playbook_id):
        raise _fail(where, 1, f"playbook id {playbook_id!r}: use lower-case letters, digits, _")
    title, blocks = _read_lines(where, text)
    texts: dict[str, PlaybookText] = {}
    for block in blocks:
        if block.lang in texts:
            raise _fail(where, block.line, f"language {block.lang!r} appears twice")
        texts[block.lang] = _check_language(where, block)
    missing = [lang for lang in LANGUAGES if lang not in texts]
    if missing:
        raise _fail(where, 1, f"missing language(s): {', '.join(missing)}")
    reference = texts["en"].item_keys()
    for lang in LANGUAGES:
        keys = texts[lang].item_keys()
        if keys != reference:
            only_here = sorted(set(keys) - set(reference))
            only_en = sorted(set(reference) - set(keys))
            detail = (
                f"extra {only_here}, missing {only_en}" if only_here or only_en else "other order"
            )
            line = next(b.line for b in blocks if b.lang == lang)
            raise _fail(where, line, f"{lang}: checklist keys differ from en ({detail})")
    ordered = MappingProxyType({lang: texts[lang] for lang in LANGUAGES})
    return Playbook(id=playbook_id, title=title, texts=ordered)


# --- files -----------------------------------------------------------------------------------


def playbook_dir(data_dir: Path) -> Path:
    return Path(data_dir) / PLAYBOOK_DIR


def playbook_path(data_dir: Path, playbook_id: str) -> Path:
    """Where a playbook lives; ValueError for an id that is not a plain name."""
    if not _ID.fullmatch(playbook_id):
        raise ValueError(f"not a playbook id: {playbook_id!r}")
    return playbook_dir(data_dir) / f"{playbook_id}.md"


def load_playbook(data_dir: Path, playbook_id: str) -> Playbook:
    """One playbook (FileNotFoundError when absent, PlaybookError when malformed)."""
    path = playbook_path(data_dir, playbook_id)
    return parse_playbook(playbook_id, path.read_text(encoding="utf-8"), where=str(path))


def playbook_ids(data_dir: Path) -> list[str]:
    """Ids of the playbook files present (README.md and other non-id names are not playbooks)."""
    folder = playbook_dir(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.md") if _ID.fullmatch(p.stem))


def load_playbooks(data_dir: Path) -> dict[str, Playbook]:
    """Every playbook in the folder; the first malformed one raises PlaybookError."""
    return {pid: load_playbook(data_dir, pid) for pid in playbook_ids(data_dir)}


def check_playbooks(data_dir: Path, required: Iterable[str] = REQUIRED_IDS) -> list[LexiconProblem]:
    """Problems in data/playbooks/, in the form `threatmon lexicon check` reports.

    Each malformed file is an error, and so is a missing playbook for a
    category or `general` (alerts link them by those ids).
    """
    problems: list[LexiconProblem] = []
    present = playbook_ids(data_dir)
    for pid in present:
        try:
            load_playbook(data_dir, pid)
        except PlaybookError as exc:
            where, line, message = _split(str(exc))
            problems.append(LexiconProblem(where, line, "error", message))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(
                LexiconProblem(str(playbook_path(data_dir, pid)), None, "error", str(exc))
            )
    for pid in required:
        if pid not in present:
            problems.append(
                LexiconProblem(
                    str(playbook_dir(data_dir)),
                    None,
                    "error",
                    f"no playbook {pid!r} ({pid}.md): alerts link it",
                )
            )
    return problems


def _split(message: str) -> tuple[str, int | None, str]:
    """'path:12: why' -> (path, 12, why)."""
    m = re.fullmatch(r"(?P<where>.*?):(?P<line>\d+): (?P<why>.*)", message, flags=re.DOTALL)
    if m is None:
        return "", None, message
    return m["where"], int(m["line"]), m["why"]
