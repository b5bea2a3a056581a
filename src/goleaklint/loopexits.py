"""How a goroutine's loop can end: endless ``for { … }``, a return or break out of it, a quit
receive (GL302-GL304)."""

from __future__ import annotations

from .channels import is_quit_receive
from .model import FUNCTION_NODES
from .syntax import Node, captures, text


def leaves_early(loop: Node) -> bool:
    """A return or a break out of the loop inside its body (first-response-wins)."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for stmt in captures("[(return_statement) (break_statement) (goto_statement)] @s",
                         body).get("s", []):
        if escapes_loop(stmt, loop):
            return True
    return False


def escapes_loop(stmt: Node, loop: Node) -> bool:
    if stmt.type in ("break_statement", "goto_statement") and stmt.named_child_count:
        label = text(stmt.named_children[0])
        inner = loop.child_by_field_name("body")
        for labeled in captures("(labeled_statement label: (label_name) @l)",
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


def has_exit(loop: Node, body: Node) -> bool:
    """A return, a break out of the loop, or a quit receive inside it."""
    inner = loop.child_by_field_name("body")
    if inner is None:
        return False
    return leaves_early(loop) or is_quit_receive(inner)
