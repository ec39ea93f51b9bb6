"""Dashboard latency and memory measured through the real server, as a browser sees it.

    .venv/bin/python bench/bench_dashboard.py --server [--items N] [--db PATH] [--changes 150]

`bench_dashboard.py` times the queries in-process; this adds what they leave
out: the callbacks themselves, figure building, JSON serialization, Flask and
the HTTP round trip, and the resident memory of the process that serves.

The app (`dashboard.app.create_app` + `make_http_server`) runs in a child
process on a free 127.0.0.1 port. The parent plays the part of Dash's
renderer, with just enough of it: it loads `/_dash-layout` and
`/_dash-dependencies`, keeps the component properties, and when a property
changes it POSTs `/_dash-update-component` for every server-side callback that
listens to it and whose components are on the page, in the renderer's payload
shape (output, outputs, inputs, state, changedPropIds), applies the responses,
and follows the chain until nothing more fires. Requests are sent one after
another (the browser would send a view's callback and the chrome's in
parallel), so the times are on the conservative side.

Each of the Overview, Trends and Regions views is opened once (untimed), then
the same `--changes` filter changes are replayed on each. A change alternates
between the two ways filters change in the browser: a new query string
(link, bookmark, back button, chart click: `url.search` changes) and an edit
of the filter controls (their values change, all that differ at once). One
filter change is then the shell's sync callback, the chrome callback and the
view's callback, timed end to end. At the end the child's peak resident set
(VmHWM in /proc/<pid>/status) is read.

Exit status 1 when a view's or the overall p95 >= 300 ms, or the peak RSS >= 500 MB.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_dashboard import (  # noqa: E402
    P95_BUDGET_MS,
    RSS_BUDGET_MB,
    percentile,
    random_filters,
)

from dashboard.shell import CONTROL_PROPS  # noqa: E402
from dashboard.url_state import build_search, controls_from_filters, default_view  # noqa: E402
from indicators.selection import Filters  # noqa: E402

VIEWS = (("overview", "/"), ("trends", "/trends"), ("regions", "/regions"))
# every view of the dashboard (`--all-views`): the issue-10 budget is per view
ALL_VIEWS = (
    *VIEWS,
    ("platforms", "/platforms"),
    ("cyber", "/cyber"),
    ("items", "/items"),
    ("organizations", "/organizations"),
    ("alerts", "/alerts"),
    ("terms", "/terms"),
    ("sources", "/sources"),
)
MAX_ROUNDS = 10  # a callback chain longer than this is a loop, not a filter change


# --- the server, in a child process ------------------------------------------------------


def serve(db_url: str, data_dir: Path) -> None:
    """Child side: build the real app, print the port, serve until terminated."""
    from dashboard.app import create_app, make_http_server

    server = make_http_server(create_app(db_url, data_dir), "127.0.0.1", 0, quiet=True)
    print(server.server_port, flush=True)
    server.serve_forever()


@contextmanager
def server_process(db: Path, data_dir: Path) -> Iterator[tuple[int, str]]:
    """Start the dashboard in a fresh interpreter; yield (pid, base URL); stop it after."""
    proc = subprocess.Popen(
        [sys.executable, __file__, f"sqlite:///{db}", str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError(f"the dashboard server did not start (exit {proc.poll()})")
        yield proc.pid, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def memory_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak resident) and VmRSS (now) of `pid`, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            out[name] = int(value.split()[0]) / 1024
    return out


# --- just enough of Dash's renderer -------------------------------------------------------


def stringify_id(component_id: str | dict[str, Any]) -> str:
    """The renderer's key for an id: dict ids as compact JSON with sorted keys."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return component_id


def parse_id(key: str) -> str | dict[str, Any]:
    return json.loads(key) if key.startswith("{") else key


def components(node: Any) -> Iterator[dict[str, Any]]:
    """The props of every component with an id in a layout tree (figures are not descended)."""
    if isinstance(node, list):
        for child in node:
            yield from components(child)
    elif isinstance(node, dict) and "props" in node and "type" in node:
        if "id" in node["props"]:
            yield node["props"]
        for value in node["props"].values():
            yield from components(value)


