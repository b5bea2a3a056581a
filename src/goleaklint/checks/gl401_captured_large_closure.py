"""GL401 captured-large-closure: a function literal that captures a large value and outlives
its function."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ..closureuse import FIXED, LENGTH, UNREAD, WHOLE, closure_use
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
from ..longlived import access_root, resolver_at
from ..model import FUNCTION_NODES, Declaration, FileModel, function_name, resolve_selector
from ..plugins import hookimpl
from ..rule import Gate, Option, Rule, RuleContext
from ..syntax import Node, text

# Calls of other packages that keep the function they are given (DESIGN §1: configurable).
REGISTRATION = re.compile(
    r"^(Handle|HandleFunc|Subscribe\w*|(Must)?Register\w*|On[A-Z]\w*"
    r"|Add\w*(Handler|Listener|Hook|Callback|Func)|Set\w*(Handler|Callback|Hook|Func)"
    r"|SetFinalizer|AfterFunc)$"
)
KEEPERS = frozenset({"time.AfterFunc", "context.AfterFunc", "runtime.SetFinalizer"})
# Calls whose result holds the function they are given.
WRAPPERS = frozenset({"sync.OnceFunc", "sync.OnceValue", "sync.OnceValues"})
_MAX_DEPTH = 4
_LITERALS = "(func_literal) @f"
_KIND_WORDS = {
    "whole": "{what}",
    "part": "a slice of {what}",
    "parts": "parts of {what}",
    "holds": "a value holding part of {what}",
}


@dataclass(frozen=True)
class Escape:
    """How a function value outlives its function; ``how`` completes "the closure …"."""

    kind: str  # go, kept, stored, returned
    how: str
    function: Node | None = None  # for ``returned``: the function it is returned from


class CapturedLargeClosure(Rule):
    """## What it finds
    A function literal that references a large value of its enclosing function (a whole file
    from `os.ReadFile`, a whole response body from `io.ReadAll`, a `make` or array at or above
    the size threshold, `string(b)` of such a buffer, or a slice of one), keeps it alive for
    little, and escapes to a long-lived place. "For little" means the closure captures a part
    of the buffer (a sub-slice, a field cut from it: the part pins all of it), or captures the
    whole buffer but only asks its length, reads a fixed part of it (`b[:16]`, `b[0]`,
    `b[len(b)-8:]`) or never reads it. Long-lived places: a package-level variable, a map or a
    field of a value that outlives the call, a handler or callback registration
    (`http.HandleFunc`, `mux.Handle`, `Subscribe`, `Register…`, `On…`, `Add…Handler`,
    `Set…Func`), a `go` statement, `time.AfterFunc` or `runtime.SetFinalizer`, a return, or a
    function of the package that does one of these.

    ## Why it leaks
    A closure keeps every variable it references alive for as long as the closure itself is
    reachable. A handler registered at startup that captured the 50 MB file it was configured
    from keeps all 50 MB for the life of the process, even if it only ever reads its length;
    a callback stored in a global registry does the same. Nothing in the code that uses the
    buffer looks wrong, and heap profiles attribute the memory to the read, not to the closure.

    ## Example
    ```go
    package server

    import (
    	"fmt"
    	"net/http"
    	"os"
    )

    func Routes(path string) error {
    	data, err := os.ReadFile(path)
    	if err != nil {
    		return err
    	}
    	http.HandleFunc("/size", func(w http.ResponseWriter, r *http.Request) {
    		fmt.Fprintf(w, "%d bytes\\n", len(data))
    	})
    	return nil
    }
    ```

    ## Use instead
    ```go
    package server

    import (
    	"fmt"
    	"net/http"
    	"os"
    )

    func Routes(path string) error {
    	data, err := os.ReadFile(path)
    	if err != nil {
    		return err
    	}
    	size := len(data)
    	http.HandleFunc("/size", func(w http.ResponseWriter, r *http.Request) {
    		fmt.Fprintf(w, "%d bytes\\n", size)
    	})
    	return nil
    }
    ```
    Capture only what the closure needs (a length, a parsed value, a copied small part).

    ## Known limits
    - Large values are those made in the function, or returned by a function of the package
      that makes them (`data := load(path)`); a buffer received as a parameter is not known
      to be large.
    - A goroutine is not an escape when the function waits for it (`wg.Wait()`, or a receive
      from a channel the goroutine sends on or closes); a goroutine that ends quickly is still
      reported.
    - Registration calls of other packages are recognised by name; add names with the
      `escape-calls` option. Calls not recognised (`sort.Slice`, `strings.Map`,
      `filepath.WalkDir`, `sync.Once.Do`, `t.Run`, …) are taken to call the function and let
      it go.
    - A closure that reads the whole buffer holds it by design and is not reported: a factory
      that replays a buffered body (`bytes.NewReader(b)`), a restore closure that writes the
      old contents back, a handler serving a file it read at startup, a goroutine scanning
      with the buffer, a callback slicing it at offsets it is given. So is a buffer used as
      the closure's scratch memory (`copy(b[:], msg)`, `b[i] = x`).
    - A fixed part is a constant index or bounds made of constants and `len(b)`; a part chosen
      by the closure's inputs counts as the whole buffer.

    ## Peers
    No common Go linter checks this; it is the closure form of go101's "memory leaking
    scenarios" (kept sub-slices and hanging goroutines).
    """

    id = "GL401"
    name = "captured-large-closure"
    family = "closures"
    summary = "A long-lived closure keeps a large buffer alive for its length or a part of it."
    level = "warning"
    precision = "medium"  # an estimate: no finding over the corpora to judge (bench/precision)
    tags = ("memory", "leak", "closure")
    options: ClassVar[dict[str, Option]] = {
        "large-size": Option(int, DEFAULT_LARGE_SIZE,
                             "bytes from which a `make` or array counts as a large value"),
        "escape-calls": Option(list, [],
                               "more names of calls that keep the function they are given "
                               "(a method or function name such as `Get`, or `pkg.Func`)"),
    }
    requires = (large_functions, maker_candidates, returned_values, large_type_names)

    gate = Gate(mentions=(b"func",))  # a function literal starts with the keyword

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.extra_calls = frozenset(str(n) for n in self.option("escape-calls"))
        self.summaries: dict[tuple[int, int], Escape | None] = {}

    def begin_file(self, file: FileModel) -> None:
        threshold = self.option("large-size")
        for function in candidate_functions(self.package, file, threshold, _has_literals):
            literals = file.captures(_LITERALS, function).get("f", [])
            if literals:
                self._function(file, function, literals, threshold)

    def _function(self, f: FileModel, function: Node, literals: list[Node], threshold: int) -> None:
        values = LocalValues(self.package, f, function, threshold)
        captured: dict[int, list[tuple[Node, Value]]] = {}
        for literal in values.run(literals):
            found = []
            for ident in f.captures("(identifier) @i", literal).get("i", []):
                if _declares(ident):
                    continue  # `b, err := …` inside the literal: a binding of its own
                key = f.binding(ident)
                if key is None or key[1] >= literal.start_byte:
                    continue  # not local, or declared inside the literal
                value = values.values.get(key)
                if value is not None:
                    found.append((ident, value))
            if found:
                captured[literal.id] = found
        # Innermost first: a literal nested in another is reported for what it captures, and
        # its enclosing literal only for captures of its own.
        reported: list[Node] = []
        for literal in sorted(literals, key=lambda n: (-_depth(n), n.start_byte)):
            found = [
                (ident, value) for ident, value in captured.get(literal.id, [])
                if not any(r.start_byte <= ident.start_byte < r.end_byte for r in reported)
            ]
            kept = self._kept_for_little(f, found)
            if kept is None:
                continue
            escape = self._escape(f, literal, 0)
            if escape is None:
                continue
            reported.append(literal)
            self._report(f, literal, kept, escape)

    def _kept_for_little(
        self, f: FileModel, found: list[tuple[Node, Value]]
    ) -> tuple[Node, Value, str] | None:
        """The first capture that keeps a large buffer alive for little: a part of it (which
        pins all of it), or the whole buffer of which the closure reads only its length or a
        fixed part, or nothing. A closure that reads the whole buffer holds it by design."""
        uses: dict[tuple[str, int, int] | None, list[Node]] = {}
        for ident, _ in found:
            uses.setdefault(f.binding(ident), []).append(ident)
        for ident, value in found:
            if _kind(value) != "whole":
                return ident, value, ""
            use = closure_use(uses[f.binding(ident)], f, self.package)
            if use != WHOLE:
                return ident, value, _USE_WORDS[use].format(name=text(ident))
        return None

    def _report(
        self, f: FileModel, literal: Node, kept: tuple[Node, Value, str], escape: Escape
    ) -> None:
        ident, value, use = kept
        large = value.large
        shown = _KIND_WORDS[_kind(value)].format(what=large.what)
        line = large.file.position(large.origin.start_byte)[0]
        name = text(ident)
        how = escape.how
        if escape.kind == "returned" and escape.function is not None:
            how = f"is returned from {_function_label(escape.function)}"
        self.report(
            literal,
            f"function literal captures {name} ({shown}, line {line}) and {how}: {name} stays "
            f"reachable as long as the closure does{use}; capture only what it needs",
            ((large.file, large.origin, f"{name}: {large.what}"),),
            file=f,
        )

    # Escape analysis -------------------------------------------------------------------------

    def _escape(self, f: FileModel, expr: Node, depth: int) -> Escape | None:
        """How the function value ``expr`` outlives the function it is made in, if it does."""
        if depth > _MAX_DEPTH:
            return None
        node, parent = expr, expr.parent
        while parent is not None and parent.type == "parenthesized_expression":
            node, parent = parent, parent.parent
        if parent is None:
            return None
        kind = parent.type
        if kind == "call_expression":
            if _same(parent.child_by_field_name("function"), node):
                holder = parent.parent
                if holder is not None and holder.type == "go_statement" and not _joined(
                    f, holder, expr
                ):
                    return Escape("go", "runs as a goroutine")
            return None
        if kind == "argument_list" and parent.parent is not None:
            index = [c.id for c in parent.named_children if c.type != "comment"].index(node.id)
            return self._passed(f, parent.parent, index, depth)
        if kind == "variadic_argument" and parent.parent is not None:
            return self._escape(f, parent, depth)
        if kind == "expression_list" and parent.parent is not None:
            holder = parent.parent
            if holder.type == "return_statement":
                return Escape("returned", "is returned", _returning_function(holder))
            if holder.type in ("assignment_statement", "short_var_declaration", "var_spec"):
                return self._assigned(f, holder, parent, node, depth)
            return None
        if kind in ("literal_element", "keyed_element", "literal_value", "composite_literal"):
            while parent is not None and parent.type in (
                "literal_element", "keyed_element", "literal_value"
            ):
                parent = parent.parent
            if parent is None or parent.type != "composite_literal":
                return None
            return self._escape(f, parent, depth + 1)
        if kind == "unary_expression" and text(parent.child_by_field_name("operator")) == "&":
            return self._escape(f, parent, depth + 1)
        if kind == "return_statement":
            return Escape("returned", "is returned", _returning_function(parent))
        return None

    def _assigned(
        self, f: FileModel, statement: Node, values: Node, node: Node, depth: int
    ) -> Escape | None:
        if statement.type == "var_spec":
            targets = statement.children_by_field_name("name")
        else:
            left = statement.child_by_field_name("left")
            if left is None or left.id == values.id:
                return None
            targets = left.named_children
        position = [c.id for c in values.named_children].index(node.id)
        if len(targets) != values.named_child_count:
            return None
        target = targets[position]
        if target.type == "identifier":
            if text(target) == "_":
                return None
            if not f.is_local(target) and statement.type == "assignment_statement":
                if text(target) in self.package.vars:
                    return Escape("stored", f"is stored in package-level {text(target)}")
                return None
            declaring = statement.type != "assignment_statement"
            key = f.binding(target, declaring=declaring) or f.binding(target)
            return self._binding_escape(f, target, key, depth + 1)
        resolver = resolver_at(self.package, f, statement)
        root = access_root(target)
        if root is not None and resolver.copies_state(root):
            return None  # a field of a local copy
        ref = resolver.resolve(target)
        if ref is None and target.type in ("selector_expression", "index_expression"):
            ref = resolver.resolve(target.child_by_field_name("operand"))
        if ref is not None and ref.long_lived:
            return Escape("stored", f"is stored in {text(target)}, which is long-lived")
        if root is None:
            return None
        if not f.is_local(root):
            if text(root) in self.package.vars:
                return Escape("stored", f"is stored in {text(target)}, which is package-level")
            return None
        key = f.binding(root)
        if key is not None and _is_parameter(root, key):
            return Escape("stored", f"is stored in {text(target)}, which outlives the call")
        inner = self._binding_escape(f, root, key, depth + 1)
        if inner is not None:
            return Escape(inner.kind, f"is stored in {text(target)}, which {inner.how}",
                          inner.function)
        return None

    def _binding_escape(
        self, f: FileModel, ident: Node, key: tuple[str, int, int] | None, depth: int
    ) -> Escape | None:
        """Whether a local holding the function value lets it escape through one of its uses."""
        if key is None or depth > _MAX_DEPTH:
            return None
        scope = _scope_node(ident, key[1])
        if scope is None:
            return None
        for use in f.captures("(identifier) @i", scope).get("i", []):
            if use.start_byte <= ident.start_byte or text(use) != key[0]:
                continue
            if f.binding(use) != key or _assigned_to(use):
                continue
            escape = self._escape(f, use, depth)
            if escape is not None:
                return escape
        return None

    def _passed(self, f: FileModel, call: Node, index: int, depth: int) -> Escape | None:
        """The function value is argument ``index`` of ``call``."""
        fn = call.child_by_field_name("function")
        if fn is None:
            return None
        if fn.type == "identifier":
            name = text(fn)
            if name in self.extra_calls:
                return Escape("kept", f"is registered with {name}")
            if f.is_local(fn):
                return None
            if name == "append":
                return self._escape(f, call, depth + 1) if index > 0 else None
            if name in self.package.types:
                return self._escape(f, call, depth + 1)  # a conversion: HandlerFunc(func…)
            decl = self.package.funcs.get(name)
            if decl is not None:
                return self._through(f, call, decl.node, decl.file, index, name, depth)
            return None
        if fn.type != "selector_expression":
            return None
        field = text(fn.child_by_field_name("field"))
        qualified = resolve_selector(f, fn, self.package)
        shown = text(fn)
        if qualified in KEEPERS:
            return Escape("kept", f"is passed to {shown}")
        if qualified in WRAPPERS:
            return self._escape(f, call, depth + 1)
        if REGISTRATION.match(field) or field in self.extra_calls or shown in self.extra_calls or (
            qualified is not None and qualified in self.extra_calls
        ):
            return Escape("kept", f"is registered with {shown}")
        if qualified is not None:
            if field.endswith("Func") and field[:1].isupper():
                return self._escape(f, call, depth + 1)  # http.HandlerFunc(func…)
            outer = self._escape(f, call, depth + 1)  # a wrapper such as http.StripPrefix
            return outer if outer is not None and outer.kind == "kept" else None
        method = self._method(field)
        if method is not None:
            return self._through(f, call, method.node, method.file, index, shown, depth)
        outer = self._escape(f, call, depth + 1)
        return outer if outer is not None and outer.kind == "kept" else None

    def _method(self, name: str) -> Declaration | None:
        """The package's only method of that name (receiver types are not tracked here)."""
        found = [m[name] for m in self.package.methods.values() if name in m]
        return found[0] if len(found) == 1 else None

    def _through(
        self, f: FileModel, call: Node, decl: Node, decl_file: FileModel, index: int, shown: str,
        depth: int,
    ) -> Escape | None:
        """A function of the package given the function value: does it keep or return it?"""
        summary = self._parameter_escape(decl, decl_file, index, depth)
        if summary is None:
            return None
        if summary.kind == "returned" and summary.function is not None and (
            summary.function.id == decl.id
        ):
            return self._escape(f, call, depth + 1)
        return Escape(summary.kind if summary.kind != "returned" else "kept",
                      f"is passed to {shown}, which keeps it")

    def _parameter_escape(
        self, decl: Node, f: FileModel, index: int, depth: int
    ) -> Escape | None:
        key = (decl.id, index)
        if key in self.summaries:
            return self.summaries[key]
        self.summaries[key] = None  # recursion: assume it does not escape
        param = _parameter(decl, index)
        result = None
        if param is not None:
            binding = f.binding(param, declaring=True)
            result = self._binding_escape(f, param, binding, depth + 1)
            if result is None:
                result = self._captured_escape(f, decl, param, binding, depth + 1)
        self.summaries[key] = result
        return result

    def _captured_escape(
        self, f: FileModel, decl: Node, param: Node, binding: tuple[str, int, int] | None,
        depth: int
    ) -> Escape | None:
        """A parameter referenced by a function literal that escapes (middleware wrappers)."""
        if binding is None:
            return None
        for literal in f.captures(_LITERALS, decl).get("f", []):
            uses = [i for i in f.captures("(identifier) @i", literal).get("i", [])
                    if text(i) == binding[0] and f.binding(i) == binding]
            if uses:
                escape = self._escape(f, literal, depth)
                if escape is not None:
                    return escape
        return None


