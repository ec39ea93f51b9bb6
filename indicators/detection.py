"""Early-warning detection: pure statistics and decisions, no I/O.

Given the numbers the store reads for one moment `at` (`DetectionInputs`),
the waves already active and when each key's last wave ended, `detect`
returns what to do: open, grow or end alerts. The orchestrator
(`indicators.early_warning`) reads and writes; the backtest
(`bench/backtest_alerts.py`) feeds generated numbers through the very same
`detect`.

Series watched by default (stories, i.e. items that start a story):
every category; category x KZ unit (and `KZ`); category x platform; every
KZ unit (and `KZ`) and every platform over relevant stories (ones with at
least one category).

The statistic, per series, for the window of `window_hours` ending at `at`:
  B = the series' stories over the baseline (the `baseline_days` whole UTC
      days before the window's first day), V = all ingested items over the
      same days, W = all ingested items in the window;
  expected  E = (B + prior) / V * W          (volume-adjusted; prior = 0.5 story)
  dispersion a = max(0, (n/(n-1) * sum (c_d - m_d)^2 - sum c_d) / (sum m_d^2 + n)),
      m_d = B / V * v_d, by the method of moments over the n baseline days
      with any volume (NB2: variance = m + a m^2; a = 0 is Poisson), shrunk
      toward Poisson for sparse series (the `+ n`), plus `news_dispersion`
      (0.1: news is burstier than 28 days show);
  p = P(X >= observed) for X ~ NegBin(mean E, dispersion a) (Poisson when a = 0),
  score = -log10 p.
Volume adjustment makes a feed outage or a new feed neutral: doubled volume
with doubled counts gives the same score as before. The prior keeps E above
zero for a series never seen in the baseline, so 3 stories out of nowhere
score high but not infinitely.

Decisions:
- open a rise when observed >= min_stories, observed/E >= min_ratio and
  score >= min_score, unless the key's last wave ended less than
  `cooldown_hours` ago;
- an active wave *grows* (new stories join it) while the series holds above
  the exit level (observed > E and score >= exit_score) and *ends* below it;
  so a long wave is one alert; its own days stay out of its baseline
  (`ActiveAlert.since`, `baseline_before`);
- first seen: a KZ unit or platform with a relevant story in the window and
  none in the `first_seen_days` before it, only when the store holds at least
  `min_history_days` of items before the window (a new install would
  otherwise flag everything);
- watch rules: open at >= min_stories matching relevant stories in the
  window, hold while >= half of that (at least one); their score is
  observed / min_stories.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from indicators.alerts import OPEN_STATES, rule_key, series_key

GENERAL_PLAYBOOK = "general"
LN10 = math.log(10.0)
SHRINK = 1.0  # see dispersion(): shrinks the estimate toward Poisson for sparse series

# A series: its (axis, value) pairs in axis order, e.g. (("category", "x"), ("region", "KZ-75")).
SeriesId = tuple[tuple[str, str], ...]
Labeler = Callable[[str, str], str]  # (axis, id) -> human label


@dataclass(frozen=True)
class DetectionConfig:
    """Detection thresholds (declared as settings in threatmon/settings.py)."""

    window_hours: int = 24
    baseline_days: int = 28
    min_baseline_days: int = 7  # baseline days with any volume needed to score a rise
    prior_stories: float = 0.5
    min_stories: int = 3
    min_ratio: float = 2.0
    min_score: float = 3.3
    exit_score: float = 2.0
    # Dispersion added to every series' estimate: news comes in bursts (one
    # event, several stories on one day) more than 28 days can show, and an
    # underestimated dispersion is what makes busy series raise false alerts.
    # With it the opening score can be lower, so rare series' rises are found
    # (chosen with bench/backtest_alerts.py; see the README's backtest table).
    news_dispersion: float = 0.1
    cooldown_hours: int = 24
    first_seen_days: int = 90
    min_history_days: int = 28

    def __post_init__(self) -> None:
        if self.window_hours < 1 or self.baseline_days < 2 or self.first_seen_days < 1:
            raise ValueError("window_hours >= 1, baseline_days >= 2 and first_seen_days >= 1")
        if self.min_stories < 2:
            raise ValueError("min_stories must be at least 2: never alert on one story")
        if self.exit_score > self.min_score:
            raise ValueError("exit_score must not exceed min_score (hysteresis)")
        if self.prior_stories <= 0 or self.min_ratio < 1:
            raise ValueError("prior_stories must be > 0 and min_ratio >= 1")
        if self.news_dispersion < 0:
            raise ValueError("news_dispersion must be >= 0")


# --- upper tails, in pure Python ----------------------------------------------------


def _log_sf(
    x: int,
    mean: float,
    log_pmf: Callable[[int], float],
    ratio: Callable[[int], float],
    limit: float,
) -> float:
    """log P(X >= x) for a count distribution given its log pmf and term ratio pmf(j+1)/pmf(j).

    Below the mean the tail is large: 1 - the lower sum. Above it the terms
    fall monotonically; they are summed relative to the first one (no
    underflow however small the tail) until a geometric bound on the rest
    (`limit`: the ratio's limit for large j) is negligible.
    """
    if x <= 0:
        return 0.0
    if x <= mean:
        lower = math.fsum(math.exp(log_pmf(j)) for j in range(x))
        return math.log(max(1.0 - lower, 1e-300))
    total, term, j = 1.0, 1.0, x
    for _ in range(1_000_000):
        r = ratio(j)
        term *= r
        total += term
        j += 1
        bound = max(r, limit)
        if term * bound / (1.0 - bound) < 1e-15 * total:
            break
    return log_pmf(x) + math.log(total)


def poisson_log_sf(x: int, mu: float) -> float:
    """log P(X >= x) for X ~ Poisson(mu)."""
    if mu <= 0:
        return 0.0 if x <= 0 else -math.inf
    log_mu = math.log(mu)
    return _log_sf(
        x,
        mu,
        lambda j: j * log_mu - mu - math.lgamma(j + 1),
        lambda j: mu / (j + 1),
        0.0,
    )


def negbin_log_sf(x: int, mu: float, alpha: float) -> float:
    """log P(X >= x) for X ~ NegBin with mean mu and variance mu + alpha mu^2 (alpha 0: Poisson)."""
    if alpha <= 0:
        return poisson_log_sf(x, mu)
    if mu <= 0:
        return 0.0 if x <= 0 else -math.inf
    k = 1.0 / alpha
    log_p = math.log(k) - math.log(k + mu)
    log_q = math.log(mu) - math.log(k + mu)
    q = mu / (k + mu)
    return _log_sf(
        x,
        mu,
        lambda j: math.lgamma(j + k) - math.lgamma(k) - math.lgamma(j + 1) + k * log_p + j * log_q,
        lambda j: (j + k) / (j + 1) * q,
        q,
    )


def tail_score(observed: int, expected: float, alpha: float) -> float:
    """-log10 P(X >= observed): 2 means 1 in 100, 5 means 1 in 100,000."""
    log_p = negbin_log_sf(observed, expected, alpha)
    if log_p == -math.inf:
        return math.inf
    return max(0.0, -log_p / LN10)


def dispersion(counts: Sequence[int], volumes: Sequence[int]) -> float:
    """NB2 dispersion of daily counts around a volume-proportional mean, by moments, >= 0.

    a = max(0, n/(n-1) * sum (c - m)^2 - sum c) / (sum m^2 + SHRINK * n).
    The `SHRINK * n` term (one unit of squared mean per day) barely moves the
    estimate of a busy series but pulls a sparse one toward Poisson: at a
    fraction of a story a day, one day with two stories would otherwise read
    as enormous dispersion and hide any rise (measured in the backtest).
    Days without volume (before the store existed, a total outage) carry no
    information and are skipped.
    """
    pairs = [(c, v) for c, v in zip(counts, volumes, strict=True) if v > 0]
    n = len(pairs)
    total_c = sum(c for c, _ in pairs)
    total_v = sum(v for _, v in pairs)
    if n < 2 or total_c == 0:
        return 0.0
    rate = total_c / total_v
    means = [rate * v for _, v in pairs]
    spread = sum((c - m) ** 2 for (c, _), m in zip(pairs, means, strict=True)) * n / (n - 1)
    excess = spread - total_c
    return max(0.0, excess / (sum(m * m for m in means) + SHRINK * n))


def series_dispersion(counts: Sequence[int], volumes: Sequence[int], cfg: DetectionConfig) -> float:
    """The dispersion detection scores with: the baseline's estimate plus `news_dispersion`."""
    return dispersion(counts, volumes) + cfg.news_dispersion


def expected_count(baseline: int, baseline_volume: int, window_volume: int, prior: float) -> float:
    """(baseline stories + prior) / baseline volume x window volume."""
    if baseline_volume <= 0:
        raise ValueError("no baseline volume")
    return (baseline + prior) / baseline_volume * window_volume


@dataclass(frozen=True)
class RiseStats:
    observed: int
    expected: float
    alpha: float
    score: float

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else math.inf


def rise_stats(
    observed: int,
    baseline: Sequence[int],
    baseline_volume: Sequence[int],
    window_volume: int,
    cfg: DetectionConfig,
) -> RiseStats | None:
    """The series' statistic for the window, or None when the baseline is too thin to judge."""
    days_with_volume = sum(1 for v in baseline_volume if v > 0)
    if days_with_volume < cfg.min_baseline_days or window_volume <= 0:
        return None
    expected = expected_count(sum(baseline), sum(baseline_volume), window_volume, cfg.prior_stories)
    alpha = series_dispersion(baseline, baseline_volume, cfg)
    return RiseStats(observed, expected, alpha, tail_score(observed, expected, alpha))


# --- series ----------------------------------------------------------------------


def watched_series(
    categories: Iterable[str], kz_regions: Iterable[str], platforms: Iterable[str]
) -> tuple[SeriesId, ...]:
    """Every series detection watches (see the module docstring), in a stable order."""
    cats, regs, plats = sorted(categories), sorted(kz_regions), sorted(platforms)
    out: list[SeriesId] = [(("category", c),) for c in cats]
    out += [(("category", c), ("region", r)) for c in cats for r in regs]
    out += [(("category", c), ("platform", p)) for c in cats for p in plats]
    out += [(("region", r),) for r in regs]
    out += [(("platform", p),) for p in plats]
    return tuple(out)


def series_of_story(
    categories: Iterable[str], regions: Iterable[str], platforms: Iterable[str], kz: frozenset[str]
) -> list[SeriesId]:
    """The watched series one story counts in, given its starting item's tags."""
    cats = sorted(set(categories))
    if not cats:  # not relevant: no watched series
        return []
    regs = sorted(set(regions) & kz)
    plats = sorted(set(platforms))
    out: list[SeriesId] = [(("category", c),) for c in cats]
    out += [(("category", c), ("region", r)) for c in cats for r in regs]
    out += [(("category", c), ("platform", p)) for c in cats for p in plats]
    out += [(("region", r),) for r in regs]
    out += [(("platform", p),) for p in plats]
    return out


def series_dict(series: SeriesId) -> dict[str, list[str]]:
    """The alert's `series` column: {axis: [value]} in Filters parameter names."""
    out: dict[str, list[str]] = {}
    for axis, value in series:
        out.setdefault(axis, []).append(value)
    return out


def playbook_for(series: SeriesId) -> str:
    """A category's playbook is named by the category id; other series get the general one."""
    for axis, value in series:
        if axis == "category":
            return value
    return GENERAL_PLAYBOOK


def series_label(series: SeriesId, labeler: Labeler | None = None) -> str:
    name = labeler or (lambda _axis, value: value)
    return " · ".join(name(axis, value) for axis, value in series)


# --- inputs and signals ---------------------------------------------------------------


@dataclass(frozen=True)
class WindowCounts:
    """The stories (ids of their first items) and the items behind them in the window."""

    story_ids: tuple[int, ...] = ()
    item_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class RuleWindow:
    """One enabled watch rule and the relevant stories matching it in the window."""

    rule_id: int
    name: str
    series: dict[str, list[str]]
    min_stories: int
    playbook: str | None
    counts: WindowCounts


@dataclass(frozen=True)
class DetectionInputs:
    """Everything detection needs to know about the store at one moment.

    `baseline[s]` and `baseline_volume` are aligned per baseline day (oldest
    first); a series absent from `baseline` had no story there. `lookback[s]`
    counts relevant stories of region/platform series in the `first_seen_days`
    before the window; `history_ok` says whether the store holds
    `min_history_days` of items before the window.
    """

    at: datetime
    window_start: datetime
    watched: tuple[SeriesId, ...]
    window: Mapping[SeriesId, WindowCounts]
    window_volume: int
    baseline: Mapping[SeriesId, tuple[int, ...]]
    baseline_volume: tuple[int, ...]
    lookback: Mapping[SeriesId, int] = field(default_factory=dict)
    history_ok: bool = False
    rules: tuple[RuleWindow, ...] = ()


@dataclass(frozen=True)
class Signal:
    """One series or rule in this run: its numbers, and whether it opens or holds a wave."""

    kind: str
    key: str
    series: dict[str, list[str]]
    label: str
    playbook: str
    rule_id: int | None
    observed: int
    expected: float | None
    score: float | None
    story_ids: tuple[int, ...]
    item_ids: tuple[int, ...]
    opens: bool
    holds: bool


@dataclass(frozen=True)
class ActiveAlert:
    """What detection needs to know about an alert whose wave is still active."""

    id: int
    key: str
    kind: str
    state: str
    story_ids: tuple[int, ...]
    item_ids: tuple[int, ...]
    peak_score: float | None
    # Start of the wave's first window. While the wave lasts its days stay out
    # of the series' baseline: otherwise its own first day, once it becomes
    # baseline, reads as normal (or as huge dispersion) and ends the wave the
    # next day although it goes on.
    since: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """Open a new alert, grow an active one, or end one."""

    action: str  # open | grow | end
    key: str
    signal: Signal | None  # None when an active wave's series vanished
    alert: ActiveAlert | None  # None for open
    story_ids: tuple[int, ...] = ()  # the alert's stories after the decision
    item_ids: tuple[int, ...] = ()
    notify: bool = False  # enqueue deliveries (open; grow when the score at least doubled)


@dataclass(frozen=True)
class DetectionResult:
    series_checked: int
    signals: tuple[Signal, ...]
    decisions: tuple[Decision, ...]

    def of(self, action: str) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]


