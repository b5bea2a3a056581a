"""Tree-sitter's Go grammar and the small helpers every analysis uses on its nodes."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import tree_sitter_go
from tree_sitter import Language, Node, Tree

GO = Language(tree_sitter_go.language())

__all__ = ["GO", "Node", "Tree", "children_of_type", "node_types", "text", "unquote", "walk"]


@lru_cache(maxsize=1)
def node_types() -> frozenset[str]:
    """Every named node type of tree-sitter-go (what ``visit_<type>`` may name)."""
    return frozenset(
        kind
        for i in range(GO.node_kind_count)
        if GO.node_kind_is_named(i) and GO.node_kind_is_visible(i)
        and (kind := GO.node_kind_for_id(i)) is not None  # None only for an id out of range
    )


def text(node: Node | None) -> str:
    """The source text of a node (empty for None)."""
    if node is None:
        return ""
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def unquote(literal: str) -> str:
    """The value of a Go string literal as written in an import path (no escapes expected)."""
    if len(literal) >= 2 and literal[0] in "\"`" and literal[-1] == literal[0]:
        return literal[1:-1]
    return literal


def children_of_type(node: Node, *types: str) -> list[Node]:
    """The named children of ``node`` whose type is one of ``types``."""
    return [c for c in node.named_children if c.type in types]


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself included), in pre-order."""
    cursor = node.walk()
    while True:
        current = cursor.node
        assert current is not None  # a cursor made from a node always stands on one
        yield current
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return
