#!/usr/bin/env python3
"""Write ``rules/<ID>.md`` for every built-in rule, and the README's rule table.

Both show each rule's tier and measured precision (``goleaklint.measured_precision``, written
by ``python bench/precision/run.py score TSV --write``, which runs this script after it).

The rule's docstring is the one source (``goleaklint.docs.render_markdown``); the files are
checked in so that they read well on GitHub, and ``--check`` (run by the tests and CI) fails when
one is stale, missing or left over from a removed rule.

    python scripts/generate_rule_docs.py           # rewrite what changed
    python scripts/generate_rule_docs.py --check   # exit 1 and list what is out of date

The README table sits between ``<!-- rules:start -->`` and ``<!-- rules:end -->``; a README
without those markers is left alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from goleaklint.docs import render_markdown
from goleaklint.precision import measured, precision_of
from goleaklint.registry import load_rules
from goleaklint.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = "rules"
# The README is also the package's page on PyPI, where a relative link leads nowhere.
BLOB = "https://github.com/goleaklint/goleaklint/blob/main/"
README = "README.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


class RulesDidNotLoad(Exception):
    """A built-in rule failed to load: its document must not be taken for a removed rule's."""


def builtin_rules() -> list[type[Rule]]:
    """The rules goleaklint ships (third-party plugins installed alongside are not ours)."""
    registry = load_rules()
    ours = [w for w in registry.warnings if "goleaklint." in w or "goleaklint:" in w]
    if ours:
        raise RulesDidNotLoad("; ".join(ours))
    return [r for r in registry.rules if r.__module__.startswith("goleaklint.")]


def rule_documents(rules: list[type[Rule]]) -> dict[str, str]:
    """File name under ``rules/`` -> content, one per rule."""
    return {f"{r.id}.md": render_markdown(r) for r in rules}


def rule_table(rules: list[type[Rule]]) -> str:
    """The README's markdown table of the catalog, linking each rule's document on GitHub."""
    lines = ["| ID | Name | Family | Level | Tier | Precision | What it finds |",
             "|---|---|---|---|---|---|---|"]
    for r in rules:
        summary = r.summary.replace("|", "\\|")
        link = f"{BLOB}{RULES_DIR}/{r.id}.md"
        lines.append(f"| [{r.id}]({link}) | `{r.name}` | {r.family} | {r.level} | {r.tier} | "
                     f"{precision_cell(r)} | {summary} |")
    return "\n".join(lines) + "\n"


def precision_cell(rule: type[Rule]) -> str:
    """``low (1/15)``: the measured grade and actionable/judged; a rule's own estimate is
    marked as such."""
    m = measured(rule)
    if m is None:
        return f"{rule.precision} (estimate)"
    return f"{precision_of(rule)} ({m.actionable}/{m.judged})"


def readme_with_table(readme: str, table: str) -> str | None:
    """``readme`` with the table between the markers (None when the markers are absent)."""
    start = readme.find(START)
    end = readme.find(END, start + len(START)) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    return readme[: start + len(START)] + "\n" + table + readme[end:]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(content)


def plan(root: Path, rules: list[type[Rule]]) -> tuple[dict[Path, str], list[Path]]:
    """What must be written (path -> content) and which rule documents must go."""
    docs_dir = root / RULES_DIR
    wanted = {docs_dir / name: content for name, content in rule_documents(rules).items()}
    writes = {p: c for p, c in wanted.items() if _read(p) != c}
    extra = sorted(p for p in docs_dir.glob("*.md") if p not in wanted) if docs_dir.is_dir() else []
    readme = _read(root / README)
    if readme is not None:
        updated = readme_with_table(readme, rule_table(rules))
        if updated is not None and updated != readme:
            writes[root / README] = updated
    return writes, extra


def check(root: Path = ROOT, rules: list[type[Rule]] | None = None) -> list[str]:
    """One line per out-of-date file (empty when everything is current)."""
    rules = builtin_rules() if rules is None else rules
    writes, extra = plan(root, rules)
    problems = []
    for path in sorted(writes):
        state = "missing" if not path.exists() else "stale"
        problems.append(f"{path.relative_to(root).as_posix()}: {state}")
    problems += [f"{p.relative_to(root).as_posix()}: extra (no such rule)" for p in extra]
    return problems


def generate(root: Path = ROOT, rules: list[type[Rule]] | None = None) -> list[str]:
    """Bring the files up to date; returns what was written or removed."""
    rules = builtin_rules() if rules is None else rules
    writes, extra = plan(root, rules)
    for path, content in writes.items():
        _write(path, content)
    for path in extra:
        path.unlink()
    done = [f"wrote {p.relative_to(root).as_posix()}" for p in sorted(writes)]
    return done + [f"removed {p.relative_to(root).as_posix()}" for p in extra]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 listing stale, missing or extra files")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: ours)")
    options = parser.parse_args(argv)
    root = options.root.resolve()
    try:
        builtin_rules()
    except RulesDidNotLoad as exc:
        print(f"generate_rule_docs: error: a built-in rule did not load: {exc}", file=sys.stderr)
        return 2
    if options.check:
        problems = check(root)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print(f"run: python {Path(__file__).name} to regenerate", file=sys.stderr)
            return 1
        readme = _read(root / README)
        if readme is not None and readme_with_table(readme, "") is None:
            print(f"note: {README} has no {START} / {END} markers; its table is not checked",
                  file=sys.stderr)
        return 0
    for line in generate(root):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
