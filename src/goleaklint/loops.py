"""Can a statement run again in the same call of its function? Answers for rules about loops.

GL204 (a ``defer`` in a loop) and GL205 (``time.After`` in a ``select`` in a loop) ask the same
question: once the statement has run, can control come back to it before the function returns?
It is a query on the function's control-flow graph (flow.py: ``CFG.comes_back``), where
``break``/``continue`` with their targets, ``goto``, ``return`` and calls that never return
(noreturn.py) are judged once for every rule. What the graph cannot see stays here: an ``if``
that lets its body run once however often the loop turns (``if conn == nil { conn = … }``).

A function literal is a boundary: its body runs in a call of its own.
"""

from __future__ import annotations

from .flow import FlowCache
from .model import FUNCTION_NODES, FileModel
from .syntax import Node, text


def repeating_loop(flows: FlowCache, file: FileModel, stmt: Node,
                   cases: list[Node] | None = None) -> Node | None:
    """The innermost loop around ``stmt`` that control can go round again after it, in the
    function's control-flow graph (``CFG.comes_back``); None when ``stmt`` runs at most once
    per call, or when an enclosing ``if`` between it and that loop is a once-guard.

    For a ``select``, ``cases`` are the clauses that may win (the others are not followed)."""
    function = file.innermost_function(stmt)
    if function is None:
        return None
    cfg = flows.graph(function, file)
    block = cfg.heads.get(stmt.id) if cases is not None else cfg.by_node.get(stmt.id)
    if block is None:
        return None
    starts = None if cases is None else [cfg.cases[c.id] for c in cases if c.id in cfg.cases]
    for loop in enclosing_loops(stmt):
        if cfg.comes_back(block, loop, starts):
            return None if _guarded_once(stmt, loop) else loop
    return None


def _guarded_once(stmt: Node, loop: Node) -> bool:
    """An ``if`` between ``stmt`` and ``loop`` whose then-branch holding it runs once."""
    cur = stmt
    parent = cur.parent
    while parent is not None and parent.id != loop.id:
        if parent.type == "if_statement" and _once_guard(parent, cur):
            return True
        cur, parent = parent, parent.parent
    return False


ZERO_VALUES = frozenset({"nil", '""', "``", "0", "false"})


def _once_guard(stmt: Node, branch: Node) -> bool:
    """An ``if`` whose then-branch holding ``branch`` makes its own condition false, for a
    variable that lives across iterations: ``if x == nil { x = … }``, ``if first { first =
    false }``, ``if !done { done = true }``.  Its body runs once however often the loop turns.
    """
    then = stmt.child_by_field_name("consequence")
    cond = stmt.child_by_field_name("condition")
    if then is None or cond is None or then.id != branch.id:
        return False
    while cond.type == "parenthesized_expression" and cond.named_child_count:
        cond = cond.named_children[0]
    guarded: Node | None = cond
    if cond.type == "unary_expression" and text(cond.child_by_field_name("operator")) == "!":
        guarded = cond.child_by_field_name("operand")
    elif cond.type == "binary_expression" and text(cond.child_by_field_name("operator")) == "==":
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if left is not None and right is not None and text(left) in ZERO_VALUES:
            left, right = right, left
        if right is None or text(right) not in ZERO_VALUES:
            return False
        guarded = left
    if guarded is None or guarded.type not in ("identifier", "selector_expression",
                                              "unary_expression"):
        return False
    root = _root_identifier(guarded)
    if root is None or not _assigns(then, text(guarded)):
        return False
    # A variable declared in an enclosing loop is a fresh one per iteration: it guards nothing.
    return not any(_declares(loop, root) for loop in enclosing_loops(stmt))


def _assigns(node: Node, name: str) -> bool:
    """Whether ``name = …`` (possibly among several targets) happens under ``node``."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "assignment_statement" and text(n.child_by_field_name("operator")) == "=":
            left = n.child_by_field_name("left")
            if left is not None and any(text(t) == name for t in left.named_children):
                return True
        stack.extend(c for c in n.named_children if c.type != "func_literal")
    return False


def _declares(loop: Node, name: str) -> bool:
    """Whether ``name`` is declared in the loop's header or body (a fresh one per iteration)."""
    stack = [loop]
    while stack:
        n = stack.pop()
        if n.type in ("short_var_declaration", "range_clause"):
            left = n.child_by_field_name("left")
            if left is not None and any(text(t) == name for t in left.named_children):
                return True
        elif n.type == "var_spec" and any(
            text(c) == name for c in n.children_by_field_name("name")
        ):
            return True
        stack.extend(c for c in n.named_children if c.type != "func_literal")
    return False


def _root_identifier(expr: Node) -> str | None:
    """``r.cache`` → ``r``; ``*v.field`` → ``v``."""
    while expr.type in ("selector_expression", "unary_expression", "parenthesized_expression"):
        inner = (expr.child_by_field_name("operand")
                 or (expr.named_children[0] if expr.named_child_count else None))
        if inner is None:
            return None
        expr = inner
    return text(expr) if expr.type == "identifier" else None


def enclosing_loops(node: Node) -> list[Node]:
    """The ``for`` statements whose body holds ``node``, innermost first, up to the function."""
    loops = []
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_NODES:
        if parent.type == "for_statement":
            loops.append(parent)
        parent = parent.parent
    return loops


def loop_header(loop: Node, limit: int = 60) -> str:
    """``for _, name := range names`` — a loop as the reader knows it, on one line."""
    body = loop.child_by_field_name("body")
    end = body.start_byte if body is not None else loop.end_byte
    raw = (loop.text or b"")[: end - loop.start_byte].decode("utf-8", "replace")
    header = " ".join(raw.split()) or "for"
    if header == "for":
        return "for { … }"
    return header if len(header) <= limit else header[: limit - 1].rstrip() + "…"
