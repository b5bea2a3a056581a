"""Code that never runs, one answer for the rules that ask where a goroutine is started.

A statement never runs when its function's flow graph does not reach it from the entry: it
comes after a ``return``, an endless loop, or a call that never returns (``t.Skip*``,
``t.Fatal*``, ``t.FailNow``, ``runtime.Goexit``, ``os.Exit``, ``panic``…: ``noreturn.py``
decides, the graph follows).  A test that begins with ``t.Skip("broken")`` is dead past that
line; one that skips under a condition (``if testing.Short() { t.Skip() }``) is not.  Code in
a function literal held by such a statement never runs either (``t.Run(…, func…)`` after the
skip), nor does an ``ExampleXxx`` without ``// Output:`` (``scope.compiled_only``).
"""

from __future__ import annotations

from .flow import FlowCache
from .model import FileModel
from .scope import compiled_only
from .syntax import Node


def never_runs(flows: FlowCache, f: FileModel, node: Node) -> bool:
    """Whether ``node`` (a statement or expression of ``f``) can never run."""
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
