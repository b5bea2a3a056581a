"""Same-package functions that close what they return: ``resp`` read and closed before it is
returned for its status, ``defer f.Close()``, or a cleanup handed over with the value. Their
callers get nothing to close, so such a function is no opener (GL201)."""

from __future__ import annotations

from .callees import mentions
from .flow import CFG, Block, flows
from .flowrule import reached_before_reassignment, statement_of, went_wrong
from .model import FileModel, Package
from .ownership import Resource, handed_over
from .syntax import Node, text


def closed_for_caller(call: Node, name: str, resource: Resource, f: FileModel,
                      pkg: Package) -> bool:
    """Whether the function around ``call`` (``name, err := call``) releases ``name`` for its
    caller: a deferred close (``defer name.Close()``, also in a deferred literal); a function
    literal or method value that closes it handed over with it (``return f, func() {
    f.Close() }``, ``return f, f.Close``, ``t.Cleanup(func() { f.Close() })``); or a close on
    every path from ``call`` to each return that returns ``name``."""
    function = f.innermost_function(call)
    body = function.child_by_field_name("body") if function is not None else None
    if function is None or body is None:
        return False
    closes: list[Node] = []
    for m in mentions(f, body, name):
        close = close_of(m, resource)
        if close is None:
            if _closing_argument(m, resource, f, pkg):
                closes.append(m)
            continue
        if close.type == "selector_expression":  # a method value: f.Close
            if handed_over(f, close, body):
                return True
            continue
        parent = close.parent
        if parent is not None and parent.type == "defer_statement":
            return True
        literal = enclosing_literal(close, body)
        if literal is None:
            closes.append(close)
        elif deferred_literal(literal) or handed_over(f, literal, body):
            return True
    return bool(closes) and _closed_before_returns(call, name, closes, function, f, pkg)


def _closing_argument(ident: Node, resource: Resource, f: FileModel, pkg: Package) -> bool:
    """``check(resp)`` where ``check`` is a function of the package that calls ``Close`` on
    that parameter (on some path of its own)."""
    node = ident
    parent = node.parent
    if resource.through_field and parent is not None and parent.type == "selector_expression" and (
        text(parent.child_by_field_name("field")) == resource.through_field
    ):
        node, parent = parent, parent.parent
    if parent is None or parent.type != "argument_list" or parent.parent is None:
        return False
    fn = parent.parent.child_by_field_name("function")
    if fn is None or fn.type != "identifier" or f.is_local(fn):
        return False
    decl = pkg.funcs.get(text(fn))
    if decl is None:
        return False
    index = [c.id for c in parent.named_children].index(node.id)
    params = decl.node.child_by_field_name("parameters")
    names = [text(n) for p in (params.named_children if params is not None else [])
             for n in p.children_by_field_name("name")]
    body = decl.node.child_by_field_name("body")
    if index >= len(names) or body is None:
        return False
    return any(close_of(m, resource) is not None for m in mentions(f, body, names[index]))


def _closed_before_returns(call: Node, name: str, closes: list[Node], function: Node,
                           f: FileModel, pkg: Package) -> bool:
    """No path from ``call`` reaches a ``return`` of ``name`` without passing a close; or one
    does after a close (the function hands back closed values too: its callers know when)."""
    statement, left = statement_of(call)
    if statement is None or left is None:
        return False
    cfg: CFG = pkg.facts.get(flows).graph(function, f)
    start = cfg.block_of(statement)
    if start is None:
        return False
    targets = left.named_children
    err = text(targets[-1]) if len(targets) > 1 else ""
    first_checks = reached_before_reassignment(f, cfg, start, err, function) if err else set()
    closing = {id(b) for b in (cfg.block_of(c) for c in closes) if b is not None}

    def dead(block: Block, label: bool | None) -> bool:
        return went_wrong(block, label, err if id(block) in first_checks or block is start
                          else "", name)

    open_return = after_close = False
    stack = [(succ, False) for succ, label in start.succs if not dead(start, label)]
    seen: set[tuple[int, bool]] = set()
    while stack:
        block, closed = stack.pop()
        closed = closed or id(block) in closing
        if (id(block), closed) in seen or block is cfg.noreturn:
            continue
        seen.add((id(block), closed))
        node = block.node
        if node is not None and node.type == "return_statement" and _returns(node, name):
            after_close = after_close or closed
            open_return = open_return or not closed
        stack.extend((succ, closed) for succ, label in block.succs if not dead(block, label))
    return after_close or not open_return


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
