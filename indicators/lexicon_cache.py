"""Compiled lexicons kept on disk, keyed by everything that shapes them.

Reading, validating and compiling the data folder costs ~0.3 s, paid by every
process that tags: each `threatmon tag` in a shell pipeline, each `ingest
--once` from cron, each dashboard worker. The compiled object depends only on
the bytes of the lexicon files (`lexicon_files`: taxonomy, lexicons,
gazetteer, organizations, the analyst's overlay) and on the code that reads
and compiles them, so it is stored under a key that hashes exactly those: the
files' names and bytes, the source of every module of the `indicators`
package (a superset of the compiling code: any edit there recompiles), the
Python version and the automaton library's version. A changed byte anywhere
gives a new key; nothing else can make a stored lexicon stale.

The files are pickles, which run code when loaded: the folder must be as
private as the virtual environment itself (the default is the user's own
cache folder). A file that cannot be read or unpickled is ignored and
rewritten; writes go to a temporary file renamed into place, so a reader
never sees half a file and concurrent writers cannot corrupt one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any

from indicators.lexicon_files import lexicon_files

log = logging.getLogger(__name__)

FORMAT = "1"  # bump when the file layout itself changes
_PREFIX = "lexicon-"
_SUFFIX = ".pickle"
_PACKAGE = Path(__file__).resolve().parent


def _code_digest() -> bytes:
    """The source of every module of the package: compiling code and the classes it pickles."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def _library_version() -> str:
    try:
        return metadata.version("pyahocorasick")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source build without metadata
        return "unknown"


def cache_key(data_dir: Path, overlay: Path | None) -> str:
    """A hex digest that changes whenever the compiled lexicon could (see the module docstring)."""
    digest = hashlib.sha256()
    digest.update(f"{FORMAT}\0{sys.version}\0{_library_version()}\0".encode())
    digest.update(_code_digest())
    for path in lexicon_files(data_dir, overlay):
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\xff missing"
        digest.update(str(path).encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


def _mapping_proxy(contents: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """Rebuilds a read-only mapping on load (the type itself has no importable name)."""
    return MappingProxyType(contents)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, MappingProxyType):
            return (_mapping_proxy, (dict(obj),))
        return NotImplemented


def path_for(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{_PREFIX}{key}{_SUFFIX}"


def load(cache_dir: Path, key: str) -> Any | None:
    """The object stored under `key`, or None (absent, unreadable or not a pickle)."""
    path = path_for(cache_dir, key)
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: compile again and replace it
        log.warning("ignoring unreadable compiled lexicon %s: %s", path, exc)
        return None


KEEP = 4  # lexicons kept per folder: a few data folders or overlays may share it


def store(cache_dir: Path, key: str, compiled: Any) -> None:
    """Write atomically, then remove all but the `KEEP` newest lexicons of the folder.

    `compiled` must be fresh from compiling: its match memos are pickled with
    it. A folder that cannot be written (read-only home, full disk) only costs
    the next process a compile: the failure is logged, never raised.
    """
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=cache_dir, prefix=".tmp-", suffix=_SUFFIX, delete=False
        ) as handle:
            _Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL).dump(compiled)
            temporary = Path(handle.name)
        os.replace(temporary, path_for(cache_dir, key))
    except OSError as exc:
        log.warning("cannot keep the compiled lexicon in %s: %s", cache_dir, exc)
        return
    stored = []
    for path in cache_dir.glob(f"{_PREFIX}*{_SUFFIX}"):
        try:
            stored.append((path.stat().st_mtime_ns, path))
        except OSError:  # removed by another process meanwhile
            continue
    for _mtime, old in sorted(stored, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)
