"""Channel facts for the goroutine rules: where channels are made, who sends, receives, closes.

Everything is read from one function (the *parent*) and the goroutines it starts with ``go``:
a function literal, or a function or method of the same package (its parameters are mapped to
the arguments of the ``go`` call).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .callees import parameter_names
from .localtypes import expression_type
from .model import FUNCTION_NODES, FileModel, Package, receiver_type_name
from .paramchannels import ParamChannels, inert
from .syntax import Node, text

# The words of a channel's name that say it signals shutdown (``done``, ``stopCh``,
# ``quitc``, ``closing``, ``shutdown_chan``), matched as whole words of the name.
QUIT_WORDS = frozenset({
    "done", "quit", "quitting", "stop", "stopped", "stopping", "exit", "exited", "exiting",
    "close", "closed", "closing", "shutdown", "shutting", "cancel", "canceled", "cancelled",
    "die", "died", "dying", "kill", "killed", "term", "terminate", "terminated", "terminating",
    "halt", "halted", "halting",
})
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_CHANNEL_SUFFIXES = ("chan", "ch", "c")


def is_quit_name(name: str) -> bool:
    """Whether an identifier names a shutdown signal: one of its words (camelCase or
    snake_case) is a quit word, alone or with a channel suffix (``donec``, ``stopch``)."""
    for word in _NAME_WORDS.findall(name):
        word = word.lower()
        if word in QUIT_WORDS or any(
            word.endswith(s) and word[: -len(s)] in QUIT_WORDS for s in _CHANNEL_SUFFIXES
        ):
            return True
    return False


@dataclass(frozen=True)
class Made:
    """``name := make(chan T[, buffer])`` in the parent."""

    name: str
    statement: Node
    buffer: Node | None  # the buffer size expression; None when unbuffered


@dataclass
class Goroutine:
    """A ``go`` statement of the parent and the body it runs."""

    statement: Node
    body: Node | None  # the function body run by the goroutine
    file: FileModel
    # parent channel name -> the name the goroutine's body uses for it
    names: dict[str, str] = field(default_factory=dict)
    in_loop: Node | None = None  # the innermost loop of the parent around the go statement
    literal: bool = True
    body_file: FileModel | None = None  # the file of ``body`` when not ``file`` (another file)

    @property
    def source(self) -> FileModel:
        """The file holding the body the goroutine runs."""
        return self.body_file or self.file


def made_channels(function: Node, f: FileModel) -> dict[str, Made]:
    """Channels the function makes itself, by variable name (the last ``make`` wins)."""
    body = function.child_by_field_name("body")
    found: dict[str, Made] = {}
    if body is None:
        return found
    caps = f.captures(
        """
        (short_var_declaration
          left: (expression_list . (identifier) @name)
          right: (expression_list . (call_expression
            function: (identifier) @make
            arguments: (argument_list . (channel_type))) @call)) @stmt
        (var_spec
          name: (identifier) @name
          value: (expression_list . (call_expression
            function: (identifier) @make
            arguments: (argument_list . (channel_type))) @call)) @stmt
        """,
        body,
    )
    for stmt, name, make, call in zip(caps.get("stmt", []), caps.get("name", []),
                                      caps.get("make", []), caps.get("call", []), strict=False):
        if text(make) != "make" or _owner_id(stmt, f) != function.id:
            continue
        args = call.child_by_field_name("arguments")
        values = [a for a in args.named_children if a.type != "comment"] if args else []
        found[text(name)] = Made(text(name), stmt, values[1] if len(values) > 1 else None)
    return found


def _owner_id(node: Node, f: FileModel) -> int | None:
    owner = f.innermost_function(node)
    return owner.id if owner is not None else None


def enclosing_loop(node: Node, function: Node) -> Node | None:
    """The innermost ``for`` of ``function`` around ``node`` (not across function literals)."""
    parent = node.parent
    while parent is not None and parent.id != function.id:
        if parent.type == "for_statement":
            return parent
        if parent.type in FUNCTION_NODES:
            return None
        parent = parent.parent
    return None


def goroutines(function: Node, f: FileModel, pkg: Package, *,
               through_values: bool = False) -> list[Goroutine]:
    """The goroutines ``function`` starts, with the channel names their bodies use. With
    ``through_values``, ``go visit()`` of a local bound only to a function literal
    (``visit := func() {…}``) runs that literal."""
    body = function.child_by_field_name("body")
    found: list[Goroutine] = []
    if body is None:
        return found
    for stmt in f.captures("(go_statement) @g", body).get("g", []):
        if _owner_id(stmt, f) != function.id:
            continue
        call = stmt.named_children[0] if stmt.named_child_count else None
        if call is None or call.type != "call_expression":
            continue
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        arg_nodes = [a for a in args.named_children if a.type != "comment"] if args else []
        target, literal, target_file = _started_function(fn, f, pkg)
        if target is None and through_values and fn is not None and fn.type == "identifier":
            target, literal, target_file = local_literal(f, fn, function), True, f
        if target is None:
            continue
        g = Goroutine(stmt, target.child_by_field_name("body"), f,
                      in_loop=enclosing_loop(stmt, function), literal=literal,
                      body_file=target_file if target_file is not f else None)
        params = parameter_names(target)
        for index, arg in enumerate(arg_nodes):
            if arg.type == "identifier" and index < len(params):
                g.names[text(arg)] = params[index]
        if literal:  # captured variables keep their names unless a parameter shadows them
            shadowed = set(params)
            for name in made_channels(function, f):
                if name not in shadowed:
                    g.names.setdefault(name, name)
        found.append(g)
    return found


def local_bindings(f: FileModel, function: Node
                   ) -> Iterator[tuple[Node, list[Node], list[Node]]]:
    """Each binding statement of ``function``'s body (``:=``, ``=``, a ``var`` spec), a
    function of ``f``: the statement, the names it binds and the values it gives them (empty
    for ``var x T``)."""
    body = function.child_by_field_name("body")
    for holder in f.captures("[(short_var_declaration) (assignment_statement) (var_spec)] @h",
                             body).get("h", []) if body is not None else []:
        if holder.type == "var_spec":
            names = holder.children_by_field_name("name")
            right = holder.child_by_field_name("value")
        else:
            left = holder.child_by_field_name("left")
            names = left.named_children if left is not None else []
            right = holder.child_by_field_name("right")
        values = [v for v in right.named_children if v.type != "comment"] if right else []
        yield holder, names, values


def local_literal(f: FileModel, ident: Node, function: Node) -> Node | None:
    """The function literal local ``ident`` of ``function`` holds: every binding of the name
    in ``function`` (``:=``, ``var … =``, ``=``) assigns that one literal."""
    name = text(ident)
    found: list[Node | None] = []
    for holder, names, values in local_bindings(f, function):
        for i, n in enumerate(names):
            if text(n) == name and (values or holder.type != "var_spec"):
                found.append(values[i] if len(values) == len(names) else None)
    if len(found) != 1 or found[0] is None or found[0].type != "func_literal":
        return None
    return found[0]


def _started_function(fn: Node | None, f: FileModel, pkg: Package
                      ) -> tuple[Node | None, bool, FileModel]:
    """The function node a ``go`` statement runs (a literal, or a same-package function),
    whether it is a literal, and the file that holds it."""
    if fn is None:
        return None, False, f
    while fn.type == "parenthesized_expression" and fn.named_child_count:
        fn = fn.named_children[0]
    if fn.type == "func_literal":
        return fn, True, f
    if fn.type == "identifier" and not f.is_local(fn):
        decl = pkg.funcs.get(text(fn))
        return (decl.node, False, decl.file) if decl is not None else (None, False, f)
    if fn.type == "selector_expression":
        name = text(fn.child_by_field_name("field"))
        operand = fn.child_by_field_name("operand")
        if f.resolve_package(text(operand)) is not None:
            return None, False, f  # another package's function: not looked into
        receiver = expression_type(operand, pkg, f).deref()
        owners = [t for t, methods in pkg.methods.items() if name in methods]
        if receiver.kind == "named" and receiver.name in owners:
            decl = pkg.methods[receiver.name][name]
            return decl.node, False, decl.file
        if receiver.kind == "unknown" and len(owners) == 1:
            decl = pkg.methods[owners[0]][name]
            return decl.node, False, decl.file
    return None, False, f


def sends(f: FileModel, body: Node, name: str) -> list[Node]:
    """Send statements on ``name`` in ``body`` (function literals inside included)."""
    return [s for s in f.captures("(send_statement channel: (identifier) @c) @s", body).get(
        "s", []) if text(s.child_by_field_name("channel")) == name]


def receives(f: FileModel, scope: Node, name: str) -> list[Node]:
    """Receives from ``name``: ``<-name`` expressions and ``range name`` clauses."""
    found = []
    caps = f.captures(
        """
        (unary_expression operator: "<-" operand: [(identifier) (selector_expression)] @c) @r
        (range_clause right: [(identifier) (selector_expression)] @c) @r
        """,
        scope,
    )
    for r, c in zip(caps.get("r", []), caps.get("c", []), strict=False):
        if text(c) == name:
            found.append(r)
    return found


def closes(f: FileModel, scope: Node, name: str) -> bool:
    """Whether ``close(name)`` appears under ``scope`` (function literals included)."""
    caps = f.captures(
        "(call_expression function: (identifier) @f arguments: (argument_list) @a)", scope)
    for fn, args in zip(caps.get("f", []), caps.get("a", []), strict=False):
        values = [a for a in args.named_children if a.type != "comment"]
        if text(fn) == "close" and values and text(values[0]) == name:
            return True
    return False


def guarded_send(f: FileModel, send: Node) -> bool:
    """A send that cannot block forever: a ``select`` case next to ``default`` or a quit case."""
    case = send.parent
    if case is None or case.type != "communication_case":
        return False
    select = case.parent
    if select is None:
        return False
    for other in select.named_children:
        if other.type == "default_case":
            return True
        if other.type == "communication_case" and other.id != case.id:
            communication = other.child_by_field_name("communication")
            if communication is not None and communication.type == "receive_statement" and (
                is_quit_receive(f, communication)
            ):
                return True
    return False


def is_quit_receive(f: FileModel, node: Node) -> bool:
    """``<-ctx.Done()``, ``<-done``, ``<-s.quit``…: a receive that signals shutdown."""
    for r in f.captures("(unary_expression operator: \"<-\" operand: (_) @o)", node).get(
            "o", []):
        spelled = text(r)
        if spelled.endswith(".Done()") or is_quit_name(spelled.rsplit(".", 1)[-1]):
            return True
    return False


def escapes(f: FileModel, function: Node, name: str, goroutine_stmts: list[Node],
            callees: ParamChannels | None = None, pkg: Package | None = None) -> bool:
    """Whether the channel leaves the parent: returned, stored, or passed to another function
    (other than to the goroutines being examined). With ``callees``, a call of a function of
    the package that neither receives from, closes nor hands on the channel keeps it in.
    ``len``, ``cap`` and ``close`` keep it in unless the package (``pkg``, else the
    ``callees``') declares a function of that name, which shadows the builtin."""
    pkg = pkg if pkg is not None else callees.pkg if callees is not None else None
    body = function.child_by_field_name("body")
    if body is None:
        return False
    for ident in f.captures("(identifier) @i", body).get("i", []):
        if text(ident) != name:
            continue
        if any(g.start_byte <= ident.start_byte < g.end_byte for g in goroutine_stmts):
            continue
        parent = ident.parent
        if parent is None:
            continue
        kind = parent.type
        if kind == "argument_list":
            call = parent.parent
            fn = call.child_by_field_name("function") if call else None
            if fn is not None and _inert_builtin(f, fn, pkg):
                continue
            if call is not None and fn is not None and callees is not None and _inert_call(
                    f, call, fn, ident, callees):
                continue
            return True
        if kind in ("return_statement", "keyed_element", "literal_element", "send_statement"):
            if kind == "send_statement" and parent.child_by_field_name("channel") == ident:
                continue
            return True
        if kind == "expression_list" and parent.parent is not None:
            holder = parent.parent
            if holder.type == "return_statement":
                return True
            if holder.type == "assignment_statement":
                left = holder.child_by_field_name("left")
                if left is not None and left.id != parent.id:
                    return True  # x.ch = ch, global = ch
    return False


def _inert_builtin(f: FileModel, fn: Node, pkg: Package | None) -> bool:
    """``fn`` names the builtin ``len``, ``cap`` or ``close``: not a local, nor a function
    the package declares under that name (``func close(c chan int)`` shadows the builtin)."""
    if fn.type != "identifier" or text(fn) not in ("len", "cap", "close"):
        return False
    return not f.is_local(fn) and (pkg is None or text(fn) not in pkg.funcs)


def _inert_call(f: FileModel, call: Node, fn: Node, arg: Node, callees: ParamChannels
                ) -> bool:
    """``arg`` is handed, in the parent's own goroutine, to a function of the package that
    provably neither receives from it, closes it nor hands it on."""
    if call.parent is not None and call.parent.type == "go_statement":
        return False  # another goroutine: GL301's own are skipped before, others may receive
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return False
    args = [a for a in arguments.named_children if a.type != "comment"]
    effects, _ = callees.effects_of_call(f, fn, [a.id for a in args].index(arg.id))
    return inert(effects)


def method_owner(function: Node) -> str:
    """The receiver type name when ``function`` is a method."""
    return receiver_type_name(function) if function.type == "method_declaration" else ""
