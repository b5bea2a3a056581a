"""Where package-level state cannot grow for long, shared by the retention rules (GL101-GL103).

Package state lives as long as the process, so it only leaks in a process that keeps running:

* ``ends_soon``: the package runs in a short-lived process: a short-lived ``package main``
  (``scope.short_lived_tool``), the packages of the Go distribution's ``cmd`` module (the
  compiler, linker, assembler and go command run once per build step), and ``internal``
  packages whose only possible importer (Go's internal rule) is a short-lived ``package main``;
* ``test_support``: code that runs only in a test process: ``_test.go`` files, packages whose
  folder (or a parent inside the module) names them test support (``fstest``, ``testutil``,
  ``testserver``, ``integration`` …), functions taking a ``testing`` parameter and ``Mock…``
  hooks;
* ``run_by_hand``: a ``//go:build ignore`` file, a generator run with ``go run``;
* ``registration_api`` and ``panics_on_duplicate``: set-up registries, filled by what callers
  pass while the program starts.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import inputs
from .facts import package_fact
from .longlived import is_init_time
from .model import FileModel, Package, function_name

# What makes a `package main` long-lived: the one pattern `scope.short_lived_tool` reads.
from .scope import _SERVING, runs_once, short_lived_tool
from .syntax import Node, text

# Go's distribution: `cmd/go.mod` says `module cmd`; its packages are the toolchain's commands.
TOOLCHAIN_MODULE = "cmd"
# A path element naming test support: Go's own `httptest`, `iotest`, `fstest`, `testenv`, and
# the common `testutil(s)`, `testserver`, `testhelpers`, `integration` harness folders.
# (`latest` is no test; `testdata` holds inputs, analysed only when named.)
_TEST_SUPPORT = re.compile(
    r"^(?!latest$)([a-z0-9]*tests?|integration|test(util|utils|ing|env|server|servers|helper"
    r"|helpers|er|suite|support|kit|fixture|fixtures|common))$", re.I)
_TESTING_PARAM = re.compile(r"\btesting\.(TB|T|B|F|M)\b")
_PACKAGE_CLAUSE = re.compile(rb"^package\s+(\w+)", re.MULTILINE)
# `//go:build ignore` (or `// +build ignore`): a program run by hand (`go run gen.go`).
_IGNORE_CONSTRAINT = re.compile(rb"^//(go:build|\s*\+build)\s+ignore\s*$", re.MULTILINE)


@package_fact(requires=(short_lived_tool,))
def ends_soon(pkg: Package) -> bool:
    """The package runs in a short-lived process: a short-lived ``package main``, a package of
    the Go toolchain's ``cmd`` module, or an ``internal`` package of a short-lived command."""
    if pkg.name == "main":
        return pkg.facts.get(short_lived_tool)
    if pkg.module.path == TOOLCHAIN_MODULE:
        return True
    return _internal_of_tool(pkg.directory)


def _internal_of_tool(directory: Path) -> bool:
    """``…/cmd/x/internal/y``: only ``…/cmd/x`` and below may import it; when ``…/cmd/x`` is a
    short-lived ``package main`` (its non-test files), so is every process that runs it."""
    parts = directory.parts
    if "internal" not in parts:
        return False
    owner = Path(*parts[: len(parts) - 1 - parts[::-1].index("internal")])
    return _short_lived_main_folder(owner)


def _short_lived_main_folder(folder: Path) -> bool:
    """``_main_folder``, memoised for as long as the files it read are unchanged (a process
    may run several analyses: an editor's, the tests'); what it read is noted for the result
    cache each time."""
    memo = _main_folders.get(folder)
    if memo is None or not memo[2] or not all(inputs.still_holds(i)[0] for i in memo[1]):
        if len(_main_folders) >= 256:
            _main_folders.clear()
        with inputs.recording() as rec:
            answer = _main_folder(folder)
        memo = _main_folders[folder] = (answer, tuple(rec.items), rec.complete)
    inputs.replay(memo[1], memo[2])
    return memo[0]


# folder -> (whether it is a short-lived command, what that rests on, all of it recorded)
_main_folders: dict[Path, tuple[bool, tuple[inputs.Input, ...], bool]] = {}


def _main_folder(folder: Path) -> bool:
    try:
        files = inputs.go_sources(folder)
    except OSError:
        return False
    sources = []
    for path in files:
        try:
            sources.append(inputs.read(path))
        except OSError:
            return False
    if not sources:
        return False
    names = {m.group(1) for s in sources if (m := _PACKAGE_CLAUSE.search(s)) is not None}
    return names == {b"main"} and not any(_SERVING.search(s) for s in sources)


@package_fact()
def test_support_package(pkg: Package) -> bool:
    """The package's folder is named as test support (``fstest``, ``testutil``,
    ``integration``), or one of its parent folders inside its module is (the module's own
    folder and what lies above it are the user's names, not the package's)."""
    directory = pkg.directory
    root = pkg.module.gomod.parent if pkg.module.gomod is not None else None
    parts: tuple[str, ...] = directory.parts[-1:]
    if root is not None and directory.is_relative_to(root):
        parts = directory.relative_to(root).parts
    return any(_TEST_SUPPORT.match(p) for p in parts)


