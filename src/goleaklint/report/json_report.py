"""A JSON array of findings, for scripts. Paths are valid UTF-8 text: ``%`` and the bytes of a
file name that are not UTF-8 are percent-encoded (``goleaklint.paths.utf8_path``)."""

from __future__ import annotations

import json
from typing import TextIO

from ..engine import Result
from ..fingerprint import fingerprints
from ..paths import display_path, utf8_path
from ..rule import Rule


def write(result: Result, rules: list[type[Rule]], out: TextIO) -> None:
    prints = fingerprints(result.findings, display_path)
    items = []
    for f, fp in zip(result.findings, prints, strict=True):
        loc = f.location
        items.append({
            "rule": f.rule_id,
            "name": f.rule_name,
            "level": f.level,
            "path": utf8_path(loc.path),
            "line": loc.line,
            "column": loc.column,
            "end_line": loc.end_line,
            "end_column": loc.end_column,
            "message": f.message,
            "fingerprint": fp,
            "tier": f.tier,
            "related": [
                {
                    "path": utf8_path(r.location.path),
                    "line": r.location.line,
                    "column": r.location.column,
                    "message": r.message,
                }
                for r in f.related
            ],
        })
    json.dump(items, out, indent=2)
    out.write("\n")
