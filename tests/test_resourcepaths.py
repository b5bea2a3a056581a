"""resourcepaths.test_support: which package folders hold test support code (GL201)."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.discover import Module
from goleaklint.model import Package
from goleaklint.resourcepaths import test_support as is_test_support


@pytest.mark.parametrize(("folder", "expected"), [
    ("internal/acmetest", True),
    ("awstesting", True),
    ("pkg/testutils", True),
    ("integrationtests/tools/proxy", True),
    ("e2e/router", True),
    ("pkg/latest", False),
    ("example", False),
    ("store", False),
])
def test_test_support_folders_below_the_module_root(tmp_path: Path, folder: str,
                                                    expected: bool) -> None:
    root = tmp_path / "test"  # the module's own folder name does not count
    directory = root / folder
    directory.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    pkg = Package.build(directory, "p", Module("example.com/m", (1, 22), root / "go.mod"), [])
    assert is_test_support(pkg) is expected
