"""Tree-sitter queries: the memo of a file's questions (``QueryMemo``, owned by its
``FileModel``), the combining of those asked of its root into one walk of it (the rules'
visitor walk included), and the plain memo-less ``captures(pattern, node)``."""

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


def captures(pattern: str, node: Node) -> dict[str, list[Node]]:
    """Run a query under ``node`` and return its captures by name (in document order).

    Nothing is memoised and nothing is combined: this is the plain query, kept for plugins
    written against ``goleaklint.syntax.captures``.  A rule asks its file instead
    (``self.file.captures(pattern, node)``), whose answers are memoised and combined.
    """
    return _by_start(QueryCursor(query(pattern)).captures(node))


# The memo of a file's queries --------------------------------------------------------------
#
# A query costs a walk of its whole subtree in C, whatever it matches; rules and the model ask
# the same few questions of every file (its comments, its `go` statements, its local
# declarations), some of them several times. So each file keeps the answers about its nodes
# (``QueryMemo``, owned by its ``FileModel`` and dropped with it), and every pattern ever asked
# of a file's root is a root pattern: a file's first root question runs all the root patterns
# as one combined query, one walk instead of one per pattern.  The visitors' walk is one of
# those questions (see ``QueryMemo.nodes_of_types``): a file is walked by tree-sitter once,
# rules and all.  What is process-wide is only which patterns are combined (strings).

MEMO_LIMIT = 50_000  # entries of one file's memo; past it the memo starts afresh
# Nodes held by a file's memoised answers about nodes below its root (function bodies…); past
# it those answers are dropped, the root's own kept. Questions about a function come while the
# walk is in it, and a huge file's answers would otherwise all stay until its package ends.
SCOPED_LIMIT = 100_000
LEARN_LIMIT = 64  # root patterns combined at most (a plugin could make up patterns on the fly)
_learnt: dict[str, None] = {}  # patterns asked of a file's root, in first-asked order
_apart: set[str] = set()  # root patterns asked of few files, each queried alone
_walk_kinds: set[str] = set()  # the node types of the visitors' walks (``expect_walks``)
_walk_pattern = ""
# A capture name in a pattern (strings and comments skipped, so that "@" inside them stays).
_CAPTURE_NAME = re.compile(r'"(?:[^"\\]|\\.)*"|;[^\n]*|@([\w.-]+)')


def learn(pattern: str) -> str:
    """Declare ``pattern`` a question asked of every file's root (at import time), so that it
    joins the combined query from the first file on; returns it.  Internal to the built-ins:
    a pattern first asked later joins by itself (its first file then costs one more walk).
    """
    query(pattern)
    if len(_learnt) < LEARN_LIMIT:
        _learnt.setdefault(pattern)
    return pattern


def apart(pattern: str) -> str:
    """Declare ``pattern`` a root question asked of few files (behind a cheap test of their
    bytes): it is never combined (a combined pattern's captures are made for every file), and
    queried alone when asked; returns it.  Internal to the built-ins."""
    query(pattern)
    _apart.add(pattern)
    return pattern


