"""How a goroutine's loop can end: endless ``for { … }``, a return or break out of it, a quit
receive (GL302-GL304)."""

from __future__ import annotations

from .channels import is_quit_receive
from .localtypes import expression_type
from .model import FUNCTION_NODES, FileModel, Package, resolve_selector
from .syntax import Node, text

TICK = "time.Tick"
TICKER = "time.Ticker"


def leaves_early(f: FileModel, loop: Node) -> bool:
    """A return or a break out of the loop inside its body (first-response-wins)."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for stmt in f.captures("[(return_statement) (break_statement) (goto_statement)] @s",
                           body).get("s", []):
        if escapes_loop(f, stmt, loop):
            return True
    return False


def escapes_loop(f: FileModel, stmt: Node, loop: Node) -> bool:
    if stmt.type in ("break_statement", "goto_statement") and stmt.named_child_count:
        label = text(stmt.named_children[0])
        inner = loop.child_by_field_name("body")
        for labeled in f.captures("(labeled_statement label: (label_name) @l)",
                                  inner).get("l", []) if inner is not None else []:
            if text(labeled) == label:
                return False  # the label is inside the loop: it stays in it
    parent = stmt.parent
    while parent is not None and parent.id != loop.id:
        if parent.type in FUNCTION_NODES:
            return False
        if stmt.type == "break_statement" and not stmt.named_child_count and parent.type in (
            "for_statement", "expression_switch_statement", "type_switch_statement",
            "select_statement"):
            return False
        parent = parent.parent
    return True


def is_endless(loop: Node) -> bool:
    """``for { … }``: no condition, no clause."""
    body = loop.child_by_field_name("body")
    return all(c.type == "comment" or c == body for c in loop.named_children)


def has_exit(f: FileModel, loop: Node, body: Node) -> bool:
    """A return, a break out of the loop, or a quit receive inside it."""
    inner = loop.child_by_field_name("body")
    if inner is None:
        return False
    return leaves_early(f, loop) or is_quit_receive(f, inner)


def ranges_over_ticker(loop: Node, f: FileModel, pkg: Package) -> bool:
    """``for … range`` over a ticker's channel: ``time.Tick(d)``, a local bound only to
    ``time.Tick(d)``, or ``t.C`` of a ``*time.Ticker`` (from ``time.NewTicker``, a parameter,
    a field). ``Stop`` never closes that channel, so the loop ends only by a return or break."""
    clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    right = clause.child_by_field_name("right") if clause is not None else None
    while right is not None and right.type == "parenthesized_expression":
        right = right.named_children[0] if right.named_child_count else None
    if right is None:
        return False
    if right.type == "call_expression":
        return resolve_selector(f, right, pkg) == TICK
    if right.type == "identifier":
        return f.is_local(right) and _bound_only_to_tick(right, f, pkg)
    if right.type == "selector_expression" and text(right.child_by_field_name("field")) == "C":
        owner = expression_type(right.child_by_field_name("operand"), pkg, f).deref()
        return owner.qualified_name == TICKER
    return False


def _bound_only_to_tick(ident: Node, f: FileModel, pkg: Package) -> bool:
    """Every binding of local ``ident`` in its function (``:=``, ``=``, ``var``) is a
    ``time.Tick(…)`` call."""
    function = f.innermost_function(ident)
    name = text(ident)
    values: list[Node | None] = []
    while function is not None and not values:
        body = function.child_by_field_name("body")
        for holder in f.captures("[(short_var_declaration) (assignment_statement) (var_spec)] @h",
                                 body).get("h", []) if body is not None else []:
            if holder.type == "var_spec":
                names = holder.children_by_field_name("name")
                right = holder.child_by_field_name("value")
            else:
                left = holder.child_by_field_name("left")
                names = left.named_children if left is not None else []
                right = holder.child_by_field_name("right")
            for i, n in enumerate(names):
                if text(n) == name:
                    vals = right.named_children if right is not None else []
                    values.append(vals[i] if len(vals) == len(names) else None)
        function = f.innermost_function(function)  # a captured local: the outer function
    return bool(values) and all(
        v is not None and v.type == "call_expression" and resolve_selector(f, v, pkg) == TICK
        for v in values)
