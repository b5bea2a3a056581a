"""GL302 ncast-send: N goroutines send on a channel that holds fewer than N while the parent
reads less."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..channels import Goroutine, Made, enclosing_loop, escapes, receives
from ..constants import const_int
from ..flow import Block, find_escape
from ..goroutinerule import GoroutineRule, outside
from ..loopexits import early_exits, is_endless
from ..model import FileModel, Package
from ..noreturn import GOROUTINE, call_ends
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
    a collector goroutine, or senders that `select` on `ctx.Done()` or `default`. A send in
    a function literal the goroutine hands on (a handler given to `Subscribe`, `OnEvent`…)
    is not one of its sends: the literal runs when, and as often as, someone else decides,
    so a callback that is in fact called on the spot is missed; literals called on the spot,
    deferred or started with `go` are followed.
    A channel the parent hands on is not reported: returned, stored, or passed to a function
    that may receive from it (another package's, an interface method, a function value, or
    one of the package's that receives from it, closes it or hands it on, followed through
    its calls); one only handed to the package's functions that read `len`/`cap` of it or
    send on it stays the parent's.
    A short-lived `package main` tool (one that never serves, accepts, listens, ticks or waits
    for signals: a CLI or generator) is not reported, except in code its tests call: the
    blocked senders end with the process soon after.
    A receive loop that leaves early counts as one receive. The message states what was
    counted: "up to N goroutines" when a goroutine can end without sending, the receives
    outside loops as "at most k times" with their lines, and a receive loop that can leave
    early by its line and the line it leaves at. Which goroutines pass a condition before
    their send is not followed: when only one of them can (`if d != target { return }`) and
    the parent always receives once, the finding is false.
    One leak, one finding: the sends of one goroutine on one channel are reported once, at
    the first, with the others as related locations. Goroutines started past an
    unconditional `t.Skip*` (or a `return`), or in a test helper only such code calls,
    never start: silent; a skip under a condition
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
                sent = [s for s in self.unguarded_sends(g, inner) if _run_by(s, g.body)]
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
                receipt = self._receives(function, name, loop, starts, file)
                if receipt is None:
                    continue  # the parent receives N times
                taken = receipt.taken
                n = count[1] if count[0] == "const" and isinstance(count[1], int) else None
                if n is not None and buffer + taken >= n:
                    continue
                shown_n = str(n) if n is not None else (
                    f"len({count[1]})" if count[0] == "range" else str(count[1]))
                every = self._every_path_sends(g, sent)
                who = f"{shown_n} goroutines send" if every else f"up to {shown_n} goroutines send"
                held = "is unbuffered" if buffer == 0 else f"buffers {buffer}"
                if not every:
                    held += " (each goroutine can also end without sending)"
                if every and n is not None and not receipt.loops:
                    left = n - buffer - taken
                    fate = f"at least {left} of them block{'s' if left == 1 else ''} forever"
                else:
                    fate = ("a sender past those the parent receives blocks forever" if (
                        buffer == 0) else "a sender past those the buffer holds and the "
                        "parent receives blocks forever")
                # One leak, one finding: at the first send, the goroutine's others related.
                body = g.source  # the goroutine's function may be in another file
                others = tuple((body, s, "another send on the channel") for s in sent[1:])
                started = ((file, g.statement, "the goroutines are started here"),) if (
                    body is not file) else ()
                self.report(sent[0], f"{who} on {name}, which {held}; the parent "
                            f"{receipt.describe(file, body is not file)}: {fate}",
                            started + others, file=body)

    def _every_path_sends(self, g: Goroutine, sent: list[Node]) -> bool:
        """Every path of the goroutine's body reaches one of ``sent`` (none returns, or ends
        the goroutine, before sending)."""
        function = g.body.parent if g.body is not None else None
        if function is None:
            return True
        source, package = g.source, self.package
        cfg = self.flows.graph(function, source)
        sending = {id(b) for s in sent if (b := cfg.block_of(s, through_literals=True))}

        def ends_goroutine(b: Block) -> bool:
            node = b.node
            return node is not None and node.type == "expression_statement" and (
                call_ends(node.named_children[0] if node.named_child_count else None,
                          source, package) == GOROUTINE)

        return find_escape(cfg, cfg.entry, releases=lambda b: id(b) in sending,
                           leaves=ends_goroutine) is None

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

    def _receives(self, function: Node, name: str, loop: Node, starts: list[Node],
                  f: FileModel) -> _Receipt | None:
        """Where the parent receives a bounded number of times (None: as many as there are
        senders)."""
        body = function.child_by_field_name("body")
        if body is None:
            return None
        receipt = _Receipt()
        for r in receives(f, body, name):
            if not outside(r, starts):
                continue
            if loop.start_byte <= r.start_byte < loop.end_byte:
                return None  # received in the same loop: once per goroutine started
            if r.type == "range_clause":
                return None  # drains the channel
            inner_loop = enclosing_loop(r, function)
            if inner_loop is not None:
                if is_endless(inner_loop):
                    return None  # a receive loop that runs to the end: assume it drains
                leaving = early_exits(self.flows, f, inner_loop)
                if not leaving:
                    return None
                # Leaves early (first response wins): counted as one receive.
                receipt.loops.setdefault(inner_loop.id, (inner_loop, leaving[0]))
                receipt.in_loops += 1
                continue
            receipt.direct.append(r)
        return receipt


@dataclass
class _Receipt:
    """The parent's bounded receives: outside any loop (each runs at most once), and in
    loops that can leave before every sender is received (each receive there counts once,
    as the rule decides)."""

    direct: list[Node] = field(default_factory=list)
    loops: dict[int, tuple[Node, Node]] = field(default_factory=dict)  # loop, first exit
    in_loops: int = 0

    @property
    def taken(self) -> int:
        return len(self.direct) + self.in_loops

    def describe(self, f: FileModel, named: bool) -> str:
        """How the parent (of file ``f``, ``named`` when the finding is in another file)
        receives, for the message."""
        at = f"{f.path.name}:" if named else "line "
        parts = []
        if self.direct:
            lines = sorted({f.position(r.start_byte)[0] for r in self.direct})
            times = "once" if len(self.direct) == 1 else f"{len(self.direct)} times"
            where = ", ".join(str(n) for n in lines)
            plural = "lines " if len(lines) > 1 and not named else at
            parts.append(f"receives from it at most {times} ({plural}{where})")
        for inner_loop, leaving in self.loops.values():
            parts.append(f"receives from it in the loop at {at}"
                         f"{f.position(inner_loop.start_byte)[0]}, which can leave at line "
                         f"{f.position(leaving.start_byte)[0]} before every sender is received")
        return " and ".join(parts) if parts else "never receives from it"


def _run_by(send: Node, body: Node) -> bool:
    """``send`` runs in the goroutine whose body is ``body``: every function literal between
    them is called on the spot (plain, ``defer`` or ``go``), none handed on as a callback
    (``js.Subscribe(subject, func(m *Msg) { errc <- … })`` runs when someone else decides)."""
    node = send.parent
    while node is not None and node.id != body.id:
        if node.type == "func_literal":
            call = node.parent
            while call is not None and call.type == "parenthesized_expression":
                call = call.parent
            fn = call.child_by_field_name("function") if (
                call is not None and call.type == "call_expression") else None
            if fn is None or fn.start_byte != node.start_byte:
                return False
        node = node.parent
    return True


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