def baseline_before(
    counts: Sequence[int],
    volumes: Sequence[int],
    window_start: datetime,
    since: datetime | None,
    cfg: DetectionConfig,
) -> tuple[Sequence[int], Sequence[int]]:
    """The baseline days before a wave that began at `since` (all days when there is none).

    Baseline day i (oldest first) is the UTC day `window_start.date() - n + i`.
    When fewer than `min_baseline_days` days with volume would remain, the
    wave has lasted long enough to be the new normal: the whole baseline is used.
    """
    if since is None:
        return counts, volumes
    first = window_start.date() - timedelta(days=len(volumes))
    keep = [i for i in range(len(volumes)) if first + timedelta(days=i) < since.date()]
    if sum(1 for i in keep if volumes[i] > 0) < cfg.min_baseline_days:
        return counts, volumes
    return [counts[i] for i in keep], [volumes[i] for i in keep]


def rise_signal(
    series: SeriesId,
    counts: WindowCounts,
    inputs: DetectionInputs,
    cfg: DetectionConfig,
    labeler: Labeler | None = None,
    wave_since: datetime | None = None,
) -> Signal | None:
    baseline, volumes = baseline_before(
        inputs.baseline.get(series, (0,) * len(inputs.baseline_volume)),
        inputs.baseline_volume,
        inputs.window_start,
        wave_since,
        cfg,
    )
    stats = rise_stats(len(counts.story_ids), baseline, volumes, inputs.window_volume, cfg)
    if stats is None:
        return None
    opens = (
        stats.observed >= cfg.min_stories
        and stats.ratio >= cfg.min_ratio
        and stats.score >= cfg.min_score
    )
    holds = opens or (stats.observed > stats.expected and stats.score >= cfg.exit_score)
    data = series_dict(series)
    return Signal(
        kind="rise",
        key=series_key("rise", data),
        series=data,
        label="Rise: " + series_label(series, labeler),
        playbook=playbook_for(series),
        rule_id=None,
        observed=stats.observed,
        expected=stats.expected,
        score=stats.score,
        story_ids=counts.story_ids,
        item_ids=counts.item_ids,
        opens=opens,
        holds=holds,
    )


