"""Precision tiers: an opt-in rule runs only when named (its ID, or a prefix with a digit) in
select / extend-select, as ruff's preview rules; selection follows ruff's conventions."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import goleaklint.registry
from goleaklint import Rule, hookimpl
from goleaklint.cli import main
from goleaklint.registry import load_rules
from goleaklint.selection import enabled, names
from goleaklint.syntax import Node, text

pytestmark = pytest.mark.real_tiers  # the rules as shipped: opt-in ones off by default

DOC = """## What it finds
Calls to `panic`.

## Why it leaks
It does not; this rule exists to test the opt-in tier.

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


class OptInPanic(Rule):
    __doc__ = DOC
    id = "XO101"
    name = "opt-in-panic"
    family = "test"
    summary = "A call to panic (an opt-in rule, for tests)."
    tier = "opt-in"

    def visit_call_expression(self, node: Node) -> None:
        if text(node.child_by_field_name("function")) == "panic":
            self.report(node, "panic called")


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [OptInPanic]


SOURCE = """package demo

func Start(work func()) {
	go func() {
		for {
			work()
		}
	}()
}

func Boom() {
	panic("boom")
}

func Quiet() {
	panic("quiet") //goleaklint:ignore XO101 the test's suppressed panic
}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package with a GL304 leak and two panics (one suppressed), the opt-in rule installed."""
    real = goleaklint.registry.load_rules
    monkeypatch.setattr(goleaklint.registry, "load_rules",
                        lambda: real(extra_plugins=(sys.modules[__name__],)))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "demo.go").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def rules_found(*argv: str) -> set[str]:
    code, out, err = run("--format", "json", "--exit-zero", "--jobs", "1", *argv, "demo")
    assert code == 0, err
    return {f["rule"] for f in json.loads(out)}


# selection, the pure function --------------------------------------------------------------------

@pytest.mark.parametrize(("selector", "named"), [
    ("GL101", True), ("GL10", True), ("GL1", True), ("GL", False), ("G", False),
    ("ALL", False), ("GL2", False), ("GL1011", False),
])
def test_a_selector_names_a_rule_by_its_id_or_a_prefix_with_a_digit(selector: str,
                                                                    named: bool) -> None:
    assert names(selector, "GL101") is named


@pytest.mark.parametrize(("select", "extend", "ignore", "default", "opt_in"), [
    ([], [], [], True, False),                      # the default: every default-tier rule
    (["ALL"], [], [], True, False),                 # ALL: the same, opt-in rules not named
    (["GL"], [], [], True, False),
    (["GL1"], [], [], True, True),
    (["GL10"], [], [], True, True),
    (["GL101"], [], [], True, True),
    (["GL2"], [], [], False, False),
    ([], ["GL101"], [], True, True),                # extend-select adds to "every rule"
    (["GL2"], ["GL1"], [], True, True),             # ... and to a select
    ([], ["ALL"], [], True, False),
    (["GL101"], [], ["GL1"], True, True),           # the most specific selector wins
    (["GL1"], [], ["GL101"], False, False),
    (["GL1"], [], ["GL1"], True, True),             # a tie goes to select (as before)
    ([], [], ["ALL"], False, False),                # ignore ALL beats the implicit default
    (["GL101"], [], ["ALL"], True, True),
    (["ALL"], [], ["GL"], False, False),
])
def test_enabled_follows_specificity_and_tier(select: list[str], extend: list[str],
                                              ignore: list[str], default: bool,
                                              opt_in: bool) -> None:
    assert enabled("GL101", False, select, extend, ignore) is default
    assert enabled("GL101", True, select, extend, ignore) is opt_in


# the opt-in plugin rule, end to end --------------------------------------------------------------

def test_an_opt_in_rule_is_off_by_default_and_by_all(project: Path) -> None:
    assert rules_found() == {"GL304"}
    assert rules_found("--select", "ALL") == {"GL304"}
    assert rules_found("--select", "XO") == set()  # the plugin's whole namespace: not named
    assert rules_found("--extend-select", "ALL") == {"GL304"}


@pytest.mark.parametrize("argv", [
    ("--select", "XO101"), ("--select", "XO1"), ("--select", "xo10"),
    ("--select", "XO101,GL304"),
])
def test_an_opt_in_rule_runs_when_selected_by_code_or_prefix(project: Path,
                                                             argv: tuple[str, ...]) -> None:
    expected = {"XO101", "GL304"} if "GL304" in argv[1] else {"XO101"}
    assert rules_found(*argv) == expected


def test_extend_select_adds_an_opt_in_rule_to_the_default(project: Path) -> None:
    assert rules_found("--extend-select", "XO101") == {"GL304", "XO101"}
    assert rules_found("--extend-select", "XO1", "--ignore", "XO101") == {"GL304"}
    assert rules_found("--select", "XO101", "--ignore", "XO1") == {"XO101"}


