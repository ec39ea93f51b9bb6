"""The snapshot's CSV and XLSX headings: every name has a title in each language."""

from __future__ import annotations

import pytest

from dashboard.export_names import EXPORT_NAMES, export_heading
from dashboard.i18n import ENGLISH, load_translators
from indicators.export import SHEET_ILLEGAL, SHEET_NAME_MAX, as_is, snapshot_names
from tests.unit.test_export import make_snapshot

TRANSLATORS = load_translators()


def test_every_table_column_and_key_of_a_snapshot_has_a_title() -> None:
    """A new column in indicators.export fails here until it is named (and translated)."""
    assert sorted(snapshot_names(make_snapshot()) - set(EXPORT_NAMES)) == []


def test_english_keeps_the_identifiers_scripts_read() -> None:
    assert export_heading(ENGLISH) is as_is


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_titles_are_distinct_and_fit_a_sheet_name(lang: str) -> None:
    heading = export_heading(TRANSLATORS[lang])
    titles = {name: heading(name) for name in EXPORT_NAMES}
    # two names with one title would merge two CSV columns into one
    assert len(set(titles.values())) == len(titles)
    assert all(title != name for name, title in titles.items())
    for table in ("meta", "totals", "indicators", "series", "items", "alerts", "methods"):
        assert len(titles[table]) <= SHEET_NAME_MAX and not SHEET_ILLEGAL.search(titles[table])