def first_seen_signal(
    series: SeriesId,
    counts: WindowCounts,
    inputs: DetectionInputs,
    cfg: DetectionConfig,
    labeler: Labeler | None = None,
) -> Signal | None:
    """Region/platform series only; opens on the first relevant story in `first_seen_days`."""
    if len(series) != 1 or series[0][0] not in ("region", "platform") or not counts.story_ids:
        return None
    observed = len(counts.story_ids)
    opens = inputs.history_ok and inputs.lookback.get(series, 0) == 0
    expected: float | None = None
    score: float | None = None
    volume = sum(inputs.baseline_volume)
    if volume > 0 and inputs.window_volume > 0:
        expected = expected_count(0, volume, inputs.window_volume, cfg.prior_stories)
        score = tail_score(observed, expected, 0.0)
    data = series_dict(series)
    return Signal(
        kind="first_seen",
        key=series_key("first_seen", data),
        series=data,
        label="First seen: " + series_label(series, labeler),
        playbook=GENERAL_PLAYBOOK,
        rule_id=None,
        observed=observed,
        expected=expected,
        score=score,
        story_ids=counts.story_ids,
        item_ids=counts.item_ids,
        opens=opens,
        holds=True,  # while the window holds any relevant story of it
    )


def rule_signal(rule: RuleWindow) -> Signal | None:
    observed = len(rule.counts.story_ids)
    if observed == 0:
        return None
    exit_level = max(1, math.ceil(rule.min_stories / 2))
    return Signal(
        kind="rule",
        key=rule_key(rule.rule_id),
        series=rule.series,
        label="Rule: " + rule.name,
        playbook=rule.playbook or GENERAL_PLAYBOOK,
        rule_id=rule.rule_id,
        observed=observed,
        expected=None,
        score=observed / rule.min_stories,
        story_ids=rule.counts.story_ids,
        item_ids=rule.counts.item_ids,
        opens=observed >= rule.min_stories,
        holds=observed >= exit_level,
    )


