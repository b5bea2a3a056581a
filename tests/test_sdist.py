"""The built sdist: what it holds and its license metadata.

Building it runs ``python -m build`` (an isolated environment: setuptools comes from the package
index). Skipped without ``build``, except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "goleaklint"
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
