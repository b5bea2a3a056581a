"""A JSON array of findings, for scripts. Paths are valid UTF-8 text: ``%`` and the bytes of a
file name that are not UTF-8 are percent-encoded (``goleaklint.paths.utf8_path``).

With ``--profile`` (and only then, so that scripts reading the array are unaffected) the report
is an object: ``findings`` (the array, each finding with an ``evidence`` list), ``notes`` (the hot
sites no rule explains) and ``profiles`` (how each profile's frames mapped)."""

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
    evidence = result.profiles
    if evidence is None:
        json.dump(items, out, indent=2)
        out.write("\n")
        return
    for f, item in zip(result.findings, items, strict=True):
        item["evidence"] = [e.to_json() for e in evidence.of(f)]
    json.dump({
        "findings": items,
        "notes": [s.to_json(utf8_path(s.path)) for s in evidence.hot_sites],
        "profiles": [s.to_json() for s in evidence.summaries],
    }, out, indent=2)
    out.write("\n")
