"""Can a statement run again? Structured-control-flow answers for rules about loops.

GL204 (a ``defer`` in a loop) and GL205 (``time.After`` in a ``select`` in a loop) ask the same
question: once the statement has run, can control come back to it in the same call of its
function?  Go's loops are structured, so the answer is read from the tree: compute how the rest
of each enclosing statement list can finish (fall through, ``break``/``continue`` with their
targets, ``goto``, or leave the function through ``return``, ``panic``, ``os.Exit``,
``log.Fatal``…) and climb until a loop's back edge (the end of its body or a ``continue``) is
reachable, or the function literal or declaration is left.

A function literal is a boundary: its body runs in a call of its own.
"""

from __future__ import annotations

from .model import FUNCTION_NODES, FileModel, Package
from .noreturn import call_ends
from .syntax import Node, text

# ("next",) ("exit",) ("fallthrough",) ("break", id) ("continue", id) ("goto", l)
Outcome = tuple[str | int, ...]
NEXT: Outcome = ("next",)
EXIT: Outcome = ("exit",)
FALLTHROUGH: Outcome = ("fallthrough",)

SWITCHES = frozenset({"expression_switch_statement", "type_switch_statement"})
BREAKABLE = SWITCHES | {"for_statement", "select_statement"}
CLAUSES = frozenset({"expression_case", "type_case", "default_case", "communication_case"})
class LoopAnalysis:
    """Per-file outcome computation, memoised by node id."""

    def __init__(self, file: FileModel, package: Package | None = None) -> None:
        self.file = file
        self.package = package
        self._cache: dict[int, frozenset[Outcome]] = {}

    # Outcomes of statements ----------------------------------------------------------------

    def outcomes(self, stmt: Node) -> frozenset[Outcome]:
        """How running ``stmt`` can end, as seen from the statement that follows it."""
        cached = self._cache.get(stmt.id)
        if cached is None:
            cached = self._cache[stmt.id] = frozenset(self._outcomes(stmt))
        return cached

    def sequence(self, stmts: list[Node], start: frozenset[Outcome] = frozenset({NEXT})
                 ) -> frozenset[Outcome]:
        """How a run of statements can end, when control arrives at the first one as ``start``
        says (``NEXT`` in ``start`` means it does arrive)."""
        pending = set(start)
        for stmt in stmts:
            if NEXT not in pending:
                break
            if stmt.type == "comment":
                continue
            pending.discard(NEXT)
            pending |= self.outcomes(stmt)
        return frozenset(pending)

    def _outcomes(self, stmt: Node) -> set[Outcome]:
        kind = stmt.type
        if kind == "return_statement":
            return {EXIT}
        if kind == "break_statement":
            target = jump_target(stmt)
            return {("break", target.id)} if target is not None else {EXIT}
        if kind == "continue_statement":
            target = jump_target(stmt)
            return {("continue", target.id)} if target is not None else {EXIT}
        if kind == "goto_statement":
            return {("goto", text(_label(stmt)))}
        if kind == "fallthrough_statement":
            return {FALLTHROUGH}
        if kind == "expression_statement":
            call = stmt.named_children[0] if stmt.named_child_count else None
            return {EXIT} if call is not None and self.never_returns(call) else {NEXT}
        if kind == "block" or kind == "statement_list":
            return set(self.sequence(_statements(stmt)))
        if kind == "if_statement":
            found: set[Outcome] = set()
            branch: Node | None = stmt
            while branch is not None and branch.type == "if_statement":  # `else if` chains
                then = branch.child_by_field_name("consequence")
                found |= self.outcomes(then) if then is not None else {NEXT}
                branch = branch.child_by_field_name("alternative")
            found |= self.outcomes(branch) if branch is not None else {NEXT}
            return found
        if kind == "labeled_statement":
            inner = labeled_inner(stmt)
            return set(self.outcomes(inner)) if inner is not None else {NEXT}
        if kind == "for_statement":
            body = stmt.child_by_field_name("body")
            found = set(self.outcomes(body)) if body is not None else {NEXT}
            found -= {NEXT, ("continue", stmt.id)}
            if _broken(found, stmt) or loop_can_end(stmt):
                found.add(NEXT)
            return found
        if kind in SWITCHES or kind == "select_statement":
            clauses = [c for c in stmt.named_children if c.type in CLAUSES]
            found = set()
            for i in range(len(clauses)):
                found |= self.clause_outcomes(clauses, i)
            if kind in SWITCHES and not any(c.type == "default_case" for c in clauses):
                found.add(NEXT)  # no case matched
            _broken(found, stmt)
            return found
        return {NEXT}

    def clause_outcomes(self, clauses: list[Node], i: int) -> frozenset[Outcome]:
        """How the body of ``clauses[i]`` can end, following ``fallthrough`` into the next."""
        found = set(self.sequence(_statements(clauses[i])))
        if FALLTHROUGH in found:
            found.discard(FALLTHROUGH)
            found |= self.clause_outcomes(clauses, i + 1) if i + 1 < len(clauses) else {NEXT}
        return frozenset(found)

    def never_returns(self, call: Node) -> bool:
        """``panic(…)``, ``os.Exit``, ``log.Fatal*``, ``t.Fatal``/``FailNow``/``Skip*``…"""
        return call_ends(call, self.file, self.package) is not None

    # Can it run again? ---------------------------------------------------------------------

    def repeating_loop(self, stmt: Node, after: frozenset[Outcome] = frozenset({NEXT})
                       ) -> Node | None:
        """The loop that can bring control back to ``stmt``, or None when it runs at most once
        per call of its function.

        ``after`` is how ``stmt`` itself can end (a ``defer`` just falls through; a ``select``
        ends as its cases do).  A ``goto`` to a label inside an enclosing loop is taken to
        repeat it.
        """
        pending = set(after)
        cur = stmt
        while pending:
            parent = cur.parent
            if parent is None or parent.type in FUNCTION_NODES:
                return None
            kind = parent.type
            if kind == "statement_list" or kind == "block":
                siblings = parent.named_children
                index = next(i for i, s in enumerate(siblings) if s.id == cur.id)
                pending = set(self.sequence(siblings[index + 1:], frozenset(pending)))
            elif kind in CLAUSES:
                if FALLTHROUGH in pending:
                    holder = parent.parent
                    assert holder is not None  # a case clause lies in its switch or select
                    clauses = [c for c in holder.named_children if c.type in CLAUSES]
                    index = next(i for i, c in enumerate(clauses) if c.id == parent.id)
                    pending.discard(FALLTHROUGH)
                    pending |= (self.clause_outcomes(clauses, index + 1)
                                if index + 1 < len(clauses) else {NEXT})
            elif kind in SWITCHES or kind == "select_statement":
                _broken(pending, parent)
            elif kind == "if_statement" and _once_guard(parent, cur):
                return None  # `if conn == nil { conn = dial(); defer conn.Close() }`
            elif kind == "for_statement":
                body = parent.child_by_field_name("body")
                if body is not None and body.id == cur.id:
                    if NEXT in pending or ("continue", parent.id) in pending:
                        return parent
                    if self._goto_into(pending, parent):
                        return parent
                    _broken(pending, parent)
            cur = parent
        return None

    def _goto_into(self, pending: set[Outcome], loop: Node) -> bool:
        labels = {o[1] for o in pending if o[0] == "goto"}
        if not labels:
            return False
        fn = loop.parent
        while fn is not None and fn.type not in FUNCTION_NODES:
            fn = fn.parent
        if fn is None:
            return True
        for node in _labeled_statements(fn):
            if text(_label(node)) in labels and loop.start_byte <= node.start_byte < loop.end_byte:
                return True
        return False


