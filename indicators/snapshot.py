"""The indicator snapshot: exactly what is on screen for some filters, as one value.

The command line (`threatmon export`), the HTTP endpoint (`/api/snapshot`) and
the dashboard's export buttons all call `build_snapshot`; the serializers in
`indicators.export` only format it. So the three can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from indicators.actors import Actor
from indicators.alerts import AlertRow
from indicators.models import STORED_AXES, TAG_AXES
from indicators.places import Place
from indicators.selection import Filters
from indicators.store import alerts as alert_store
from indicators.store import queries
from indicators.store.method_trends import MethodMonth, method_months
from indicators.store.queries import ItemView, SeriesPoint, Totals
from indicators.taxonomy import CATEGORY_IDS, KZ_REGION_CODES, METHOD_IDS, PLATFORM_IDS, Taxonomy


@dataclass(frozen=True)
class Indicator:
    """One indicator value: its count now, in the previous period, and the change."""

    axis: str
    id: str
    label: str
    count: int
    previous: int | None  # None: the period is open-ended, no previous period
    change_pct: float | None  # None: no previous period, or nothing to compare with


@dataclass(frozen=True)
class Snapshot:
    generated_at: datetime
    filters: Filters  # as given by the user
    period_from: date | None  # the period actually covered (open bounds resolved)
    period_to: date | None
    granularity: str
    taxonomy_version: str
    lexicon_version: str
    totals: Totals
    indicators: list[Indicator]
    series: list[SeriesPoint]
    items: list[ItemView]
    items_total: int
    items_capped: bool
    alerts: list[AlertRow] = field(default_factory=list)  # overlapping the period and filters
    labels: dict[tuple[str, str], str] = field(default_factory=dict, compare=False)
    # the organizations' records (names, kinds, designation facts) for the writers that
    # describe organizations (STIX); the JSON/CSV/XLSX shapes do not show them
    actors: Mapping[str, Actor] = field(default_factory=dict, compare=False)
    # stories per method and month (the "Methods over time" chart)
    methods: list[MethodMonth] = field(default_factory=list)
    # every item of the stories among the relevant items, filters or not (asked for by
    # writers that describe whole stories: STIX); empty unless build_snapshot was asked
    story_items: list[ItemView] = field(default_factory=list, compare=False)
    # the Kazakh units' administrative centres, for writers that place regions (STIX)
    places: Mapping[str, Place] = field(default_factory=dict, compare=False)


def change_pct(count: int, previous: int | None) -> float | None:
    """Percent change against the previous period, one decimal; None when undefined."""
    if previous is None or previous == 0:
        return None
    return round(100.0 * (count - previous) / previous, 1)


def _label(taxonomy: Taxonomy, axis: str, value: str, lang: str) -> str:
    try:
        return taxonomy.label(axis, value, lang)
    except (ValueError, KeyError):
        return value


def _all_ids(axis: str, taxonomy: Taxonomy) -> tuple[str, ...]:
    """Ids always listed (with zeros) so a quiet indicator is visibly quiet."""
    if axis == "actor":
        return tuple(taxonomy.actors)  # the organizations the lexicon knows
    return {"category": CATEGORY_IDS, "region": KZ_REGION_CODES, "platform": PLATFORM_IDS}[axis]


def build_snapshot(
    engine: Engine,
    f: Filters,
    *,
    taxonomy: Taxonomy,
    lexicon_version: str,
    granularity: str = "day",
    item_cap: int = 1000,
    now: datetime | None = None,
    label_lang: str = "en",
    actors: Mapping[str, Actor] | None = None,
    places: Mapping[str, Place] | None = None,
    whole_stories: bool = False,
) -> Snapshot:
    """Compute the snapshot for `f`, labelled and versioned by `taxonomy`.

    An open period is bounded by the first/last stored day, so the snapshot
    says which days it covers. Indicators list every category, every KZ
    unit, every platform and every organization `taxonomy.actors` names
    (zeros included), plus any other region or organization that occurs now
    or in the previous period. `whole_stories` also reads every item of the
    stories among the relevant items (see `Writer.whole_stories`).
    """
    queries.bucket(date(2000, 1, 1), granularity)  # validate early
    if item_cap < 0:
        raise ValueError("item_cap must not be negative")
    generated_at = (now or datetime.now(UTC)).astimezone(UTC)
    first, last = queries.date_bounds(engine)
    bounded = f.bounded(first, last)
    previous = bounded.previous_period() if bounded.date_from and bounded.date_to else None

    indicators: list[Indicator] = []
    labels: dict[tuple[str, str], str] = {}
    for axis in TAG_AXES:
        now_counts = dict(queries.counts_by(engine, bounded, axis))
        before = dict(queries.counts_by(engine, previous, axis)) if previous else {}
        ids = list(_all_ids(axis, taxonomy))
        ids += sorted((set(now_counts) | set(before)) - set(ids))
        for value in ids:
            count = now_counts.get(value, 0)
            prev = before.get(value, 0) if previous else None
            text = _label(taxonomy, axis, value, label_lang)
            labels[(axis, value)] = text
            indicators.append(Indicator(axis, value, text, count, prev, change_pct(count, prev)))

    for method in METHOD_IDS:
        labels[("method", method)] = _label(taxonomy, "method", method, label_lang)

    points: list[SeriesPoint] = []
    for axis in TAG_AXES:
        points += queries.series(engine, bounded, axis, granularity)
    page = queries.items_page(engine, bounded, limit=item_cap)
    stories = {i.story for i in page.rows if i.relevant}
    return Snapshot(
        generated_at=generated_at,
        filters=f,
        period_from=bounded.date_from,
        period_to=bounded.date_to,
        granularity=granularity,
        taxonomy_version=taxonomy.version,
        lexicon_version=lexicon_version,
        totals=queries.totals(engine, bounded),
        indicators=indicators,
        series=points,
        items=page.rows,
        items_total=page.total,
        items_capped=page.total > len(page.rows),
        alerts=alert_store.alerts_overlapping(engine, bounded),
        labels=labels,
        actors=dict(actors or {}),
        methods=method_months(engine, bounded),
        story_items=queries.story_items(engine, sorted(stories)) if whole_stories else [],
        places=dict(places or {}),
    )


def item_to_dict(item: ItemView) -> dict[str, Any]:
    """An item as the snapshot shows it: its tags per axis and why each was given."""
    return {
        "id": item.id,
        "published_at": item.published_at.isoformat(),
        "source_id": item.source_id,
        "source": item.source_name,
        "lang": item.lang,
        "title": item.title,
        "summary": item.summary,
        "url": item.url,
        "relevant": item.relevant,
        "story_id": item.story_id,
        "tags": {
            axis: [{"id": ev.value, "terms": ev.terms} for ev in item.tags.get(axis, [])]
            for axis in STORED_AXES
        },
    }


def snapshot_to_dict(s: Snapshot) -> dict[str, Any]:
    """The JSON shape of the snapshot (the README's "Indicator snapshots" lists its keys)."""
    return {
        "generated_at": s.generated_at.isoformat(timespec="seconds"),
        "filters": s.filters.to_dict(),
        "period": {
            "from": s.period_from.isoformat() if s.period_from else None,
            "to": s.period_to.isoformat() if s.period_to else None,
            "granularity": s.granularity,
        },
        "taxonomy_version": s.taxonomy_version,
        "lexicon_version": s.lexicon_version,
        "totals": {
            "items": s.totals.items,
            "relevant": s.totals.relevant,
            "stories": s.totals.stories,
        },
        "indicators": [
            {
                "axis": i.axis,
                "id": i.id,
                "label": i.label,
                "count": i.count,
                "previous": i.previous,
                "change_pct": i.change_pct,
            }
            for i in s.indicators
        ],
        "series": [
            {"axis": p.axis, "id": p.id, "date": p.date.isoformat(), "count": p.count}
            for p in s.series
        ],
        "items": [item_to_dict(item) for item in s.items],
        "items_total": s.items_total,
        "items_capped": s.items_capped,
        "alerts": [alert_to_dict(a) for a in s.alerts],
        "methods": [
            {
                "month": m.month.isoformat(),
                "method": m.method,
                "label": s.labels.get(("method", m.method), m.method),
                "stories": m.stories,
                "with_method": m.with_method,
                "share": round(m.share, 4),
            }
            for m in s.methods
        ],
    }


ALERT_FIELDS = (
    "id", "kind", "label", "state", "window_start", "window_end", "observed", "expected",
    "score", "created_at",
)  # fmt: skip


def alert_to_dict(alert: AlertRow) -> dict[str, Any]:
    """An alert as the snapshot shows it: what rose, when, by how much, and its state."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "label": alert.label,
        "state": alert.state,
        "window_start": alert.window_start.isoformat(),
        "window_end": alert.window_end.isoformat(),
        "observed": alert.observed,
        "expected": None if alert.expected is None else round(alert.expected, 3),
        "score": None if alert.score is None else round(alert.score, 2),
        "created_at": alert.created_at.isoformat(),
    }
