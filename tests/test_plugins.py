"""Plugins: a real third-party rule through an entry point, validation at load, isolation at run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import goleaklint.registry
from goleaklint import Rule, hookimpl
from goleaklint.cli import main
from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.plugins import AUTOLOAD_SWITCH
from goleaklint.registry import load_rules
from goleaklint.syntax import Node, text

DOC = """## What it finds
Calls to `panic`.

## Why it leaks
It does not; this rule exists to test the plugin machinery.

## Example
```go
package demo

func f() { panic("boom") }
```

## Use instead
```go
package demo

func f() error { return nil }
```

## Known limits
None worth a test.

## Peers
None.
"""

DEMO_PLUGIN = '''
"""A third-party goleaklint plugin, as a user would write it."""

from goleaklint import Rule, hookimpl
from goleaklint.syntax import text


class NoPanic(Rule):
    __doc__ = {doc!r}

    id = "XD101"
    name = "no-panic"
    family = "demo"
    summary = "A call to panic."

    def visit_call_expression(self, node):
        if text(node.child_by_field_name("function")) == "panic":
            self.report(node, "panic called")


@hookimpl
def goleaklint_rules():
    return [NoPanic]
'''

LEAKY_GO = """package leaky

var cache = map[string]int{}

func Add(k string) {
	cache[k] = 1
}

