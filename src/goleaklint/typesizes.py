"""Sizes of Go types read from syntax: a lower bound in bytes of a value of a type
(arrays folded through constants, structs summed, words for slices, maps, pointers…)."""

from __future__ import annotations

from .constants import MAX_DEPTH, const_int
from .model import FileModel, Package
from .syntax import Node, text

_BASIC_SIZES = {
    "bool": 1, "byte": 1, "uint8": 1, "int8": 1, "int16": 2, "uint16": 2, "int32": 4,
    "uint32": 4, "rune": 4, "float32": 4, "int": 8, "uint": 8, "int64": 8, "uint64": 8,
    "uintptr": 8, "float64": 8, "complex64": 8, "complex128": 16, "string": 16, "error": 16,
    "any": 16,
}
_WORD_TYPES = {"slice_type": 24, "pointer_type": 8, "map_type": 8, "channel_type": 8,
               "function_type": 8, "interface_type": 16}


def type_size(pkg: Package, f: FileModel, node: Node | None, _depth: int = 0) -> int:
    """A lower bound of the size in bytes of a value of the type written at ``node``."""
    if node is None or _depth > MAX_DEPTH:
        return 0
    kind = node.type
    if kind in _WORD_TYPES:
        return _WORD_TYPES[kind]
    if kind == "array_type":
        length = const_int(pkg, f, node.child_by_field_name("length"))
        if length is None or length <= 0:
            return 0
        return length * type_size(pkg, f, node.child_by_field_name("element"), _depth + 1)
    if kind == "parenthesized_type" and node.named_child_count:
        return type_size(pkg, f, node.named_children[0], _depth + 1)
    if kind == "type_identifier":
        name = text(node)
        decl = pkg.types.get(name)
        if decl is not None:
            return type_size(pkg, decl.file, decl.node.child_by_field_name("type"), _depth + 1)
        return _BASIC_SIZES.get(name, 1)
    if kind == "struct_type":
        total = 0
        for field in f.captures("(field_declaration) @f", node).get("f", []):
            if field.parent is None or field.parent.parent != node:
                continue  # a field of a nested struct type, counted with it
            names = max(1, len(field.children_by_field_name("name")))
            total += names * type_size(pkg, f, field.child_by_field_name("type"), _depth + 1)
        return total
    return 1  # another package's type, a type parameter: at least a byte


def sized(size: int) -> str:
    """``a 2 MiB`` / ``an 8 MiB``: a size as an adjective, with its article."""
    shown = human_size(size)
    return ("an " if shown[:1] == "8" or shown[:2] in ("11", "18") else "a ") + shown


def human_size(size: int) -> str:
    """``1048576`` → ``1 MiB``; sizes not a whole number of KiB are given in bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MiB"
    return f"{size} bytes"
