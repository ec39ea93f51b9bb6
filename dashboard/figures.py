"""Query rows in, plotly figure dicts out: pure functions, no globals, no I/O.

Figures are plain dicts rather than `go.Figure` objects: building a graph
object validates every attribute and costs 2-5x more per callback (measured
with `make bench`), and a dict is just as easy to assert on in a test. Every
date is a UTC day; axis titles say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from dashboard.context import MapShapes
from dashboard.i18n import ENGLISH, N_, SOURCE_LANGUAGE, Translator
from indicators.store.queries import bucket, per_thousand

Figure = dict[str, Any]

FONT_FAMILY = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', "
    "Arial, sans-serif"
)
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
ACCENT = "#c0392b"
# Colour-blind-friendly qualitative palette (Okabe-Ito, then Tol's darker hues): 12 distinct
# colours, one per platform id.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#8B6D3F",
    "#000000",
    "#999999",
    "#117733",
    "#332288",
    "#882255",
)
COUNT_SCALE = [
    [0.0, "#fff7ec"],
    [0.25, "#fdd49e"],
    [0.5, "#fc8d59"],
    [0.75, "#d7301f"],
    [1.0, "#7f0000"],
]
ABROAD_SCALE = [[0.0, "#f7f7f4"], [1.0, "#a3b7cc"]]
WATER = "#dde8f2"
BORDER = "#aab4bf"
CITY_UNITS = ("KZ-71", "KZ-75", "KZ-79")  # Astana, Almaty, Shymkent: too small to click


def colors_for(ids: Sequence[str]) -> dict[str, str]:
    """A stable colour per id, by position (pass the taxonomy's fixed order)."""
    return {value: PALETTE[i % len(PALETTE)] for i, value in enumerate(ids)}


def _layout(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "font": {"family": FONT_FAMILY, "size": 12, "color": INK},
        "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
    base.update(overrides)
    return base


def localized(figure: Figure, t: Translator) -> Figure:
    """`figure` with numbers written the language's way in ticks, texts and hovers
    ("1 234,5" in Russian and Kazakh); English figures are returned unchanged."""
    if t.lang == SOURCE_LANGUAGE:
        return figure
    return {**figure, "layout": {**figure.get("layout", {}), "separators": t.separators}}


def count_axis(max_value: float, **extra: Any) -> dict[str, Any]:
    """An axis for whole counts: no "0.5 items" ticks when the numbers are small."""
    axis: dict[str, Any] = {"gridcolor": GRID, "rangemode": "tozero", "zerolinecolor": GRID}
    if max_value <= 10:
        axis.update(dtick=1, tick0=0)
    axis["tickformat"] = ",d"
    axis.update(extra)
    return axis


def empty_figure(message: str) -> Figure:
    """A blank chart that says why it is blank (no items, no feeds, bad filter)."""
    return {
        "data": [],
        "layout": _layout(
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": message,
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 14, "color": MUTED},
                }
            ],
        ),
    }


# --- time ------------------------------------------------------------------------------


def bucket_range(start: date, end: date, granularity: str) -> list[date]:
    """Every bucket start from the bucket of `start` to the bucket of `end`."""
    out: list[date] = []
    current = bucket(start, granularity)
    while current <= end:
        out.append(current)
        if granularity == "day":
            current += timedelta(days=1)
        elif granularity == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def fill_buckets(
    points: Iterable[tuple[date, int]], start: date, end: date, granularity: str
) -> list[tuple[date, int]]:
    """Dense series: every bucket in [start, end], zero where the query returned nothing."""
    counts: dict[date, int] = {}
    for day, n in points:
        key = bucket(day, granularity)
        counts[key] = counts.get(key, 0) + n
    return [(b, counts.get(b, 0)) for b in bucket_range(start, end, granularity)]


def rolling_mean(values: Sequence[float | None], window: int = 7) -> list[float | None]:
    """Trailing mean over `window` points; None until a full window exists."""
    out: list[float | None] = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        if i + 1 < window or any(v is None for v in chunk):
            out.append(None)
        else:
            out.append(round(sum(v for v in chunk if v is not None) / window, 3))
    return out


def per_thousand_series(counts: Sequence[int], volume: Sequence[int]) -> list[float | None]:
    """`queries.per_thousand` bucket by bucket, to two decimals; None where nothing was ingested."""
    shares = (per_thousand(c, v) for c, v in zip(counts, volume, strict=True))
    return [None if share is None else round(share, 2) for share in shares]