def run_by_hand(f: FileModel) -> bool:
    """A file never built into its package (``//go:build ignore``): a generator run with
    ``go run``, in a short-lived process of its own."""
    clause = _PACKAGE_CLAUSE.search(f.source)
    end = clause.start() if clause is not None else len(f.source)
    return _IGNORE_CONSTRAINT.search(f.source, 0, end) is not None


def test_support(pkg: Package, f: FileModel, node: Node) -> bool:
    """``node`` runs only in a test process: a ``_test.go`` file, a test-support package, or a
    function that takes a ``testing`` parameter or is a ``Mock…`` hook."""
    if f.is_test or pkg.facts.get(test_support_package):
        return True
    function = f.top_level_function(node)
    if function is None:
        return False
    if function_name(function).startswith("Mock"):
        return True
    params = function.child_by_field_name("parameters")
    return params is not None and _TESTING_PARAM.search(text(params)) is not None and (
        f.imports_path("testing")
    )


# Registration APIs ---------------------------------------------------------------------------

# Functions of these packages compute a value from their arguments and keep nothing of theirs.
_PURE_PACKAGES = frozenset({"strings", "bytes", "strconv", "fmt", "path", "path/filepath",
                            "regexp", "unicode", "reflect"})
_PREDECLARED = frozenset({"nil", "true", "false", "iota", "string", "int", "int8", "int16",
                          "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
                          "uintptr", "byte", "rune", "bool", "float32", "float64", "any",
                          "error", "len", "append", "_"})
_LEAF_KINDS = frozenset({"interpreted_string_literal", "raw_string_literal", "int_literal",
                         "float_literal", "rune_literal", "imaginary_literal", "true", "false",
                         "nil", "iota", "field_identifier", "type_identifier",
                         "package_identifier", "comment"})
_SKIP_KINDS = frozenset({"func_literal"})  # a callback built from the arguments: allowed as is
# The names of set-up APIs: what they store is registered, defined or configured, not seen.
_REGISTRATION_VERB = re.compile(
    r"^(Add|Append|Bind|Declare|Define|Enable|Install|Override|Publish|Register|Required"
    r"|Set|Suite|Use|On[A-Z]|New\w*(Kind|Type)$)"
)


def registration_api(pkg: Package, f: FileModel, statement: Node, keys: list[Node],
                     values: list[Node]) -> bool:
    """``statement`` in an exported set-up function (named ``Add…``, ``Set…``, ``Define…``,
    ``Publish…``, ``Register…``, ``On…``, ``New…Kind`` …) stores only what the caller passes:
    every node of ``keys`` and ``values`` (the key and value written, the elements appended)
    is a parameter, a field of one, a constant, a value struct literal of those, or computed from
    them by a pure function (``strings.ToUpper(name)``), directly or through locals bound to
    such values. Such a registration API (``AddRule(name, f)``, ``expvar.Publish(name, v)``)
    grows only as often as its callers, outside the package, call it; a constructor that keeps
    what it builds (``&Client{…}``, ``newMeter()``) is not one, nor a function the package
    itself calls after initialisation (the package then shows how often it runs). Each value
    must hold something of the caller's (a handler, an object): ``cache[k] = 1`` or ``m[k]++``
    records that a key was seen, the shape of a per-request set, not a registration."""
    function = f.top_level_function(statement)
    if function is None or not _REGISTRATION_VERB.match(function_name(function)):
        return False
    if _called_after_init(pkg, function):
        return False
    params = _parameter_names(function)
    if not params:
        return False
    derived = set(params)
    body = function.child_by_field_name("body")
    if body is None:
        return False
    # Locals bound (before the statement) to values computed from the parameters.
    for node in _bindings(body, statement.start_byte):
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            continue
        if node.type == "range_clause":
            if _from_arguments(pkg, f, right, derived):
                derived.update(text(n) for n in left.named_children if n.type == "identifier")
            continue
        if left.named_child_count != right.named_child_count:
            continue
        for name, value in zip(left.named_children, right.named_children, strict=True):
            if name.type == "identifier" and _from_arguments(pkg, f, value, derived):
                derived.add(text(name))
    if not values or not all(_mentions_any(v, derived) for v in values):
        return False
    return all(_from_arguments(pkg, f, n, derived) for n in (*keys, *values))


