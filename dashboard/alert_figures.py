"""An alert's chart: its series per day against the expected band (pure, a plain dict).

Bars are the stories per UTC day; the grey line is what the baseline
expects for each day's volume; the shaded band reaches up to the alert
level (the fewest stories that would open a rise alert); the alert's window
is shaded red. See `dashboard.alert_series` for the numbers.
"""

from __future__ import annotations

from datetime import datetime

from dashboard.alert_series import SeriesHistory
from dashboard.figures import ACCENT, GRID, MUTED, Figure, _layout, count_axis, empty_figure
from dashboard.i18n import ENGLISH, SOURCE_LANGUAGE, Translator

BAR = "#3e6fa3"
BAND = "rgba(123, 135, 148, 0.18)"
WINDOW = "#d62728"


def alert_chart(
    history: SeriesHistory | None,
    window_start: datetime,
    window_end: datetime,
    t: Translator = ENGLISH,
) -> Figure:
    """Stories per day, the expected level and the band up to the alert level, the window shaded.

    `t` names the traces and axes (the trace names are the legend)."""
    if history is None or not history.days:
        return empty_figure(t("The stories this alert counts can no longer be charted."))
    x = [d.isoformat() for d in history.days]
    expected, level, stories = t("expected"), t("alert level"), t("stories")
    traces: list[dict[str, object]] = []
    if any(v is not None for v in history.expected):
        traces.append(
            {
                "type": "scatter", "mode": "lines", "name": expected, "x": x,
                "y": list(history.expected), "line": {"color": MUTED, "width": 1.5},
                "hovertemplate": "%{x}<br>" + expected + ": %{y:.2f}<extra></extra>",
                "connectgaps": False,
            }
        )  # fmt: skip
        traces.append(
            {
                "type": "scatter", "mode": "lines", "name": level, "x": x,
                "y": list(history.alert_level), "fill": "tonexty", "fillcolor": BAND,
                "line": {"color": MUTED, "width": 1, "dash": "dot", "shape": "hvh"},
                "hovertemplate": "%{x}<br>" + level + ": %{y}<extra></extra>",
                "connectgaps": False,
            }
        )  # fmt: skip
    traces.insert(
        0,
        {
            "type": "bar", "name": stories, "x": x, "y": list(history.counts),
            "marker": {"color": [ACCENT if d >= window_start.date() else BAR
                                 for d in history.days]},
            "hovertemplate": "%{x}<br>" + stories + ": %{y}<extra></extra>",
        },
    )  # fmt: skip
    peak = max(
        [*history.counts, *(v for v in history.alert_level if v is not None), 1],
    )
    layout = _layout(
        barmode="overlay",
        showlegend=True,
        legend={"orientation": "h", "y": 1.12, "x": 0},
        xaxis={
            "type": "date",
            "title": {"text": t("UTC day")},
            "gridcolor": GRID,
            # plotly names months in English: numeric dates in the other languages
            **({} if t.lang == SOURCE_LANGUAGE else {"tickformat": "%Y-%m-%d"}),
        },
        yaxis=count_axis(peak, title={"text": t("stories per day")}),
        shapes=[
            {
                "type": "rect", "xref": "x", "yref": "paper",
                "x0": window_start.isoformat(), "x1": window_end.isoformat(),
                "y0": 0, "y1": 1, "fillcolor": WINDOW, "opacity": 0.1,
                "line": {"width": 0}, "layer": "below",
            }
        ],
    )  # fmt: skip
    return {"data": traces, "layout": layout}