def trend_figure(
    series: Mapping[str, Iterable[tuple[date, int]]],
    *,
    start: date,
    end: date,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    granularity: str = "day",
    chart: str = "lines",
    smooth: bool = False,
    volume: Iterable[tuple[date, int]] | None = None,
    measure_label: str = "items",
    t: Translator = ENGLISH,
) -> Figure:
    """Counts over time, one trace per id (lines or stacked areas).

    `volume` switches to "per 1,000 ingested items" of the same bucket, so a
    feed outage or a new feed does not read as a threat trend. `smooth` adds
    a trailing 7-day mean (day granularity only) and keeps the raw counts as a
    faint line behind it. `t` is the interface language of the titles and
    dates (`measure_label` comes translated).
    """
    buckets = bucket_range(start, end, granularity)
    x = [b.isoformat() for b in buckets]
    dense_volume = (
        [n for _, n in fill_buckets(volume, start, end, granularity)]
        if volume is not None
        else None
    )
    unit = (
        t("{measure} per 1,000 ingested").format(measure=measure_label)
        if dense_volume is not None
        else measure_label
    )
    traces: list[dict[str, Any]] = []
    for value, points in series.items():
        counts = [n for _, n in fill_buckets(points, start, end, granularity)]
        y: list[Any] = counts
        if dense_volume is not None:
            y = per_thousand_series(counts, dense_volume)
        color = colors.get(value, MUTED)
        name = labels.get(value, value)
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines",
            "x": x,
            "name": name,
            "legendgroup": value,
            "line": {"color": color, "width": 2},
            "hovertemplate": name + "<br>" + unit + ": %{y}<extra></extra>",
        }
        if chart == "areas":
            trace["stackgroup"] = "one"
            trace["line"]["width"] = 1
        if smooth and granularity == "day":
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": x,
                    "y": y,
                    "name": t("{name} (daily)").format(name=name),
                    "legendgroup": value,
                    "showlegend": False,
                    "hoverinfo": "skip",
                    "line": {"color": color, "width": 1},
                    "opacity": 0.3,
                }
            )
            trace["y"] = rolling_mean(y)
            trace["name"] = name
            trace["hovertemplate"] = (
                name + "<br>" + unit + t(", 7-day mean") + ": %{y}<extra></extra>"
            )
            trace.pop("stackgroup", None)  # a stacked mean over a faint raw line misleads
        else:
            trace["y"] = y
        traces.append(trace)
    if not traces:
        return empty_figure(t("No items match these filters in this period."))
    return {
        "data": traces,
        "layout": _layout(
            hovermode="x unified",
            legend={"orientation": "h", "y": -0.18, "x": 0},
            margin={"l": 56, "r": 16, "t": 16, "b": 64},
            xaxis={
                "title": {"text": t(_granularity_word(granularity)) + " (UTC)"},
                "gridcolor": GRID,
                "type": "date",
                **date_ticks(buckets, granularity, t),
            },
            yaxis=(
                {
                    "title": {"text": unit},
                    "gridcolor": GRID,
                    "rangemode": "tozero",
                    "zerolinecolor": GRID,
                }
                if dense_volume is not None or smooth
                else count_axis(_peak(traces, stacked=chart == "areas"), title={"text": unit})
            ),
        ),
    }


