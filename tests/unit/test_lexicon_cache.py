"""Compiled lexicons on disk (indicators/lexicon_cache.py): reused only while nothing changed.

The key must change with any byte of any lexicon file, the overlay and the
package's code, and a stored lexicon must tag exactly as a fresh compile.
Broken or unwritable cache folders cost a compile, never an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indicators import lexicon, lexicon_cache
from indicators.lexicon import CompiledLexicon, LexiconError, load_compiled
from indicators.tagger import tag

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "lexicon" / "mini"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(MINI, folder)
    shutil.copy(ROOT / "data" / "taxonomy.toml", folder / "taxonomy.toml")
    return folder


def _append_term(folder: Path, term: str) -> None:
    """A new strong terrorist_activity term in Russian (first list of categories.yaml)."""
    path = folder / "lexicon" / "categories.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      - теракт\n", f"      - теракт\n      - {term}\n", 1))


def _fresh(folder: Path, cache: Path | None, overlay: Path | None = None) -> CompiledLexicon:
    """As a new process would load it: without this process's in-memory cache."""
    lexicon._cache.clear()
    return load_compiled(folder, overlay, cache)


def test_a_stored_lexicon_tags_exactly_like_a_fresh_compile(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    compiled = _fresh(ROOT / "data", cache)
    [stored_file] = cache.glob("lexicon-*.pickle")
    stored = lexicon_cache.load(cache, stored_file.name[len("lexicon-") : -len(".pickle")])
    assert isinstance(stored, CompiledLexicon)
    assert stored.version == compiled.version and stored.phrases == compiled.phrases
    assert stored.taxonomy.categories == compiled.taxonomy.categories
    texts = [
        ("В Шымкенте предотвращен теракт", "Задержаны трое, изъята взрывчатка."),
        ("Hackers leak data of Kazakh bank", "Telegram channel posted 2 million records."),
        ("Алматыда бомба туралы қоңырау түсті", "Хабар расталмады."),
    ]
    for title, summary in texts:
        assert tag(title, summary, stored) == tag(title, summary, compiled)


def test_the_second_process_reads_what_the_first_compiled(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _fresh(data, cache)
    [stored_file] = cache.glob("lexicon-*.pickle")
    written = stored_file.stat().st_mtime_ns
    second = _fresh(data, cache)
    assert second.version == first.version
    assert stored_file.stat().st_mtime_ns == written  # read, not rewritten
    assert oct(stored_file.stat().st_mode & 0o777) == "0o600"  # private to the user


def test_an_edited_lexicon_file_is_compiled_again_and_its_new_term_tags(
    data: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    before = _fresh(data, cache)
    assert not tag("Обнаружен схрон", "", before).relevant
    path = data / "lexicon" / "categories.yaml"
    stat = path.stat()
    # the same number of bytes and the old modification time: a check by file size
    # and date would be fooled; the key reads the bytes
    path.write_text(path.read_text(encoding="utf-8").replace("- теракт\n", "- схроны\n", 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    after = _fresh(data, cache)
    assert tag("Обнаружен схрон", "", after).categories == ("terrorist_activity",)
    assert not tag("Предотвращен теракт", "", after).relevant


def test_the_key_follows_every_input_and_nothing_else(data: Path, tmp_path: Path) -> None:
    key = lexicon_cache.cache_key(data, None)
    assert lexicon_cache.cache_key(data, None) == key
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text('version: "1"\naxis: category\nids: {}\n', encoding="utf-8")
    with_overlay = lexicon_cache.cache_key(data, overlay)
    assert with_overlay != key
    overlay.write_text('version: "2"\naxis: category\nids: {}\n', encoding="utf-8")
    assert lexicon_cache.cache_key(data, overlay) != with_overlay
    gazetteer = data / "gazetteer" / "places.yaml"
    gazetteer.write_bytes(gazetteer.read_bytes() + b"\n")
    assert lexicon_cache.cache_key(data, None) != key


def test_the_key_changes_with_the_package_code(monkeypatch, tmp_path: Path, data: Path) -> None:
    package = tmp_path / "indicators"
    shutil.copytree(ROOT / "indicators", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(lexicon_cache, "_PACKAGE", package)
    key = lexicon_cache.cache_key(data, None)
    morph = package / "morph.py"
    morph.write_text(morph.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert lexicon_cache.cache_key(data, None) != key


def test_a_broken_file_is_compiled_again_and_replaced(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    version = _fresh(data, cache).version
    [stored_file] = cache.glob("lexicon-*.pickle")
    stored_file.write_bytes(b"not a pickle at all")
    assert _fresh(data, cache).version == version
    assert isinstance(
        lexicon_cache.load(cache, lexicon_cache.cache_key(data, None)), CompiledLexicon
    )


def test_an_unwritable_cache_folder_only_costs_a_compile(data: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache folder's place is taken by a file", encoding="utf-8")
    assert _fresh(data, blocker).version  # logged, not raised
    assert blocker.read_text(encoding="utf-8").startswith("the cache folder")


def test_a_lexicon_with_errors_is_refused_and_never_stored(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _append_term(data, "{term: x, axis: nowhere}")
    with pytest.raises(LexiconError):
        _fresh(data, cache)
    assert list(cache.glob("*")) == []


def test_only_the_newest_lexicons_are_kept(data: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for n in range(lexicon_cache.KEEP + 2):
        _append_term(data, f"термин{n}")
        _fresh(data, cache)
    kept = list(cache.glob("lexicon-*.pickle"))
    assert len(kept) == lexicon_cache.KEEP
    assert lexicon_cache.path_for(cache, lexicon_cache.cache_key(data, None)) in kept


def test_threatmon_tag_keeps_its_lexicon_between_runs(data: Path, tmp_path: Path) -> None:
    """Two real processes: the first compiles and stores, the second tags from the file."""
    cache = tmp_path / "cache"
    env = {
        **os.environ,
        "THREATMON_DATA_DIR": str(data),
        "THREATMON_LEXICON_CACHE_DIR": str(cache),
    }
    line = '{"id": 1, "title": "Предотвращен теракт"}\n'
    command = [str(Path(sys.executable).parent / "threatmon"), "tag"]
    outputs = []
    for _run in range(2):
        done = subprocess.run(
            command, input=line, capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and '"terrorist_activity"' in outputs[0]
    assert len(list(cache.glob("lexicon-*.pickle"))) == 1
    env["THREATMON_LEXICON_CACHE_DIR"] = "off"
    done = subprocess.run(command, input=line, capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout == outputs[0]
