"""One detection run: read the counts, detect, write alerts and their outbox in one transaction.

    inputs = read_inputs(engine, cfg, at)            # ~10 grouped queries, whatever the series
    result = detection.detect(inputs, active, ended)  # pure
    write: alerts + alert_events + alert_deliveries + detection_runs, atomically

Guarantees (the same as ingest's): a run killed midway leaves nothing half
written (one transaction; a failed run leaves only its `detection_runs` row
with the error); running twice at the same `at` opens and grows nothing the
second time (the active waves already hold those stories, and the database
allows one active alert per key). Notifications are only *enqueued* here
(`alert_deliveries`, status pending); sending them is the notifier's job, so
a dead webhook can never slow down or break detection.

How the numbers are read (and why), at 1M stored items:
- the window (the trailing `window_hours` before `at`) from the items by
  `published_at` (indexed): exact to the second, and it yields the ids of the
  stories behind an alert; the same read covers the hours between the
  window's first UTC midnight and the window, which first-seen must see;
- baselines (`baseline_days` whole UTC days before the window's first day)
  and the first-seen lookback from the exact summary, one grouped query per
  projection (`queries.story_counts`), not one per series;
- each enabled watch rule with the dashboard's own filter conditions.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine

from indicators import detection
from indicators.alerts import NotifyTargets
from indicators.detection import (
    DetectionConfig,
    DetectionInputs,
    DetectionResult,
    Labeler,
    RuleWindow,
    SeriesId,
    window_counts,
)
from indicators.selection import Filters
from indicators.store import alerts as store
from indicators.store import queries, windows
from indicators.store.conditions import day_start
from indicators.watchrules import parse_rule_filters, rule_series

log = logging.getLogger(__name__)


class DetectionError(RuntimeError):
    """A detection run failed; it is recorded in `detection_runs` and nothing else was written."""


@dataclass(frozen=True)
class AlertChange:
    """One alert a run opened, grew or ended, as the CLI and the logs show it."""

    action: str  # opened | grew | ended
    alert_id: int
    key: str
    label: str
    observed: int | None
    expected: float | None
    score: float | None


@dataclass(frozen=True)
class DetectionReport:
    run_id: int
    at: datetime
    window_start: datetime
    series_checked: int
    opened: tuple[AlertChange, ...] = ()
    grown: tuple[AlertChange, ...] = ()
    ended: tuple[AlertChange, ...] = ()
    deliveries: int = 0
    seconds: float = 0.0
    changes: tuple[AlertChange, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Vocabulary:
    """The ids detection watches (taxonomy by default; tests may pass a small one)."""

    categories: tuple[str, ...]
    kz_regions: tuple[str, ...]  # the KZ units and KZ itself
    platforms: tuple[str, ...]


def default_vocabulary() -> Vocabulary:
    from indicators.taxonomy import CATEGORY_IDS, COUNTRY_CODE, KZ_REGION_CODES, PLATFORM_IDS

    return Vocabulary(CATEGORY_IDS, (*KZ_REGION_CODES, COUNTRY_CODE), PLATFORM_IDS)


def default_labeler() -> Labeler:
    """Ids as labels, for callers without a taxonomy; the command line passes the
    taxonomy of the configured data folder (`Taxonomy.label`)."""

    def plain(axis: str, value: str) -> str:
        return value

    return plain


# --- reading -------------------------------------------------------------------------


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _per_series_days(
    rows: Iterable[tuple[object, ...]],
    axes: tuple[str, ...],
    days: list[date],
    keep: Callable[[SeriesId], bool] = lambda _s: True,
) -> dict[SeriesId, tuple[int, ...]]:
    """story_counts rows (values..., day, n) -> series -> counts aligned with `days`."""
    index = {d: i for i, d in enumerate(days)}
    out: dict[SeriesId, list[int]] = defaultdict(lambda: [0] * len(days))
    for row in rows:
        *values, day, n = row
        position = index.get(day)  # type: ignore[call-overload]
        if position is None:
            continue
        series = tuple(zip(axes, (str(v) for v in values), strict=True))
        if keep(series):
            out[series][position] += int(n)  # type: ignore[call-overload]
    return {s: tuple(c) for s, c in out.items()}


def read_inputs(
    engine: Engine,
    cfg: DetectionConfig,
    at: datetime,
    *,
    vocabulary: Vocabulary | None = None,
) -> DetectionInputs:
    """Everything `detection.detect` needs about the store at `at`."""
    vocab = vocabulary or default_vocabulary()
    kz = frozenset(vocab.kz_regions)
    plats = frozenset(vocab.platforms)
    window_start = at - timedelta(hours=cfg.window_hours)
    first_day = window_start.date()
    base_days = _days(first_day - timedelta(days=cfg.baseline_days), first_day - timedelta(days=1))
    look_days = _days(
        first_day - timedelta(days=cfg.first_seen_days), first_day - timedelta(days=1)
    )
    base_period = Filters(date_from=base_days[0], date_to=base_days[-1])
    look_period = Filters(date_from=look_days[0], date_to=look_days[-1])

    volume_by_day = dict(queries.volume_series(engine, base_period))
    baseline_volume = tuple(volume_by_day.get(d, 0) for d in base_days)

    baseline: dict[SeriesId, tuple[int, ...]] = {}
    baseline |= _per_series_days(
        queries.story_counts(engine, base_period, ["category", "day"]), ("category",), base_days
    )
    baseline |= _per_series_days(
        queries.story_counts(engine, base_period, ["category", "region", "day"]),
        ("category", "region"),
        base_days,
        lambda s: s[1][1] in kz,
    )
    baseline |= _per_series_days(
        queries.story_counts(engine, base_period, ["category", "platform", "day"]),
        ("category", "platform"),
        base_days,
        lambda s: s[1][1] in plats,
    )
    # Region and platform series count relevant stories: any category selected.
    relevant = Filters(
        date_from=look_period.date_from, date_to=look_period.date_to, categories=vocab.categories
    )
    lookback: dict[SeriesId, int] = defaultdict(int)
    for axis, known in (("region", kz), ("platform", plats)):
        per_day = _per_series_days(
            queries.story_counts(engine, relevant, [axis, "day"]),
            (axis,),
            look_days,
            lambda s, known=known: s[0][1] in known,  # type: ignore[misc]
        )
        for series, counts in per_day.items():
            baseline[series] = counts[-len(base_days) :]
            lookback[series] += sum(counts)

    published = windows.items_between(engine, day_start(first_day), at)
    before = [p.item for p in published if p.published_at < window_start]
    inside = [p.item for p in published if p.published_at >= window_start]
    for series, gap in window_counts(before, kz).items():
        if len(series) == 1 and series[0][0] in ("region", "platform"):
            lookback[series] += len(gap.story_ids)

    first_stored, _last = queries.date_bounds(engine)
    history_ok = first_stored is not None and first_stored <= first_day - timedelta(
        days=cfg.min_history_days
    )
    return DetectionInputs(
        at=at,
        window_start=window_start,
        watched=detection.watched_series(vocab.categories, vocab.kz_regions, vocab.platforms),
        window=window_counts(inside, kz),
        window_volume=len(inside),
        baseline=baseline,
        baseline_volume=baseline_volume,
        lookback=dict(lookback),
        history_ok=history_ok,
        rules=tuple(_rule_windows(engine, window_start, at)),
    )


def _rule_windows(engine: Engine, start: datetime, end: datetime) -> list[RuleWindow]:
    out = []
    for rule in store.list_rules(engine, enabled_only=True):
        try:
            f = parse_rule_filters(rule.filters)
        except ValueError as exc:  # the vocabulary changed under a stored rule
            log.warning("watch rule %s (%s) skipped: %s", rule.id, rule.name, exc)
            continue
        out.append(
            RuleWindow(
                rule_id=rule.id,
                name=rule.name,
                series=rule_series(rule.filters),
                min_stories=rule.min_stories,
                playbook=rule.playbook,
                counts=windows.rule_window(engine, f, start, end),
            )
        )
    return out


# --- the run --------------------------------------------------------------------------


def _change(action: str, alert_id: int, d: detection.Decision) -> AlertChange:
    s = d.signal
    label = s.label if s is not None else d.key
    return AlertChange(
        action=action,
        alert_id=alert_id,
        key=d.key,
        label=label,
        observed=s.observed if s is not None else None,
        expected=s.expected if s is not None else None,
        score=s.score if s is not None else None,
    )


def write_results(
    conn: Connection,
    result: DetectionResult,
    inputs: DetectionInputs,
    targets: NotifyTargets,
    *,
    at: datetime,
) -> tuple[list[AlertChange], int]:
    """Apply the decisions in the caller's transaction; returns the changes and deliveries."""
    changes: list[AlertChange] = []
    queued = 0
    for d in result.decisions:
        if d.action == "open" and d.signal is not None:
            alert_id = store.open_alert(
                conn,
                d.signal,
                story_ids=d.story_ids,
                item_ids=d.item_ids,
                window_start=inputs.window_start,
                window_end=at,
                at=at,
            )
            changes.append(_change("opened", alert_id, d))
            if d.notify:
                queued += store.enqueue_deliveries(conn, alert_id, "opened", targets, at=at)
        elif d.action == "grow" and d.signal is not None and d.alert is not None:
            store.grow_alert(
                conn,
                d.alert,
                d.signal,
                story_ids=d.story_ids,
                item_ids=d.item_ids,
                window_end=at,
                at=at,
            )
            changes.append(_change("grew", d.alert.id, d))
            if d.notify:
                queued += store.enqueue_deliveries(conn, d.alert.id, "grew", targets, at=at)
        elif d.action == "end" and d.alert is not None:
            store.end_alert(conn, d.alert, at=at)
            changes.append(_change("ended", d.alert.id, d))
    return changes, queued


