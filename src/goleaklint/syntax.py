"""Tree-sitter parsing of Go sources, node helpers and the libcst-style ``Visitor``."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import compress, islice
from operator import attrgetter, eq, itemgetter, methodcaller
from typing import TypeVar

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

GO = Language(tree_sitter_go.language())

__all__ = [
    "GO",
    "Elision",
    "Node",
    "Tree",
    "Visitor",
    "blank",
    "captures",
    "captures_in",
    "children_of_type",
    "first_error",
    "handler_types",
    "learn",
    "node_types",
    "parse",
    "parse_guarded",
    "query",
    "text",
    "unquote",
    "walk",
]


def parse(source: bytes) -> Tree:
    """Parse Go source bytes; a tree is always returned, with ERROR nodes where it did not parse."""
    return Parser(GO).parse(source)


# Limits of one top-level declaration, far above real code (Go's standard library peaks at 49
# syntax levels and 12 nested blocks), low enough that the Python walks of the rules and helpers
# neither exhaust the interpreter's stack nor, through tree-sitter's parent lookups (which walk
# down from the root), turn quadratic in the depth.
MAX_DEPTH = 256  # syntax levels; chains of data (``"a" + "b" + …``: generated tables) are free
MAX_NESTING = 48  # nested blocks, case clauses and labels
# A composite literal with more elements than this that holds only data (no call, conversion or
# function literal: no ``(`` outside strings and comments) is elided: tree-sitter's queries slow
# down more than linearly on a node with that many children, and rules find nothing in data.
LARGE_LITERAL = 10_000

_NESTING_NODES = frozenset({
    "block", "expression_case", "type_case", "default_case", "communication_case",
    "labeled_statement",
})
# A binary operation whose right operand is a literal adds no level: the chains of generated
# string tables (``const zipdata = "…" + "…" + …``, 7,000 deep in Go's time/tzdata). Chains of
# conditions over variables do count: every mention in them is a parent walk as deep as the chain.
_LITERALS = frozenset({
    "interpreted_string_literal", "raw_string_literal", "int_literal", "float_literal",
    "imaginary_literal", "rune_literal",
})
_CODE_IN_DATA = re.compile(
    rb'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'|//[^\n]*|/\*.*?\*/|(\()', re.S
)
_BLANK = bytes(b if b == 0x0A else 0x20 for b in range(256))


@dataclass(frozen=True)
class Elision:
    """A byte range of a file replaced by blanks before parsing (offsets and lines are kept).

    ``reason`` is empty for elided data; otherwise it says why a declaration was not analysed.
    """

    start: int
    end: int
    reason: str = ""


def parse_guarded(source: bytes) -> tuple[bytes, Tree, list[Elision]]:
    """Parse ``source`` with the declarations that exceed ``MAX_DEPTH``/``MAX_NESTING`` and the
    contents of huge data literals blanked out: the bytes parsed, their tree and the elisions.

    Blanking keeps every byte offset and line, so positions elsewhere in the file are exact.
    In a big file the data literals are first looked for in its bytes (``_data_spans``), so
    that their trees are never built: a 30 MB ``[]byte{…}`` is a 1.9 GB tree.
    """
    found = _data_spans(source) if len(source) >= PRESCAN_SIZE else []
    if found:
        blanked = blank(source, found)
        tree = parse(blanked)
        if all(_is_literal_body(tree, start, end) for start, end in found):
            later = _elisions(tree, blanked)
            # A declaration too deep is elided whole, the data literals in it with it.
            whole = [(e.start, e.end) for e in later if e.reason]
            elisions = sorted(
                [Elision(s, e) for s, e in found
                 if not any(ws <= s and e <= we for ws, we in whole)] + later,
                key=attrgetter("start"))
            if not later:
                return blanked, tree, elisions
            del tree
            parsed = blank(blanked, [(e.start, e.end) for e in later])
            return parsed, parse(parsed), elisions
        del tree  # not what the bytes suggested (a syntax error): the whole file's tree then
    tree = parse(source)
    elisions = _elisions(tree, source)
    if not elisions:
        return source, tree, []
    del tree  # a huge file's first tree need not live beside its second
    parsed = blank(source, [(e.start, e.end) for e in elisions])
    return parsed, parse(parsed), elisions


# Files from this size on are searched for huge data literals in their bytes before parsing.
PRESCAN_SIZE = 1_000_000
# Strings, runes and comments (skipped: they may hold any byte), else a brace or parenthesis.
# An unclosed raw string or block comment runs to the end (as in Go): tried again at each
# ``/*``, a failing search to the end would make the scan quadratic. Every alternative starts
# with a literal byte, so that the regular expression engine skips to the next such byte in C.
_DATA_TOKENS = re.compile(
    rb'"(?:[^"\\\n]|\\.)*"|`[^`]*(?:`|\Z)|\'(?:[^\'\\\n]|\\.)*\'|//[^\n]*|/\*.*?(?:\*/|\Z)'
    rb'|\{|\}|\(', re.S
)


def _data_spans(source: bytes) -> list[tuple[int, int]]:
    """The insides of the outermost brace pairs holding more than ``LARGE_LITERAL`` commas
    of their own and no ``(`` (strings and comments skipped): in Go, huge data literals.

    More than N commas separate more than N elements, so each is a literal that
    ``_check_declaration`` would elide (``parse_guarded`` checks that the tree agrees).
    Python steps only over braces, parentheses, strings and comments; the commas between
    them are counted in C, each byte once (nesting makes no rescan).
    """
    if source.count(b",") <= LARGE_LITERAL:
        return []
    # Such a literal lies between two "(" of the file: in ordinary code no stretch between
    # them holds that many commas, and the scan (Python steps) is skipped. (A literal whose
    # strings hold a "(" is then left to the tree, which elides it as before.)
    if max(map(methodcaller("count", b","), source.split(b"("))) <= LARGE_LITERAL:
        return []
    found: list[tuple[int, int]] = []
    stack: list[list[int]] = []  # open braces: [inside's start, its own commas, holds a "("]
    at = 0  # where the last token ended
    for m in _DATA_TOKENS.finditer(source):
        if stack:
            stack[-1][1] += source.count(b",", at, m.start())
        at = m.end()
        token = m.group()
        if token == b"{":
            stack.append([at, 0, False])
        elif token == b"(":
            if stack:
                stack[-1][2] = True
        elif token == b"}" and stack:
            start, commas, code = stack.pop()
            if not code and commas > LARGE_LITERAL:
                while found and found[-1][0] >= start:
                    found.pop()  # inside this one
                found.append((start, m.start()))
            if stack and code:
                stack[-1][2] = True
    return found


def _is_literal_body(tree: Tree, start: int, end: int) -> bool:
    """Whether bytes ``start:end`` are exactly the inside of a composite literal's braces."""
    brace = tree.root_node.descendant_for_byte_range(start - 1, start)
    literal = brace.parent if brace is not None and brace.type == "{" else None
    return literal is not None and literal.type == "literal_value" and (
        literal.byte_range == (start - 1, end + 1))


def blank(source: bytes, ranges: Collection[tuple[int, int]]) -> bytes:
    """``source`` with the byte ranges replaced by spaces, newlines kept (offsets and lines
    of everything else unchanged)."""
    if not ranges:
        return source
    blanked = bytearray(source)
    for start, end in ranges:
        blanked[start:end] = source[start:end].translate(_BLANK)
    return bytes(blanked)


def _elisions(tree: Tree, source: bytes) -> list[Elision]:
    found: list[Elision] = []
    for decl in tree.root_node.children:
        if decl.descendant_count <= 2 * MAX_NESTING:
            continue  # too small to reach a limit (a nesting level takes two nodes or more)
        found.extend(_check_declaration(decl, source))
    return found


def _check_declaration(decl: Node, source: bytes) -> list[Elision]:
    """The declaration itself when it nests too deep, else the huge data literals in it.

    An explicit stack, and only subtrees big enough to reach a limit are entered.
    """
    found: list[Elision] = []
    # Every nesting node holds a `{` or a `:` (case clauses, labels): with few of them in the
    # declaration's bytes (strings and comments included: a bound), nesting cannot exceed its
    # limit, and only subtrees deep enough for the syntax limit need entering.
    start, end = decl.start_byte, decl.end_byte
    colons = source.count(b":", start, end) - source.count(b":=", start, end)
    may_nest = source.count(b"{", start, end) + colons > MAX_NESTING
    stack = [(decl, 0, 0)]
    while stack:
        node, depth, nesting = stack.pop()
        kind = node.type
        if kind != "binary_expression":
            depth += 1
        else:
            right = node.child_by_field_name("right")
            depth += right is None or right.type not in _LITERALS
        nesting += kind in _NESTING_NODES
        if depth > MAX_DEPTH or nesting > MAX_NESTING:
            what = (f"blocks nested more than {MAX_NESTING} deep" if nesting > MAX_NESTING
                    else f"syntax nested more than {MAX_DEPTH} levels deep")
            return [Elision(decl.start_byte, decl.end_byte,
                            f"{_declaration_label(decl)} has {what}; it was not analysed "
                            "(package-wide findings do not see what it does)")]
        if kind == "literal_value" and node.named_child_count > LARGE_LITERAL and _is_data(
            source, node.start_byte + 1, node.end_byte - 1
        ):
            found.append(Elision(node.start_byte + 1, node.end_byte - 1))
            continue
        for child in node.children:
            size = child.descendant_count
            if depth + size > MAX_DEPTH or (may_nest and nesting + size // 2 > MAX_NESTING):
                stack.append((child, depth, nesting))
    return found


def _is_data(source: bytes, start: int, end: int) -> bool:
    """No ``(`` between ``start`` and ``end`` outside strings and comments: no code, only data."""
    if source.find(b"(", start, end) < 0:
        return True
    return not any(m.group(1) for m in _CODE_IN_DATA.finditer(source, start, end))


def _declaration_label(decl: Node) -> str:
    name = decl.child_by_field_name("name")
    if decl.type in ("function_declaration", "method_declaration") and name is not None:
        return f"func {text(name)}"
    return {"var_declaration": "a var declaration", "const_declaration": "a const declaration",
            "type_declaration": "a type declaration"}.get(decl.type, "a declaration")


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


def first_error(tree: Tree) -> Node | None:
    """The first ERROR or MISSING node of a tree, or None when the whole file parsed."""
    root = tree.root_node
    if not root.has_error:
        return None
    cursor = root.walk()
    while True:
        node = cursor.node
        assert node is not None  # a cursor made from a node always stands on one
        if node.is_error or node.is_missing:
            return node
        if node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return None


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
) -> None:
    """One pass over ``root`` shared by several visitors, each with its own skip bookkeeping.

    Only nodes of the types some visitor handles are materialised: one tree-sitter query (run
    in C) finds them in document order, and the nesting that ``leave_`` and skipping need is
    rebuilt from their start bytes (ends are read only for the nodes that need one: reading a
    node's end touches its subtree, several times the cost of its start).  The effect is that
    of a full pre-order walk that calls ``visit_`` on entering and ``leave_`` on leaving each
    handled node.  When a handler raises and ``on_error`` is given, that visitor is dropped for
    the rest of the pass and ``on_error(visitor, exc)`` is called; the others go on.  Without
    ``on_error`` it propagates.
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
    nodes = _nodes_of_types(root, dispatch)

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


def _nodes_of_types(
    root: Node, kinds: Collection[str]
) -> Iterable[tuple[int, Node, str]]:
    """Every node under ``root`` (itself included) of one of ``kinds``, in pre-order, as
    (start byte, node, type).

    One query, each type captured under its own name.  Of a file's root it is asked like any
    other root question, so that it joins the file's one combined walk; its answer is then
    dropped from the memo: a walk needs its nodes once, and they are the bulk of a file's
    nodes, not to be kept for the package's lifetime.  A file of ``WALK_BY_DECLARATION``
    bytes or more is queried one top-level node at a time, as the walk goes.
    """
    # One walk pattern for the rules' walks (``expect_walks``: the types of all their visitors),
    # so that rules active in some packages only do not each add a pattern to the combined query.
    is_file = root.type == "source_file"
    if is_file and root.end_byte >= WALK_BY_DECLARATION:
        return _by_declaration(root, kinds)
    if is_file and (not _walk_kinds or _walk_kinds.issuperset(kinds)):
        expect_walks(kinds)
        by_kind = _captured(_walk_pattern, root)
        _memo.pop((_walk_pattern, root), None)
        by_kind = {kind: nodes for kind, nodes in by_kind.items() if kind in kinds}
    else:  # a walk of other types than the rules' (a rule's second pass): a query of its own
        pattern = "\n".join(f"({kind}) @{kind}" for kind in sorted(kinds))
        by_kind = QueryCursor(query(pattern)).captures(root)
    return _preorder(by_kind)


def _by_declaration(root: Node, kinds: Collection[str]) -> Iterator[tuple[int, Node, str]]:
    """``_nodes_of_types`` of a file's root, queried one top-level node at a time."""
    if root.type in kinds:
        yield root.start_byte, root, root.type
    cursor = QueryCursor(query("\n".join(f"({kind}) @{kind}" for kind in sorted(kinds))))
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
