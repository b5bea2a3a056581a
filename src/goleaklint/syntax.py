"""Tree-sitter parsing of Go sources, node helpers and the libcst-style ``Visitor``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache, lru_cache

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
    "handler_types",
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


@cache
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
        return handler_types(type(self))

    def walk(self, node: Node) -> None:
        """Walk ``node`` and everything under it, dispatching to this visitor's handlers."""
        run_visitors([self], node)


@cache
def handler_types(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """The node types a visitor class has ``visit_`` and ``leave_`` methods for."""
    names = dir(cls)
    visits = frozenset(n[6:] for n in names if n.startswith("visit_"))
    leaves = frozenset(n[6:] for n in names if n.startswith("leave_"))
    return visits, leaves


def run_visitors(
    visitors: list[Visitor],
    root: Node,
    on_error: Callable[[Visitor, Exception], None] | None = None,
) -> None:
    """One pass over ``root`` shared by several visitors, each with its own skip bookkeeping.

    Only nodes of the types some visitor handles are materialised: one tree-sitter query (run
    in C) finds them in document order, and the nesting that ``leave_`` and skipping need is
    rebuilt from their byte ranges.  The effect is that of a full pre-order walk that calls
    ``visit_`` on entering and ``leave_`` on leaving each handled node.  When a handler raises
    and ``on_error`` is given, that visitor is dropped for the rest of the pass and
    ``on_error(visitor, exc)`` is called; the others go on.  Without ``on_error`` it propagates.
    """
    if not visitors:
        return
    known = node_types()
    dispatch: dict[str, tuple[list[tuple[int, Handler]], list[tuple[int, Handler]]]] = {}
    for i, v in enumerate(visitors):
        visits, leaves = v.handler_types()
        for kind in visits | leaves:
            if kind not in known:
                continue
            entry = dispatch.setdefault(kind, ([], []))
            if kind in visits:
                entry[0].append((i, getattr(v, "visit_" + kind)))
            if kind in leaves:
                entry[1].append((i, getattr(v, "leave_" + kind)))
    if not dispatch:
        return
    nodes = _nodes_of_types(root, frozenset(dispatch))

    # skipped_at[i]: stack depth of the node whose visit_ returned False for visitor i, -1 when
    # it is not skipping, DROPPED once one of its handlers raised.
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

    stack: list[tuple[int, int, Node, list[tuple[int, Handler]]]] = []  # (start, end, node, leave)

    def pop() -> None:
        depth = len(stack) - 1
        _, _, node, leave = stack.pop()
        for i, fn in leave:
            if skipped_at[i] == -1 or skipped_at[i] == depth:
                call(i, fn, node)
        for i, at in enumerate(skipped_at):
            if at == depth:
                skipped_at[i] = -1

    for node in nodes:
        start, end = node.start_byte, node.end_byte
        while stack and not (stack[-1][0] <= start and end <= stack[-1][1]
                             and (start < stack[-1][1] or stack[-1][0] == stack[-1][1])):
            pop()
        visit, leave = dispatch[node.type]
        depth = len(stack)
        for i, fn in visit:
            if skipped_at[i] == -1 and call(i, fn, node) is False:
                skipped_at[i] = depth
        stack.append((start, end, node, leave))
    while stack:
        pop()


def _nodes_of_types(root: Node, kinds: frozenset[str]) -> list[Node]:
    """Every node under ``root`` (itself included) of one of ``kinds``, in pre-order."""
    pattern = "[" + " ".join(f"({k})" for k in sorted(kinds)) + "] @n"
    found = QueryCursor(query(pattern)).captures(root).get("n", [])
    # Pre-order: by start, enclosing nodes first; nodes spanning the same bytes (a statement
    # and its only expression) by how many same-span ancestors they have.
    found.sort(key=lambda n: (n.start_byte, -n.end_byte))
    for i in range(len(found) - 1):
        a, b = found[i], found[i + 1]
        if a.start_byte == b.start_byte and a.end_byte == b.end_byte:
            j = i
            while j + 1 < len(found) and found[j + 1].byte_range == a.byte_range:
                j += 1
            found[i : j + 1] = sorted(found[i : j + 1], key=_same_span_depth)
    return found


def _same_span_depth(node: Node) -> int:
    depth, parent = 0, node.parent
    while parent is not None and parent.byte_range == node.byte_range:
        depth += 1
        parent = parent.parent
    return depth
