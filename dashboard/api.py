"""`GET /api/snapshot`: the indicator snapshot for a filter, as JSON, CSV, XLSX or STIX 2.1.

The endpoint takes the page URL's filter parameters (repeat a name for
several values) plus `format`, `granularity` and `ui` (the interface language:
the labels, and CSV/XLSX table and column names, in Russian, Kazakh or
English; JSON keys never change), and answers with the same
`build_snapshot` + `WRITERS` the command line uses, so the two cannot
disagree. Unknown parameter names are refused rather than ignored: a typo
such as `categroy=` must not silently export everything.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from dashboard.context import DashboardContext
from dashboard.export_names import export_heading, localize
from dashboard.i18n import SOURCE_LANGUAGE, UI_PARAM, valid_language
from indicators.export import WRITERS, filename
from indicators.selection import PARAM_NAMES, FilterError, Filters
from indicators.snapshot import build_snapshot

GRANULARITIES = ("day", "week", "month")
ALLOWED_PARAMS = frozenset((*PARAM_NAMES, "format", "granularity", UI_PARAM))


def _error(status: int, message: str) -> tuple[Response, int]:
    response = jsonify({"error": message})
    response.headers["Cache-Control"] = "no-store"
    return response, status


def register_api(server: Flask, ctx: DashboardContext) -> None:
    """Add the snapshot endpoint to the dashboard's Flask server."""

    @server.get(ctx.api_path)
    def snapshot() -> Any:
        args = request.args
        unknown = sorted(set(args) - ALLOWED_PARAMS)
        if unknown:
            return _error(
                400,
                f"unknown parameter(s): {', '.join(unknown)}; "
                f"expected {', '.join(sorted(ALLOWED_PARAMS))}",
            )
        fmt = args.get("format", "json")
        if fmt not in WRITERS:
            return _error(400, f"unknown format {fmt!r}; expected {', '.join(sorted(WRITERS))}")
        granularity = args.get("granularity", "day")
        if granularity not in GRANULARITIES:
            return _error(
                400, f"unknown granularity {granularity!r}; expected {', '.join(GRANULARITIES)}"
            )
        ui = args.get(UI_PARAM)
        lang = valid_language(ui) if ui else SOURCE_LANGUAGE
        if lang is None:
            return _error(400, f"unknown ui language {ui!r}; expected ru, kk or en")
        try:
            filters = Filters.from_params(
                {name: args.getlist(name) for name in PARAM_NAMES}, vocabulary=ctx.vocabulary
            )
        except FilterError as exc:
            return _error(400, str(exc))
        snap = build_snapshot(
            ctx.engine,
            filters,
            taxonomy=ctx.taxonomy,
            lexicon_version=ctx.lexicon_version,
            granularity=granularity,
            now=ctx.clock(),
            actors=ctx.actors,
            places=ctx.places,
            whole_stories=WRITERS[fmt].whole_stories,
            label_lang=lang,
        )
        t = ctx.translator(lang)
        snap = localize(snap, ctx.taxonomy, t)  # alerts named from their series, as on screen
        writer = WRITERS[fmt]
        body = writer.write(snap, export_heading(t))
        return Response(
            body,
            mimetype=writer.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename(snap, fmt)}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
