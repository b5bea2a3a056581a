"""GL203 ticker-leak: a ticker that is never stopped, before Go 1.23."""

from __future__ import annotations

from collections.abc import Iterator

from ..callees import mentions, package_callee, parameter_names
from ..flow import CFG, Block, Escape
from ..flowrule import FlowRule, called_name, describe_escape, statement_of
from ..loopexits import ranges_over_ticker
from ..model import FileModel, Package, is_main_main, resolve_selector
from ..ownership import Resource, goroutine_literal
from ..plugins import hookimpl
from ..rule import Gate, Rule, RuleContext
from ..scope import repeats
from ..syntax import Node, text

TICKER = Resource(release_methods=frozenset({"Stop"}), every_path=True, endless_field="C")
_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})


class TickerLeak(FlowRule):
    """## What it finds
    A `time.NewTicker` whose `Stop` is not called on the paths that leave the function (nor by
    the function of the package or the goroutine it is handed to, on every path that leaves
    them), and `time.Tick` outside `main.main` and outside functions that never return. Only
    where the module's `go` directive is below 1.23, or where no go.mod is above the code
    (pre-modules code).

    ## Why it leaks
    Before Go 1.23 a ticker that is not stopped is never garbage collected: the runtime
    timer keeps firing and keeps the ticker, its channel and everything reachable from them
    alive for the life of the process. `time.Tick` returns only the channel, so its ticker
    can never be stopped.

    ## Example
    ```go
    package poll

    import "time"

    func WaitReady(ready func() bool) {
    	t := time.NewTicker(100 * time.Millisecond)
    	for range t.C {
    		if ready() {
    			return
    		}
    	}
    }
    ```

    ## Use instead
    ```go
    package poll

    import "time"

    func WaitReady(ready func() bool) {
    	t := time.NewTicker(100 * time.Millisecond)
    	defer t.Stop()
    	for range t.C {
    		if ready() {
    			return
    		}
    	}
    }
    ```

    ## Known limits
    A ticker that is returned or stored, or passed to another package's function, an interface's
    method or a function value, is its new owner's to stop; so is the channel of `return
    time.Tick(d)` (a Clock-style wrapper: its callers' use decides), and a ticker a function
    literal assigns to a variable of an enclosing function that calls `Stop` on it somewhere (a
    deferred stop closure). A ticker handed to a function or method of the package (`go
    c.reaper(time.NewTicker(d))`, `go c.reaper(t)`), or captured by a goroutine's function
    literal, is looked into: it is theirs only when they stop it (or hand it on) on every path
    that leaves them; one that never leaves (`for { <-t.C … }`) keeps it for good, which GL304
    reports, not this rule. Inside such a callee or goroutine a `Stop` in a local closure counts
    where the closure is defined, not where it is called. Functions that never return (a `for`
    without condition and without `return` or `break`, or a `for range time.Tick(…)` loop, also
    through a local bound only to it: `tick := time.Tick(d); for range tick`) may use
    `time.Tick`. With `go 1.23` and later the rule is silent (the runtime collects unreferenced
    timers), as with a go.mod without a usable `go` line. Code with no go.mod above it
    (GOPATH-era code) predates modules: it is taken to be older than Go 1.23 and checked; the
    `go-version` setting overrides both.

    A leak is growth (DESIGN.md): in test code it reports only a ticker made per iteration of
    a loop driven by data or large (`b.N`, not a table of three cases), or in a helper that
    three or more places of the package call; one ticker in one short test is not reported.
    Code that runs once per process (`init`, var initialisers, `once.Do`, `TestMain`,
    `main.main` and the functions only it calls outside a data-driven loop) is reported only
    inside such a loop.

    ## Peers
    staticcheck SA1015 (`time.Tick` in functions that return); goleaklint adds
    `time.NewTicker` without `Stop` on some path.
    """

    id = "GL203"
    name = "ticker-leak"
    family = "resources"
    summary = "A time.NewTicker is not stopped, or time.Tick is used in a function that returns."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("resources", "timers", "leak")

    gate = Gate(imports=("time",))

    @classmethod
    def applies_to(cls, package: Package) -> bool:
        version = package.runtime_go_version
        return version is not None and version < (1, 23)

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        version = self.package.runtime_go_version  # about Go releases before 1.23
        self.relevant = version is not None and version < (1, 23)

    def visit_call_expression(self, node: Node) -> None:
        if not self.relevant:
            return
        assert self.file is not None
        fn = node.child_by_field_name("function")
        if fn is None or called_name(fn) not in ("NewTicker", "Tick"):
            return  # the cheap test first: most calls are not named like one
        qualified = resolve_selector(self.file, fn, self.package)
        ranged = _ranged_over(node)  # `for range time.Tick(d)` makes one ticker, not one a turn
        where = ranged.parent if ranged is not None and ranged.parent is not None else node
        if qualified not in ("time.NewTicker", "time.Tick") or not repeats(
            self.package, self.file, where
        ):
            return  # DESIGN: one ticker in one test, or in code that runs once, is no growth
        if qualified == "time.NewTicker":
            self._new_ticker(node, text(fn))
        elif qualified == "time.Tick":
            self._tick(node, text(fn))

    def _new_ticker(self, call: Node, shown: str) -> None:
        statement, left = statement_of(call)
        if statement is None:
            return
        if statement.type == "argument_list":
            self._handed(call, statement, shown)
            return
        if statement.type == "expression_statement":
            self.report(call, f"the ticker from {shown} is discarded and never stopped")
            return
        if left is None or not left.named_children:
            return
        target = left.named_children[0]
        function = self.walked.innermost_function(call)
        if target.type != "identifier" or function is None:
            return
        assert self.file is not None
        if text(target) == "_":
            self.report(call, f"the ticker from {shown} is discarded with _ and never stopped")
            return
        if not self.file.is_local(target) and statement.type != "short_var_declaration":
            return
        if function.type == "func_literal" and _stopped_by_owner(self.file, target, function):
            return
        # `for range t.C` never ends: a ticker's channel is never closed.
        escape = self.escape_of(function, statement, text(target), TICKER,
                                endless=text(target) + ".C")
        if escape is None:
            return
        where, via = describe_escape(escape, self.file)
        related: tuple[tuple[FileModel, Node, str], ...] = (
            ((self.file, via, "leaves here without Stop"),) if via is not None else ())
        message = f"ticker {text(target)} from {shown} is not stopped {where}"
        goroutine = self._goroutine_on(escape.path, function, text(target))
        if goroutine is not None:
            line = self.file.position(goroutine[0].start_byte)[0]
            message += (f" (the goroutine started at line {line} is handed it and can return "
                        "without stopping it)")
            related += goroutine[1]
        bound = _earlier_deferred_stop(function, statement, text(target))
        if bound is not None:
            line = self.file.position(bound.start_byte)[0]
            message += (f" (the defer at line {line} evaluated {text(target)} when it ran: it "
                        "stops an earlier ticker, not this one)")
        self.report(call, message, related)

    def _handed(self, call: Node, arguments: Node, shown: str) -> None:
        """``go c.reaper(time.NewTicker(d))``: the callee owns the ticker, and must stop it on
        every path that leaves it (a same-package one is looked into)."""
        assert self.file is not None
        outer = arguments.parent
        callee = outer.child_by_field_name("function") if outer is not None else None
        held = call
        while held.parent is not None and held.parent.type == "parenthesized_expression":
            held = held.parent
        index = [c.id for c in arguments.named_children].index(held.id)
        if callee is None or outer is None or outer.type != "call_expression" or (
                self.ownership.call_takes_ownership(self.file, callee, index, TICKER)):
            return
        shown_callee = "a function literal" if callee.type == "func_literal" else text(callee)
        self.report(call, f"the ticker from {shown} is handed to {shown_callee}, which can "
                    "return without stopping it", self._exit_of(callee, index))

    def _exit_of(self, callee: Node, index: int) -> tuple[tuple[FileModel, Node, str], ...]:
        """Where the function of the package that ``callee`` names leaves without stopping
        its parameter ``index`` (nothing when it is not one, or does not leave so)."""
        assert self.file is not None
        target = package_callee(self.package, self.file, callee)
        names = parameter_names(target[1]) if target is not None else []
        if target is None or index >= len(names):
            return ()
        who = "the function literal" if callee.type == "func_literal" else text(callee)
        return _leaving(self.ownership.leak_path(target[0], target[1], names[index], TICKER),
                        target[0], target[1], who)

    def _goroutine_on(self, path: list[Block], function: Node, name: str) -> tuple[
            Node, tuple[tuple[FileModel, Node, str], ...]] | None:
        """The ``go`` statement on ``path`` that is handed ``name`` (captures it, or passes it
        to the function it starts), and where that goroutine leaves without stopping it."""
        assert self.file is not None
        on_path = {id(b) for b in path}
        body = function.child_by_field_name("body")
        cfg = self.flows.graph(function, self.file)
        for mention in mentions(self.file, body, name) if body is not None else []:
            node: Node | None = mention.parent
            child = mention
            while node is not None and node != function and node.type != "go_statement":
                child = node
                node = node.parent
            if node is None or node.type != "go_statement" or id(
                    cfg.block_of(node)) not in on_path:
                continue
            started = child.child_by_field_name("function")
            literal = goroutine_literal(self.file, mention, function)
            if literal is not None:  # captured by the literal the go statement calls
                escape = self.ownership.leak_path(self.file, literal, name, TICKER)
                return node, _leaving(escape, self.file, literal, "the goroutine")
            arguments = mention.parent
            if started is not None and arguments is not None and (
                    arguments.type == "argument_list" and arguments.parent == child):
                index = [c.id for c in arguments.named_children].index(mention.id)
                return node, self._exit_of(started, index)
            return node, ()
        return None

    def _tick(self, call: Node, shown: str) -> None:
        function = self.walked.innermost_function(call)
        if function is None:
            return
        if is_main_main(self.package, function) or _returned(call):
            return
        cfg = self.flows.graph(function, self.walked)
        start = cfg.block_of(call)
        endless_range = _ranged_over(call) or self._ranged_through_local(call, function)
        head = cfg.block_of(endless_range) if endless_range is not None else None
        if start is not None and self._reaches_exit(cfg, start, head):
            self.report(call, f"{shown} leaks its ticker (it can never be stopped) in a "
                        "function that returns: use time.NewTicker and Stop it")

    def _ranged_through_local(self, call: Node, function: Node) -> Node | None:
        """The range clause of ``for … range tick`` when ``tick := time.Tick(…)`` is the only
        binding of the local ``tick`` (the loop never ends, as over the call itself)."""
        assert self.file is not None
        statement, left = statement_of(call)
        if statement is None or statement.type != "short_var_declaration" or left is None:
            return None
        names = left.named_children
        name = text(names[0]) if len(names) == 1 else ""
        body = function.child_by_field_name("body")
        for clause in self.file.captures("(range_clause right: (identifier) @r)", body).get(
                "r", []) if name and body is not None else []:
            loop = clause.parent.parent if clause.parent is not None else None
            if text(clause) == name and loop is not None and ranges_over_ticker(
                    loop, self.file, self.package) and (
                    self.file.innermost_function(loop) == function):
                return clause.parent
        return None

    @staticmethod
    def _reaches_exit(cfg: CFG, start: Block, endless_head: Block | None) -> bool:
        """Whether the exit is reachable from ``start`` when the loop ranging over time.Tick
        never ends (a guard that returns before the ticker exists does not count)."""
        seen = {id(start)}
        stack = [start]
        while stack:
            block = stack.pop()
            if block is cfg.exit:
                return True
            for succ, label in block.succs:
                if block is endless_head and label is False:
                    continue
                if id(succ) not in seen:
                    seen.add(id(succ))
                    stack.append(succ)
        return False


