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

from collections import Counter

from .facts import package_fact
from .flow import FlowCache, flows
from .model import FileModel, Package, function_name
from .scope import compiled_only, is_test_entry
from .syntax import Node, text


def never_runs(flows: FlowCache, f: FileModel, node: Node) -> bool:
    """Whether ``node`` (a statement or expression of ``f``) can never run."""
    if _unreached(flows, f, node):
        return True
    package = flows.package
    top = f.top_level_function(node)
    return package is not None and top is not None and (
        top.id in package.facts.get(dead_test_helpers))


def _unreached(flows: FlowCache, f: FileModel, node: Node) -> bool:
    """``node`` is in an example that never runs, or its function's graph (or that of the
    function holding the literal it is in, and so on out) never reaches it."""
    if compiled_only(f, node):
        return True
    current = node
    function = f.innermost_function(current)
    while function is not None:
        cfg = flows.graph(function, f)
        block = cfg.block_of(current, through_literals=True)
        if block is not None and block not in cfg.reachable(cfg.entry):
            return True
        if function.type != "func_literal":
            return False
        current, function = function, f.innermost_function(function)
    return False


@package_fact(requires=(flows,))
def dead_test_helpers(pkg: Package) -> frozenset[int]:
    """Node ids of the functions declared in test files, not run by ``go test`` themselves,
    whose name is written only in calls that never run (to a fixpoint: a call in such a
    helper never runs either)."""
    helpers = [name for name, declared in pkg.funcs.items() if declared.file.is_test and not (
        is_test_entry(declared.node) or function_name(declared.node) == "TestMain")]
    if not helpers:
        return frozenset()
    cache = pkg.facts.get(flows)
    wanted = set(helpers)
    words = Counter(name for f in pkg.files if f.is_test
                    for ident in f.captures("(identifier) @i").get("i", [])
                    if (name := text(ident)) in wanted)
    sites: dict[str, list[tuple[FileModel, Node]]] = {}
    for name in helpers:
        calls = pkg.call_sites.get(name, [])
        # Written only in its declaration and its calls (not as a value, not in a file that
        # is not a test: there it would be a function of the package proper).
        if calls and all(f.is_test for f, _ in calls) and (
                words[name] == len(calls) + 1):
            sites[name] = calls
    dead: set[int] = set()
    live = {name: [(f, call) for f, call in calls if not _unreached(cache, f, call)]
            for name, calls in sites.items()}
    changed = True
    while changed:
        changed = False
        for name, calls in live.items():
            node = pkg.funcs[name].node
            if node.id in dead:
                continue
            if all((top := f.top_level_function(call)) is not None and top.id in dead
                   for f, call in calls):
                dead.add(node.id)
                changed = True
    return frozenset(dead)
