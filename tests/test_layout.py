"""The house of the rules: one module per rule, registered like a third-party plugin, importing no
other rule; what rules share lives in shared modules, a fix builder beside its rule."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import goleaklint.fixes
from goleaklint import Rule
from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.entrypoints import entry_points
from goleaklint.registry import load_rules
from goleaklint.syntax import Node, text
from test_plugins import DOC, plugin_providing

CHECKS = Path(goleaklint.fixes.__file__).resolve().parent / "checks"


def builtin_rules() -> list[type[Rule]]:
    return [r for r in load_rules().rules if r.__module__.startswith("goleaklint.")]


def module_of(rule: type[Rule]) -> str:
    return f"goleaklint.checks.{rule.id.lower()}_{rule.name.replace('-', '_')}"


def test_each_builtin_rule_has_a_module_named_by_its_id_and_name() -> None:
    rules = builtin_rules()
    assert len(rules) >= 15
    for rule in rules:
        assert rule.__module__ == module_of(rule)
        assert importlib.import_module(rule.__module__).goleaklint_rules() == [rule]


def test_each_rule_module_is_an_entry_point_of_its_own() -> None:
    """Built-in rules come in through the door third-party plugins use, one module each."""
    registered = {(e.name, e.value) for e in entry_points("goleaklint.rules")}
    expected = {(r.id.lower(), module_of(r)) for r in builtin_rules()}
    assert registered == expected
    on_disk = {f"goleaklint.checks.{p.stem}" for p in CHECKS.glob("*.py") if p.stem != "__init__"}
    assert on_disk == {value for _, value in expected}


def imported_modules(path: Path) -> set[str]:
    """The absolute names of the goleaklint modules a module of ``checks/`` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ["goleaklint", "checks"][: max(0, 3 - node.level)] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)  # from . import x
    return {m for m in found if m.startswith("goleaklint")}


def test_no_rule_module_imports_another() -> None:
    modules = sorted(p for p in CHECKS.glob("*.py") if p.stem != "__init__")
    assert modules
    for path in modules:
        rules = {m for m in imported_modules(path) if m.startswith("goleaklint.checks")}
        assert not rules, f"{path.name} imports {sorted(rules)}"


def test_the_fix_machinery_holds_no_rule_specific_builder() -> None:
    from goleaklint.checks.gl201_unclosed_resource import defer_close
    from goleaklint.checks.gl202_lost_cancel import defer_cancel

    assert callable(defer_close) and callable(defer_cancel)
    assert not [name for name in vars(goleaklint.fixes) if name.startswith("defer_")]


def test_a_plugin_builds_its_fix_from_the_rule_contract(tmp_path: Path) -> None:
    from goleaklint.rule import Edit, Fix

    class NoPanic(Rule):
        __doc__ = DOC
        id = "XF101"
        name = "no-panic-fix"
        family = "test"
        summary = "A rule whose fix replaces panic with println."

        def visit_call_expression(self, node: Node) -> None:
            fn = node.child_by_field_name("function")
            if fn is None or text(fn) != "panic":
                return
            assert self.file is not None
            at = (fn.start_byte, fn.end_byte)
            change = Edit(*at, "println", self.file.position(at[0]), self.file.position(at[1]))
            self.report(node, "panic", fix=Fix("println instead", (change,), at))

    registry = load_rules(extra_plugins=(plugin_providing("FixPlugin", NoPanic),))
    assert registry.warnings == []
    source = b'package demo\n\nfunc f() { panic("boom") }\n'
    (tmp_path / "demo.go").write_bytes(source)
    result = analyze(discover([str(tmp_path)]).packages, [registry.get("XF101")], Config())
    (finding,) = result.findings
    assert finding.fix is not None
    fixed, applied = goleaklint.fixes.apply(source, [finding.fix])
    assert applied == [finding.fix]
    assert fixed == b'package demo\n\nfunc f() { println("boom") }\n'
