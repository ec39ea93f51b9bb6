"""A view's independent queries run side by side, and behave as if run in order."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.query_runner import QueryRunner


def test_results_come_back_in_the_order_of_the_calls() -> None:
    runner = QueryRunner(3)
    calls = [lambda i=i: (time.sleep(0.01 * (5 - i)), i)[1] for i in range(6)]
    assert runner.all(*calls) == [0, 1, 2, 3, 4, 5]


def test_two_threads_really_overlap() -> None:
    # Each call waits for the other: run one after the other, the barrier would time out.
    barrier = threading.Barrier(2, timeout=5)
    runner = QueryRunner(2)
    assert runner.all(lambda: barrier.wait() * 0 + 1, lambda: barrier.wait() * 0 + 2) == [1, 2]


def test_one_thread_runs_every_call_in_the_callers_thread_in_order() -> None:
    seen: list[tuple[int, str]] = []

    def call(i: int) -> int:
        seen.append((i, threading.current_thread().name))
        return i

    runner = QueryRunner(1)
    assert runner.all(*(lambda i=i: call(i) for i in range(4))) == [0, 1, 2, 3]
    here = threading.current_thread().name
    assert seen == [(0, here), (1, here), (2, here), (3, here)]


def test_the_caller_takes_queued_calls_instead_of_waiting() -> None:
    # One pool thread, held by the first queued call until the caller has run the rest.
    started, release = threading.Event(), threading.Event()
    names: dict[int, str] = {}

    def held() -> str:
        names[1] = threading.current_thread().name
        started.set()
        assert release.wait(5)
        return "held"

    def free(i: int) -> str:
        if i == 0:
            assert started.wait(5)  # the pool thread has taken the held call
        names[i] = threading.current_thread().name
        if {0, 2, 3} <= names.keys():
            release.set()
        return f"free {i}"

    runner = QueryRunner(2)
    out = runner.all(lambda: free(0), held, lambda: free(2), lambda: free(3))
    assert out == ["free 0", "held", "free 2", "free 3"]
    here = threading.current_thread().name
    assert names[1] != here  # the pool thread ran it
    assert names[0] == names[2] == names[3] == here


@pytest.mark.parametrize("failing", [0, 1, 2])
def test_an_exception_reaches_the_caller(failing: int) -> None:
    def call(i: int) -> int:
        if i == failing:
            raise LookupError(f"call {i} failed")
        return i

    runner = QueryRunner(2)
    with pytest.raises(LookupError, match=f"call {failing} failed"):
        runner.all(*(lambda i=i: call(i) for i in range(3)))
    assert runner.all(lambda: "still", lambda: "works") == ["still", "works"]


def test_no_calls_and_one_call() -> None:
    runner = QueryRunner(2)
    assert runner.all() == []
    assert runner.all(lambda: 7) == [7]


def test_fewer_than_one_thread_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        QueryRunner(0)