def method_figure(
    rows: Sequence[Any],
    *,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    t: Translator = ENGLISH,
) -> Figure:
    """Each method's share of the month's stories that name a method, one line per method.

    `rows` are `MethodMonth` records. A month with no story for a method shows
    0 %, so a method that appears shows as a rise, not as a line that starts
    late. Each point carries (method, month) for the drill-down. `t` is the
    interface language of the titles and month names.
    """
    if not rows:
        return empty_figure(t("No story matching these filters names a method."))
    months = sorted({r.month for r in rows})
    totals = {r.month: r.with_method for r in rows}
    by_method: dict[str, dict[date, int]] = {}
    for r in rows:
        by_method.setdefault(r.method, {})[r.month] = r.stories
    traces = []
    for method, counts in by_method.items():
        name = labels.get(method, method)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [m.isoformat() for m in months],
                "y": [
                    round(100 * counts.get(m, 0) / totals[m], 1) if totals[m] else 0 for m in months
                ],
                "customdata": [
                    [method, m.isoformat(), counts.get(m, 0), totals[m]] for m in months
                ],
                "name": name,
                "line": {"color": colors.get(method, MUTED), "width": 2},
                "hovertemplate": name
                + ": %{y}% ("
                + t("{count} of {total} stories naming a method").format(
                    count="%{customdata[2]}", total="%{customdata[3]}"
                )
                + ")<extra></extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            hovermode="closest",
            legend={"orientation": "h", "y": -0.2, "x": 0},
            margin={"l": 56, "r": 16, "t": 16, "b": 72},
            xaxis={
                "title": {"text": t("Month (UTC)")},
                "gridcolor": GRID,
                "type": "date",
                **(
                    {"dtick": "M1", "tickformat": "%b %Y"}
                    if t.lang == SOURCE_LANGUAGE
                    else month_ticks(months, t)
                ),
            },
            yaxis={
                "title": {"text": t("% of stories naming a method")},
                "gridcolor": GRID,
                "rangemode": "tozero",
                "ticksuffix": "%",
            },
        ),
    }


def _peak(traces: Sequence[Mapping[str, Any]], *, stacked: bool) -> float:
    """The highest point the y axis must show (the sum per bucket when stacked)."""
    columns = [[v or 0 for v in trace["y"]] for trace in traces if trace.get("y")]
    if not columns:
        return 0
    if stacked:
        return max(sum(values) for values in zip(*columns, strict=True))
    return max(max(values, default=0) for values in columns)


def _granularity_word(granularity: str) -> str:
    return {"day": N_("Day"), "week": N_("Week starting"), "month": N_("Month")}.get(
        granularity, N_("Date")
    )


MAX_MONTH_TICKS = 12


def month_ticks(months: Sequence[date], t: Translator) -> dict[str, Any]:
    """Month ticks named by Babel in `t`'s language (plotly itself names them in English)."""
    step = max(1, -(-len(months) // MAX_MONTH_TICKS))
    shown = list(months)[::step]
    return {
        "tickmode": "array",
        "tickvals": [m.isoformat() for m in shown],
        "ticktext": [t.month_short(m) for m in shown],
        "hoverformat": "%Y-%m",
    }


def date_ticks(buckets: Sequence[date], granularity: str, t: Translator) -> dict[str, Any]:
    """The date axis's tick labels: plotly's own in English; in other languages month names
    from Babel (month buckets) or numeric ISO dates, never English month names."""
    if t.lang == SOURCE_LANGUAGE:
        return {}
    if granularity == "month":
        return month_ticks(buckets, t)
    return {"tickformat": "%Y-%m-%d", "hoverformat": "%Y-%m-%d"}


def sparkline(points: Iterable[tuple[date, int]], start: date, end: date, color: str) -> Figure:
    """A tiny daily (or weekly, for long periods) line with no axes, for the overview table."""
    granularity = "week" if (end - start).days > 120 else "day"
    dense = fill_buckets(points, start, end, granularity)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": [d.isoformat() for d, _ in dense],
                "y": [n for _, n in dense],
                "line": {"color": color, "width": 1.5},
                "fill": "tozeroy",
                "fillcolor": color + "22",
                "hoverinfo": "skip",
            }
        ],
        "layout": _layout(
            margin={"l": 0, "r": 0, "t": 2, "b": 2},
            showlegend=False,
            xaxis={"visible": False, "fixedrange": True},
            yaxis={"visible": False, "fixedrange": True, "rangemode": "tozero"},
        ),
    }


# --- categorical -------------------------------------------------------------------------


def bar_figure(
    rows: Sequence[tuple[str, int]],
    labels: Mapping[str, str],
    *,
    color: str | Mapping[str, str] = PALETTE[0],
    limit: int = 10,
    empty: str = "No items match these filters.",
    value_title: str = "items",
) -> Figure:
    """Horizontal bars, largest on top; each bar carries its id for click-to-filter."""
    top = list(rows)[:limit]
    if not top:
        return empty_figure(empty)
    top.reverse()  # plotly draws the first category at the bottom
    ids = [value for value, _ in top]
    bar_colors = [color.get(v, MUTED) for v in ids] if isinstance(color, Mapping) else color
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [labels.get(v, v) for v in ids],
                "x": [n for _, n in top],
                "customdata": ids,
                "marker": {"color": bar_colors},
                "text": [n for _, n in top],
                "textposition": "auto",
                "cliponaxis": False,
                "hovertemplate": "%{y}<br>" + value_title + ": %{x}<extra></extra>",
            }
        ],
        "layout": _layout(
            margin={"l": 8, "r": 16, "t": 8, "b": 32},
            bargap=0.25,
            xaxis=count_axis(max(n for _, n in top), title={"text": value_title}),
            yaxis={"automargin": True, "type": "category"},
        ),
    }


