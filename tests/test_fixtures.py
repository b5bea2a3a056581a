"""Every fixture package: findings must match the ``// want`` markers exactly, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import FIXTURES, expected_markers, mismatches, package_dirs

PACKAGES = package_dirs()


@pytest.mark.parametrize("directory", PACKAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_package(directory: Path) -> None:
    problems = mismatches(directory)
    assert not problems, "\n".join(problems)


def test_fixture_tree_has_positives_and_more_negatives() -> None:
    markers = sum(sum(expected_markers(d).values()) for d in PACKAGES)
    assert markers >= 10, "the fixture tree lost its positive cases"
