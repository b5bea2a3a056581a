"""What a same-package function does with a channel it is handed: receives from it, sends on it,
closes it, or hands it on (stores, returns, captures in a goroutine or a literal that outlives
the call, passes to a function that may receive).

Asked per call argument (``effects_of_call``) and answered by looking into the callee when it is
a function, a method (through a pointer or not) or a function literal called on the spot of the
package, recursively; everything else (another package's function, an interface method, a
function value, a variadic parameter) may do anything.
"""

from __future__ import annotations

from .callees import fixed_parameter, mentions, package_callee
from .facts import package_fact
from .model import FUNCTION_NODES, FileModel, Package, receiver_type_name
from .syntax import Node, text

RECEIVES, SENDS, CLOSES, HANDS_ON = "receives", "sends", "closes", "hands on"
Effects = frozenset[str]
NOTHING: Effects = frozenset()
ANYTHING: Effects = frozenset({RECEIVES, SENDS, CLOSES, HANDS_ON})
# Effects that let someone other than the caller see the channel end (a receiver or a closer).
_VISIBLE = frozenset({RECEIVES, CLOSES, HANDS_ON})
MAX_DEPTH = 6  # callees followed below the first; deeper ones may do anything
_READERS = frozenset({"len", "cap"})


def inert(effects: Effects) -> bool:
    """The callee neither receives from, closes nor hands on the channel (it may send)."""
    return not effects & _VISIBLE


