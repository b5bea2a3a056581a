"""The shared base of the rules that follow a value along the paths of its function
(GL201, GL202, GL203): where an opener's results go, whether a path leaves without
releasing the value, and how such a path is told in a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from .callees import mentions
from .facts import Fact
from .flow import CFG, Block, Escape, find_escape, flows, ranges_over
from .funcvalues import held_literal
from .model import FileModel, spec_names
from .ownership import Resource, ownership
from .rule import Rule, RuleContext
from .syntax import Node, text


def result_names(function: Node) -> set[str]:
    result = function.child_by_field_name("result")
    if result is None or result.type != "parameter_list":
        return set()
    return {text(n) for p in result.named_children for n in p.children_by_field_name("name")}


class Targets(Protocol):
    """A left-hand list: an ``expression_list`` node, or the names of a ``var`` spec."""

    @property
    def named_children(self) -> list[Node]: ...


def statement_of(call: Node) -> tuple[Node | None, Targets | None]:
    """The statement an opener's results go to, and the left-hand list when assigned."""
    parent = call.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None:
        return None, None
    if parent.type == "expression_statement":
        return parent, None
    if parent.type == "expression_list":
        holder = parent.parent
        if holder is None:
            return None, None
        if holder.type in ("short_var_declaration", "assignment_statement"):
            return holder, holder.child_by_field_name("left")
        if holder.type == "var_spec":
            names = spec_names(holder)
            return holder.parent if holder.parent is not None else holder, _Names(names)
        if holder.type == "return_statement":
            return holder, None
    return parent, None


class _Names:
    """The names of a ``var`` spec, shaped like an expression list."""

    def __init__(self, names: list[Node]) -> None:
        self.named_children = names


# Predicates that are true only for a non-nil error: os.IsNotExist(err), errors.Is(err, x)…
ERROR_PREDICATES = frozenset({"IsNotExist", "IsExist", "IsPermission", "IsTimeout", "Is", "As"})


def went_wrong(cond: Block, label: bool | None, err: str, value: str) -> bool:
    """True on the branch where the opener failed: ``err != nil`` or ``value == nil``."""
    node = cond.node
    if cond.kind == "case" and node is not None and node.type == "expression_list" and (
        node.named_child_count == 1
    ) and (
        node.parent is not None and node.parent.parent is not None
        and node.parent.parent.child_by_field_name("value") is None
    ):  # ``switch { case os.IsNotExist(err): … }``: entering the case is its condition holding
        return _failed(node.named_children[0], True, err, value)
    if cond.kind == "case" and node is not None and node.type == "default_case" and (
        node.parent is not None and node.parent.child_by_field_name("value") is None
    ):  # ``switch { case err == nil: … default: … }``: the default runs when every case fails
        return any(
            c.type == "expression_case" and _failed_case(c, err, value)
            for c in node.parent.named_children)
    if cond.kind != "cond" or node is None:
        return False
    return _failed(node, label, err, value)


def _failed_case(case: Node, err: str, value: str) -> bool:
    """A case ``case err == nil:`` whose being false means the opener failed."""
    values = case.child_by_field_name("value")
    return values is not None and values.named_child_count == 1 and _failed(
        values.named_children[0], False, err, value)


def _failed(node: Node, label: bool | None, err: str, value: str, depth: int = 0) -> bool:
    """Whether taking branch ``label`` of condition ``node`` implies the opener failed."""
    if depth > 64:  # a generated chain of ``&&``: looking further would exhaust the stack
        return False
    depth += 1
    while node.type == "parenthesized_expression" and node.named_child_count:
        node = node.named_children[0]
    if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "!":
        operand = node.child_by_field_name("operand")
        flipped = None if label is None else not label
        return operand is not None and _failed(operand, flipped, err, value, depth)
    if node.type == "call_expression" and err and label is True:
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        name = text(fn.child_by_field_name("field")) if fn is not None and (
            fn.type == "selector_expression") else text(fn)
        return name in ERROR_PREDICATES and args is not None and any(
            text(a) == err for a in args.named_children)
    if node.type != "binary_expression":
        return False
    op = text(node.child_by_field_name("operator"))
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if op == "&&" and label is True and left is not None and right is not None:
        return _failed(left, True, err, value, depth) or _failed(right, True, err, value, depth)
    if op == "||" and label is False and left is not None and right is not None:
        return (_failed(left, False, err, value, depth)
                or _failed(right, False, err, value, depth))
    sides = {text(node.child_by_field_name("left")), text(node.child_by_field_name("right"))}
    if "nil" not in sides:
        return False
    if err and err in sides:
        return (op == "!=" and label is True) or (op == "==" and label is False)
    if value in sides or (value and f"{value}.Body" in sides):  # no response, or no body
        return (op == "==" and label is True) or (op == "!=" and label is False)
    return False


def describe_escape(escape: Escape, f: FileModel,
                    loop_back: bool = False) -> tuple[str, Node | None]:
    """Where the path leaves, in words (``loop_back``: a return above the start is reached by
    going round a loop, and the words say so)."""
    via = escape.via
    if via is not None and via.node is not None:
        line = f.position(via.node.start_byte)[0]
        if via.node.type == "return_statement":
            start = escape.path[0].node if escape.path else None
            if loop_back and start is not None and via.node.start_byte < start.start_byte:
                return (f"on the path that goes round the loop to the return at line {line}",
                        via.node)
            return f"on the path through the return at line {line}", via.node
        if escape.end is (escape.path[0] if escape.path else None):
            return "before the next iteration of the loop replaces it", None
        return f"before it is overwritten at line {line}", via.node
    return "on the path that reaches the end of the function", None