func Fail() {
	panic("boom")
}
"""


def install_distribution(site: Path, name: str, entry_points: str, modules: dict[str, str]) -> None:
    """A minimal installed distribution: importable modules plus a ``.dist-info`` folder."""
    for relative, source in modules.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def run_goleaklint(site: Path, cwd: Path, *argv: str, autoload: bool = True):
    env = {k: v for k, v in os.environ.items() if k != AUTOLOAD_SWITCH}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    if not autoload:
        env[AUTOLOAD_SWITCH] = "1"
    return subprocess.run(
        [sys.executable, "-m", "goleaklint", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def go_package(tmp_path: Path) -> Path:
    package = tmp_path / "work" / "leaky"
    package.mkdir(parents=True)
    (package / "leaky.go").write_text(LEAKY_GO, encoding="utf-8")
    return package


@pytest.fixture
def demo_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    install_distribution(
        site, "goleak_demo", "[goleaklint.rules]\ndemo = goleak_demo\n",
        {"goleak_demo/__init__.py": DEMO_PLUGIN.replace("{doc!r}", repr(DOC))},
    )
    return site


# (a) a real plugin through an entry point -----------------------------------------------------

def test_entry_point_plugin_runs(demo_site: Path, go_package: Path) -> None:
    proc = run_goleaklint(demo_site, go_package.parent, "--extend-select", "GL101", "leaky")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert "leaky/leaky.go:10:2: XD101 no-panic: panic called" in lines
    assert any(line.startswith("leaky/leaky.go:6:2: GL101 ") for line in lines)
    assert "warning" not in proc.stderr


def test_entry_point_plugin_is_listed(demo_site: Path, go_package: Path) -> None:
    proc = run_goleaklint(demo_site, go_package.parent, "rules")
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines()]
    assert "XD101" in ids and "GL101" in ids
    explained = run_goleaklint(demo_site, go_package.parent, "explain", "xd101")
    assert explained.returncode == 0
    assert explained.stdout.startswith("# XD101 no-panic\n")


def test_autoload_switch_keeps_only_builtin_rules(demo_site: Path, go_package: Path) -> None:
    proc = run_goleaklint(demo_site, go_package.parent, "--extend-select", "GL101", "leaky",
                          autoload=False)
    assert proc.returncode == 1, proc.stderr
    assert "XD101" not in proc.stdout
    assert " GL101 unbounded-global-map: " in proc.stdout
    listed = run_goleaklint(demo_site, go_package.parent, "rules", autoload=False)
    assert "XD101" not in listed.stdout and "GL101" in listed.stdout


# (b) validation at load time --------------------------------------------------------------------

def make_rule(rule_id: str = "XT101", name: str = "test-rule", doc: str = DOC, **attrs):
    namespace = {"__doc__": doc, "id": rule_id, "name": name, "family": "test",
                 "summary": "A rule for tests.", **attrs}
    return type(name.title().replace("-", ""), (Rule,), namespace)


def plugin_providing(plugin_name: str, *rules):
    """A plugin object, named like a class so warnings can name it."""
    return type(plugin_name, (), {
        "goleaklint_rules": staticmethod(hookimpl(lambda: list(rules))),
    })


def _visit_no_such_node(self, node):
    return None


BAD_RULES = {
    "malformed-id": (make_rule("X1", "bad-id"), "ID 'X1' is not"),
    "duplicate-id": (make_rule("GL101", "another-map-rule"), "already registered"),
    "duplicate-name": (make_rule("XT102", "unbounded-global-map"), "already registered"),
    "bad-visit": (make_rule("XT103", "bad-visit", visit_no_such_node=_visit_no_such_node),
                  "'no_such_node' is not a tree-sitter-go node type"),
    "missing-section": (make_rule("XT104", "no-peers", doc=DOC.split("## Peers")[0]),
                        "lacks section(s): Peers"),
    "code-less-example": (make_rule("XT105", "no-code",
                                    doc=DOC.replace("```go", "```text", 1)),
                          "Example (a ```go block)"),
    "bad-level": (make_rule("XT106", "bad-level", level="fatal"), "level 'fatal'"),
    "not-a-rule": (object, "is not a subclass of goleaklint.Rule"),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_invalid_rule_is_rejected_with_a_warning(case: str) -> None:
    rule, reason = BAD_RULES[case]
    registry = load_rules(extra_plugins=(plugin_providing("BadPlugin", rule),))
    assert rule not in registry.rules
    mine = [w for w in registry.warnings if "'BadPlugin'" in w]
    assert mine and any(reason in w for w in mine), registry.warnings
    assert all("\n" not in w for w in registry.warnings)
    gl101 = registry.get("GL101")
    assert gl101 is not None and gl101.__module__ == "goleaklint.checks.gl101_unbounded_global_map"


def test_valid_plugin_rule_loads_beside_builtins() -> None:
    good = make_rule("XT201", "good-rule")
    registry = load_rules(extra_plugins=(plugin_providing("GoodPlugin", good),))
    assert registry.warnings == []
    assert registry.get("xt201") is good
    assert [r.id for r in registry.rules] == sorted(r.id for r in registry.rules)


def test_bad_hook_signature_is_a_warning_not_a_crash() -> None:
    plugin = type("WrongArgs", (), {
        "goleaklint_rules": staticmethod(hookimpl(lambda unknown: [])),
    })
    registry = load_rules(extra_plugins=(plugin,))
    assert any("'WrongArgs'" in w and "unknown" in w for w in registry.warnings)
    assert registry.get("GL101") is not None


# (c) plugins that fail while loading -------------------------------------------------------------

def test_plugin_whose_hook_raises_is_skipped() -> None:
    def explode():
        raise RuntimeError("cannot build my rules")

    plugin = type("ExplodingPlugin", (), {"goleaklint_rules": staticmethod(hookimpl(explode))})
    good = plugin_providing("GoodPlugin", make_rule("XT301", "still-here"))
    registry = load_rules(extra_plugins=(plugin, good))
    assert any("'ExplodingPlugin'" in w and "cannot build my rules" in w
               for w in registry.warnings)
    assert registry.get("XT301") is not None and registry.get("GL101") is not None


def test_entry_point_that_fails_to_import(tmp_path: Path, go_package: Path) -> None:
    site = tmp_path / "site"
    install_distribution(
        site, "goleak_broken", "[goleaklint.rules]\nbroken = goleak_broken.rules\n",
        {"goleak_broken/__init__.py": "", "goleak_broken/rules.py": "import no_such_module\n"},
    )
    proc = run_goleaklint(site, go_package.parent, "--extend-select", "GL101", "leaky")
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "plugin 'broken'" in warnings[0] and "no_such_module" in warnings[0]
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert " GL101 unbounded-global-map: " in proc.stdout


# (d) isolation at run time ---------------------------------------------------------------------

class Explodes(Rule):
    __doc__ = DOC
    id = "XT401"
    name = "explodes"
    family = "test"
    summary = "Raises on zz_boom.go."

    def visit_call_expression(self, node: Node) -> None:
        assert self.file is not None
        if self.file.path.name == "zz_boom.go":
            raise ValueError("rule bug")
        if text(node.child_by_field_name("function")) == "panic":
            self.report(node, "panic called")


@hookimpl
def goleaklint_rules():
    return [Explodes]


@pytest.fixture
def two_files(go_package: Path) -> Path:
    """leaky.go, then zz_boom.go (files are walked in name order): what the faulty rule found
    before it raised is kept (that it goes on with the files after the one it raised on is
    tested in test_robustness.py)."""
    (go_package / "zz_boom.go").write_text(
        'package leaky\n\nfunc Boom() {\n\tprintln("x")\n}\n', encoding="utf-8"
    )
    return go_package


def test_rule_error_is_isolated_in_the_engine(two_files: Path) -> None:
    registry = load_rules(extra_plugins=(sys.modules[__name__],))
    assert registry.get("XT401") is Explodes
    found = discover([str(two_files)])
    result = analyze(found.packages, registry.rules, Config())
    errors = [n for n in result.notices if n.kind == "rule-error"]
    assert len(errors) == 1
    assert errors[0].path.name == "zz_boom.go"
    assert "XT401 explodes raised ValueError: rule bug" in errors[0].message
    assert "Traceback" in errors[0].detail
    assert {f.rule_id for f in result.findings} == {"GL101", "XT401"}


def test_rule_error_is_isolated_on_the_command_line(
    two_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = goleaklint.registry.load_rules
    monkeypatch.setattr(goleaklint.registry, "load_rules",
                        lambda: real(extra_plugins=(sys.modules[__name__],)))
    monkeypatch.chdir(two_files.parent)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--jobs", "1", "leaky"], out, err)
    assert code == 1
    assert "leaky/leaky.go:6:2: GL101 unbounded-global-map: " in out.getvalue()
    notices = [line for line in err.getvalue().splitlines() if "rule-error" in line]
    assert len(notices) == 1
    assert notices[0].startswith("leaky/zz_boom.go: warning: rule-error: XT401 explodes raised")
    assert "Traceback" not in err.getvalue()
    debug_err = io.StringIO()
    main(["--jobs", "1", "--debug", "leaky"], io.StringIO(), debug_err)
    assert "Traceback" in debug_err.getvalue()

