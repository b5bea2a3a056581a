"""What the strict type check (mypy, run by .ci/run) leans on: ``Rule.walked`` for the file being
walked, and ``# type: ignore`` only where a comment says why the type system cannot say it."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import goleaklint
from goleaklint import Rule
from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.registry import load_rules
from goleaklint.syntax import Node
from test_plugins import DOC, plugin_providing

PACKAGE = Path(goleaklint.__file__).resolve().parent
IGNORE = re.compile(r"#\s*type:\s*ignore\b(\[[a-z-]+(, *[a-z-]+)*\])?(.*)")


def _ignores_without_a_reason(source: str) -> list[str]:
    """The ``type: ignore`` comments of ``source`` that name no error code, or that have no
    reason: a comment after it on its line, or a comment line just above."""
    lines = source.splitlines()
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT or not (m := IGNORE.search(tok.string)):
            continue
        row = tok.start[0]
        above = lines[row - 2].strip() if row >= 2 else ""
        reason = m.group(3).strip().lstrip("#").strip() or (
            above.startswith("#") and "type: ignore" not in above)
        if m.group(1) is None or not reason:
            found.append(f"{row}: {lines[row - 1].strip()}")
    return found


def test_the_ignore_scan_tells_a_reasoned_ignore_from_a_bare_one() -> None:
    reasoned = ("x = f()  # type: ignore[attr-defined]  # the stub lacks it\n"
                "# the stub lacks it\ny = g()  # type: ignore[arg-type]\n")
    assert _ignores_without_a_reason(reasoned) == []
    bare = "x = f()  # type: ignore\ny = g()  # type: ignore[arg-type]\n"
    assert _ignores_without_a_reason(bare) == [
        "1: x = f()  # type: ignore", "2: y = g()  # type: ignore[arg-type]"]


def test_every_type_ignore_names_its_error_code_and_says_why() -> None:
    unexplained = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := _ignores_without_a_reason(path.read_text(encoding="utf-8")))
    }
    assert unexplained == {}


def test_walked_is_the_file_being_walked_and_an_error_outside_a_walk(tmp_path: Path) -> None:
    seen: list[object] = []

    class Walker(Rule):
        __doc__ = DOC
        id = "XT901"
        name = "walked-file"
        family = "test"
        summary = "A rule that reads the file being walked."

        def visit_call_expression(self, node: Node) -> None:
            seen.append(self.walked is self.file and self.walked.path.name)

        def finish(self) -> None:
            try:
                seen.append(self.walked)
            except RuntimeError as exc:
                seen.append(str(exc))

    registry = load_rules(extra_plugins=(plugin_providing("WalkedPlugin", Walker),))
    assert registry.warnings == []
    (tmp_path / "demo.go").write_text('package demo\n\nfunc f() { panic("boom") }\n')
    result = analyze(discover([str(tmp_path)]).packages, [registry.get("XT901")], Config())
    assert result.notices == []
    assert seen == ["demo.go", "rule XT901: no file is being walked"]
