"""Tree-sitter parsing of Go sources, node helpers and the libcst-style ``Visitor``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

GO = Language(tree_sitter_go.language())

__all__ = [
    "GO",
    "Node",
    "Tree",
    "Visitor",
    "captures",
    "children_of_type",
    "first_error",
    "node_types",
    "parse",
    "query",
    "text",
    "unquote",
    "walk",
]


def parse(source: bytes) -> Tree:
    """Parse Go source bytes; a tree is always returned, with ERROR nodes where it did not parse."""
    return Parser(GO).parse(source)


@lru_cache(maxsize=None)
def query(pattern: str) -> Query:
    """Compile (once) a tree-sitter query against the Go grammar."""
    return Query(GO, pattern)


def captures(pattern: str, node: Node) -> dict[str, list[Node]]:
    """Run a query under ``node`` and return its captures by name (in document order)."""
    found = QueryCursor(query(pattern)).captures(node)
    return {name: sorted(nodes, key=lambda n: n.start_byte) for name, nodes in found.items()}


@lru_cache(maxsize=1)
def node_types() -> frozenset[str]:
    """Every named node type of tree-sitter-go (what ``visit_<type>`` may name)."""
    return frozenset(
        GO.node_kind_for_id(i)
        for i in range(GO.node_kind_count)
        if GO.node_kind_is_named(i) and GO.node_kind_is_visible(i)
    )


def text(node: Node | None) -> str:
    """The source text of a node (empty for None)."""
    if node is None:
        return ""
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


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
        yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.node == node:
                return


def first_error(tree: Tree) -> Node | None:
    """The first ERROR or MISSING node of a tree, or None when the whole file parsed."""
    root = tree.root_node
    if not root.has_error:
        return None
    cursor = root.walk()
    while True:
        node = cursor.node
        if node.is_error or node.is_missing:
            return node
        if node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return None


Handler = Callable[[Node], object]
DROPPED = -2


class Visitor:
    """Dispatch ``visit_<node_type>`` before a node's children and ``leave_<node_type>`` after.

    As in LibCST: only a literal ``False`` returned by ``visit_`` skips the node's children;
    ``leave_`` still runs for that node.  Node types are tree-sitter-go's named types
    (``call_expression``, ``assignment_statement``…); misspelled names are rejected when a rule
    loads (see ``goleaklint.registry``).
    """

    def handler_types(self) -> tuple[frozenset[str], frozenset[str]]:
        """The node types this visitor has ``visit_`` and ``leave_`` methods for."""
        return _handler_types(type(self))

    def walk(self, node: Node) -> None:
        """Walk ``node`` and everything under it, dispatching to this visitor's handlers."""
        run_visitors([self], node)


@lru_cache(maxsize=None)
def _handler_types(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    names = dir(cls)
    visits = frozenset(n[6:] for n in names if n.startswith("visit_"))
    leaves = frozenset(n[6:] for n in names if n.startswith("leave_"))
    return visits, leaves


def run_visitors(
    visitors: list[Visitor],
    root: Node,
    on_error: Callable[[Visitor, Exception], None] | None = None,
) -> None:
    """One walk of ``root`` shared by several visitors, each with its own skip bookkeeping.

    A node is materialised in Python only once per walk; handlers are looked up per node type
    once and cached, so types no visitor cares about cost a dictionary lookup.  When a handler
    raises and ``on_error`` is given, that visitor is dropped for the rest of the walk and
    ``on_error(visitor, exc)`` is called; the others go on.  Without ``on_error`` it propagates.
    """
    if not visitors:
        return
    dispatch: dict[str, tuple[list[tuple[int, Handler]], list[tuple[int, Handler]]]] = {}

    def handlers_for(kind: str) -> tuple[list[tuple[int, Handler]], list[tuple[int, Handler]]]:
        entry = dispatch.get(kind)
        if entry is None:
            visit = [
                (i, getattr(v, "visit_" + kind))
                for i, v in enumerate(visitors)
                if kind in v.handler_types()[0]
            ]
            leave = [
                (i, getattr(v, "leave_" + kind))
                for i, v in enumerate(visitors)
                if kind in v.handler_types()[1]
            ]
            entry = dispatch[kind] = (visit, leave)
        return entry

    # skipped_at[i] is the depth at which visitor i asked to skip children, -1 when it is not
    # skipping, and DROPPED once one of its handlers raised.
    skipped_at = [-1] * len(visitors)

    def call(i: int, fn: Handler, node: Node) -> object:
        try:
            return fn(node)
        except Exception as exc:
            if on_error is None:
                raise
            skipped_at[i] = DROPPED
            on_error(visitors[i], exc)
            return None

    cursor = root.walk()
    depth = 0
    # Stack of (node, leave handlers) awaiting their leave_ call.
    pending: list[tuple[Node, list[tuple[int, Handler]], int]] = []
    while True:
        node = cursor.node
        visit, leave = handlers_for(node.type)
        for i, fn in visit:
            if skipped_at[i] == -1 and call(i, fn, node) is False:
                skipped_at[i] = depth
        pending.append((node, leave, depth))
        if cursor.goto_first_child():
            depth += 1
            continue
        while True:
            node, leave, d = pending.pop()
            for i, fn in leave:
                if skipped_at[i] == -1 or skipped_at[i] == d:
                    call(i, fn, node)
            for i, at in enumerate(skipped_at):
                if at == d:
                    skipped_at[i] = -1
            if cursor.goto_next_sibling():
                break
            if not cursor.goto_parent():
                return
            depth -= 1
