"""Extract the dashboard's interface messages and bring the `.po` catalogs up to date.

A maintainer's tool, run by hand after changing interface text, never by the app:

    python -m tools.catalogs            # add new messages (untranslated), drop unused ones
    python -m tools.catalogs --check    # only report; exit 1 when a catalog is out of date

Messages are the string literals passed to `t(...)`, `N_(...)` and
`t.plural(singular, plural, n)` anywhere in `dashboard/` (see `dashboard.i18n`)
and `notify/` (the alert e-mails, `notify.render`),
found with Babel's Python extractor. Translations already in a catalog are
kept; a new message is added with an empty translation, which
`tests/unit/test_catalogs.py` then reports until a translator fills it in.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "dashboard"
LOCALE_DIR = SOURCE_DIR / "locale"
# where messages are written: the dashboard, and the alert e-mails (notify.render)
SOURCE_DIRS = (SOURCE_DIR, ROOT / "notify")
LANGUAGES = ("ru", "kk")  # English is the source language: it has no catalog
# Babel keyword specs: the argument positions that hold the message (1-based).
KEYWORDS: dict[str, tuple[int, ...] | None] = {"t": None, "N_": None, "plural": (1, 2)}


@dataclass(frozen=True)
class Message:
    """One interface message: its text (a (singular, plural) pair for plurals) and where."""

    id: str | tuple[str, str]
    where: str  # path:line of one use

    @property
    def key(self) -> str:
        return self.id[0] if isinstance(self.id, tuple) else self.id


def extract(source_dir: Path = SOURCE_DIR) -> Iterator[Message]:
    """Every marked message in the Python files under `source_dir`, in file order."""
    found = extract_from_dir(
        str(source_dir),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=(),
        strip_comment_tags=True,
    )
    for filename, line, text, _comments, _context in found:
        where = f"{source_dir.name}/{filename}:{line}"
        if isinstance(text, tuple):
            if len(text) == 2 and all(isinstance(part, str) and part for part in text):
                yield Message((text[0], text[1]), where)
        elif isinstance(text, str) and text:
            yield Message(text, where)


def messages(source_dirs: tuple[Path, ...] = SOURCE_DIRS) -> dict[str, Message]:
    """The distinct messages by their (singular) text; the first use names the place."""
    out: dict[str, Message] = {}
    for source_dir in source_dirs:
        for message in extract(source_dir):
            out.setdefault(message.key, message)
    return out


def update(path: Path, lang: str, wanted: dict[str, Message]) -> tuple[list[str], list[str]]:
    """Rewrite the catalog at `path` to hold exactly `wanted`; (added, removed) msgids."""
    if path.exists():
        with path.open("rb") as po:
            old = read_po(po, locale=lang)
    else:
        old = Catalog(locale=lang, project="threatmon")
    # The header stays as it was (no churn of dates on every run).
    new = Catalog(
        locale=lang,
        project="threatmon",
        version="",
        copyright_holder="threatmon contributors",
        msgid_bugs_address="",
        creation_date=old.creation_date,
        revision_date=old.revision_date,
        last_translator="threatmon contributors",
        language_team=f"{lang}",
        fuzzy=False,
    )
    added = []
    for key, message in wanted.items():
        previous = old.get(message.id)
        empty: str | tuple[str, ...] = "" if isinstance(message.id, str) else ()
        new.add(
            message.id,
            previous.string if previous is not None else empty,
            locations=[],
            flags=previous.flags if previous is not None else (),
        )
        if previous is None:
            added.append(key)
    removed = [m.id if isinstance(m.id, str) else m.id[0] for m in old if m.id and m.id not in new]
    with path.open("wb") as po:
        write_po(po, new, width=100, omit_header=False, sort_output=False, no_location=True)
    return added, removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if stale")
    args = parser.parse_args(argv)
    wanted = messages()
    stale = False
    for lang in LANGUAGES:
        path = LOCALE_DIR / f"{lang}.po"
        if args.check:
            with path.open("rb") as po:
                have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po) if m.id}
            added, removed = sorted(set(wanted) - have), sorted(have - set(wanted))
        else:
            added, removed = update(path, lang, wanted)
        stale = stale or bool(added or removed)
        for key in added:
            print(f"{lang}: new message {key!r} ({wanted[key].where})")
        for key in removed:
            print(f"{lang}: unused message {key!r}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
