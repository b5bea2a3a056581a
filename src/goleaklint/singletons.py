"""Goroutines that live as long as the process by design (GL303, GL304).

``Register…`` functions do not count as initialisation here: a registry that starts a worker
per registration (``registerSummary``) may be called at any time.

A goroutine with no way out leaks only when more of them can be started: per call of a
constructor, per request, per test. One started once per process (from initialisation,
``main``, a package-level ``sync.Once``, a plugin's registered constructor, or behind a
package-level "already started" guard) is a daemon worker: it is meant to run until the
process ends. A goroutine that waits for OS signals (``signal.Notify``) serves the process too,
unless a constructor (``New…``) or a loop starts one per value.
"""

from __future__ import annotations

import re

from .longlived import context_of, once_argument
from .model import FUNCTION_NODES, FileModel, Package, function_name, resolve_selector
from .scope import data_driven_loops, runs_once
from .syntax import Node, text

_REGISTER = re.compile(r"^(Must)?Register\w*$")
_CONSTRUCTOR = re.compile(r"^[Nn]ew([A-Z0-9_]|$)")
_ATOMIC_WRITES = frozenset({"Store", "Swap", "CompareAndSwap", "Add"})
_WRITES = """
(assignment_statement left: (expression_list) @w)
(inc_statement) @w
(dec_statement) @w
(unary_expression operator: "&" operand: (_) @w)
(call_expression function: (selector_expression operand: (_) @x field: (field_identifier) @m))
"""
_HOLDERS = frozenset({"keyed_element", "literal_element", "literal_value", "composite_literal",
                      "unary_expression", "argument_list", "parenthesized_expression"})


def started_for_the_process(pkg: Package, f: FileModel, go_statement: Node) -> bool:
    """The ``go`` statement runs at most once per process (or once per package-level guard),
    so the goroutine it starts is a process-lifetime worker, not growth."""
    if _guarded_by_package_state(pkg, f, go_statement):
        return True
    if data_driven_loops(go_statement, f, pkg):
        return False
    if runs_once(pkg, f, go_statement, registration=False):
        return not _once_per_value(pkg, f, go_statement)
    return _plugin_constructor(pkg, f, go_statement)


def waits_for_signals(loop: Node, starter: Node, f: FileModel, names: dict[str, str]) -> bool:
    """The endless ``loop`` receives from a channel given to ``signal.Notify`` in ``starter``
    (the function with the ``go`` statement) or in the goroutine itself; ``names`` maps the
    starter's channel names to the goroutine's."""
    notified: set[str] = set()
    for scope in (starter, loop):
        for call in f.captures("(call_expression) @c", scope).get("c", []):
            if resolve_selector(f, call) not in ("os/signal.Notify", "os/signal.NotifyContext"):
                continue
            args = call.child_by_field_name("arguments")
            values = [a for a in args.named_children if a.type != "comment"] if args else []
            if values:
                notified.add(text(values[0]))
    notified |= {names[n] for n in notified if n in names}
    receives = f.captures('(unary_expression operator: "<-" operand: (_) @r)', loop).get("r", [])
    return any(text(r) in notified for r in receives)


def per_value_starter(pkg: Package, f: FileModel, go_statement: Node) -> bool:
    """The ``go`` statement runs per value: in a constructor (``New…``) or per iteration of a
    loop driven by data."""
    declaration = f.top_level_function(go_statement)
    if declaration is not None and _CONSTRUCTOR.match(function_name(declaration)):
        return True
    return bool(data_driven_loops(go_statement, f, pkg, through_literals=True))


def _once_per_value(pkg: Package, f: FileModel, node: Node) -> bool:
    """``x.once.Do(func() { … })`` with a ``Once`` of a receiver, parameter or local: once per
    value, not per process."""
    ctx = context_of(node, f)
    if ctx is None or ctx.type != "func_literal" or not once_argument(ctx):
        return False
    call = ctx.parent.parent if ctx.parent is not None else None
    fn = call.child_by_field_name("function") if call is not None else None
    root = _root(fn.child_by_field_name("operand")) if fn is not None else None
    return root is not None and root.type == "identifier" and not _package_var(pkg, f, root)