_USE_WORDS = {
    LENGTH: ", but it uses only its length",
    FIXED: ", but it reads only a fixed part of it",
    UNREAD: ", but it never reads {name}",
}


def _kind(value: Value) -> str:
    """``whole``, ``part``, ``parts`` or ``holds``: a whole value cut at an offset is a part."""
    return "part" if value.kind == "whole" and value.cut is not None else value.kind


def _has_literals(f: FileModel, function: Node) -> bool:
    return bool(f.captures(_LITERALS, function))


def _declares(ident: Node) -> bool:
    """The identifier is declared here: ``x :=``, ``var x``, a parameter, a range variable."""
    parent = ident.parent
    if parent is None:
        return False
    if parent.type in ("parameter_declaration", "variadic_parameter_declaration", "var_spec",
                       "const_spec"):
        return _same(parent.child_by_field_name("name"), ident) or any(
            _same(n, ident) for n in parent.children_by_field_name("name"))
    if parent.type != "expression_list" or parent.parent is None:
        return False
    holder = parent.parent
    if holder.type == "short_var_declaration" or (
        holder.type == "range_clause" and b":=" in (holder.text or b"")
    ):
        return _same(holder.child_by_field_name("left"), parent)
    return False


def _same(a: Node | None, b: Node) -> bool:
    return a is not None and a.start_byte == b.start_byte and a.end_byte == b.end_byte


