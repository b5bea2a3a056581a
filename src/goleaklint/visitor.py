"""The libcst-style ``Visitor`` and ``run_visitors``: one shared pass over a file's nodes of
the types the visitors handle, found by one query (joined to the file's combined query)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import cache
from itertools import compress, islice
from operator import eq, itemgetter
from typing import TypeVar

from . import queries
from .nodes import Node, node_types
from .queries import QueryMemo, query

Handler = Callable[[Node], object]
V = TypeVar("V", bound="Visitor")  # run_visitors hands on_error the visitors it was given
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
        # A plain type: mypy checks type[Visitor] against @cache's Hashable by the instances'
        # __hash__, and rejects it.
        kind: type = type(self)
        return handler_types(kind)

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
    visitors: Sequence[V],
    root: Node,
    on_error: Callable[[V, Exception], None] | None = None,
    memo: QueryMemo | None = None,
) -> None:
    """One pass over ``root`` shared by several visitors, each with its own skip bookkeeping.

    Only nodes of the types some visitor handles are materialised: one tree-sitter query (run
    in C) finds them in document order, and the nesting that ``leave_`` and skipping need is
    rebuilt from their start bytes (ends are read only for the nodes that need one: reading a
    node's end touches its subtree, several times the cost of its start).  The effect is that
    of a full pre-order walk that calls ``visit_`` on entering and ``leave_`` on leaving each
    handled node.  When a handler raises and ``on_error`` is given, that visitor is dropped for
    the rest of the pass and ``on_error(visitor, exc)`` is called; the others go on.  Without
    ``on_error`` it propagates.  ``memo`` is the file's (``FileModel.queries``) when ``root``
    is its root: the nodes then come from the file's one combined walk.
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
    nodes = _nodes_of_types(root, dispatch, memo)

    # skipped_at[i]: index in ``stack`` of the node whose visit_ returned False for visitor i,
    # -1 when it is not skipping, DROPPED once one of its handlers raised.
    skipped_at = [-1] * len(visitors)
    skipping = 0  # how many visitors are skipping (so that a pop scans them only then)

    def failed(i: int, exc: Exception) -> None:
        nonlocal skipping
        if on_error is None:
            raise exc
        if skipped_at[i] >= 0:
            skipping -= 1
        skipped_at[i] = DROPPED
        on_error(visitors[i], exc)

    # Only nodes with leave_ handlers, or that some visitor skips, go on the stack: the others
    # have nothing to do when they end.  (start, end, node, leave handlers)
    stack: list[tuple[int, int, Node, list[tuple[int, Handler]]]] = []

    def pop() -> None:
        nonlocal skipping
        depth = len(stack) - 1
        _, _, node, leave = stack.pop()
        for i, fn in leave:
            at = skipped_at[i]
            if at == -1 or at == depth:
                try:
                    fn(node)
                except Exception as exc:
                    failed(i, exc)
        if skipping:
            for i, at in enumerate(skipped_at):
                if at == depth:
                    skipped_at[i] = -1
                    skipping -= 1

    for start, node, kind in nodes:
        while stack:
            # In pre-order, a node starting before the top's end is inside it (nodes nest);
            # at its end, only inside an empty top (a MISSING node) when empty too.
            top_start, top_end = stack[-1][0], stack[-1][1]
            if start < top_end or (start == top_start == top_end and node.end_byte == start):
                break
            pop()
        visit, leave = dispatch[kind]
        depth = len(stack)
        skips = False
        for i, fn in visit:
            if skipped_at[i] != -1:
                continue
            try:
                if fn(node) is False:
                    skipped_at[i] = depth
                    skipping += 1
                    skips = True
            except Exception as exc:
                failed(i, exc)
        if leave or skips:
            stack.append((start, node.end_byte, node, leave))
    while stack:
        pop()


def _nodes_of_types(
    root: Node, kinds: Collection[str], memo: QueryMemo | None = None
) -> Iterable[tuple[int, Node, str]]:
    """Every node under ``root`` (itself included) of one of ``kinds``, in pre-order, as
    (start byte, node, type).

    One query, each type captured under its own name: of a file's root, its memo's answer
    from the file's one combined walk (``QueryMemo.nodes_of_types``), when that covers them.
    A file of ``WALK_BY_DECLARATION`` bytes or more is queried one top-level node at a time,
    as the walk goes.
    """
    if root.type == "source_file" and root.end_byte >= queries.WALK_BY_DECLARATION:
        return _by_declaration(root, kinds)
    by_kind = memo.nodes_of_types(kinds) if memo is not None and memo.root == root else None
    if by_kind is None:  # a walk of other types than the rules' (a rule's second pass), or
        # of a node without its file's memo: a query of its own
        pattern = "\n".join(f"({kind}) @{kind}" for kind in sorted(kinds))
        by_kind = queries.QueryCursor(query(pattern)).captures(root)
    return _preorder(by_kind)


def _by_declaration(root: Node, kinds: Collection[str]) -> Iterator[tuple[int, Node, str]]:
    """``_nodes_of_types`` of a file's root, queried one top-level node at a time."""
    if root.type in kinds:
        yield root.start_byte, root, root.type
    cursor = queries.QueryCursor(query("\n".join(f"({kind}) @{kind}" for kind in sorted(kinds))))
    for child in root.children:
        yield from _preorder(cursor.captures(child))


def _preorder(by_kind: dict[str, list[Node]]) -> list[tuple[int, Node, str]]:
    """Captured nodes, each under its type's name, as (start byte, node, type) in pre-order."""
    found: list[tuple[int, Node, str]] = []
    for kind, captured in by_kind.items():
        found += [(n.start_byte, n, kind) for n in captured]
    found.sort(key=_first)
    # Pre-order among nodes starting at the same byte (a call and the statement it begins):
    # enclosing nodes first, by end; nodes spanning the same bytes (a statement and its only
    # expression) by how many same-span ancestors they have.
    starts = list(map(_first, found))
    # Indexes i where node i starts where node i + 1 does (found in C: ties are few).
    ties = list(compress(range(len(starts) - 1), map(eq, starts, islice(starts, 1, None))))
    k = 0
    while k < len(ties):
        first = last = ties[k]
        while k + 1 < len(ties) and ties[k + 1] == last + 1:
            k += 1
            last = ties[k]
        found[first : last + 2] = _enclosing_first(found[first : last + 2])
        k += 1
    return found


_first = itemgetter(0)


def _enclosing_first(group: list[tuple[int, Node, str]]) -> list[tuple[int, Node, str]]:
    """Nodes starting at the same byte in pre-order: by end, latest first; nodes ending at the
    same byte too by their depth among same-span ancestors (only then worked out)."""
    keyed = sorted((-item[1].end_byte, k, item) for k, item in enumerate(group))
    if len({key[0] for key in keyed}) < len(keyed):
        deep = sorted((end, _same_span_depth(item[1]), k, item) for end, k, item in keyed)
        return [key[-1] for key in deep]
    return [key[-1] for key in keyed]


def _same_span_depth(node: Node) -> int:
    depth, parent = 0, node.parent
    while parent is not None and parent.byte_range == node.byte_range:
        depth += 1
        parent = parent.parent
    return depth
