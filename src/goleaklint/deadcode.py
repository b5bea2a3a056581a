"""Code that never runs, one answer for the rules that ask where a goroutine is started.

A statement never runs when its function's flow graph does not reach it from the entry: it
comes after a ``return``, an endless loop, or a call that never returns (``t.Skip*``,
``t.Fatal*``, ``t.FailNow``, ``runtime.Goexit``, ``os.Exit``, ``panic``…: ``noreturn.py``
decides, the graph follows).  A test that begins with ``t.Skip("broken")`` is dead past that
line; one that skips under a condition (``if testing.Short() { t.Skip() }``) is not.  Code in
a function literal held by such a statement never runs either (``t.Run(…, func…)`` after the
skip), nor does an ``ExampleXxx`` without ``// Output:`` (``scope.compiled_only``), nor a
helper of the package's tests whose every call is in such code (``dead_test_helpers``: the
server a skipped test would have started).
"""

from __future__ import annotations

import re

from .facts import package_fact
from .flow import FlowCache, flows
from .model import FileModel, Package, function_name
from .noreturn import call_ends
from .scope import compiled_only, is_test_entry
from .syntax import Node


def never_runs(flows: FlowCache, f: FileModel, node: Node) -> bool:
    """Whether ``node`` (a statement or expression of ``f``) can never run."""
    if _unreached(flows, f, node):
        return True
    package = flows.package
    top = f.top_level_function(node)
    if package is None or top is None:
        return False
    return _dead_helper(flows, package, f, top, package.facts.get(dead_test_helpers))


def _unreached(flows: FlowCache, f: FileModel, node: Node) -> bool:
    """``node`` is in an example that never runs, or its function's graph (or that of the
    function holding the literal it is in, and so on out) never reaches it."""
    if compiled_only(f, node):
        return True
    current = node
    function = f.innermost_function(current)
    while function is not None:
        if not _may_be_cut_off(current, function, flows, f):
            if function.type != "func_literal":
                return False
            current, function = function, f.innermost_function(function)
            continue
        cfg = flows.graph(function, f)
        block = cfg.block_of(current, through_literals=True)
        if block is not None and block not in cfg.reachable(cfg.entry):
            return True
        if function.type != "func_literal":
            return False
        current, function = function, f.innermost_function(function)
    return False


# Statements after which control may not go on to the next one (the graph decides); an
# ``if`` without ``else``, a switch without ``default`` and a loop with a condition or a
# range always may.
_MAY_END = frozenset({"return_statement", "goto_statement", "break_statement",
                      "continue_statement", "select_statement",
                      "labeled_statement", "block"})
_SWITCHES = frozenset({"expression_switch_statement", "type_switch_statement"})


def _may_be_cut_off(node: Node, function: Node, flows: FlowCache, f: FileModel) -> bool:
    """Whether a statement before ``node`` in one of the blocks between it and ``function``
    may end the way there (a ``return``, a call that never returns, a loop or branch that
    may not come out): only then is the function's graph worth building. Without such a
    statement ``node`` is reached whenever ``function`` runs."""
    current: Node | None = node
    while current is not None and current.id != function.id:
        sibling = current.prev_named_sibling
        while sibling is not None:
            if _may_end(sibling, f, flows.package):
                return True
            sibling = sibling.prev_named_sibling
        current = current.parent
    return False


def _may_end(statement: Node, f: FileModel, package: Package | None) -> bool:
    """Whether control may not go on past ``statement`` (see ``_MAY_END``)."""
    kind = statement.type
    if kind in _MAY_END:
        return True
    if kind == "expression_statement":
        call = statement.named_children[0] if statement.named_child_count else None
        return call_ends(call, f, package) is not None
    if kind == "if_statement":
        return statement.child_by_field_name("alternative") is not None
    if kind in _SWITCHES:
        return any(c.type == "default_case" for c in statement.named_children)
    if kind == "for_statement":
        body = statement.child_by_field_name("body")
        return all(c.type == "comment" or c == body for c in statement.named_children)
    return False


@package_fact(requires=(flows,))
def dead_test_helpers(pkg: Package) -> dict[int, bool]:
    """Whether a function declared in a test file, not run by ``go test`` itself, never runs:
    its name is written only in calls that never run, or in calls in such helpers. A memo by
    declaration id, filled on first question by the goroutine rules."""
    return {}


def _dead_helper(flows: FlowCache, pkg: Package, f: FileModel, top: Node,
                 memo: dict[int, bool]) -> bool:
    """``dead_test_helpers``' answer for ``top``, a top-level function of ``f``."""
    known = memo.get(top.id)
    if known is not None:
        return known
    memo[top.id] = False  # while it is asked (a helper calling itself): live
    if not f.is_test or top.type != "function_declaration" or is_test_entry(top):
        return False
    name = function_name(top)
    declared = pkg.funcs.get(name)
    calls = pkg.call_sites.get(name, [])
    if declared is None or declared.node.id != top.id or not calls or not all(
            site.is_test for site, _ in calls) or _written(pkg, name) != len(calls) + 1:
        return False  # not called, or also used as a value
    dead = True
    for site, call in calls:
        if _unreached(flows, site, call):
            continue
        caller = site.top_level_function(call)
        if caller is None or not _dead_helper(flows, pkg, site, caller, memo):
            dead = False
            break
    memo[top.id] = dead
    return dead


def _written(pkg: Package, name: str) -> int:
    """How many times ``name`` is written as an identifier in the package's test files
    (comments, strings and fields ``x.name`` left out)."""
    word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\b")
    count = 0
    for f in pkg.files:
        if not f.is_test:
            continue
        for match in word.finditer(f.source):
            node = f.root.descendant_for_byte_range(match.start(), match.end())
            count += node is not None and node.type == "identifier"
    return count