class ParamChannels:
    """Per-package memo of what functions do with their channel parameters."""

    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self._memo: dict[tuple[str, int, int], Effects] = {}
        self._variants: set[tuple[str, str]] | None = None

    def effects_of_call(self, f: FileModel, call_fn: Node, index: int, depth: int = 0
                        ) -> tuple[Effects, bool]:
        """What the function ``call_fn`` (the function of a call in ``f``) does with its
        argument ``index``, and whether the answer is exact (not cut by the depth bound)."""
        found = self.callee(f, call_fn)
        if found is not None:
            return self.effects_on_parameter(found[0], found[1], index, depth)
        while call_fn.type == "parenthesized_expression" and call_fn.named_child_count:
            call_fn = call_fn.named_children[0]
        if call_fn.type == "identifier" and not f.is_local(call_fn):
            name = text(call_fn)
            if name in _READERS:
                return NOTHING, True
            if name == "close":
                return frozenset({CLOSES}), True
        return ANYTHING, True  # a function value, another package's function, an interface…

    def callee(self, f: FileModel, call_fn: Node) -> tuple[FileModel, Node] | None:
        """``callees.package_callee``, when the package declares that function or method
        once (not once per build)."""
        found = package_callee(self.pkg, f, call_fn)
        if found is None or found[1].type == "func_literal":
            return found
        declaration = found[1]
        receiver = receiver_type_name(declaration) if (
            declaration.type == "method_declaration") else ""
        return found if self._one_variant(
            receiver, text(declaration.child_by_field_name("name"))) else None

    def _one_variant(self, receiver: str, name: str) -> bool:
        """The package declares the function (``receiver`` empty) or method once: not in
        files for different builds (``x_linux.go``, ``x_windows.go``), of which the package
        model keeps one and another may receive."""
        if self._variants is None:
            seen: set[tuple[str, str]] = set()
            self._variants = set()
            for f in self.pkg.files:
                for decl in f.top_level:
                    if decl.type not in ("function_declaration", "method_declaration"):
                        continue
                    key = (receiver_type_name(decl) if decl.type == "method_declaration"
                           else "", text(decl.child_by_field_name("name")))
                    (self._variants if key in seen else seen).add(key)
        return (receiver, name) not in self._variants

    def effects_on_parameter(self, f: FileModel, function: Node, index: int, depth: int = 0
                             ) -> tuple[Effects, bool]:
        """What ``function`` (of ``f``) does with its parameter ``index``."""
        key = (str(f.path), function.start_byte, index)
        known = self._memo.get(key)
        if known is not None:
            return known, True
        if depth > MAX_DEPTH:
            return ANYTHING, False
        name = fixed_parameter(function, index)
        if name is None:
            return ANYTHING, True  # variadic, or more arguments than parameters
        if name == "_":
            return NOTHING, True  # an unnamed parameter is never read
        body = function.child_by_field_name("body")
        if body is None:
            return ANYTHING, True  # declared without a body (assembly)
        self._memo[key] = ANYTHING  # recursion guard: a cycle through the parameter may do all
        found: set[str] = set()
        exact = True
        for ident in mentions(f, body, name):
            effects, sure = self.mention(f, function, ident, depth)
            found |= effects
            exact = exact and sure
        result = frozenset(found)
        if exact:
            self._memo[key] = result
        else:
            del self._memo[key]
        return result, exact

    def mention(self, f: FileModel, function: Node, ident: Node, depth: int = 0
                ) -> tuple[Effects, bool]:
        """What one mention of a channel variable in ``function``'s body (a parameter, or a
        variable a goroutine's literal captures) does with it."""
        if not _runs_in_the_call(ident, function):
            return frozenset({HANDS_ON}), True  # in a goroutine or a literal kept for later
        node, parent = ident, ident.parent
        while parent is not None and parent.type == "parenthesized_expression":
            node, parent = parent, parent.parent
        if parent is None:
            return ANYTHING, True
        kind = parent.type
        if kind == "unary_expression" and text(parent.child_by_field_name("operator")) == "<-":
            return frozenset({RECEIVES}), True
        if kind == "range_clause" and parent.child_by_field_name("right") == node:
            return frozenset({RECEIVES}), True
        if kind == "send_statement":
            if parent.child_by_field_name("channel") == node:
                return frozenset({SENDS}), True
            return frozenset({HANDS_ON}), True  # sent on another channel
        if kind == "binary_expression" and text(
                parent.child_by_field_name("operator")) in ("==", "!="):
            return NOTHING, True  # ch == nil
        if kind == "argument_list":
            call = parent.parent
            call_fn = call.child_by_field_name("function") if call is not None else None
            if call is None or call_fn is None or (
                    call.parent is not None and call.parent.type == "go_statement"):
                return frozenset({HANDS_ON}), True  # go worker(ch): runs after the call
            args = [c for c in parent.named_children if c.type != "comment"]
            index = [c.id for c in args].index(node.id)
            return self.effects_of_call(f, call_fn, index, depth + 1)
        if kind == "expression_list" and parent.parent is not None:
            holder = parent.parent
            left = holder.child_by_field_name("left")
            if holder.type == "assignment_statement" and left is not None and (
                    left.id != parent.id) and all(text(t) == "_" for t in left.named_children):
                return NOTHING, True  # _ = ch
        return frozenset({HANDS_ON}), True  # stored, returned, aliased, converted…


def _runs_in_the_call(ident: Node, function: Node) -> bool:
    """Every function literal between ``ident`` and ``function`` is called on the spot (or
    deferred), not started as a goroutine, stored or passed: it runs before the call returns."""
    current = ident.parent
    while current is not None and current.id != function.id:
        if current.type in FUNCTION_NODES:
            call = current.parent
            while call is not None and call.type == "parenthesized_expression":
                call = call.parent
            if call is None or call.type != "call_expression" or (
                    call.parent is not None and call.parent.type == "go_statement"):
                return False
            callee = call.child_by_field_name("function")
            if callee is None or not (callee.start_byte <= current.start_byte < callee.end_byte):
                return False  # passed as an argument
        current = current.parent
    return True


@package_fact()
def param_channels(pkg: Package) -> ParamChannels:
    """What same-package functions do with the channels they are handed (receive, send,
    close, hand on), asked per call argument."""
    return ParamChannels(pkg)
