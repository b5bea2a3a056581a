"""Inline suppression comments.

* ``//goleaklint:ignore GL201 reason`` (IDs comma-separated; prefixes such as ``GL2`` allowed) on
  the reported line, or alone on the line above it;
* ``//goleaklint:file-ignore GL101 reason`` anywhere in a file: the whole file;
* golangci-lint's ``//nolint``, ``//nolint:all`` and ``//nolint:goleaklint[,other] // reason``.

The engine records which suppressions were used; ``unused`` says what is wrong with one that
suppressed nothing (reported as GL002 unused-suppression).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

from .model import FileModel
from .queries import apart
from .syntax import text

# A rule ID or prefix: GL101, GL1, GL (lower case only with digits, so that a reason's first
# word is not taken for a code: ``//goleaklint:ignore stale reason`` is a blanket suppression).
_CODE = r"(?:[A-Z]{2,4}[0-9]{0,4}|[A-Za-z]{2,4}[0-9]{1,4})(?![\w-])"
_IGNORE = re.compile(
    rf"^//\s*goleaklint:(ignore|file-ignore)\b[ \t]*((?:{_CODE}[ \t]*,[ \t]*)*{_CODE})?[ \t]*(.*)$"
)
# Comments, asked of the files whose bytes mention a suppression only: never combined.
COMMENTS = apart("(comment) @c")
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
    start_byte: int = -1  # the comment's span in its file
    end_byte: int = -1

    def covers(self, rule_id: str, line: int) -> bool:
        if self.lines and line not in self.lines:
            return False
        return not self.codes or any(rule_id.startswith(c) for c in self.codes)

    def codes_covering(self, rule_id: str) -> tuple[str, ...]:
        """The codes of this suppression that name ``rule_id`` (``("",)`` for a blanket one)."""
        if not self.codes:
            return ("",)
        return tuple(c for c in self.codes if rule_id.startswith(c))


def parse_suppression(comment: str, line: int, column: int, alone: bool) -> Suppression | None:
    """A ``Suppression`` from a comment's text, or None when it is not one."""
    covered = (line, line + 1) if alone else (line,)
    m = _IGNORE.match(comment)
    if m:
        codes = tuple(c.strip().upper() for c in (m.group(2) or "").split(",") if c.strip())
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
    cached: list[Suppression] | None = getattr(f, "_suppressions", None)
    if cached is not None:
        return cached
    found: list[Suppression] = []
    # A memo hung on the file, which does not declare it (suppressions are a layer above).
    f._suppressions = found  # type: ignore[attr-defined]
    if b"goleaklint" not in f.source and b"nolint" not in f.source:
        return found  # most files: no comment to look at
    for node in f.captures(COMMENTS).get("c", []):
        body = text(node)
        if "goleaklint" not in body and "nolint" not in body:
            continue
        line, column = f.position(node.start_byte)
        before = f.line_text(line)[: column - 1]
        parsed = parse_suppression(body, line, column, alone=not before.strip())
        if parsed is not None:
            found.append(replace(parsed, start_byte=node.start_byte, end_byte=node.end_byte))
    return found


def unused(
    s: Suppression,
    used: Collection[str],
    catalog: Mapping[str, bool],
    ran: Collection[str],
) -> list[str]:
    """Why suppression ``s`` is (partly) unused, one phrase per problem; empty when it is used
    or cannot be judged.

    ``used`` holds the codes of ``s`` that suppressed a finding (``""`` for a blanket
    suppression), ``catalog`` maps every known rule ID to whether it is suppressible, and
    ``ran`` holds the rules that ran to completion on the package. A code is judged only when
    every rule it names ran: ``//goleaklint:ignore GL201`` while GL201 is deselected is not
    unused. A generic ``//nolint`` is golangci-lint's business (its nolintlint), never judged.
    """
    if not s.names_goleaklint:
        return []
    if not s.codes:
        if "" in used or not all(r in ran for r, ok in catalog.items() if ok):
            return []
        return ["it suppresses no finding"]
    problems = []
    for code in dict.fromkeys(s.codes):
        if code in used:
            continue
        named = [r for r in catalog if r.startswith(code)]
        if not named:
            if code.startswith("GL"):  # goleaklint's own namespace: a typo or a removed rule
                problems.append(f"{code} matches no rule")
            continue  # another plugin's rule, not installed here
        if not any(catalog[r] for r in named):
            problems.append(f"{code} cannot be suppressed inline (ignore it in the configuration)")
        elif all(r in ran for r in named if catalog[r]):
            problems.append(f"no {code} finding here")
    return problems
