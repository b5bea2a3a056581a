"""How a goroutine's loop can end: endless ``for { … }``, a return or break out of it (an edge
out of the loop in the function's control-flow graph, flow.py), a quit receive (GL302-GL304);
and whether a loop never ends at all (GL204)."""

from __future__ import annotations

from .channels import is_quit_receive, local_bindings
from .flow import FlowCache
from .localtypes import expression_type
from .model import FileModel, Package, resolve_selector
from .syntax import Node, text

TICK = "time.Tick"
TICKER = "time.Ticker"


def leaves_early(flows: FlowCache, f: FileModel, loop: Node) -> bool:
    """A return, a break or continue of an outer statement, or a goto out of the loop inside
    its body (first-response-wins): an edge out of the loop in its function's graph."""
    return bool(early_exits(flows, f, loop))


def early_exits(flows: FlowCache, f: FileModel, loop: Node) -> list[Node]:
    """The statements of the loop's body that leave it (see ``CFG.leaving``)."""
    function = f.innermost_function(loop)
    if function is None:
        return []
    return [b.node for b in flows.graph(function, f).leaving(loop) if b.node is not None]


def is_endless(loop: Node) -> bool:
    """``for { … }``: no condition, no clause."""
    body = loop.child_by_field_name("body")
    return all(c.type == "comment" or c == body for c in loop.named_children)


def never_left(flows: FlowCache, f: FileModel, loop: Node) -> bool:
    """``for { … }`` with no way out in its function's graph: no return, no break, continue
    or goto out of it, no call that never returns (``panic``, ``os.Exit``, ``t.Fatal``).
    Once entered, it turns until the process ends (or blocks for good)."""
    function = f.innermost_function(loop)
    if function is None or not is_endless(loop):
        return False
    return not flows.graph(function, f).leaving(loop, ending=True)


def has_exit(flows: FlowCache, f: FileModel, loop: Node) -> bool:
    """A way out of the loop (``leaves_early``), or a quit receive inside it."""
    inner = loop.child_by_field_name("body")
    if inner is None:
        return False
    return leaves_early(flows, f, loop) or is_quit_receive(f, inner)


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
        for _, names, vals in local_bindings(f, function):
            for i, n in enumerate(names):
                if text(n) == name:
                    values.append(vals[i] if len(vals) == len(names) else None)
        function = f.innermost_function(function)  # a captured local: the outer function
    return bool(values) and all(
        v is not None and v.type == "call_expression" and resolve_selector(f, v, pkg) == TICK
        for v in values)
