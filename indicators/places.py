"""Where each Kazakh unit is: its administrative centre as a point (gazetteer/coordinates.toml).

The tagger needs only names; an export for partners also needs a point, so a
threat-intelligence platform can put a region's `location` on its map. The
points are data an analyst can check and correct, hence a file beside the
gazetteer rather than constants. `parse_places` is pure and strict: every
unit of the taxonomy exactly once, real coordinates, a city name; anything
else is a `PlacesError` naming the file, the entry and the reason.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from indicators.lexicon_files import LexiconProblem
from indicators.taxonomy import KZ_REGION_CODES

PLACES_FILE = "gazetteer/coordinates.toml"  # in the data folder
_FIELDS = frozenset({"city", "lat", "lon"})


class PlacesError(ValueError):
    """A malformed coordinates file; the message names the file, the entry and the reason."""


@dataclass(frozen=True)
class Place:
    """A Kazakh unit's administrative centre (WGS84 degrees)."""

    code: str  # ISO 3166-2:KZ
    city: str
    latitude: float
    longitude: float


def _degrees(value: Any, where: str, limit: float) -> float:
    # TOML reads 43 as an int and 43.0 as a float; a bool is neither a latitude nor a longitude
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlacesError(f"{where}: expected a number of degrees, got {value!r}")
    if not -limit <= value <= limit:
        raise PlacesError(f"{where}: {value} is outside -{limit:g}..{limit:g}")
    return float(value)


def parse_places(raw: Mapping[str, Any]) -> Mapping[str, Place]:
    """Validate the parsed file: one centre for each unit of ISO 3166-2:KZ, nothing else."""
    centres = raw.get("centres")
    if not isinstance(raw.get("version"), str) or not raw["version"]:
        raise PlacesError(f"{PLACES_FILE}: `version` must be a non-empty string")
    if not isinstance(centres, dict):
        raise PlacesError(f"{PLACES_FILE}: expected [centres.<code>] tables")
    unknown = sorted(set(centres) - set(KZ_REGION_CODES))
    missing = [code for code in KZ_REGION_CODES if code not in centres]
    if unknown or missing:
        detail = [f"unknown {unknown}"] if unknown else []
        detail += [f"missing {missing}"] if missing else []
        raise PlacesError(f"{PLACES_FILE} [centres]: " + "; ".join(detail))
    places: dict[str, Place] = {}
    for code in KZ_REGION_CODES:
        entry, where = centres[code], f"{PLACES_FILE} [centres.{code}]"
        if not isinstance(entry, dict) or set(entry) != _FIELDS:
            raise PlacesError(f"{where}: expected exactly {sorted(_FIELDS)}")
        city = entry["city"]
        if not isinstance(city, str) or not city.strip():
            raise PlacesError(f"{where}: `city` must be a non-empty string")
        latitude = _degrees(entry["lat"], f"{where} lat", 90)
        longitude = _degrees(entry["lon"], f"{where} lon", 180)
        places[code] = Place(code, city.strip(), latitude, longitude)
    return MappingProxyType(places)


def load_places(data_dir: Path) -> Mapping[str, Place]:
    """Read and check `data_dir/gazetteer/coordinates.toml`.

    A data folder without the file (an analyst's copy older than it) gives no
    points: exports then name the regions without coordinates instead of failing.
    """
    path = Path(data_dir) / PLACES_FILE
    if not path.is_file():
        return MappingProxyType({})
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise PlacesError(f"{PLACES_FILE}: {exc}") from exc
    return parse_places(raw)


def check_places(data_dir: Path) -> list[LexiconProblem]:
    """The coordinates file's problem, in the form `threatmon lexicon check` reports."""
    try:
        load_places(data_dir)
    except PlacesError as exc:
        message = str(exc).removeprefix(PLACES_FILE).lstrip(": ")
        return [LexiconProblem(PLACES_FILE, None, "error", message)]
    except (OSError, UnicodeDecodeError) as exc:
        return [LexiconProblem(PLACES_FILE, None, "error", str(exc))]
    return []