def signals(
    inputs: DetectionInputs,
    cfg: DetectionConfig,
    labeler: Labeler | None = None,
    active: Mapping[str, ActiveAlert] | None = None,
) -> list[Signal]:
    """Every series and rule with stories in the window, scored (active waves: see ActiveAlert)."""
    since = {a.key: a.since for a in (active or {}).values() if a.kind == "rise" and a.since}
    out: list[Signal] = []
    for series in inputs.watched:
        counts = inputs.window.get(series)
        if counts is None or not counts.story_ids:
            continue  # no story: nothing can open or hold
        wave = since.get(series_key("rise", series_dict(series))) if since else None
        signal = rise_signal(series, counts, inputs, cfg, labeler, wave)
        if signal is not None:
            out.append(signal)
        signal = first_seen_signal(series, counts, inputs, cfg, labeler)
        if signal is not None:
            out.append(signal)
    for rule in inputs.rules:
        signal = rule_signal(rule)
        if signal is not None:
            out.append(signal)
    return out


def _union(old: Sequence[int], new: Sequence[int]) -> tuple[int, ...]:
    return tuple(sorted(set(old) | set(new)))


def decide(
    found: Iterable[Signal],
    active: Mapping[str, ActiveAlert],
    last_ended: Mapping[str, datetime],
    at: datetime,
    cfg: DetectionConfig,
) -> list[Decision]:
    """Hysteresis and cooldown: which waves open, grow and end at `at`."""
    by_key = {s.key: s for s in found}
    decisions: list[Decision] = []
    for key, alert in sorted(active.items()):
        signal = by_key.get(key)
        if signal is None or not signal.holds:
            decisions.append(
                Decision("end", key, signal, alert, alert.story_ids, alert.item_ids, False)
            )
            continue
        if not set(signal.story_ids) - set(alert.story_ids):
            continue  # same stories as before: nothing grew (a repeated run lands here)
        peak = alert.peak_score or 0.0
        doubled = signal.score is not None and peak > 0 and signal.score >= 2 * peak
        decisions.append(
            Decision(
                "grow",
                key,
                signal,
                alert,
                _union(alert.story_ids, signal.story_ids),
                _union(alert.item_ids, signal.item_ids),
                notify=doubled and alert.state in OPEN_STATES,
            )
        )
    cooldown = timedelta(hours=cfg.cooldown_hours)
    opening = {s.key for s in by_key.values() if s.opens and s.key not in active}
    for key, signal in sorted(by_key.items()):
        if key not in opening:
            continue
        ended = last_ended.get(key)
        if ended is not None and at < ended + cooldown:
            continue
        if signal.kind == "rise":
            twin = "first_seen:" + key.removeprefix("rise:")
            if twin in active or twin in opening:
                continue  # one alert for "the first ever", not two
        decisions.append(
            Decision("open", key, signal, None, signal.story_ids, signal.item_ids, True)
        )
    return decisions


