"""Where code runs and how often: the model questions behind "a leak is growth" (DESIGN.md).

* ``fixed_iterations`` / ``small_fixed_loop`` / ``data_driven_loops``: is a loop's count fixed by
  the source (a small literal, a constant bound) or driven by data;
* ``is_test_entry``: a ``TestXxx``/``BenchmarkXxx``/``FuzzXxx``/``ExampleXxx`` declaration;
* ``compiled_only``: code in an ``ExampleXxx`` without ``// Output:`` (compiled, never run);
* ``runs_once``: code that runs once per process (initialisation, ``main.main``, ``TestMain``,
  ``once.Do`` and the helpers only those call);
* ``short_lived_tool``: a ``package main`` with no serve/accept/event loop;
* ``repeats``: DESIGN's policy for resources, timers and contexts in one answer: can the code at
  a node run again and again in a process that keeps running?
"""

from __future__ import annotations

import re

from .constants import const_int
from .facts import package_fact
from .longlived import called_only_from, context_of, is_init_time
from .model import FileModel, Package, function_name
from .syntax import Node, text, unquote

SMALL_LOOP = 64  # at most this many iterations fixed by the source: no accumulation to speak of
MANY_CALLERS = 3  # a test helper with this many call sites runs per test: it may accumulate

_TEST_ENTRY = re.compile(r"^(Test|Benchmark|Fuzz|Example)(?![a-z])")
_LOOP_NODES = frozenset({"for_statement"})
_FUNCTION_NODES = frozenset({"function_declaration", "method_declaration", "func_literal"})

# What makes a `package main` a long-lived process: it serves, accepts, or waits for signals or
# ticks. Searched in the bytes of the package's non-test files (a cheap, documented heuristic).
_SERVING = re.compile(
    rb"ListenAndServe|\.Serve(TLS|HTTP|Conn)?\(|\.Accept\(|signal\.Notify|net\.Listen"
    rb"|ListenPacket\(|grpc\.NewServer|time\.NewTicker|time\.Tick\(|\.ListenUDP\(|\.ListenTCP\("
)

_WRITES = """
(assignment_statement left: (expression_list (identifier) @w))
(assignment_statement left: (expression_list (index_expression operand: (identifier) @w)))
(inc_statement (identifier) @w)
(dec_statement (identifier) @w)
"""


def fixed_iterations(loop: Node, f: FileModel, pkg: Package) -> int | None:
    """How many times ``loop`` (a ``for_statement``) runs when the source fixes it, else None.

    Fixed: a range over a composite literal, a string literal, an integer constant (Go 1.22),
    or a variable bound to a composite literal and never written again (a test table); a
    ``for i := A; i < B; i++`` with constant bounds, or ``i < len(literal or table)``.
    """
    for child in loop.named_children:
        if child.type == "range_clause":
            return _collection_size(child.child_by_field_name("right"), loop, f, pkg)
        if child.type == "for_clause":
            return _counted(child, loop, f, pkg)
    return None


def small_fixed_loop(loop: Node, f: FileModel, pkg: Package, limit: int = SMALL_LOOP) -> bool:
    """``loop`` runs a fixed number of times, at most ``limit``."""
    n = fixed_iterations(loop, f, pkg)
    return n is not None and n <= limit


def data_driven_loops(node: Node, f: FileModel, pkg: Package, *,
                      through_literals: bool = False) -> list[Node]:
    """The ``for`` statements around ``node`` in its function (innermost first) whose count is
    not a small fixed one. With ``through_literals`` the search goes on past function literals
    (a ``t.Run`` or goroutine body started per iteration) up to the declaration."""
    found = []
    parent = node.parent
    while parent is not None:
        kind = parent.type
        if kind in _LOOP_NODES and not small_fixed_loop(parent, f, pkg):
            found.append(parent)
        elif (kind == "func_literal" and not through_literals) or kind in (
                "function_declaration", "method_declaration"):
            break
        parent = parent.parent
    return found


def is_test_entry(function: Node | None) -> bool:
    """A declaration ``go test`` runs (or compiles, for an example without ``// Output:``):
    ``TestXxx``, ``BenchmarkXxx``, ``FuzzXxx``, ``ExampleXxx``."""
    return (function is not None and function.type == "function_declaration"
            and _TEST_ENTRY.match(function_name(function)) is not None
            and function_name(function) != "TestMain")


_OUTPUT_COMMENT = re.compile(r"^//\s*(unordered )?output:", re.IGNORECASE)


