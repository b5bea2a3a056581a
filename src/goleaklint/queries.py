"""Memoised tree-sitter queries: ``captures(pattern, node)``, and the combining of the
questions asked of a file's root into one walk of it (the rules' visitor walk included)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection
from functools import cache
from operator import attrgetter

from tree_sitter import Query
from tree_sitter import QueryCursor as QueryCursor  # read through the module: tests count walks

from .nodes import GO, Node, node_types


@cache
def query(pattern: str) -> Query:
    """Compile (once) a tree-sitter query against the Go grammar."""
    # tree-sitter's stub takes Self from typing, which Python 3.10's lacks: the call is Any there.
    compiled: Query = Query(GO, pattern)
    return compiled


def captures(pattern: str, node: Node, *, combine: bool = True) -> dict[str, list[Node]]:
    """Run a query under ``node`` and return its captures by name (in document order).

    Results are memoised (see ``forget_queries``), and the patterns asked of whole files are
    run together: the first question about a file's root answers all the others in one walk.
    A question asked of few files (behind a cheap test of their bytes) is better not combined:
    once learnt, a pattern's captures are made for every file; ``combine=False`` keeps it apart.
    """
    return {name: list(nodes) for name, nodes in _captured(pattern, node, combine).items()}


def captures_in(pattern: str, scope: Node, root: Node) -> dict[str, list[Node]]:
    """``captures(pattern, scope)``, answered from the file-wide query of ``root`` (memoised
    and combined with the file's other questions): its captures within ``scope``'s bytes.

    For the many small scopes of a file (every function body) this is one walk instead of
    one per scope.  It is exact when a capture lies within ``scope`` only if the node where
    the pattern starts does too, which holds whenever ``scope`` is a block or a declaration
    and the pattern starts at a statement or expression (not at ``scope``'s ancestors).
    """
    start, end = scope.byte_range
    found: dict[str, list[Node]] = {}
    for name, nodes in _captured(pattern, root).items():
        i = bisect.bisect_left(nodes, start, key=_start_byte)
        inside = []
        while i < len(nodes):
            node = nodes[i]
            s, e = node.byte_range
            if s >= end:
                break
            if e <= end:
                inside.append(node)
            i += 1
        if inside:
            found[name] = inside
    return found


# Memoised queries ------------------------------------------------------------------------------
#
# A query costs a walk of its whole subtree in C, whatever it matches; rules and the model ask
# the same few questions of every file (its comments, its `go` statements, its local
# declarations), some of them several times. So results are kept per (pattern, node) until
# ``forget_queries`` (the engine calls it after each package), and every pattern ever asked of a
# file's root is learnt: a file's first root question runs all the learnt patterns as one
# combined query, one walk instead of one per pattern.  The visitors' walk is one of those
# questions (see ``_nodes_of_types``): a file is walked by tree-sitter once, rules and all.

MEMO_LIMIT = 50_000  # entries; past it the memo starts afresh (for callers that never forget)
# Nodes held by the memoised answers about nodes below a file's root (function bodies…); past
# it those answers are dropped, the files' own kept. Questions about a function come while the
# walk is in it, and a huge file's answers would otherwise all stay until its package ends.
SCOPED_LIMIT = 100_000
LEARN_LIMIT = 64  # root patterns combined at most (a plugin could make up patterns on the fly)
_memo: dict[tuple[str, Node], dict[str, list[Node]]] = {}
_learnt: dict[str, None] = {}  # patterns asked of a file's root, in first-asked order
_fetched: set[Node] = set()  # the roots the learnt patterns have been run over
_scoped: list[tuple[str, Node]] = []  # the memo's keys below a root, in the order asked
_scoped_nodes = 0  # the nodes their answers hold
_walk_kinds: set[str] = set()  # the node types of the visitors' walks (``_nodes_of_types``)
_walk_pattern = ""
# A capture name in a pattern (strings and comments skipped, so that "@" inside them stays).
_CAPTURE_NAME = re.compile(r'"(?:[^"\\]|\\.)*"|;[^\n]*|@([\w.-]+)')


def learn(pattern: str) -> str:
    """Declare ``pattern`` a question asked of every file's root (at import time), so that it
    joins the combined query from the first file on; returns it.

    Learning as questions come costs the first package of each process a walk per late
    pattern, and the first packages are the biggest (the engine starts them first).
    """
    query(pattern)
    if len(_learnt) < LEARN_LIMIT:
        _learnt.setdefault(pattern)
    return pattern


def forget_queries() -> None:
    """Drop the memoised query results (and with them the trees their nodes keep alive)."""
    global _scoped_nodes
    _memo.clear()
    _fetched.clear()
    _scoped.clear()
    _scoped_nodes = 0


def _forget_scoped() -> None:
    global _scoped_nodes
    for key in _scoped:
        _memo.pop(key, None)
    _scoped.clear()
    _scoped_nodes = 0


def _by_start(found: dict[str, list[Node]]) -> dict[str, list[Node]]:
    return {name: sorted(nodes, key=_start_byte) for name, nodes in found.items()}


_start_byte = attrgetter("start_byte")  # a sort key in C: captures are sorted by the million


def _captured(pattern: str, node: Node, combine: bool = True) -> dict[str, list[Node]]:
    """The memoised result of ``pattern`` under ``node`` (shared: callers must not mutate)."""
    key = (pattern, node)
    found = _memo.get(key)
    if found is not None:
        return found
    if len(_memo) >= MEMO_LIMIT:
        forget_queries()
    compiled = query(pattern)  # compiled alone first: a bad pattern fails here, unlearnt
    root = node.type == "source_file"
    if combine and root and (
        pattern in _learnt or len(_learnt) < LEARN_LIMIT
    ):
        _learnt.setdefault(pattern)
        if node not in _fetched:
            _fetched.add(node)
            patterns = tuple(_learnt)
            if node.end_byte >= WALK_BY_DECLARATION:  # walked apart: see ``_nodes_of_types``
                patterns = tuple(p for p in patterns if p != _walk_pattern)
            _prefetch(node, patterns)
        found = _memo.get(key)
        if found is not None:
            return found
    found = _memo[key] = _by_start(QueryCursor(compiled).captures(node))
    if not root:
        global _scoped_nodes
        _scoped.append(key)
        _scoped_nodes += sum(map(len, found.values()))
        if _scoped_nodes > SCOPED_LIMIT:
            _forget_scoped()
    return found


def _prefetch(root: Node, patterns: tuple[str, ...]) -> None:
    """Run ``patterns`` over ``root`` as one query and memoise each one's result."""
    combined, names = _combined(patterns)
    cursor = QueryCursor(combined)
    found = cursor.captures(root)
    if cursor.did_exceed_match_limit:  # not seen in practice; the patterns one by one then
        for pattern in patterns:
            _memo[(pattern, root)] = _by_start(QueryCursor(query(pattern)).captures(root))
        return
    results: list[dict[str, list[Node]]] = [{} for _ in patterns]
    for name, nodes in found.items():
        index, original = names[name]
        # The walk's nodes are put in pre-order by ``_nodes_of_types``: no sort by kind first.
        results[index][original] = nodes if patterns[index] == _walk_pattern else sorted(
            nodes, key=_start_byte)
    for pattern, result in zip(patterns, results, strict=True):
        _memo[(pattern, root)] = result


@cache
def _combined(patterns: tuple[str, ...]) -> tuple[Query, dict[str, tuple[int, str]]]:
    """One query made of ``patterns``, their captures renamed apart: the query, and each new
    capture name's (pattern index, original name)."""
    names: dict[str, tuple[int, str]] = {}
    parts = []
    for index, pattern in enumerate(patterns):

        def rename(m: re.Match[str], index: int = index) -> str:
            if m.group(1) is None:
                return m.group(0)
            renamed = f"p{index}_{m.group(1)}"
            names[renamed] = (index, m.group(1))
            return "@" + renamed

        parts.append(_CAPTURE_NAME.sub(rename, pattern))
    return Query(GO, "\n".join(parts)), names


def expect_walks(kinds: Collection[str]) -> None:
    """Announce the node types visitors will ask for, so that the walk pattern that joins every
    file's combined query covers them from the first file on (see ``_nodes_of_types``)."""
    global _walk_pattern
    known = node_types()
    wanted = {kind for kind in kinds if kind in known}
    if not _walk_kinds.issuperset(wanted):
        _walk_kinds.update(wanted)
        _learnt.pop(_walk_pattern, None)
        _walk_pattern = "\n".join(f"({kind}) @{kind}" for kind in sorted(_walk_kinds))
        _learnt.setdefault(_walk_pattern)


# A file from this size on is walked one top-level declaration at a time, apart from its
# combined query: the Python objects of a whole file's walk are not all made at once (those
# of a 30 MB file took 200 MB).  Go's standard library has no file half this size.
WALK_BY_DECLARATION = 4_000_000