@dataclass(frozen=True)
class Callback:
    """One entry of `/_dash-dependencies`."""

    output: str
    outputs: tuple[tuple[str, str], ...]  # (id key, property), "@hash" suffix kept
    inputs: tuple[tuple[str, str], ...]
    state: tuple[tuple[str, str], ...]

    @classmethod
    def from_dependency(cls, dep: Mapping[str, Any]) -> Callback:
        output = dep["output"]
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        return cls(
            output=output,
            outputs=tuple(tuple(p.rsplit(".", 1)) for p in parts),  # type: ignore[misc]
            inputs=tuple((d["id"], d["property"]) for d in dep["inputs"]),
            state=tuple((d["id"], d["property"]) for d in dep["state"]),
        )

    @property
    def name(self) -> str:
        first = ".".join(self.outputs[0]).split("@")[0]
        return first + (f" +{len(self.outputs) - 1}" if len(self.outputs) > 1 else "")


class Renderer:
    """A page in a headless "browser": component props, callbacks, and the update requests."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.props: dict[str, dict[str, Any]] = {}
        self.load(http.get("/_dash-layout").raise_for_status().json())
        self.callbacks = [
            Callback.from_dependency(d)
            for d in http.get("/_dash-dependencies").raise_for_status().json()
            if not d.get("clientside_function")
        ]
        self.request_ms: dict[str, list[float]] = defaultdict(list)
        self.response_bytes = 0

    def load(self, tree: Any) -> None:
        for props in components(tree):
            self.props.setdefault(stringify_id(props["id"]), {}).update(props)

    def set(self, key: str, prop: str, value: Any) -> str:
        self.props.setdefault(key, {})[prop] = value
        return f"{key}.{prop}"

    def get(self, key: str, prop: str) -> Any:
        return self.props.get(key, {}).get(prop)

    def _matches(self, pattern: dict[str, Any]) -> list[str]:
        """Keys of the components an ALL pattern id selects, in layout order."""
        found = []
        for key in self.props:
            if not key.startswith("{"):
                continue
            cid = json.loads(key)
            if cid.keys() == pattern.keys() and all(
                v == ["ALL"] or cid[k] == v for k, v in pattern.items()
            ):
                found.append(key)
        return found

    def _value(self, key: str, prop: str) -> Any:
        cid = parse_id(key)
        if isinstance(cid, dict) and any(v == ["ALL"] for v in cid.values()):
            return [
                {"id": parse_id(k), "property": prop, "value": self.get(k, prop)}
                for k in self._matches(cid)
            ]
        return {"id": cid, "property": prop, "value": self.get(key, prop)}

    def _on_page(self, cb: Callback) -> bool:
        """The renderer only runs callbacks whose components are all rendered."""
        return all(key in self.props or key.startswith("{") for key, _ in (*cb.outputs, *cb.inputs))

    def call(self, cb: Callback, changed: list[str]) -> list[str]:
        """POST one callback as the renderer does; apply the response; return what changed."""
        outputs = [{"id": parse_id(k), "property": p} for k, p in cb.outputs]
        payload: dict[str, Any] = {
            "output": cb.output,
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [self._value(k, p) for k, p in cb.inputs],
            "changedPropIds": changed,
            "parsedChangedPropsIds": changed,
        }
        if cb.state:
            payload["state"] = [self._value(k, p) for k, p in cb.state]
        started = time.perf_counter()
        response = self.http.post("/_dash-update-component", json=payload)
        if response.status_code == 204:  # PreventUpdate
            self.request_ms[cb.name].append((time.perf_counter() - started) * 1000)
            return []
        response.raise_for_status()
        body = response.json()
        self.request_ms[cb.name].append((time.perf_counter() - started) * 1000)
        self.response_bytes += len(response.content)
        updated = []
        for key, props in body.get("response", {}).items():
            for prop, value in props.items():
                updated.append(self.set(key, prop, value))
                self.load(value)  # a view's layout brings new components
        return updated

    def fire(self, changed: list[str]) -> int:
        """Run every callback the changed props trigger, then the ones their outputs trigger."""
        requests = 0
        # (prop, the callback that set it): a callback is not re-run by its own outputs
        pending: list[tuple[str, Callback | None]] = [(key, None) for key in changed]
        for _ in range(MAX_ROUNDS):
            if not pending:
                return requests
            due = []
            for cb in self.callbacks:
                inputs = {f"{k}.{p}" for k, p in cb.inputs}
                triggers = [key for key, source in pending if key in inputs and source != cb]
                if triggers and self._on_page(cb):
                    due.append((cb, list(dict.fromkeys(triggers))))
            pending = []
            for cb, triggers in due:
                pending += [(key, cb) for key in self.call(cb, triggers)]
                requests += 1
        raise RuntimeError(f"callbacks still firing after {MAX_ROUNDS} rounds: {pending}")

    def open(self, path: str) -> None:
        """Navigate to a view (untimed): route, sync, chrome, then the view's own callback."""
        self.fire([self.set("url", "pathname", path), self.set("url", "search", "")])
        if not self.get("page", "children") or not self.get("state", "data"):
            raise RuntimeError(f"{path}: the view did not render")


