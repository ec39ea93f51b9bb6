"""Regions: a map of Kazakhstan's 20 units and its neighbours, and region x category."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, html
from dash.exceptions import PreventUpdate

from dashboard import figures, ids
from dashboard.clicks import register_click_filter
from dashboard.components import card, graph
from dashboard.context import DashboardContext
from dashboard.i18n import ENGLISH, N_, Translator
from dashboard.shell import NO_ITEMS_YET, NO_MATCH, store_is_empty
from dashboard.url_state import from_store, language_of
from indicators import taxonomy
from indicators.store import queries

PATH = "/regions"
NAV_LABEL = N_("Regions")
HEATMAP_ROWS = 20


def layout(ctx: DashboardContext, t: Translator = ENGLISH) -> Any:
    config = {
        "topojsonURL": ctx.shapes.topojson_url,
        "scrollZoom": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendChartToCloud"],
    }
    return html.Div(
        [
            card(
                t("Where: items per unit of Kazakhstan and per neighbouring country"),
                html.Div(
                    [
                        graph(ids.RG_MAP, height=520, config=config, locale=t.lang),
                        html.P(id=ids.RG_NOTE, className="hint"),
                    ]
                ),
                extra=t("click a unit or a country to filter by it"),
            ),
            card(
                t("Region × category"),
                graph(ids.RG_HEATMAP, height=560, locale=t.lang),
                extra=t("click a cell to filter by both"),
            ),
        ]
    )


def heatmap_style(rows: int) -> dict[str, str]:
    """Rows of a readable height: two regions do not need 560 pixels."""
    return {"height": f"{max(240, 130 + 28 * rows)}px"}


def register(app: Dash, ctx: DashboardContext) -> None:
    categories = list(taxonomy.CATEGORY_IDS)

    @app.callback(
        Output(ids.RG_MAP, "figure"),
        Output(ids.RG_HEATMAP, "figure"),
        Output(ids.RG_NOTE, "children"),
        Output(ids.RG_HEATMAP, "style"),
        Input(ids.STATE, "data"),
    )
    def update(data: dict[str, Any] | None) -> tuple[Any, ...]:
        if not data:
            raise PreventUpdate
        f, _view = from_store(data)
        t = ctx.translator(language_of(data))
        label = ctx.labeller(t.lang)
        if store_is_empty(ctx):
            empty = figures.empty_figure(t(NO_ITEMS_YET))
            return empty, empty, "", heatmap_style(0)
        # The map ignores the region filter so the selection can be compared with
        # the rest; the selected units are outlined instead.
        # independent reads, side by side
        cells, region_counts = ctx.runner.all(
            lambda: queries.cross_counts(ctx.engine, f, "region", "category"),
            lambda: queries.counts_by(ctx.engine, f.without("region"), "region"),
        )
        counts = dict(region_counts)
        labels = {code: label("region", code) for code in ctx.shapes.ids}
        fig_map = figures.map_figure(counts, ctx.shapes, selected=f.regions, labels=labels, t=t)
        totals: dict[str, int] = {}
        for region, _cat, n in cells:
            totals[region] = totals.get(region, 0) + n
        rows = sorted(totals, key=lambda r: (-totals[r], r))[:HEATMAP_ROWS]
        heat = figures.heatmap_figure(
            cells,
            rows,
            categories,
            {r: label("region", r) for r in rows},
            {c: label("category", c) for c in categories},
            empty=t(NO_MATCH),
            value_title=t("items"),
        )
        off_map = sorted(code for code in counts if code not in ctx.shapes.ids)
        note = [
            t(
                "Counts ignore the region filter so every unit can be compared; selected "
                "units are outlined. An item naming two units counts in both."
            )
        ]
        if counts.get("KZ"):
            note.append(
                t.plural(
                    "{n} item is about Kazakhstan without naming a unit.",
                    "{n} items are about Kazakhstan without naming a unit.",
                    counts["KZ"],
                ).format(n=t.number(counts["KZ"]))
            )
        others = [c for c in off_map if c != "KZ"]
        if others:
            shown = ", ".join(f"{label('region', c)} {t.number(counts[c])}" for c in others[:8])
            note.append(t("Outside the map: {places}.").format(places=shown))
        return (
            figures.localized(fig_map, t),
            figures.localized(heat, t),
            " ".join(note),
            heatmap_style(len(rows)),
        )

    register_click_filter(app, ids.RG_MAP, ["region"])
    register_click_filter(app, ids.RG_HEATMAP, ["region", "category"])
