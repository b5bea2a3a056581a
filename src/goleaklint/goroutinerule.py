"""The shared base of the goroutine rules (GL301-GL304): the functions of a file that start
goroutines (the ``functions_with_go`` fact), the channels they make, and where the parent
receives."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .channels import (
    Goroutine,
    Made,
    enclosing_loop,
    escapes,
    goroutines,
    guarded_send,
    made_channels,
    receives,
    sends,
)
from .deadcode import dead_test_helpers, never_runs
from .facts import Fact, package_fact
from .flow import CFG, Block, flows
from .model import FileModel, Package, function_name
from .paramchannels import ParamChannels
from .queries import learn
from .rule import Gate, Rule, RuleContext
from .scope import short_lived_tool
from .syntax import Node, text

_GO_STATEMENTS = learn("(go_statement) @g")  # asked of every file


def _functions_with_go(f: FileModel) -> list[Node]:
    """Functions (declarations and literals) that contain a ``go`` statement of their own."""
    found: dict[int, Node] = {}
    for stmt in f.captures(_GO_STATEMENTS).get("g", []):
        parent = f.innermost_function(stmt)
        if parent is not None:
            found.setdefault(parent.id, parent)
    return sorted(found.values(), key=lambda n: n.start_byte)


def outside(node: Node, statements: list[Node]) -> bool:
    return not any(s.start_byte <= node.start_byte < s.end_byte for s in statements)


@package_fact()
def functions_with_go(pkg: Package) -> dict[Path, list[Node]]:
    """The functions of each file that start goroutines, by file path: a memo filled on
    first question, shared by the four goroutine rules."""
    return {}


@dataclass
class Receiving:
    """Where a parent receives: the receiving ``blocks`` (by id); the ``heads`` of loops
    every iteration of which receives (or never returns, or ends the goroutine): leaving one
    by its condition, running no iteration included, is not a way out (``dead_edge`` of a
    path search); and the loops an iteration of which can pass the receive by and leave or
    give up (``skipped``)."""

    blocks: set[int]
    heads: set[int]
    skipped: list[Node]

    def trusted_exit(self, block: Block, label: bool | None) -> bool:
        """The edge out of a trusted loop's head when its condition fails."""
        return label is False and id(block) in self.heads


class GoroutineRule(Rule):
    """Shared: per-file list of functions that start goroutines, and flow graphs."""

    requires: ClassVar[tuple[Fact[Any], ...]] = (flows, functions_with_go, dead_test_helpers)
    gate = Gate(mentions=(b"go",))  # the keyword: no go statement without it

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.flows = self.fact(flows)

    def begin_file(self, file: FileModel) -> None:
        for function in self._functions_with_go(file):
            self.check_function(function, file)

    def _functions_with_go(self, file: FileModel) -> list[Node]:
        """``_functions_with_go`` of the file, found once for the four goroutine rules."""
        cache = self.fact(functions_with_go)
        found = cache.get(file.path)
        if found is None:
            found = cache[file.path] = _functions_with_go(file)
        return found

    def check_function(self, function: Node, file: FileModel) -> None:
        raise NotImplementedError

    def parent_facts(self, function: Node, file: FileModel
                     ) -> tuple[dict[str, Made], list[Goroutine], list[Node]] | None:
        """The channels ``function`` makes, the goroutines it starts and their ``go``
        statements; None when it makes no channel. A goroutine started in code that never
        runs (past an unconditional ``t.Skip``: ``deadcode``) is left out of the first list."""
        made = made_channels(function, file)
        if not made:
            return None
        gs = goroutines(function, file, self.package)
        live = [g for g in gs if not never_runs(self.flows, file, g.statement)]
        return made, live, [g.statement for g in gs]

    def unguarded_sends(self, g: Goroutine, inner: str) -> list[Node]:
        if g.body is None:
            return []
        return [s for s in sends(g.source, g.body, inner) if not guarded_send(g.source, s)]

    def receive_blocks(self, cfg: CFG, function: Node, names: set[str],
                       others: list[Node], start: Node, f: FileModel) -> Receiving | None:
        """Where the parent receives from one of ``names`` (not in goroutines).

        A loop around a receive is trusted (``for i := 0; i < n; i++ { <-ch }``: running no
        iteration is not taken as a way out) unless an iteration can pass the receive by
        (``CFG.skips``) and then leave the loop (a ``return``, a ``break``) or go round through
        a select's timeout or default case (``_gives_up``): such a loop is ``skipped``, and
        the path search decides. Not the loop that starts the goroutine: its head begins the
        next iteration.

        None when a deferred receive registered before ``start`` covers every exit, or when a
        function literal the parent hands on (a callback) receives: it may run at any time.
        """
        body = function.child_by_field_name("body")
        found = Receiving(set(), set(), [])
        loops: dict[int, Node] = {}
        for name in names:
            for r in receives(f, body, name) if body is not None else []:
                if not outside(r, others):
                    continue
                if _deferred_before(r, start) or _in_callback(r, function):
                    return None
                b = cfg.block_of(r, through_literals=True)
                if b is not None:
                    found.blocks.add(id(b))
                loop = enclosing_loop(r, function)
                if loop is not None and not loop.start_byte <= start.start_byte < loop.end_byte:
                    loops.setdefault(loop.id, loop)
        for loop in loops.values():
            head = cfg.loop_heads.get(loop.id)
            if head is None:
                continue
            if cfg.skips(loop, lambda b: id(b) in found.blocks, _gives_up(loop)):
                found.skipped.append(loop)
            else:
                found.heads.add(id(head))
        return found

    def dies_with_the_tool(self, function: Node, file: FileModel) -> bool:
        """``function`` is code of a short-lived ``package main`` tool (``scope.short_lived_tool``,
        which the rule must require) that no test of the package names: a goroutine it
        leaves behind ends with the process soon after."""
        if file.is_test or not self.fact(short_lived_tool):
            return False
        declaration = file.top_level_function(function) or function
        name = function_name(declaration).encode()
        if not name:
            return False
        word = re.compile(rb"(?<!package )\b" + re.escape(name) + rb"\b")
        return not any(f.is_test and word.search(f.source) for f in self.package.files)

    def passed_on(self, gs: list[Goroutine], g: Goroutine, name: str,
                  callees: ParamChannels | None = None) -> bool:
        """Another goroutine of the parent hands the channel on (to a function, a struct, a
        return): whoever it reaches may receive. With ``callees``, not to a function of the
        package that provably neither receives from, closes nor hands it on."""
        for other in gs:
            inner = other.names.get(name)
            if other is g or not inner or other.body is None or other.body.parent is None:
                continue
            if escapes(other.source, other.body.parent, inner, [], callees):
                return True
        return False

    def collected(self, gs: list[Goroutine], g: Goroutine, name: str) -> bool:
        """Another goroutine of the parent receives from the channel (a collector)."""
        for other in gs:
            inner = other.names.get(name)
            if other is not g and inner and other.body is not None and receives(
                    other.source, other.body, inner):
                return True
        return False