# --- the filter changes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    filters: Filters
    view: dict[str, str]
    by_url: bool  # False: the filter controls are edited instead


def plan(rng: random.Random, feed_ids: list[int], n: int) -> list[Change]:
    """`n` varied filter changes; view options (Trends) change only with the URL, as in the app."""
    changes: list[Change] = []
    current = Change(Filters(), default_view(), by_url=True)  # a freshly opened view
    while len(changes) < n:
        filters = random_filters(rng, feed_ids)
        view = default_view()
        view["granularity"] = rng.choice(["day", "day", "week", "month"])
        view["measure"] = rng.choice(["items", "items", "stories"])
        view["scale"] = rng.choice(["count", "per1000"])
        view["chart"] = rng.choice(["lines", "areas"])
        if filters == current.filters:
            continue  # the same filters again is no filter change
        by_url = len(changes) % 2 == 0
        current = Change(filters, view if by_url else current.view, by_url)
        changes.append(current)
    return changes


def apply(page: Renderer, change: Change) -> int:
    """Make one filter change on `page` as a user would; return the requests it took."""
    if not change.by_url:
        wanted = controls_from_filters(change.filters).as_tuple()
        edited = [
            page.set(cid, prop, value)
            for (cid, prop), value in zip(CONTROL_PROPS, wanted, strict=True)
            if page.get(cid, prop) != value
        ]
        requests = page.fire(edited) if edited else 0
    else:
        requests = page.fire([page.set("url", "search", build_search(change.filters, change.view))])
    # A benchmark of a broken flow measures nothing: the page must now hold these filters.
    state = page.get("state", "data") or {}
    if state.get("error") or state.get("params") != [list(p) for p in change.filters.to_params()]:
        raise RuntimeError(f"the page did not take the filters {change.filters}: {state}")
    return requests


@dataclass
class Replay:
    """What one replay through the server measured (see `replay`)."""

    per_view: dict[str, list[float]]  # ms per filter change
    requests: dict[str, list[int]]
    pages: dict[str, Renderer]
    slowest: list[tuple[float, str, str]]
    memory: dict[str, float]


def measure_server(
    db: Path, data_dir: Path, changes: int, seed: int, views: tuple[tuple[str, str], ...] = VIEWS
) -> int:
    """Replay `changes` filter changes on each view through the real server; 0 when in budget."""
    done = replay(db, data_dir, changes, seed, views)
    return report(done.per_view, done.requests, done.pages, done.slowest, done.memory, changes)


