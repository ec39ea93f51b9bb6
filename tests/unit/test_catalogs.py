"""The `.po` catalogs hold exactly the interface's messages, every one translated.

The messages are extracted from `dashboard/` the way `python -m tools.catalogs`
does (Babel's Python extractor over `t(...)`, `N_(...)` and `t.plural(...)`).
A message missing from a catalog or left empty, a catalog entry the code no
longer uses, a fuzzy entry, or a translation that loses a `{placeholder}`
fails here. The same check run on a made-up source tree shows it can fail.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from dashboard.i18n import LOCALE_DIR, SOURCE_LANGUAGE, UI_LANGUAGES
from tools.catalogs import Message, messages

TRANSLATED = tuple(lang for lang in UI_LANGUAGES if lang != SOURCE_LANGUAGE)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def problems(wanted: dict[str, Message], catalog: Catalog) -> list[str]:
    """Everything wrong with `catalog` for the messages `wanted` (empty: all good)."""
    found: list[str] = []
    have = {}
    for entry in catalog:
        if not entry.id:
            continue
        key = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        have[key] = entry
        if key not in wanted:
            found.append(f"unused entry {key!r}")
    for key, message in wanted.items():
        entry = have.get(key)
        if entry is None:
            found.append(f"missing {key!r} ({message.where})")
            continue
        if entry.fuzzy:
            found.append(f"fuzzy {key!r}")
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if isinstance(message.id, tuple) != isinstance(entry.id, tuple):
            found.append(f"plural mismatch {key!r}")
        if isinstance(entry.id, tuple) and len(forms) != catalog.num_plurals:
            found.append(f"{key!r} has {len(forms)} plural forms, not {catalog.num_plurals}")
        if not all(form and form.strip() for form in forms):
            found.append(f"untranslated {key!r}")
            continue
        for form in forms:
            if placeholders(form) != placeholders(key):
                found.append(f"{key!r}: placeholders {placeholders(form)} in {form!r}")
    return found


def read(lang: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    with (locale_dir / f"{lang}.po").open("rb") as po:
        return read_po(po, locale=lang)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_interface_message_is_translated_and_no_entry_is_unused(lang: str) -> None:
    wanted = messages()
    assert len(wanted) > 100, "the extractor found the dashboard's messages"
    assert "Overview" in wanted and "Clear filters" in wanted
    assert problems(wanted, read(lang)) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalogs_are_text_in_the_language_not_english_copies(lang: str) -> None:
    catalog = read(lang)
    assert catalog.locale is not None and str(catalog.locale) == lang
    cyrillic = re.compile("[а-яёәғқңөұүһі]", re.IGNORECASE)
    copied = [
        entry.id
        for entry in catalog
        if entry.id
        and isinstance(entry.string, str)
        and entry.string == entry.id
        and cyrillic.search(entry.id) is None
        and entry.id not in PROPER_NAMES_OR_CODES
    ]
    assert copied == []
    if lang == "kk":  # Kazakh letters, not Russian text under a Kazakh name
        text = " ".join(e.string for e in catalog if e.id and isinstance(e.string, str))
        assert re.search("[әғқңөұүһі]", text)


# Entries whose translation is, rightly, the same text.
PROPER_NAMES_OR_CODES = frozenset({"Taxonomy {taxonomy} · lexicon {lexicon}"})


def test_the_check_fails_on_a_missing_an_empty_and_an_unused_message(tmp_path: Path) -> None:
    source = tmp_path / "dashboard"
    source.mkdir()
    (source / "view.py").write_text(
        "from dashboard.i18n import N_\n"
        "TITLE = N_('Overview')\n"
        "def render(t):\n"
        "    return t('A brand new label'), t('Trends'), t.plural('{n} item', '{n} items', 2)\n",
        encoding="utf-8",
    )
    wanted = messages((source,))
    assert set(wanted) == {"Overview", "A brand new label", "Trends", "{n} item"}
    catalog = Catalog(locale="ru")
    catalog.add("Overview", "Обзор")
    catalog.add("Trends", "")
    catalog.add(("{n} item", "{n} items"), ("{n} материал", "{n} материала", ""))
    catalog.add("Gone from the code", "Удалено")
    catalog.add("Clear filters", "Сбросить", flags=("fuzzy",))
    found = problems(wanted, catalog)
    assert "missing 'A brand new label' (dashboard/view.py:4)" in found
    assert "untranslated 'Trends'" in found
    assert "untranslated '{n} item'" in found
    assert "unused entry 'Gone from the code'" in found
    assert "unused entry 'Clear filters'" in found
    catalog["Trends"].string = "Тренды {n}"
    assert "'Trends': placeholders {'n'} in 'Тренды {n}'" in problems(wanted, catalog)
