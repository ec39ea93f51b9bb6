"""Run the feed parser in a short-lived child process with a memory cap and a timeout.

A hostile or merely huge document can make a pure-Python parser spin or
allocate without end; a thread cannot be stopped, a process can. Each call
forks a fresh child from a multiprocessing *forkserver* (plain fork from a
threaded program can deadlock on locks held by other threads). The server
preloads feedparser, charset-normalizer and the parsers (`ingest.parse`, and
lxml through the non-feed formats), so a child starts warm. The child caps
its address space with RLIMIT_AS, runs the function and sends back the result
or the error; the parent kills it when the wall-clock timeout passes.

A child may also send its result in parts as it goes (`on_part`): the parent
works on each part (normalized items get tagged) while the child produces the
next, so the two halves of a feed's work run on two cores. The timeout then
counts only the time the parent waits for the child, not the time it spends
on a part (a child blocked on a full pipe is not working).

Python 3.11's forkserver ignores a "__main__" preload (it looks for the main
path under the wrong key), so every child re-runs the main *script* as
`__mp_main__`. That script must keep its work under `if __name__ == "__main__"`
(multiprocessing requires it anyway); the modules it imports are preloaded so
re-running it costs little. Programs started with `python -m package` skip this.

Every failure here is `FeedError(PARSE, ...)`: the parser failed, crashed, or
ran out of time or memory.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from types import ModuleType
from typing import Any

from ingest.errors import ErrorKind, FeedError

PRELOAD = (
    "__main__",
    "feedparser",
    "charset_normalizer",
    "ingest.parse",
    "ingest.normalize",
    "ingest.formats",
    "ingest.telegram",
    "ingest.sitemap",
    "ingest.listing",
)
_REAP_SECONDS = 5.0

_context_lock = threading.Lock()
_start_lock = threading.Lock()  # Process.start() walks shared bookkeeping; keep it serial
_context: ForkServerContext | None = None


def _forkserver() -> ForkServerContext:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            assert isinstance(context, ForkServerContext)
            # Only takes effect if no forkserver runs yet; otherwise children start colder.
            context.set_forkserver_preload([*PRELOAD, *_main_script_imports()])
            _context = context
        return _context


def warm_up() -> None:
    """Start the parser server now, so that its preloading runs beside the caller's own work.

    The server imports feedparser, lxml and the parsers (about 0.4 s) before it
    can fork a child; started at the first parse, that delays the first feed.
    `threatmon ingest` calls this before importing its own stack, so the two
    sets of imports run on two cores at once (bench/bench_ingest.py).
    """
    _forkserver()
    multiprocessing.forkserver.ensure_running()


def _main_script_imports() -> list[str]:
    """Modules the main script pulled in, so that re-running it in a child hits the cache."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return []  # run with -m (or interactive): children do not re-run it
    names = set()
    for value in vars(main).values():
        name = (
            value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        )
        if isinstance(name, str) and name in sys.modules and name not in ("__main__", "builtins"):
            names.add(name)
    return sorted(names)


def run_bounded(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    timeout: float,
    memory_mb: int,
    on_part: Callable[[Any], None] | None = None,
) -> Any:
    """Return `func(*args)` computed in a child process, or raise `FeedError`.

    `func` and its arguments and result must be picklable; a `FeedError`
    raised by `func` is passed through with its kind and message. With
    `on_part`, `func` is called with one more argument, a function that sends
    a picklable part to the parent, where `on_part` receives the parts in
    order before the result is returned. An exception raised by `on_part`
    stops the child and propagates.
    """
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(sender, func, args, memory_mb, on_part is not None),
        name="threatmon-parser",
        daemon=True,
    )
    try:
        try:
            with _start_lock:
                process.start()
        except Exception as exc:
            raise FeedError(ErrorKind.PARSE, f"could not start the parser process: {exc}") from exc
        finally:
            sender.close()  # the child holds its own copy; EOF here means it died
        left = timeout
        while True:
            waited = time.monotonic()
            message = _receive(receiver, process, left, timeout)
            left -= time.monotonic() - waited
            if message[0] != "part":
                return _outcome(message)
            assert on_part is not None
            try:
                on_part(message[1])
            except BaseException:
                process.kill()  # it may be blocked sending the next part
                raise
    finally:
        receiver.close()
        _reap(process)


def _receive(receiver: Connection, process: Any, left: float, timeout: float) -> Any:
    if not receiver.poll(max(left, 0.0)):
        process.kill()
        raise FeedError(ErrorKind.PARSE, f"parser exceeded {timeout:g} s")
    try:
        return receiver.recv()
    except (EOFError, OSError):
        process.join(_REAP_SECONDS)
        raise FeedError(
            ErrorKind.PARSE, f"parser process died ({_describe_exit(process.exitcode)})"
        ) from None


def _outcome(message: Any) -> Any:
    status, payload = message
    if status == "ok":
        return payload
    kind, text = payload
    raise FeedError(ErrorKind(kind), text)


def _reap(process: Any) -> None:
    """Never leave a child or a zombie behind, whatever happened."""
    if process.pid is None:
        return
    process.join(_REAP_SECONDS)
    if process.is_alive():
        process.kill()
        process.join()
    process.close()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _child(
    sender: Connection,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    memory_mb: int,
    in_parts: bool = False,
) -> None:
    """Child side: cap memory, run, report. Runs in the forked process only."""

    def send_part(part: Any) -> None:
        sender.send(("part", part))

    try:
        _limit_address_space(memory_mb)
        try:
            result = func(*args, send_part) if in_parts else func(*args)
            message: tuple[str, Any] = ("ok", result)
        except FeedError as exc:  # FeedError does not pickle (keyword-only init): send fields
            message = ("error", (exc.kind.value, exc.message))
        except MemoryError:
            message = (
                "error",
                (ErrorKind.PARSE.value, f"parser ran out of memory ({memory_mb} MiB cap)"),
            )
        except Exception as exc:
            message = (
                "error",
                (ErrorKind.PARSE.value, f"parser failed: {type(exc).__name__}: {exc}"),
            )
        sender.send(message)
    finally:
        sender.close()


def _limit_address_space(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
