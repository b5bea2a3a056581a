"""Suggested fixes: the text edits a finding can carry, and applying them (``goleaklint --fix``).

A rule attaches a ``Fix`` only when the repair is mechanical, through ``Rule.report(fix=…)``.
The builders live beside their rules (GL201's ``defer_close``, GL202's ``defer_cancel``); this
module holds what any of them needs: ``Fix`` and ``Edit``, the shapes of Go code both builders
ask (a plain statement outside loops, an insertion on a line of its own, an existing ``defer``
that moves up), and ``apply`` (non-overlapping fixes, byte offsets) with ``write_source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .oneline import one_line
from .safewrite import write_file
from .syntax import Node, text

if TYPE_CHECKING:
    from .model import FileModel


@dataclass(frozen=True)
class Edit:
    """Replace bytes ``[start_byte, end_byte)`` of a file with ``new_text`` (an insertion when
    the range is empty). ``start``/``end`` are the same span as 1-based (line, column in
    Unicode characters), for SARIF's ``deletedRegion``."""

    start_byte: int
    end_byte: int
    new_text: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(frozen=True)
class Fix:
    """A finding's repair: what it does, in words, and its edits of the finding's file.

    ``scope`` is the byte span no other fix may touch in the same pass (a rename claims its
    whole function, so that two fixes never pick the same new name there); ``--fix`` applies
    the rest on the next pass, after re-analysis.
    """

    description: str
    edits: tuple[Edit, ...]
    scope: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", one_line(self.description))


def edit(f: FileModel, start_byte: int, end_byte: int, new_text: str) -> Edit:
    """An ``Edit`` of ``f`` with its positions."""
    return Edit(start_byte, end_byte, new_text, f.position(start_byte), f.position(end_byte))


# Applying ----------------------------------------------------------------------------------


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] == b[0] or (a[0] < b[1] and b[0] < a[1])


def apply(source: bytes, fixes: list[Fix]) -> tuple[bytes, list[Fix]]:
    """``source`` with every fix applied that does not overlap one applied before it (in source
    order), and the fixes applied."""
    chosen: list[Fix] = []
    for fix in sorted(fixes, key=lambda x: (x.scope, x.description)):
        if any(_overlap(fix.scope, other.scope) for other in chosen):
            continue
        if any(e.end_byte > len(source) for e in fix.edits):
            continue
        chosen.append(fix)
    edits = sorted((e for fix in chosen for e in fix.edits), key=lambda e: e.start_byte)
    out, at = [], 0
    for e in edits:
        out.append(source[at:e.start_byte])
        out.append(e.new_text.encode("utf-8"))
        at = e.end_byte
    out.append(source[at:])
    return b"".join(out), chosen


def write_source(path: Path, data: bytes) -> None:
    """Replace a source file's bytes: atomically, keeping its mode and owner; through a symbolic
    link, the file it names (see ``safewrite``)."""
    write_file(path, data)


# Shapes of Go code both builders ask -------------------------------------------------------


def _in_loop(statement: Node, function: Node) -> bool:
    node = statement.parent
    while node is not None and node.id != function.id:
        if node.type == "for_statement":
            return True
        node = node.parent
    return False


def _line_end(f: FileModel, byte: int) -> int | None:
    """The offset just past the newline ending the line of ``byte``, when the rest of that line
    is blank or a comment (no other statement shares it); else None."""
    newline = f.source.find(b"\n", byte)
    if newline < 0:
        return None
    rest = f.source[byte:newline].strip()
    if rest and not rest.startswith(b"//"):
        return None
    return newline + 1


def _indent(f: FileModel, node: Node) -> str:
    line = f.line_text(node.start_point.row + 1)
    return line[: len(line) - len(line.lstrip(" \t"))]


def insert_after(f: FileModel, statement: Node, anchor: Node, code: str) -> Edit | None:
    """An insertion of ``code`` on its own line after ``anchor``, indented as ``statement``."""
    at = _line_end(f, anchor.end_byte)
    if at is None:
        return None
    newline = "\r\n" if f.source[at - 2:at] == b"\r\n" else "\n"
    return edit(f, at, at, f"{_indent(f, statement)}{code}{newline}")


def nodes_after(nodes: list[Node], statement: Node) -> list[Node]:
    return [n for n in nodes if n.start_byte >= statement.end_byte]


def identifiers(f: FileModel, scope: Node, name: str) -> list[Node]:
    from .callees import mentions  # callees imports the model; keep this module light

    return mentions(f, scope, name)


def _own_line(f: FileModel, node: Node) -> Edit | None:
    """An edit deleting the line(s) of ``node`` when nothing else shares them (and, if that
    would leave two blank lines in a row, one of the blank lines around it)."""
    starts_at = f.source.rfind(b"\n", 0, node.start_byte) + 1
    ends_at = _line_end(f, node.end_byte)
    if ends_at is None or f.source[starts_at:node.start_byte].strip() or (
        f.source[node.end_byte:ends_at].strip()
    ):
        return None
    before = f.source.rfind(b"\n", 0, max(starts_at - 1, 0)) + 1
    after = f.source.find(b"\n", ends_at)
    blank_before = starts_at > 0 and not f.source[before:starts_at].strip()
    blank_after = after >= 0 and not f.source[ends_at:after + 1].strip()
    if blank_before and blank_after:
        ends_at = after + 1
    return edit(f, starts_at, ends_at, "")


def moved_defer(f: FileModel, call: Node, statement: Node, expected: str) -> Edit | None:
    """When ``call`` is ``defer <expected>`` among the statements that follow ``statement`` in
    its own block, on a line of its own: the edit deleting it (the fix defers earlier)."""
    holder = call.parent
    if holder is None or holder.type != "defer_statement" or text(holder) != f"defer {expected}":
        return None
    if holder.parent is None or statement.parent is None or holder.parent.id != (
        statement.parent.id
    ):
        return None
    return _own_line(f, holder)


def plain_statement(statement: Node, function: Node) -> bool:
    parent = statement.parent
    return (parent is not None and parent.type == "statement_list"
            and not _in_loop(statement, function))


def make_fix(description: str, edits: list[Edit], scope: tuple[int, int] | None = None) -> Fix:
    edits.sort(key=lambda e: e.start_byte)
    if scope is None:
        scope = (edits[0].start_byte, max(e.end_byte for e in edits))
    return Fix(description, tuple(edits), scope)
