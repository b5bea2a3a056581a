"""Package facts about long-lived state, shared by the retention rules (GL101-GL103, GL401).

* which functions run only at initialisation (``init``, var initialisers, helpers only they
  call, ``Register…`` functions);
* which struct types have only package-level instances;
* ``Resolver``: what an expression denotes in terms of package-level state (a ``Ref``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import FileModel, Package, receiver_name, receiver_type_name
from .syntax import Node, captures, text
from .types import UNKNOWN, TypeRef

REGISTRATION = re.compile(r"^(Must)?[Rr]egister")
_FUNCTION_CONTEXTS = frozenset({"function_declaration", "method_declaration", "func_literal"})

_INSTANTIATIONS = """
(composite_literal type: (type_identifier) @lit)
(composite_literal type: (generic_type type: (type_identifier) @lit))
(call_expression function: (identifier) @fn arguments: (argument_list . (type_identifier) @new))
(var_spec type: (type_identifier) @var)
(field_declaration type: (type_identifier) @field)
"""


def context_of(node: Node) -> Node | None:
    """The function whose execution runs ``node``: the nearest function declaration or literal.

    None means package-level initialisation (a var initialiser outside any function).
    A literal called on the spot (``func() { … }()``) runs in its own enclosing context.
    """
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTION_CONTEXTS:
            if parent.type == "func_literal" and _invoked_in_place(parent):
                parent = parent.parent
                continue
            return parent
        parent = parent.parent
    return None


def _invoked_in_place(literal: Node) -> bool:
    call = literal.parent
    while call is not None and call.type == "parenthesized_expression":
        call = call.parent
    return call is not None and call.type == "call_expression" and (
        call.child_by_field_name("function") is not None
        and call.child_by_field_name("function").start_byte == literal.start_byte
    )


def is_init_time(pkg: Package, node: Node) -> bool:
    """True when ``node`` only runs while the package initialises (or registers plugins)."""
    ctx = context_of(node)
    if ctx is None:
        return True
    if ctx.type == "func_literal":
        return False
    return ctx.id in _init_functions(pkg)


def _init_functions(pkg: Package) -> set[int]:
    """Node ids of the function declarations that run only at init time."""
    cached = pkg.facts.get("init_functions")
    if cached is not None:
        return cached
    by_name = {name: d for name, d in pkg.funcs.items()}
    init_decls: list[tuple[FileModel, Node]] = []
    for f in pkg.files:
        for decl in f.root.named_children:
            if decl.type == "function_declaration" and text(decl.child_by_field_name("name")) == "init":
                init_decls.append((f, decl))
    init_names = {n for n in by_name if REGISTRATION.match(n)}
    marks: set[int] = set()

    def mark(node: Node) -> None:
        marks.add(node.id)

    for _, decl in init_decls:
        mark(decl)
    for name in init_names:
        mark(by_name[name].node)
    pkg.facts["init_functions"] = marks
    # Unexported helpers whose every call runs at init time, to a fixpoint.
    changed = True
    while changed:
        changed = False
        for name, decl in by_name.items():
            if name in init_names or name[:1].isupper() or name == "main":
                continue
            sites = pkg.call_sites.get(name, [])
            if sites and all(is_init_time(pkg, call) for _, call in sites):
                init_names.add(name)
                mark(decl.node)
                changed = True
    return marks


def global_only_types(pkg: Package) -> frozenset[str]:
    """Struct (or map) types of the package whose every instance is package-level."""
    cached = pkg.facts.get("global_only_types")
    if cached is not None:
        return cached
    held_globally: set[str] = set()
    for name in pkg.vars:
        t = pkg.var_type(name).deref()
        if t.kind == "named" and t.name in pkg.types:
            held_globally.add(t.name)
    elsewhere: set[str] = set()
    for f in pkg.files:
        caps = captures(_INSTANTIATIONS, f.root)
        for node in caps.get("lit", []):
            if not is_init_time(pkg, node):
                elsewhere.add(text(node))
        for node in caps.get("new", []):
            call = node.parent.parent
            fn = call.child_by_field_name("function") if call is not None else None
            if fn is not None and text(fn) == "new" and not is_init_time(pkg, node):
                elsewhere.add(text(node))
        for node in caps.get("var", []):
            if context_of(node) is not None and not is_init_time(pkg, node):
                elsewhere.add(text(node))
        for node in caps.get("field", []):
            elsewhere.add(text(node))
    result = frozenset(held_globally - elsewhere)
    pkg.facts["global_only_types"] = result
    return result


@dataclass(frozen=True)
class Ref:
    """What an expression denotes: a path from a package-level root, its type, and whether the
    value it reaches is long-lived (held by a package-level variable).

    Paths are normalised so that every way to reach the same state compares equal: through a
    named struct or map type of the package the path restarts at ``("type", Name)``.
    """

    path: tuple[str, ...]
    type: TypeRef
    long_lived: bool
    decl: tuple[FileModel, Node] | None = None  # where the final element is declared


class Resolver:
    """Resolves expressions of one function to ``Ref``s (receivers, aliases, fields, indexes)."""

    def __init__(self, pkg: Package, f: FileModel, function: Node | None) -> None:
        self.pkg = pkg
        self.file = f
        self.aliases: dict[str, Ref] = {}
        self.receiver = ""
        self.receiver_type = ""
        if function is not None and function.type == "method_declaration":
            self.receiver = receiver_name(function)
            self.receiver_type = receiver_type_name(function)

    def normalise(self, path: tuple[str, ...], t: TypeRef) -> tuple[str, ...]:
        named = t.deref()
        if named.kind == "named" and named.name in self.pkg.types:
            if self.pkg.underlying(named).kind in ("struct", "map"):
                return ("type", named.name)
        return path

    def resolve(self, expr: Node | None) -> Ref | None:
        """The ``Ref`` of an expression, or None when it is not reached from package state."""
        if expr is None:
            return None
        kind = expr.type
        if kind == "parenthesized_expression" and expr.named_child_count:
            return self.resolve(expr.named_children[0])
        if kind == "unary_expression" and text(expr.child_by_field_name("operator")) in ("*", "&"):
            return self.resolve(expr.child_by_field_name("operand"))
        if kind == "identifier":
            return self._identifier(expr)
        if kind == "selector_expression":
            owner = self.resolve(expr.child_by_field_name("operand"))
            if owner is None:
                return None
            name = text(expr.child_by_field_name("field"))
            ftype = self.pkg.field_type(owner.type, name)
            if ftype.kind == "unknown":
                return None
            path = self.normalise(owner.path + (name,), ftype)
            return Ref(path, ftype, owner.long_lived, self._field_decl(owner.type, name))
        if kind == "index_expression":
            container = self.resolve(expr.child_by_field_name("operand"))
            if container is None:
                return None
            under = self.pkg.underlying(container.type.deref())
            if under.kind != "map" or under.elem is None:
                return None
            elem = under.elem
            return Ref(container.path, elem, container.long_lived, container.decl)
        return None

    def _identifier(self, ident: Node) -> Ref | None:
        name = text(ident)
        if self.file.is_local(ident):
            if name in self.aliases:
                return self.aliases[name]
            if name == self.receiver and self.receiver_type in self.pkg.types:
                t = TypeRef("named", name=self.receiver_type)
                return Ref(
                    self.normalise(("recv", name), t), t,
                    self.receiver_type in global_only_types(self.pkg),
                    (self.pkg.types[self.receiver_type].file, self.pkg.types[self.receiver_type].node),
                )
            return None
        decl = self.pkg.vars.get(name)
        if decl is None:
            return None
        t = self.pkg.var_type(name)
        if t is UNKNOWN:
            return None
        return Ref(self.normalise(("var", name), t), t, True, (decl.file, decl.node))

    def _field_decl(self, owner: TypeRef, name: str) -> tuple[FileModel, Node] | None:
        named = owner.deref()
        decl = self.pkg.types.get(named.name) if named.kind == "named" else None
        if decl is None:
            return None
        for field in captures("(field_identifier) @f", decl.node).get("f", []):
            if text(field) == name and field.parent is not None and field.parent.type == "field_declaration":
                return (decl.file, field)
        return None