def share_figure(
    rows: Sequence[tuple[str, int]],
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    *,
    empty: str = "No platform is mentioned by the items matching these filters.",
    value_title: str = "items",
) -> Figure:
    """Each value's share of the tagged mentions, as a donut (`empty`, `value_title` come
    translated)."""
    if not rows:
        return empty_figure(empty)
    ids = [v for v, _ in rows]
    return {
        "data": [
            {
                "type": "pie",
                "hole": 0.55,
                "sort": False,
                "direction": "clockwise",
                "labels": [labels.get(v, v) for v in ids],
                "values": [n for _, n in rows],
                "customdata": ids,
                "marker": {"colors": [colors.get(v, MUTED) for v in ids]},
                "textinfo": "percent",
                "hovertemplate": "%{label}<br>"
                + value_title
                + ": %{value} (%{percent})<extra></extra>",
            }
        ],
        "layout": _layout(
            margin={"l": 8, "r": 8, "t": 8, "b": 8},
            legend={"orientation": "v", "x": 1.02, "y": 0.5},
        ),
    }


def heatmap_figure(
    cells: Iterable[tuple[str, str, int]],
    rows: Sequence[str],
    cols: Sequence[str],
    row_labels: Mapping[str, str],
    col_labels: Mapping[str, str],
    *,
    empty: str = "No items match these filters.",
    value_title: str = "items",
) -> Figure:
    """Counts of items carrying row value r and column value c; cells carry (r, c) ids.

    `value_title` names the counted unit (translated by the caller)."""
    lookup = {(r, c): n for r, c, n in cells if r in rows and c in cols}
    if not lookup:
        return empty_figure(empty)
    z = [[lookup.get((r, c), 0) for c in cols] for r in rows]
    small = max(lookup.values()) <= 10
    text = [[str(n) if n else "" for n in row] for row in z]
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "text": text,
                "texttemplate": "%{text}",
                "x": [col_labels.get(c, c) for c in cols],
                "y": [row_labels.get(r, r) for r in rows],
                "customdata": [[[r, c] for c in cols] for r in rows],
                "colorscale": COUNT_SCALE,
                "zmin": 0,
                "xgap": 2,
                "ygap": 2,
                "colorbar": {
                    "title": {"text": value_title},
                    "thickness": 12,
                    "tickformat": ",d",
                    **({"dtick": 1} if small else {}),
                },
                "hovertemplate": "%{y} × %{x}<br>" + value_title + ": %{z}<extra></extra>",
            }
        ],
        "layout": _layout(
            margin={"l": 8, "r": 8, "t": 8, "b": 8},
            xaxis={"side": "top", "automargin": True, "type": "category", "tickangle": -30},
            yaxis={"automargin": True, "type": "category", "autorange": "reversed"},
        ),
    }


# --- the map -----------------------------------------------------------------------------


