"""How a function literal uses a buffer it captures: all of it, or only a little of it.

GL401 asks it of a closure that captures a whole large buffer: a closure that reads the buffer
(replays it, writes it back, serves it, scans with it, slices it at offsets it is given) needs
all of it and holds it by design; one that only asks its length, reads a fixed part of it
(``b[:16]``, ``b[0]``, ``b[len(b)-8:]``) or never reads it keeps the whole buffer alive for
nothing.
"""

from __future__ import annotations

from .constants import const_int
from .model import FileModel, Package
from .syntax import Node, text

WHOLE = "whole"  # the closure reads the buffer: it needs all of it
LENGTH = "length"  # only len(b) / cap(b)
FIXED = "fixed"  # only fixed parts: b[0], b[:16], b[len(b)-8:] (and len/cap)
UNREAD = "unread"  # only assigned to: never read

_SIZES = frozenset({"len", "cap"})


def closure_use(uses: list[Node], f: FileModel, pkg: Package) -> str:
    """The least the closure needs of the buffer named by ``uses`` (its identifiers inside the
    literal): WHOLE, FIXED, LENGTH or UNREAD."""
    kinds = {_use(ident, f, pkg) for ident in uses}
    for kind in (WHOLE, FIXED, LENGTH):
        if kind in kinds:
            return kind
    return UNREAD


def _use(ident: Node, f: FileModel, pkg: Package) -> str:
    node, parent = ident, ident.parent
    while parent is not None and parent.type == "parenthesized_expression":
        node, parent = parent, parent.parent
    if parent is None:
        return WHOLE
    if parent.type == "argument_list" and _is_size_call(parent.parent, f):
        return LENGTH
    if parent.type == "expression_list" and _assigned(parent, node):
        return UNREAD
    if parent.type == "index_expression" and _same(parent.child_by_field_name("operand"), node):
        index = parent.child_by_field_name("index")
        return FIXED if _fixed(index, text(ident), f, pkg) else WHOLE
    if parent.type == "slice_expression" and _same(parent.child_by_field_name("operand"), node):
        bounds = [parent.child_by_field_name(k) for k in ("start", "end", "capacity")]
        given = [b for b in bounds if b is not None]
        if given and all(_fixed(b, text(ident), f, pkg) for b in given):
            return FIXED
        return WHOLE
    return WHOLE


def _fixed(expr: Node | None, name: str, f: FileModel, pkg: Package) -> bool:
    """A bound that does not depend on the closure's inputs: a constant, ``len(name)``, or
    ``len(name)`` plus or minus a constant."""
    if expr is None:
        return False
    if const_int(pkg, f, expr) is not None:
        return True
    if expr.type == "parenthesized_expression" and expr.named_child_count == 1:
        return _fixed(expr.named_children[0], name, f, pkg)
    if expr.type == "call_expression" and _is_size_call(expr, f):
        args = expr.child_by_field_name("arguments")
        values = [a for a in args.named_children if a.type != "comment"] if args else []
        return len(values) == 1 and text(values[0]) == name
    operator = expr.child_by_field_name("operator")
    if expr.type == "binary_expression" and text(operator) in ("+", "-"):
        left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
        return _fixed(left, name, f, pkg) and _fixed(right, name, f, pkg)
    return False


def _is_size_call(call: Node | None, f: FileModel) -> bool:
    if call is None or call.type != "call_expression":
        return False
    fn = call.child_by_field_name("function")
    return fn is not None and fn.type == "identifier" and text(fn) in _SIZES and not f.is_local(fn)


def _assigned(values: Node, node: Node) -> bool:
    """``node`` is a target of an assignment (``b = nil``), not a read."""
    statement = values.parent
    return statement is not None and statement.type == "assignment_statement" and _same(
        statement.child_by_field_name("left"), values
    ) and text(statement.child_by_field_name("operator")) == "="


def _same(a: Node | None, b: Node) -> bool:
    return a is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte
