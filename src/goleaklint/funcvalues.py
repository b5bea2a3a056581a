"""Which function literal a local function value holds where it is read (``cleanup()``).

Read straight-line: the last statement before the read, in a block around it, that binds the
name, when nothing else may bind it in between (a binding inside an earlier branch, loop or
closure, or anywhere in a loop around the read). A read inside a function literal happens when
the literal runs: it is known only when every binding of the name assigns one literal.
"""

from __future__ import annotations

from .channels import local_literal
from .model import FUNCTION_NODES, FileModel
from .syntax import Node, text

_BINDING_STATEMENTS = frozenset({"short_var_declaration", "assignment_statement"})


def held_literal(f: FileModel, ident: Node) -> Node | None:
    """The function literal local variable ``ident`` holds where it is read, or None when that
    is not known (a parameter, a value from elsewhere, bindings in branches, a literal read
    inside another)."""
    name = text(ident)
    node = ident
    while node.parent is not None:
        parent = node.parent
        if parent.type in FUNCTION_NODES:
            if _declares(parent, name) or parent.type != "func_literal":
                return None  # a parameter, or never bound before the read
            return _only_literal(f, ident, parent)
        if parent.type == "for_statement" and _binds(f, parent, name):
            return None  # bound again later in the loop: an earlier iteration's value
        for sibling in reversed(parent.children[:_index(parent, node)]):
            value = _bound_to(sibling, name)
            if value is not None:
                return value if value.type == "func_literal" else None
            if _binds(f, sibling, name):
                return None  # bound in a branch, loop or closure before the read
        node = parent
    return None


def _only_literal(f: FileModel, ident: Node, literal: Node) -> Node | None:
    """The one literal every binding of ``ident``'s name gives it, in the outermost function
    around ``literal``, unless a function on the way declares the name as a parameter."""
    outer = literal
    node = literal.parent
    while node is not None:
        if node.type in FUNCTION_NODES:
            if _declares(node, text(ident)):
                return None
            outer = node
        node = node.parent
    return local_literal(f, ident, outer)


def _index(parent: Node, child: Node) -> int:
    for i, c in enumerate(parent.children):
        if c.id == child.id:
            return i
    return 0


def _bound_to(statement: Node, name: str) -> Node | None:
    """The value ``statement`` (``name = v``, ``name := v``, ``var name = v``) gives ``name``;
    a non-literal node when it binds ``name`` to something else or to nothing known."""
    if statement.type in _BINDING_STATEMENTS:
        left, right = (statement.child_by_field_name(k) for k in ("left", "right"))
        names = left.named_children if left is not None else []
        values = [v for v in right.named_children if v.type != "comment"] if right else []
    elif statement.type == "var_declaration":
        specs = [s for s in statement.named_children if s.type == "var_spec"]
        if len(specs) != 1:
            return statement if any(_spec_names(s, name) for s in specs) else None
        names = specs[0].children_by_field_name("name")
        right = specs[0].child_by_field_name("value")
        values = [v for v in right.named_children if v.type != "comment"] if right else []
    else:
        return None
    for i, n in enumerate(names):
        if n.type == "identifier" and text(n) == name:
            return values[i] if len(values) == len(names) else statement
    return None


def _spec_names(spec: Node, name: str) -> bool:
    return any(text(n) == name for n in spec.children_by_field_name("name"))


def _binds(f: FileModel, scope: Node, name: str) -> bool:
    """Whether anything under ``scope`` binds ``name`` or takes its address."""
    spelled = name.encode()
    for ident in f.captures("(identifier) @i", scope).get("i", []):
        if ident.text != spelled or ident.parent is None:
            continue
        parent = ident.parent
        if parent.type == "unary_expression" and text(parent).startswith("&"):
            return True
        if parent.type in ("var_spec", "range_clause"):
            return True
        holder = parent.parent
        if parent.type == "expression_list" and holder is not None and holder.type in (
                _BINDING_STATEMENTS | {"range_clause"}) and (
                holder.child_by_field_name("left") == parent):
            return True
    return False


def _declares(function: Node, name: str) -> bool:
    """Whether ``function`` has a parameter, receiver or named result called ``name``."""
    for field in ("receiver", "parameters", "result"):
        params = function.child_by_field_name(field)
        for p in params.named_children if params is not None else []:
            if p.type in ("parameter_declaration", "variadic_parameter_declaration") and any(
                    text(n) == name for n in p.children_by_field_name("name")):
                return True
    return False