def run_detection(
    engine: Engine,
    cfg: DetectionConfig,
    *,
    at: datetime | None = None,
    targets: NotifyTargets | None = None,
    vocabulary: Vocabulary | None = None,
    labeler: Labeler | None = None,
) -> DetectionReport:
    """Detect at `at` (default: now) and write the outcome atomically; see the module docstring.

    Raises DetectionError after recording the failure in `detection_runs`.
    """
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    try:
        inputs = read_inputs(engine, cfg, moment, vocabulary=vocabulary)
        with engine.begin() as conn:
            run_id = store.begin_run(conn, moment, started)
            active = store.active_alerts(conn)
            ended = store.last_ended(conn, moment - timedelta(hours=cfg.cooldown_hours))
            result = detection.detect(inputs, active, ended, cfg, labeler or default_labeler())
            changes, queued = write_results(
                conn, result, inputs, targets or NotifyTargets(), at=moment
            )
            counts = {
                a: sum(1 for c in changes if c.action == a) for a in ("opened", "grew", "ended")
            }
            store.finish_run(
                conn,
                run_id,
                finished_at=datetime.now(UTC),
                series_checked=result.series_checked,
                opened=counts["opened"],
                grown=counts["grew"],
                ended=counts["ended"],
            )
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        try:
            store.record_failed_run(engine, moment, started, message, finished_at=datetime.now(UTC))
        except Exception:  # the database itself is gone: the log is all we have
            log.exception("could not record the failed detection run")
        raise DetectionError(f"detection at {moment.isoformat()} failed: {message}") from exc
    return DetectionReport(
        run_id=run_id,
        at=moment,
        window_start=inputs.window_start,
        series_checked=result.series_checked,
        opened=tuple(c for c in changes if c.action == "opened"),
        grown=tuple(c for c in changes if c.action == "grew"),
        ended=tuple(c for c in changes if c.action == "ended"),
        deliveries=queued,
        seconds=time.perf_counter() - clock,
        changes=tuple(changes),
    )
