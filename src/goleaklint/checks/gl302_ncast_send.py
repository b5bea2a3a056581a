"""GL302 ncast-send: N goroutines send on a channel that holds fewer than N while the parent
reads less."""

from __future__ import annotations

from ..channels import Made, enclosing_loop, escapes, receives
from ..constants import const_int
from ..goroutinerule import GoroutineRule, outside
from ..loopexits import is_endless, leaves_early
from ..model import FileModel, Package
from ..paramchannels import param_channels
from ..plugins import hookimpl
from ..rule import Rule
from ..scope import fixed_iterations, short_lived_tool
from ..syntax import Node, text


class NCastSend(GoroutineRule):
    """## What it finds
    N goroutines started in a loop that each send on a channel whose buffer is smaller than N,
    while the parent receives fewer than N times: first-response-wins, or a timeout.

    ## Why it leaks
    Only as many senders as the buffer holds plus the receives the parent makes can finish;
    every other sender blocks forever, keeping its stack and whatever it references. Request
    hedging and "query all replicas, take the first answer" leak N-1 goroutines per call.

    ## Example
    ```go
    package search

    func First(replicas []func() string) string {
    	ch := make(chan string)
    	for _, r := range replicas {
    		go func(r func() string) {
    			ch <- r()
    		}(r)
    	}
    	return <-ch
    }
    ```

    ## Use instead
    ```go
    package search

    func First(replicas []func() string) string {
    	ch := make(chan string, len(replicas))
    	for _, r := range replicas {
    		go func(r func() string) {
    			ch <- r()
    		}(r)
    	}
    	return <-ch
    }
    ```

    ## Known limits
    N is fixed when the source fixes the loop's count (a constant bound, a range over a
    literal, a string or a test table never written: `scope.fixed_iterations`), else it comes
    from data (the length of what the loop ranges over, a variable bound). A buffer the tool
    cannot compare with N is taken as sufficient: a variable, the length of another
    collection, or a constant of two or more against an N from data; a buffer of one (or
    none) against an N from data is not. So
    is a parent that receives in a loop over the same collection without leaving it early,
    a collector goroutine, or senders that `select` on `ctx.Done()` or `default`.
    A channel the parent hands on is not reported: returned, stored, or passed to a function
    that may receive from it (another package's, an interface method, a function value, or
    one of the package's that receives from it, closes it or hands it on, followed through
    its calls); one only handed to the package's functions that read `len`/`cap` of it or
    send on it stays the parent's.
    A short-lived `package main` tool (one that never serves, accepts, listens, ticks or waits
    for signals: a CLI or generator) is not reported, except in code its tests call: the
    blocked senders end with the process soon after.
    One leak, one finding: the sends of one goroutine on one channel are reported once, at
    the first, with the others as related locations. Goroutines started past an
    unconditional `t.Skip*` (or a `return`) never start: silent; a skip under a condition
    (`if testing.Short() { t.Skip() }`) keeps the rest live.

    ## Peers
    No static linter in common use; uber-go/goleak finds these at test time.
    """

    id = "GL302"
    name = "ncast-send"
    family = "goroutines"
    summary = "N goroutines send on a channel that holds fewer than N while the parent reads less."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("goroutines", "leak", "channels")
    requires = (*GoroutineRule.requires, short_lived_tool, param_channels)

    def check_function(self, function: Node, file: FileModel) -> None:
        facts = self.parent_facts(function, file)
        if facts is None or self.dies_with_the_tool(function, file):
            return
        made, gs, starts = facts
        for g in gs:
            loop = g.in_loop
            if loop is None or g.body is None:
                continue
            count = _loop_count(loop, self.package, file)
            if count is None:
                continue
            for name, inner in g.names.items():
                channel = made.get(name)
                if channel is None or channel.statement.start_byte > loop.start_byte or (
                    loop.start_byte <= channel.statement.start_byte < loop.end_byte
                ):
                    continue
                sent = self.unguarded_sends(g, inner)
                if not sent:
                    continue
                buffer = self._buffer(channel, count, file)
                if buffer is None:
                    continue  # enough, or not comparable
                if escapes(file, function, name, starts, self.fact(param_channels)) or (
                        self.collected(gs, g, name)):
                    continue
                if receives(g.source, g.body, inner):
                    continue  # the goroutines hand values to each other
                taken = self._receives(function, name, loop, count, starts, file)
                if taken is None:
                    continue  # the parent receives N times
                n = count[1] if count[0] == "const" and isinstance(count[1], int) else None
                if n is not None and buffer + taken >= n:
                    continue
                shown_n = str(n) if n is not None else (
                    f"len({count[1]})" if count[0] == "range" else str(count[1]))
                # One leak, one finding: at the first send, the goroutine's others related.
                body = g.source  # the goroutine's function may be in another file
                others = tuple((body, s, "another send on the channel") for s in sent[1:])
                started = ((file, g.statement, "the goroutines are started here"),) if (
                    body is not file) else ()
                self.report(sent[0], f"{shown_n} goroutines send on {name}, which buffers "
                            f"{buffer} and is received {taken} time(s): the other senders "
                            "block forever", started + others, file=body)

    def _buffer(self, channel: Made, count: tuple[str, object], f: FileModel) -> int | None:
        """The constant buffer size, or None when it is enough or cannot be compared."""
        if channel.buffer is None:
            return 0
        size = const_int(self.package, f, channel.buffer)
        if size is None:
            return None
        if count[0] == "const" and isinstance(count[1], int):
            return None if size >= count[1] else size
        # N comes from data: a buffer of more than one was sized for it (it cannot be
        # compared); a buffer of one holds the first sender only.
        return None if size > 1 else size

    def _receives(self, function: Node, name: str, loop: Node, count: tuple[str, object],
                  starts: list[Node], f: FileModel) -> int | None:
        """How many times the parent receives (None: as many as there are senders)."""
        body = function.child_by_field_name("body")
        if body is None:
            return None
        taken = 0
        for r in receives(f, body, name):
            if not outside(r, starts):
                continue
            if loop.start_byte <= r.start_byte < loop.end_byte:
                return None  # received in the same loop: once per goroutine started
            if r.type == "range_clause":
                return None  # drains the channel
            inner_loop = enclosing_loop(r, function)
            if inner_loop is not None:
                if is_endless(inner_loop) or not leaves_early(self.flows, f, inner_loop):
                    return None  # a receive loop that runs to the end: assume it drains
                taken += 1  # leaves early (first response wins): fewer than N
                continue
            taken += 1
        return taken