class QueryMemo:
    """The memoised query answers about one file's tree (``FileModel.queries``).

    Its lifetime is the file's: nothing outside holds its nodes, so the trees go with their
    files.  The answers it hands out are shared: callers must not mutate them.
    """

    def __init__(self, root: Node) -> None:
        self.root = root
        self._memo: dict[tuple[str, Node], dict[str, list[Node]]] = {}
        self._fetched = False  # whether the root patterns have been run over the root
        self._scoped: list[tuple[str, Node]] = []  # the memo's keys below the root, as asked
        self._scoped_nodes = 0  # the nodes their answers hold

    def captures(self, pattern: str, node: Node | None = None) -> dict[str, list[Node]]:
        """``pattern``'s captures under ``node`` (default: the root), by name, in document
        order; fresh lists, the caller's to keep."""
        found = self.answer(pattern, self.root if node is None else node)
        return {name: list(nodes) for name, nodes in found.items()}

    def captures_in(self, pattern: str, scope: Node) -> dict[str, list[Node]]:
        """``captures(pattern, scope)``, answered from the file-wide query of the root
        (memoised and combined with the file's other questions): its captures within
        ``scope``'s bytes.

        For the many small scopes of a file (every function body) this is one walk instead of
        one per scope.  It is exact when a capture lies within ``scope`` only if the node where
        the pattern starts does too, which holds whenever ``scope`` is a block or a declaration
        and the pattern starts at a statement or expression (not at ``scope``'s ancestors).
        """
        start, end = scope.byte_range
        found: dict[str, list[Node]] = {}
        for name, nodes in self.answer(pattern, self.root).items():
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

    def answer(self, pattern: str, node: Node) -> dict[str, list[Node]]:
        """The memoised result of ``pattern`` under ``node`` (shared: not to be mutated)."""
        key = (pattern, node)
        found = self._memo.get(key)
        if found is not None:
            return found
        if len(self._memo) >= MEMO_LIMIT:
            self.clear()
        compiled = query(pattern)  # compiled alone first: a bad pattern fails here, unlearnt
        root = node == self.root
        if root and pattern not in _apart and (
            pattern in _learnt or len(_learnt) < LEARN_LIMIT
        ):
            _learnt.setdefault(pattern)
            if not self._fetched:
                self._fetched = True
                patterns = tuple(_learnt)
                if node.end_byte >= WALK_BY_DECLARATION:  # walked apart: ``nodes_of_types``
                    patterns = tuple(p for p in patterns if p != _walk_pattern)
                self._prefetch(patterns)
            found = self._memo.get(key)
            if found is not None:
                return found
        found = self._memo[key] = _by_start(QueryCursor(compiled).captures(node))
        if not root:
            self._scoped.append(key)
            self._scoped_nodes += sum(map(len, found.values()))
            if self._scoped_nodes > SCOPED_LIMIT:
                self._forget_scoped()
        return found

    def nodes_of_types(self, kinds: Collection[str]) -> dict[str, list[Node]] | None:
        """The root's nodes of ``kinds`` by type, each list in pre-order, from the file's one
        combined walk; None when that walk does not cover them (or the file is walked one
        declaration at a time), for the caller to query them itself.

        The answer is then dropped from the memo: a walk needs its nodes once, and they are
        the bulk of a file's nodes, not to be kept for the file's lifetime.
        """
        if self.root.end_byte >= WALK_BY_DECLARATION:
            return None
        # One walk pattern for the rules' walks (``expect_walks``: the types of all their
        # visitors), so that rules active in some packages only do not each add a pattern.
        if _walk_kinds and not _walk_kinds.issuperset(kinds):
            return None
        expect_walks(kinds)
        by_kind = self.answer(_walk_pattern, self.root)
        self._memo.pop((_walk_pattern, self.root), None)
        return {kind: nodes for kind, nodes in by_kind.items() if kind in kinds}

    def clear(self) -> None:
        """Drop every memoised answer (and the nodes they hold)."""
        self._memo.clear()
        self._fetched = False
        self._scoped.clear()
        self._scoped_nodes = 0

    def _forget_scoped(self) -> None:
        for key in self._scoped:
            self._memo.pop(key, None)
        self._scoped.clear()
        self._scoped_nodes = 0

    def _prefetch(self, patterns: tuple[str, ...]) -> None:
        """Run ``patterns`` over the root as one query and memoise each one's result."""
        root = self.root
        combined, names = _combined(patterns)
        cursor = QueryCursor(combined)
        found = cursor.captures(root)
        if cursor.did_exceed_match_limit:  # not seen in practice; the patterns one by one then
            for pattern in patterns:
                self._memo[(pattern, root)] = _by_start(
                    QueryCursor(query(pattern)).captures(root))
            return
        results: list[dict[str, list[Node]]] = [{} for _ in patterns]
        for name, nodes in found.items():
            index, original = names[name]
            # The walk's nodes are put in pre-order by its caller: no sort by kind first.
            results[index][original] = nodes if patterns[index] == _walk_pattern else sorted(
                nodes, key=_start_byte)
        for pattern, result in zip(patterns, results, strict=True):
            self._memo[(pattern, root)] = result


def _by_start(found: dict[str, list[Node]]) -> dict[str, list[Node]]:
    return {name: sorted(nodes, key=_start_byte) for name, nodes in found.items()}


_start_byte = attrgetter("start_byte")  # a sort key in C: captures are sorted by the million


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
    file's combined query covers them from the first file on (see ``QueryMemo.nodes_of_types``)."""
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
