"""Facts: computed once per package, shared, declared; cycles rejected when rules load."""

from __future__ import annotations

from pathlib import Path

import pytest

import goleaklint.facts
from goleaklint.discover import Module
from goleaklint.facts import Fact, FactError, check_requirements, package_fact
from goleaklint.model import Package
from goleaklint.registry import load_rules
from goleaklint.rule import Rule, RuleContext
from test_plugins import make_rule, plugin_providing

calls: list[str] = []


@package_fact()
def base(pkg: Package) -> int:
    """A fact with no requirement."""
    calls.append("base")
    return 41


@package_fact(requires=(base,))
def derived(pkg: Package) -> int:
    """A fact that reads one it declares."""
    return pkg.facts.get(base) + 1


@package_fact()
def sneaky(pkg: Package) -> int:
    """A fact that reads one it does not declare."""
    return pkg.facts.get(base)


def _package(tmp_path: Path) -> Package:
    return Package(tmp_path, "p", Module(None, None, None), [])


def test_a_fact_is_computed_once_per_package(tmp_path: Path) -> None:
    calls.clear()
    one, two = _package(tmp_path), _package(tmp_path)
    assert one.facts.get(derived) == 42
    assert one.facts.get(base) == 41 and one.facts.get(derived) == 42
    assert calls == ["base"]
    two.facts.get(base)
    assert calls == ["base", "base"]


def test_a_fact_carries_its_name_and_doc() -> None:
    assert (derived.name, derived.requires, derived.doc) == (
        "derived", (base,), "A fact that reads one it declares.")


def test_an_undeclared_read_is_an_error_when_strict(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(goleaklint.facts, "STRICT", True)
    with pytest.raises(FactError, match="sneaky reads base without requiring it"):
        _package(tmp_path).facts.get(sneaky)
    monkeypatch.setattr(goleaklint.facts, "STRICT", False)
    assert _package(tmp_path).facts.get(sneaky) == 41


def test_a_rule_reads_only_what_it_requires(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(goleaklint.rule, "STRICT", True)
    rule = make_rule("XT301", "fact-reader", requires=(derived,))(
        RuleContext(_package(tmp_path), {}))
    assert rule.fact(derived) == 42
    with pytest.raises(FactError, match="XT301 reads fact base without requiring it"):
        rule.fact(base)


def test_facts_that_require_each_other_are_a_cycle() -> None:
    a: Fact[int] = Fact("a", lambda pkg: 1)
    b: Fact[int] = Fact("b", lambda pkg: 2, requires=(a,))
    object.__setattr__(a, "requires", (b,))
    with pytest.raises(FactError, match="b -> a -> b"):
        check_requirements([b, a])
    check_requirements([derived, base])


@pytest.mark.parametrize("requires", [("flows",), [base], (base, object())])
def test_a_rule_with_bad_requirements_is_rejected(requires: object) -> None:
    rule = make_rule("XT302", "bad-requires", requires=requires)
    registry = load_rules(extra_plugins=(plugin_providing("FactPlugin", rule),))
    assert rule not in registry.rules
    assert any("'FactPlugin'" in w and "requires" in w for w in registry.warnings)


def test_the_package_is_let_go_when_its_analysis_ends(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    pkg.facts.get(base)
    pkg.facts.clear()
    with pytest.raises(FactError, match="after the package's analysis ended"):
        pkg.facts.get(base)


def test_every_builtin_rule_declares_facts_that_form_no_cycle() -> None:
    rules = load_rules().rules
    assert all(isinstance(r.requires, tuple) for r in rules)
    check_requirements([f for r in rules for f in r.requires])
    assert any(r.requires for r in rules)
    assert issubclass(rules[0], Rule)


LEASES_GO = """package jobs

import "example.com/leases"

func Early(key string) error {
	lease, err := leases.Acquire(key)
	if err != nil {
		return err
	}
	if key == "" {
		return nil
	}
	lease.Release()
	return nil
}

func Deferred(key string) error {
	lease, err := leases.Acquire(key)
	if err != nil {
		return err
	}
	defer lease.Release()
	return nil
}

func HandedOn(key string, done chan<- *leases.Lease) error {
	lease, err := leases.Acquire(key)
	if err != nil {
		return err
	}
	done <- lease
	return nil
}
"""


def _readme_example() -> str:
    """The README's example of a rule that requires facts (the python block that defines it)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```python\n")[1:]
    return next(b.split("\n```\n")[0] for b in blocks if "requires = (flows, ownership)" in b)


def test_the_readme_example_of_a_rule_with_facts_works(tmp_path: Path) -> None:
    """A rule that needs the CFG and ownership is a file of its own: no rule module imported."""
    import types

    from goleaklint.config import Config
    from goleaklint.discover import discover
    from goleaklint.engine import analyze

    source = _readme_example()
    assert "goleaklint.checks" not in source
    module = types.ModuleType("leaselint_rules")
    exec(compile(source, "leaselint_rules.py", "exec"), module.__dict__)
    registry = load_rules(extra_plugins=(module,))
    assert registry.warnings == []
    rule = registry.get("XL201")
    (tmp_path / "jobs.go").write_text(LEASES_GO)
    found = discover([str(tmp_path)])
    result = analyze(found.packages, [rule], Config())
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("XL201", 6)]
    assert not result.notices
