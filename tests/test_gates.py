"""Gates are promises: every rule, with gates off, finds exactly what it finds with them on."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

import goleaklint.engine
from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.registry import load_rules
from goleaklint.rule import Gate
from harness import FIXTURES

GOROOT_SRC = Path("/usr/lib/go/src")


def _findings(paths: list[str], gates: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    monkeypatch.setattr(goleaklint.engine, "GATES", gates)
    found = discover(paths)
    result = analyze(found.packages, load_rules().rules, Config(), jobs=1)
    assert not [n for n in result.notices if n.kind in ("rule-error", "internal-error")]
    return [(str(f.location.path), f.location.line, f.rule_id, f.message)
            for f in result.findings]


def test_gates_off_change_nothing_on_the_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    with_gates = _findings([str(FIXTURES)], True, monkeypatch)
    assert with_gates
    assert _findings([str(FIXTURES)], False, monkeypatch) == with_gates


def _goroot_sample() -> list[str]:
    src = Path(os.environ.get("GOROOT_SRC", GOROOT_SRC)).resolve()
    folders = sorted({p.parent for p in src.rglob("*.go") if "testdata" not in p.parts})
    return [str(p) for p in random.Random(7).sample(folders, min(40, len(folders)))]


@pytest.mark.skipif(not GOROOT_SRC.is_dir(), reason="Go's sources are not installed")
def test_gates_off_change_nothing_on_a_sample_of_the_standard_library(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sample = _goroot_sample()
    assert _findings(sample, False, monkeypatch) == _findings(sample, True, monkeypatch)


def test_a_gate_admits_files_by_mention_or_import(tmp_path: Path) -> None:
    from goleaklint.discover import SourceFile
    from goleaklint.model import FileModel

    path = tmp_path / "p.go"
    source = b'package p\n\nimport "time"\n\nfunc f() { defer g() }\n'
    path.write_bytes(source)
    f = FileModel(SourceFile(path, source, True))
    assert Gate().admits(f)
    assert Gate(mentions=(b"defer",)).admits(f)
    assert Gate(imports=("time",)).admits(f)
    assert not Gate(mentions=(b"append",), imports=("context",)).admits(f)
