"""GL205 time-after-in-loop: a new timer per iteration of a select loop, before Go 1.23."""

from __future__ import annotations

import re

from ..flow import flows
from ..loops import loop_header, repeating_loop
from ..model import Package, resolve_selector
from ..plugins import hookimpl
from ..rule import Gate, Rule, RuleContext
from ..scope import data_driven_loops, fixed_iterations, small_fixed_loop
from ..syntax import Node, text

TIME_AFTER = "time.After"
FIXED_IN = (1, 23)  # Go 1.23 collects timers that nothing references any more
# In a test, timers that expire matter only by the thousand (a table of 100 cases with a
# one-second guard each is not worth a change).
MANY_TIMERS_IN_TESTS = 1000


class TimeAfterInLoop(Rule):
    """## What it finds
    `time.After(d)` (through any import name of `time`, dot imports included) received from
    in a `case` of a `select` that a loop runs again, in a package whose module says
    `go 1.22` or older in its nearest `go.mod`, or that has no `go.mod` above it (pre-modules
    code), or the `go-version` setting. The `select` may
    sit at any depth of blocks in the loop's body, but not across a function literal. It is
    silent when the loop cannot come back to the `select` once another case has won (every
    other case returns or breaks out): a timer then only outlives a `select` that ends the
    loop.

    ## Why it leaks
    Each evaluation of `time.After(d)` creates a timer and a channel. Before Go 1.23 the
    runtime keeps that timer, and everything it holds, until it fires, even when another case
    of the `select` won and nothing will ever receive from its channel. An event loop that
    waits with `case <-time.After(30 * time.Second):` and handles thousands of messages a
    second keeps hundreds of thousands of live timers: memory grows and the timer heap slows
    the scheduler. From Go 1.23 (a module saying `go 1.23` or later) unreferenced timers are
    collected and the pattern is harmless.

    ## Example
    ```go
    package events

    import "time"

    type Event struct{ Name string }

    func consume(events <-chan Event, handle func(Event)) {
    	for {
    		select {
    		case ev := <-events:
    			handle(ev)
    		case <-time.After(30 * time.Second):
    			return
    		}
    	}
    }
    ```

    ## Use instead
    ```go
    package events

    import "time"

    type Event struct{ Name string }

    func consume(events <-chan Event, handle func(Event)) {
    	idle := time.NewTimer(30 * time.Second)
    	defer idle.Stop()
    	for {
    		select {
    		case ev := <-events:
    			handle(ev)
    			if !idle.Stop() {
    				<-idle.C
    			}
    			idle.Reset(30 * time.Second)
    		case <-idle.C:
    			return
    		}
    	}
    }
    ```
    When the deadline is for the whole loop rather than per message, create it once:
    `timeout := time.After(d)` before the loop and `case <-timeout:` inside it. Or raise the
    module's `go` directive to 1.23 or later.

    ## Known limits
    - Code with no `go.mod` above it (GOPATH-era code) predates modules: it is taken to be
      older than Go 1.23 and reported (the `go-version` setting overrides this, as it overrides
      a go.mod's directive). A `go.mod` without a usable `go` line: a current Go is assumed and
      nothing is reported.
    - Only `case <-time.After(…)` and `case v := <-time.After(…)` count; a `time.After` channel
      built in the loop, stored in a variable and received from in the `select` is not followed.
    - A loop that runs a small number of times fixed by the source (a range over a literal of
      a few elements, `for i := 0; i < 3; i++`, at most 64), with no data-driven loop around
      it, is silent: a few timers per call, as a `select` outside a loop leaves.
    - In test code (`_test.go`) it reports only a loop that runs 1,000 times or more by a
      count fixed in the source (or one inside such a loop, function literals included): a
      test's own events are few and each timer is gone once it fires, so the timeout guards
      of a test's receive loops are not reported (nor a table of 100 cases with a one-second
      guard each, nor a `for { select … }` that the test's events end).
    - A case that receives from `ctx.Done()` (any `X.Done()`) or from a channel named as a
      stop signal (`stop`, `stopCh`, `quit`, `shutdown`, `closing`, `s.stopping` …), its value
      not kept, counts as leaving the loop: a channel closed to say stop wins every later
      select at once. A channel named `done` is not taken for one (it often carries one value
      per job).
    - Otherwise a loop that ends by its own logic (a counter, a condition the body falsifies)
      is taken to repeat; a short duration is reported like a long one, though fewer timers
      are then alive at once.

    ## Peers
    No mainstream linter reports this (go vet and staticcheck do not; some gocritic-style
    custom rules and code reviews catch it). goleaklint reports it only for modules below
    Go 1.23, where it leaks, and only when a case other than the timer can bring the loop
    back to the `select`.
    """

    id = "GL205"
    name = "time-after-in-loop"
    family = "resources"
    summary = ("time.After in a select inside a loop: each iteration's timer lives until it "
               "fires (before Go 1.23).")
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("resources", "leak", "timer")

    gate = Gate(imports=("time",))
    requires = (flows,)

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.flows = self.fact(flows)
        version = self.package.runtime_go_version  # about Go releases before 1.23
        self.relevant = version is not None and tuple(version) < FIXED_IN

    @classmethod
    def applies_to(cls, package: Package) -> bool:
        version = package.runtime_go_version
        return version is not None and tuple(version) < FIXED_IN

    def visit_select_statement(self, node: Node) -> None:
        if not self.relevant:
            return
        clauses = [c for c in node.named_children if c.type in ("communication_case",
                                                                "default_case")]
        for i, clause in enumerate(clauses):
            call = self._time_after(clause)
            if call is None:
                continue
            # The timer outlives the select when another case wins; does the loop come back?
            others = [c for j, c in enumerate(clauses) if j != i and not _stop_signal(c)]
            loop = repeating_loop(self.flows, self.walked, node, others)
            if loop is None or not self._accumulates(loop):
                continue
            self.report(
                call,
                f"`{_short(call)}` in a select inside a loop (`{loop_header(loop)}`, line "
                f"{loop.start_point.row + 1}): each iteration that another case wins leaves a "
                f"timer alive until it fires ({self._release()}); create the timer "
                "once, before the loop",
                ((self.walked, loop, "the loop that evaluates time.After again"),),
            )

    def _accumulates(self, loop: Node) -> bool:
        """Whether the timers ``loop`` leaves behind can pile up (DESIGN: a leak is growth).

        Not when ``loop`` and every loop around it in its function run a small number of
        times fixed by the source (a few timers per call, like a select outside a loop). In
        test code, only when ``loop`` or a loop around it (past function literals) runs
        ``MANY_TIMERS_IN_TESTS`` times or more, fixed by the source: a test's own events are
        few, and each timer is gone once it fires.
        """
        assert self.file is not None
        f, pkg = self.file, self.package
        if small_fixed_loop(loop, f, pkg) and not data_driven_loops(loop, f, pkg):
            return False
        if not f.is_test:
            return True
        node: Node | None = loop
        while node is not None and node.type not in ("function_declaration",
                                                      "method_declaration"):
            if node.type == "for_statement" and (fixed_iterations(node, f, pkg) or 0) >= (
                MANY_TIMERS_IN_TESTS
            ):
                return True
            node = node.parent
        return False

    def _release(self) -> str:
        """Why the Go release is older than 1.23: the go directive, or no go.mod at all."""
        if self.package.go_version is None:
            return "no go.mod: pre-modules code, older than Go 1.23"
        major, minor = self.package.go_version
        return f"go {major}.{minor} < 1.23"

    def _time_after(self, clause: Node) -> Node | None:
        """The ``time.After(…)`` call a ``case <-time.After(…)`` receives from."""
        comm = clause.child_by_field_name("communication")
        if comm is None:
            return None
        if comm.type == "receive_statement":
            comm = comm.child_by_field_name("right")
        while comm is not None and comm.type == "parenthesized_expression":
            comm = comm.named_children[0] if comm.named_child_count else None
        if comm is None or comm.type != "unary_expression" or text(
            comm.child_by_field_name("operator")
        ) != "<-":
            return None
        call = comm.child_by_field_name("operand")
        while call is not None and call.type == "parenthesized_expression":
            call = call.named_children[0] if call.named_child_count else None
        if call is None or call.type != "call_expression":
            return None
        assert self.file is not None
        if resolve_selector(self.file, call, self.package) != TIME_AFTER:
            return None
        return call


