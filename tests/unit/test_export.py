"""Snapshot serializers: same tables in every format, and no cell runs as a formula."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from indicators.alerts import AlertRow
from indicators.export import (
    FORMULA_PREFIXES,
    WRITERS,
    filename,
    neutralize_cell,
    snapshot_tables,
)
from indicators.selection import Filters
from indicators.snapshot import Indicator, Snapshot, change_pct, snapshot_to_dict
from indicators.store.method_trends import MethodMonth
from indicators.store.queries import ItemView, SeriesPoint, TagEvidence, Totals


def make_item(item_id: int, title: str, summary: str = "Саммари") -> ItemView:
    return ItemView(
        id=item_id,
        published_at=datetime(2024, 3, 9, 8, 0, tzinfo=UTC),
        source_id=3,
        source_name="Tengri News",
        lang="ru",
        title=title,
        summary=summary,
        url=f"https://example.kz/{item_id}",
        relevant=True,
        tags={
            "category": [TagEvidence("cyber_threats", [{"term": "DDoS", "start": 0, "end": 4}])],
            "region": [
                TagEvidence("KZ-75", [{"term": "Алматы", "start": 10, "end": 16}]),
                TagEvidence("KZ-19", [{"term": "области", "start": 20, "end": 27}]),
            ],
        },
    )


def make_snapshot(items: list[ItemView] | None = None, capped: bool = False) -> Snapshot:
    rows = items if items is not None else [make_item(1, "DDoS в Алматы"), make_item(2, "=1+1")]
    return Snapshot(
        generated_at=datetime(2024, 3, 15, 12, 0, tzinfo=UTC),
        filters=Filters(date(2024, 3, 8), date(2024, 3, 14), regions=("KZ-75",)),
        period_from=date(2024, 3, 8),
        period_to=date(2024, 3, 14),
        granularity="day",
        taxonomy_version="tax-1",
        lexicon_version="lex-7",
        totals=Totals(items=11, relevant=9, stories=8),
        indicators=[
            Indicator("category", "cyber_threats", "Cyber threats", 2, 1, 100.0),
            Indicator("region", "KZ-75", "-Almaty", 4, 0, None),
        ],
        series=[
            SeriesPoint("category", "cyber_threats", date(2024, 3, 9), 2),
            SeriesPoint("region", "KZ-75", date(2024, 3, 8), 2),
        ],
        items=rows,
        items_total=len(rows) + (5 if capped else 0),
        items_capped=capped,
        alerts=[ALERT],
        methods=[
            MethodMonth(date(2024, 3, 1), "explosives_ied", 3, 4),
            MethodMonth(date(2024, 3, 1), "drones", 1, 4),
        ],
        labels={("method", "explosives_ied"): "Explosives and IEDs"},
    )


# A label that a spreadsheet would run as a formula: the alerts sheet must neutralize it too.
ALERT = AlertRow(
    id=3, kind="rise", key="rise:category=cyber_threats", active=True, rule_id=None,
    series={"category": ["cyber_threats"]}, label="=HYPERLINK(1) Rise: Cyber threats",
    window_start=datetime(2024, 3, 13, 12, 0, tzinfo=UTC),
    window_end=datetime(2024, 3, 14, 12, 0, tzinfo=UTC), observed=6, expected=1.23456,
    score=5.678, peak_score=5.678, story_ids=(1,), item_ids=(1, 2), state="new", note="",
    playbook="cyber_threats", checklist={}, created_at=datetime(2024, 3, 14, 12, 0, tzinfo=UTC),
    updated_at=datetime(2024, 3, 14, 12, 0, tzinfo=UTC),
)  # fmt: skip


def csv_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    text = data.decode("utf-8-sig")
    tables: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        tables.setdefault(row.pop("table"), []).append(row)
    return tables


def xlsx_tables(data: bytes) -> dict[str, list[list[object]]]:
    book = load_workbook(io.BytesIO(data))
    return {
        sheet.title: [[c.value for c in row] for row in sheet.iter_rows()]
        for sheet in book.worksheets
    }


def test_registry_offers_json_csv_xlsx_stix() -> None:
    assert set(WRITERS) == {"json", "csv", "xlsx", "stix"}
    assert WRITERS["stix"].media_type == "application/stix+json;version=2.1"
    assert filename(make_snapshot(), "stix").endswith(".stix.json")
    assert WRITERS["json"].media_type == "application/json"
    assert WRITERS["csv"].media_type.startswith("text/csv")
    assert WRITERS["xlsx"].extension == "xlsx"
    assert filename(make_snapshot(), "csv") == "threatmon-snapshot-2024-03-08_2024-03-14.csv"


def test_json_has_the_documented_shape() -> None:
    data = json.loads(WRITERS["json"].write(make_snapshot(capped=True)))
    assert set(data) == {
        "generated_at",
        "filters",
        "period",
        "taxonomy_version",
        "lexicon_version",
        "totals",
        "indicators",
        "series",
        "items",
        "items_total",
        "items_capped",
        "alerts",
        "methods",
    }
    assert data["methods"][0] == {
        "month": "2024-03-01",
        "method": "explosives_ied",
        "label": "Explosives and IEDs",
        "stories": 3,
        "with_method": 4,
        "share": 0.75,
    }
    assert data["methods"][1]["label"] == "drones"  # no label known: the id
    assert data["alerts"] == [
        {
            "id": 3, "kind": "rise", "label": "=HYPERLINK(1) Rise: Cyber threats", "state": "new",
            "window_start": "2024-03-13T12:00:00+00:00", "window_end": "2024-03-14T12:00:00+00:00",
            "observed": 6, "expected": 1.235, "score": 5.68,
            "created_at": "2024-03-14T12:00:00+00:00",
        }
    ]  # fmt: skip
    assert data["period"] == {"from": "2024-03-08", "to": "2024-03-14", "granularity": "day"}
    assert data["totals"] == {"items": 11, "relevant": 9, "stories": 8}
    assert data["indicators"][1] == {
        "axis": "region",
        "id": "KZ-75",
        "label": "-Almaty",
        "count": 4,
        "previous": 0,
        "change_pct": None,
    }
    assert data["series"][0] == {
        "axis": "category",
        "id": "cyber_threats",
        "date": "2024-03-09",
        "count": 2,
    }
    assert data["items"][0]["tags"]["region"] == [
        {"id": "KZ-75", "terms": [{"term": "Алматы", "start": 10, "end": 16}]},
        {"id": "KZ-19", "terms": [{"term": "области", "start": 20, "end": 27}]},
    ]
    assert data["items_capped"] is True
    assert data["filters"]["region"] == ["KZ-75"]
    assert data["generated_at"] == "2024-03-15T12:00:00+00:00"


def test_csv_and_xlsx_carry_the_same_tables() -> None:
    snapshot = make_snapshot()
    expected = snapshot_tables(snapshot)
    from_csv = csv_tables(WRITERS["csv"].write(snapshot))
    from_xlsx = xlsx_tables(WRITERS["xlsx"].write(snapshot))
    assert (
        list(from_xlsx)
        == list(expected)
        == [
            "meta",
            "totals",
            "indicators",
            "series",
            "items",
            "alerts",
            "methods",
        ]
    )
    for name, (header, rows) in expected.items():
        assert from_xlsx[name][0] == header
        assert len(from_xlsx[name]) - 1 == len(rows) == len(from_csv[name])
        for csv_row, xlsx_row, row in zip(from_csv[name], from_xlsx[name][1:], rows, strict=True):
            for column, cell, xlsx_cell, original in zip(
                header, [csv_row[c] for c in header], xlsx_row, row, strict=True
            ):
                want = neutralize_cell(original)
                if want is None:
                    assert (cell, xlsx_cell) == ("", None), column
                elif isinstance(want, bool):
                    assert cell == str(want).lower() and xlsx_cell is want, column
                else:
                    assert cell == str(want), column
                    assert xlsx_cell == want, column


def test_csv_rows_match_the_json_numbers() -> None:
    snapshot = make_snapshot()
    data = snapshot_to_dict(snapshot)
    tables = csv_tables(WRITERS["csv"].write(snapshot))
    assert {r["measure"]: int(r["count"]) for r in tables["totals"]} == data["totals"]
    assert [(r["axis"], r["id"], int(r["count"])) for r in tables["series"]] == [
        (p["axis"], p["id"], p["count"]) for p in data["series"]
    ]
    assert [int(r["id"]) for r in tables["items"]] == [i["id"] for i in data["items"]]
    first = tables["items"][0]
    assert first["regions"] == "KZ-75;KZ-19"
    assert first["matched_terms"] == (
        "category:cyber_threats=DDoS; region:KZ-75=Алматы; region:KZ-19=области"
    )


def test_a_formula_title_is_shown_as_text() -> None:
    snapshot = make_snapshot([make_item(1, '=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0")])
    csv_items = csv_tables(WRITERS["csv"].write(snapshot))["items"]
    assert csv_items[0]["title"] == '\'=HYPERLINK("http://evil","x")'
    assert csv_items[0]["summary"].startswith("'+")
    book = load_workbook(io.BytesIO(WRITERS["xlsx"].write(snapshot)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+7 701", "'+7 701"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("plain", "plain"),
        ("", ""),
        ("a=1", "a=1"),
        (-5, -5),
        (2.5, 2.5),
        (None, None),
        (True, True),
    ],
)
def test_neutralize_cell(value: object, expected: object) -> None:
    assert neutralize_cell(value) == expected


@given(st.text())
def test_no_neutralized_cell_starts_with_a_formula_character(value: str) -> None:
    cell = neutralize_cell(value)
    assert not cell.startswith(FORMULA_PREFIXES)
    assert cell in (value, "'" + value)  # nothing else is changed


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4))
def test_no_exported_text_cell_starts_with_a_formula_character(titles: list[str]) -> None:
    items = [make_item(i + 1, title, summary=title[::-1]) for i, title in enumerate(titles)]
    snapshot = make_snapshot(items)
    for row in csv.reader(io.StringIO(WRITERS["csv"].write(snapshot).decode("utf-8-sig"))):
        assert not any(cell.startswith(FORMULA_PREFIXES) for cell in row), row
    book = load_workbook(io.BytesIO(WRITERS["xlsx"].write(snapshot)))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES), cell.value


@pytest.mark.parametrize(
    ("count", "previous", "expected"),
    [(10, 5, 100.0), (5, 10, -50.0), (3, 0, None), (0, 0, None), (3, None, None), (2, 3, -33.3)],
)
def test_change_pct(count: int, previous: int | None, expected: float | None) -> None:
    assert change_pct(count, previous) == expected


@pytest.mark.parametrize("odd", ["\ufffe", "\uffff", "\ud800", "\x01"])
def test_characters_xml_cannot_hold_are_dropped_from_the_workbook(odd: str) -> None:
    snapshot = make_snapshot([make_item(1, f"Теракт{odd} в Актобе", summary="ok")])
    book = load_workbook(io.BytesIO(WRITERS["xlsx"].write(snapshot)))
    values = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert "Теракт в Актобе" in values
