"""The cyclic garbage collector is held back during bulk writes and always given back."""

import gc
import threading

import pytest

from indicators.store import collector


@pytest.fixture(autouse=True)
def collector_on():
    """Every test starts with the collector on, and leaves it as it found it."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after():
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_gives_the_collector_back():
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("write failed")
    assert gc.isenabled()


def test_nested_pauses_switch_it_back_on_only_at_the_outermost_end():
    with collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off():
    gc.disable()
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_writer_leaving_early_does_not_switch_it_on_under_another():
    """Two threads' writes overlap: the first to leave must not re-enable it."""
    inside, leave_second = threading.Event(), threading.Event()
    seen: list[bool] = []

    def second_writer() -> None:
        with collector.paused():
            inside.set()
            leave_second.wait(5)
            seen.append(gc.isenabled())

    with collector.paused():
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the second writer is still inside
    leave_second.set()
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()
