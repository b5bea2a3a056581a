"""GitHub Actions workflow commands: one ``::warning file=…`` annotation per finding."""

from __future__ import annotations

from typing import TextIO

from ..engine import Result
from ..paths import display_path
from ..rule import Rule

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def write(result: Result, rules: list[type[Rule]], out: TextIO) -> None:
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
        out.write(f"::{_COMMAND.get(f.level, 'warning')} {props}::{_escape_data(f.message)}\n")
