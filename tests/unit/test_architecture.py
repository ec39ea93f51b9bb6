"""Dependencies point one way, and the checker that says so can fail.

Every module of the packages is parsed (not imported), and every import in
it counts, including the lazy ones inside functions:

- `indicators` imports none of `ingest`, `dashboard`, `threatmon`, `notify`, `tools`,
  `bench`;
- `ingest` and `dashboard` never import each other;
- no runtime package imports `tools` or `bench` (they are not installed);
- a page of the dashboard never imports another page.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A package folder that does not exist (yet: notify) is simply not walked.
PACKAGES = ("threatmon", "ingest", "indicators", "dashboard", "notify", "tools", "bench")
RUNTIME = ("threatmon", "ingest", "indicators", "dashboard", "notify")
PAGES = "dashboard.pages"

# (importer package, imported package): never allowed.
FORBIDDEN: tuple[tuple[str, str], ...] = (
    *(
        ("indicators", other)
        for other in ("ingest", "dashboard", "threatmon", "notify", "tools", "bench")
    ),
    ("ingest", "dashboard"),
    ("dashboard", "ingest"),
    *((runtime, tool) for runtime in RUNTIME for tool in ("tools", "bench")),
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # what it imports, dotted
    line: int


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path) -> Iterator[Import]:
    """Every import in one file, at any depth; `from a import b` also counts as `a.b`."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield Import(name, base, node.lineno)
            for alias in node.names:
                yield Import(name, f"{base}.{alias.name}", node.lineno)


def all_imports(root: Path, packages: tuple[str, ...]) -> Iterator[Import]:
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            yield from imports_of(root, path)


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(root: Path, packages: tuple[str, ...] = PACKAGES) -> set[str]:
    """Each forbidden import as "importer:line imports target (why)"."""
    found = set()
    for imp in all_imports(root, packages):
        for importer, imported in FORBIDDEN:
            if within(imp.module, importer) and within(imp.target, imported):
                found.add(
                    f"{imp.module}:{imp.line} imports {imp.target} ({importer} -/-> {imported})"
                )
        page = imp.module.removeprefix(PAGES + ".")
        other = imp.target.removeprefix(PAGES + ".").split(".")[0]
        if (
            within(imp.module, PAGES)
            and imp.module != PAGES
            and within(imp.target, PAGES)
            and imp.target != PAGES
            and other != page
        ):
            found.add(f"{imp.module}:{imp.line} imports {imp.target} (a page imports a page)")
    return found


def test_the_packages_depend_one_way_and_pages_stand_alone():
    assert violations(ROOT) == set()


def test_the_checker_reads_every_package_including_lazy_imports():
    seen = {(imp.module, imp.target) for imp in all_imports(ROOT, PACKAGES)}
    modules = {module for module, _ in seen}
    assert {"threatmon.cli", "ingest.refresh", "indicators.store.queries"} <= modules
    assert {"dashboard.pages.trends", "tools.evaluate", "bench.eval"} <= modules
    # threatmon.dashboard_cli imports the dashboard inside a function.
    assert ("threatmon.dashboard_cli", "dashboard.app") in seen


def write(root: Path, relative: str, text: str = "") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tangled(tmp_path: Path) -> Path:
    """A tiny tree of the same packages with one of each forbidden import."""
    for package in ("indicators", "ingest", "dashboard", "dashboard/pages", "threatmon", "tools"):
        write(tmp_path, f"{package}/__init__.py")
    write(tmp_path, "indicators/core.py", "def late():\n    from ingest import fetch\n")
    write(tmp_path, "indicators/models.py", "import indicators.core\nimport notify.mail\n")
    write(tmp_path, "ingest/fetch.py", "from indicators import core\nfrom dashboard import app\n")
    write(tmp_path, "dashboard/app.py", "from dashboard.pages import trends, cyber\n")  # allowed
    write(tmp_path, "dashboard/pages/trends.py", "from dashboard import app\n")  # allowed
    write(tmp_path, "dashboard/pages/cyber.py", "from .trends import helper\n")
    write(tmp_path, "threatmon/cli.py", "import tools.evaluate\nimport ingest, dashboard\n")
    write(tmp_path, "tools/evaluate.py", "from indicators import core\n")  # allowed
    return tmp_path


def test_the_checker_finds_each_kind_of_forbidden_import(tangled: Path):
    assert violations(tangled, ("indicators", "ingest", "dashboard", "threatmon", "tools")) == {
        "indicators.core:2 imports ingest (indicators -/-> ingest)",
        "indicators.core:2 imports ingest.fetch (indicators -/-> ingest)",
        "indicators.models:2 imports notify.mail (indicators -/-> notify)",
        "ingest.fetch:2 imports dashboard (ingest -/-> dashboard)",
        "ingest.fetch:2 imports dashboard.app (ingest -/-> dashboard)",
        "dashboard.pages.cyber:1 imports dashboard.pages.trends (a page imports a page)",
        "dashboard.pages.cyber:1 imports dashboard.pages.trends.helper (a page imports a page)",
        "threatmon.cli:1 imports tools.evaluate (threatmon -/-> tools)",
    }


# --- one home per idea ---------------------------------------------------------------------

TAG_AXES_HOME = "indicators.models"


def spelled_tag_axes(root: Path, packages: tuple[str, ...]) -> set[str]:
    """Modules whose code writes the tag axes out as a literal tuple or list."""
    found = set()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Tuple | ast.List) and [
                    e.value for e in node.elts if isinstance(e, ast.Constant)
                ] in (
                    ["category", "region", "platform"],
                    ["category", "region", "platform", "actor"],
                ):
                    found.add(module_name(root, path))
    return found


def test_the_tag_axes_are_written_out_in_one_module_only():
    assert spelled_tag_axes(ROOT, PACKAGES) == {TAG_AXES_HOME}


def test_the_axes_check_sees_a_second_definition(tmp_path: Path):
    write(tmp_path, "indicators/models.py", 'TAG_AXES = ("category", "region", "platform")\n')
    write(tmp_path, "dashboard/badges.py", 'ORDER = ["category", "region", "platform"]\n')
    assert spelled_tag_axes(tmp_path, ("indicators", "dashboard")) == {
        "indicators.models",
        "dashboard.badges",
    }
