"""next_due: healthy feeds keep their interval, failing feeds back off, all within bounds."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ingest.schedule import MAX_BACKOFF, MIN_DELAY, next_due

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=30)


def test_healthy_feed_is_due_after_its_interval_with_small_jitter():
    delays = [next_due(NOW, INTERVAL, 0, None, random.Random(s)) - NOW for s in range(200)]
    assert all(timedelta(minutes=27) <= d <= timedelta(minutes=33) for d in delays)
    assert len(set(delays)) > 100, "jitter spreads feeds out"


def test_failing_feed_backs_off_exponentially():
    rng = random.Random(1)
    upper = [
        max(next_due(NOW, INTERVAL, n, None, rng) - NOW for _ in range(50)) for n in (1, 2, 3, 4)
    ]
    assert upper[0] <= INTERVAL
    assert upper[1] <= 2 * INTERVAL and upper[1] > INTERVAL
    assert upper[3] > 4 * INTERVAL


def test_backoff_is_capped_at_a_day():
    assert next_due(NOW, INTERVAL, 40, None, random.Random(0)) - NOW <= MAX_BACKOFF


def test_retry_after_is_a_floor():
    due = next_due(NOW, INTERVAL, 1, 7200, random.Random(0))
    assert due - NOW >= timedelta(hours=2)


@given(
    minutes=st.integers(min_value=5, max_value=7 * 24 * 60),
    errors=st.integers(min_value=0, max_value=1000),
    retry_after=st.one_of(st.none(), st.floats(min_value=-10, max_value=1e9)),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_next_due_stays_in_bounds(minutes, errors, retry_after, seed):
    interval = timedelta(minutes=minutes)
    delay = next_due(NOW, interval, errors, retry_after, random.Random(seed)) - NOW
    assert MIN_DELAY <= delay <= max(MAX_BACKOFF, interval)
