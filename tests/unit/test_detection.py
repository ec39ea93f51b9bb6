"""Pure early-warning detection: tails, baseline, thresholds, hysteresis, cooldown, first seen."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.detection import (
    ActiveAlert,
    DetectionConfig,
    DetectionInputs,
    RuleWindow,
    SeriesId,
    WindowCounts,
    WindowItem,
    detect,
    dispersion,
    expected_count,
    negbin_log_sf,
    playbook_for,
    poisson_log_sf,
    rise_stats,
    tail_score,
    watched_series,
    window_counts,
)

AT = datetime(2026, 11, 25, 12, tzinfo=UTC)
# Thresholds spelled out, so these tests pin the rules, not the shipped defaults.
CFG = DetectionConfig(
    min_stories=3,
    min_ratio=2.0,
    min_score=4.0,
    exit_score=2.0,
    cooldown_hours=24,
    news_dispersion=0.0,
)
CYBER: SeriesId = (("category", "cyber_threats"),)
CYBER_ALMATY: SeriesId = (("category", "cyber_threats"), ("region", "KZ-75"))
ALMATY: SeriesId = (("region", "KZ-75"),)
TIKTOK: SeriesId = (("platform", "tiktok"),)
KZ = frozenset({"KZ", "KZ-75", "KZ-19"})


def stories(n: int, first: int = 1000) -> WindowCounts:
    ids = tuple(range(first, first + n))
    return WindowCounts(ids, ids)


def inputs(
    window: dict[SeriesId, WindowCounts],
    baseline: dict[SeriesId, tuple[int, ...]] | None = None,
    *,
    volume: int = 1000,
    window_volume: int = 1000,
    days: int = 28,
    **kw: object,
) -> DetectionInputs:
    return DetectionInputs(
        at=AT,
        window_start=AT - timedelta(hours=24),
        watched=(CYBER, CYBER_ALMATY, ALMATY, TIKTOK),
        window=window,
        window_volume=window_volume,
        baseline=baseline or {},
        baseline_volume=(volume,) * days,
        **kw,  # type: ignore[arg-type]
    )


def active_from(decision_signal, alert_id: int = 1, state: str = "new") -> ActiveAlert:
    s = decision_signal
    return ActiveAlert(alert_id, s.key, s.kind, state, s.story_ids, s.item_ids, s.score)


# --- tails -----------------------------------------------------------------------------


def test_poisson_tail_matches_the_closed_form() -> None:
    # P(X >= 6 | mu = 2) = 1 - e^-2 (1 + 2 + 2 + 4/3 + 2/3 + 4/15)
    closed = 1 - math.exp(-2) * (1 + 2 + 2 + 4 / 3 + 2 / 3 + 4 / 15)
    assert math.exp(poisson_log_sf(6, 2.0)) == pytest.approx(closed, rel=1e-12)
    assert poisson_log_sf(0, 2.0) == 0.0
    assert math.exp(poisson_log_sf(1, 0.5)) == pytest.approx(1 - math.exp(-0.5), rel=1e-12)


@pytest.mark.parametrize(("x", "mu"), [(1, 2.0), (6, 2.0), (40, 0.5), (3, 9.0)])
def test_negative_binomial_with_dispersion_one_is_geometric(x: int, mu: float) -> None:
    # alpha = 1 (size 1): P(X >= x) = (mu / (1 + mu))^x exactly
    assert math.exp(negbin_log_sf(x, mu, 1.0)) == pytest.approx((mu / (1 + mu)) ** x, rel=1e-10)


def test_tiny_tails_do_not_underflow() -> None:
    assert tail_score(1000, 1.0, 0.0) == pytest.approx(2568.04, abs=0.01)
    assert math.isfinite(tail_score(100_000, 2.0, 5.0))
    assert tail_score(3, 0.0, 0.0) == math.inf


def brute_sf(x: int, mu: float, alpha: float) -> float:
    if alpha == 0:
        return 1 - math.fsum(math.exp(-mu) * mu**j / math.factorial(j) for j in range(x))
    k = 1 / alpha
    p = k / (k + mu)
    pmf = [
        math.exp(math.lgamma(j + k) - math.lgamma(k) - math.lgamma(j + 1)) * p**k * (1 - p) ** j
        for j in range(x)
    ]
    return 1 - math.fsum(pmf)


@given(
    st.integers(0, 25),
    st.floats(0.05, 20.0),
    st.sampled_from([0.0, 0.05, 0.3, 1.0, 3.0]),
)
def test_tails_agree_with_brute_force_and_fall_with_x(x: int, mu: float, alpha: float) -> None:
    got = math.exp(negbin_log_sf(x, mu, alpha))
    want = brute_sf(x, mu, alpha)
    if want > 1e-9:  # brute force 1 - sum loses precision below that
        assert got == pytest.approx(want, rel=1e-6)
    assert negbin_log_sf(x + 1, mu, alpha) <= negbin_log_sf(x, mu, alpha)


@given(st.integers(1, 60), st.floats(0.1, 20.0), st.floats(0.01, 3.0))
def test_overdispersion_fattens_the_tail_above_the_mean(x: int, mu: float, alpha: float) -> None:
    if x > 2 * mu + 2:
        assert negbin_log_sf(x, mu, alpha) >= poisson_log_sf(x, mu) - 1e-9


# --- baseline ----------------------------------------------------------------------------


def test_dispersion_by_moments_exact_values() -> None:
    # rate 2/day: squared deviations 4 + 4, x n/(n-1) = 16, minus the counts' 4,
    # over 2^2 + 2^2 plus the shrinkage of one per day: 12 / 10
    assert dispersion([0, 4], [1, 1]) == pytest.approx(1.2)
    assert dispersion([3, 3, 3, 3], [1, 1, 1, 1]) == 0.0  # under-dispersed: floored at Poisson
    assert dispersion([0, 0, 0], [5, 5, 5]) == 0.0
    # a day without volume is skipped
    assert dispersion([0, 4, 99], [1, 1, 0]) == pytest.approx(1.2)
    # a busy series keeps its dispersion: (n/(n-1) 2 * 50^2 - 200) / (2 * 100^2 + 2)
    assert dispersion([50, 150], [1, 1]) == pytest.approx((4 * 2500 - 200) / 20_002)


def test_dispersion_follows_the_volume() -> None:
    # counts exactly proportional to a changing volume are not dispersed at all
    assert dispersion([10, 20, 40, 10], [100, 200, 400, 100]) == 0.0


def test_expected_is_volume_adjusted_with_a_prior() -> None:
    assert expected_count(28, 28_000, 1000, 0.5) == pytest.approx(28.5 / 28)
    assert expected_count(0, 28_000, 2000, 0.5) == pytest.approx(1 / 28)
    with pytest.raises(ValueError, match="no baseline volume"):
        expected_count(3, 0, 10, 0.5)


def test_doubled_volume_with_doubled_counts_is_not_a_rise() -> None:
    baseline = (5,) * 28
    stats = rise_stats(10, baseline, (1000,) * 28, 2000, CFG)
    assert stats is not None
    assert stats.expected == pytest.approx((140 + 0.5) / 28_000 * 2000)
    assert stats.ratio < 1.01
    result = detect(
        inputs({CYBER: stories(10)}, {CYBER: baseline}, window_volume=2000), {}, {}, CFG
    )
    assert result.of("open") == []


def test_a_broken_feed_lowers_the_expectation_too() -> None:
    # half the volume missing in the window and half the stories: as usual
    stats = rise_stats(3, (6,) * 28, (1000,) * 28, 500, CFG)
    assert stats is not None and stats.expected == pytest.approx(168.5 / 28_000 * 500)
    assert stats.score < CFG.exit_score


def test_too_thin_a_baseline_scores_nothing() -> None:
    assert rise_stats(9, (0,) * 28, (0,) * 22 + (100,) * 6, 100, CFG) is None
    assert rise_stats(9, (0,) * 28, (100,) * 28, 0, CFG) is None


# --- thresholds --------------------------------------------------------------------------


def test_a_clear_rise_opens_one_alert_with_its_numbers() -> None:
    result = detect(inputs({CYBER: stories(8)}, {CYBER: (1,) * 28}), {}, {}, CFG)
    (opened,) = result.of("open")
    s = opened.signal
    assert s is not None
    assert (s.kind, s.key, s.series, s.playbook) == (
        "rise",
        "rise:category=cyber_threats",
        {"category": ["cyber_threats"]},
        "cyber_threats",
    )
    mean = 28.5 / 28
    assert s.expected == pytest.approx(mean)
    # the score is -log10 P(X >= 8) for a Poisson count of that mean, here from its closed form
    tail = 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(8))
    assert s.score == pytest.approx(-math.log10(tail), rel=1e-9)
    assert (opened.story_ids, opened.notify) == (tuple(range(1000, 1008)), True)
    assert result.series_checked == 4


def test_news_dispersion_is_added_to_the_baselines_estimate() -> None:
    quiet = (1,) * 28  # no dispersion of its own: Poisson without the addition
    bare = rise_stats(8, quiet, (1000,) * 28, 1000, CFG)
    bursty = rise_stats(8, quiet, (1000,) * 28, 1000, replace(CFG, news_dispersion=0.1))
    assert bare is not None and bursty is not None
    assert (bare.alpha, bursty.alpha) == (0.0, pytest.approx(0.1))
    assert bursty.expected == bare.expected
    assert bursty.score == pytest.approx(-negbin_log_sf(8, bare.expected, 0.1) / math.log(10))
    assert bursty.score < bare.score  # the same count is less surprising in bursty news
    with pytest.raises(ValueError, match="news_dispersion"):
        DetectionConfig(news_dispersion=-0.1)


def test_never_alert_on_fewer_than_min_stories() -> None:
    # 2 stories where none ever were: a huge score, but under the minimum count
    result = detect(inputs({CYBER: stories(2)}, volume=10_000), {}, {}, CFG)
    (signal,) = [s for s in result.signals if s.key == "rise:category=cyber_threats"]
    assert signal.score is not None and signal.score > CFG.min_score
    assert result.of("open") == []
    with pytest.raises(ValueError, match="never alert on one story"):
        DetectionConfig(min_stories=1)


def test_min_ratio_and_min_score_both_have_to_be_met() -> None:
    busy = {CYBER: (100,) * 28}
    # 150 vs ~100 expected: very significant for Poisson, but only 1.5x
    assert detect(inputs({CYBER: stories(150)}, busy), {}, {}, CFG).of("open") == []
    loose = replace(CFG, min_ratio=1.4)
    assert len(detect(inputs({CYBER: stories(150)}, busy), {}, {}, loose).of("open")) == 1
    # 3 stories vs 0.5 expected: ratio 6, but p = 0.014 (score 1.8)
    sparse = {CYBER: (0, 1) * 14}
    assert detect(inputs({CYBER: stories(3)}, sparse), {}, {}, CFG).of("open") == []


def test_overdispersed_history_needs_a_bigger_rise() -> None:
    calm = {CYBER: (10,) * 28}
    wild = {CYBER: (0, 20) * 14}  # same mean, much more day-to-day spread
    assert len(detect(inputs({CYBER: stories(30)}, calm), {}, {}, CFG).of("open")) == 1
    assert detect(inputs({CYBER: stories(30)}, wild), {}, {}, CFG).of("open") == []


# --- hysteresis and cooldown -----------------------------------------------------------


def test_an_active_wave_grows_instead_of_opening_again() -> None:
    first = detect(inputs({CYBER: stories(8)}, {CYBER: (1,) * 28}), {}, {}, CFG).of("open")[0]
    assert first.signal is not None
    active = {first.key: active_from(first.signal)}
    again = detect(inputs({CYBER: stories(8)}, {CYBER: (1,) * 28}), active, {}, CFG)
    assert again.decisions == ()  # same stories: a repeated run changes nothing
    more = detect(inputs({CYBER: stories(12)}, {CYBER: (1,) * 28}), active, {}, CFG)
    (grew,) = more.decisions
    assert (grew.action, grew.alert) == ("grow", active[first.key])
    assert grew.story_ids == tuple(range(1000, 1012))
    assert grew.notify is False  # score went up, but not to double the peak


def test_growth_is_notified_when_the_score_doubles_and_the_alert_is_open() -> None:
    base = {CYBER: (1,) * 28}
    first = detect(inputs({CYBER: stories(8)}, base), {}, {}, CFG).of("open")[0]
    assert first.signal is not None and first.signal.score is not None
    active = {first.key: active_from(first.signal)}
    (grew,) = detect(inputs({CYBER: stories(20)}, base), active, {}, CFG).decisions
    assert grew.signal is not None and grew.signal.score is not None
    assert grew.signal.score >= 2 * first.signal.score
    assert grew.notify is True
    dismissed = {first.key: active_from(first.signal, state="dismissed")}
    (quiet,) = detect(inputs({CYBER: stories(20)}, base), dismissed, {}, CFG).decisions
    assert (quiet.action, quiet.notify) == ("grow", False)


def test_a_wave_holds_above_the_exit_level_and_ends_below_it() -> None:
    base = {CYBER: (1,) * 28}
    first = detect(inputs({CYBER: stories(8)}, base), {}, {}, CFG).of("open")[0]
    assert first.signal is not None
    active = {first.key: active_from(first.signal)}
    # 5 stories (2 new): under the opening score, above the exit level -> grows
    holding = detect(inputs({CYBER: stories(5, first=1006)}, base), active, {}, CFG)
    assert [d.action for d in holding.decisions] == ["grow"]
    # 1 story: back to normal -> ends
    ending = detect(inputs({CYBER: stories(1, first=1006)}, base), active, {}, CFG)
    (ended,) = ending.decisions
    assert (ended.action, ended.alert, ended.notify) == ("end", active[first.key], False)
    # no story at all: the series is not even scored, the wave still ends
    assert [d.action for d in detect(inputs({}, base), active, {}, CFG).decisions] == ["end"]


def test_a_wave_is_judged_against_the_days_before_it_not_against_itself() -> None:
    # Day 1: 20 stories against a quiet baseline open a wave.
    first = detect(inputs({CYBER: stories(20)}, {CYBER: (1,) * 28}), {}, {}, CFG).of("open")[0]
    assert first.signal is not None
    # Day 2: 5 more; the wave's first day (20 stories) has become the newest baseline day.
    day2 = inputs({CYBER: stories(5, first=1100)}, {CYBER: (1,) * 27 + (20,)})
    day2 = replace(day2, at=AT + timedelta(days=1), window_start=AT)
    # Compared with a baseline that includes its own first day, the wave looks
    # dispersed enough to be over ...
    amnesic = {first.key: active_from(first.signal)}
    assert [d.action for d in detect(day2, amnesic, {}, CFG).decisions] == ["end"]
    # ... but the wave started at AT - 24 h, so that day is kept out and it grows.
    since = replace(active_from(first.signal), since=AT - timedelta(hours=24))
    (grew,) = detect(day2, {first.key: since}, {}, CFG).decisions
    assert grew.action == "grow" and grew.signal is not None
    assert grew.signal.expected == pytest.approx(expected_count(27, 27_000, 1000, 0.5))


def test_a_wave_longer_than_the_baseline_allows_becomes_the_new_normal() -> None:
    first = detect(inputs({CYBER: stories(8)}, {CYBER: (1,) * 28}), {}, {}, CFG).of("open")[0]
    assert first.signal is not None
    # 25 days into the wave only 3 days before it remain: fewer than min_baseline_days (7).
    late = inputs({CYBER: stories(8, first=5000)}, {CYBER: (1,) * 3 + (8,) * 25})
    late = replace(late, at=AT + timedelta(days=25), window_start=AT + timedelta(days=24))
    old = replace(active_from(first.signal), since=AT - timedelta(hours=24))
    (decision,) = detect(late, {first.key: old}, {}, CFG).decisions
    assert decision.action == "end"  # judged on the whole baseline, 8 a day is normal now


def test_no_new_wave_during_the_cooldown() -> None:
    base = {CYBER: (1,) * 28}
    spike = inputs({CYBER: stories(8)}, base)
    key = "rise:category=cyber_threats"
    recently = {key: AT - timedelta(hours=CFG.cooldown_hours - 1)}
    assert detect(spike, {}, recently, CFG).decisions == ()
    long_ago = {key: AT - timedelta(hours=CFG.cooldown_hours)}
    assert [d.action for d in detect(spike, {}, long_ago, CFG).decisions] == ["open"]


# --- first seen and rules ----------------------------------------------------------------


def test_first_seen_opens_once_history_is_long_enough() -> None:
    window = {ALMATY: stories(1), TIKTOK: stories(1, first=2000)}
    fresh_install = inputs(window, lookback={}, history_ok=False)
    assert detect(fresh_install, {}, {}, CFG).decisions == ()
    seen_before = inputs(window, lookback={TIKTOK: 4}, history_ok=True)
    (opened,) = detect(seen_before, {}, {}, CFG).decisions
    assert opened.signal is not None
    assert (opened.key, opened.signal.kind, opened.signal.playbook, opened.story_ids) == (
        "first_seen:region=KZ-75",
        "first_seen",
        "general",
        (1000,),
    )


def test_first_seen_replaces_the_rise_of_the_same_series() -> None:
    window = {ALMATY: stories(4)}
    result = detect(inputs(window, history_ok=True), {}, {}, CFG)
    assert [d.key for d in result.of("open")] == ["first_seen:region=KZ-75"]
    opened = result.of("open")[0]
    assert opened.signal is not None
    active = {opened.key: active_from(opened.signal)}
    assert (
        detect(inputs(window, history_ok=True, lookback={ALMATY: 4}), active, {}, CFG).decisions
        == ()
    )


def test_a_watch_rule_opens_at_min_stories_and_holds_at_half() -> None:
    def rule(n: int) -> RuleWindow:
        return RuleWindow(7, "TikTok вербовка", {"platform": ["tiktok"]}, 4, None, stories(n))

    assert detect(inputs({}, rules=(rule(3),)), {}, {}, CFG).decisions == ()
    (opened,) = detect(inputs({}, rules=(rule(4),)), {}, {}, CFG).decisions
    assert opened.signal is not None
    assert (opened.key, opened.signal.label, opened.signal.playbook, opened.signal.score) == (
        "rule:7",
        "Rule: TikTok вербовка",
        "general",
        1.0,
    )
    active = {"rule:7": active_from(opened.signal)}
    assert detect(inputs({}, rules=(rule(2),)), active, {}, CFG).decisions == ()
    (ended,) = detect(inputs({}, rules=(rule(1),)), active, {}, CFG).decisions
    assert ended.action == "end"


# --- series ------------------------------------------------------------------------------


def test_watched_series_cover_every_projection() -> None:
    watched = watched_series(["a", "b"], ["KZ", "KZ-75"], ["tiktok"])
    assert len(watched) == 2 + 2 * 2 + 2 * 1 + 2 + 1
    assert (("category", "a"), ("platform", "tiktok")) in watched
    assert playbook_for((("category", "a"), ("region", "KZ"))) == "a"
    assert playbook_for(TIKTOK) == "general"


def test_window_counts_count_stories_not_mentions() -> None:
    tags = {"category": ("cyber_threats",), "region": ("KZ-75", "UZ"), "platform": ("tiktok",)}
    items = [
        WindowItem(1, 1, tags),  # a story ...
        WindowItem(2, 1, {"category": ("cyber_threats",)}),  # ... reported again
        WindowItem(3, 3, {"region": ("KZ-75",)}),  # not relevant: no category
        WindowItem(4, 900, tags),  # its story started before the window
    ]
    counts = window_counts(items, KZ)
    assert counts[CYBER] == WindowCounts((1,), (1, 2))
    assert counts[CYBER_ALMATY] == WindowCounts((1,), (1, 2))
    assert counts[ALMATY] == WindowCounts((1,), (1, 2))
    assert counts[TIKTOK] == WindowCounts((1,), (1, 2))
    assert (("region", "UZ"),) not in counts  # only KZ units are watched


@given(
    st.lists(st.integers(0, 12), min_size=28, max_size=28),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_deciding_twice_on_the_same_numbers_changes_nothing_the_second_time(
    baseline: list[int], observed: int, later: int
) -> None:
    """Idempotence and hysteresis as properties: re-running adds nothing, a wave stays one alert."""
    first = detect(inputs({CYBER: stories(observed)}, {CYBER: tuple(baseline)}), {}, {}, CFG)
    active = {d.key: active_from(d.signal, i) for i, d in enumerate(first.of("open")) if d.signal}
    again = detect(inputs({CYBER: stories(observed)}, {CYBER: tuple(baseline)}), active, {}, CFG)
    assert again.decisions == ()
    next_run = detect(inputs({CYBER: stories(later)}, {CYBER: tuple(baseline)}), active, {}, CFG)
    assert not any(d.action == "open" and d.key in active for d in next_run.decisions)
