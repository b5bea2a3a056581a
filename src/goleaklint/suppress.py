"""Inline suppression comments.

* ``//goleaklint:ignore GL201 reason`` (IDs comma-separated; prefixes such as ``GL2`` allowed) on
  the reported line, or alone on the line above it;
* ``//goleaklint:file-ignore GL101 reason`` anywhere in a file: the whole file;
* golangci-lint's ``//nolint``, ``//nolint:all`` and ``//nolint:goleaklint[,other] // reason``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import FileModel
from .syntax import captures, text

_IGNORE = re.compile(r"^//\s*goleaklint:(ignore|file-ignore)\b[ \t]*([A-Za-z0-9_,]*)[ \t]*(.*)$")
_NOLINT = re.compile(r"^//\s*nolint(?::([\w,-]+))?\b[ \t]*(?://[ \t]*(.*))?$")


@dataclass(frozen=True)
class Suppression:
    """One suppression comment and what it covers."""

    line: int  # the comment's line
    column: int
    lines: tuple[int, ...]  # lines it covers; empty tuple = the whole file
    codes: tuple[str, ...]  # rule IDs or prefixes; empty = every rule
    reason: str
    names_goleaklint: bool = True  # False for a generic ``//nolint`` (golangci-lint's business)

    def covers(self, rule_id: str, line: int) -> bool:
        if self.lines and line not in self.lines:
            return False
        return not self.codes or any(rule_id.startswith(c) for c in self.codes)


def parse_suppression(comment: str, line: int, column: int, alone: bool) -> Suppression | None:
    """A ``Suppression`` from a comment's text, or None when it is not one."""
    covered = (line, line + 1) if alone else (line,)
    m = _IGNORE.match(comment)
    if m:
        codes = tuple(c.strip().upper() for c in m.group(2).split(",") if c.strip())
        lines = () if m.group(1) == "file-ignore" else covered
        return Suppression(line, column, lines, codes, m.group(3).strip())
    m = _NOLINT.match(comment)
    if m:
        linters = [x.strip().lower() for x in (m.group(1) or "").split(",") if x.strip()]
        if linters and "goleaklint" not in linters and "all" not in linters:
            return None
        return Suppression(
            line, column, covered, (), (m.group(2) or "").strip(), "goleaklint" in linters
        )
    return None


def file_suppressions(f: FileModel) -> list[Suppression]:
    """Every suppression comment of a file (computed once per file)."""
    cached = getattr(f, "_suppressions", None)
    if cached is not None:
        return cached
    found: list[Suppression] = []
    f._suppressions = found  # type: ignore[attr-defined]
    for node in captures("(comment) @c", f.root).get("c", []):
        body = text(node)
        if "goleaklint" not in body and "nolint" not in body:
            continue
        line, column = f.position(node.start_byte)
        before = f.line_text(line)[: column - 1]
        parsed = parse_suppression(body, line, column, alone=not before.strip())
        if parsed is not None:
            found.append(parsed)
    return found