def replay(
    db: Path, data_dir: Path, changes: int, seed: int, views: tuple[tuple[str, str], ...] = VIEWS
) -> Replay:
    """Start the server on `db`, open `views`, replay the seeded filter changes on each."""
    per_view: dict[str, list[float]] = defaultdict(list)
    requests: dict[str, list[int]] = defaultdict(list)
    slowest: list[tuple[float, str, str]] = []
    with (
        server_process(db, data_dir) as (pid, base_url),
        httpx.Client(base_url=base_url, timeout=120) as http,
    ):
        started = time.perf_counter()
        pages = {name: Renderer(http) for name, _ in views}
        for name, path in views:
            pages[name].open(path)
            pages[name].request_ms.clear()
        print(
            f"server pid {pid} at {base_url}: {len(views)} views opened in "
            f"{time.perf_counter() - started:.1f} s; {memory_mb(pid)['VmRSS']:.0f} MB resident"
        )
        options = pages["overview"].get("f-source", "options") or []
        feed_ids = [int(o["value"]) for o in options]
        for change in plan(random.Random(seed), feed_ids, changes):
            for name, _ in views:  # interleaved, so every view sees the same cache warmth
                t0 = time.perf_counter()
                requests[name].append(apply(pages[name], change))
                elapsed = (time.perf_counter() - t0) * 1000
                per_view[name].append(elapsed)
                how = f"url {build_search(change.filters, change.view)}"
                if not change.by_url:
                    how = f"controls {build_search(change.filters)}"
                slowest.append((elapsed, name, how))
        memory = memory_mb(pid)
    return Replay(dict(per_view), dict(requests), pages, slowest, memory)


def report(
    per_view: Mapping[str, list[float]],
    requests: Mapping[str, list[int]],
    pages: Mapping[str, Renderer],
    slowest: list[tuple[float, str, str]],
    memory: Mapping[str, float],
    changes: int,
) -> int:
    everything = [ms for values in per_view.values() for ms in values]
    print(
        f"\n{changes} filter changes on each view through the real server "
        f"(sync + chrome + the view's callback, sequential HTTP requests)"
    )
    print(
        f"{'view':<12}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"
        f"{'requests':>10}{'KB/change':>11}"
    )
    worst = 0.0
    for name, values in per_view.items():
        p95 = percentile(values, 95)
        worst = max(worst, p95)
        kb = pages[name].response_bytes / 1024 / len(values)
        print(
            f"{name:<12}{percentile(values, 50):>10.1f}{p95:>10.1f}"
            f"{percentile(values, 99):>10.1f}{max(values):>10.1f}"
            f"{sum(requests[name]) / len(values):>10.1f}{kb:>11.0f}"
        )
    overall = percentile(everything, 95)
    print(
        f"{'overall':<12}{percentile(everything, 50):>10.1f}{overall:>10.1f}"
        f"{percentile(everything, 99):>10.1f}{max(everything):>10.1f}"
    )
    print("per callback request (ms):")
    for name, page in pages.items():
        for cb_name, values in page.request_ms.items():
            print(
                f"  {name:<10}{cb_name:<34}{percentile(values, 50):>8.1f}"
                f"{percentile(values, 95):>8.1f}  n={len(values)}"
            )
    peak = memory["VmHWM"]
    print(f"server resident memory: peak {peak:,.0f} MB, at the end {memory['VmRSS']:,.0f} MB")
    print("slowest changes:")
    for elapsed, name, what in sorted(slowest, key=lambda r: -r[0])[:3]:
        print(f"  {elapsed:8.1f} ms  {name:<9} {what}")
    p95 = max(worst, overall)
    ok = p95 < P95_BUDGET_MS and peak < RSS_BUDGET_MB
    print(
        f"{'OK' if ok else 'OVER BUDGET'}: p95 {p95:.0f} ms, the worst view's "
        f"(budget {P95_BUDGET_MS:.0f}); server peak RSS {peak:.0f} MB (budget {RSS_BUDGET_MB:.0f})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    # The child: `bench_server.py DB_URL DATA_DIR` (started by `server_process`).
    serve(sys.argv[1], Path(sys.argv[2]))
