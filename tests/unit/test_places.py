"""The administrative centres of the Kazakh units (data/gazetteer/coordinates.toml).

The points go to partners in the STIX export, so they must be right: each one
lies inside its own unit on the dashboard's map (shapes derived independently
of this file), and a malformed file is refused with the entry and the reason.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from indicators.places import PLACES_FILE, PlacesError, check_places, load_places, parse_places
from indicators.taxonomy import KZ_REGION_CODES

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
MAP = ROOT / "dashboard" / "assets" / "map" / "central_asia.geojson"


def _in_ring(x: float, y: float, ring: list[list[float]]) -> bool:
    """Even-odd rule: a ray to the east crosses the ring's edges an odd number of times."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return any(
        _in_ring(lon, lat, outer) and not any(_in_ring(lon, lat, hole) for hole in holes)
        for outer, *holes in polygons
    )


def test_every_unit_has_a_centre_that_lies_inside_it_and_in_no_other_unit() -> None:
    places = load_places(DATA)
    assert sorted(places) == sorted(KZ_REGION_CODES)
    shapes = {
        f["id"]: f["geometry"]
        for f in json.loads(MAP.read_text(encoding="utf-8"))["features"]
        if f["properties"]["kind"] == "kz_unit"
    }
    for code, place in places.items():
        holders = [c for c, g in shapes.items() if _contains(g, place.longitude, place.latitude)]
        assert holders == [code], (code, place.city, holders)


def test_the_capital_and_the_cities_of_republican_status_are_their_own_centres() -> None:
    places = load_places(DATA)
    assert {places[c].city for c in ("KZ-71", "KZ-75", "KZ-79")} == {
        "Astana",
        "Almaty",
        "Shymkent",
    }


def _shipped() -> dict[str, Any]:
    with (DATA / PLACES_FILE).open("rb") as fh:
        return tomllib.load(fh)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda raw: raw["centres"].pop("KZ-62"), r"missing \['KZ-62'\]"),
        (lambda raw: raw["centres"].update({"KZ-99": raw["centres"]["KZ-10"]}), r"unknown"),
        (lambda raw: raw["centres"]["KZ-75"].update(lat=143.2), r"KZ-75\] lat: 143.2 is outside"),
        (lambda raw: raw["centres"]["KZ-75"].update(lon="76.9"), r"KZ-75\] lon: expected a number"),
        (lambda raw: raw["centres"]["KZ-75"].update(lat=True), r"KZ-75\] lat: expected a number"),
        (lambda raw: raw["centres"]["KZ-19"].pop("city"), r"KZ-19\]: expected exactly"),
        (lambda raw: raw["centres"]["KZ-19"].update(city=" "), r"KZ-19\]: `city` must be"),
        (lambda raw: raw.pop("version"), r"`version` must be"),
    ],
)
def test_a_malformed_file_is_refused_with_the_entry_and_the_reason(edit: Any, reason: str) -> None:
    raw = _shipped()
    edit(raw)
    with pytest.raises(PlacesError, match=reason):
        parse_places(raw)


def test_a_data_folder_without_the_file_has_no_points(tmp_path: Path) -> None:
    assert dict(load_places(tmp_path)) == {}


def test_a_file_that_is_not_toml_is_refused_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "gazetteer").mkdir()
    (tmp_path / PLACES_FILE).write_text("[centres.KZ-10\ncity = 1\n", encoding="utf-8")
    with pytest.raises(PlacesError, match=r"coordinates\.toml"):
        load_places(tmp_path)


def test_lexicon_check_reports_a_broken_file_as_one_error_and_the_shipped_one_as_none(
    tmp_path: Path,
) -> None:
    assert check_places(DATA) == []
    (tmp_path / "gazetteer").mkdir()
    text = (DATA / PLACES_FILE).read_text(encoding="utf-8").replace("lat = 43.24", "lat = 433")
    (tmp_path / PLACES_FILE).write_text(text, encoding="utf-8")
    (problem,) = check_places(tmp_path)
    assert (problem.file, problem.severity) == (PLACES_FILE, "error")
    assert problem.message == "[centres.KZ-75] lat: 433 is outside -90..90"
