"""Click a bar, a map unit or a heatmap cell -> filter everything by it.

A click never touches the filter controls directly: it writes the new query
string to the URL, and the shell's sync callback takes it from there, exactly
as for a pasted link. So "click to filter" and "share a link" cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.url_state import PAGE_PARAM, build_search, from_store, set_axis
from indicators.selection import FilterError


def clicked_values(click: Mapping[str, Any] | None) -> list[str]:
    """The ids a plotly click carries: a choropleth `location`, else the point's customdata."""
    if not click or not click.get("points"):
        return []
    point = click["points"][0]
    if point.get("location"):
        return [str(point["location"])]
    custom = point.get("customdata")
    if isinstance(custom, (list, tuple)):
        return [str(v) for v in custom]
    if custom is not None:
        return [str(custom)]
    return []


def search_after_click(
    data: Mapping[str, Any] | None, axes: Sequence[str], values: Sequence[str]
) -> str:
    """The page query string with each axis in `axes` set to the clicked value."""
    if not data or len(values) < len(axes):
        raise PreventUpdate
    filters, view = from_store(data)
    try:
        for axis, value in zip(axes, values, strict=False):
            filters = set_axis(filters, axis, [value])
    except FilterError:
        raise PreventUpdate from None
    view[PAGE_PARAM] = "1"
    return build_search(filters, view)


def register_click_filter(app: Dash, graph_id: str, axes: Sequence[str]) -> None:
    """Clicking `graph_id` sets the filter on `axes` (one axis, or two for a heatmap cell)."""

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(graph_id, "clickData"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def on_click(click: Mapping[str, Any] | None, data: Mapping[str, Any] | None) -> str:
        return search_after_click(data, axes, clicked_values(click))
