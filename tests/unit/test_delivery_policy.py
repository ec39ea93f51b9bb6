"""The outbox's retry policy: doubling waits from one minute, capped at an hour (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.store.deliveries import RetryPolicy, retry_delay


def test_waits_double_from_one_minute_up_to_an_hour() -> None:
    minutes = [retry_delay(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_policy_of_its_own() -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=5))
    waits = [retry_delay(n, policy).total_seconds() for n in range(1, 7)]
    assert waits == [30, 60, 120, 240, 300, 300]


@given(st.integers(min_value=-5, max_value=10_000))
def test_waits_stay_within_the_bounds(failed: int) -> None:
    policy = RetryPolicy()
    assert policy.first_delay <= retry_delay(failed, policy) <= policy.max_delay


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"first_delay": timedelta(0)},
        {"first_delay": timedelta(hours=2), "max_delay": timedelta(hours=1)},
    ],
)
def test_a_nonsensical_policy_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"max_attempts|first_delay"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
