"""GitHub Actions workflow commands: one ``::warning file=…`` annotation per finding.

Escaped as the runner unescapes (actions/toolkit's ``escapeData``/``escapeProperty``); messages
are one line already (``goleaklint.oneline``). GitHub lists at most ``PER_STEP`` annotations of
each level per step and ``PER_JOB`` per job; the others are only in the step's log.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from ..engine import Result
from ..paths import display_path
from ..rule import Rule

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}
PER_STEP, PER_JOB = 10, 50


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def write(result: Result, rules: list[type[Rule]], out: TextIO) -> list[str]:
    """Write the annotations; a warning for stderr when GitHub will not list them all."""
    per_level = Counter(_COMMAND.get(f.level, "warning") for f in result.findings)
    for f in result.findings:
        loc = f.location
        props = ",".join((
            f"file={_escape_property(display_path(loc.path))}",
            f"line={loc.line}",
            f"col={loc.column}",
            f"endLine={loc.end_line}",
            f"endColumn={loc.end_column}",
            f"title={_escape_property(f'{f.rule_id} {f.rule_name}')}",
        ))
        seen = result.profiles.of(f) if result.profiles is not None else []
        message = f.message + "".join(f" [{e.text()}]" for e in seen)  # --profile's evidence
        out.write(f"::{_COMMAND.get(f.level, 'warning')} {props}::{_escape_data(message)}\n")
    if max(per_level.values(), default=0) <= PER_STEP:  # three levels: at most 30 in all
        return []
    n = len(result.findings)
    counts = ", ".join(f"{c:,} {level}" for level, c in sorted(per_level.items()))
    return [f"{n:,} annotations ({counts}): GitHub lists at most {PER_STEP} of each level per "
            f"step and {PER_JOB} per job; the others are only in the step's log (--format sarif "
            "with code scanning shows them all)"]