def compiled_only(f: FileModel, node: Node) -> bool:
    """``node`` is in an ``ExampleXxx`` of a test file with no ``// Output:`` comment: ``go
    test`` compiles it and never runs it."""
    declaration = f.top_level_function(node)
    if not f.is_test or declaration is None or declaration.type != "function_declaration":
        return False
    if not function_name(declaration).startswith("Example") or not is_test_entry(declaration):
        return False
    body = declaration.child_by_field_name("body")
    return body is not None and not any(
        _OUTPUT_COMMENT.match(text(c)) for c in f.captures("(comment) @c", body).get("c", []))


def runs_once(pkg: Package, f: FileModel, node: Node, *, registration: bool = True) -> bool:
    """The function running ``node`` runs once per process: initialisation (``init``, var
    initialisers, ``once.Do``, ``TestMain``, flag setters and, with ``registration``,
    ``Register…``), ``main.main``, or a function only those call."""
    if is_init_time(pkg, node, registration, f=f):
        return True
    ctx = context_of(node, f)
    return ctx is not None and ctx.id in pkg.facts.get(main_only_functions)


@package_fact()
def written_in_functions(pkg: Package) -> frozenset[str]:
    """Names written (assigned, index-assigned, incremented) inside any function of the
    package: a package-level table not among them keeps its initial literal."""
    names: set[str] = set()
    for f in pkg.files:
        for top in f.top_level:
            if top.type in _FUNCTION_NODES:
                names.update(_written_names(f, top))
    return frozenset(names)


@package_fact(requires=(written_in_functions,))
def main_only_functions(pkg: Package) -> frozenset[int]:
    """Node ids of ``main.main`` and the functions of package main only it (transitively)
    calls, outside loops driven by data: they run once per process."""
    if pkg.name != "main" or "main" not in pkg.funcs:
        return frozenset()
    # Every ``main``: example programs kept apart by build tags share one package.
    marks = {top.id for f in pkg.files for top in f.top_level
             if top.type == "function_declaration" and function_name(top) == "main"}
    pending: dict[str, list[int]] = {}
    for name in pkg.funcs:
        if name in ("main", "init"):
            continue
        contexts = []
        for site_file, call in pkg.call_sites.get(name, ()):
            ctx = context_of(call, site_file)
            if ctx is None or ctx.type == "func_literal" or data_driven_loops(
                    call, site_file, pkg):
                break  # a callback, or a call per iteration of main's loop: not once
            contexts.append(ctx.id)
        else:
            if contexts:
                pending[name] = contexts
    return called_only_from(pkg, marks, pending)


@package_fact()
def short_lived_tool(pkg: Package) -> bool:
    """A ``package main`` whose non-test files never serve, accept, listen, tick or wait for
    signals: a CLI, generator or compiler; its process ends soon after its work."""
    if pkg.name != "main":
        return False
    return not any(_SERVING.search(f.source) for f in pkg.files if not f.is_test)


def repeats(pkg: Package, f: FileModel, node: Node) -> bool:
    """Whether the code at ``node`` can run again and again in a process that keeps running,
    DESIGN's reading for resources, timers and contexts:

    * in a ``_test.go`` file, only inside a data-driven loop or in a helper (not a test entry)
      with ``MANY_CALLERS`` call sites: one leak in one test ends with the test process;
    * code that runs once per process (``runs_once``) only inside a data-driven loop;
    * anything else: yes.
    """
    loops = data_driven_loops(node, f, pkg, through_literals=True)
    if f.is_test:
        if loops:
            return True
        declaration = f.top_level_function(node)
        if declaration is None or is_test_entry(declaration):
            return False
        name = function_name(declaration)
        if declaration.type == "function_declaration":
            return name != "TestMain" and len(pkg.call_sites.get(name, ())) >= MANY_CALLERS
        # A method of a test type (a suite's or fixture's helper): by the calls of its name.
        return pkg.facts.get(method_calls).get(name, 0) >= MANY_CALLERS
    return bool(loops) or not runs_once(pkg, f, node)


_METHOD_CALLS = "(call_expression function: (selector_expression field: (field_identifier) @m))"


@package_fact()
def method_calls(pkg: Package) -> dict[str, int]:
    """How many calls ``x.Name(…)`` of each name the package's files make (any receiver: a
    bound on the calls of a method of that name)."""
    counts: dict[str, int] = {}
    for f in pkg.files:
        for m in f.captures(_METHOD_CALLS).get("m", []):
            name = text(m)
            counts[name] = counts.get(name, 0) + 1
    return counts


