"""GitLab Code Quality (``artifacts:reports:codequality``): a JSON array of issues, each with
the fields GitLab documents: ``description``, ``check_name``, ``fingerprint`` (goleaklint's own,
the baseline's and SARIF's key), ``severity`` and ``location.path`` + ``location.lines.begin``.

Paths are relative to the current directory, as the other formats print them (run goleaklint
at the repository root), and always valid UTF-8 (``goleaklint.paths.utf8_path``). GitLab sets no
limit on the number of issues (only on the artifact's size), so every finding is written; the
format has no place for notices (parse errors and the like), which stay on stderr. With
``--profile``, a finding's evidence follows its description in brackets (as ``--format github``).
"""

from __future__ import annotations

import json
from typing import TextIO

from ..engine import Result
from ..fingerprint import fingerprints
from ..paths import display_path, utf8_path
from ..rule import Rule

# GitLab's scale: info, minor, major, critical, blocker.
SEVERITY = {"error": "major", "warning": "minor", "note": "info"}


def write(result: Result, rules: list[type[Rule]], out: TextIO) -> None:
    prints = fingerprints(result.findings, display_path)
    issues = []
    for f, fp in zip(result.findings, prints, strict=True):
        loc = f.location
        seen = result.profiles.of(f) if result.profiles is not None else []
        evidence = "".join(f" [{e.text()}]" for e in seen)  # --profile's, as --format github
        issues.append({
            "description": f"{f.rule_id} {f.rule_name}: {f.message}{evidence}",
            "check_name": f.rule_id,
            "fingerprint": fp,
            "severity": SEVERITY.get(f.level, "minor"),
            "location": {
                "path": utf8_path(loc.path),
                "lines": {"begin": loc.line, "end": loc.end_line},
            },
        })
    json.dump(issues, out, indent=2)
    out.write("\n")
