"""The emerging-terms statistic: Dunning's G2 over item counts, signed so only rises rank."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.emerging import Rise, rank_rises, signed_g2
from indicators.emerging_report import join_phrases


def test_a_term_in_every_recent_item_and_no_earlier_one():
    # 10 of 10 items now, 0 of 10 before. Expected counts are 5 in each cell, so
    # G2 = 2 * (10 ln(10/5) + 0 + 0 + 10 ln(10/5)) = 40 ln 2.
    assert signed_g2(10, 10, 0, 10) == pytest.approx(40 * math.log(2))


def test_a_worked_example_with_unequal_periods():
    # 6 of 8 items now, 0 of 20 before: 28 items, 6 with the term, 22 without.
    # E = 8*6/28 = 1.7143, 8*22/28 = 6.2857, 20*6/28 = 4.2857, 20*22/28 = 15.7143
    # G2 = 2 * (6 ln(6/1.7143) + 2 ln(2/6.2857) + 0 + 20 ln(20/15.7143))
    #    = 2 * (7.5166 - 2.2903 + 4.8232) = 20.099
    assert signed_g2(6, 8, 0, 20) == pytest.approx(20.099, abs=1e-3)


def test_an_unchanged_share_scores_zero_and_a_fall_scores_below_zero():
    assert signed_g2(5, 50, 10, 100) == 0.0  # 10% both times
    assert signed_g2(0, 10, 10, 10) == pytest.approx(-40 * math.log(2))


def test_an_empty_period_says_nothing():
    assert signed_g2(0, 0, 3, 10) == 0.0
    assert signed_g2(4, 10, 0, 0) == 0.0


def test_counts_outside_their_totals_are_refused():
    with pytest.raises(ValueError, match="out of range"):
        signed_g2(11, 10, 0, 10)


def test_the_same_share_rise_weighs_more_with_more_items():
    # 20% -> 40% on 50 items each is stronger evidence than on 10 items each.
    assert signed_g2(20, 50, 10, 50) > signed_g2(4, 10, 2, 10) > 0


@given(
    st.integers(0, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(0, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_swapping_the_periods_flips_the_sign(now_pair, before_pair):
    (now, n_now), (before, n_before) = now_pair, before_pair
    assert signed_g2(now, n_now, before, n_before) == pytest.approx(
        -signed_g2(before, n_before, now, n_now), abs=1e-9
    )


def test_rises_are_ranked_by_g2_and_falls_and_rare_terms_are_left_out():
    counts = [
        ("steady", 10, 100),  # 10% now, 10% before
        ("falling", 5, 200),
        ("new", 9, 0),
        ("growing", 20, 60),
        ("rare", 4, 0),  # below the minimum count
    ]
    ranked = rank_rises(counts, 100, 1000, min_count=5)
    assert [r.key for r in ranked] == ["new", "growing"]
    assert ranked[0].now == 9 and ranked[0].before == 0
    assert ranked[0].g2 == pytest.approx(signed_g2(9, 100, 0, 1000))


def test_the_minimum_count_is_inclusive():
    ranked = rank_rises([("rare", 4, 0)], 100, 1000, min_count=4)
    assert [r.key for r in ranked] == ["rare"]
    with pytest.raises(ValueError):
        rank_rises([], 1, 1, min_count=0)


def rises(*terms: tuple[str, int, int]) -> list[tuple[Rise[int], str]]:
    return [(Rise(n, now, before, 1.0), text) for n, (text, now, before) in enumerate(terms)]


def test_pairs_of_one_recurring_phrase_are_joined_where_the_first_was():
    chosen = rises(
        ("шахед", 9, 0),
        ("местные власти", 7, 70),
        ("бот", 8, 1),
        ("власти напомнили", 7, 70),
        ("напомнили жителям", 7, 70),
    )
    joined = join_phrases(chosen, lambda rise: (1, 2, 3))
    assert [text for _, text in joined] == ["шахед", "местные власти напомнили жителям", "бот"]


@pytest.mark.parametrize(
    ("second", "examples"),
    [
        (("власти напомнили", 6, 70), None),  # other counts: another phrase
        (("власти напомнили", 7, 70), "differ"),  # other newest items
        (("местные жители", 7, 70), None),  # "местные" followed by two words: no chain
    ],
)
def test_pairs_that_may_not_be_one_phrase_stay_apart(second, examples):
    chosen = rises(("местные власти", 7, 70), second)
    joined = join_phrases(chosen, lambda r: (r.key,) if examples == "differ" else (1,))
    assert [text for _, text in joined] == ["местные власти", second[0]]