# A channel closed to say "stop": once it wins a select it wins every later one at once, so a
# loop that comes back from it ends soon after (or spins, which is another bug).
_STOP_NAME = re.compile(
    r"(?i)^(stop|stopping|stopped|quit|quitting|shutdown|shuttingdown|closing|closed|close"
    r"|exit|exiting|kill|die|dying|term|terminate|cancel|cancelled|canceled)(ch|c|chan)?$")


def _stop_signal(clause: Node) -> bool:
    """``case <-ctx.Done():`` or ``case <-stopCh:`` (a stop, quit, shutdown, closing … channel
    by its name), its value not kept."""
    comm = clause.child_by_field_name("communication")
    if comm is not None and comm.type == "receive_statement":
        if comm.child_by_field_name("left") is not None:
            return False  # `v := <-ch`: a channel of values
        comm = comm.child_by_field_name("right")
    if comm is None or comm.type != "unary_expression" or text(
        comm.child_by_field_name("operator")
    ) != "<-":
        return False
    channel = comm.child_by_field_name("operand")
    if channel is None:
        return False
    if channel.type == "call_expression":
        fn = channel.child_by_field_name("function")
        arguments = channel.child_by_field_name("arguments")
        return fn is not None and fn.type == "selector_expression" and text(
            fn.child_by_field_name("field")) == "Done" and (
            arguments is not None and arguments.named_child_count == 0)
    if channel.type == "selector_expression":
        channel = channel.child_by_field_name("field")
    return channel is not None and channel.type in ("identifier", "field_identifier") and (
        _STOP_NAME.match(text(channel)) is not None)


def _short(call: Node) -> str:
    shown = " ".join(text(call).split())
    return shown if len(shown) <= 50 else shown[:48] + "…)"


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [TimeAfterInLoop]
