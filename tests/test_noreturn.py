"""One answer to "does this call return?": imports and receiver types, never a name alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.discover import Module, SourceFile
from goleaklint.flow import CFG
from goleaklint.model import FileModel, Package
from goleaklint.noreturn import call_ends
from goleaklint.syntax import Node, captures, text

HEADER = """package p

import (
	stdlog "log"
	stdos "os"
	"runtime"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
)

type DBTest struct {
	*testing.T
	db int
}

func (dbt *DBTest) Fatal(args ...any) {}

type Cursor struct{}

func (c *Cursor) Skip(n int)      {}
func (c *Cursor) Fatal(err error) {}

type Suite struct {
	log *zap.Logger
	out *logrus.Logger
}
"""


def _calls(tmp_path: Path, body: str) -> tuple[dict[str, Node], FileModel, Package]:
    path = tmp_path / "p.go"
    source = (HEADER + body).encode()
    path.write_bytes(source)
    fm = FileModel(SourceFile(path, source, True))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm])
    calls = captures("(expression_statement (call_expression) @c)", fm.root).get("c", [])
    return {text(c): c for c in calls}, fm, pkg


CASES = [
    ("stdos.Exit(1)", "process"),
    ("stdlog.Fatalf(\"x\")", "process"),
    ("stdlog.Println(\"x\")", None),
    ("runtime.Goexit()", "goroutine"),
    ("panic(1)", "process"),
    ("t.Fatal(1)", "goroutine"),
    ("t.Skip(1)", "goroutine"),
    ("tb.FailNow()", "goroutine"),
    ("t.Log(1)", None),
    ("c.Skip(1)", None),
    ("c.Fatal(nil)", None),
    ("s.log.Fatal(\"x\")", "process"),
    ("s.log.Info(\"x\")", None),
    ("s.out.Panicf(\"x\")", "process"),
    ("it.Skip(1)", None),
    ("logger.Fatalf(\"x\")", "process"),
    ("dbt.Skip(\"x\")", "goroutine"),
    ("dbt.Fatal(\"x\")", None),
    ("dbt.Log(\"x\")", None),
    ("assert.FailNow(t, \"x\")", "goroutine"),
    ("assert.Fail(t, \"x\")", None),
]


@pytest.mark.parametrize(("call", "ending"), CASES)
def test_calls_that_end_the_process_or_the_goroutine(tmp_path: Path, call: str,
                                                      ending: str | None) -> None:
    body = ("\nfunc f(t *testing.T, tb testing.TB, c *Cursor, s *Suite, it iter, logger lg,\n"
            f"\tdbt *DBTest) {{\n\t{call}\n}}\n")
    calls, fm, pkg = _calls(tmp_path, body)
    assert call_ends(calls[call], fm, pkg) == ending


def test_a_shadowed_panic_returns(tmp_path: Path) -> None:
    calls, fm, pkg = _calls(tmp_path, "\nfunc panic(v any) {}\n\nfunc f() {\n\tpanic(1)\n}\n")
    assert call_ends(calls["panic(1)"], fm, pkg) is None


def test_the_graph_takes_its_answer(tmp_path: Path) -> None:
    _, fm, pkg = _calls(tmp_path, "\nfunc f(c *Cursor) {\n\tc.Skip(1)\n\tstdos.Exit(2)\n}\n")
    function = fm.root.named_children[-1]
    cfg = CFG(function.child_by_field_name("body"), lambda call: call_ends(call, fm, pkg))
    ends = [b for b in cfg.blocks if any(s is cfg.noreturn for s, _ in b.succs)]
    assert [text(b.node) for b in ends] == ["stdos.Exit(2)"]
