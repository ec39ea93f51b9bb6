"""A wheel carries all of data/, and an installed threatmon finds it.

`make smoke` builds and installs the wheel and runs it from outside the
checkout; these tests keep the packaging list complete as data/ grows.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from threatmon.settings import REPO_ROOT, default_data_dir

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_wheel_installs_every_file_of_data_under_share_threatmon() -> None:
    shipped: dict[Path, str] = {}
    for target, patterns in PYPROJECT["tool"]["setuptools"]["data-files"].items():
        assert target.startswith("share/threatmon/data"), target
        for pattern in patterns:
            for path in REPO_ROOT.glob(pattern):
                if path.is_file():
                    shipped[path.relative_to(REPO_ROOT)] = target
    present = {
        p.relative_to(REPO_ROOT)
        for p in (REPO_ROOT / "data").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert present - set(shipped) == set(), "data files a wheel would leave out"
    for path, target in shipped.items():  # each lands at the same place under share/threatmon
        assert Path(target) / path.name == Path("share/threatmon") / path


def test_a_checkout_uses_its_own_data_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "taxonomy.toml").write_text("", encoding="utf-8")
    assert default_data_dir(tmp_path, tmp_path / "installed") == tmp_path / "data"
    assert default_data_dir() == REPO_ROOT / "data"  # the tests run from the checkout


def test_an_installed_package_uses_the_data_its_wheel_installed(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"  # no data/ beside the installed modules
    site.mkdir()
    installed = tmp_path / "share" / "threatmon" / "data"
    assert default_data_dir(site, installed) == installed


def test_the_wheel_carries_the_interface_catalogs() -> None:
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["dashboard"]
    catalogs = sorted((REPO_ROOT / "dashboard" / "locale").glob("*.po"))
    assert [p.name for p in catalogs] == ["kk.po", "ru.po"]
    for path in catalogs:
        relative = path.relative_to(REPO_ROOT / "dashboard")
        assert any(relative.match(pattern) for pattern in patterns), relative
