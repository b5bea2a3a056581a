"""Light types: just enough of Go's type system, read from syntax, for the rules' questions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .syntax import Node, text


@dataclass(frozen=True)
class TypeRef:
    """A type as written in the source.

    ``kind`` is one of map, slice, array, chan, pointer, named (a type of this package),
    qualified (``pkg.Name``), struct, func, interface, unknown.  ``name`` holds the type name
    (``Cache``, or ``sync.Map`` with ``package`` set to the import path for qualified types);
    ``elem`` the pointee/element (or map value) type, ``key`` a map's key type; ``fields`` an
    inline struct's fields.
    """

    kind: str
    name: str = ""
    package: str = ""
    elem: TypeRef | None = None
    key: TypeRef | None = None  # a map's key type
    fields: tuple[tuple[str, TypeRef], ...] = field(default=())

    def deref(self) -> TypeRef:
        """The pointee of a pointer type, else the type itself."""
        return self.elem if self.kind == "pointer" and self.elem is not None else self

    @property
    def qualified_name(self) -> str:
        """``import/path.Name`` for qualified types, the bare name otherwise."""
        return f"{self.package}.{self.name}" if self.package else self.name


UNKNOWN = TypeRef("unknown")

_SIMPLE_KINDS = {
    "map_type": "map",
    "slice_type": "slice",
    "array_type": "array",
    "implicit_length_array_type": "array",
    "channel_type": "chan",
    "function_type": "func",
    "interface_type": "interface",
}


# An import's name in a file -> its import path (None: no such import).
PackageResolver = Callable[[str], str | None]

# Deeper type expressions (``[][][]…int``) are UNKNOWN below this level: a bound on recursion.
MAX_TYPE_DEPTH = 32


def type_from_node(
    node: Node | None, resolve_package: PackageResolver | None = None, _depth: int = 0
) -> TypeRef:
    """The ``TypeRef`` of a type expression node.

    ``resolve_package`` maps a package identifier (import alias) to its import path.
    """
    if node is None or _depth > MAX_TYPE_DEPTH:
        return UNKNOWN
    kind = node.type
    depth = _depth + 1
    if kind == "parenthesized_type" and node.named_child_count:
        return type_from_node(node.named_children[0], resolve_package, depth)
    if kind == "pointer_type" and node.named_child_count:
        return TypeRef("pointer",
                       elem=type_from_node(node.named_children[0], resolve_package, depth))
    if kind == "generic_type":
        return type_from_node(node.child_by_field_name("type"), resolve_package, depth)
    if kind == "type_identifier":
        return TypeRef("named", name=text(node))
    if kind == "qualified_type":
        pkg = text(node.child_by_field_name("package"))
        path = resolve_package(pkg) if resolve_package else None
        name = text(node.child_by_field_name("name"))
        return TypeRef("qualified", name=name, package=path or pkg)
    if kind == "struct_type":
        return TypeRef("struct", fields=tuple(struct_fields(node, resolve_package, depth)))
    if kind in ("slice_type", "array_type", "implicit_length_array_type", "channel_type"):
        return TypeRef(
            _SIMPLE_KINDS[kind],
            elem=type_from_node(node.child_by_field_name("element")
                                or node.child_by_field_name("value"), resolve_package, depth),
        )
    if kind == "map_type":
        return TypeRef(
            "map",
            elem=type_from_node(node.child_by_field_name("value"), resolve_package, depth),
            key=type_from_node(node.child_by_field_name("key"), resolve_package, depth),
        )
    if kind in _SIMPLE_KINDS:
        return TypeRef(_SIMPLE_KINDS[kind])
    return UNKNOWN


def struct_fields(
    struct_node: Node, resolve_package: PackageResolver | None = None, _depth: int = 0
) -> list[tuple[str, TypeRef]]:
    """The (name, type) pairs of a ``struct_type`` node; embedded fields use the type's name."""
    fields: list[tuple[str, TypeRef]] = []
    for decl_list in struct_node.named_children:
        if decl_list.type != "field_declaration_list":
            continue
        for decl in decl_list.named_children:
            if decl.type != "field_declaration":
                continue
            ftype = type_from_node(decl.child_by_field_name("type"), resolve_package, _depth)
            names = decl.children_by_field_name("name")
            if names:
                fields.extend((text(n), ftype) for n in names)
            else:  # embedded field: its name is the type's name
                fields.append((ftype.deref().name, ftype))
    return fields
