"""Control-flow graphs of Go function bodies, built from the tree-sitter tree, and path search.

A ``Block`` is one statement (or one condition, case head, loop head) of a function body; edges
carry ``True``/``False`` for the branches of a condition.  Function literals are opaque: their
bodies have graphs of their own.  Calls that never return (``panic``, ``os.Exit``,
``log.Fatal*``, ``t.Fatal*``…) lead to ``cfg.noreturn``; every ``return`` and the end of the
body lead to ``cfg.exit``.  ``defer`` statements are ordinary blocks: a deferred call runs on
every exit reached after it, which is what ``find_escape`` assumes when a rule says a deferred
statement releases something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .facts import package_fact
from .model import FileModel, Package
from .noreturn import call_ends
from .syntax import Node, text


@dataclass(eq=False)
class Block:
    """One node of the graph: a statement, a condition or a case head (``node``), or a
    synthetic entry/exit (``node`` None)."""

    kind: str  # entry, exit, noreturn, stmt, cond, case, head
    node: Node | None = None
    succs: list[tuple[Block, bool | None]] = field(default_factory=list)

    def __repr__(self) -> str:
        where = f"@{self.node.start_point.row + 1}" if self.node is not None else ""
        return f"<{self.kind}{where}>"


Frontier = list[tuple[Block, bool | None]]


@dataclass
class _Loop:
    label: str
    continue_to: Block | None
    breaks: Frontier
    is_loop: bool  # False for switch/select (break only)


class FlowCache:
    """Control-flow graphs of the functions of one package, built on first question.

    At most ``LIMIT`` are kept (then it starts afresh): the questions about a function come
    together, while the walk is in it, and a huge file's graphs would all stay otherwise.
    """

    LIMIT = 512

    def __init__(self, package: Package | None = None) -> None:
        self.package = package
        self._graphs: dict[int, CFG] = {}

    def graph(self, function: Node, file: FileModel) -> CFG:
        """The graph of ``function``, a function of ``file``."""
        cfg = self._graphs.get(function.id)
        if cfg is None:
            if len(self._graphs) >= self.LIMIT:
                self._graphs.clear()  # not released: a rule may still hold one of them
            package = self.package
            cfg = self._graphs[function.id] = CFG(
                function.child_by_field_name("body"),
                lambda call: call_ends(call, file, package))
        return cfg

    def release(self) -> None:
        """Drop the graphs, breaking their cycles (loops are edges back), so that reference
        counting frees them at once instead of the cyclic collector, late and all together."""
        for cfg in self._graphs.values():
            cfg.release()
        self._graphs.clear()


@package_fact()
def flows(pkg: Package) -> FlowCache:
    """The control-flow graph of each function of the package, built on first question and
    shared by every rule."""
    return FlowCache(pkg)


class CFG:
    """The graph of one function body."""

    def __init__(self, body: Node | None,
                 ends: Callable[[Node], object] = lambda call: call_ends(call, None)) -> None:
        """``ends(call)`` is true for calls that never return (by default only ``panic``,
        unresolved: ``FlowCache`` passes the file's own answer)."""
        self._ends = ends
        self.entry = Block("entry")
        self.exit = Block("exit")
        self.noreturn = Block("noreturn")
        self.blocks: list[Block] = []
        self.by_node: dict[int, Block] = {}
        self.loop_heads: dict[int, Block] = {}  # for statement id -> its head (condition) block
        self.heads: dict[int, Block] = {}  # switch or select statement id -> its head block
        self.cases: dict[int, Block] = {}  # case clause id -> its case block
        # id(block) -> its statement, for heads with no node of their own (`for {`, `select {`)
        self._owner: dict[int, Node] = {}
        self._loops: list[_Loop] = []
        self._labels: dict[str, Block] = {}
        self._gotos: list[tuple[Block, str]] = []
        frontier: Frontier = [(self.entry, None)]
        if body is not None:
            frontier = self._statement(body, frontier)
        self._connect(frontier, self.exit)
        for block, label in self._gotos:
            target = self._labels.get(label)
            if target is not None:
                block.succs.append((target, None))

    def release(self) -> None:
        """Empty every block's edges: the graph is no longer asked (see FlowCache.release)."""
        for block in (self.entry, self.exit, self.noreturn, *self.blocks):
            block.succs.clear()

    # Construction ----------------------------------------------------------------------------

    def _new(self, kind: str, node: Node | None) -> Block:
        b = Block(kind, node)
        self.blocks.append(b)
        if node is not None:
            self.by_node.setdefault(node.id, b)
        return b

    @staticmethod
    def _connect(frontier: Frontier, target: Block) -> None:
        for block, label in frontier:
            block.succs.append((target, label))

    def _simple(self, node: Node, frontier: Frontier, kind: str = "stmt") -> Frontier:
        b = self._new(kind, node)
        self._connect(frontier, b)
        return [(b, None)]

    def _statements(self, nodes: list[Node], frontier: Frontier) -> Frontier:
        for child in nodes:
            if child.type == "comment":
                continue
            frontier = self._statement(child, frontier)
        return frontier

    def _statement(self, node: Node, frontier: Frontier) -> Frontier:
        kind = node.type
        handler: Callable[[Node, Frontier], Frontier] | None = getattr(self, "_s_" + kind, None)
        if handler is not None:
            return handler(node, frontier)
        if kind == "statement_list":
            return self._statements(node.named_children, frontier)
        return self._simple(node, frontier)

    def _s_block(self, node: Node, frontier: Frontier) -> Frontier:
        return self._statements(node.named_children, frontier)

    def _s_return_statement(self, node: Node, frontier: Frontier) -> Frontier:
        b = self._simple(node, frontier)[0][0]
        b.succs.append((self.exit, None))
        return []

    def _s_expression_statement(self, node: Node, frontier: Frontier) -> Frontier:
        out = self._simple(node, frontier)
        call = node.named_children[0] if node.named_child_count else None
        if call is not None and call.type == "call_expression" and self._ends(call):
            out[0][0].succs.append((self.noreturn, None))
            return []
        return out

    def _s_if_statement(self, node: Node, frontier: Frontier) -> Frontier:
        init = node.child_by_field_name("initializer")
        if init is not None:
            frontier = self._statement(init, frontier)
        cond = self._new("cond", node.child_by_field_name("condition") or node)
        self._connect(frontier, cond)
        then = node.child_by_field_name("consequence")
        out: Frontier = (self._statement(then, [(cond, True)]) if then is not None
                         else [(cond, True)])
        alternative = node.child_by_field_name("alternative")
        if alternative is not None:
            out += self._statement(alternative, [(cond, False)])
        else:
            out.append((cond, False))
        return out

    def _s_for_statement(self, node: Node, frontier: Frontier, label: str = "") -> Frontier:
        body = node.child_by_field_name("body")
        clause = next(
            (c for c in node.named_children if c.type != "comment" and c != body), None
        )
        update = None
        if clause is not None and clause.type == "for_clause":
            init = clause.child_by_field_name("initializer")
            if init is not None:
                frontier = self._statement(init, frontier)
            update = clause.child_by_field_name("update")
            condition = clause.child_by_field_name("condition")
            head = self._new("cond", condition if condition is not None else clause)
            endless = condition is None
        elif clause is not None:  # range clause or a bare condition
            head = self._new("cond", clause)
            endless = False
        else:
            head = self._new("cond", None)
            endless = True
        self._connect(frontier, head)
        self.loop_heads[node.id] = head
        self._owner[id(head)] = node
        continue_to = head
        if update is not None:
            post = self._new("stmt", update)
            post.succs.append((head, None))
            continue_to = post
        loop = _Loop(label, continue_to, [], True)
        self._loops.append(loop)
        out: Frontier = (self._statement(body, [(head, True)]) if body is not None
                         else [(head, True)])
        self._loops.pop()
        self._connect(out, continue_to)
        exits = list(loop.breaks)
        if not endless:
            exits.append((head, False))
        return exits

    def _switch_like(
        self, node: Node, frontier: Frontier, label: str, case_types: tuple[str, ...]
    ) -> Frontier:
        init = node.child_by_field_name("initializer")
        if init is not None:
            frontier = self._statement(init, frontier)
        head = self._new("head", node.child_by_field_name("value"))
        self._owner[id(head)] = node
        self.heads[node.id] = head
        self._connect(frontier, head)
        loop = _Loop(label, None, [], False)
        self._loops.append(loop)
        out: Frontier = []
        has_default = False
        pending_fallthrough: Frontier = []
        for case in node.named_children:
            if case.type not in case_types:
                continue
            has_default = has_default or case.type == "default_case"
            case_block = self._new("case", _case_head(case))
            self.cases[case.id] = case_block
            head.succs.append((case_block, None))
            body_nodes = [c for c in case.named_children if c.type == "statement_list"]
            entry: Frontier = [(case_block, None), *pending_fallthrough]
            pending_fallthrough = []
            case_out = entry
            for statements in body_nodes:
                case_out = self._statements(statements.named_children, case_out)
            if body_nodes and _ends_with_fallthrough(body_nodes[-1]):
                pending_fallthrough = case_out
            else:
                out += case_out
        out += pending_fallthrough
        self._loops.pop()
        if not has_default and node.type != "select_statement":
            out.append((head, None))
        return out + loop.breaks

    def _s_expression_switch_statement(
        self, node: Node, frontier: Frontier, label: str = ""
    ) -> Frontier:
        return self._switch_like(node, frontier, label, ("expression_case", "default_case"))

    def _s_type_switch_statement(self, node: Node, frontier: Frontier, label: str = "") -> Frontier:
        return self._switch_like(node, frontier, label, ("type_case", "default_case"))

    def _s_select_statement(self, node: Node, frontier: Frontier, label: str = "") -> Frontier:
        return self._switch_like(node, frontier, label, ("communication_case", "default_case"))

    def _s_labeled_statement(self, node: Node, frontier: Frontier) -> Frontier:
        label = text(node.child_by_field_name("label"))
        anchor = self._new("stmt", node.child_by_field_name("label"))
        self._connect(frontier, anchor)
        self._labels[label] = anchor
        inner = [c for c in node.named_children if c.type != "label_name"]
        if not inner:
            return [(anchor, None)]
        stmt = inner[0]
        handler: Callable[[Node, Frontier, str], Frontier] | None = getattr(
            self, "_s_" + stmt.type, None)
        if stmt.type in ("for_statement", "expression_switch_statement",
                         "type_switch_statement", "select_statement") and handler is not None:
            return handler(stmt, [(anchor, None)], label)
        return self._statement(stmt, [(anchor, None)])

    def _target(self, node: Node, want_loop: bool) -> _Loop | None:
        label_node = node.named_children[0] if node.named_child_count else None
        label = text(label_node) if label_node is not None else ""
        for loop in reversed(self._loops):
            if label and loop.label == label:
                return loop
            if not label and (loop.is_loop or not want_loop):
                return loop
        return None

    def _s_break_statement(self, node: Node, frontier: Frontier) -> Frontier:
        b = self._simple(node, frontier)[0][0]
        target = self._target(node, want_loop=False)
        if target is not None:
            target.breaks.append((b, None))
        return []

    def _s_continue_statement(self, node: Node, frontier: Frontier) -> Frontier:
        b = self._simple(node, frontier)[0][0]
        target = self._target(node, want_loop=True)
        if target is not None and target.continue_to is not None:
            b.succs.append((target.continue_to, None))
        return []

    def _s_goto_statement(self, node: Node, frontier: Frontier) -> Frontier:
        b = self._simple(node, frontier)[0][0]
        label = node.named_children[0] if node.named_child_count else None
        if label is not None:
            self._gotos.append((b, text(label)))
        return []

    def _s_fallthrough_statement(self, node: Node, frontier: Frontier) -> Frontier:
        return self._simple(node, frontier)

    # Questions ---------------------------------------------------------------------------------

    def block_of(self, node: Node, through_literals: bool = False) -> Block | None:
        """The block of the innermost statement holding ``node`` (within this body).

        A node inside a function literal belongs to no block of this graph, unless
        ``through_literals``: then it belongs to the statement holding the literal.
        """
        current: Node | None = node
        while current is not None:
            b = self.by_node.get(current.id)
            if b is not None:
                return b
            if current.type in ("function_declaration", "method_declaration") or (
                current.type == "func_literal" and not through_literals
            ):
                return None
            current = current.parent
        return None

    def returns(self) -> bool:
        """Whether any path from the entry reaches a normal return."""
        return self.exit in self.reachable(self.entry)

    def leaving(self, loop: Node, ending: bool = False) -> list[Block]:
        """The blocks of ``loop`` (a ``for`` of this body) with an edge out of it: a
        ``return``, a ``break`` or ``continue`` of an outer statement, a ``goto`` to a label
        outside it.  The loop's own condition failing is not counted, and neither are calls
        that never return (which leave the function, not just the loop) unless ``ending``.
        In source order."""
        head = self.loop_heads.get(loop.id)
        inside = self._inside(loop)
        return [block for block in self.blocks
                if block is not head and inside(block)
                and any((ending or succ is not self.noreturn) and not inside(succ)
                        for succ, _ in block.succs)]

    def comes_back(self, block: Block, loop: Node, starts: list[Block] | None = None) -> bool:
        """Whether control can go from ``block`` (or from ``starts``, blocks after it: the other
        cases of a select) to the head of ``loop`` (its next iteration) or back to ``block``
        without leaving the loop: the end of its body, a ``continue``, a ``goto`` back."""
        head = self.loop_heads.get(loop.id)
        if head is None:
            return False
        inside = self._inside(loop)
        stack = [block] if starts is None else list(starts)
        seen = {id(b) for b in stack}
        while stack:
            for succ, _ in stack.pop().succs:
                if succ is head or succ is block:
                    return True
                if id(succ) not in seen and inside(succ):
                    seen.add(id(succ))
                    stack.append(succ)
        return False

    def skips(self, loop: Node, stops: Callable[[Block], bool],
              rounds: Callable[[Block], bool] | None = None) -> bool:
        """Whether an iteration of ``loop`` (a path from the entry of its body) can leave it (a
        ``break``, a ``return``, a ``goto`` out) or go round to its head without passing a
        block where ``stops`` holds.  With ``rounds``, going round counts only through a block
        where it holds.  A call that never returns ends the path without leaving."""
        head = self.loop_heads.get(loop.id)
        if head is None:
            return True
        inside = self._inside(loop)
        through = rounds is None
        stack = [(succ, through) for succ, label in head.succs if label is True]
        seen: set[tuple[int, bool]] = set()
        while stack:
            block, passed = stack.pop()
            if block is self.noreturn:
                continue
            if block is head:
                if passed:
                    return True
                continue
            if not inside(block):
                return True
            if (id(block), passed) in seen or stops(block):
                continue
            seen.add((id(block), passed))
            passed = passed or (rounds is not None and rounds(block))
            stack.extend((succ, passed) for succ, _ in block.succs)
        return False

    def _inside(self, loop: Node) -> Callable[[Block], bool]:
        """Whether a block belongs to ``loop`` (by its statement's place in the source)."""
        start, end = loop.start_byte, loop.end_byte

        def inside(block: Block) -> bool:
            node = block.node if block.node is not None else self._owner.get(id(block))
            return node is not None and start <= node.start_byte < end

        return inside

    def reachable(self, start: Block) -> set[Block]:
        seen = {start}
        stack = [start]
        while stack:
            for succ, _ in stack.pop().succs:
                if succ not in seen:
                    seen.add(succ)
                    stack.append(succ)
        return seen


def _case_head(case: Node) -> Node | None:
    """What a case clause evaluates before its body: values, types or the communication."""
    if case.type == "communication_case":
        return case.child_by_field_name("communication")
    if case.type == "expression_case":
        return case.child_by_field_name("value")
    if case.type == "type_case":
        types = case.children_by_field_name("type")
        return types[0] if types else None
    if case.type == "default_case":
        return case  # reached when every case is false: rules may read the other cases
    return None


def _ends_with_fallthrough(statements: Node) -> bool:
    named = [c for c in statements.named_children if c.type != "comment"]
    return bool(named) and named[-1].type == "fallthrough_statement"


@dataclass
class Escape:
    """A path that leaves without the release: where it ends (a return, the end of the body, a
    re-assignment) and the blocks it went through."""

    end: Block
    via: Block | None  # the return statement or re-assignment ending the path, if any
    path: list[Block]


def find_escape(
    cfg: CFG,
    start: Block,
    releases: Callable[[Block], bool],
    dead_edge: Callable[[Block, bool | None], bool] = lambda b, label: False,
    lost: Callable[[Block], bool] = lambda b: False,
    leaves: Callable[[Block], bool] = lambda b: False,
) -> Escape | None:
    """A path from just after ``start`` to a normal exit that passes no releasing block.

    ``dead_edge(block, label)`` prunes branches where the value cannot be live (``err != nil``
    after an opener); ``lost(block)`` ends a path as a leak (the value is overwritten).  Paths
    through never-returning calls are not escapes, except through a block for which
    ``leaves(block)`` holds (a call that ends only the goroutine, for a rule that asks who is
    left behind).  Returns the first such path found (depth-first, in source order), or None.
    """
    stack: list[tuple[Block, list[Block]]] = []
    for succ, label in reversed(start.succs):
        if not dead_edge(start, label):
            stack.append((succ, [start]))
    seen: set[int] = set()
    while stack:
        block, path = stack.pop()
        if block is cfg.noreturn:
            if path and leaves(path[-1]):
                return Escape(block, path[-1], path)
            continue
        if id(block) in seen:
            continue
        seen.add(id(block))
        if block is cfg.exit:
            via = path[-1] if path and path[-1].node is not None and (
                path[-1].node.type == "return_statement") else None
            return Escape(block, via, path)
        if releases(block):
            continue
        if block is start or lost(block):
            return Escape(block, block, path)
        for succ, label in reversed(block.succs):
            if not dead_edge(block, label):
                stack.append((succ, [*path, block]))
    return None


def ranges_over(block: Block, channel: str) -> bool:
    """Whether ``block`` is the head of a ``for … range channel`` loop."""
    node = block.node
    return block.kind == "cond" and node is not None and node.type == "range_clause" and (
        text(node.child_by_field_name("right")) == channel)


def function_body(function: Node) -> Node | None:
    """The body block of a function declaration, method or literal."""
    return function.child_by_field_name("body")
