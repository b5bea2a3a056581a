"""Naive versions of the rules: what a linter without goleaklint's analysis would flag.

They measure the fixtures' negatives. A fixture's negative is code a naive rule flags and the
real rule must not (a closed file, a map something deletes from, a defer in a per-iteration
literal); every line a naive rule flags without a ``// want`` marker of that rule is one.
Each naive rule reports where the real rule does, so that it also finds the positives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from goleaklint.openers import OPENER_NAMES
from goleaklint.syntax import Node, captures, parse, text

RULES = ("GL101", "GL102", "GL103", "GL201", "GL202", "GL203", "GL204", "GL205", "GL301",
         "GL302", "GL303", "GL304", "GL401")
_FUNCTIONS = ("function_declaration", "method_declaration")
_STORES = ("Store", "LoadOrStore", "Set", "Add", "Put")
_CANCELLABLE = re.compile(r"context\.With(Cancel|Timeout|Deadline)")
# A package's own wrappers are openers by their names: ``openConfig``, ``c.do``, ``u.query``.
_OPENER_LIKE = re.compile(r"(?i)(open|create|dial|listen|query|prepare|begin|do$|get$|post$)")
_SENDS = re.compile(rb"[\w\])] <- ")  # ``ch <- v``, not ``case <-ch``
_ENDLESS = re.compile(rb"for\s*\{|range\s+(time\.Tick\(|[\w.]+\.C\s*\{)")  # or a ticker's C


def _ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _root(node: Node) -> Node:
    while node.type in ("index_expression", "selector_expression", "parenthesized_expression"):
        inner = node.child_by_field_name("operand")
        node = inner if inner is not None else node.named_children[0]
    return node


def _launched(go: Node) -> str:
    """The name of the function a ``go`` statement runs (``run`` of ``go s.run()``)."""
    call = go.named_children[0] if go.named_child_count else None
    fn = call.child_by_field_name("function") if call is not None else None
    return text(fn).rpartition(".")[2] if fn is not None and fn.type != "func_literal" else ""


def _in_go_literal(node: Node) -> bool:
    literal = next((a for a in _ancestors(node) if a.type == "func_literal"), None)
    return literal is not None and literal.parent is not None and (
        literal.parent.parent is not None and literal.parent.parent.type == "go_statement")


def sites(root: Node, package_vars: set[str], launched: set[str],
          functions: dict[str, bytes]) -> dict[str, set[int]]:
    """Rule ID -> the lines of one file its naive version flags."""
    found: dict[str, set[int]] = {rule: set() for rule in RULES}

    def line(node: Node) -> int:
        return node.start_point[0] + 1

    def in_goroutine(node: Node) -> bool:
        function = next((a for a in _ancestors(node) if a.type in _FUNCTIONS), None)
        return _in_go_literal(node) or (
            function is not None and text(function.child_by_field_name("name")) in launched)

    for statement in captures("(assignment_statement) @a", root).get("a", []):
        right = statement.child_by_field_name("right")
        values = right.named_children if right is not None else []
        for target in statement.child_by_field_name("left").named_children:
            root_name = _root(target)
            kept = text(root_name) in package_vars or target.type != "identifier"
            if target.type == "index_expression" and kept:
                found["GL101"].add(line(statement))  # a write into a map of package state
            if kept and any("append(" in text(v) for v in values):
                found["GL102"].add(line(statement))  # package state appended to
            if kept and text(statement.child_by_field_name("operator")) == "=" and any(
                v.type in ("identifier", "index_expression", "slice_expression", "call_expression",
                           "selector_expression") for v in values
            ):
                found["GL103"].add(line(statement))  # something computed, kept long
    for target in captures("(inc_statement (index_expression) @i)", root).get("i", []):
        if text(_root(target)) in package_vars:
            found["GL101"].add(line(target))
    for call in captures("(call_expression) @c", root).get("c", []):
        fn = call.child_by_field_name("function")
        written = text(fn)
        field = fn.child_by_field_name("field") if fn.type == "selector_expression" else None
        name = text(field) if field is not None else written
        loop = any(a.type == "for_statement" for a in _ancestors(call))
        if name in OPENER_NAMES or _OPENER_LIKE.match(name):
            found["GL201"].add(line(call))  # every open
        if _CANCELLABLE.match(written):
            found["GL202"].add(line(call))
        if written in ("time.NewTicker", "time.Tick"):
            found["GL203"].add(line(call))
        if written.endswith("After") and loop and any(
            a.type == "select_statement" for a in _ancestors(call)
        ):
            found["GL205"].add(line(call))
        if name in ("Store", "LoadOrStore"):
            found["GL101"].add(line(call))
        if in_goroutine(call) and _SENDS.search(functions.get(name, b"")):
            found["GL301"].add(line(call))  # a call to a helper of the package that sends
        if name in _STORES:
            found["GL103"].add(line(call))
    for defer in captures("(defer_statement) @d", root).get("d", []):
        if any(a.type == "for_statement" for a in _ancestors(defer)):
            found["GL204"].add(line(defer))  # lexically in a loop, literals included
    for send in captures("(send_statement) @s", root).get("s", []):
        if in_goroutine(send):  # every send of a goroutine, launched in a loop or not
            found["GL301"].add(line(send))
            found["GL302"].add(line(send))
    for loop in captures("(for_statement) @f", root).get("f", []):
        if any(c.type == "range_clause" for c in loop.named_children) and in_goroutine(loop):
            found["GL303"].add(line(loop))
    for receive in captures('(unary_expression operator: "<-") @r', root).get("r", []):
        if in_goroutine(receive) and any(a.type == "for_statement" for a in _ancestors(receive)):
            found["GL303"].add(line(receive))  # a receive loop
    for go in captures("(go_statement) @g", root).get("g", []):
        body = functions.get(_launched(go), go.text or b"")
        if _ENDLESS.search(body):
            found["GL304"].add(line(go))
    for literal in captures("(func_literal) @l", root).get("l", []):
        holder = literal.parent.parent if literal.parent is not None else None
        called_here = literal.parent is not None and literal.parent.type == "call_expression"
        if not called_here or (holder is not None and holder.type == "go_statement"):
            found["GL401"].add(line(literal))  # a closure kept somewhere, or a goroutine
    return found


def package_sites(directory: Path) -> dict[Path, dict[str, set[int]]]:
    """``sites`` of every Go file of a package folder."""
    trees = {path: parse(path.read_bytes()).root_node for path in sorted(directory.glob("*.go"))}
    package_vars: set[str] = set()
    launched: set[str] = set()
    functions: dict[str, bytes] = {}
    for root in trees.values():
        for pattern in ("(source_file (var_declaration (var_spec name: (identifier) @n)))",
                        "(source_file (var_declaration (var_spec_list (var_spec name: "
                        "(identifier) @n))))"):
            package_vars.update(text(n) for n in captures(pattern, root).get("n", []))
        launched.update(_launched(g) for g in captures("(go_statement) @g", root).get("g", []))
        for decl in captures("[(function_declaration) (method_declaration)] @d", root).get("d", []):
            name = text(decl.child_by_field_name("name"))
            functions[name] = functions.get(name, b"") + (decl.text or b"")
    launched.discard("")
    return {path: sites(root, package_vars, launched, functions) for path, root in trees.items()}
