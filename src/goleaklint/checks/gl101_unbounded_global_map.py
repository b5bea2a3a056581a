"""GL101 unbounded-global-map: package-level maps that only grow."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..facts import package_fact
from ..localtypes import expression_type
from ..longlived import (
    Ref,
    Resolver,
    declaration,
    declared_here,
    global_only_types,
    init_or_registration_functions,
    is_init_time,
    lazy_initialisation,
)
from ..model import FileModel, Package, function_name, resolve_selector
from ..plugins import hookimpl
from ..readonlyuse import COMPARISONS, READ_ONLY_CALLS, READ_ONLY_PACKAGES
from ..rule import Rule, RuleContext
from ..scope import main_only_functions
from ..statelife import (
    cannot_grow_here,
    ends_soon,
    panics_on_duplicate,
    registration_api,
    test_support_package,
)
from ..syntax import Node, text
from ..types import TypeRef

SYNC_MAP = "sync.Map"
SYNC_MAP_WRITES = frozenset({"Store", "LoadOrStore", "Swap"})
SYNC_MAP_REMOVALS = frozenset({"Delete", "LoadAndDelete", "CompareAndDelete", "Clear"})
MAP_REMOVAL_FUNCS = frozenset({"maps.DeleteFunc", "golang.org/x/exp/maps.DeleteFunc",
                               "golang.org/x/exp/maps.Clear"})
# Functions of the maps package that only read the maps passed to them.
READ_ONLY_MAPS_FUNCS = frozenset({"Keys", "Values", "Clone", "Equal", "EqualFunc", "All",
                                  "Collect", "Copy"})
# Map keys drawn from a closed set: the map cannot grow past it.
BOUNDED_KEY_TYPES = frozenset({"bool", "byte", "uint8", "int8"})
BOUNDED_QUALIFIED_KEYS = frozenset({"reflect.Type", "reflect.Kind"})
# Another package's enum-like key type (codes.Code, trace.UtilFlags, slog.Level…), a signal
# (os.Signal) or a type descriptor (protoreflect.MessageDescriptor, ebpf.MapType).
ENUM_LIKE_NAME = re.compile(r"(Kind|Flags?|Mode|Op|Level|Code|State|Signal|Type|Descriptor)$")
# The package's own type descriptors: a pointer to `rtype`, `funcType`, `_type`.
TYPE_DESCRIPTOR_NAME = re.compile(r"[tT]ype$")
# A key that is a host's user or group id (`h.Uid`, `gid`): as many as the host has.
HOST_ID_KEY = re.compile(r"(?:^|\.)(?:[Uu]id|[Gg]id|UID|GID)$")
# A sync.Map's documented key type: `var cache sync.Map // map[reflect.Type]*info`.
DOCUMENTED_MAP = re.compile(r"//.*?\bmap\[(\*?)(?:(\w+)\.)?(\w+)\]")


@dataclass
class _Write:
    file: FileModel
    node: Node
    ref: Ref
    display: str


@package_fact()
def map_roots(pkg: Package) -> tuple[tuple[bytes, ...], frozenset[str]]:
    """The package vars from which a map is reached (as bytes), and the named types."""
    found: set[str] = set()
    types = frozenset(t for t in pkg.types
                      if _reaches_map(pkg, TypeRef("named", name=t), found, set()))
    names = tuple(n.encode() for n in pkg.vars
                  if _reaches_map(pkg, pkg.var_type(n), found, set()))
    return names, types


@package_fact()
def enum_types(pkg: Package) -> frozenset[str]:
    """Named types of the package that have typed constants (``const ( A Kind = iota … )``)."""
    return frozenset(c.type.name for c in pkg.consts.values() if c.type.kind == "named")


class UnboundedGlobalMap(Rule):
    """## What it finds
    A write to a long-lived map (a package-level map, a map reached through a package-level
    variable such as `globalCache.items`, a map field written in a method of a type whose only
    instances are package-level, or a package-level `sync.Map`) while nothing in the package
    ever removes from it: no `delete`, `clear`, `maps.DeleteFunc`, reassignment, size bound
    (`if len(m) >= max`) or hand-off to code that could prune it.

    ## Why it leaks
    A package-level map lives as long as the process. If entries are added per request, per
    user or per key seen, and nothing removes them, the map and everything its keys and values
    reference grow until the process runs out of memory. pprof shows the growth only after the
    damage is done; the cause is a missing eviction path that is visible in the source.

    ## Example
    ```go
    package cache

    type Cache struct{ items map[string]string }

    var globalCache *Cache

    func init() { globalCache = &Cache{items: make(map[string]string)} }

    func addItem(key, value string) { globalCache.items[key] = value }
    ```

    ## Use instead
    ```go
    package cache

    const maxItems = 10000

    type Cache struct{ items map[string]string }

    var globalCache *Cache

    func init() { globalCache = &Cache{items: make(map[string]string)} }

    func addItem(key, value string) {
    	if len(globalCache.items) >= maxItems {
    		for k := range globalCache.items {
    			delete(globalCache.items, k)
    			break
    		}
    	}
    	globalCache.items[key] = value
    }
    ```
    Or bound it another way: an LRU with eviction, a TTL sweep that deletes, or a `Reset`.

    ## Known limits
    - Writes during initialisation do not count: in `init()`, in var initialisers, in
      unexported helpers only called from those, and in functions named `Register…` or
      `MustRegister…` (init-time registries such as `database/sql` drivers).
    - Writes with a constant key (`stats["requests"]++`) touch a bounded key set and are silent,
      as are maps keyed by a closed set: `bool`, `byte`, `reflect.Type`, an enum type of the
      package (a named type with typed constants), another package's type whose name reads
      as an enum, a signal or a type descriptor (`…Kind`, `…Flags`, `…Mode`, `…Op`, `…Level`,
      `…Code`, `…State`, `…Signal`, `…Type`, `…Descriptor`), a pointer to the package's own
      `…type` (`*rtype`), a struct of such fields or one with a type descriptor among its
      fields (a cache keyed by type and a tag), and a host's user or group id (`h.Uid`,
      `gid`). A `sync.Map`'s key type is taken from its argument, else from the
      `// map[K]V` comment of its declaration, as the standard library documents it.
    - `flag.Value`-style `Set(string) error` methods run while flags are parsed: not counted.
    - State that cannot grow for long is not reported: writes in `_test.go` files, in
      test-support packages (a folder named `…test`, `test…`, `…tests` or `integration`, such as
      `fstest`, `testutil`, `testserver`), in functions taking a `testing` parameter and in
      `Mock…` hooks (a test process ends soon); in a short-lived `package main` (no serve,
      accept, listen, tick or signal wait: a CLI, generator or compiler), in the packages of
      the Go toolchain's `cmd` module, and in an `internal` package whose only possible importer
      is such a command; in a `//go:build ignore` file (a generator run with `go run`);
      and in code that runs once (`main.main` and what only it calls).
    - A registration API is silent: an exported function named as set-up (`Add…`, `Set…`,
      `Define…`, `Publish…`, `Register…`, `Override…`, `Bind…`, `On…` …) that stores only what
      its caller passes (parameters, their fields, constants, pure `strings`/`regexp`/`fmt`
      results of them), with a value of the caller's (a handler, an object: `m[k] = true` and
      `m[k]++` record keys seen and stay reported), and that the package itself never calls
      after initialisation: how often
      it runs is its callers' choice, and they register at start-up. A constructor that keeps
      what it builds (`&Client{…}`) stays reported; so does such an API called per request from
      another package (not seen).
    - A write keyed by a parameter of an unexported function is silent when every call of
      that function in the package passes a constant for it (`getFunction("sd_journal_open")`):
      the keys are the callers' constants. Calls through a function value are not seen.
    - A registry that panics on a duplicate name is silent: the function checks the name in
      package state (`if _, dup := m[name]; dup`, `LoadOrStore`) and panics (`panic`,
      `log.Panic…`, `log.Fatal…`) when it is there (or, alike, when it is not in a known set).
    - The map's type must be visible in the package: a map returned by another package's
      function is not followed. Maps passed to another function are assumed to be pruned there.
    - A removal in a `_test.go` file only excuses writes in test files.
    - Removal anywhere in the package counts, even on a path that never runs.
    - Measured on real code after issue 13's changes (the folders of every earlier finding
      plus 300 random packages; `bench/precision/verdicts/retention-1f18133-seed13101.tsv`):
      296 findings became 123, and 0 of 15 sampled are worth acting on. What remains is mostly
      caches keyed by configuration (remote names, CA and plugin URLs, filters), by names other
      packages choose in code, or by types the key's syntax does not show: the package alone
      cannot tell them from keys of requests.

    ## Peers
    No common Go linter checks this; runtime heap profiles (pprof) find it in production.
    """

    id = "GL101"
    name = "unbounded-global-map"
    family = "retention"
    summary = "A package-level map is written but nothing in the package ever removes from it."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("memory", "leak", "retention")
    requires = (map_roots, enum_types, init_or_registration_functions, global_only_types,
                ends_soon, test_support_package, main_only_functions)

    @classmethod
    def applies_to(cls, package: Package) -> bool:
        """Only packages with a package-level variable from which a map is reached, in a
        process that keeps running."""
        return bool(package.facts.get(map_roots)[0]) and not package.facts.get(ends_soon)

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.writes: list[_Write] = []
        # Paths from which something may be removed, with where: whether that code runs after
        # initialisation is asked at the end, only of the removals that decide a finding (the
        # question needs the package's call graph; most packages never have to build it).
        self.removals: dict[tuple[str, ...], list[tuple[FileModel, Node]]] = {}
        self._removes: dict[tuple[tuple[str, ...], bool], bool] = {}
        self.resolver: Resolver | None = None

    # Walk ------------------------------------------------------------------------------------

    def _enter_function(self, node: Node | None) -> None:
        assert self.file is not None
        self.resolver = Resolver(self.package, self.file, node)

    def visit_function_declaration(self, node: Node) -> bool:
        self._enter_function(node)
        return self._may_reach_maps(node)  # False: skip it, nothing in it can matter

    visit_method_declaration = visit_function_declaration

    def _may_reach_maps(self, function: Node) -> bool:
        """Whether ``function`` can write, remove from or hand off a map of package state:
        it names a package var from which a map is reached, or it is a method of a type
        from which one is (its receiver).  Everything the rule records is resolved from
        one of those, directly or through a local alias of one."""
        assert self.resolver is not None and self.file is not None
        names, types = self.package.facts.get(map_roots)
        if self.resolver.receiver_type in types:
            return True
        return self.file.mentions(function, names)

    def begin_file(self, file: FileModel) -> None:
        self._enter_function(None)  # also when the root is an ERROR node (no visit_source_file)

    def visit_source_file(self, node: Node) -> None:
        self._enter_function(None)

    def leave_function_declaration(self, node: Node) -> None:
        self._enter_function(None)

    leave_method_declaration = leave_function_declaration

    def visit_short_var_declaration(self, node: Node) -> None:
        """``items := globalCache.items`` makes ``items`` an alias of package state."""
        if self.resolver is None:
            return
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None or left.named_child_count != right.named_child_count:
            return
        for name, value in zip(left.named_children, right.named_children, strict=True):
            ref = self.resolver.resolve(value)
            if ref is not None and name.type == "identifier":
                self.resolver.aliases[text(name)] = ref

    def visit_assignment_statement(self, node: Node) -> None:
        left = node.child_by_field_name("left")
        if left is None or self.resolver is None:
            return
        for target in left.named_children:
            if target.type == "index_expression":
                self._write(node, target)
            elif target.type == "identifier" and self.walked.is_local(target):
                self.resolver.aliases.pop(text(target), None)  # rebinding a local
            else:
                ref = self.resolver.resolve(target)
                if ref is not None and not lazy_initialisation(node, target):
                    self._removal(ref.path, node)

    def visit_inc_statement(self, node: Node) -> None:
        target = node.named_children[0] if node.named_child_count else None
        if target is not None and target.type == "index_expression":
            self._write(node, target)

    visit_dec_statement = visit_inc_statement

    def visit_call_expression(self, node: Node) -> None:
        if self.resolver is None:
            return
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None:
            return
        arguments = [a for a in args.named_children if a.type != "comment"] if (
            args.named_child_count
        ) else []
        kind = fn.type
        if kind == "identifier":
            name = text(fn)
            if name == "len":
                self._bound(node, args)
            if (name in ("delete", "clear") or name in READ_ONLY_CALLS) and (
                not self.walked.is_local(fn)
            ):
                if name in ("delete", "clear") and name not in self.package.funcs and arguments:
                    self._remove_through(node, arguments[0])
                    return
                if name in READ_ONLY_CALLS:
                    return
        elif kind == "selector_expression":
            operand = fn.child_by_field_name("operand")
            method = text(fn.child_by_field_name("field"))
            # Only a sync.Map's writes and removals need the receiver resolved now; for its
            # other methods (which hand nothing on) it is asked below, once an argument
            # turns out to be package state: rarely.
            receiver = self.resolver.resolve(operand) if (
                method in SYNC_MAP_WRITES or method in SYNC_MAP_REMOVALS
            ) else None
            if receiver is not None and receiver.type.deref().qualified_name == SYNC_MAP:
                if method in SYNC_MAP_WRITES:
                    key = arguments[0] if arguments else None
                    key_type = expression_type(key, self.package, self.walked) if key else None
                    if key_type is None or key_type.kind == "unknown":
                        key_type = _documented_key(self.package, receiver)
                    if not self._bounded_key(key_type) and not _host_id(key):
                        self._record_write(node, receiver, self._display(operand))
                elif method in SYNC_MAP_REMOVALS:
                    self._remove_through(node, operand)
                return
            # A package's function (``maps.DeleteFunc``, ``fmt.Println``): the operand is an
            # import's name (the cheap test before resolving).
            qualified = resolve_selector(self.walked, fn, self.package) if (
                operand is not None and operand.type == "identifier"
                and text(operand) in self.walked.import_names
            ) else None
            if qualified in MAP_REMOVAL_FUNCS and arguments:
                self._remove_through(node, arguments[0])
                return
            if qualified is not None:
                package, _, func = qualified.rpartition(".")
                if package in READ_ONLY_PACKAGES:
                    return
                if package in ("maps", "golang.org/x/exp/maps") and func in READ_ONLY_MAPS_FUNCS:
                    if func != "Copy" or len(arguments) < 2:
                        return
                    arguments = arguments[:1]  # Copy(dst, src) writes dst only
        # Handing package state to other code: it may prune it (we cannot see that far).
        for arg in arguments:
            if arg.type == "index_expression":
                continue  # an element is handed over, not the map
            ref = self.resolver.resolve(arg)
            if ref is None:
                continue
            if kind == "selector_expression" and self._sync_map(fn):
                return  # a sync.Map's Load, Range…: the map keeps what it is given
            self._removal(ref.path, node)

    def _sync_map(self, fn: Node) -> bool:
        assert self.resolver is not None
        receiver = self.resolver.resolve(fn.child_by_field_name("operand"))
        return receiver is not None and receiver.type.deref().qualified_name == SYNC_MAP

    def _bound(self, call: Node, args: Node) -> None:
        """``len(m) >= max`` bounds the map (an eviction or refusal follows). Asked of the
        ``len`` call, so that the walk need not stop at every binary expression."""
        comparison = call.parent
        if comparison is None or comparison.type != "binary_expression" or text(
            comparison.child_by_field_name("operator")
        ) not in COMPARISONS or not args.named_child_count:
            return
        left = comparison.child_by_field_name("left")
        right = comparison.child_by_field_name("right")
        other = right if left is not None and left.byte_range == call.byte_range else left
        if other is None or other.byte_range == call.byte_range or text(other) in ("0", "1"):
            return  # `len(m) > 0` is an emptiness test, not a bound
        assert self.resolver is not None
        ref = self.resolver.resolve(args.named_children[0])
        if ref is not None:
            self._removal(ref.path, comparison)

    # Bookkeeping -----------------------------------------------------------------------------

    def _removal(self, path: tuple[str, ...], node: Node) -> None:
        """``node`` removes from (or bounds, replaces, hands off) the state at ``path``, unless
        it only runs while the package initialises (decided in ``finish``)."""
        assert self.file is not None
        self.removals.setdefault(path, []).append((self.file, node))

    def _remove_through(self, call: Node, target: Node | None) -> None:
        assert self.resolver is not None
        ref = self.resolver.resolve(target)
        if ref is not None:
            self._removal(ref.path, call)

    def _write(self, statement: Node, target: Node) -> None:
        assert self.resolver is not None
        if _constant_key(self.package, self.file, target):
            return
        operand = target.child_by_field_name("operand")
        container = self.resolver.resolve(operand)
        if container is None or operand is None:  # (no operand resolves to nothing)
            return
        map_type = self.package.underlying(container.type.deref())
        if map_type.kind != "map" or self._bounded_key(map_type.key) or _host_id(
            target.child_by_field_name("index")
        ):
            return
        root = _root(operand)
        if lazy_initialisation(statement, root):
            return  # filled once, when it is created: `if m == nil { m = …; m[k] = v }`
        self._record_write(statement, container, self._display(root))

    def _display(self, root: Node | None) -> str:
        """The map as the reader knows it; through a receiver, named by its type."""
        shown = text(root)
        resolver = self.resolver
        receiver = resolver.receiver if resolver is not None else ""
        if resolver is not None and receiver and shown.startswith(receiver + "."):
            owner = resolver.receiver_type
            return f"{owner}{shown[len(receiver):]} (every {owner} is package-level)"
        return shown

    def _bounded_key(self, key: TypeRef | None, depth: int = 0) -> bool:
        """Keys from a small closed set: bool, bytes, reflect types and other type descriptors,
        signals, enums of the package, structs of such fields, and structs with a type
        descriptor among their fields (a cache keyed by type and a few options)."""
        if key is None:
            return False
        if key.kind == "named" and key.name in BOUNDED_KEY_TYPES:
            return True
        if key.kind == "qualified" and (
            key.qualified_name in BOUNDED_QUALIFIED_KEYS or ENUM_LIKE_NAME.search(key.name)
        ):
            return True
        named = key.deref()
        if key.kind == "pointer" and named.kind == "named" and TYPE_DESCRIPTOR_NAME.search(
            named.name
        ):
            return True
        if key.kind == "named" and key.name in self.package.types:
            if key.name in self.package.facts.get(enum_types):
                return True
            under = self.package.underlying(key)
            if under.kind != "struct" or depth >= 2 or not under.fields:
                return False
            types = [t for _, t in under.fields]
            return any(self._descriptor(t) for t in types) or all(
                self._bounded_key(t, depth + 1) for t in types
            )
        return False

    def _descriptor(self, t: TypeRef) -> bool:
        """A type descriptor: ``reflect.Type``, ``protoreflect.…Descriptor``, ``*rtype``."""
        if t.kind == "qualified":
            return t.qualified_name in BOUNDED_QUALIFIED_KEYS or t.name.endswith(
                ("Type", "Descriptor")
            )
        return t.kind == "pointer" and t.deref().kind == "named" and bool(
            TYPE_DESCRIPTOR_NAME.search(t.deref().name)
        )

    def _record_write(self, node: Node, ref: Ref, display: str) -> None:
        if not ref.long_lived:
            return
        assert self.file is not None
        self.writes.append(_Write(self.file, node, ref, display))

    def _removed(self, path: tuple[str, ...], in_tests: bool) -> bool:
        """Something removes from ``path`` after initialisation (in a test file too when
        ``in_tests``: a removal in a test only excuses writes in tests)."""
        key = (path, in_tests)
        found = self._removes.get(key)
        if found is None:
            found = self._removes[key] = any(
                (in_tests or not f.is_test) and not is_init_time(self.package, node, f=f)
                for f, node in self.removals.get(path, ())
            )
        return found

    def finish(self) -> None:
        for w in self.writes:
            if cannot_grow_here(self.package, w.file, w.node) or registration_api(
                self.package, w.file, w.node, *_keys_values(w.node)
            ) or (
                panics_on_duplicate(self.package, w.file, w.node)
            ) or _keyed_by_constant_arguments(self.package, w.file, w.node):
                continue
            path = w.ref.path
            if any(self._removed(path[:i], w.file.is_test) for i in range(len(path) + 1)):
                continue
            self.report(
                w.node,
                f"map {w.display} only grows: nothing in package {self.package.name} deletes "
                "from it, clears, bounds or replaces it",
                declared_here(self.package, w.ref.decl),
                file=w.file,
            )


def _reaches_map(pkg: Package, t: TypeRef, found: set[str], seen: set[str]) -> bool:
    """Whether a map (or sync.Map) is reached from a value of type ``t`` the way ``Resolver``
    follows values: through pointers, named types of the package and struct fields, at any
    depth.  ``found``: named types known to reach one; ``seen``: those met in this search."""
    t = t.deref()
    if t.kind != "named":
        return _reaches_map_under(pkg, t, found, seen)
    if t.name in found:
        return True
    if t.name in seen:
        return False  # met on this search's path or explored already: nothing new there
    seen.add(t.name)
    if _reaches_map_under(pkg, pkg.underlying(t), found, seen):
        found.add(t.name)
        return True
    return False


def _reaches_map_under(pkg: Package, t: TypeRef, found: set[str], seen: set[str]) -> bool:
    if t.kind == "map" or t.qualified_name == SYNC_MAP:
        return True
    if t.kind == "struct":
        return any(_reaches_map(pkg, ft, found, seen) for _, ft in t.fields)
    return False


def _keys_values(write: Node) -> tuple[list[Node], list[Node]]:
    """What a write keeps, as keys and values: ``m[k] = v``, ``m.Store(k, v)``; ``m[k]++``
    keeps a key and no value of the caller's."""
    if write.type != "assignment_statement":
        stored = _stored(write)
        return stored[:1], stored[1:]
    left = write.child_by_field_name("left")
    right = write.child_by_field_name("right")
    if left is None or right is None:
        return [], []
    keys = [k for t in left.named_children if t.type == "index_expression"
            if (k := t.child_by_field_name("index")) is not None]
    return keys, list(right.named_children)


