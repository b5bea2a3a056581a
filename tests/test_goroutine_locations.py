"""Goroutine rules on a goroutine whose function is in another file of the package: each
finding is placed in the file that holds the code it points at (issue 13, item 13)."""

from __future__ import annotations

from harness import FIXTURES, run

SPLIT = FIXTURES / "GL303" / "splitfiles"


def test_gl303_reports_the_loop_in_the_file_of_the_method() -> None:
    [finding] = [f for f in run(SPLIT, ["GL303"]).findings]
    assert finding.location.path.name == "loops.go"
    lines = (SPLIT / "loops.go").read_text(encoding="utf-8").splitlines()
    assert "<-ix.refresh" in lines[finding.location.line - 1]
    [started] = finding.related
    assert started.location.path.name == "indexer.go"
    assert "go ix.refreshLoop()" in (SPLIT / "indexer.go").read_text(
        encoding="utf-8").splitlines()[started.location.line - 1]


def test_gl304_names_the_file_of_a_loop_in_another_file() -> None:
    [finding] = [f for f in run(SPLIT, ["GL304"]).findings]
    assert finding.location.path.name == "indexer.go"
    lines = (SPLIT / "loops.go").read_text(encoding="utf-8").splitlines()
    loop_line = next(n for n, line in enumerate(lines, 1) if line.strip() == "for {")
    assert f"its `for` loop at loops.go:{loop_line} " in finding.message
    [loop] = finding.related
    assert (loop.location.path.name, loop.location.line) == ("loops.go", loop_line)
