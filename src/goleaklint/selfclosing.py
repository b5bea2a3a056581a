"""Same-package functions that close what they return: ``resp`` read and closed before it is
returned for its status, ``defer f.Close()``, or a cleanup handed over with the value. Their
callers get nothing to close, so such a function is no opener (GL201)."""

from __future__ import annotations

from .flow import CFG, Block, flows
from .flowrule import reached_before_reassignment, statement_of, went_wrong
from .model import FileModel, Package, innermost_function
from .ownership import Resource, mentions
from .syntax import Node, text


def closed_for_caller(call: Node, name: str, resource: Resource, f: FileModel,
                      pkg: Package) -> bool:
    """Whether the function around ``call`` (``name, err := call``) releases ``name`` for its
    caller: a deferred close (``defer name.Close()``, also in a deferred literal); a function
    literal or method value that closes it handed over with it (``return f, func() {
    f.Close() }``, ``return f, f.Close``, ``t.Cleanup(func() { f.Close() })``); or a close on
    every path from ``call`` to each return that returns ``name``."""
    function = innermost_function(call)
    body = function.child_by_field_name("body") if function is not None else None
    if function is None or body is None:
        return False
    closes: list[Node] = []
    for m in mentions(body, name):
        close = close_of(m, resource)
        if close is None:
            continue
        if close.type == "selector_expression":  # a method value: f.Close
            if _handed_over(close, body):
                return True
            continue
        parent = close.parent
        if parent is not None and parent.type == "defer_statement":
            return True
        literal = enclosing_literal(close, body)
        if literal is None:
            closes.append(close)
        elif deferred_literal(literal) or _handed_over(literal, body):
            return True
    return bool(closes) and _closed_before_returns(call, name, closes, function, f, pkg)


def _closed_before_returns(call: Node, name: str, closes: list[Node], function: Node,
                           f: FileModel, pkg: Package) -> bool:
    """No path from ``call`` reaches a ``return`` of ``name`` without passing a close."""
    statement, left = statement_of(call)
    if statement is None or left is None:
        return False
    cfg: CFG = pkg.facts.get(flows).graph(function, f)
    start = cfg.block_of(statement)
    if start is None:
        return False
    targets = left.named_children
    err = text(targets[-1]) if len(targets) > 1 else ""
    first_checks = reached_before_reassignment(cfg, start, err, function) if err else set()
    closing = {id(b) for b in (cfg.block_of(c) for c in closes) if b is not None}

    def dead(block: Block, label: bool | None) -> bool:
        return went_wrong(block, label, err if id(block) in first_checks or block is start
                          else "", name)

    stack = [succ for succ, label in start.succs if not dead(start, label)]
    seen: set[int] = set()
    while stack:
        block = stack.pop()
        if id(block) in seen or id(block) in closing or block is cfg.noreturn:
            continue
        seen.add(id(block))
        node = block.node
        if node is not None and node.type == "return_statement" and _returns(node, name):
            return False
        stack.extend(succ for succ, label in block.succs if not dead(block, label))
    return True


def _returns(statement: Node, name: str) -> bool:
    values = next((c for c in statement.named_children if c.type == "expression_list"), None)
    return values is not None and any(
        v.type == "identifier" and text(v) == name for v in values.named_children)


def close_of(ident: Node, resource: Resource) -> Node | None:
    """The ``name.Close()`` call (or the ``name.Close`` method value) ``ident`` starts."""
    node = ident
    parent = node.parent
    if resource.through_field and parent is not None and parent.type == "selector_expression" and (
        text(parent.child_by_field_name("field")) == resource.through_field
    ):
        node = parent
    selector = node.parent
    if selector is None or selector.type != "selector_expression" or text(
        selector.child_by_field_name("field")
    ) not in resource.release_methods:
        return None
    call = selector.parent
    if call is not None and call.type == "call_expression":
        return call
    return selector


def enclosing_literal(node: Node, body: Node) -> Node | None:
    """The outermost function literal around ``node`` inside ``body``."""
    found = None
    parent = node.parent
    while parent is not None and parent.id != body.id:
        if parent.type == "func_literal":
            found = parent
        parent = parent.parent
    return found


def deferred_literal(literal: Node) -> bool:
    """``defer func() { … }()``."""
    call = literal.parent
    return call is not None and call.type == "call_expression" and (
        call.parent is not None and call.parent.type == "defer_statement")


def _handed_over(value: Node, body: Node) -> bool:
    """``value`` is returned or passed to a call, directly or through the local it is bound
    to (``cleanup := func() {…}; …; return f, cleanup``)."""
    parent = value.parent
    if parent is None:
        return False
    if parent.type == "argument_list":
        return True
    holder = parent.parent
    if parent.type != "expression_list" or holder is None:
        return False
    if holder.type == "return_statement":
        return True
    if holder.type not in ("short_var_declaration", "assignment_statement") or (
        holder.child_by_field_name("right") != parent
    ):
        return False
    left = holder.child_by_field_name("left")
    index = [c.id for c in parent.named_children].index(value.id)
    if left is None or index >= left.named_child_count:
        return False
    target = left.named_children[index]
    if target.type != "identifier":
        return True  # stored in a field or map: someone calls it later
    return any(_returned_or_passed(m) for m in mentions(body, text(target))
               if m.id != target.id)


def _returned_or_passed(ident: Node) -> bool:
    parent = ident.parent
    if parent is None:
        return False
    if parent.type == "argument_list":
        return True
    return parent.type == "expression_list" and parent.parent is not None and (
        parent.parent.type == "return_statement")