def _keyed_by_constant_arguments(pkg: Package, f: FileModel, write: Node) -> bool:
    """``m[name] = …`` in an unexported function whose every call in the package passes a
    constant for ``name`` (``getFunction("sd_journal_open")``): the keys are the callers'
    constants, a closed set."""
    stored = _stored(write)
    key = stored[0] if stored else None
    function = f.top_level_function(write)
    if key is None or key.type != "identifier" or function is None or (
        function.type != "function_declaration"
    ):
        return False
    name = function_name(function)
    if name[:1].isupper() or name == "main":
        return False
    params = function.child_by_field_name("parameters")
    position = -1
    index = 0
    for decl in params.named_children if params is not None else ():
        if decl.type == "variadic_parameter_declaration":
            break
        for ident in decl.children_by_field_name("name"):
            if text(ident) == text(key):
                position = index
            index += 1
    sites = pkg.call_sites.get(name, [])
    if position < 0 or not sites or _assigned_in(f, function, text(key)):
        return False
    for site, ident in sites:
        call = ident.parent
        args = call.child_by_field_name("arguments") if call is not None else None
        values = [a for a in args.named_children if a.type != "comment"] if args else []
        if position >= len(values) or not _constant_expression(pkg, site, values[position]):
            return False
    return True


def _assigned_in(f: FileModel, function: Node, name: str) -> bool:
    """``name`` is assigned somewhere in ``function`` (a parameter given a new value)."""
    pattern = "(assignment_statement left: (expression_list (identifier) @w))"
    return any(text(n) == name for n in f.captures(pattern, function).get("w", []))


