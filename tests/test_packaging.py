"""The distribution: what the sdist holds, its license metadata and the dependency bounds.

Building the sdist runs ``python -m build`` (an isolated environment: setuptools comes from the
package index). Skipped without ``build``, except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "goleaklint"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", "venv", "node_modules", "__pycache__", "*.egg-info", ".*_cache", "build",
    "dist", ".hypothesis",
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> tarfile.TarFile:
    """The sdist of a copy of the working tree (the build writes egg-info next to the source)."""
    if importlib.util.find_spec("build") is None:
        why = "build is not installed (pip install -e '.[test]')"
        if _in_ci():
            pytest.fail(f"{why}: required in CI", pytrace=False)
        pytest.skip(why)
    work = tmp_path_factory.mktemp("sdist")
    tree, out = work / "tree", work / "dist"
    shutil.copytree(ROOT, tree, ignore=_COPY_IGNORE)
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(tree)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (archive,) = out.glob("*.tar.gz")
    return tarfile.open(archive)


def _members(sdist: tarfile.TarFile) -> set[str]:
    """Member paths below the sdist's top folder (``goleaklint-X.Y.Z/``)."""
    return {m.name.split("/", 1)[1] for m in sdist.getmembers() if m.isfile()}


def test_sdist_ships_the_package_license_and_readme_but_no_tests(sdist: tarfile.TarFile) -> None:
    members = _members(sdist)
    assert [m for m in members if m.startswith("tests/") or "/tests/" in m] == []
    assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= members
    sources = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")}
    assert sources - members == set()


def test_sdist_metadata_declares_the_mit_license_by_spdx_expression(
    sdist: tarfile.TarFile,
) -> None:
    top = sdist.getmembers()[0].name.split("/", 1)[0]
    pkg_info = sdist.extractfile(f"{top}/PKG-INFO")
    assert pkg_info is not None
    metadata = HeaderParser().parsestr(pkg_info.read().decode("utf-8"))
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["License"] is None  # the deprecated free-text field
    license_file = sdist.extractfile(f"{top}/LICENSE")
    assert license_file is not None
    text = license_file.read().decode("utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) the goleaklint authors\n")


def _third_party_imports() -> set[str]:
    """Top-level names of the modules the package imports that are neither ours nor stdlib."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "goleaklint"}


def _requirements() -> dict[str, Requirement]:
    parsed = [Requirement(line) for line in PYPROJECT["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in parsed}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    declared = _requirements()
    distributions = importlib.metadata.packages_distributions()
    undeclared = []
    for module in sorted(_third_party_imports()):
        # A module not installed here (tomli on Python >= 3.11) goes by its own name.
        names = {canonicalize_name(d) for d in distributions.get(module, [module])}
        if not names & declared.keys():
            undeclared.append(f"{module} (from {', '.join(sorted(names))})")
    assert undeclared == []


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    unbounded = [
        str(r) for r in _requirements().values()
        if not ({">=", "<"} <= {s.operator for s in r.specifier})
    ]
    assert unbounded == []


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_readme_links_work_on_pypi_too() -> None:
    """The README is the project's PyPI page: links are absolute, to files this repository has."""
    home = PYPROJECT["project"]["urls"]["Homepage"]
    links = _LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert links
    assert [t for t in links if not t.startswith(("https://", "http://", "#"))] == []
    for target in links:
        for kind in ("blob", "tree"):
            prefix = f"{home}/{kind}/main/"
            if target.startswith(prefix):
                path = ROOT / target[len(prefix):].split("#")[0]
                assert path.is_file() if kind == "blob" else path.is_dir(), target