def _depth(node: Node) -> int:
    depth, parent = 0, node.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


def _is_parameter(ident: Node, key: tuple[str, int, int]) -> bool:
    """A binding scoped to a whole function: a parameter or receiver."""
    parent = ident.parent
    while parent is not None:
        if parent.type in FUNCTION_NODES and parent.start_byte == key[1]:
            return True
        parent = parent.parent
    return False


def _scope_node(ident: Node, start: int) -> Node | None:
    parent = ident.parent
    while parent is not None and parent.start_byte != start:
        parent = parent.parent
    while parent is not None and parent.parent is not None and (
        parent.parent.start_byte == start
    ):
        parent = parent.parent
    return parent


def _assigned_to(ident: Node) -> bool:
    """The identifier is the target of an assignment (``h = nil``), not a use of its value."""
    parent = ident.parent
    if parent is None or parent.type != "expression_list":
        return False
    statement = parent.parent
    return statement is not None and statement.type in (
        "assignment_statement", "short_var_declaration"
    ) and _same(statement.child_by_field_name("left"), parent)


def _returning_function(statement: Node) -> Node | None:
    parent = statement.parent
    while parent is not None and parent.type not in FUNCTION_NODES:
        parent = parent.parent
    return parent


def _function_label(function: Node) -> str:
    if function.type == "func_literal":
        return "a function literal"
    return function_name(function)