def _mentions_any(expr: Node, names: set[str]) -> bool:
    """An identifier of ``names`` occurs in ``expr``."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if node.type == "identifier" and text(node) in names:
            return True
        stack.extend(node.named_children)
    return False


def _called_after_init(pkg: Package, function: Node) -> bool:
    """The package calls ``function`` (by name: ``F(…)``, or ``x.M(…)`` for a method) outside
    initialisation, in a non-test file."""
    name = function_name(function)
    if function.type == "function_declaration":
        return any(not site.is_test and not is_init_time(pkg, call, f=site)
                   for site, call in pkg.call_sites.get(name, ()))
    call_text = re.compile(rb"\.\s*" + re.escape(name.encode()) + rb"\s*\(")
    for f in pkg.files:
        if f.is_test:
            continue
        for m in call_text.finditer(f.source):
            node = f.root.descendant_for_byte_range(m.start(), m.end())
            if node is not None and not is_init_time(pkg, node, f=f):
                return True
    return False


def _parameter_names(function: Node) -> set[str]:
    params = function.child_by_field_name("parameters")
    names: set[str] = set()
    for decl in params.named_children if params is not None else ():
        names.update(text(n) for n in decl.children_by_field_name("name"))
    return names


def _bindings(body: Node, before: int) -> list[Node]:
    """The ``:=`` declarations and range clauses of ``body`` that end before byte ``before``,
    in source order (not inside function literals)."""
    found: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.start_byte >= before or node.type == "func_literal":
            continue
        if node.type in ("short_var_declaration", "range_clause") and node.end_byte <= before:
            found.append(node)
        stack.extend(reversed(node.named_children))
    return sorted(found, key=lambda n: n.start_byte)


def _from_arguments(pkg: Package, f: FileModel, expr: Node, derived: set[str]) -> bool:
    """Whether ``expr`` is computed only from ``derived`` names, constants and pure calls."""
    kind = expr.type
    if kind in _LEAF_KINDS or kind in _SKIP_KINDS:
        return True
    if kind == "keyed_element":  # `{name: v}`: the field's name is no value
        return _from_arguments(pkg, f, expr.named_children[-1], derived)
    if kind == "identifier":
        name = text(expr)
        return name in derived or name in _PREDECLARED or (
            not f.is_local(expr) and (pkg.const(name) is not None or name in pkg.types)
        )
    if kind == "unary_expression" and text(expr.child_by_field_name("operator")) == "&":
        return False  # a new object: the function keeps what it builds
    if kind == "call_expression":
        fn = expr.child_by_field_name("function")
        args = expr.child_by_field_name("arguments")
        if fn is None or args is None:
            return False
        if fn.type == "selector_expression":
            operand = fn.child_by_field_name("operand")
            qualified = f.import_names.get(text(operand)) if operand is not None and (
                operand.type == "identifier" and not f.is_local(operand)
            ) else None
            if qualified not in _PURE_PACKAGES:
                return False
        elif not (fn.type in ("identifier", "type_identifier") and (
            text(fn) in _PREDECLARED or text(fn) in pkg.types
        )) and fn.type not in ("parenthesized_expression", "qualified_type", "array_type",
                               "slice_type", "map_type", "pointer_type"):
            return False  # a package function or a method: it may build something new
        return all(_from_arguments(pkg, f, a, derived) for a in args.named_children)
    return all(_from_arguments(pkg, f, c, derived) for c in expr.named_children)


_PANICS = re.compile(rb"\bpanic\s*\(|\blog\.(Panic|Fatal)\w*\s*\(")


def panics_on_duplicate(pkg: Package, f: FileModel, statement: Node) -> bool:
    """The function around ``statement`` refuses a name registered twice, or one outside a
    known set: an ``if`` whose condition looks a name up in package state
    (``if _, dup := m[name]; dup``, ``if _, loaded := m.LoadOrStore(name, v); loaded``) and
    whose body panics. Such a registry (``expvar.Publish``, ``groupcache.NewGroup``) is filled
    by the program's set-up: calling it per request would crash the second time."""
    function = f.top_level_function(statement)
    if function is None:
        return False
    stack = [function]
    while stack:
        node = stack.pop()
        if node.type == "func_literal":
            continue
        if node.type == "if_statement" and _duplicate_check(pkg, f, node):
            return True
        stack.extend(node.named_children)
    return False


def _duplicate_check(pkg: Package, f: FileModel, node: Node) -> bool:
    body = node.child_by_field_name("consequence")
    if body is None or _PANICS.search(f.source, body.start_byte, body.end_byte) is None:
        return False
    for field in ("initializer", "condition"):
        part = node.child_by_field_name(field)
        if part is None:
            continue
        stack = [part]
        while stack:
            n = stack.pop()
            if n.type == "index_expression" or (n.type == "call_expression" and text(
                n.child_by_field_name("function")
            ).endswith((".LoadOrStore", ".Load"))):
                operand = n.child_by_field_name("operand") or n.child_by_field_name("function")
                root = operand
                while root is not None and root.type in ("selector_expression",
                                                         "index_expression"):
                    root = root.child_by_field_name("operand")
                if root is not None and root.type == "identifier" and not f.is_local(root) and (
                    text(root) in pkg.vars
                ):
                    return True
            stack.extend(n.named_children)
    return False


def cannot_grow_here(pkg: Package, f: FileModel, node: Node) -> bool:
    """State written at ``node`` cannot grow for long: the package ends soon, the file is run
    by hand, the code runs once per process (``scope.runs_once``), or only in tests."""
    return pkg.facts.get(ends_soon) or run_by_hand(f) or runs_once(pkg, f, node) or (
        test_support(pkg, f, node)
    )
