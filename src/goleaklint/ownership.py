"""Who owns a value: what each mention of a local variable does with it.

A mention either *releases* the value (closes it, or hands it to someone who will: returned,
stored in a field, global, map or slice, sent on a channel, captured by a goroutine, passed to a
function that takes ownership), *loses* it (the variable is overwritten), or merely *uses* it.
For a resource asked ``every_path`` (tickers), a same-package callee or a goroutine's literal
takes it over only when it releases it on every path that leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .callees import mentions, package_callee, parameter_names
from .facts import package_fact
from .flow import Escape, FlowCache, find_escape, flows, ranges_over
from .funcvalues import held_literal
from .model import FUNCTION_NODES, FileModel, Package, resolve_selector
from .syntax import Node, text

# Other packages' functions that only read, wrap or inspect what they are given.
NON_OWNING_PACKAGES = frozenset({
    "fmt", "log", "log/slog", "errors", "strings", "bytes", "strconv", "bufio", "sort",
    "encoding/json", "encoding/xml", "encoding/csv", "encoding/gob", "encoding/binary",
    "encoding/base64", "encoding/hex", "encoding/pem", "mime/multipart", "image", "image/png",
    "image/jpeg", "image/gif", "hash/crc32", "crypto/sha256", "crypto/md5", "reflect",
    "compress/gzip", "compress/zlib", "compress/flate", "archive/tar", "archive/zip",
    "net/http/httputil", "testing", "github.com/stretchr/testify/assert",
    "github.com/stretchr/testify/require",
})
NON_OWNING_FUNCS = frozenset({
    "io.ReadAll", "io.ReadFull", "io.ReadAtLeast", "io.Copy", "io.CopyN", "io.CopyBuffer",
    "io.LimitReader", "io.TeeReader", "io.MultiReader", "io.MultiWriter", "io.NewSectionReader",
    "io.WriteString", "io/ioutil.ReadAll", "net/http.MaxBytesReader", "net/http.ReadResponse",
    "net/http.ReadRequest", "os.Stat", "runtime.SetFinalizer", "runtime.KeepAlive",
})
# Builtins that store their argument somewhere the caller keeps (``append``) take ownership.
OWNING_BUILTINS = frozenset({"append"})
BUILTINS = frozenset({
    "len", "cap", "print", "println", "panic", "copy", "delete", "close", "min", "max", "new",
    "make", "clear", "complex", "real", "imag", "recover",
})


@dataclass(frozen=True)
class Resource:
    """How a kind of value is released: ``v.Close()``, or ``v.Body.Close()`` for responses."""

    release_methods: frozenset[str] = frozenset({"Close"})
    through_field: str = ""  # "Body" for *http.Response
    # A same-package callee, or a goroutine's literal capturing it, releases it only when it
    # does on every path that leaves it (one that never leaves keeps it for good). Without it,
    # one release anywhere in a callee counts, and a goroutine capturing it is its owner.
    every_path: bool = False
    endless_field: str = ""  # "C" of a ticker: never closed, `for range v.C` never ends


FILE_LIKE = Resource()
RESPONSE = Resource(through_field="Body")
TX = Resource(release_methods=frozenset({"Commit", "Rollback"}))


def _call_function(arg_list: Node) -> Node | None:
    call = arg_list.parent
    return call.child_by_field_name("function") if call is not None else None


class Ownership:
    """Classifies mentions of a variable for one package (with per-package memoisation)."""

    def __init__(self, pkg: Package, graphs: FlowCache | None = None) -> None:
        self.pkg = pkg
        self.graphs = graphs if graphs is not None else FlowCache(pkg)
        self._closes_param: dict[tuple[int, int, Resource], bool] = {}
        self._leaks: dict[tuple[int, str, Resource], Escape | None] = {}

    # Calls ------------------------------------------------------------------------------------

    def call_takes_ownership(self, f: FileModel, call_fn: Node, index: int, res: Resource) -> bool:
        """Whether passing a value as argument ``index`` of a call to ``call_fn`` hands it over."""
        target = package_callee(self.pkg, f, call_fn)
        if target is not None:  # before the builtins: a func close(…) shadows one
            return self.closes_parameter(target[0], target[1], index, res)
        if call_fn.type == "identifier":
            name = text(call_fn)
            if f.is_local(call_fn):  # a function value: the literal it holds, or may keep it
                held = held_literal(f, call_fn)
                return held is None or self.closes_parameter(f, held, index, res)
            if name in OWNING_BUILTINS:
                return True
            if name in BUILTINS:
                return False
            return name not in ("string",)
        if call_fn.type == "selector_expression":
            qualified = resolve_selector(f, call_fn, self.pkg)
            if qualified is not None:
                package = qualified.rpartition(".")[0]
                return qualified not in NON_OWNING_FUNCS and package not in NON_OWNING_PACKAGES
            return True  # an interface or another package's value: assume it keeps the value
        if call_fn.type == "parenthesized_expression" and call_fn.named_child_count:
            return self.call_takes_ownership(f, call_fn.named_children[0], index, res)
        return True

    def closes_parameter(self, f: FileModel, function: Node, index: int, res: Resource,
                         depth: int = 0) -> bool:
        """Whether a same-package function releases (closes, stores, returns) parameter
        ``index``."""
        key = (function.id, index, res)
        if key in self._closes_param:
            return self._closes_param[key]
        self._closes_param[key] = False  # recursion guard
        names = parameter_names(function)
        if index >= len(names) or names[index] == "_" or depth > 3:
            result = index >= len(names)  # variadic or unknown: assume it takes it
        elif res.every_path:
            result = self.leak_path(f, function, names[index], res) is None
        else:
            body = function.child_by_field_name("body")
            result = body is not None and any(
                self.classify(f, m, res, depth + 1) == "release"
                for m in mentions(f, body, names[index])
            )
        self._closes_param[key] = result
        return result

    def leak_path(self, f: FileModel, function: Node, name: str, res: Resource) -> Escape | None:
        """A path that leaves ``function`` (a same-package function given ``name`` as a
        parameter, or a goroutine's literal capturing it) without releasing ``name``, if any.
        A path that never leaves (an endless loop, ``for range v.C``) keeps it, and leaks
        nothing beyond the function."""
        key = (function.id, name, res)
        if key in self._leaks:
            return self._leaks[key]
        self._leaks[key] = None  # recursion guard: a function calling itself keeps it
        cfg = self.graphs.graph(function, f)
        body = function.child_by_field_name("body")
        releasing = set()
        for m in mentions(f, body, name) if body is not None else []:
            block = cfg.block_of(m, through_literals=True)
            if block is not None and self.classify(f, m, res, scope=function) == "release":
                releasing.add(id(block))
        endless = f"{name}.{res.endless_field}" if res.endless_field else ""
        escape = find_escape(
            cfg, cfg.entry, releases=lambda b: id(b) in releasing,
            dead_edge=lambda b, label: bool(endless) and label is False and ranges_over(
                b, endless))
        self._leaks[key] = escape
        return escape

    # Mentions ---------------------------------------------------------------------------------

    def classify(self, f: FileModel, ident: Node, res: Resource, depth: int = 0,
                 scope: Node | None = None) -> str:
        """``release``, ``lost`` (overwritten), ``use`` or ``none`` for one mention (``scope``:
        the function whose paths are asked about, by default the one declaring the value)."""
        if res.every_path:
            literal = goroutine_literal(f, ident, scope)
            if literal is not None:
                leaks = self.leak_path(f, literal, text(ident), res) is not None
                return "use" if leaks else "release"
        node = ident
        parent = node.parent
        # v.Body…: follow the field a response is released through.
        if (
            res.through_field
            and parent is not None
            and parent.type == "selector_expression"
            and text(parent.child_by_field_name("field")) == res.through_field
        ):
            node, parent = parent, parent.parent
        # v.(T), (v), v... (a variadic argument) and *v (a copy, sharing v's body) are still v.
        while parent is not None and (
            parent.type in ("parenthesized_expression", "variadic_argument")
            or (parent.type == "type_assertion_expression"
                and parent.child_by_field_name("operand") == node)
            or (parent.type == "unary_expression"
                and text(parent.child_by_field_name("operator")) == "*")
        ):
            node, parent = parent, parent.parent
        if parent is None:
            return "use"
        kind = parent.type
        if kind == "selector_expression" and parent.child_by_field_name("operand") == node:
            method = text(parent.child_by_field_name("field"))
            call = parent.parent
            is_call = call is not None and call.type == "call_expression"
            if method in res.release_methods and (is_call or _handed_on(parent)):
                return "release"  # v.Close(), or t.Cleanup(v.Close): a method value handed on
            return self._inside_literal(f, ident, res)
        if kind == "argument_list":
            call_fn = _call_function(parent)
            index = [c.id for c in parent.named_children].index(node.id)
            if call_fn is not None and self.call_takes_ownership(f, call_fn, index, res):
                return "release"
            return self._inside_literal(f, ident, res)
        if kind == "expression_list":
            holder = parent.parent
            if holder is not None and holder.type in ("assignment_statement",
                                                      "short_var_declaration"):
                left = holder.child_by_field_name("left")
                if left is not None and left.id == parent.id:
                    return "lost" if holder.type == "assignment_statement" else "none"
                return self._assigned_from(holder, parent, node)
            if holder is not None and holder.type == "return_statement":
                return "release"
        if kind in ("keyed_element", "literal_element", "literal_value", "send_statement",
                    "return_statement"):
            return "release"
        if kind == "unary_expression" and text(parent.child_by_field_name("operator")) == "&":
            return "release"  # its address escapes: someone else may close it
        return self._inside_literal(f, ident, res)

    def _assigned_from(self, holder: Node, right: Node, node: Node) -> str:
        """``x.f = v``, ``m[k] = v``, ``global = v``: stored; ``w := v``: an alias (released);
        ``_ = v``: only a use."""
        left = holder.child_by_field_name("left")
        if left is not None and all(text(t) == "_" for t in left.named_children):
            return "use"
        return "release"

    def _inside_literal(self, f: FileModel, ident: Node, res: Resource) -> str:
        """A mention inside a goroutine's function literal hands the value to that goroutine;
        inside a literal that is returned or stored (in a field, a composite, or a variable
        that is), to whoever calls it later. Not a value the literal declares itself (its own
        ``f, err := os.Open(…)``): the literal is then the function that must close it."""
        parent = ident.parent
        while parent is not None and parent.type not in FUNCTION_NODES:
            parent = parent.parent
        if parent is not None and parent.type == "func_literal":
            literal = parent
            holder = parent.parent
            while holder is not None and holder.type in ("parenthesized_expression",):
                holder = holder.parent
            if holder is not None and holder.type == "call_expression":
                holder = holder.parent
            if holder is not None and holder.type == "go_statement" and not declares(
                    f, literal, text(ident)):
                return "use" if res.every_path else "release"  # every_path: classify asked
            outer = literal.parent
            while outer is not None and outer.type not in FUNCTION_NODES:
                outer = outer.parent
            body = outer.child_by_field_name("body") if outer is not None else None
            if body is not None and not declares(f, literal, text(ident)) and handed_over(
                    f, literal, body, calls=False):
                return "release"
        return "use"


def goroutine_literal(f: FileModel, ident: Node, scope: Node | None = None) -> Node | None:
    """The outermost ``go func() {…}()`` literal around ``ident`` (below ``scope``) that
    captures it: one that does not declare ``ident``'s name itself."""
    found = None
    node = ident.parent
    while node is not None and node != scope:
        if node.type == "func_literal" and _started(node) and not declares(f, node, text(ident)):
            found = node
        node = node.parent
    return found


def _started(literal: Node) -> bool:
    """Whether a function literal is what a ``go`` statement calls."""
    holder = literal.parent
    while holder is not None and holder.type == "parenthesized_expression":
        holder = holder.parent
    if holder is None or holder.type != "call_expression":
        return False
    return holder.parent is not None and holder.parent.type == "go_statement"


def declares(f: FileModel, function: Node, name: str) -> bool:
    """Whether ``function`` (a literal) has its own ``name``: a parameter, ``name :=`` or
    ``var name`` (then its ``name`` is not a value captured from outside)."""
    for m in mentions(f, function, name):
        parent = m.parent
        holder = parent.parent if parent is not None else None
        if parent is not None and parent.type in ("parameter_declaration", "var_spec"):
            return True
        if holder is not None and holder.type == "short_var_declaration" and (
            holder.child_by_field_name("left") == parent
        ):
            return True
    return False


def handed_over(f: FileModel, value: Node, body: Node, calls: bool = True) -> bool:
    """``value`` (a function literal, a method value) outlives the statement: returned,
    stored in a field, map or composite, or (``calls``) passed to a call; directly or through
    the local it is bound to (``cleanup := func() {…}; …; return f, cleanup``)."""
    holder = _where_it_goes(value, calls)
    if isinstance(holder, bool):
        return holder
    parent = value.parent
    assert parent is not None  # _where_it_goes found its statement through it
    if holder.type not in ("short_var_declaration", "assignment_statement") or (
        holder.child_by_field_name("right") != parent
    ):
        return False
    left = holder.child_by_field_name("left")
    index = [c.id for c in parent.named_children].index(value.id)
    if left is None or index >= left.named_child_count:
        return False
    target = left.named_children[index]
    if target.type != "identifier":
        return True  # stored in a field or map: someone calls it later
    return any(_kept(m, calls) for m in mentions(f, body, text(target)) if m.id != target.id)


def _kept(ident: Node, calls: bool) -> bool:
    """A later mention of a function value that returns, stores or (``calls``) passes it."""
    holder = _where_it_goes(ident, calls)
    if isinstance(holder, bool):
        return holder
    parent = ident.parent
    if holder.type == "assignment_statement" and holder.child_by_field_name("right") == parent:
        left = holder.child_by_field_name("left")
        return left is not None and any(t.type != "identifier" for t in left.named_children)
    return False


def _where_it_goes(node: Node, calls: bool) -> bool | Node:
    """Where the value of ``node`` goes from the expression it is in: True when it is stored
    in a composite literal, returned or (``calls``) passed to a call; False when nowhere;
    otherwise the statement whose expression list holds it (an assignment: the caller's
    question)."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("keyed_element", "literal_element"):
        return True
    if parent.type == "argument_list":
        return calls
    holder = parent.parent
    if parent.type != "expression_list" or holder is None:
        return False
    if holder.type == "return_statement":
        return True
    return holder


def _handed_on(method_value: Node) -> bool:
    parent = method_value.parent
    return parent is not None and parent.type in ("argument_list", "expression_list",
                                                  "keyed_element", "literal_element")


@package_fact(requires=(flows,))
def ownership(pkg: Package) -> Ownership:
    """What each mention of a value does with it (release, lose, use), asked per mention."""
    return Ownership(pkg, pkg.facts.get(flows))