def _in_callback(node: Node, function: Node) -> bool:
    """``node`` is inside a function literal of ``function`` that is neither called on the
    spot nor deferred: passed or stored, it runs when someone else decides."""
    current = node.parent
    while current is not None and current.id != function.id:
        if current.type == "func_literal":
            parent = current.parent
            called = parent is not None and parent.type == "call_expression" and (
                parent.child_by_field_name("function") == current)  # deferred ones too
            if not called and not _subtest(current):
                return True
        current = current.parent
    return False


def _subtest(literal: Node) -> bool:
    """The body of ``t.Run(name, func…)``: ``Run`` waits for it (a subtest runs in place)."""
    args = literal.parent
    call = args.parent if args is not None and args.type == "argument_list" else None
    fn = call.child_by_field_name("function") if call is not None else None
    return fn is not None and fn.type == "selector_expression" and text(
        fn.child_by_field_name("field")) == "Run"


_TIMEOUT_WORDS = frozenset(("timeout", "timer", "deadline", "tick", "ticker", "expired"))
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _gives_up(loop: Node) -> Callable[[Block], bool]:
    """The blocks through which going round ``loop`` without receiving is giving up on the
    receive (a retry's timeout): a select's timeout, ticker or ``ctx.Done()`` case, or its
    ``default``. None of them when the body sets what the loop's condition reads
    (``for !done``): the loop goes round until the body says so."""
    if _condition_set_by_body(loop):
        return lambda b: False
    return _waits_out


def _waits_out(b: Block) -> bool:
    """A select's ``default`` case, or a case receiving from a timer, ticker, ``Done()`` or a
    channel named for one (``timeout``, ``tickC``, ``deadline``)."""
    node = b.node
    if b.kind != "case" or node is None:
        return False
    if node.type == "default_case":
        return node.parent is not None and node.parent.type == "select_statement"
    if node.type != "receive_statement":
        return False
    spelled = text(node.child_by_field_name("right") or node)
    if "After(" in spelled or "Tick(" in spelled or spelled.endswith((".C", "Done()")):
        return True
    name = spelled.rsplit(".", 1)[-1].removeprefix("<-")
    return any(word.lower() in _TIMEOUT_WORDS for word in _WORDS.findall(name))


def _condition_set_by_body(loop: Node) -> bool:
    """Whether the loop's condition reads a variable or field its body assigns."""
    body = loop.child_by_field_name("body")
    clause = next((c for c in loop.named_children if c.type != "comment" and c != body), None)
    if clause is not None and clause.type == "for_clause":
        clause = clause.child_by_field_name("condition")
    if clause is None or body is None or clause.type == "range_clause":
        return False
    read = {text(n) for n in _operands(clause)}
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type in ("assignment_statement", "short_var_declaration", "receive_statement"):
            left = n.child_by_field_name("left")
            if left is not None and any(text(t) in read for t in left.named_children):
                return True
        elif n.type in ("inc_statement", "dec_statement") and n.named_child_count and text(
                n.named_children[0]) in read:
            return True
        stack.extend(c for c in n.named_children if c.type != "func_literal")
    return False


def _operands(node: Node) -> list[Node]:
    """The identifiers and field selections ``node`` reads."""
    found: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("identifier", "selector_expression"):
            found.append(n)
        if n.type != "func_literal":
            stack.extend(n.named_children)
    return found


def _deferred_before(receive: Node, start: Node) -> bool:
    """A receive in a ``defer`` that is registered before ``start`` on its way: it runs on
    every exit after ``start``."""
    parent = receive.parent
    while parent is not None and parent.type != "defer_statement":
        if parent.type in ("function_declaration", "method_declaration"):
            return False
        parent = parent.parent
    if parent is None or parent.start_byte > start.start_byte:
        return False
    block = parent.parent  # the statement list holding the defer
    return block is not None and block.start_byte <= start.start_byte < block.end_byte
