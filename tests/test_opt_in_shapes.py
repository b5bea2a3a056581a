"""An opt-in shape of a default rule (``report(…, tier="opt-in")``): kept only when the user
names the rule, as an opt-in rule; suppressions of it are not reported as unused."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import goleaklint.registry
from goleaklint import Rule, hookimpl
from goleaklint.cli import main
from goleaklint.syntax import Node, text
from test_tiers import DOC

pytestmark = pytest.mark.real_tiers  # the rules as shipped: opt-in ones off by default


class PanicShapes(Rule):
    __doc__ = DOC
    id = "XS101"
    name = "panic-shapes"
    family = "test"
    summary = "A call to panic; panics with a string literal are an opt-in shape (for tests)."

    def visit_call_expression(self, node: Node) -> None:
        if text(node.child_by_field_name("function")) != "panic":
            return
        args = node.child_by_field_name("arguments")
        literal = args is not None and args.named_child_count == 1 and (
            args.named_children[0].type == "interpreted_string_literal")
        self.report(node, "panic called", tier="opt-in" if literal else "default")


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [PanicShapes]


SOURCE = """package demo

import "errors"

func Boom() {
	panic(errors.New("boom"))
}

func Literal() {
	panic("literal")
}

func Quiet() {
	panic("quiet") //goleaklint:ignore XS101 the test's suppressed panic
}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    real = goleaklint.registry.load_rules
    monkeypatch.setattr(goleaklint.registry, "load_rules",
                        lambda: real(extra_plugins=(sys.modules[__name__],)))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "demo.go").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def findings(*argv: str) -> list[tuple[str, int, str]]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--format", "json", "--exit-zero", "--jobs", "1", *argv, "demo"], out, err)
    assert code == 0, err.getvalue()
    return [(f["rule"], f["line"], f["tier"]) for f in json.loads(out.getvalue())]


def test_an_opt_in_shape_is_left_out_by_default(project: Path) -> None:
    assert findings("--select", "XS") == [("XS101", 6, "default")]
    assert findings("--select", "ALL") == [("XS101", 6, "default")]


@pytest.mark.parametrize("argv", [("--select", "XS101"), ("--select", "XS1"),
                                  ("--extend-select", "XS101")])
def test_naming_the_rule_brings_its_opt_in_shapes(project: Path, argv: tuple[str, ...]) -> None:
    assert findings(*argv) == [("XS101", 6, "default"), ("XS101", 10, "opt-in")]


def test_a_suppression_of_an_opt_in_shape_is_used_even_when_left_out(project: Path) -> None:
    """GL002 judges the comment by what the rule found, not by what the tier kept."""
    assert ("GL002" not in {rule for rule, _, _ in findings("--select", "XS,GL002")})


def test_sarif_marks_an_opt_in_shape(project: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["--format", "sarif", "--exit-zero", "--select", "XS101", "demo"], out, err) == 0
    results = json.loads(out.getvalue())["runs"][0]["results"]
    assert [r.get("properties", {}).get("tier") for r in results] == [None, "opt-in"]