# Loop counts -----------------------------------------------------------------------------------

def _collection_size(right: Node | None, loop: Node, f: FileModel, pkg: Package) -> int | None:
    if right is None:
        return None
    kind = right.type
    if kind == "composite_literal":
        return _literal_length(right)
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return len(unquote(text(right)))
    if kind == "identifier":
        value = _bound_value(right, loop, f, pkg)
        if value is not None and value.type == "composite_literal":
            return _literal_length(value)
        if value is not None:
            return const_int(pkg, f, value)  # n := 10 ... for i := range n
    return const_int(pkg, f, right)


def _literal_length(literal: Node) -> int | None:
    body = literal.child_by_field_name("body")
    if body is None:
        return None
    return sum(1 for e in body.named_children if e.type != "comment")


def _counted(clause: Node, loop: Node, f: FileModel, pkg: Package) -> int | None:
    """``for i := A; i < B; i++`` (or ``<=``, or counting down ``i > B; i--``) with constant
    bounds, or ``i < len(x)`` of a fixed collection."""
    cond = clause.child_by_field_name("condition")
    init = clause.child_by_field_name("initializer")
    if cond is None or cond.type != "binary_expression" or init is None:
        return None
    if init.type != "short_var_declaration":
        return None
    values = init.child_by_field_name("right")
    start_expr = values.named_children[0] if values is not None and values.named_children else None
    start = const_int(pkg, f, start_expr)
    op = text(cond.child_by_field_name("operator"))
    bound_expr = cond.child_by_field_name("right")
    bound = const_int(pkg, f, bound_expr)
    if bound is None and bound_expr is not None and bound_expr.type == "identifier":
        value = _bound_value(bound_expr, loop, f, pkg)  # n := 10000, never written again
        bound = const_int(pkg, f, value) if value is not None else None
    if bound is None and bound_expr is not None and bound_expr.type == "call_expression" and (
        text(bound_expr.child_by_field_name("function")) == "len"
    ):
        args = bound_expr.child_by_field_name("arguments")
        if args is not None and args.named_child_count == 1:
            bound = _collection_size(args.named_children[0], loop, f, pkg)
    if start is None or bound is None:
        return None
    if op == "<":
        return max(bound - start, 0)
    if op == "<=":
        return max(bound - start + 1, 0)
    if op == ">":
        return max(start - bound, 0)
    if op == ">=":
        return max(start - bound + 1, 0)
    return None


def _bound_value(ident: Node, loop: Node, f: FileModel, pkg: Package) -> Node | None:
    """The value a local or package-level variable named ``ident`` is declared with (a
    composite literal for a package-level one), when nothing in its function (local) or
    package (global) writes it again."""
    name = text(ident)
    function = _enclosing_declaration(loop)
    if function is not None:
        literal = _local_value(f, function, name, loop.start_byte)
        if literal is not None:
            return None if name in _written_names(f, function) else literal
        if f.is_local(ident):
            return None
    declared = pkg.vars.get(name)
    if declared is None or name in pkg.facts.get(written_in_functions):
        return None
    value = declared.value
    if value is not None and value.type == "expression_list" and value.named_child_count == 1:
        value = value.named_children[0]
    if value is None or value.type != "composite_literal":
        return None
    return value


def _enclosing_declaration(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in ("function_declaration", "method_declaration"):
        parent = parent.parent
    return parent


def _local_value(f: FileModel, function: Node, name: str, before: int) -> Node | None:
    """``name := v`` or ``var name = v`` (one name, one value) in ``function`` before byte
    ``before``: the value of the last such declaration."""
    found = f.captures(_LOCAL_TABLES, function)
    best = None
    for ident, value in zip(found.get("name", []), found.get("value", []), strict=False):
        if ident.start_byte < before and text(ident) == name:
            best = value
    return best


_LOCAL_TABLES = """
(short_var_declaration left: (expression_list . (identifier) @name .)
                       right: (expression_list . (_) @value .))
(var_spec name: (identifier) @name value: (expression_list . (_) @value .))
"""


def _written_names(f: FileModel, function: Node) -> frozenset[str]:
    """Names assigned, index-assigned or incremented anywhere in ``function``."""
    return frozenset(text(n) for n in f.captures(_WRITES, function).get("w", []))
