"""GL103 subslice-retention: a small part of a large buffer kept in a long-lived place."""

from __future__ import annotations

from typing import ClassVar

from ..largevalues import (
    DEFAULT_LARGE_SIZE,
    LocalValues,
    Value,
    candidate_functions,
    large_functions,
    large_type_names,
    maker_candidates,
    returned_values,
)
from ..longlived import Resolver, access_root, resolver_at
from ..model import FileModel, Package
from ..plugins import hookimpl
from ..rule import Option, Rule
from ..scope import main_only_functions
from ..statelife import cannot_grow_here, ends_soon, test_support_package
from ..syntax import Node, text

# Method calls that keep their arguments in the receiver (sync.Map, container/list, caches).
_STORES = """
(assignment_statement) @store
(call_expression
  function: (selector_expression field: (field_identifier) @method)
  (#match? @method "^(Store|LoadOrStore|Swap|Set|Add|Put|PushBack|PushFront)$")) @store
"""
# The whole buffer, or every part of it (``lines = strings.Split(text, "\n")``): what is kept
# is what the program asked for, not a small part pinning a large rest.
_NOT_SMALL = ("whole", "parts")
_PATH_NODES = ("selector_expression", "index_expression", "parenthesized_expression",
               "unary_expression")


class SubsliceRetention(Rule):
    """## What it finds
    A sub-slice or sub-string of a large buffer (a whole file from `os.ReadFile`, a whole
    stream or response body from `io.ReadAll`, or a `make([]byte, N)` at or above the size
    threshold) stored in a long-lived place without a copy: a package-level variable, a map or
    slice held by one, or a field of a value reached from one. Parts are followed through
    locals: `b[i:j]`, `strings.Split`/`Fields`/`Cut`/`Trim…` and their `bytes` twins, regexp
    matches, and structs, maps or slices built from such parts.

    ## Why it leaks
    A sub-slice shares the backing array of the slice it was cut from, and a sub-string shares
    the bytes of its string. Keeping eight bytes of a 10 MB file in a global map keeps the whole
    10 MB alive for as long as the map holds them; a few thousand such entries can pin
    gigabytes that the program never reads again. Heap profiles show the memory as allocated
    by `os.ReadFile`, far from the line that actually keeps it.

    ## Example
    ```go
    package index

    import (
    	"os"
    	"strings"
    )

    var firstLines = map[string]string{}

    func Load(path string) error {
    	data, err := os.ReadFile(path)
    	if err != nil {
    		return err
    	}
    	line, _, _ := strings.Cut(string(data), "\\n")
    	firstLines[path] = line
    	return nil
    }

    func Forget(path string) { delete(firstLines, path) }
    ```

    ## Use instead
    ```go
    package index

    import (
    	"os"
    	"strings"
    )

    var firstLines = map[string]string{}

    func Load(path string) error {
    	data, err := os.ReadFile(path)
    	if err != nil {
    		return err
    	}
    	line, _, _ := strings.Cut(string(data), "\\n")
    	firstLines[path] = strings.Clone(line)
    	return nil
    }

    func Forget(path string) { delete(firstLines, path) }
    ```
    Any copy works: `strings.Clone`, `bytes.Clone`, `string(b[i:j])` of a byte slice,
    `append([]byte(nil), b[i:j]...)`, or `copy` into a slice of its own.

    ## Known limits
    - Buffers are followed within a function and through functions of the package that
      return a large value they make (`data := load(path)`) or a part of an argument
      (`firstLine(data)`); a buffer received as a parameter is not known to be large.
    - Storing the whole buffer (or `b[i:]`, `b[:0]` kept for reuse, `strings.TrimSpace` of
      it, or every part of it such as the whole result of `strings.Split`) is not reported:
      that keeps what the program asked for.
    - A conversion is taken as a copy only from `[]byte` to `string` and back:
      `string(s[i:j])` of a string is the same memory and is still reported.
    - Parts kept where nothing accumulates are not reported: stores in `_test.go` files, in
      test-support packages (a folder named `…test`, `test…`, `…tests` or `integration`, such as
      `fstest`, `testutil`, `testserver`), in functions taking a `testing` parameter and in
      `Mock…` hooks (a test process ends soon); in a short-lived `package main` (no serve,
      accept, listen, tick or signal wait: a CLI, generator or compiler), in the packages of
      the Go toolchain's `cmd` module, and in an `internal` package whose only possible importer
      is such a command; in a `//go:build ignore` file (a generator run with `go run`);
      and in code that runs once (`main.main` and what only it calls).
      Parts stored during initialisation (`init`, var initialisers, `once.Do`) pin one buffer
      once: not reported either.
    - Method calls that store their arguments are recognised by name on long-lived receivers:
      `Store`, `LoadOrStore`, `Swap`, `Set`, `Add`, `Put`, `PushBack`, `PushFront`.
    - Measured on real code after issue 13's changes
      (`bench/precision/verdicts/retention-1f18133-seed13101.tsv`): the 9 earlier
      findings (compilers, generators, files parsed once) are gone and no new one appears in the
      same folders or in 300 random packages.

    ## Peers
    No common Go linter checks this; go101's "memory leaking scenarios" and the Go blog's
    slices article describe it.
    """

    id = "GL103"
    name = "subslice-retention"
    family = "retention"
    summary = "A small sub-slice of a large buffer is kept in a long-lived place without a copy."
    level = "warning"
    precision = "medium"  # an estimate: no finding over the corpora to judge (bench/precision)
    tags = ("memory", "leak", "retention")
    options: ClassVar[dict[str, Option]] = {
        "large-size": Option(int, DEFAULT_LARGE_SIZE,
                             "bytes from which a `make` or array counts as a large buffer"),
    }
    requires = (large_functions, maker_candidates, returned_values, large_type_names, ends_soon,
                test_support_package, main_only_functions)

    @classmethod
    def applies_to(cls, package: Package) -> bool:
        """Only packages with package-level variables (the long-lived places), in a process
        that keeps running."""
        return bool(package.vars) and not package.facts.get(ends_soon)

    def begin_file(self, file: FileModel) -> None:
        threshold = self.option("large-size")
        for function in candidate_functions(self.package, file, threshold, _has_stores):
            stores = file.captures(_STORES, function).get("store", [])
            if not stores:
                continue
            values = LocalValues(self.package, file, function, threshold)
            for store in values.run(stores):
                if store.type == "assignment_statement":
                    self._assignment(file, store, values)
                else:
                    self._method_store(file, store, values)

    def _assignment(self, f: FileModel, statement: Node, values: LocalValues) -> None:
        if text(statement.child_by_field_name("operator")) != "=":
            return
        left = statement.child_by_field_name("left")
        right = statement.child_by_field_name("right")
        if left is None or right is None or left.named_child_count != right.named_child_count:
            return
        resolver: Resolver | None = None
        for target, value in zip(left.named_children, right.named_children, strict=True):
            if target.type == "identifier" and (text(target) == "_" or f.is_local(target)):
                continue
            kept = values.value(value)
            if kept is None or kept.kind in _NOT_SMALL:
                kept = self._key(target, values)
            if kept is None or kept.kind in _NOT_SMALL:
                continue
            resolver = resolver or resolver_at(self.package, f, statement)
            if _long_lived(self.package, resolver, target):
                self._report(f, statement, text(target), kept)
                return

    def _key(self, target: Node, values: LocalValues) -> Value | None:
        """``index[line[:8]] = n``: the key is kept by the map as well."""
        if target.type != "index_expression":
            return None
        return values.value(target.child_by_field_name("index"))

    def _method_store(self, f: FileModel, call: Node, values: LocalValues) -> None:
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if fn is None or args is None:
            return
        for arg in args.named_children:
            kept = values.value(arg)
            if kept is None or kept.kind in _NOT_SMALL:
                continue
            receiver = fn.child_by_field_name("operand")
            if receiver is not None and _long_lived(
                self.package, resolver_at(self.package, f, call), receiver
            ):
                self._report(f, call, text(receiver), kept)
            return

    def _report(self, f: FileModel, node: Node, place: str, kept: Value) -> None:
        if cannot_grow_here(self.package, f, node):
            return  # one buffer pinned once, or in a test process: no growth
        large = kept.large
        noun = "sub-string" if kept.string else "sub-slice"
        what = {
            "part": f"a {noun}",
            "parts": f"{noun}s",
            "holds": f"a value holding a {noun}",
        }[kept.kind]
        line = large.file.position(large.origin.start_byte)[0]
        related = [(large.file, large.origin, f"the large buffer: {large.what}")]
        if kept.cut is not None:
            related.append((f, kept.cut, f"the {noun} is cut here"))
        self.report(
            node,
            f"{place} keeps {what} of {large.what} (line {line}): the whole buffer stays "
            "reachable as long as it does; store a copy (strings.Clone, bytes.Clone)",
            tuple(related),
            file=f,
        )


def _has_stores(f: FileModel, function: Node) -> bool:
    return bool(f.captures(_STORES, function))


def _long_lived(pkg: Package, resolver: Resolver, target: Node) -> bool:
    """A package-level variable, or state reached from one (fields, map and slice elements)."""
    node: Node | None = target
    root = access_root(target)
    if root is not None and resolver.copies_state(root):
        return False
    while node is not None:
        ref = resolver.resolve(node)
        if ref is not None:
            return bool(ref.long_lived)
        if node.type == "identifier":
            return not resolver.file.is_local(node) and text(node) in pkg.vars
        if node.type not in _PATH_NODES:
            return False
        inner = node.child_by_field_name("operand")
        node = inner if inner is not None else (
            node.named_children[0] if node.named_child_count else None
        )
    return False


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [SubsliceRetention]