def _loop_count(loop: Node, pkg: Package, f: FileModel) -> tuple[str, object] | None:
    """How many iterations: ("range", collection text) or ("const", n) / ("expr", text)."""
    fixed = fixed_iterations(loop, f, pkg)
    if fixed is not None:
        return ("const", fixed)
    for child in loop.named_children:
        if child.type == "range_clause":
            right = child.child_by_field_name("right")
            if right is not None and right.type == "composite_literal":
                body = right.child_by_field_name("body")
                if body is not None:  # for _, n := range []string{"udp4", "udp6"}
                    return ("const", sum(1 for e in body.named_children if e.type != "comment"))
            n = const_int(pkg, f, right) if right is not None else None
            if n is not None:
                return ("const", n)  # Go 1.22: for i := range 3
            return ("range", text(right)) if right is not None else None
        if child.type == "for_clause":
            cond = child.child_by_field_name("condition")
            if cond is None or cond.type != "binary_expression":
                return None
            op = text(cond.child_by_field_name("operator"))
            bound = cond.child_by_field_name("right")
            if op not in ("<", "<=") or bound is None:
                return None
            spelled = text(bound)
            if spelled.startswith("len(") and spelled.endswith(")"):
                return ("range", spelled[4:-1])
            n = const_int(pkg, f, bound)
            if n is not None:
                return ("const", n + 1 if op == "<=" else n)
            return ("expr", spelled)
    return None


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [NCastSend]