def _constant_expression(pkg: Package, f: FileModel, expr: Node) -> bool:
    if expr.type in ("interpreted_string_literal", "raw_string_literal", "int_literal",
                     "rune_literal"):
        return True
    if expr.type == "identifier":
        return not f.is_local(expr) and pkg.const(text(expr)) is not None
    if expr.type == "binary_expression":
        left = expr.child_by_field_name("left")
        right = expr.child_by_field_name("right")
        return left is not None and right is not None and _constant_expression(
            pkg, f, left) and _constant_expression(pkg, f, right)
    return False


def _host_id(key: Node | None) -> bool:
    """``m[h.Uid]``, ``m.Store(gid, …)``: a host's user and group ids, a closed set."""
    return key is not None and key.type in ("identifier", "selector_expression") and (
        HOST_ID_KEY.search(text(key)) is not None
    )


def _documented_key(pkg: Package, ref: Ref) -> TypeRef | None:
    """The key type a package-level ``sync.Map``'s declaration documents in its line comment
    (``var cache sync.Map // map[reflect.Type]*info``), as the standard library writes it."""
    found = declaration(pkg, ref.decl)
    if found is None:
        return None
    f, node = found
    line = f.line_text(f.position(node.start_byte)[0])
    m = DOCUMENTED_MAP.search(line)
    if m is None:
        return None
    pointer, qualifier, name = m.groups()
    t = TypeRef("qualified", name=name, package=qualifier) if qualifier else TypeRef(
        "named", name=name
    )
    return TypeRef("pointer", elem=t) if pointer else t