ZERO_VALUES = frozenset({"nil", '""', "``", "0", "false"})


def _once_guard(stmt: Node, branch: Node) -> bool:
    """An ``if`` whose then-branch holding ``branch`` makes its own condition false, for a
    variable that lives across iterations: ``if x == nil { x = … }``, ``if first { first =
    false }``, ``if !done { done = true }``.  Its body runs once however often the loop turns.
    """
    then = stmt.child_by_field_name("consequence")
    cond = stmt.child_by_field_name("condition")
    if then is None or cond is None or then.id != branch.id:
        return False
    while cond.type == "parenthesized_expression" and cond.named_child_count:
        cond = cond.named_children[0]
    guarded: Node | None = cond
    if cond.type == "unary_expression" and text(cond.child_by_field_name("operator")) == "!":
        guarded = cond.child_by_field_name("operand")
    elif cond.type == "binary_expression" and text(cond.child_by_field_name("operator")) == "==":
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if left is not None and right is not None and text(left) in ZERO_VALUES:
            left, right = right, left
        if right is None or text(right) not in ZERO_VALUES:
            return False
        guarded = left
    if guarded is None or guarded.type not in ("identifier", "selector_expression",
                                              "unary_expression"):
        return False
    root = _root_identifier(guarded)
    if root is None or not _assigns(then, text(guarded)):
        return False
    # A variable declared in an enclosing loop is a fresh one per iteration: it guards nothing.
    return not any(_declares(loop, root) for loop in enclosing_loops(stmt))


