"""Large values (GL103, GL401): what makes one, and how it travels through a function.

A value is large when it is a whole file or stream read into memory (``os.ReadFile``,
``io.ReadAll``, ``ioutil.ReadAll``/``ReadFile``: a whole response body), a ``make`` of a slice,
an array or a ``new`` whose size folds to at least the threshold, a ``bufio`` reader or writer
with such a buffer, or ``string(b)`` / ``[]byte(s)`` of a large value.

``LocalValues`` follows such values through one function's locals, in document order, together
with the *views* cut from them (``b[i:j]``, ``strings.Split``, ``bytes.Fields``, ``strings.Cut``,
regexp matches): a view shares the large buffer's memory, so keeping it keeps the buffer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .constants import MAX_DEPTH, const_int
from .facts import package_fact
from .model import FileModel, Package, resolve_selector, spec_names
from .syntax import Node, text
from .typesizes import human_size, sized, type_size

DEFAULT_LARGE_SIZE = 1 << 20

# Whole reads: the result is as large as the file or stream.
SLURPS = frozenset({"os.ReadFile", "io.ReadAll", "io/ioutil.ReadAll", "io/ioutil.ReadFile"})
# Buffered readers and writers whose buffer size is their second argument.
SIZED_BUFFERS = frozenset({"bufio.NewReaderSize", "bufio.NewWriterSize"})
# Functions whose results share the memory of their first argument.
_TEXT_PACKAGES = ("strings", "bytes")
_SPLITS = frozenset({"Split", "SplitN", "SplitAfter", "SplitAfterN", "Fields", "FieldsFunc"})
_TRIMS = frozenset({"TrimSpace", "Trim", "TrimLeft", "TrimRight", "TrimPrefix", "TrimSuffix",
                    "TrimFunc", "TrimLeftFunc", "TrimRightFunc"})
_CUTS = frozenset({"Cut", "CutPrefix", "CutSuffix"})
# regexp methods returning parts of their argument: one part, or a list of parts.
_REGEXP_PART = frozenset({"Find", "FindString"})
# Methods of a large bufio.Reader returning a view of its buffer.
_BUFFER_VIEWS = frozenset({"Peek", "ReadSlice", "ReadLine"})
_REGEXP_PARTS = frozenset({"FindAll", "FindAllString", "FindSubmatch", "FindStringSubmatch",
                           "FindAllSubmatch", "FindAllStringSubmatch"})

# Where a large value may be made, found in the source bytes (much cheaper than a query):
# whole reads and sized buffers, ``make(…``/``new(…``, and array types ``[N]T``.
_CANDIDATE_CALLS = (b".ReadFile(", b".ReadAll(", b".NewReaderSize(", b".NewWriterSize(",
                    b"make([", b"new(")
_ARRAY_TEXT = re.compile(rb"\[[^\]\[\n]+\][\w*\[]")


# Large values ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Large:
    """A large value: where it is made and how (``os.ReadFile``, ``make([]byte, 64 MiB)``)."""

    file: FileModel
    origin: Node
    what: str


def large_value(pkg: Package, f: FileModel, expr: Node | None, threshold: int) -> Large | None:
    """The ``Large`` that ``expr`` itself makes (locals are ``LocalValues``' business)."""
    if expr is None:
        return None
    kind = expr.type
    if kind == "parenthesized_expression" and expr.named_child_count:
        return large_value(pkg, f, expr.named_children[0], threshold)
    if kind == "composite_literal":
        size = type_size(pkg, f, expr.child_by_field_name("type"))
        if size >= threshold:
            return Large(f, expr, f"{sized(size)} array literal")
        return None
    if kind == "unary_expression" and text(expr.child_by_field_name("operator")) == "&":
        return large_value(pkg, f, expr.child_by_field_name("operand"), threshold)
    if kind != "call_expression":
        return None
    fn = expr.child_by_field_name("function")
    args = expr.child_by_field_name("arguments")
    if fn is None or args is None:
        return None
    arguments = [a for a in args.named_children if a.type != "comment"]
    if fn.type == "identifier":
        name = text(fn)
        if name not in ("make", "new") or name in pkg.funcs or not arguments:
            return None
        type_node = arguments[0]
        if name == "new":
            size = type_size(pkg, f, type_node)
            if size >= threshold:
                return Large(f, expr, f"{sized(size)} new({text(type_node)})")
            return None
        if type_node.type != "slice_type":
            return None
        counts = [const_int(pkg, f, a) for a in arguments[1:3]]
        count = max((c for c in counts if c is not None), default=None)
        if count is None:
            return None
        size = count * type_size(pkg, f, type_node.child_by_field_name("element"))
        if size >= threshold:
            return Large(f, expr, f"{sized(size)} make({text(type_node)})")
        return None
    if fn.type != "selector_expression":
        return None
    if text(fn.child_by_field_name("operand")) not in f.import_names:
        return None
    qualified = resolve_selector(f, fn, pkg)
    if qualified in SLURPS:
        short = qualified.replace("io/ioutil.", "ioutil.")
        if arguments and text(arguments[0]).endswith(".Body"):
            return Large(f, expr, f"the whole response body from {short}({text(arguments[0])})")
        whole = "file" if short.endswith("File") else "stream"
        return Large(f, expr, f"the whole {whole} from {short}")
    if qualified in SIZED_BUFFERS and len(arguments) == 2:
        buffer = const_int(pkg, f, arguments[1])
        if buffer is not None and buffer >= threshold:
            return Large(f, expr, f"{qualified} with a {human_size(buffer)} buffer")
    return None


# Locals ----------------------------------------------------------------------------------------

Binding = tuple[str, int, int]  # FileModel.binding()


@dataclass(frozen=True)
class Value:
    """What a local holds: the large value itself (``whole``), a part of it (``part``), a
    list of parts (``parts``), or a struct, map or slice with a part inside (``holds``).
    ``string`` tells a string from a byte slice: ``string(part)`` of a string is the same
    memory, of a byte slice a copy.  ``cut`` is where a part was cut."""

    kind: str  # whole, part, parts, holds
    large: Large
    string: bool = False
    cut: Node | None = None

    def but(self, kind: str, cut: Node | None = None, string: bool | None = None) -> Value:
        return Value(kind, self.large, self.string if string is None else string,
                     cut if cut is not None else self.cut)


_STATEMENTS = """
(short_var_declaration) @s
(assignment_statement) @s
(var_spec) @s
(range_clause) @s
"""


class LocalValues:
    """Large values and their parts held by the locals of one function, in document order.

    ``run(events)`` replays the function's bindings; the caller's events (nodes of its own
    interest) are interleaved at their start and handed back with the values of that moment.
    """

    def __init__(self, pkg: Package, f: FileModel, function: Node, threshold: int) -> None:
        self.pkg = pkg
        self.file = f
        self.function = function
        self.threshold = threshold
        self.values: dict[Binding, Value] = {}

    # Evaluation ------------------------------------------------------------------------------

    def value(self, expr: Node | None, _depth: int = 0) -> Value | None:
        """What ``expr`` holds now, in terms of large values (None: nothing large)."""
        if expr is None or _depth > MAX_DEPTH:
            return None
        kind = expr.type
        f = self.file
        if kind == "parenthesized_expression" and expr.named_child_count:
            return self.value(expr.named_children[0], _depth + 1)
        if kind == "identifier":
            key = f.binding(expr)
            return self.values.get(key) if key is not None else None
        if kind == "slice_expression":
            inner = self.value(expr.child_by_field_name("operand"), _depth + 1)
            if inner is None or inner.kind in ("parts", "holds"):
                return inner
            end = expr.child_by_field_name("end")
            if end is None or _whole_bound(end):
                return inner.but(inner.kind, cut=expr)  # b[i:], b[:0] to reuse, b[:cap(b)]
            return inner.but("part", cut=expr)
        if kind == "index_expression":
            inner = self.value(expr.child_by_field_name("operand"), _depth + 1)
            if inner is not None and inner.kind == "parts":
                return inner.but("part", cut=inner.cut or expr)
            return None
        if kind == "unary_expression" and text(expr.child_by_field_name("operator")) == "&":
            inner = self.value(expr.child_by_field_name("operand"), _depth + 1)
            return inner if inner is not None and inner.kind in ("whole", "holds") else None
        if kind == "type_conversion_expression":
            inner = self.value(expr.child_by_field_name("operand"), _depth + 1)
            if inner is not None and inner.kind == "whole":
                type_text = text(expr.child_by_field_name("type"))
                return inner.but("whole", string=type_text == "string")
            return None
        if kind == "call_expression":
            return self._call(expr, _depth)
        large = large_value(self.pkg, f, expr, self.threshold)
        if large is not None:
            return Value("whole", large)
        if kind == "composite_literal":
            return self._holder(expr.child_by_field_name("body"), _depth)
        return None

    def _holder(self, body: Node | None, depth: int) -> Value | None:
        """A composite literal with a part among its keys or elements holds that part."""
        if body is None:
            return None
        for element in body.named_children:
            items = element.named_children if element.type == "keyed_element" else [element]
            for item in items:
                inner = item.named_children[0] if item.named_child_count else None
                if inner is None:
                    continue
                if inner.type == "literal_value":
                    found = self._holder(inner, depth + 1)
                else:
                    found = self.value(inner, depth + 1)
                if found is not None and found.kind != "whole":
                    return found.but("holds")
        return None

    def _call(self, call: Node, depth: int) -> Value | None:
        f = self.file
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        arguments = [a for a in args.named_children if a.type != "comment"] if args else []
        if fn is not None and fn.type == "identifier" and text(fn) == "append" and (
            not f.is_local(fn) and arguments
        ):
            return self._append(arguments, depth)
        if fn is not None and fn.type == "identifier" and text(fn) in self.pkg.funcs and (
            depth < MAX_DEPTH and not f.is_local(fn)
        ):
            return self._package_call(text(fn), call, arguments, depth)
        if fn is not None and fn.type == "identifier" and text(fn) == "string" and (
            not f.is_local(fn) and len(arguments) == 1
        ):
            inner = self.value(arguments[0], depth + 1)
            if inner is None:
                return None
            if inner.kind == "whole":
                return inner.but("whole", string=True)
            return inner if inner.string else None  # string(bytes[i:j]) copies
        if fn is not None and fn.type == "selector_expression" and text(
            fn.child_by_field_name("field")
        ) in _BUFFER_VIEWS:
            inner = self.value(fn.child_by_field_name("operand"), depth + 1)
            if inner is None or inner.kind != "whole":
                return None
            return inner.but("part", cut=call)
        if fn is not None and fn.type == "selector_expression" and arguments:
            field = text(fn.child_by_field_name("field"))
            qualified = resolve_selector(f, fn, self.pkg)
            if qualified is not None and qualified.rpartition(".")[0] in _TEXT_PACKAGES:
                inner = self.value(arguments[0], depth + 1)
                if inner is None or inner.kind == "parts":
                    return None
                string = qualified.startswith("strings.")
                if field in _SPLITS:
                    return inner.but("parts", cut=call, string=string)
                if field in _TRIMS:
                    return inner
                return None
            if qualified is None and field in _REGEXP_PART | _REGEXP_PARTS:
                inner = self.value(arguments[0], depth + 1)
                if inner is None or inner.kind == "parts":
                    return None
                return inner.but("part" if field in _REGEXP_PART else "parts", cut=call)
        large = large_value(self.pkg, f, call, self.threshold)
        return Value("whole", large) if large is not None else None

    def _package_call(
        self, name: str, call: Node, arguments: list[Node], depth: int
    ) -> Value | None:
        """A function of the package that returns a large value it makes (``load(path)``), or
        a part of one of its arguments (``firstLine(data)``)."""
        summary = _returned(self.pkg, name, self.threshold)
        if summary is None:
            return None
        if summary.index < 0:
            return Value("whole", summary.large)
        if summary.index >= len(arguments):
            return None
        inner = self.value(arguments[summary.index], depth + 1)
        if inner is None or summary.kind == "whole":
            return inner
        if inner.kind not in ("whole", "part"):
            return None
        return inner.but(summary.kind, cut=call)

    def _append(self, arguments: list[Node], depth: int) -> Value | None:
        """``append(s, part)`` holds the part; ``append(b, part...)`` copies a part's bytes."""
        first = self.value(arguments[0], depth + 1)
        if first is not None and first.kind in ("holds", "whole"):
            return first  # appending within a large capacity keeps the same array
        for arg in arguments[1:]:
            spread = arg.type == "variadic_argument"
            inner = self.value(arg.named_children[0] if spread and arg.named_child_count
                               else arg, depth + 1)
            if inner is None or inner.kind == "whole" or (spread and inner.kind == "part"):
                continue
            return inner.but("holds")
        return None

    def _results(self, call: Node, count: int) -> list[Value | None]:
        """The values of a multi-value call's results (``data, err := os.ReadFile(…)``)."""
        results: list[Value | None] = [None] * count
        fn = call.child_by_field_name("function")
        if fn is not None and fn.type == "selector_expression":
            qualified = resolve_selector(self.file, fn, self.pkg) or ""
            package, _, name = qualified.rpartition(".")
            args = call.child_by_field_name("arguments")
            if package in _TEXT_PACKAGES and name in _CUTS and args is not None and (
                args.named_child_count
            ):
                inner = self.value(args.named_children[0])
                if inner is not None and inner.kind != "parts":
                    part = inner.but("part", cut=call, string=package == "strings")
                    results[: min(count, 2)] = [part] * min(count, 2)
                return results
        results[0] = self.value(call)
        return results

    # Replay ----------------------------------------------------------------------------------

    def _bind(self, target: Node, value: Value | None, declaring: bool) -> None:
        if target.type != "identifier" or text(target) == "_":
            return
        key = self.file.binding(target, declaring=declaring)
        if key is None and declaring:
            key = self.file.binding(target)  # `a, err := …` reusing err
        if key is None:
            return
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value

    def _statement(self, node: Node) -> None:
        kind = node.type
        if kind == "range_clause":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is None or left.named_child_count < 2:
                return
            ranged = self.value(right)
            element = ranged.but("part") if ranged is not None and ranged.kind == "parts" else None
            self._bind(left.named_children[1], element, b":=" in (node.text or b""))
            return
        if kind == "var_spec":
            names = spec_names(node)
            values = node.child_by_field_name("value")
            if values is None:
                size = type_size(self.pkg, self.file, node.child_by_field_name("type"))
                if size >= self.threshold:
                    large = Large(self.file, node, f"{sized(size)} array")
                    for n in names:
                        self._bind(n, Value("whole", large), True)
                return
            self._assign(list(names), values.named_children, True)
            return
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return
        if kind == "assignment_statement" and text(node.child_by_field_name("operator")) != "=":
            return
        self._assign(left.named_children, right.named_children,
                     kind == "short_var_declaration")

    def _assign(self, targets: list[Node], values: list[Node], declaring: bool) -> None:
        if len(targets) == len(values):
            found = [self.value(v) for v in values]
        elif len(values) == 1 and values[0].type == "call_expression":
            found = self._results(values[0], len(targets))
        else:
            found = [None] * len(targets)
        for target, value in zip(targets, found, strict=True):
            if target.type == "identifier":
                self._bind(target, value, declaring)
            elif value is not None and value.kind != "whole":
                self._fill(target, value)

    def _fill(self, target: Node, value: Value) -> None:
        """``e.name = part``, ``m[k] = part`` on a local: the local now holds the part."""
        root = target
        while root.type in ("selector_expression", "index_expression", "parenthesized_expression",
                            "unary_expression"):
            inner = root.child_by_field_name("operand")
            if inner is None:
                inner = root.named_children[0] if root.named_child_count else None
            if inner is None:
                return
            root = inner
        if root.type != "identifier":
            return
        key = self.file.binding(root)
        if key is not None and key not in self.values:
            self.values[key] = value.but("holds")

    def run(self, events: list[Node]) -> Iterator[Node]:
        """Replay the bindings; yield each event node when the replay reaches its start.

        A statement takes effect at its end, so an event inside it (a function literal on its
        right-hand side) sees the values from before it.
        """
        statements = self.file.captures(_STATEMENTS, self.function).get("s", [])
        pending = sorted(statements, key=lambda n: n.end_byte)
        queue = sorted(events, key=lambda n: n.start_byte)
        i = 0
        for event in queue:
            while i < len(pending) and pending[i].end_byte <= event.start_byte:
                self._statement(pending[i])
                i += 1
            yield event
        for statement in pending[i:]:
            self._statement(statement)


def _whole_bound(end: Node) -> bool:
    """``b[:0]`` (the buffer kept for reuse) and ``b[:cap(b)]`` cut nothing off."""
    if end.type == "int_literal":
        return text(end) == "0"
    fn = end.child_by_field_name("function") if end.type == "call_expression" else None
    return fn is not None and text(fn) == "cap"


@dataclass(frozen=True)
class _Returned:
    """What a function of the package returns: a large value it makes (``index`` -1), or
    its argument ``index`` itself (``whole``) or a part of it."""

    index: int
    kind: str
    large: Large


@package_fact()
def returned_values(pkg: Package) -> dict[tuple[str, int], _Returned | None]:
    """What each function of the package returns, by (name, large-size threshold): a memo
    filled on first question."""
    return {}


def _returned(pkg: Package, name: str, threshold: int) -> _Returned | None:
    cache = pkg.facts.get(returned_values)
    key = (name, threshold)
    if key in cache:
        return cache[key]
    cache[key] = None  # a recursive function returns nothing known
    decl = pkg.funcs[name]
    cache[key] = _summarise(pkg, decl.file, decl.node, threshold)
    return cache[key]


def _summarise(pkg: Package, f: FileModel, function: Node, threshold: int) -> _Returned | None:
    values = LocalValues(pkg, f, function, threshold)
    params: dict[int, int] = {}  # parameter node id -> position
    declared = function.child_by_field_name("parameters")
    names = [n for p in (declared.named_children if declared is not None else [])
             if p.type == "parameter_declaration" for n in p.children_by_field_name("name")]
    for i, param in enumerate(names):
        key = f.binding(param, declaring=True)
        if key is not None:
            values.values[key] = Value("whole", Large(f, param, text(param)))
            params[param.id] = i
    returns = [r for r in f.captures("(return_statement) @r", function).get("r", [])
               if _returning_function(r) == function]
    found: _Returned | None = None
    for statement in values.run(returns):
        results = statement.named_children[0] if statement.named_child_count else None
        if results is None or not results.named_child_count:
            continue
        value = values.value(results.named_children[0])
        if value is None:
            continue
        index = params.get(value.large.origin.id, -1)
        if index < 0 and value.kind != "whole":
            continue
        if found is not None and found.index != index:
            return None  # different returns disagree: nothing known
        if found is None or found.kind == "whole":
            found = _Returned(index, value.kind, value.large)  # `return b` or `return b[:i]`
    return found


def _returning_function(statement: Node) -> Node | None:
    """The function (declaration or literal) a ``return`` statement returns from."""
    parent = statement.parent
    while parent is not None and parent.type not in (
        "function_declaration", "method_declaration", "func_literal"
    ):
        parent = parent.parent
    return parent


def candidate_functions(pkg: Package, f: FileModel, threshold: int,
                        wanted: Callable[[FileModel, Node], bool] | None = None) -> list[Node]:
    """Top-level functions of ``f`` in which a large value is made, or that call a function of
    the package returning a large value it makes (``load(path)``).

    ``wanted`` (the caller's cheap test of a function) is asked of a caller of such a function
    before the costlier question of what that function returns, which is then answered only
    for the functions somebody wants; functions making a large value themselves are returned
    whatever ``wanted`` says.
    """
    found = {n.id: n for n in _made_here(pkg, f, threshold)}
    for name in _maker_candidates(pkg, threshold):
        needle = name.encode() + b"("
        at = f.source.find(needle)
        while at >= 0:
            node = f.root.descendant_for_byte_range(at, at + 1)
            if node is not None and node.type == "identifier" and text(node) == name:
                top = f.top_level_function(node)
                if top is not None and top.id not in found and (wanted is None or wanted(f, top)):
                    if not _is_maker(pkg, name, threshold):
                        break
                    found[top.id] = top
            at = f.source.find(needle, at + 1)
    return sorted(found.values(), key=lambda n: n.start_byte)


@package_fact()
def large_functions(pkg: Package) -> dict[tuple[str, int], list[Node]]:
    """The top-level functions of each file that make a large value, by (file path,
    threshold): a memo filled on first question."""
    return {}


@package_fact()
def maker_candidates(pkg: Package) -> dict[int, tuple[str, ...]]:
    """The package functions that make a large value, by threshold: a memo."""
    return {}


@package_fact()
def large_type_names(pkg: Package) -> dict[int, tuple[bytes, ...]]:
    """The package's types whose values are at least the threshold, by threshold: a memo."""
    return {}


def _made_here(pkg: Package, f: FileModel, threshold: int) -> list[Node]:
    cache = pkg.facts.get(large_functions)
    key = (str(f.path), threshold)
    if key not in cache:
        cache[key] = _candidate_functions(pkg, f, threshold)
    return cache[key]


def _maker_candidates(pkg: Package, threshold: int) -> tuple[str, ...]:
    """Functions of the package that make a large value (whether they return it is asked
    later, of those that are called where it matters: ``_is_maker``)."""
    cache = pkg.facts.get(maker_candidates)
    if threshold not in cache:
        names = []
        for f in pkg.files:
            for function in _made_here(pkg, f, threshold):
                if function.type != "function_declaration":
                    continue
                name = text(function.child_by_field_name("name"))
                decl = pkg.funcs.get(name)
                if decl is not None and decl.node.id == function.id:
                    names.append(name)
        cache[threshold] = tuple(names)
    return cache[threshold]


def _is_maker(pkg: Package, name: str, threshold: int) -> bool:
    """The candidate ``name`` returns a large value it makes."""
    returned = _returned(pkg, name, threshold)
    return returned is not None and returned.index < 0


def large_types(pkg: Package, threshold: int) -> tuple[bytes, ...]:
    """The names of the package's types whose values are at least ``threshold`` bytes
    (``type Buf [1 << 21]byte``, a struct holding one): ``Buf{…}`` makes one."""
    cache = pkg.facts.get(large_type_names)
    if threshold not in cache:
        cache[threshold] = tuple(
            name.encode() for name, decl in pkg.types.items()
            if type_size(pkg, decl.file, decl.node.child_by_field_name("type")) >= threshold
        )
    return cache[threshold]


_MAKERS = frozenset({"call_expression", "array_type", "composite_literal"})


def _candidate_functions(pkg: Package, f: FileModel, threshold: int) -> list[Node]:
    found: dict[int, Node] = {}
    for offset in _candidate_offsets(f.source, large_types(pkg, threshold)):
        node = f.root.descendant_for_byte_range(offset, offset + 1)
        while node is not None and node.type not in _MAKERS and node.type not in _STOP_SEARCH:
            node = node.parent
        if node is None or node.type in _STOP_SEARCH:
            continue
        if node.type == "array_type":
            if type_size(pkg, f, node) < threshold:
                continue
        elif large_value(pkg, f, node, threshold) is None:
            continue
        top = f.top_level_function(node)
        if top is not None:
            found[top.id] = top
    return sorted(found.values(), key=lambda n: n.start_byte)


def _candidate_offsets(source: bytes, types: tuple[bytes, ...] = ()) -> Iterator[int]:
    for word in _CANDIDATE_CALLS + tuple(name + b"{" for name in types):
        at = source.find(word)
        while at >= 0:
            yield at + 1  # past the dot or the first letter: inside the call's function
            at = source.find(word, at + 1)
    for match in _ARRAY_TEXT.finditer(source):
        if source[match.start() - 3:match.start()] != b"map":  # a map type, not an array
            yield match.start()


_STOP_SEARCH = frozenset({"block", "statement_list", "source_file", "function_declaration",
                          "method_declaration", "func_literal", "comment",
                          "interpreted_string_literal", "raw_string_literal"})


