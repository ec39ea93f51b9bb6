"""SIGINT and SIGTERM stop `threatmon ingest` even when they arrive while the main thread
holds a lock the shutdown needs (`ingest_cli._install_stop_handlers`)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from ingest.schedule import StopFlag
from threatmon.ingest_cli import _install_stop_handlers


@pytest.fixture
def restore_handlers():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_inside_a_held_lock_still_stops(restore_handlers, signum):
    # The scheduler's main thread holds a thread pool's lock while it submits a job;
    # a signal handled right then must not wait for that lock in the same thread.
    pool_lock = threading.Lock()
    got_lock = threading.Event()
    ran_in: list[str] = []

    def shutdown() -> None:
        ran_in.append(threading.current_thread().name)
        if pool_lock.acquire(timeout=2):
            got_lock.set()
            pool_lock.release()

    stop = StopFlag()
    _install_stop_handlers(stop, on_stop=shutdown)
    with pool_lock:
        os.kill(os.getpid(), signum)  # the handler runs in this thread, lock held
        assert stop.is_set()
    assert got_lock.wait(5), "the shutdown waited on a lock its own thread held"
    assert ran_in and ran_in[0] != threading.main_thread().name
