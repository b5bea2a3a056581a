"""analysistest-style fixture checking: ``// want "GL101"`` markers against real findings."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from goleaklint.config import CONFIG_NAME, Config, load_config
from goleaklint.discover import discover
from goleaklint.engine import Result, analyze
from goleaklint.registry import load_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_WANT = re.compile(r"//\s*want((?:\s+\"[^\"]*\")+)\s*$")
_QUOTED = re.compile(r"\"([^\"]*)\"")


def expected_markers(directory: Path) -> Counter[tuple[str, int, str]]:
    """(file name, line, rule ID) for every ``// want`` marker of a package folder."""
    want: Counter[tuple[str, int, str]] = Counter()
    for path in sorted(directory.glob("*.go")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _WANT.search(line)
            if m:
                for code in _QUOTED.findall(m.group(1)):
                    want[(path.name, lineno, code)] += 1
    return want


def package_dirs(root: Path = FIXTURES) -> list[Path]:
    """Every folder of the fixture tree that holds Go files (one package each)."""
    return sorted({p.parent for p in root.rglob("*.go")})


def run(directory: Path, select: list[str] | None = None) -> Result:
    rules = load_rules().rules
    if select:
        rules = [r for r in rules if any(r.id.startswith(s) for s in select)]
    found = discover([str(directory)])
    # Every rule named: the fixtures specify what each rule finds, opt-in rules and opt-in
    # shapes included (which shapes are opt-in is tested apart).
    named = fixture_config(directory, select=[r.id for r in rules])
    return analyze([p for p in found.packages if p.directory == directory], rules, named)


def fixture_config(directory: Path, select: list[str] | None = None) -> Config:
    """A fixture folder's configuration: its own ``.goleaklint.toml`` gives the rule options
    (configured openers); ``select`` names the rules."""
    own = directory / CONFIG_NAME
    options = load_config(own, load_rules().by_id()).rule_options if own.is_file() else {}
    return Config(select=select or [], rule_options=options)


def mismatches(directory: Path) -> list[str]:
    """Human-readable differences between markers and findings (empty when they agree)."""
    want = expected_markers(directory)
    result = run(directory)
    got: Counter[tuple[str, int, str]] = Counter(
        (f.location.path.name, f.location.line, f.rule_id) for f in result.findings
    )
    messages = {
        (f.location.path.name, f.location.line, f.rule_id): f.message for f in result.findings
    }
    problems = []
    for key in sorted((got - want).elements()):
        problems.append(f"{directory.name}/{key[0]}:{key[1]}: unexpected {key[2]}: {messages[key]}")
    for key in sorted((want - got).elements()):
        problems.append(f"{directory.name}/{key[0]}:{key[1]}: no {key[2]} was reported")
    problems += [  # a fixture is valid Go that every rule reads without a fault
        f"{n.path.name}:{n.line}: {n.kind}: {n.message}" for n in result.notices
    ]
    return problems
