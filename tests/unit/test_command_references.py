"""Every `threatmon ...` command the dashboard tells users to run exists on the command line."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from threatmon.cli import cli

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
# A command quoted in user-facing text: `threatmon feeds add URL`, `threatmon ingest --once`,
# or a whole string that is a command line (the child of an html.Code, say).
QUOTED_COMMAND = re.compile(r"`threatmon ([^`]*)`")
COMMAND_LINE = re.compile(r"\s*threatmon ([a-z][^\n`]*?)\s*")


def command_path(group: click.Group, words: list[str]) -> str | None:
    """The first word that names no command, or None when the words resolve.

    Sub-commands are followed while the current command is a group; the first
    option or upper-case placeholder (URL, ID) ends the command words.
    """
    command: click.Command = group
    for word in words:
        if word.startswith("-") or not word.islower():
            break
        if not isinstance(command, click.Group):
            break
        sub = command.get_command(click.Context(command), word)  # loads lazy commands
        if sub is None:
            return word
        command = sub
    return None


def quoted_commands(text: str) -> list[str]:
    whole = COMMAND_LINE.fullmatch(text)
    return [whole.group(1)] if whole else QUOTED_COMMAND.findall(text)


def dashboard_text() -> list[tuple[str, str]]:
    """(module, string) for every string constant in the dashboard's Python modules."""
    found = []
    for path in sorted(DASHBOARD.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((path.relative_to(DASHBOARD).as_posix(), node.value))
    return found


def test_the_checker_accepts_real_commands_and_names_the_first_unknown_word():
    assert command_path(cli, ["feeds", "add", "URL"]) is None
    assert command_path(cli, ["ingest", "--once"]) is None
    assert command_path(cli, ["lexicon", "check"]) is None
    assert command_path(cli, ["fetch"]) == "fetch"
    assert command_path(cli, ["feeds", "purge"]) == "purge"


def test_every_command_named_in_dashboard_text_exists():
    named = [
        (module, words) for module, text in dashboard_text() for words in quoted_commands(text)
    ]
    assert len(named) >= 2, "the empty states name the commands that fill the store"
    unknown = {
        f"{module}: threatmon {words}"
        for module, words in named
        if command_path(cli, words.split()) is not None
    }
    assert unknown == set()


@pytest.mark.parametrize("words", ["init", "ingest --once", "run", "feeds add URL"])
def test_quoted_commands_are_found_in_text(words):
    assert quoted_commands(f"Run `threatmon {words}` and reload.") == [words]
    assert quoted_commands(f"threatmon {words}") == [words], "a string that is a command line"


def test_prose_about_threatmon_names_no_command():
    assert quoted_commands("threatmon (demo)") == []
    assert quoted_commands("What threatmon shows, and why.") == []
