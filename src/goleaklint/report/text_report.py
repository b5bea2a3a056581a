"""``path:line:col: GL101 unbounded-global-map: message``, one finding a line."""

from __future__ import annotations

from typing import TextIO

from ..engine import Result
from ..paths import display_path
from ..rule import Rule


def write(result: Result, rules: list[type[Rule]], out: TextIO) -> None:
    for f in result.findings:
        loc = f.location
        out.write(
            f"{display_path(loc.path)}:{loc.line}:{loc.column}: "
            f"{f.rule_id} {f.rule_name}: {f.message}\n"
        )
