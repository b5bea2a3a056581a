"""Stable finding identities: rule + file + normalised code, never the line number.

The same key is SARIF's ``partialFingerprints["goleaklint/v1"]`` and the baseline's key, so a
finding keeps its identity when unrelated lines move and changes it when its own line changes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .rule import Finding

FINGERPRINT_KEY = "goleaklint/v1"


def fingerprints(findings: list[Finding], display_path: Callable[[Path], str]) -> list[str]:
    """One fingerprint per finding, in order; identical lines are told apart by occurrence."""
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for f in sorted(findings, key=lambda f: f.sort_key):
        key = (f.rule_id, display_path(f.location.path), f.snippet)
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256(
            "\0".join((*key, str(occurrence))).encode("utf-8", "surrogateescape")
        ).hexdigest()
        result.append((f.sort_key, digest[:32]))
    by_key = dict(result)
    return [by_key[f.sort_key] for f in findings]
