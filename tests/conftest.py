import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Facts read without being declared raise in the tests (goleaklint.facts.STRICT); set before
# goleaklint is imported, and inherited by the processes the tests start.
os.environ["GOLEAKLINT_STRICT_FACTS"] = "1"
# The result cache is off in the tests, which run goleaklint over and over on trees they
# rewrite, with rules they patch: the cache's own tests (test_cache.py) switch it on.
os.environ["GOLEAKLINT_NO_CACHE"] = "1"


@pytest.fixture
def enough_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine with more cores than any ``--jobs`` of the tests: no warning about it."""
    import goleaklint.engine

    monkeypatch.setattr(goleaklint.engine, "default_jobs", lambda: 64)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_tiers: run with the rules' real tiers (opt-in rules off by default)")


def _opt_in_builtins() -> list[type]:
    from goleaklint.registry import load_rules

    return [r for r in load_rules().rules
            if r.__module__.startswith("goleaklint.") and r.tier == "opt-in"]


_OPT_IN_BUILTINS: list[type] = []


@pytest.fixture(scope="session", autouse=True)
def _builtin_rules_on_by_default() -> Iterator[None]:
    """Most tests use a rule as a vehicle (output formats, robustness, workers, suppressions,
    fixes) with its fixtures, and they mean every built-in rule to run: in them the built-in
    opt-in rules are on by default, as before the tiers (for the whole session, so that
    module-scoped fixtures see it too; processes started with ``fork`` inherit it, and a test
    that runs goleaklint in a fresh interpreter names its rules itself). The tests of the tiers
    themselves, and of what shows them (documents, ``rules``, SARIF descriptors), are marked
    ``real_tiers``; the fixture harness names every rule anyway."""
    _OPT_IN_BUILTINS[:] = _opt_in_builtins()
    for rule in _OPT_IN_BUILTINS:
        rule.tier = "default"  # type: ignore[attr-defined]
    yield
    for rule in _OPT_IN_BUILTINS:
        rule.tier = "opt-in"  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _real_tiers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules as shipped, for the tests marked ``real_tiers``."""
    if request.node.get_closest_marker("real_tiers"):
        for rule in _OPT_IN_BUILTINS:
            monkeypatch.setattr(rule, "tier", "opt-in")
