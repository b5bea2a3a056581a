"""GL102 unbounded-global-slice: package-level slices that only grow."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..facts import package_fact
from ..longlived import (
    Ref,
    Resolver,
    access_root,
    declared_here,
    init_or_registration_functions,
    is_init_time,
    lazy_initialisation,
    resolver_at,
)
from ..model import FileModel, Package, receiver_name, receiver_type_name, resolve_selector
from ..plugins import hookimpl
from ..readonlyuse import COMPARISONS, LEN_CALL, READ_ONLY_CALLS, READ_ONLY_PACKAGES
from ..rule import Gate, Rule, RuleContext
from ..scope import main_only_functions
from ..statelife import (
    cannot_grow_here,
    ends_soon,
    panics_on_duplicate,
    registration_api,
    test_support_package,
)
from ..syntax import Node, Visitor, run_visitors, text
from ..types import TypeRef

_WORD = re.compile(rb"[A-Za-z_]\w*")
_WORDS = re.compile(rb"\w+")
# Bytes of ``[\w\s,]``: what may stand between a declared name and its ``:=``.
_NAME_RUN = frozenset(b"_,0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      b" \t\n\r\f\v")
_PATH_NODES = frozenset({"selector_expression", "index_expression", "parenthesized_expression",
                         "unary_expression"})
# ``clear`` zeroes a slice's elements but keeps its length: no truncation.
_READ_ONLY = READ_ONLY_CALLS | {"clear"}


ShortDeclarations = list[tuple[set[bytes], bytes]]


@dataclass
class _Growth:
    file: FileModel
    node: Node
    ref: Ref
    display: str


@package_fact()
def short_declarations(pkg: Package) -> dict[int, ShortDeclarations]:
    """Each function's ``:=`` as written, by the function's node id: a memo filled on first
    question (``_short_declarations``)."""
    return {}


@package_fact()
def held_types(pkg: Package) -> frozenset[str]:
    """Named types of the package with a package-level variable of that type."""
    names = (pkg.var_type(n).deref() for n in pkg.vars)
    return frozenset(t.name for t in names if t.kind == "named")


class UnboundedGlobalSlice(Rule):
    """## What it finds
    An `append` to a long-lived slice (a package-level slice, a slice field reached through a
    package-level variable such as `auditLog.entries`, or a slice field appended in a method of
    a type whose only instances are package-level) while nothing in the package ever truncates
    it (`s = s[:0]`, `s = s[n:]`, `s = nil`, `s = append(s[:0], …)`), reassigns it, bounds it
    (`if len(s) >= max`) or hands it to code that could.

    ## Why it leaks
    A package-level slice lives as long as the process. Appending to it per request, per event
    or per log line without ever dropping elements grows the backing array (and everything the
    elements point to) until the process runs out of memory. Each reallocation also copies the
    whole array, so the cost grows with the leak.

    ## Example
    ```go
    package audit

    type Event struct{ User, Action string }

    var events []Event

    func Record(user, action string) {
    	events = append(events, Event{user, action})
    }
    ```

    ## Use instead
    ```go
    package audit

    const maxEvents = 1000

    type Event struct{ User, Action string }

    var events []Event

    func Record(user, action string) {
    	if len(events) >= maxEvents {
    		events = events[1:]
    	}
    	events = append(events, Event{user, action})
    }
    ```
    Or flush the slice periodically (`events = events[:0]` after writing it out), or keep a
    fixed-size ring buffer.

    ## Known limits
    - Appends during initialisation do not count: in `init()`, var initialisers, `once.Do`
      functions, unexported helpers only called from those, functions named `Register…` or
      `MustRegister…` (plugin registries filled from other packages' `init`) and `flag.Value`
      `Set` methods.
    - State that cannot grow for long is not reported: appends in `_test.go` files, in
      test-support packages (a folder named `…test`, `test…`, `…tests` or `integration`, such as
      `fstest`, `testutil`, `testserver`), in functions taking a `testing` parameter and in
      `Mock…` hooks (a test process ends soon); in a short-lived `package main` (no serve,
      accept, listen, tick or signal wait: a CLI, generator or compiler), in the packages of
      the Go toolchain's `cmd` module, and in an `internal` package whose only possible importer
      is such a command; in a `//go:build ignore` file (a generator run with `go run`);
      and in code that runs once (`main.main` and what only it calls).
    - A registration API is silent: an exported function named as set-up (`Add…`, `Set…`,
      `Publish…`, `On…`, `Register…`, `New…Kind` …) that appends only what its caller passes
      (`OnShutdown(fn)`, `AddRule(name, f)`) and that the package never calls after
      initialisation. A constructor that appends what it builds (`NewMeter()` keeping every
      meter) stays reported.
    - A registry that panics on a duplicate name is silent: the function checks the name in
      package state (`if _, dup := m[name]; dup`, `LoadOrStore`) and panics (`panic`,
      `log.Panic…`, `log.Fatal…`) when it is there (or, alike, when it is not in a known set).
    - A slice kept as a value in a package-level map (`m[k] = append(m[k], v)`) is GL101's
      finding (the map write), not GL102's.
    - The slice handed whole to another function (other than `len`, `append`, `fmt`, `sort`,
      `slices`, `strings`, `encoding/json`, …) is assumed to be truncated there.
    - Appends to a local copy (`out := append(global[:0:0], x)`) and writes to existing
      elements (`s[i] = v`) are not growth.
    - A truncation in a `_test.go` file only excuses appends in test files; a truncation
      anywhere in the package counts, even on a path that never runs.
    - Measured on real code after issue 13's changes (the folders of every earlier finding
      plus 300 random packages; `bench/precision/verdicts/retention-1f18133-seed13101.tsv`):
      88 findings became 12, 2 of the 12 worth acting on (constructors that keep every object
      they make: go-metrics' meters, go-plugin's managed clients); the rest are set-up lists
      filled by other packages or by the runtime.

    ## Peers
    No common Go linter checks this; runtime heap profiles (pprof) find it in production.
    """

    id = "GL102"
    name = "unbounded-global-slice"
    family = "retention"
    summary = "A package-level slice is appended to but nothing in the package ever truncates it."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("memory", "leak", "retention")
    requires = (held_types, short_declarations, init_or_registration_functions, ends_soon,
                test_support_package, main_only_functions)

    gate = Gate(mentions=(b"append",))

    @classmethod
    def applies_to(cls, package: Package) -> bool:
        """Only packages that hold a slice (or a value of unknown type) at package level, in a
        process that keeps running."""
        return any(_may_hold_slice(package, package.var_type(n)) for n in package.vars) and (
            not package.facts.get(ends_soon)
        )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.growth: list[_Growth] = []

    def begin_file(self, file: FileModel) -> None:
        for statement in _append_assignments(file):
            growth = self._growth(file, statement)
            if growth is not None:
                self.growth.append(growth)

    def _growth(self, f: FileModel, statement: Node) -> _Growth | None:
        """The statement grows long-lived state: ``x = append(x, …)`` outside initialisation."""
        left = statement.child_by_field_name("left")
        right = statement.child_by_field_name("right")
        if left is None or right is None or left.named_child_count != right.named_child_count:
            return None
        for target, value in zip(left.named_children, right.named_children, strict=True):
            if value.type != "call_expression" or text(value.child_by_field_name("function")) != (
                "append"
            ) or _first_argument(value) != "".join(text(target).split()):
                continue
            if _through_index(target) or not self._may_be_state(statement, target):
                continue
            if target.type == "identifier" and f.is_local(target):
                continue  # `s := global; s = append(s, x)` grows a copy of the header
            resolver = resolver_at(self.package, f, statement)
            root = access_root(target)
            if root is not None and resolver.copies_state(root):
                continue  # `c := globalConfig; c.items = append(…)` grows a copy
            ref = _resolve(self.package, resolver, target)
            if ref is None or not ref.long_lived or ref.in_map:
                continue
            if not _appends_to(resolver, self.package, value, ref):
                continue
            if cannot_grow_here(self.package, f, statement) or lazy_initialisation(
                statement, target
            ) or registration_api(self.package, f, statement, [], _appended(value)) or (
                panics_on_duplicate(self.package, f, statement)
            ):
                continue
            return _Growth(f, statement, ref, _display(resolver, target))
        return None

    def _may_be_state(self, statement: Node, target: Node) -> bool:
        """Cheap test before resolving: the target's root is a package var, a receiver of a
        type held by one, or a local that may alias package state."""
        root = access_root(target)
        if root is None:
            return False
        name = text(root)
        if name in self.package.vars:
            return True
        assert self.file is not None
        function = self.file.top_level_function(statement)  # by offsets: no walk up the tree
        if function is None:
            return False
        receiver = receiver_name(function) if function.type == "method_declaration" else ""
        if receiver == name:
            return receiver_type_name(function) in self.package.facts.get(held_types)
        # An alias: ``l := auditLog`` (or of the receiver) declared in the function.
        wanted = name.encode()
        for declared, value in _short_declarations(self.package, function):
            if wanted in declared:
                for word in _WORD.findall(value):
                    if word.decode() in self.package.vars or word.decode() == receiver:
                        return True
        return False

    def finish(self) -> None:
        if not self.growth:
            return
        scan = _Truncations(self.package, self.growth)
        for f in self.package.files:
            if any(name in f.source for name in scan.names):
                scan.file = f
                run_visitors([scan], f.root)
        for g in self.growth:
            removals = scan.removed | (scan.removed_in_tests if g.file.is_test else set())
            if any(g.ref.path[: len(p)] == p for p in removals):
                continue
            self.report(
                g.node,
                f"slice {g.display} only grows: nothing in package {self.package.name} "
                "truncates, bounds or replaces it",
                declared_here(self.package, g.ref.decl),
                file=g.file,
            )


class _Truncations(Visitor):
    """One walk of the package recording what truncates, bounds, replaces or hands off state.

    Functions that mention none of the names the growing slices are reached by are skipped.
    """

    def __init__(self, pkg: Package, growth: list[_Growth]) -> None:
        self.pkg = pkg
        self.file: FileModel | None = None
        self.resolver: Resolver | None = None
        self.removed: set[tuple[str, ...]] = set()
        self.removed_in_tests: set[tuple[str, ...]] = set()
        self.names = _mentions(pkg, growth)
        self.owner_types = {p for g in growth for p in _types_on(g.ref.path)}

    @property
    def walked(self) -> FileModel:
        """The file being walked (set before each file's walk)."""
        assert self.file is not None
        return self.file

    def _enter(self, node: Node | None) -> bool:
        assert self.file is not None
        self.resolver = Resolver(self.pkg, self.file, node)
        if node is None or self.resolver.receiver_type in self.owner_types:
            return True
        return self.file.mentions(node, self.names)

    def visit_source_file(self, node: Node) -> None:
        self._enter(None)

    def visit_function_declaration(self, node: Node) -> bool:
        return self._enter(node)  # False: nothing in it can reach the slices

    visit_method_declaration = visit_function_declaration

    def leave_function_declaration(self, node: Node) -> None:
        self.resolver = None

    leave_method_declaration = leave_function_declaration

    def visit_short_var_declaration(self, node: Node) -> None:
        """``l := auditLog`` makes ``l`` an alias of package state."""
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if self.resolver is None or left is None or right is None:
            return
        if left.named_child_count != right.named_child_count:
            return
        for name, value in zip(left.named_children, right.named_children, strict=True):
            ref = self.resolver.resolve(value)
            if ref is not None and name.type == "identifier":
                self.resolver.aliases[text(name)] = ref

    def visit_assignment_statement(self, node: Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if self.resolver is None or left is None:
            return
        values = right.named_children if right is not None else []
        same = len(values) == left.named_child_count
        for i, target in enumerate(left.named_children):
            if target.type == "index_expression":
                continue  # an element is replaced, the slice keeps its length
            if target.type == "identifier" and self.walked.is_local(target):
                self.resolver.aliases.pop(text(target), None)  # rebinding a local
                continue
            if is_init_time(self.pkg, node, f=self.walked) or lazy_initialisation(node, target):
                continue
            ref = _resolve(self.pkg, self.resolver, target)
            if ref is None:
                continue
            value = values[i] if same else None
            if value is not None and value.type == "call_expression" and text(
                value.child_by_field_name("function")
            ) == "append" and _appends_to(self.resolver, self.pkg, value, ref):
                continue  # growth, not a truncation
            self._removed(ref.path)

    def visit_call_expression(self, node: Node) -> None:
        """State handed to other code may be truncated there (we cannot see that far)."""
        if self.resolver is None:
            return
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None or not args.named_child_count:
            return
        if fn.type == "identifier" and text(fn) in _READ_ONLY and not self.walked.is_local(fn):
            return
        if fn.type == "selector_expression":
            qualified = resolve_selector(self.walked, fn, self.pkg)
            if qualified is not None and qualified.rpartition(".")[0] in READ_ONLY_PACKAGES:
                return
        for arg in args.named_children:
            if arg.type in ("index_expression", "comment"):
                continue
            ref = self.resolver.resolve(arg)
            if ref is not None and not is_init_time(self.pkg, node, f=self.walked):
                self._removed(ref.path)

    def visit_binary_expression(self, node: Node) -> None:
        """``len(s) >= max``, ``len(s)+n > cap(s)``: a bound (a truncation or refusal follows)."""
        if self.resolver is None or LEN_CALL.search(
            self.walked.source, node.start_byte, node.end_byte
        ) is None or text(node.child_by_field_name("operator")) not in COMPARISONS:
            return
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        for side, other in ((left, right), (right, left)):
            if side is None or other is None or text(other) in ("0", "1"):
                continue  # `len(s) > 0` is an emptiness test, not a bound
            for measured in _lengths(side):
                ref = self.resolver.resolve(measured)
                if ref is not None and not is_init_time(self.pkg, node, f=self.walked):
                    self._removed(ref.path)

    def _removed(self, path: tuple[str, ...]) -> None:
        assert self.file is not None
        (self.removed_in_tests if self.file.is_test else self.removed).add(path)


def _append_assignments(file: FileModel) -> list[Node]:
    """The assignment statements whose right-hand side holds a call of ``append``
    (``x = append(x, …)``, however it is spaced or broken across lines): each call's
    identifier is found by its bytes, and the tree says what it is."""
    found: dict[int, Node] = {}
    source = file.source
    at = source.find(b"append")
    while at >= 0:
        node = file.root.descendant_for_byte_range(at, at + 6)
        at = source.find(b"append", at + 6)
        call = node.parent if node is not None and node.type == "identifier" else None
        if (node is None or call is None or call.type != "call_expression"
                or node.end_byte - node.start_byte != 6):
            continue
        values = call.parent
        statement = values.parent if values is not None else None
        if statement is not None and values is not None and (
            statement.type == "assignment_statement"
        ) and (values.type == "expression_list"
        ) and statement.child_by_field_name("right") == values:
            found.setdefault(statement.id, statement)
    return list(found.values())


def _short_declarations(pkg: Package, function: Node) -> ShortDeclarations:
    """Each ``:=`` of a function as written: the words of the run of names, spaces and commas
    before it, and the rest of its line (text, not syntax: a cheap test; memoised)."""
    memo = pkg.facts.get(short_declarations)
    found = memo.get(function.id)
    if found is None:
        found = memo[function.id] = []
        source, start, end = function.text or b"", 0, function.end_byte - function.start_byte
        at = source.find(b":=", start, end)
        while at >= 0:
            first = at
            while first > start and source[first - 1] in _NAME_RUN:
                first -= 1
            line_end = source.find(b"\n", at, end)
            value = source[at + 2:line_end if line_end >= 0 else end]
            found.append((set(_WORDS.findall(source, first, at)), value))
            at = source.find(b":=", at + 2, end)
    return found


def _lengths(expr: Node, depth: int = 0) -> list[Node]:
    """What ``len(x)`` measures in ``expr``: ``len(s)``, ``len(s)+1``, ``(len(s) + n)``."""
    if expr.type == "parenthesized_expression" and expr.named_child_count and depth < 3:
        return _lengths(expr.named_children[0], depth + 1)
    if expr.type == "binary_expression" and depth < 3 and text(
        expr.child_by_field_name("operator")
    ) in ("+", "-", "*", "/"):
        return [m for side in ("left", "right") if (n := expr.child_by_field_name(side))
                for m in _lengths(n, depth + 1)]
    if expr.type != "call_expression":
        return []
    fn = expr.child_by_field_name("function")
    args = expr.child_by_field_name("arguments")
    if fn is None or text(fn) != "len" or args is None or not args.named_child_count:
        return []
    return [args.named_children[0]]


def _may_hold_slice(pkg: Package, t: TypeRef, depth: int = 0) -> bool:
    """Whether a value of type ``t`` is, or has a field that is, a slice (unknown: maybe)."""
    t = pkg.underlying(t.deref())
    if t.kind in ("slice", "unknown"):
        return True
    if t.kind == "struct" and depth < 4:
        return any(_may_hold_slice(pkg, ft, depth + 1) for _, ft in t.fields)
    return False


def _resolve(pkg: Package, resolver: Resolver, target: Node) -> Ref | None:
    """The ``Ref`` of an assignment target; a package var of unknown type is still one."""
    ref = resolver.resolve(target)
    if ref is not None or target.type != "identifier" or resolver.file.is_local(target):
        return ref
    name = text(target)
    if name in pkg.vars:
        return Ref(("var", name), pkg.var_type(name), True, ("var", name))
    return None


def _appends_to(resolver: Resolver, pkg: Package, call: Node, ref: Ref) -> bool:
    """``append(x, …)`` whose first argument is ``ref`` itself (not ``x[:0]``, not a copy)."""
    args = call.child_by_field_name("arguments")
    first = next((a for a in args.named_children if a.type != "comment"), None) if args else None
    if first is None:
        return False
    while first.type == "parenthesized_expression" and first.named_child_count:
        first = first.named_children[0]
    other = _resolve(pkg, resolver, first)
    return other is not None and other.path == ref.path


def _appended(call: Node) -> list[Node]:
    """The elements ``append(x, a, b...)`` adds: ``a`` and ``b``."""
    args = call.child_by_field_name("arguments")
    values = [a for a in args.named_children if a.type != "comment"] if args else []
    return [v.named_children[0] if v.type == "variadic_argument" and v.named_child_count else v
            for v in values[1:]]


def _first_argument(call: Node) -> str:
    """The text of a call's first argument, without parentheses or spaces."""
    args = call.child_by_field_name("arguments")
    first = next((a for a in args.named_children if a.type != "comment"), None) if args else None
    while first is not None and first.type == "parenthesized_expression" and (
        first.named_child_count
    ):
        first = first.named_children[0]
    return "".join(text(first).split()) if first is not None else ""


def _through_index(target: Node) -> bool:
    """``m[k] = append(m[k], v)``, ``m[k].items = …``: an element's state, GL101's business."""
    node = target
    while node.type in _PATH_NODES:
        if node.type == "index_expression":
            return True
        inner = node.child_by_field_name("operand")
        if inner is None:
            inner = node.named_children[0] if node.named_child_count else None
        if inner is None:
            return False
        node = inner
    return False


def _display(resolver: Resolver, target: Node) -> str:
    """The slice as the reader knows it; through a receiver, named by its type."""
    shown = text(target)
    receiver = resolver.receiver
    if receiver and shown.startswith(receiver + "."):
        owner = resolver.receiver_type
        return f"{owner}{shown[len(receiver):]} (every {owner} is package-level)"
    return shown


def _types_on(path: tuple[str, ...]) -> set[str]:
    return {path[i + 1] for i in range(len(path) - 1) if path[i] == "type"}


def _mentions(pkg: Package, growth: list[_Growth]) -> set[bytes]:
    """Names through which the growing slices can be reached: a function mentioning none of
    them cannot truncate them."""
    names: set[str] = set()
    for g in growth:
        names.update(n for n in g.ref.path if n not in ("var", "type", "recv"))
        left = g.node.child_by_field_name("left")
        assert left is not None  # a growth is an assignment with a left side (see _growth)
        names.update(text(n) for n in g.file.captures("[(identifier) (field_identifier)] @n",
                                                       left).get("n", []))
    owners = {t for g in growth for t in _types_on(g.ref.path)}
    for name in pkg.vars:
        t = pkg.var_type(name).deref()
        if t.kind == "named" and t.name in owners:
            names.add(name)
    return {n.encode() for n in names if n}


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [UnboundedGlobalSlice]