def _stored(write: Node) -> list[Node]:
    """What a write keeps: the key and value of ``m[k] = v``, the key of ``m[k]++``, the
    arguments of ``m.Store(k, v)``."""
    if write.type == "call_expression":
        args = write.child_by_field_name("arguments")
        return [a for a in args.named_children if a.type != "comment"] if args else []
    if write.type in ("inc_statement", "dec_statement"):
        target = write.named_children[0]
        key = target.child_by_field_name("index")
        return [key] if key is not None else []
    left = write.child_by_field_name("left")
    right = write.child_by_field_name("right")
    if left is None or right is None:
        return []
    stored: list[Node] = []
    same = left.named_child_count == right.named_child_count
    for i, target in enumerate(left.named_children):
        if target.type == "index_expression":
            key = target.child_by_field_name("index")
            stored.extend([key] if key is not None else [])
            stored.extend([right.named_children[i]] if same else right.named_children)
    return stored


def _root(operand: Node) -> Node:
    """``quotas[plan]`` → ``quotas``: the map as the reader knows it."""
    while operand.type == "index_expression":
        inner = operand.child_by_field_name("operand")
        if inner is None:
            break
        operand = inner
    return operand


def _constant_key(pkg: Package, f: FileModel | None, index_expr: Node) -> bool:
    key = index_expr.child_by_field_name("index")
    if key is None:
        return False
    if key.type in ("interpreted_string_literal", "raw_string_literal", "int_literal",
                    "rune_literal", "true", "false", "float_literal"):
        return True
    if key.type == "identifier" and f is not None and not f.is_local(key):
        return pkg.const(text(key)) is not None
    return False


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [UnboundedGlobalMap]
