"""Suggested fixes: the text edits a finding can carry, and applying them (``goleaklint --fix``).

A rule attaches a ``Fix`` only when the repair is mechanical, through ``Rule.report(fix=…)``;
the builders below recognise the two shapes goleaklint repairs:

* GL202 lost-cancel: ``ctx, cancel := context.WithTimeout(…)`` gets ``defer cancel()`` on the
  next line (``ctx, _ :=`` is renamed to ``cancel`` first, when that name is free);
* GL201 unclosed-resource: ``f, err := os.Open(…)`` followed by ``if err != nil { … return }``
  gets ``defer f.Close()`` (``defer resp.Body.Close()``) after that block.

Each builder returns None whenever the shape is not exactly that: inside a loop (a defer there
runs only when the function returns), when the value or its context is handed on (returned,
stored, given to a goroutine), when the statement shares its line with another, and so on.
Fixes are applied by ``apply`` (non-overlapping, byte offsets) and written by ``write_source``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .noreturn import call_ends
from .oneline import one_line
from .safewrite import write_file
from .syntax import Node, text

if TYPE_CHECKING:
    from .model import FileModel, Package
    from .ownership import Ownership, Resource


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


# Shapes of Go code -------------------------------------------------------------------------

# Result types that may hold a context: contexts, requests, functions, channels, interfaces.
_CARRIERS = re.compile(r"Context|Request|Cancel|\b(?:func|chan|any|interface)\b")


def _in_loop(statement: Node, function: Node) -> bool:
    node = statement.parent
    while node is not None and node.id != function.id:
        if node.type == "for_statement":
            return True
        node = node.parent
    return False


def _next_statement(statement: Node) -> Node | None:
    sibling = statement.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling


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


def _insert_after(f: FileModel, statement: Node, anchor: Node, code: str) -> Edit | None:
    """An insertion of ``code`` on its own line after ``anchor``, indented as ``statement``."""
    at = _line_end(f, anchor.end_byte)
    if at is None:
        return None
    newline = "\r\n" if f.source[at - 2:at] == b"\r\n" else "\n"
    return edit(f, at, at, f"{_indent(f, statement)}{code}{newline}")


def _after(nodes: list[Node], statement: Node) -> list[Node]:
    return [n for n in nodes if n.start_byte >= statement.end_byte]


def _inside(node: Node, kinds: frozenset[str], stop: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.id != stop.id:
        if parent.type in kinds:
            return True
        parent = parent.parent
    return False


def _may_carry_context(function: Node) -> bool:
    """Whether the function's results could hold a context (a request, a func, an interface…):
    returning something built from the derived context then outlives a deferred cancel."""
    result = function.child_by_field_name("result")
    if result is None:
        return False
    return _CARRIERS.search(text(result)) is not None


def _identifiers(scope: Node, name: str) -> list[Node]:
    from .ownership import mentions  # ownership imports the model; keep this module light

    return mentions(scope, name)


def _context_stays(f: FileModel, ctx: Node, statement: Node, function: Node) -> bool:
    """Whether the derived context is only used while the function runs: not returned (unless
    the results cannot hold it), stored, sent, or handed to a function literal or goroutine."""
    if ctx.type != "identifier" or text(ctx) == "_":
        return True
    body = function.child_by_field_name("body")
    if body is None:
        return False
    carries = _may_carry_context(function)
    for m in _after(_identifiers(body, text(ctx)), statement):
        parent = m.parent
        if parent is None:
            return False
        if parent.type == "selector_expression" and parent.child_by_field_name("operand") == m:
            continue  # ctx.Done(), ctx.Err(), ctx.Value(k)
        if _inside(m, frozenset({"func_literal", "go_statement"}), function):
            return False
        if carries and _inside(m, frozenset({"return_statement"}), function):
            return False
        if parent.type in ("keyed_element", "literal_element", "send_statement"):
            return False
        holder = parent.parent if parent.type == "expression_list" else None
        if holder is not None and holder.type == "return_statement":
            return False  # returned as is
        if holder is not None and holder.type in ("assignment_statement",
                                                  "short_var_declaration"):
            left = holder.child_by_field_name("left")
            if left != parent and not (left is not None and all(
                text(t) == "_" for t in left.named_children
            )):
                return False  # another name for it, or stored
    return True


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


def _moved_defer(f: FileModel, call: Node, statement: Node, expected: str) -> Edit | None:
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


def _only_called(
    f: FileModel, name: str, statement: Node, function: Node, deferred: str
) -> list[Edit] | None:
    """When every later mention of ``name`` is a plain call of the function itself (not passed
    on, stored, returned, or called from a function literal): edits deleting the existing
    ``defer <deferred>`` statements of the same block. None otherwise."""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    moved: list[Edit] = []
    for m in _after(_identifiers(body, name), statement):
        call = m.parent
        if call is None or call.type != "call_expression" or (
            call.child_by_field_name("function") != m
        ):
            return None
        if _inside(m, frozenset({"func_literal"}), function):
            return None
        delete = _moved_defer(f, call, statement, deferred)
        if delete is not None:
            moved.append(delete)
    return moved


def _plain_statement(statement: Node, function: Node) -> bool:
    parent = statement.parent
    return (parent is not None and parent.type == "statement_list"
            and not _in_loop(statement, function))


def _fix(description: str, edits: list[Edit], scope: tuple[int, int] | None = None) -> Fix:
    edits.sort(key=lambda e: e.start_byte)
    if scope is None:
        scope = (edits[0].start_byte, max(e.end_byte for e in edits))
    return Fix(description, tuple(edits), scope)


def defer_cancel(
    f: FileModel | None, call: Node, statement: Node, left: Node, function: Node | None
) -> Fix | None:
    """GL202: ``defer cancel()`` after ``ctx, cancel := context.With…(…)``; ``ctx, _ :=`` is
    renamed to ``cancel`` first when that name is free in the function. A later
    ``defer cancel()`` of the same block moves up."""
    targets = left.named_children
    if f is None or function is None or len(targets) != 2 or not _plain_statement(
        statement, function
    ):
        return None
    ctx, target = targets
    if target.type != "identifier" or not _context_stays(f, ctx, statement, function):
        return None
    name = text(target)
    callee = text(call.child_by_field_name("function"))
    argument = "nil" if callee.endswith("WithCancelCause") else ""  # a CancelCauseFunc
    deferred = f"{name}({argument})"
    edits: list[Edit] = []
    scope = None
    if name == "_":
        name = "cancel"
        deferred = f"{name}({argument})"
        if statement.type not in ("short_var_declaration", "var_declaration") or _identifiers(
            function, name
        ):
            return None
        edits.append(edit(f, target.start_byte, target.end_byte, name))
        scope = (function.start_byte, function.end_byte)
        what = f"rename _ to {name} and insert"
    else:
        moved = _only_called(f, name, statement, function, deferred)
        if moved is None:
            return None
        edits.extend(moved)
        what = "move up" if moved else "insert"
    insert = _insert_after(f, statement, statement, f"defer {deferred}")
    if insert is None:
        return None
    return _fix(f"{what} defer {deferred}", [*edits, insert], scope)


def _checks_error(node: Node | None, err: str) -> bool:
    """``if err != nil {`` with no initialiser and no else."""
    if node is None or node.type != "if_statement":
        return False
    if node.child_by_field_name("initializer") is not None:
        return False
    if node.child_by_field_name("alternative") is not None:
        return False
    cond = node.child_by_field_name("condition")
    return cond is not None and cond.type == "binary_expression" and (
        text(cond.child_by_field_name("left")) == err
        and text(cond.child_by_field_name("operator")) == "!="
        and text(cond.child_by_field_name("right")) == "nil"
    )


def _leaves(block: Node | None, f: FileModel, package: Package | None) -> bool:
    """Whether a block ends in ``return``, ``continue`` or a call that never returns
    (``panic``, ``os.Exit``, ``log.Fatal…``, ``t.Fatal…``): after it, the opener did not fail."""
    if block is None:
        return False
    statements = [c for c in block.named_children if c.type == "statement_list"]
    body = statements[0].named_children if statements else []
    body = [s for s in body if s.type != "comment"]
    if not body:
        return False
    last = body[-1]
    if last.type in ("return_statement", "continue_statement"):
        return True
    if last.type != "expression_statement" or not last.named_child_count:
        return False
    return call_ends(last.named_children[0], f, package) is not None


def defer_close(
    f: FileModel | None, statement: Node, function: Node, release: str, ownership: Ownership,
    resource: Resource, package: Package | None = None,
) -> Fix | None:
    """GL201: ``defer x.Close()`` (``release`` is ``x`` or ``resp.Body``) after the
    ``if err != nil { … return }`` that follows ``x, err := opener(…)``; a later
    ``defer x.Close()`` of the same block moves up."""
    if f is None or statement.type != "short_var_declaration" or not _plain_statement(
        statement, function
    ):
        return None
    left, right = statement.child_by_field_name("left"), statement.child_by_field_name("right")
    if left is None or right is None or right.named_child_count != 1:
        return None
    targets = left.named_children
    if len(targets) != 2 or any(t.type != "identifier" for t in targets):
        return None
    value, err = (text(t) for t in targets)
    if "_" in (value, err) or right.named_children[0].type != "call_expression":
        return None
    check = _next_statement(statement)
    if check is None or not _checks_error(check, err) or not _leaves(
        check.child_by_field_name("consequence"), f, package
    ):
        return None
    body = function.child_by_field_name("body")
    if body is None:
        return None
    deferred = f"{release}.Close()"
    moved: list[Edit] = []
    for m in _after(_identifiers(body, value), statement):
        verdict = ownership.classify(f, m, resource)
        if verdict == "lost":
            return None  # reassigned: a deferred Close would close the wrong value, or twice
        if verdict != "release":
            continue
        call = _release_call(m, resource)
        if call is None:
            return None  # handed on: returned, stored, given to a goroutine…
        if call.parent is not None and call.parent.type == "defer_statement":
            delete = _moved_defer(f, call, statement, deferred)
            if delete is None:
                return None  # deferred elsewhere, differently: not a mechanical change
            moved.append(delete)
    insert = _insert_after(f, statement, check, f"defer {deferred}")
    if insert is None:
        return None
    return _fix(f"{'move up' if moved else 'insert'} defer {deferred}", [*moved, insert])


def _release_call(ident: Node, resource: Resource) -> Node | None:
    """The call ``x.Close()`` / ``resp.Body.Close()`` that ``ident`` is the receiver of (not a
    method value handed on), or None."""
    node = ident
    if resource.through_field and node.parent is not None and (
        node.parent.type == "selector_expression"
    ):
        node = node.parent
    selector = node.parent
    call = selector.parent if selector is not None else None
    if selector is None or selector.type != "selector_expression" or call is None or (
        call.type != "call_expression"
    ):
        return None
    if text(selector.child_by_field_name("field")) not in resource.release_methods:
        return None
    return call
