"""What a command loads: `ingest` and `tag` never pull in the web or numeric stack.

Every ingest worker and every `threatmon tag` pipe pays its imports at start
(issue 10: "the ingest command must not import the dashboard stack"). The
commands run as real processes; the modules loaded by the time they exit are
read from `sys.modules` in an exit hook.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

WEB_AND_NUMERIC = {"dash", "dashboard", "flask", "plotly", "pandas", "numpy", "werkzeug"}

RUN_AND_LIST = """
import atexit, sys
atexit.register(lambda: print("LOADED", *sorted({m.split(".")[0] for m in sys.modules})))
from threatmon.cli import main
sys.argv = ["threatmon", *sys.argv[1:]]
main()
"""


def loaded_by(args: list[str], stdin: str = "") -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("LOADED ")]
    return set(line.split()[1:])


def test_ingest_once_loads_no_web_or_numeric_module(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        '[[feeds]]\nname = "Idle"\nurl = "http://127.0.0.1:9/rss"\nenabled = false\n'
        'note = "listed, never fetched"\n',
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert "sqlalchemy" in loaded_by(["init", "--db", db, "--feeds", str(feeds)])
    loaded = loaded_by(["ingest", "--once", "--db", db])
    assert {"feedparser", "sqlalchemy", "ahocorasick"} <= loaded  # it did fetch-side work
    assert loaded & WEB_AND_NUMERIC == set()


def test_tag_loads_no_web_numeric_database_or_fetching_module() -> None:
    """A `threatmon tag` pipe starts in a fraction of a second: it only needs the tagger."""
    loaded = loaded_by(["tag"], stdin='{"id": 1, "title": "В Шымкенте предотвращен теракт"}\n')
    assert "ahocorasick" in loaded
    not_needed = WEB_AND_NUMERIC | {"sqlalchemy", "httpx", "feedparser", "apscheduler"}
    assert loaded & not_needed == set()


def test_every_command_module_registers_exactly_the_commands_the_group_expects() -> None:
    """`threatmon.cli.LAZY_COMMANDS` must name every command of every module, and only those."""
    import importlib

    import click

    from threatmon.cli import LAZY_COMMANDS, _engine, _settings, cli, db_option

    by_module: dict[str, set[str]] = {}
    for name, module in LAZY_COMMANDS.items():
        by_module.setdefault(module, set()).add(name)
    for module, names in by_module.items():
        group = click.Group()
        importlib.import_module(module).register(group, db_option, _settings, _engine)
        assert set(group.commands) == names, module
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(LAZY_COMMANDS)
    assert all(isinstance(cli.get_command(ctx, n), click.Command) for n in LAZY_COMMANDS)
