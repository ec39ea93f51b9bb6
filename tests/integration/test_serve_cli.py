"""`threatmon serve` as a process: what it prints, and --read-only reaching the dashboard.

The dashboard is served by the real command on a free port and driven over
HTTP exactly as a browser's dash-renderer drives it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from dashboard import ids
from indicators.detection import DetectionConfig
from indicators.early_warning import run_detection
from indicators.store import alerts as alert_store
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.taxonomy import load_taxonomy
from tests.alert_history import AT, burst, fill, quiet_history
from tests.integration.test_dashboard_http import Callbacks, find, texts

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
CFG = DetectionConfig(min_stories=3, min_ratio=2.0, min_score=4.0, exit_score=2.0)
BANNER = re.compile(r"dashboard on http://127\.0\.0\.1:(\d+)/ \(([^;]+);")


class _Response:
    """What the Callbacks helper reads from a response (`status_code`, `data`)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content


class _Client:
    """An httpx client to the served dashboard, shaped like Flask's test client."""

    def __init__(self, base: str) -> None:
        self._http = httpx.Client(base_url=base, timeout=10)

    def get(self, path: str) -> _Response:
        return _Response(self._http.get(path))

    def post(self, path: str, json: Any) -> _Response:
        return _Response(self._http.post(path, json=json))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    run_detection(engine, CFG, at=AT, labeler=load_taxonomy(DATA_DIR).label)
    assert alert_store.list_alerts(engine)
    engine.dispose()
    return url


@contextmanager
def serving(db_url: str, *flags: str) -> Iterator[tuple[str, str]]:
    """Start `threatmon serve` on a free port; yield (base URL, mode it announced)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREATMON_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "threatmon.cli", "serve", "--port", "0", "--db", db_url, *flags],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None
        found = next(filter(None, map(BANNER.search, child.stderr)), None)
        if found is None:
            pytest.fail("threatmon serve exited without announcing its address")
        yield f"http://127.0.0.1:{found[1]}", found[2]
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=30)
    assert child.returncode == 0


def alerts_page(base: str) -> Any:
    calls = Callbacks(_Client(base))
    routed = calls.call(f"{ids.PAGE}.children", {ids.URL + ".pathname": "/alerts"})
    assert routed is not None
    return routed[ids.PAGE]["children"]


def test_serve_read_only_announces_it_and_the_alerts_view_offers_no_writes(db_url: str) -> None:
    with serving(db_url, "--read-only") as (base, mode):
        assert mode == "read-only"
        page = alerts_page(base)
        assert find(page, ids.AL_NOTE)["props"]["disabled"] is True
        assert any("This dashboard is read-only" in t for t in texts(page))


def test_serve_by_default_lets_analysts_act_on_alerts(db_url: str) -> None:
    with serving(db_url) as (base, mode):
        assert mode == "alert actions on"
        page = alerts_page(base)
        assert find(page, ids.AL_NOTE)["props"]["disabled"] is False
        assert not any("read-only" in t for t in texts(page))


def _children(pid: int) -> set[int]:
    """The live child processes of `pid`, read from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:  # field 4 of stat: the parent pid
                found.add(int(entry.name))
    return found


def _token(layout: Any) -> str:
    return next(
        node["props"]["data"]
        for node in _walk(layout)
        if isinstance(node, dict) and node.get("props", {}).get("id") == ids.CSRF_TOKEN
    )


def _walk(tree: Any) -> Iterator[Any]:
    yield tree
    if isinstance(tree, dict):
        for value in tree.get("props", {}).values():
            yield from _walk(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _walk(value)


def test_serve_with_workers_runs_that_many_processes_sharing_one_token_secret(
    db_url: str,
) -> None:
    """--workers 2: gunicorn forks two workers; a page's CSRF token is valid in either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREATMON_")}
    master = subprocess.Popen(
        [sys.executable, "-m", "threatmon.cli", "serve", "--port", "0", "--db", db_url,
         "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert master.stderr is not None
        line = next(line for line in master.stderr if "dashboard on" in line)
        found = BANNER.search(line)
        assert found is not None and "2 worker processes" in line
        base = f"http://127.0.0.1:{found[1]}"
        for _ in range(200):  # the banner comes once bound; the workers are forked next
            workers = _children(master.pid)
            if len(workers) == 2 and httpx.get(base + "/healthz").status_code == 200:
                break
            time.sleep(0.1)
        assert len(workers) == 2
        answered, tokens = set(), set()
        cookie = {"threatmon_csrf": "the-same-browser"}
        for _ in range(80):  # new connections until both workers have answered
            with httpx.Client(cookies=cookie) as client:
                answered.add(client.get(base + "/healthz").json()["worker"])
                tokens.add(_token(client.get(base + "/_dash-layout").json()))
            if answered == workers:
                break
        assert answered == workers
        assert len(tokens) == 1 and tokens != {""}
    finally:
        master.send_signal(signal.SIGTERM)
        master.communicate(timeout=30)
    assert master.returncode == 0
    assert not _children(master.pid)
