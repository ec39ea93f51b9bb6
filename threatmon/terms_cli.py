"""Commands for emerging terms: `terms emerging` (the list), `terms propose` (to the overlay)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from indicators.lexicon_overlay import propose_term
from indicators.selection import FilterError
from indicators.stopwords import load_stop_words
from indicators.store import queries
from threatmon.cli_filters import filters_from_options
from threatmon.tagging import tagging_for

if TYPE_CHECKING:  # numpy behind it: loaded by `terms emerging` only, not by every command
    from indicators.emerging_report import EmergingReport

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: tuple[int, ...]) -> str:
    """A row of block characters, one per period, scaled to the largest value."""
    top = max(values, default=0)
    if top == 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[round(v / top * (len(SPARKS) - 1))] for v in values)


def report_json(report: EmergingReport) -> dict[str, Any]:
    """The JSON form of a report (`terms emerging --format json`)."""
    return {
        "filters": report.filters.to_dict(),
        "periods": [[a.isoformat(), b.isoformat()] for a, b in report.periods],
        "items_per_period": list(report.totals),
        "min_count": report.min_count,
        "terms": [
            {
                "term": t.term,
                "count_now": t.now,
                "count_before": t.before,
                "g2": round(t.g2, 3),
                "trend": list(t.trend),
                "examples": [
                    {"id": e.id, "title": e.title, "url": e.url, "day": e.day} for e in t.examples
                ],
            }
            for t in report.terms
        ],
    }


def report_table(report: EmergingReport) -> str:
    """A plain-text table: one line per term, its newest example under it."""
    first, last = report.periods[-1]
    lines = [
        f"emerging terms: {first} .. {last} ({report.items_now} relevant items) against "
        f"{report.periods[0][0]} .. {report.periods[-2][1]} ({report.items_before}); "
        f"at least {report.min_count} recent items",
        f"{'term':<32} {'now':>5} {'before':>7} {'G2':>8}  trend",
    ]
    for t in report.terms:
        lines.append(f"{t.term:<32} {t.now:>5} {t.before:>7} {t.g2:>8.1f}  {sparkline(t.trend)}")
        for e in t.examples:
            lines.append(f"    #{e.id} {e.day} {e.title[:90]}")
    if not report.terms:
        lines.append("(no term rose enough)")
    return "\n".join(lines)


def register(cli: click.Group, db_option: Any, settings_of: Any, engine_of: Any) -> None:
    """Attach the `terms` group to the main group."""

    @cli.group()
    def terms() -> None:
        """Emerging terms: words and phrases that rose in relevant items."""

    @terms.command("emerging")
    @db_option
    @click.option(
        "--from", "date_from", metavar="DATE", default=None, help="First day (default: TO - 89)."
    )
    @click.option(
        "--to", "date_to", metavar="DATE", default=None, help="Last day (default: newest item)."
    )
    @click.option("--category", multiple=True, help="Category id (repeatable).")
    @click.option("--region", multiple=True, help="Region code, e.g. KZ-75 (repeatable).")
    @click.option("--platform", multiple=True, help="Platform id (repeatable).")
    @click.option("--lang", multiple=True, help="Language code ru/kk/en (repeatable).")
    @click.option("--source", multiple=True, help="Feed id (repeatable).")
    @click.option("-q", "query", default=None, help="Text that title or summary must contain.")
    @click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True)
    @click.option(
        "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
    )
    @click.pass_context
    def emerging(
        ctx: click.Context,
        db: str | None,
        date_from: str | None,
        date_to: str | None,
        category: tuple[str, ...],
        region: tuple[str, ...],
        platform: tuple[str, ...],
        lang: tuple[str, ...],
        source: tuple[str, ...],
        query: str | None,
        limit: int,
        fmt: str,
    ) -> None:
        """Words and phrases whose share of relevant items rose in the last days (signed G2)."""
        from indicators.emerging_report import default_window, emerging_terms

        settings = settings_of(ctx, db=db)
        engine = engine_of(settings)
        try:
            filters = filters_from_options(
                date_from,
                date_to,
                query,
                category=category,
                region=region,
                platform=platform,
                lang=lang,
                source=source,
            )
            _, last = queries.date_bounds(engine)
            filters = default_window(filters, last, settings.terms_window_days)
            report = emerging_terms(
                engine,
                filters,
                tagging_for(settings).compiled,
                load_stop_words(settings.data_path),
                recent_days=settings.terms_recent_days,
                min_count=settings.terms_min_count,
                limit=limit,
            )
        except FilterError as exc:
            raise click.UsageError(str(exc)) from exc
        if fmt == "json":
            click.echo(json.dumps(report_json(report), ensure_ascii=False, indent=2))
        else:
            click.echo(report_table(report))

    @terms.command("propose")
    @click.argument("term")
    @click.option("--category", required=True, help="Category id the term is evidence for.")
    @click.option(
        "--lang", default="ru", show_default=True, help="Language list: ru, kk, en or any."
    )
    @click.pass_context
    def propose(ctx: click.Context, term: str, category: str, lang: str) -> None:
        """Add TERM to the local lexicon overlay (validated); `threatmon retag` applies it."""
        settings = settings_of(ctx)
        overlay = settings.overlay_path
        problems = propose_term(
            settings.data_path,
            overlay,
            term,
            category,
            lang,
            today=datetime.now(UTC).date(),
        )
        if problems:
            for problem in problems:
                click.echo(str(problem), err=True)
            raise click.ClickException(f"{term!r} was not added to {overlay}")
        click.echo(
            f"added {term!r} ({category}, {lang}) to {overlay}; "
            "run `threatmon retag` to apply it to stored items"
        )
