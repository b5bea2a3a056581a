"""Code that never runs: past an unconditional skip (or return, or endless loop), never past a
skip under a condition or a method of the package that only looks like one."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.deadcode import never_runs
from goleaklint.discover import Module, SourceFile
from goleaklint.flow import FlowCache, flows
from goleaklint.model import FileModel, Package, function_name
from goleaklint.syntax import captures

HEADER = """package p

import (
	"os"
	"testing"
)

type Cursor struct{}

func (c *Cursor) Skip(n int) {}

func work() {}

"""


def _go_runs(tmp_path: Path, body: str) -> bool:
    """Whether the one ``go`` statement of ``body`` (a test's body) can run."""
    path = tmp_path / "p_test.go"
    source = (HEADER + "func TestX(t *testing.T) {\n" + body + "\n}\n").encode()
    path.write_bytes(source)
    fm = FileModel(SourceFile(path, source, True))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm])
    (statement,) = captures("(go_statement) @g", fm.root)["g"]
    return not never_runs(FlowCache(pkg), fm, statement)


@pytest.mark.parametrize(("body", "runs"), [
    ('t.Skip("broken")\ngo work()', False),
    ('t.Skipf("issue %d", 1)\ngo work()', False),
    ("t.SkipNow()\ngo work()", False),
    ('t.Fatal("no")\ngo work()', False),
    ("os.Exit(0)\ngo work()", False),
    ("return\ngo work()", False),
    ("for {\n}\ngo work()", False),
    ('t.SkipNow()\nt.Run("a", func(t *testing.T) {\n\tgo work()\n})', False),
    ('t.Skip()\nf := func() {\n\tfunc() {\n\t\tgo work()\n\t}()\n}\nf()', False),
    ('if testing.Short() {\n\treturn\n} else {\n\tt.Skip()\n}\ngo work()', False),
    ("switch {\ndefault:\n\tt.SkipNow()\n}\ngo work()", False),
    ("select {}\ngo work()", False),
    ("for {\n\tcontinue\n\tgo work()\n}", False),
    # Look-alikes that run.
    ("for {\n\tbreak\n}\ngo work()", True),
    ("switch {\ncase testing.Short():\n\tt.SkipNow()\n}\ngo work()", True),
    ("for i := 0; i < 3; i++ {\n}\ngo work()", True),
    ('if testing.Short() {\n\tt.Skip("slow")\n}\ngo work()', True),
    ('if os.Getenv("CI") != "" {\n\tt.SkipNow()\n} else {\n\twork()\n}\ngo work()', True),
    ('t.Run("a", func(t *testing.T) {\n\tt.Skip()\n})\ngo work()', True),
    ("c := &Cursor{}\nc.Skip(1)\ngo work()", True),
    ('go work()\nt.Skip("after the start")', True),
    ('for i := 0; i < 3; i++ {\n\tif i == 1 {\n\t\tt.Skip()\n\t}\n\tgo work()\n}', True),
    ('goto start\nt.Skip()\nstart:\n\tgo work()', True),
    ("defer func() {\n\tgo work()\n}()\nt.SkipNow()", True),
])
def test_code_past_an_unconditional_skip_never_runs(tmp_path: Path, body: str,
                                                     runs: bool) -> None:
    assert _go_runs(tmp_path, body) is runs


def test_a_test_helper_only_skipped_tests_call_never_runs(tmp_path: Path) -> None:
    """A helper of the tests whose every call is past a skip (or in another such helper)
    never runs; one a live test also calls, or passes as a value, does."""
    source = HEADER + """
func serve() {
	go work()
}

func serveTwice() {
	serve()
	serve()
}

func serveLive() {
	go work()
}

func serveValue() {
	go work()
}

func TestSkipped(t *testing.T) {
	t.Skip("flaky")
	serveTwice()
	serveLive()
}

func TestLive(t *testing.T) {
	serveLive()
	t.Cleanup(serveValue)
}

func TestSkippedValue(t *testing.T) {
	t.SkipNow()
	serveValue()
}
"""
    path = tmp_path / "p_test.go"
    path.write_bytes(source.encode())
    fm = FileModel(SourceFile(path, source.encode(), True))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm])
    cache = pkg.facts.get(flows)
    runs = {function_name(fm.top_level_function(g)): not never_runs(cache, fm, g)
            for g in captures("(go_statement) @g", fm.root)["g"]}
    assert runs == {"serve": False, "serveLive": True, "serveValue": True}