def _parameter(decl: Node, index: int) -> Node | None:
    """The name node of parameter ``index`` (a variadic parameter takes the rest)."""
    params = decl.child_by_field_name("parameters")
    if params is None:
        return None
    names: list[Node] = []
    variadic: Node | None = None
    for p in params.named_children:
        if p.type == "parameter_declaration":
            names.extend(p.children_by_field_name("name"))
        elif p.type == "variadic_parameter_declaration":
            variadic = p.child_by_field_name("name")
    if index < len(names):
        return names[index]
    return variadic


def _deferred(node: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_NODES:
        if parent.type == "defer_statement":
            return True
        parent = parent.parent
    return False


def _joined(f: FileModel, go_statement: Node, literal: Node) -> bool:
    """The function waits for the goroutine: ``wg.Wait()``/``g.Wait()`` after it, or a receive
    from (or range over) a channel that the goroutine sends on or closes."""
    function = go_statement.parent
    while function is not None and function.type not in FUNCTION_NODES:
        function = function.parent
    if function is None:
        return False
    after = go_statement.end_byte
    channels = {text(c) for c in f.captures(
        "(send_statement channel: (_) @c)"
        "(call_expression function: (identifier) @fn arguments: (argument_list (_) @c)"
        ' (#eq? @fn "close"))', literal).get("c", [])}
    caps = f.captures(
        "(call_expression function: (selector_expression field: (field_identifier) @w)"
        ' (#eq? @w "Wait"))'
        '(unary_expression operator: "<-" operand: (_) @r)'
        "(range_clause right: (_) @r)", function)
    for wait in caps.get("w", []):
        if wait.start_byte >= after or _deferred(wait):
            return True
    return any(r.start_byte >= after and text(r) in channels for r in caps.get("r", []))


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [CapturedLargeClosure]
