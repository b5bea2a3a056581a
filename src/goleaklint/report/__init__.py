"""Report writers: text (compiler style), json, github (workflow annotations), sarif, gitlab
(Code Quality) and checkstyle (XML)."""

from __future__ import annotations

import importlib
from typing import TextIO

from ..engine import Result
from ..rule import Rule

FORMATS = ("text", "json", "github", "sarif", "gitlab", "checkstyle")


def write_report(
    fmt: str, result: Result, rules: list[type[Rule]], out: TextIO, category: str | None = None
) -> list[str]:
    """Write ``result`` to ``out`` in ``fmt``; writers are imported only when asked for.
    ``category`` (SARIF only) becomes ``runs[0].automationDetails.id``. Returns the warnings
    for stderr: what the report left out, or what its consumer will not show."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    writer = importlib.import_module(f"{__name__}.{fmt}_report")
    if category is not None and fmt == "sarif":
        return writer.write(result, rules, out, category=category) or []
    return writer.write(result, rules, out) or []
