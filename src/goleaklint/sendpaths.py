"""The most sends one run of a goroutine body can make on one path.

``c <- err; return`` in an ``if`` and ``c <- v`` after it are two sends in the text but one on
every path: a buffer of one holds it.  Branches of ``if``/``switch``/``select`` are
alternatives, statements in sequence add up, a ``return`` (or a call that ends the goroutine)
stops the count, and a loop multiplies its body by its iteration count when the source fixes
it, else makes the count unbounded.  A send in a function literal counts where the literal runs
once (called on the spot, deferred, or started with ``go``); passed anywhere else, it may run
any number of times.  A call that sends through a function of the package (``reply(c, v)``)
counts as the most sends one run of that function makes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .syntax import Node, text

UNBOUNDED = 1 << 40  # more sends than any buffer holds

_SWITCHES = {
    "expression_switch_statement": ("expression_case", "default_case"),
    "type_switch_statement": ("type_case", "default_case"),
    "select_statement": ("communication_case", "default_case"),
}


def _top(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _plus(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return None
    return min(a + b, UNBOUNDED)


@dataclass(frozen=True)
class _Count:
    """The most sends on the paths through a statement, by how they leave it (None: no path
    leaves that way)."""

    fall: int | None = 0  # on to the next statement
    exit: int | None = None  # out of the function (return, a call that never returns)
    brk: int | None = None  # break out of the innermost loop, switch or select
    cont: int | None = None  # continue the innermost loop
    stuck: int | None = None  # never leave (an endless loop, an empty select): sends so far

    def then(self, after: _Count) -> _Count:
        """This statement followed by ``after``."""
        return _Count(
            fall=_plus(self.fall, after.fall),
            exit=_top(self.exit, _plus(self.fall, after.exit)),
            brk=_top(self.brk, _plus(self.fall, after.brk)),
            cont=_top(self.cont, _plus(self.fall, after.cont)),
            stuck=_top(self.stuck, _plus(self.fall, after.stuck)),
        )

    def either(self, other: _Count) -> _Count:
        """One of two alternatives."""
        return _Count(_top(self.fall, other.fall), _top(self.exit, other.exit),
                      _top(self.brk, other.brk), _top(self.cont, other.cont),
                      _top(self.stuck, other.stuck))

    def most(self) -> int:
        """The most sends of any path, however it ends."""
        return _top(_top(_top(self.fall, self.exit), self.stuck), 0) or 0


def most_sends(body: Node, sends: set[int], ends: Callable[[Node], bool],
               iterations: Callable[[Node], int | None],
               calls: Mapping[int, int] | None = None) -> int:
    """The most of ``sends`` (send statement ids) one run of ``body`` can perform.

    ``ends(call)`` tells a call that never returns; ``iterations(for_statement)`` the number of
    times a loop runs when the source fixes it; ``calls`` maps the ids of call expressions
    that send to how many sends one of them makes (``UNBOUNDED`` for a callee that sends in
    a loop).  ``UNBOUNDED`` when a loop of unknown count or a ``goto`` may repeat a send.
    """
    walker = _Walker(sends, ends, iterations, calls or {})
    count = walker.statement(body)
    if walker.unbounded:
        return UNBOUNDED
    return count.most()


class _Walker:
    def __init__(self, sends: set[int], ends: Callable[[Node], bool],
                 iterations: Callable[[Node], int | None], calls: Mapping[int, int]) -> None:
        self.sends = sends
        self.calls = calls
        self.ends = ends
        self.iterations = iterations
        self.unbounded = False
        self.muted: set[int] = set()  # ifs of the current loop whose branch runs once
        self.once = 0  # the sends of those branches

    def statement(self, node: Node) -> _Count:
        kind = node.type
        if node.id in self.sends:
            return _Count(fall=1)
        if kind in ("block", "statement_list"):
            count = _Count()
            for child in node.named_children:
                if child.type != "comment":
                    count = count.then(self.statement(child))
            return count
        if kind == "if_statement":
            count = self._if(node)
            if node.id not in self.muted:
                return count
            # A guard that lets its branch run once per loop: its sends count once, for
            # the whole loop (``_for`` adds them).
            self.once = min(self.once + count.most(), UNBOUNDED)
            return _Count(*(None if v is None else 0 for v in (
                count.fall, count.exit, count.brk, count.cont, count.stuck)))
        if kind == "for_statement":
            return self._for(node)
        if kind in _SWITCHES:
            return self._switch(node, _SWITCHES[kind])
        if kind == "labeled_statement":
            inner = [c for c in node.named_children if c.type not in ("label_name", "comment")]
            return self.statement(inner[0]) if inner else _Count()
        if kind == "return_statement":
            return _Count(fall=None, exit=self.literals(node))
        if kind == "break_statement":
            return _Count(fall=None, brk=0)
        if kind == "continue_statement":
            return _Count(fall=None, cont=0)
        if kind == "goto_statement":
            self.unbounded = True
            return _Count(fall=None)
        own = self.literals(node)
        if kind == "expression_statement" and node.named_child_count:
            call = node.named_children[0]
            if call.type == "call_expression" and self.ends(call):
                return _Count(fall=None, exit=own)
        return _Count(fall=own)

    def _if(self, node: Node) -> _Count:
        head = _Count()
        for field in ("initializer", "condition"):
            part = node.child_by_field_name(field)
            if part is not None:
                head = head.then(self.statement(part) if field == "initializer"
                                 else _Count(fall=self.literals(part)))
        consequence = node.child_by_field_name("consequence")
        alternative = node.child_by_field_name("alternative")
        then = self.statement(consequence) if consequence is not None else _Count()
        other = self.statement(alternative) if alternative is not None else _Count()
        return head.then(then.either(other))

    def _for(self, node: Node) -> _Count:
        body = node.child_by_field_name("body")
        outer_muted, outer_once = self.muted, self.once
        self.muted = {g.id for g in once_guarded(body)} if body is not None else set()
        self.once = 0
        each = self.statement(body) if body is not None else _Count()
        once = self.once
        self.muted, self.once = outer_muted, outer_once
        count = self._loop(node, body, each)
        if not once:
            return count
        return _Count(fall=_plus(count.fall, once), exit=_plus(count.exit, once),
                      brk=count.brk, cont=count.cont, stuck=_plus(count.stuck, once))

    def _loop(self, node: Node, body: Node | None, each: _Count) -> _Count:
        clause = next((c for c in node.named_children
                       if c.type not in ("comment", "block") and c != body), None)
        condition = clause.child_by_field_name("condition") if (
            clause is not None and clause.type == "for_clause") else clause
        endless = condition is None
        head = self.literals(clause) if clause is not None else 0
        again = _top(each.fall, each.cont)  # sends of one iteration that comes back
        left = each.brk if endless else _top(0, each.brk)
        # An endless loop that comes back forever is a path that never leaves.
        stuck = each.stuck if not endless or again is None else _top(each.stuck, 0)
        if not again:
            return _Count(fall=_plus(head, left), exit=_plus(head, each.exit),
                          stuck=_plus(head, stuck))
        times = None if endless else self.iterations(node)
        if times is None:
            self.unbounded = True  # a path can go round, sending, any number of times
            return _Count(fall=None, exit=None)
        before = min(max(times - 1, 0) * again, UNBOUNDED)
        return _Count(fall=_plus(head, _top(min(times * again, UNBOUNDED),
                                            _plus(before, each.brk))),
                      exit=_plus(head, _plus(before, each.exit)),
                      stuck=_plus(head, _plus(before, each.stuck)))

    def _switch(self, node: Node, case_types: tuple[str, ...]) -> _Count:
        head = _Count()
        init = node.child_by_field_name("initializer")
        if init is not None:
            head = self.statement(init)
        cases = [c for c in node.named_children if c.type in case_types]
        counts: list[_Count] = []
        for case in cases:
            count = _Count()
            communication = case.child_by_field_name("communication")
            if communication is not None:
                count = self.statement(communication)
            for part in case.named_children:
                if part.type == "statement_list":
                    count = count.then(self.statement(part))
            counts.append(count)
        merged: _Count | None = None
        following: _Count | None = None
        for case, count in reversed(list(zip(cases, counts, strict=True))):
            if following is not None and _ends_with_fallthrough(case):
                count = _Count(fall=None, exit=count.exit, brk=count.brk,
                               cont=count.cont, stuck=count.stuck).either(
                    _Count(fall=count.fall).then(following))
            following = count
            merged = count if merged is None else merged.either(count)
        if merged is None:  # an empty select blocks forever
            merged = _Count(fall=None, stuck=0) if node.type == "select_statement" else _Count()
        if node.type != "select_statement" and not any(c.type == "default_case" for c in cases):
            merged = merged.either(_Count())
        # A break leaves the switch or select: it goes on after it.
        merged = _Count(fall=_top(merged.fall, merged.brk), exit=merged.exit, cont=merged.cont,
                        stuck=merged.stuck)
        return head.then(merged)

    def literals(self, node: Node | None) -> int:
        """The sends made inside the expressions of ``node``: by the sending calls of
        ``calls``, and by function literals: counted once when the literal is called on the
        spot, deferred or started with ``go``; unbounded when it is passed anywhere else (a
        callback may run any number of times)."""
        if node is None:
            return 0
        total = 0
        stack = [node]
        while stack:
            current = stack.pop()
            weight = self.calls.get(current.id)
            if weight is not None:
                total = min(total + weight, UNBOUNDED)
            if current.type == "func_literal":
                body = current.child_by_field_name("body")
                if body is None or not self._holds_send(body):
                    continue
                parent = current.parent
                if parent is not None and parent.type == "call_expression" and (
                    parent.child_by_field_name("function") == current
                ):
                    inner = _Walker(self.sends, self.ends, self.iterations, self.calls)
                    count = inner.statement(body)
                    self.unbounded = self.unbounded or inner.unbounded
                    total = min(total + count.most(), UNBOUNDED)
                else:
                    self.unbounded = True
                continue
            stack.extend(current.named_children)
        return total

    def _holds_send(self, node: Node) -> bool:
        stack = [node]
        while stack:
            current = stack.pop()
            if current.id in self.sends or current.id in self.calls:
                return True
            stack.extend(current.named_children)
        return False


def _ends_with_fallthrough(case: Node) -> bool:
    for part in reversed(case.named_children):
        if part.type == "statement_list":
            named = [c for c in part.named_children if c.type != "comment"]
            return bool(named) and named[-1].type == "fallthrough_statement"
    return False


def once_guarded(body: Node) -> list[Node]:
    """The ``if`` statements of a loop body (not in nested loops or literals) whose branch can
    run only once over the whole loop: ``if !sent { sent = true; … }``, or
    ``if err == nil { err = f(); if err != nil { … } }`` where what the branch does (its
    nested ``if err != nil``) leaves the guard false for good; the guard's variable is written
    nowhere else in the loop."""
    found = []
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in ("for_statement", "func_literal"):
            continue
        stack.extend(node.named_children)
        if node.type != "if_statement" or node.child_by_field_name("initializer") is not None:
            continue
        guard = _guard(node)
        consequence = node.child_by_field_name("consequence")
        if guard is None or consequence is None:
            continue
        name, kind = guard
        if _written_outside(body, name, consequence):
            continue
        statements = _top_statements(consequence)
        sets = any(_assigns(st, name, "true" if kind == "flag" else None) for st in statements)
        if sets and (kind == "flag" or _only_when_set(consequence, name)):
            found.append(node)
    return found


def _guard(node: Node) -> tuple[str, str] | None:
    """The variable a condition requires unset: ``!x`` or ``x == nil``, alone or as one
    operand of ``&&``."""
    return _guard_of(node.child_by_field_name("condition"))


def _guard_of(cond: Node | None) -> tuple[str, str] | None:
    while cond is not None and cond.type == "parenthesized_expression" and cond.named_child_count:
        cond = cond.named_children[0]
    if cond is None:
        return None
    if cond.type == "unary_expression" and text(cond.child_by_field_name("operator")) == "!":
        operand = cond.child_by_field_name("operand")
        if operand is not None and operand.type == "identifier":
            return text(operand), "flag"
    if cond.type == "binary_expression" and text(cond.child_by_field_name("operator")) == "&&":
        return _guard_of(cond.child_by_field_name("left")) or _guard_of(
            cond.child_by_field_name("right"))
    if cond.type == "binary_expression" and text(cond.child_by_field_name("operator")) == "==":
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if left is not None and right is not None and left.type == "identifier" and (
                right.type == "nil"):
            return text(left), "nil"
    return None


def _top_statements(block: Node) -> list[Node]:
    out: list[Node] = []
    for child in block.named_children:
        if child.type == "statement_list":
            out.extend(c for c in child.named_children if c.type != "comment")
        elif child.type != "comment":
            out.append(child)
    return out


def _assigns(statement: Node, name: str, value: str | None) -> bool:
    """``name = value`` (any value when None; ``name, x = …`` too)."""
    if statement.type != "assignment_statement":
        return False
    left = statement.child_by_field_name("left")
    right = statement.child_by_field_name("right")
    if left is None or right is None:
        return False
    names = [text(n) for n in left.named_children]
    if name not in names:
        return False
    return value is None or (len(names) == 1 and text(right) == value)


def _written_outside(body: Node, name: str, inside: Node) -> bool:
    """``name`` is assigned or declared in ``body`` outside ``inside``."""
    stack = [body]
    while stack:
        node = stack.pop()
        if node.id == inside.id:
            continue
        if node.type in ("assignment_statement", "short_var_declaration"):
            left = node.child_by_field_name("left")
            if left is not None and name in (text(n) for n in left.named_children):
                return True
        if node.type in ("var_spec", "inc_statement", "dec_statement") and any(
                c.type == "identifier" and text(c) == name for c in node.named_children):
            return True
        stack.extend(node.named_children)
    return False


def _only_when_set(consequence: Node, name: str) -> bool:
    """Every send statement in ``consequence`` sits inside an ``if name != nil``."""
    stack = [consequence]
    while stack:
        node = stack.pop()
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            if cond is not None and cond.type == "binary_expression" and text(
                    cond.child_by_field_name("operator")) == "!=" and text(
                    cond.child_by_field_name("left")) == name and text(
                    cond.child_by_field_name("right")) == "nil":
                continue
        if node.type == "send_statement":
            return False
        stack.extend(node.named_children)
    return True