def _leaving(escape: Escape | None, f: FileModel, function: Node,
             who: str) -> tuple[tuple[FileModel, Node, str], ...]:
    """Where ``escape`` leaves ``function``: its return, or the end of its body."""
    if escape is None:
        return ()
    body = function.child_by_field_name("body")
    end = body.children[-1] if body is not None and body.children else function
    where = escape.via.node if escape.via is not None and escape.via.node is not None else end
    return ((f, where, f"{who} leaves here without Stop"),)


def _earlier_deferred_stop(function: Node, statement: Node, name: str) -> Node | None:
    """A ``defer name.Stop()`` of ``function`` (not in a literal) before ``statement``: it
    evaluated ``name`` when it ran, so it does not stop a ticker assigned to ``name`` later."""
    body = function.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.start_byte >= statement.start_byte or node.type == "func_literal":
            continue
        if node.type == "defer_statement":
            call = node.named_children[0] if node.named_children else None
            fn = call.child_by_field_name("function") if call is not None and (
                call.type == "call_expression") else None
            if fn is not None and text(fn) == f"{name}.Stop":
                return node
            continue
        stack.extend(node.named_children)
    return None


def _returned(call: Node) -> bool:
    """``return time.Tick(d)``: the channel is the caller's (a Clock-style wrapper)."""
    parent = call.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    return parent is not None and parent.type == "expression_list" and (
        parent.parent is not None and parent.parent.type == "return_statement")


def _stopped_by_owner(f: FileModel, target: Node, literal: Node) -> bool:
    """``t = time.NewTicker(d)`` in a function literal, into a variable of an enclosing
    function that calls ``t.Stop()`` somewhere (often in a deferred stop closure): the
    ticker is stored in that function's variable and is its to stop."""
    binding = f.binding(target)
    if binding is None or binding[2] >= literal.start_byte:
        return False  # declared in the literal itself: the literal's to stop
    owner = literal.parent
    while owner is not None and not (
        owner.type in _FUNCTIONS and owner.start_byte <= binding[2] < owner.end_byte
    ):
        owner = owner.parent
    body = owner.child_by_field_name("body") if owner is not None else None
    if body is None:
        return False
    name = text(target)
    return any(
        call.type == "call_expression" and text(call.child_by_field_name("function")) == (
            f"{name}.Stop") for call in _calls(body))


def _calls(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "call_expression":
            yield current
        stack.extend(current.named_children)


def _ranged_over(call: Node) -> Node | None:
    """The range clause when ``call`` is what a ``for range`` iterates over."""
    parent = call.parent
    if parent is not None and parent.type == "range_clause" and (
        parent.child_by_field_name("right") == call
    ):
        return parent
    return None


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [TickerLeak]
