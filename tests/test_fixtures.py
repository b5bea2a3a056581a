"""Every fixture package: findings must match the ``// want`` markers exactly, both ways."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness import FIXTURES, expected_markers, mismatches, package_dirs
from naive_rules import RULES, package_sites

PACKAGES = package_dirs()


@pytest.mark.parametrize("directory", PACKAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_package(directory: Path) -> None:
    problems = mismatches(directory)
    assert not problems, "\n".join(problems)


def test_every_rule_has_at_least_as_many_negatives_as_positives() -> None:
    """Per rule: the lines its naive version flags without a ``// want`` of the rule (code the
    real rule must stay silent on) are at least as many as its markers, and the naive version
    finds nine in ten of the markers on their line (else it would not measure the same thing)."""
    positives: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    on_markers: Counter[str] = Counter()
    for directory in PACKAGES:
        markers = expected_markers(directory)
        for (_, _, rule), count in markers.items():
            positives[rule] += count
        for path, found in package_sites(directory).items():
            for rule, lines in found.items():
                flagged[rule] += len(lines)
                on_markers[rule] += sum(1 for n in lines if markers[(path.name, n, rule)])
    table = "\n".join(f"{r}: {positives[r]} positives, {flagged[r] - on_markers[r]} negatives, "
                      f"{on_markers[r]} markers found by the naive rule" for r in RULES)
    for rule in RULES:
        assert positives[rule] >= 5, f"{rule} lost its positive cases\n{table}"
        assert on_markers[rule] * 10 >= positives[rule] * 9, f"{rule}: naive rule off\n{table}"
        assert flagged[rule] - on_markers[rule] >= positives[rule], table


def test_the_harness_fails_on_any_notice(tmp_path: Path) -> None:
    """A fixture that does not parse, or that a rule or the engine chokes on, is a broken
    fixture even when its markers happen to match: the harness names the notice."""
    package = tmp_path / "broken"
    package.mkdir()
    (package / "broken.go").write_text("package broken\n\nfunc f() {\n\tif {\n}\n")
    problems = mismatches(package)
    assert any("parse-error" in p for p in problems), problems
