"""Serializers of the indicator snapshot, in one registry so formats cannot disagree.

JSON is `snapshot_to_dict` as is. CSV and XLSX carry the same tables, all
built by `snapshot_tables`: meta, totals, indicators, series and items.

CSV layout: ONE file whose first column, `table`, names the table each row
belongs to; the header is the union of all tables' columns and a row leaves
the others empty. Why: a snapshot must stay one download that any tool reads
as one rectangular table (filter on `table` in a spreadsheet, or
`df[df.table == "series"]` in pandas), while a zip of CSVs or blank-line
separated sections would break ordinary CSV readers.

Every text cell in CSV and XLSX goes through `neutralize_cell`, so a title
such as "=HYPERLINK(...)" is shown as text, never run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from indicators.models import METHOD_AXIS, STORED_AXES, TAG_AXES
from indicators.selection import AXIS_FIELDS
from indicators.snapshot import ALERT_FIELDS, Snapshot, snapshot_to_dict

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Table = tuple[list[str], list[list[Any]]]  # header, rows


def neutralize_cell(value: Any) -> Any:
    """A text cell that a spreadsheet could run as a formula gets a leading apostrophe.

    Numbers, booleans and None pass unchanged: they cannot be formulas.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


METHOD_COLUMN = METHOD_AXIS + "s"  # the items table's methods column
METHOD_FIELDS = ("month", "method", "label", "stories", "with_method", "share")


def _terms(item_tags: dict[str, Any]) -> str:
    """Matched terms as `axis:id=term|term; ...`, the "why it was tagged" column."""
    parts = []
    for axis in STORED_AXES:
        for ev in item_tags.get(axis, []):
            terms = "|".join(t["term"] for t in ev.terms)
            parts.append(f"{axis}:{ev.value}={terms}")
    return "; ".join(parts)


def snapshot_tables(s: Snapshot) -> dict[str, Table]:
    """The snapshot as named tables of plain cells (str, int, float, bool, None)."""
    data = snapshot_to_dict(s)
    meta_rows: list[list[Any]] = [
        ["generated_at", data["generated_at"]],
        ["period_from", data["period"]["from"]],
        ["period_to", data["period"]["to"]],
        ["granularity", data["period"]["granularity"]],
        ["taxonomy_version", data["taxonomy_version"]],
        ["lexicon_version", data["lexicon_version"]],
        ["filters", urlencode(s.filters.to_params())],
        ["items_total", data["items_total"]],
        ["items_capped", data["items_capped"]],
    ]
    item_rows = [
        [
            item.id,
            item.published_at.isoformat(),
            item.source_id,
            item.source_name,
            item.lang,
            item.title,
            item.summary,
            item.url,
            item.relevant,
            *(";".join(ev.value for ev in item.tags.get(axis, [])) or None for axis in STORED_AXES),
            _terms(item.tags) or None,
        ]
        for item in s.items
    ]
    tables: dict[str, Table] = {
        "meta": (["key", "value"], meta_rows),
        "totals": (["measure", "count"], [[k, v] for k, v in data["totals"].items()]),
        "indicators": (
            ["axis", "id", "label", "count", "previous", "change_pct"],
            [
                [i["axis"], i["id"], i["label"], i["count"], i["previous"], i["change_pct"]]
                for i in data["indicators"]
            ],
        ),
        "series": (
            ["axis", "id", "date", "count"],
            [[p["axis"], p["id"], p["date"], p["count"]] for p in data["series"]],
        ),
        "items": (
            [
                "id",
                "published_at",
                "source_id",
                "source",
                "lang",
                "title",
                "summary",
                "url",
                "relevant",
                *(AXIS_FIELDS[axis] for axis in TAG_AXES),  # categories, regions, ...
                METHOD_COLUMN,
                "matched_terms",
            ],
            item_rows,
        ),
        "alerts": (list(ALERT_FIELDS), [[a[k] for k in ALERT_FIELDS] for a in data["alerts"]]),
        "methods": (
            list(METHOD_FIELDS),
            [[m[k] for k in METHOD_FIELDS] for m in data["methods"]],
        ),
    }
    # an empty string and an empty cell are the same thing in a spreadsheet
    return {
        name: (header, [[None if v == "" else v for v in row] for row in rows])
        for name, (header, rows) in tables.items()
    }


@dataclass(frozen=True)
class Writer:
    """One export format: what it is called on the wire and how to produce it."""

    name: str
    media_type: str
    extension: str
    render: Callable[[Snapshot], bytes]
    # the format describes whole stories: build the snapshot with `whole_stories=True`
    whole_stories: bool = False

    def write(self, snapshot: Snapshot) -> bytes:
        return self.render(snapshot)


def _json(s: Snapshot) -> bytes:
    return json.dumps(snapshot_to_dict(s), ensure_ascii=False, indent=2).encode("utf-8")


def _csv(s: Snapshot) -> bytes:
    tables = snapshot_tables(s)
    columns: list[str] = []
    for header, _rows in tables.values():
        columns += [c for c in header if c not in columns]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["table", *columns])
    for name, (header, rows) in tables.items():
        for row in rows:
            cells = dict(zip(header, row, strict=True))
            writer.writerow([name, *(_csv_cell(neutralize_cell(cells.get(c))) for c in columns)])
    # UTF-8 with BOM: Excel otherwise opens Cyrillic CSV as mojibake
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# What an XLSX cell (XML 1.0) cannot hold: C0 controls other than tab, line
# feed and carriage return, lone surrogates and the noncharacters U+FFFE and
# U+FFFF. openpyxl's own pattern misses the last three, which its XML writer
# then refuses for the whole workbook.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xlsx(s: Snapshot) -> bytes:
    from openpyxl import Workbook  # lazy: only exports need it

    book = Workbook(write_only=True)
    for name, (header, rows) in snapshot_tables(s).items():
        sheet = book.create_sheet(title=name)
        sheet.append(header)
        for row in rows:
            # strip what XLSX cannot hold first, so stripping cannot unmask a formula
            sheet.append(
                [neutralize_cell(XML_ILLEGAL.sub("", v) if isinstance(v, str) else v) for v in row]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _stix(s: Snapshot) -> bytes:
    from indicators.stix_export import stix_bytes  # lazy: only this format needs stix2

    return stix_bytes(s)


WRITERS: dict[str, Writer] = {
    w.name: w
    for w in (
        Writer("json", "application/json", "json", _json),
        Writer("csv", "text/csv; charset=utf-8", "csv", _csv),
        Writer(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            _xlsx,
        ),
        Writer("stix", "application/stix+json;version=2.1", "stix.json", _stix, whole_stories=True),
    )
}


def filename(s: Snapshot, fmt: str) -> str:
    """A download name that says what and when: threatmon-snapshot-<from>_<to>.<ext>."""
    span = f"{s.period_from or 'start'}_{s.period_to or 'end'}"
    return f"threatmon-snapshot-{span}.{WRITERS[fmt].extension}"