def test_config_extend_select_and_select_name_opt_in_rules(project: Path) -> None:
    config = project / ".goleaklint.toml"
    config.write_text('extend-select = ["XO1"]\n', encoding="utf-8")
    assert rules_found() == {"GL304", "XO101"}
    # As ruff: the command line's --select is the whole selection (config extend-select too).
    assert rules_found("--select", "GL304") == {"GL304"}
    config.write_text('select = ["XO101"]\n', encoding="utf-8")
    assert rules_found() == {"XO101"}
    config.write_text('select = ["ALL"]\n', encoding="utf-8")
    assert rules_found() == {"GL304"}
    code, out, _ = run("config")
    assert code == 0
    shown = json.loads(out)
    assert shown["select"] == ["ALL"] and shown["extend-select"] == []
    assert "XO101" not in shown["enabled-rules"] and "GL304" in shown["enabled-rules"]
    config.write_text('extend-select = ["xo101"]\n', encoding="utf-8")
    shown = json.loads(run("config")[1])
    assert shown["extend-select"] == ["XO101"] and "XO101" in shown["enabled-rules"]


def test_extend_select_that_matches_no_rule_is_a_usage_error(project: Path) -> None:
    assert run("--extend-select", "ZZ9", "demo") == (
        2, "", "goleaklint: error: --extend-select: 'ZZ9' matches no rule "
        "(see 'goleaklint rules')\n")
    (project / ".goleaklint.toml").write_text('extend-select = ["ZZ9"]\n', encoding="utf-8")
    code, out, err = run("demo")
    assert (code, out) == (2, "")
    assert err == (f"goleaklint: error: {project / '.goleaklint.toml'}:1: extend-select: "
                   "'ZZ9' matches no rule\n")


def test_a_suppression_for_an_opt_in_rule_that_is_off_is_not_unused(project: Path) -> None:
    """GL002 judges a code only when its rule ran: an opt-in rule left off is deselected."""
    code, out, err = run("--format", "json", "--exit-zero", "--jobs", "1", "demo")
    assert code == 0
    assert [f["rule"] for f in json.loads(out)] == ["GL304"], err
    # Enabled, the suppression is used; moved to a line with no panic, GL002 reports it.
    assert rules_found("--extend-select", "XO101") == {"GL304", "XO101"}
    (project / "demo" / "demo.go").write_text(
        SOURCE.replace('panic("quiet") //goleaklint:ignore XO101',
                       'println("quiet") //goleaklint:ignore XO101'), encoding="utf-8")
    assert rules_found() == {"GL304"}
    assert rules_found("--extend-select", "XO101") == {"GL304", "XO101", "GL002"}


def test_rules_explain_and_sarif_mark_the_opt_in_rule(project: Path) -> None:
    code, out, _ = run("rules")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert rows["XO101"][3] == "opt-in"
    assert rows["GL304"][3] == "default"
    code, out, _ = run("explain", "XO101")
    assert code == 0
    assert "Tier: opt-in" in out
    assert "`--extend-select XO101`" in out and 'extend-select = [\\"XO101\\"]' not in out
    assert 'extend-select = ["XO101"]' in out and "`XO1`" in out
    assert "Tier: default" in run("explain", "GL304")[1]
    assert "Opt-in: off by default" not in run("explain", "GL304")[1]
    code, out, _ = run("--format", "sarif", "--exit-zero", "--jobs", "1",
                       "--extend-select", "XO101", "demo")
    driver = json.loads(out)["runs"][0]["tool"]["driver"]
    tiers = {r["id"]: r["properties"]["tier"] for r in driver["rules"]}
    assert tiers["XO101"] == "opt-in" and tiers["GL304"] == "default"
    # Left off, the rule is not in the run's rules (SARIF lists what ran).
    driver = json.loads(run("--format", "sarif", "--exit-zero", "--jobs", "1", "demo")[1])[
        "runs"][0]["tool"]["driver"]
    assert "XO101" not in {r["id"] for r in driver["rules"]}


def test_an_unknown_tier_is_rejected_at_load() -> None:
    bad = type("BadTier", (OptInPanic,), {"id": "XO102", "name": "bad-tier", "tier": "preview"})
    plugin = type("TierPlugin", (), {
        "goleaklint_rules": staticmethod(hookimpl(lambda: [bad]))})
    registry = load_rules(extra_plugins=(plugin,))
    assert bad not in registry.rules
    assert any("tier 'preview' is not one of default, opt-in" in w for w in registry.warnings)


def test_the_builtin_tiers_follow_the_measured_precision() -> None:
    """A built-in rule is on by default only when its judged sample reaches the bar (0.8; 0.9
    for GL201-GL203), or when it reported nothing to judge over the corpora; below the bar it
    is opt-in (DESIGN: precision tiers)."""
    from goleaklint import measured_precision
    from goleaklint.precision import measured

    for rule in load_rules().rules:
        if rule.family == "meta" or not rule.__module__.startswith("goleaklint."):
            continue
        m = measured(rule)
        bar = 0.9 if rule.id in ("GL201", "GL202", "GL203") else 0.8
        if m is None:
            assert rule.id in measured_precision.NO_FINDINGS and rule.tier == "default", rule.id
        else:
            assert (rule.tier == "default") is (m.fraction >= bar), (rule.id, m.fraction)
