"""Type parameters read as their constraint's core type, from syntax.

In ``func F[T chan int](ch T)`` a ``range ch`` receives from a channel: ``T``'s constraint
admits channel types only, and Go gives ``T`` that core type.  A constraint has a core type
here when it is one type term: ``chan int``, ``~chan E``, ``interface{ ~chan int }`` or an
interface of the package made of that one term (``Stream[E]`` for ``type Stream[E any]
interface{ ~chan E }``).  ``any``, a union (``~[]int | ~chan int``),
an interface of several terms or of methods has none: the parameter stays unresolved.
"""

from __future__ import annotations

from .model import FileModel, Package
from .syntax import Node, text
from .types import UNKNOWN, TypeRef, type_from_node

_DEPTH = 8  # interfaces naming interfaces: a bound on the chain


def resolve_type_parameter(t: TypeRef, at: Node, pkg: Package, f: FileModel) -> TypeRef:
    """``t`` itself, or, when ``t`` names a type parameter in scope at ``at`` (of an
    enclosing function, or of a method's receiver type), its constraint's core type
    (UNKNOWN when the constraint has none)."""
    if t.kind != "named":
        return t
    parent = at.parent
    while parent is not None and parent.type not in ("function_declaration",
                                                     "method_declaration"):
        parent = parent.parent
    found = _function_constraint(parent, t.name, pkg, f) if parent is not None else None
    if found is None:
        return t  # not a parameter: a type of the package
    core = core_type(*found, pkg)
    return t if core.kind == "unknown" else core


def field_type_parameter(owner: TypeRef, field_type: TypeRef, pkg: Package) -> TypeRef:
    """The type of a field of the generic type ``owner`` (``type S[T chan int] struct{ c T
    }``): a field typed by one of the type's parameters reads as its constraint's core type."""
    base = owner.deref()
    decl = pkg.types.get(base.name) if base.kind == "named" else None
    if field_type.kind != "named" or decl is None:
        return field_type
    constraint = dict(_declared(decl.node)).get(field_type.name)
    core = core_type(constraint, decl.file, pkg) if constraint is not None else UNKNOWN
    return field_type if core.kind == "unknown" else core


def core_type(constraint: Node, f: FileModel, pkg: Package, _depth: int = 0) -> TypeRef:
    """The core type of a constraint node (a ``type_constraint`` or an interface's type
    element): its one type term, through ``~`` and interfaces; UNKNOWN otherwise."""
    if _depth > _DEPTH:
        return UNKNOWN
    terms = [c for c in constraint.named_children if c.type != "comment"]
    if constraint.type not in ("type_constraint", "type_elem"):
        terms = [constraint]
    if len(terms) != 1:
        return UNKNOWN  # a union, or nothing
    term = terms[0]
    if term.type == "negated_type" and term.named_child_count:  # ``~chan E``
        term = term.named_children[0]
    if term.type == "interface_type":
        return _interface_core(term, f, pkg, _depth + 1)
    if term.type == "generic_type":  # ``Stream[E]``: the package's interface, instantiated
        base = term.child_by_field_name("type")
        if base is None or base.type != "type_identifier":
            return UNKNOWN
        term = base
    if term.type == "type_identifier":
        decl = pkg.types.get(text(term))
        if decl is None:
            return UNKNOWN  # ``any``, ``comparable``, a predeclared type
        spelled = decl.node.child_by_field_name("type")
        if spelled is not None and spelled.type == "interface_type":
            return _interface_core(spelled, decl.file, pkg, _depth + 1)
    if term.type == "qualified_type":
        return UNKNOWN  # another package's type: an interface, perhaps
    return type_from_node(term, f.resolve_package)


def _interface_core(interface: Node, f: FileModel, pkg: Package, depth: int) -> TypeRef:
    """``interface{ ~chan int }``: one type element, one term. Methods beside it leave the
    core type as it is; several elements (an intersection) are not resolved."""
    elements = [c for c in interface.named_children if c.type == "type_elem"]
    if len(elements) != 1:
        return UNKNOWN
    return core_type(elements[0], f, pkg, depth)


def _function_constraint(function: Node, name: str, pkg: Package, f: FileModel
                         ) -> tuple[Node, FileModel] | None:
    """The constraint of ``function``'s type parameter ``name`` and the file it is spelled
    in: its own (``func F[T …]``), or, for a method, its receiver's (``func (s *S[T]) M()``,
    by position in ``S``'s declaration)."""
    own = dict(_declared(function)).get(name)
    if own is not None:
        return own, f
    receiver = function.child_by_field_name("receiver")
    if function.type != "method_declaration" or receiver is None:
        return None
    for param in receiver.named_children:
        spelled = param.child_by_field_name("type")
        while spelled is not None and spelled.type in ("pointer_type", "parenthesized_type"):
            spelled = spelled.named_children[0] if spelled.named_child_count else None
        if spelled is None or spelled.type != "generic_type":
            continue
        decl = pkg.types.get(text(spelled.child_by_field_name("type")))
        arguments = spelled.child_by_field_name("type_arguments")
        if decl is None or arguments is None:
            return None
        names = [text(a) for a in arguments.named_children]
        params = _declared(decl.node)
        if name in names and len(names) == len(params):
            return params[names.index(name)][1], decl.file
    return None


def _declared(owner: Node) -> list[tuple[str, Node]]:
    """The type parameters a function or type spec declares, in order, with their
    constraints (``[K comparable, V any]``, ``[A, B chan int]``)."""
    params = owner.child_by_field_name("type_parameters")
    found: list[tuple[str, Node]] = []
    for decl in params.named_children if params is not None else []:
        constraint = decl.child_by_field_name("type")
        if decl.type == "type_parameter_declaration" and constraint is not None:
            found.extend((text(n), constraint) for n in decl.children_by_field_name("name"))
    return found
