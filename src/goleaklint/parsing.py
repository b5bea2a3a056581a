"""Parsing Go sources with tree-sitter, guarded: declarations nested beyond the limits and
huge data literals are blanked out before the tree is built (offsets and lines kept)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from operator import attrgetter, methodcaller

from tree_sitter import Parser

from .nodes import GO, Node, Tree, text


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
