"""The README's layout names every module, each with its line, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("threatmon", "ingest", "indicators", "dashboard", "notify", "tools", "bench")
ENTRY = re.compile(r"^( *)(\S+)(?: +(\S.*))?$")


def layout_block(readme: str) -> list[str]:
    """The lines of the code block under '## Layout'."""
    section = readme.split("\n## Layout\n", 1)[1]
    return section.split("```\n", 2)[1].splitlines()


def listed_modules(lines: list[str]) -> dict[str, str]:
    """path -> its description; folders (names ending in /) nest by two-space indents."""
    folders: list[str] = []
    modules: dict[str, str] = {}
    for line in lines:
        match = ENTRY.match(line)
        if match is None:
            continue
        depth = len(match.group(1)) // 2
        name, text = match.group(2), match.group(3) or ""
        del folders[depth:]
        if name.endswith("/"):
            folders.append(name)
        elif name.endswith(".py"):
            modules["".join(folders) + name] = text
    return modules


def actual_modules(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
        if path.name != "__init__.py"
    }


def test_the_layout_reader_nests_folders_by_indent():
    lines = ["pkg/        the package", "  a.py       does a", "  sub/", "    b.py     does b"]
    lines.append("  c.py       does c")
    assert listed_modules(lines) == {
        "pkg/a.py": "does a",
        "pkg/sub/b.py": "does b",
        "pkg/c.py": "does c",
    }


def test_every_module_is_in_the_readme_layout_with_a_line_saying_what_it_does():
    listed = listed_modules(layout_block((ROOT / "README.md").read_text(encoding="utf-8")))
    assert {path: "missing" for path in sorted(actual_modules(ROOT) - set(listed))} == {}
    assert {path: "gone" for path in sorted(set(listed) - actual_modules(ROOT))} == {}
    assert [path for path, text in listed.items() if not text] == []


# A pointer to a document outside the checkout: a path into a "shared" folder beside or
# above it, or one of the team documents that are not part of the repository. Input data
# read from the shared corpora (feedparser's test feeds) is data, not a document: allowed.
OUTSIDE_DOCUMENT = re.compile(r"(?:\.\./|/)shared/(?!corpora/)|\b(?:conventions|performance)\.md\b")
SKIPPED_DIRS = {".git", ".venv", "var", ".hypothesis", ".mypy_cache", ".ruff_cache", "fixtures"}


def pointers_outside(root: Path) -> list[str]:
    """ "file:line" for each line of code or documentation that points outside the repository."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path == Path(__file__) or set(relative.parts) & SKIPPED_DIRS:
            continue
        if relative.parts[0].endswith(".egg-info"):
            continue
        if path.suffix not in (".py", ".md", ".toml", ".yaml", ".cfg") and path.name != "Makefile":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE_DOCUMENT.search(line):
                found.append(f"{relative.as_posix()}:{number}")
    return found


def test_no_comment_or_document_points_outside_the_repository():
    assert pointers_outside(ROOT) == []


def test_the_pointer_check_sees_each_kind_of_outside_reference(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        '"""See ../shared/notes.txt."""\nX = 1  # as performance.md says\nY = 2\n', encoding="utf-8"
    )
    (tmp_path / "GUIDE.md").write_text("Kept in /srv/team/shared/taxonomy.md.\n", encoding="utf-8")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "feed.md").write_text(
        "../shared/ is feed data here\n", encoding="utf-8"
    )
    assert pointers_outside(tmp_path) == ["GUIDE.md:1", "pkg/a.py:1", "pkg/a.py:2"]