def _assigns(node: Node, name: str) -> bool:
    """Whether ``name = …`` (possibly among several targets) happens under ``node``."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "assignment_statement" and text(n.child_by_field_name("operator")) == "=":
            left = n.child_by_field_name("left")
            if left is not None and any(text(t) == name for t in left.named_children):
                return True
        stack.extend(c for c in n.named_children if c.type != "func_literal")
    return False


def _declares(loop: Node, name: str) -> bool:
    """Whether ``name`` is declared in the loop's header or body (a fresh one per iteration)."""
    stack = [loop]
    while stack:
        n = stack.pop()
        if n.type in ("short_var_declaration", "range_clause"):
            left = n.child_by_field_name("left")
            if left is not None and any(text(t) == name for t in left.named_children):
                return True
        elif n.type == "var_spec" and any(
            text(c) == name for c in n.children_by_field_name("name")
        ):
            return True
        stack.extend(c for c in n.named_children if c.type != "func_literal")
    return False


def _root_identifier(expr: Node) -> str | None:
    """``r.cache`` → ``r``; ``*v.field`` → ``v``."""
    while expr.type in ("selector_expression", "unary_expression", "parenthesized_expression"):
        inner = (expr.child_by_field_name("operand")
                 or (expr.named_children[0] if expr.named_child_count else None))
        if inner is None:
            return None
        expr = inner
    return text(expr) if expr.type == "identifier" else None


def _broken(outcomes: set[Outcome], target: Node) -> bool:
    """Turn ``break`` of ``target`` into falling through after it; True when there was one."""
    key = ("break", target.id)
    if key in outcomes:
        outcomes.discard(key)
        outcomes.add(NEXT)
        return True
    return False


def loop_can_end(loop: Node) -> bool:
    """Whether a ``for`` can finish by itself: it has a condition or ranges over something."""
    for child in loop.named_children:
        if child.type == "range_clause":
            return True
        if child.type == "for_clause":
            return child.child_by_field_name("condition") is not None
        if child.type not in ("block", "comment"):
            return True  # `for cond {`
    return False


def jump_target(stmt: Node) -> Node | None:
    """The statement a ``break``/``continue`` leaves or repeats (None outside any)."""
    label = _label(stmt)
    wanted = ("for_statement",) if stmt.type == "continue_statement" else tuple(BREAKABLE)
    parent = stmt.parent
    while parent is not None and parent.type not in FUNCTION_NODES:
        if label is None and parent.type in wanted:
            return parent
        if label is not None and parent.type == "labeled_statement" and text(
            parent.child_by_field_name("label")
        ) == text(label):
            return labeled_inner(parent)
        parent = parent.parent
    return None


def labeled_inner(stmt: Node) -> Node | None:
    """The statement a label names (None for a label at the end of a block)."""
    for child in stmt.named_children:
        if child.type not in ("label_name", "comment"):
            return child
    return None


def enclosing_loops(node: Node) -> list[Node]:
    """The ``for`` statements whose body holds ``node``, innermost first, up to the function."""
    loops = []
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_NODES:
        if parent.type == "for_statement":
            loops.append(parent)
        parent = parent.parent
    return loops


def loop_header(loop: Node, limit: int = 60) -> str:
    """``for _, name := range names`` — a loop as the reader knows it, on one line."""
    body = loop.child_by_field_name("body")
    end = body.start_byte if body is not None else loop.end_byte
    raw = (loop.text or b"")[: end - loop.start_byte].decode("utf-8", "replace")
    header = " ".join(raw.split()) or "for"
    if header == "for":
        return "for { … }"
    return header if len(header) <= limit else header[: limit - 1].rstrip() + "…"


def _label(stmt: Node) -> Node | None:
    for child in stmt.named_children:
        if child.type == "label_name":
            return child
    return None


def _statements(node: Node) -> list[Node]:
    """The statements of a block or case clause (tree-sitter-go wraps them in a list)."""
    if node.type == "statement_list":
        return node.named_children
    for child in node.named_children:
        if child.type == "statement_list":
            return child.named_children
    return []


def _labeled_statements(fn: Node) -> list[Node]:
    found, stack = [], [fn]
    while stack:
        n = stack.pop()
        if n.type == "labeled_statement":
            found.append(n)
        stack.extend(c for c in n.named_children if c.type != "func_literal")
    return found
