"""The blocking sends a goroutine makes through the functions of its package it hands a channel
to: ``reply(ch, v)`` where ``func reply(c chan<- T, v T) { c <- v }``.

A call counts when its callee (``paramchannels``: a function, a method or a literal called on
the spot, followed recursively) only sends on the channel, and at least one of its sends is a
plain one (not in a ``select`` with ``default`` or a quit case). How many sends one call makes
is ``sendpaths.most_sends`` of the callee's body (a send in a loop of unknown count: unbounded).
A body that does anything else with the channel (receives, closes, hands it on, passes it to a
function that may) makes the answer unknown: no call of it is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .callees import fixed_parameter, mentions
from .channels import guarded_send
from .facts import package_fact
from .model import FileModel, Package
from .noreturn import call_ends
from .paramchannels import CLOSES, MAX_DEPTH, SENDS, ParamChannels, param_channels
from .scope import fixed_iterations
from .sendpaths import most_sends
from .syntax import Node, text


@dataclass(frozen=True)
class HelperSend:
    """A call that sends on a channel argument: where the send it reaches is (``send`` in
    ``file``, in the function ``holder``), and the most sends one call makes."""

    call: Node
    send: Node
    file: FileModel
    holder: Node
    count: int


@dataclass(frozen=True)
class BodySends:
    """What a body sends on a channel: its own plain sends and its sending calls."""

    direct: list[Node]
    calls: list[HelperSend]


class HelperSends:
    """Per-package memo of the blocking sends functions make on a channel parameter."""

    def __init__(self, pkg: Package, callees: ParamChannels) -> None:
        self.pkg = pkg
        self.callees = callees
        self._memo: dict[tuple[str, int, int], tuple[Node, FileModel, Node, int] | None] = {}

    def of_body(self, f: FileModel, function: Node, name: str, *, closing: bool = False,
                depth: int = 0) -> BodySends | None:
        """The plain sends on ``name`` in ``function``'s body (of ``f``) and the calls that
        send on it through the package's functions; None when the body also receives from
        the channel, closes it (with ``closing``, a ``close(name)`` of its own is allowed),
        hands it on, or passes it to a function that may."""
        body = function.child_by_field_name("body")
        if body is None:
            return None
        direct: list[Node] = []
        calls: list[HelperSend] = []
        for ident in mentions(f, body, name):
            effects, exact = self.callees.mention(f, function, ident, depth)
            parent = ident.parent
            if closing and effects == {CLOSES} and _closed_here(ident):
                continue
            if not exact or effects - {SENDS} or parent is None:
                return None
            if not effects:
                continue
            if parent.type == "send_statement":
                if not guarded_send(f, parent):
                    direct.append(parent)
                continue
            found = self._call(f, ident, depth)
            if found is not None:
                calls.append(found)
        return BodySends(direct, calls)

    def _call(self, f: FileModel, ident: Node, depth: int) -> HelperSend | None:
        """The call ``ident`` is an argument of, when its callee makes a plain send on it."""
        node = ident
        while node.parent is not None and node.parent.type == "parenthesized_expression":
            node = node.parent
        args = node.parent
        call = args.parent if args is not None and args.type == "argument_list" else None
        fn = call.child_by_field_name("function") if call is not None else None
        if args is None or call is None or fn is None:
            return None
        index = [a.id for a in args.named_children if a.type != "comment"].index(node.id)
        callee = self.callees.callee(f, fn)
        if callee is None:
            return None
        found = self._of_parameter(callee[0], callee[1], index, depth + 1)
        if found is None:
            return None
        send, file, holder, count = found
        return HelperSend(call, send, file, holder, count)

    def _of_parameter(self, f: FileModel, function: Node, index: int, depth: int
                      ) -> tuple[Node, FileModel, Node, int] | None:
        """The first plain send ``function`` reaches on its parameter ``index`` (with its
        file and function) and the most sends one run makes; None when it makes none or does
        more than send."""
        key = (str(f.path), function.start_byte, index)
        if key in self._memo:
            return self._memo[key]
        if depth > MAX_DEPTH:
            return None
        self._memo[key] = None  # recursion guard: a cycle sends nothing more
        name = fixed_parameter(function, index)
        body = function.child_by_field_name("body")
        sent = self.of_body(f, function, name, depth=depth) if (
            name and name != "_" and body) else None
        result = None
        if sent is not None and body is not None and (sent.direct or sent.calls):
            pkg = self.pkg
            count = most_sends(body, {s.id for s in sent.direct},
                               ends=lambda call: call_ends(call, f, pkg) is not None,
                               iterations=lambda loop: fixed_iterations(loop, f, pkg),
                               calls={c.call.id: c.count for c in sent.calls})
            first = min([(s.start_byte, s, f, function) for s in sent.direct] + [
                (c.call.start_byte, c.send, c.file, c.holder) for c in sent.calls],
                key=lambda t: t[0])
            result = (first[1], first[2], first[3], count)
        self._memo[key] = result
        return result


def _closed_here(ident: Node) -> bool:
    """``ident`` is the argument of the builtin ``close`` (not of a helper that closes)."""
    args = ident.parent
    call = args.parent if args is not None and args.type == "argument_list" else None
    fn = call.child_by_field_name("function") if call is not None else None
    return fn is not None and fn.type == "identifier" and text(fn) == "close"


@package_fact(requires=(param_channels,))
def helper_sends(pkg: Package) -> HelperSends:
    """The blocking sends a call makes on a channel it hands a function of the package."""
    return HelperSends(pkg, pkg.facts.get(param_channels))