def map_figure(
    counts: Mapping[str, int],
    shapes: MapShapes,
    *,
    selected: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
    t: Translator = ENGLISH,
) -> Figure:
    """Kazakhstan's 20 units and the neighbouring countries, coloured by item count.

    Units and countries get separate colour scales: Kazakhstan is the subject,
    and the neighbours' counts would otherwise wash its units out. The three
    cities get a clickable marker on top of their (tiny) shape. The shapes come
    from the app's own assets (`shapes.geojson_url`), never from a CDN. `labels`
    name the shapes and `t` the counts in the interface language.
    """
    names = {i: (labels or {}).get(i) or shapes.names.get(i, i) for i in shapes.ids}
    chosen = set(selected)
    units, countries = shapes.kz_units, shapes.countries
    unit_z = [counts.get(i, 0) for i in units]
    country_z = [counts.get(i, 0) for i in countries]
    unit_max = max([*unit_z, 1])
    border = [3 if i in chosen else 0.7 for i in units]
    border_color = [INK if i in chosen else BORDER for i in units]
    unit = t("items")
    hover = "%{text}<br>" + unit + ": %{z}<extra></extra>"
    traces: list[dict[str, Any]] = [
        {
            "type": "choropleth",
            "geojson": shapes.geojson_url,
            "featureidkey": "id",
            "locations": list(countries),
            "z": country_z,
            "text": [names[i] for i in countries],
            "coloraxis": "coloraxis2",
            "hovertemplate": hover,
            "name": "countries",
            "marker": {"line": {"color": "#ffffff", "width": 0.8}},
        },
        {
            "type": "choropleth",
            "geojson": shapes.geojson_url,
            "featureidkey": "id",
            "locations": list(units),
            "z": unit_z,
            "text": [names[i] for i in units],
            "coloraxis": "coloraxis",
            "hovertemplate": hover,
            "name": "Kazakhstan",
            "marker": {"line": {"color": border_color, "width": border}},
        },
    ]
    cities = [c for c in CITY_UNITS if c in shapes.label_points]
    traces.append(
        {
            "type": "scattergeo",
            "mode": "markers",
            "name": "cities",
            "lon": [shapes.label_points[c][0] for c in cities],
            "lat": [shapes.label_points[c][1] for c in cities],
            "customdata": cities,
            "text": [names[c] for c in cities],
            "marker": {
                "size": 13,
                "color": [counts.get(c, 0) for c in cities],
                "coloraxis": "coloraxis",
                "line": {
                    "color": [INK if c in chosen else "#ffffff" for c in cities],
                    "width": [3 if c in chosen else 1.5 for c in cities],
                },
            },
            "hovertemplate": "%{text}<br>" + unit + ": %{marker.color}<extra></extra>",
        }
    )
    return {
        "data": traces,
        "layout": _layout(
            margin={"l": 0, "r": 0, "t": 0, "b": 0},
            geo={
                "projection": {"type": "mercator"},
                "lonaxis": {"range": [43.0, 91.5]},
                "lataxis": {"range": [37.0, 56.0]},
                "showframe": False,
                "showland": False,
                "showocean": False,
                "showlakes": False,
                "showrivers": False,
                "showcountries": False,
                "showcoastlines": False,
                "showsubunits": False,
                "bgcolor": WATER,
                "resolution": 110,
                "scope": "world",
            },
            coloraxis={
                "colorscale": COUNT_SCALE,
                "cmin": 0,
                "cmax": unit_max,
                "colorbar": {
                    "title": {"text": t("items (KZ)")},
                    "thickness": 12,
                    "len": 0.6,
                    "x": 1.0,
                    "tickformat": ",d",
                    **({"dtick": 1} if unit_max <= 10 else {}),
                },
            },
            coloraxis2={
                "colorscale": ABROAD_SCALE,
                "cmin": 0,
                "cmax": max([*country_z, 1]),
                "showscale": False,
            },
            uirevision="map",
            showlegend=False,
        ),
    }


def with_alert_marks(
    figure: Figure, marks: Sequence[tuple[int, datetime, datetime, str]], color: str = "#d62728"
) -> Figure:
    """The figure with each alert's window shaded and tagged `⚠ #id` (pure).

    `marks` are (alert id, window start, window end, label); the label is the
    annotation's hover text, so the chart says which warning the band is.
    An empty figure (no data) stays as it is.
    """
    if not marks or not figure.get("data"):
        return figure
    layout = dict(figure.get("layout", {}))
    shapes = list(layout.get("shapes", []))
    notes = list(layout.get("annotations", []))
    for alert_id, start, end, label in marks:
        x0, x1 = start.isoformat(), end.isoformat()
        shapes.append(
            {
                "type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1,
                "y0": 0, "y1": 1, "fillcolor": color, "opacity": 0.12, "line": {"width": 0},
                "layer": "below",
            }
        )  # fmt: skip
        notes.append(
            {
                "x": x1, "y": 1, "xref": "x", "yref": "paper", "text": f"⚠ #{alert_id}",
                "hovertext": label, "showarrow": False, "yanchor": "bottom",
                "font": {"color": color, "size": 11},
            }
        )  # fmt: skip
    layout["shapes"], layout["annotations"] = shapes, notes
    return {**figure, "layout": layout}