class FlowRule(Rule):
    """Shared machinery: per-package flow graphs and ownership questions."""

    requires: ClassVar[tuple[Fact[Any], ...]] = (flows, ownership)

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.flows = self.fact(flows)
        self.ownership = self.fact(ownership)

    def escape_of(self, function: Node, statement: Node, name: str, res: Resource,
                  err: str = "", endless: str = "", drains: bool = False,
                  harmless: Callable[[Block], bool] | None = None) -> Escape | None:
        """A path from ``statement`` to a return on which ``name`` is never released
        (``drains``: ``name`` closes itself when ``for name.Next()`` runs to its end, as
        ``sql.Rows`` does; ``harmless``: blocks that end a path without a leak to speak of)."""
        assert self.file is not None
        cfg = self.flows.graph(function, self.file)
        start = cfg.block_of(statement)
        if start is None:
            return None
        if name in result_names(function):
            return None  # a named result: every return hands it to the caller
        releasing: set[int] = set()
        losing: set[int] = set()
        body = function.child_by_field_name("body")
        for mention in mentions(self.file, body, name) if body is not None else []:
            verdict = self.ownership.classify(self.file, mention, res, scope=function)
            helper = _helper(mention, function) if verdict == "release" else None
            if helper:  # `abort := func() { f.Close() }`: released where abort() is called
                releasing.update(id(b) for b in _call_blocks(self.file, cfg, body, *helper))
                continue
            block = cfg.block_of(mention, through_literals=True)
            if block is None or block is start:
                continue
            if verdict == "release":
                releasing.add(id(block))
            elif verdict == "lost" and self.file.innermost_function(mention) == function:
                losing.add(id(block))
        # `if err != nil` after the opener: its error branch holds no value, until err is
        # assigned again (a later check then tests another call's error).
        first_checks = reached_before_reassignment(
            self.file, cfg, start, err, function) if err else set()
        return find_escape(
            cfg, start,
            releases=lambda b: id(b) in releasing or (harmless is not None and harmless(b)),
            dead_edge=lambda b, label: went_wrong(
                b, label, err if id(b) in first_checks or b is start else "", name
            ) or (bool(endless) and label is False and ranges_over(b, endless))
            or (drains and label is False and _iterates(b, name)),
            lost=lambda b: id(b) in losing,
        )


def _helper(mention: Node, function: Node) -> tuple[str, Node] | None:
    """The local variable a function literal around ``mention`` is bound to, with the
    literal, if any."""
    parent = mention.parent
    literal = None
    while parent is not None and parent.id != function.id:
        if parent.type == "func_literal":
            literal = parent
        parent = parent.parent
    if literal is None or literal.parent is None or literal.parent.type != "expression_list":
        return None
    holder = literal.parent.parent
    if holder is None or holder.type not in ("short_var_declaration", "assignment_statement"):
        return None
    left = holder.child_by_field_name("left")
    if left is None or left.named_child_count != 1 or left.named_children[0].type != "identifier":
        return None
    return text(left.named_children[0]), literal


def _call_blocks(f: FileModel, cfg: CFG, body: Node | None, name: str,
                 literal: Node) -> list[Block]:
    """Blocks that call the local function ``name`` (directly, deferred, or handing it on)
    where it may hold ``literal`` (not where it holds another one)."""
    blocks = []
    for m in mentions(f, body, name) if body is not None else []:
        parent = m.parent
        holder = parent.parent if parent is not None else None
        if parent is not None and parent.type == "expression_list" and holder is not None and (
            holder.type in ("short_var_declaration", "assignment_statement")
        ) and holder.child_by_field_name("left") == parent:
            continue  # its definition
        held = held_literal(f, m)
        if held is not None and held.id != literal.id:
            continue  # rebound: `abort = func() {}` before this call
        block = cfg.block_of(m, through_literals=True)
        if block is not None:
            blocks.append(block)
    return blocks


def reached_before_reassignment(f: FileModel, cfg: CFG, start: Block, name: str,
                                function: Node) -> set[int]:
    """Blocks reachable from ``start`` before a statement assigns ``name`` again."""
    body = function.child_by_field_name("body")
    assigning: set[int] = set()
    for mention in mentions(f, body, name) if body is not None else []:
        holder = mention.parent.parent if mention.parent is not None else None
        if holder is not None and holder.type in ("assignment_statement", "short_var_declaration",
                                                  "var_spec"):
            left = holder.child_by_field_name("left")
            if left is None or left.start_byte <= mention.start_byte < left.end_byte:
                block = cfg.block_of(mention)
                if block is not None:
                    assigning.add(id(block))
    seen: set[int] = set()
    stack = [succ for succ, _ in start.succs]
    while stack:
        block = stack.pop()
        if id(block) in seen or block is start:
            continue
        seen.add(id(block))
        if id(block) in assigning:
            continue
        stack.extend(succ for succ, _ in block.succs)
    return seen


def called_name(fn: Node) -> str:
    """The name a call's function is written with: ``Open`` of ``os.Open`` or of ``Open``."""
    if fn.type == "selector_expression":
        return text(fn.child_by_field_name("field"))
    return text(fn) if fn.type == "identifier" else ""


def _iterates(block: Block, name: str) -> bool:
    """Whether ``block`` is the head of a ``for name.Next() {`` loop."""
    node = block.node
    if block.kind != "cond" or node is None or node.type != "call_expression":
        return False
    fn = node.child_by_field_name("function")
    parent = node.parent
    return fn is not None and fn.type == "selector_expression" and text(fn) == f"{name}.Next" and (
        parent is not None and parent.type in ("for_statement", "for_clause"))
