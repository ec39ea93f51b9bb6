"""The snapshot's CSV and XLSX headings in the interface language.

`indicators.export` writes English identifiers (`published_at`, the sheet
`items`) and lets its caller rename them for people; JSON keys and STIX are
never renamed (they are the API). An English export keeps the identifiers, so
scripts reading it do not change; in Russian and Kazakh every table, column,
meta key and totals measure gets a title from the catalogs. The messages are
titles in English ("Published (UTC)"), never shown in English themselves.
`tests/unit/test_export_names.py` fails when the snapshot gains a name this
table misses.
"""

from __future__ import annotations

from dataclasses import replace

from dashboard.alert_text import alert_label
from dashboard.i18n import N_, SOURCE_LANGUAGE, Translator
from dashboard.labels import label_in
from indicators.export import Heading, as_is
from indicators.snapshot import Snapshot
from indicators.taxonomy import Taxonomy

EXPORT_NAMES = {
    # the tables (CSV: the first column's values; XLSX: the sheets)
    "table": N_("Table"),
    "meta": N_("About this export"),
    "totals": N_("Totals"),
    "indicators": N_("Indicators"),
    "series": N_("Time series"),
    "items": N_("Items"),
    "alerts": N_("Alerts"),
    "methods": N_("Methods"),
    # meta
    "key": N_("Parameter"),
    "value": N_("Value"),
    "generated_at": N_("Generated at (UTC)"),
    "period_from": N_("Period from"),
    "period_to": N_("Period to"),
    "granularity": N_("Granularity"),
    "taxonomy_version": N_("Taxonomy version"),
    "lexicon_version": N_("Lexicon version"),
    "filters": N_("Filters"),
    "items_total": N_("Items matching the filters"),
    "items_capped": N_("Item list cut at the export limit"),
    # totals
    "measure": N_("Measure"),
    "relevant": N_("Relevant"),
    "stories": N_("Stories"),
    # indicators and series
    "axis": N_("Axis"),
    "id": N_("Identifier"),
    "label": N_("Name"),
    "count": N_("Number"),
    "previous": N_("Previous period"),
    "change_pct": N_("Change, %"),
    "date": N_("Date"),
    # items
    "published_at": N_("Published (UTC)"),
    "source_id": N_("Source identifier"),
    "source": N_("Source"),
    "lang": N_("Language"),
    "title": N_("Title"),
    "summary": N_("Summary"),
    "url": N_("Link"),
    "categories": N_("Categories"),
    "regions": N_("Regions"),
    "platforms": N_("Platforms"),
    "actors": N_("Organizations"),
    "matched_terms": N_("Matched terms"),
    # alerts
    "kind": N_("Kind"),
    "state": N_("State"),
    "window_start": N_("Window start (UTC)"),
    "window_end": N_("Window end (UTC)"),
    "observed": N_("Observed"),
    "expected": N_("Expected"),
    "score": N_("Score"),
    "created_at": N_("Raised at (UTC)"),
    # methods
    "month": N_("Month"),
    "method": N_("Method"),
    "with_method": N_("Stories naming a method"),
    "share": N_("Share"),
}


def export_heading(t: Translator) -> Heading:
    """How the snapshot's CSV and XLSX name their tables and columns in `t`'s language."""
    if t.lang == SOURCE_LANGUAGE:
        return as_is

    def heading(name: str) -> str:
        return t(EXPORT_NAMES[name]) if name in EXPORT_NAMES else name

    return heading


def localize(snapshot: Snapshot, taxonomy: Taxonomy, t: Translator) -> Snapshot:
    """The snapshot's alerts named in `t`'s language, as the Alerts view names them (the
    tags' labels are chosen when the snapshot is built, by its `label_lang`)."""
    if t.lang == SOURCE_LANGUAGE:
        return snapshot

    def label(axis: str, value: str) -> str:
        return label_in(taxonomy, t, axis, value)

    return replace(
        snapshot, alerts=[replace(a, label=alert_label(a, label, t)) for a in snapshot.alerts]
    )
