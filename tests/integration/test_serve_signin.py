"""`threatmon serve` with sign-in, as a process: refusing to start, and several workers.

The real command is started on a free 127.0.0.1 port (sign-in is asked for on
loopback with `THREATMON_REQUIRE_SIGN_IN=1`) and driven over HTTP; what it
prints on stderr is read too, so a password showing there would fail a test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from indicators.accounts import ANALYST, hash_password
from indicators.store import users as user_store
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.alert_history import AT
from tests.integration.test_serve_cli import BANNER, _children

PASSWORD = "analyst-password-9"
STARTUP_TIMEOUT = 120  # seconds for gunicorn's workers to build their apps on a busy machine
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


def empty_store(tmp_path: Path, *, with_user: bool) -> str:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    upgrade(engine)
    if with_user:
        user_store.add_user(engine, "anna", ANALYST, hash_password(PASSWORD), at=AT)
    engine.dispose()
    return url


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREATMON_")}
    return {**env, **extra}


def serve_command(db_url: str, *flags: str) -> list[str]:
    return [sys.executable, "-m", "threatmon.cli", "serve", "--port", "0", "--db", db_url, *flags]


@pytest.mark.parametrize(
    ("flags", "extra", "why"),
    [
        (["--host", "0.0.0.0"], {}, "0.0.0.0 is not a loopback address"),
        ([], {"THREATMON_REQUIRE_SIGN_IN": "1"}, "require_sign_in is set"),
    ],
)
def test_serve_refuses_to_start_where_sign_in_is_required_but_no_user_exists(
    tmp_path: Path, flags: list[str], extra: dict[str, str], why: str
) -> None:
    url = empty_store(tmp_path, with_user=False)
    done = subprocess.run(
        serve_command(url, *flags),
        env=clean_env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert why in done.stderr
    assert "threatmon users add NAME --role analyst" in done.stderr
    assert "dashboard on" not in done.stderr and "Traceback" not in done.stderr


def sign_in(client: httpx.Client, password: str) -> httpx.Response:
    found = TOKEN_FIELD.search(client.get("/login").text)
    assert found is not None
    return client.post(
        "/login", data={"name": "anna", "password": password, "csrf_token": found[1]}
    )


def _healthy(base: str) -> bool:
    """Does a worker answer /healthz yet (a worker building its app accepts nothing)?"""
    try:
        return httpx.get(base + "/healthz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def test_a_session_from_one_worker_is_valid_in_the_other(tmp_path: Path) -> None:
    """--workers 2 with sign-in: both workers share the session key; passwords stay unlogged."""
    url = empty_store(tmp_path, with_user=True)
    master = subprocess.Popen(
        serve_command(url, "--workers", "2"),
        env=clean_env(THREATMON_REQUIRE_SIGN_IN="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = ""
    try:
        assert master.stderr is not None
        line = next(line for line in master.stderr if "dashboard on" in line)
        stderr += line
        found = BANNER.search(line)
        assert found is not None
        assert "sign-in required; 2 worker processes" in line
        base = f"http://127.0.0.1:{found[1]}"
        # the banner comes once bound; the workers are forked and build their apps next,
        # which takes a while on a busy machine: wait for that, not for a fixed time
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ((workers := _children(master.pid)) and len(workers) == 2 and _healthy(base)):
            assert time.monotonic() < deadline, f"2 workers serving: {workers}"
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30) as client:
            assert sign_in(client, "wrong-password-x").status_code == 401
            assert sign_in(client, PASSWORD).status_code == 303
            session = dict(client.cookies)
        served = set()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        # new connections until both workers have served the session (one still building
        # its app leaves every connection to the other for a while)
        while time.monotonic() < deadline:
            with httpx.Client(base_url=base, cookies=session, timeout=30) as client:
                pid = client.get("/healthz").json()["worker"]  # the same connection, so
                if client.get("/_dash-layout").status_code == 200:  # the same worker
                    served.add(pid)
                assert client.get("/api/snapshot").status_code == 200
            with httpx.Client(base_url=base, timeout=30) as stranger:
                assert stranger.get("/api/snapshot").status_code == 401
            if served == workers:
                break
            time.sleep(0.05)
        assert served == workers
    finally:
        master.send_signal(signal.SIGTERM)
        _, rest = master.communicate(timeout=30)
        stderr += rest
    assert master.returncode == 0
    assert not _children(master.pid)
    assert "failed sign-in for 'anna' from 127.0.0.1" in stderr
    assert PASSWORD not in stderr and "wrong-password-x" not in stderr


def test_the_demo_has_no_sign_in_so_it_stays_on_loopback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "threatmon.cli", "demo", "--port", "0", "--history", "0",
         "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
        env=clean_env(THREATMON_HOST="0.0.0.0"),
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "the demo serves on loopback only, not 0.0.0.0" in done.stderr
    assert not (tmp_path / "demo.db").exists()  # refused before anything was prepared