def detect(
    inputs: DetectionInputs,
    active: Mapping[str, ActiveAlert],
    last_ended: Mapping[str, datetime],
    cfg: DetectionConfig,
    labeler: Labeler | None = None,
) -> DetectionResult:
    """Score every series and rule at `inputs.at` and decide what to open, grow and end."""
    found = signals(inputs, cfg, labeler, active)
    decisions = decide(found, active, last_ended, inputs.at, cfg)
    return DetectionResult(
        series_checked=len(inputs.watched) + len(inputs.rules),
        signals=tuple(found),
        decisions=tuple(decisions),
    )


# --- from stored rows to inputs (pure helpers the orchestrator uses) -----------------


@dataclass(frozen=True)
class WindowItem:
    """An item published in the window, with its tags (axis -> values)."""

    id: int
    story_id: int
    tags: Mapping[str, tuple[str, ...]]

    @property
    def starts_story(self) -> bool:
        return self.story_id == self.id


def window_counts(items: Iterable[WindowItem], kz: frozenset[str]) -> dict[SeriesId, WindowCounts]:
    """Per watched series, the stories starting in the window and all window items of them."""
    listed = list(items)
    stories: dict[SeriesId, set[int]] = defaultdict(set)
    for item in listed:
        if not item.starts_story:
            continue
        for series in series_of_story(
            item.tags.get("category", ()),
            item.tags.get("region", ()),
            item.tags.get("platform", ()),
            kz,
        ):
            stories[series].add(item.id)
    by_story: dict[int, list[int]] = defaultdict(list)
    for item in listed:
        by_story[item.story_id].append(item.id)
    out: dict[SeriesId, WindowCounts] = {}
    for series, ids in stories.items():
        item_ids = sorted(i for s in ids for i in by_story[s])
        out[series] = WindowCounts(tuple(sorted(ids)), tuple(item_ids))
    return out