def _plugin_constructor(pkg: Package, f: FileModel, node: Node) -> bool:
    """A function literal handed to a ``Register…`` call at initialisation (a plugin's
    constructor, run once by the host)."""
    ctx = context_of(node, f)
    if ctx is None or ctx.type != "func_literal":
        return False
    parent = ctx.parent
    while parent is not None and parent.type in _HOLDERS:
        parent = parent.parent
    if parent is None or parent.type != "call_expression":
        return False
    fn = parent.child_by_field_name("function")
    name = text(fn.child_by_field_name("field")) if fn is not None and (
        fn.type == "selector_expression") else text(fn)
    return bool(_REGISTER.match(name)) and runs_once(pkg, f, parent, registration=False)


def _guarded_by_package_state(pkg: Package, f: FileModel, go_statement: Node) -> bool:
    """A one-shot guard on package-level state: ``if !started { started = true; go … }``,
    ``if x == 0 && atomic.Cas(&x, 0, 1) { go … }``, ``if ch != nil { return }; ch = …; go …``,
    or a pool topped up to a package-level count (``for n < max { go …; n++ }``)."""
    node, parent = go_statement, go_statement.parent
    while parent is not None and parent.type not in FUNCTION_NODES:
        if parent.type == "if_statement" and _same(parent.child_by_field_name("consequence"),
                                                   node):
            cond = parent.child_by_field_name("condition")
            roots = _package_roots(pkg, f, cond)
            if roots and cond is not None and roots & (
                    _written(pkg, f, cond) | _written(pkg, f, node)):
                return True
        if parent.type == "for_statement" and _same(parent.child_by_field_name("body"), node):
            roots = _package_roots(pkg, f, _loop_condition(parent))
            if roots and roots & _written(pkg, f, node):
                return True
        node, parent = parent, parent.parent
    body = parent.child_by_field_name("body") if parent is not None else None
    if body is None:
        return False
    for guard in f.captures("(if_statement) @s", body).get("s", []):
        if guard.end_byte > go_statement.start_byte or f.innermost_function(guard) != parent:
            continue
        consequence = guard.child_by_field_name("consequence")
        if consequence is None or not f.captures("(return_statement) @r", consequence).get("r"):
            continue
        roots = _package_roots(pkg, f, guard.child_by_field_name("condition"))
        if roots and roots & _written(pkg, f, body, guard.end_byte, go_statement.start_byte):
            return True
    return False


def _loop_condition(loop: Node) -> Node | None:
    for child in loop.named_children:
        if child.type == "for_clause":
            return child.child_by_field_name("condition")
        if child.type not in ("block", "range_clause", "comment"):
            return child
    return None


def _package_roots(pkg: Package, f: FileModel, expr: Node | None) -> set[str]:
    if expr is None:
        return set()
    return {text(i) for i in f.captures("(identifier) @i", expr).get("i", [])
            if _package_var(pkg, f, i)}


def _written(pkg: Package, f: FileModel, scope: Node, start: int = 0,
             end: int | None = None) -> set[str]:
    """Package-level variables written in ``scope`` (between byte offsets ``start`` and
    ``end``): assigned, incremented, addressed (``atomic.Cas(&x, …)``) or stored into
    (``x.Store(…)``)."""
    found = f.captures(_WRITES, scope)
    targets = list(found.get("w", []))
    targets += [x for x, m in zip(found.get("x", []), found.get("m", []), strict=False)
                if text(m) in _ATOMIC_WRITES]
    names: set[str] = set()
    for target in targets:
        if target.start_byte < start or (end is not None and target.start_byte >= end):
            continue
        names |= _package_roots(pkg, f, target)
    return names


def _package_var(pkg: Package, f: FileModel, ident: Node) -> bool:
    return text(ident) in pkg.vars and not f.is_local(ident)


def _root(node: Node | None) -> Node | None:
    while node is not None and node.type in ("selector_expression", "index_expression",
                                             "parenthesized_expression"):
        inner = node.child_by_field_name("operand")
        node = inner if inner is not None else (node.named_children[0]
                                                if node.named_child_count else None)
    return node


def _same(a: Node | None, b: Node) -> bool:
    return a is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte
