"""GL301 blocked-goroutine-send: a goroutine sends on an unbuffered channel the parent can
return without reading."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from ..channels import Goroutine, Made, closes, enclosing_loop, escapes
from ..constants import const_int
from ..flow import CFG, Block, Escape, find_escape
from ..goroutinerule import GoroutineRule
from ..helpersends import HelperSend, helper_sends
from ..model import FileModel, Package, function_name
from ..noreturn import GOROUTINE, call_ends
from ..paramchannels import param_channels
from ..plugins import hookimpl
from ..rule import Rule, Tier
from ..scope import fixed_iterations, short_lived_tool
from ..sendpaths import UNBOUNDED, most_sends
from ..singletons import started_for_the_process
from ..syntax import Node, text

# The tier of a send found only by following the channel into the package's functions the
# parent hands it to (issue 14, shape 6).
CALLEE_TIER: Tier = "default"
# The tier of a goroutine stranded only by what it sends through the package's functions it
# hands the channel to (``reply(ch, v)``; issue 14, shape 6): one site on the standard library
# and Debian's Go packages, judged not worth changing.
HELPER_TIER: Tier = "opt-in"


def _shown(function: Node) -> str:
    name = function_name(function)
    return name if name else "the enclosing function"


class BlockedGoroutineSend(GoroutineRule):
    """## What it finds
    A goroutine, started once, that sends on an unbuffered channel made by the function that
    started it, while that function has a path that returns without receiving from it: an
    early return on error, or a `select` whose timeout or `ctx.Done()` case returns.

    ## Why it leaks
    A send on an unbuffered channel blocks until someone receives. Once the parent has
    returned nobody ever will: the goroutine, its stack and everything it references stay in
    memory for the life of the process. This is the most common goroutine leak in services
    (a timeout around a call that keeps running in the background).

    ## Example
    ```go
    package rpc

    import (
    	"errors"
    	"time"
    )

    func CallWithTimeout(call func() string, d time.Duration) (string, error) {
    	ch := make(chan string)
    	go func() {
    		ch <- call()
    	}()
    	select {
    	case v := <-ch:
    		return v, nil
    	case <-time.After(d):
    		return "", errors.New("timeout")
    	}
    }
    ```

    ## Use instead
    ```go
    package rpc

    import (
    	"errors"
    	"time"
    )

    func CallWithTimeout(call func() string, d time.Duration) (string, error) {
    	ch := make(chan string, 1)
    	go func() {
    		ch <- call()
    	}()
    	select {
    	case v := <-ch:
    		return v, nil
    	case <-time.After(d):
    		return "", errors.New("timeout")
    	}
    }
    ```

    ## Known limits
    - Only channels made in the parent function are followed; a channel returned, stored or
      passed to a function that may receive from it has other receivers and is not reported.
      A function of the package (a method, through a pointer or not, or a literal called on
      the spot) is looked into, through the calls it makes in turn: one that only reads
      `len`/`cap` of the channel or sends on it (a metrics or logging helper) keeps it the
      parent's; one that receives from it on any path, closes it, or hands it on (stores,
      returns, captures it in a goroutine or passes it further) is taken to receive; the
      package's own `func close(…)` (or `len`, `cap`) shadows the builtin and is one. Another
      package's function, an interface method, a function value, a variadic parameter, a
      function declared once per build (`x_linux.go`, `x_other.go`), and calls nested deeper
      than a few levels or recursive through the channel may receive.
    - A send inside a `select` with `default` or a `ctx.Done()`/quit case cannot block
      forever. A buffer is enough when it holds the most sends one path of the goroutine
      makes: branches are alternatives and a `return` ends the count, so
      `if err != nil { c <- err; return }; c <- v` on a channel of one is silent; a loop
      multiplies its sends by its count when the source fixes it (`for i := 0; i < 3; i++`,
      a range over a literal), and a send in a loop of unknown count is taken as unbounded.
      A branch guarded to run once over the loop (`if !sent { sent = true; … }`, or
      `if err == nil { err = f(); if err != nil { c <- err } }`, the guard written nowhere
      else in the loop) counts once. A buffer the tool cannot size (a variable) is taken as
      enough. The message states the
      channel's real capacity.
    - A goroutine that sends exactly once on one of several channels is satisfied by the
      parent receiving once from any of them.
    - A receive inside a loop covers the loop (running no iteration is not taken as a way
      out) unless an iteration can pass it by and then leave the loop (a `return` or
      `break` before the receive) or go round through a `select`'s timeout, ticker,
      `ctx.Done()` or `default` case: a retry or poll that gives up after its count or
      deadline. Going round by a `continue`, or by a case on another channel, is taken to
      come back to the receive, and so is every iteration of a loop whose condition its body
      sets (`for !done`, `case ok = <-ch`): iterations are not counted.
    - **Opt-in shape.** A goroutine that sends through a function of the package it hands the
      channel to (`reply(ch, v)`, `s.publish(errc, err)`, a method `go s.worker(ch)` runs that
      calls one): the callee (a function, a method or a literal called on the spot, followed
      through the calls it makes in turn) must do nothing with the channel but send, and make
      at least one plain send (not in a `select` with `default` or a quit case). The call is
      reported, the callee's send is a related location, and one call counts as the most sends
      one run of the callee makes (a send in a loop: unbounded). A callee that also receives,
      closes or hands the channel on, one recursive through it, declared once per build or
      nested deeper than a few calls, and a goroutine that itself receives from the channel or
      hands it on, leave the goroutine's sends through helpers unknown: silent. Found at one
      site of the standard library and Debian's Go packages, judged not worth changing (the
      goroutine waited on a channel the parent closes before its first send): reported only
      when GL301 is named (`--extend-select GL301`). A goroutine its own sends already strand
      is reported at its send, as always.
    - **Opt-in shape.** A parent that ends the goroutine (`t.Fatal*`, `b.Fatal`…) inside a loop
      that otherwise receives on every iteration, when nothing else strands the sender, was
      judged worth fixing 3 times in 8 on real code (the goroutine is often parked elsewhere,
      or the buffer is in fact large enough): it is reported only when GL301 is named
      (`--extend-select GL301`).
    - The message says how the parent leaves: the `return`, the timeout case that returns,
      or, when the case falls through, the case and the return (or the end of the body)
      after it. It does not know that a later statement panics.
    - Receivers the parent does not show are assumed: a receive in a function literal the
      parent hands on (a callback; `t.Run`'s subtest runs in place and counts as the parent),
      another goroutine that passes the channel on (in a struct, to a function that may
      receive), or a channel the goroutine closes when its sends are done
      (`defer close(done)`) that the parent waits on: the tool cannot tell when these run,
      so it stays silent.
    - A goroutine started once per process (by `main.main`, `init`, a package-level
      `sync.Once`, a plugin constructor registered at start-up, or behind a package-level
      "already started" guard; outside a loop driven by data) is not reported outside tests:
      what it strands does not grow. This is the question GL303 and GL304 ask too.
    - One leak, one finding: a goroutine that can block on several sends of one channel is
      reported once, at its first send, with the others as related locations.
    - Goroutines started in a loop on a channel made before it are GL302's. A loop that
      makes a fresh channel each time round and starts a goroutine on it is a parent and
      child per iteration: leaving, or going round to the next channel, without receiving
      strands that iteration's sender.
    - In tests, as everywhere: a parent that leaves through `t.Fatal*`, `t.FailNow`,
      `t.SkipNow` or `runtime.Goexit` strands the sender like a `return` (the goroutine
      outlives the test, and goroutine-leak checks such as goleak fail the suite). `os.Exit`,
      `log.Fatal*` and `panic` end the process: nothing is left behind. A goroutine started
      past an unconditional `t.Skip*` (or a `return`), or in a test helper only such code
      calls, never starts: silent; a skip under a
      condition (`if testing.Short() { t.Skip() }`) keeps the rest live.
    - A short-lived `package main` tool (one that never serves, accepts, listens, ticks or
      waits for signals: a CLI or generator) is not reported, except in code its tests call:
      a stranded goroutine ends with the process soon after.

    ## Peers
    No static linter in common use; uber-go/goleak finds these at test time, Go's goroutine
    leak profile in production.
    """

    id = "GL301"
    name = "blocked-goroutine-send"
    family = "goroutines"
    summary = "A goroutine sends on an unbuffered channel the parent can return without reading."
    level = "warning"
    tags = ("goroutines", "leak", "channels")
    requires = (*GoroutineRule.requires, short_lived_tool, param_channels, helper_sends)

    def check_function(self, function: Node, file: FileModel) -> None:
        facts = self.parent_facts(function, file)
        if facts is None or self.dies_with_the_tool(function, file):
            return
        made, gs, starts = facts
        for g in gs:
            if g.body is None or self._once(g, file):
                continue
            # A goroutine started in a loop is GL302's, unless the loop makes a fresh channel
            # each time round: then each iteration is a parent and its child.
            mine = {name: inner for name, inner in g.names.items() if name in made and (
                g.in_loop is None or _same(enclosing_loop(made[name].statement, function),
                                           g.in_loop))}
            group = {name: self.unguarded_sends(g, inner) for name, inner in mine.items()}
            helped = {name: self._helper_sends(g, inner) for name, inner in mine.items()}
            senders = {name for name in mine if group[name] or helped[name]}
            for name in senders:
                sent, calls = group[name], helped[name]
                capacity = self._capacity(made[name], sent, g, file) if sent else None
                if capacity is None:  # stranded only through the helpers, if at all
                    sent = sorted(sent + [c.call for c in calls], key=lambda n: n.start_byte)
                    capacity = self._capacity(made[name], sent, g, file, calls)
                else:
                    calls = []
                if capacity is None:
                    continue
                callees = self.fact(param_channels)
                if escapes(file, function, name, starts, callees) or self.collected(
                        gs, g, name) or self.passed_on(gs, g, name, callees):
                    continue
                # Kept in the parent only by looking into the functions it is handed to?
                # Asked once there is a finding.
                followed = partial(self._followed, file, function, name, starts, gs, g)
                # A channel the goroutine closes when it is done with its sends: the parent
                # that receives from it has waited for them.
                closed = {outer for outer, inner in g.names.items()
                          if closes(g.source, g.body, inner)}
                self._check_path(function, file, g, starts, senders | closed, made[name],
                                 sent, capacity, followed, calls)

    def _helper_sends(self, g: Goroutine, inner: str) -> list[HelperSend]:
        """The goroutine's calls that send on ``inner`` through functions of the package
        (none when the goroutine also receives from the channel or hands it on)."""
        if g.body is None or g.body.parent is None:
            return []
        found = self.fact(helper_sends).of_body(g.source, g.body.parent, inner, closing=True)
        return found.calls if found is not None else []

    def _followed(self, file: FileModel, function: Node, name: str, starts: list[Node],
                  gs: list[Goroutine], g: Goroutine) -> bool:
        """The channel stays the parent's only because the functions it is handed to were
        looked into: without them it would leave."""
        return escapes(file, function, name, starts, pkg=self.package) or self.passed_on(
            gs, g, name)

    def _once(self, g: Goroutine, file: FileModel) -> bool:
        """The goroutine starts once per process (``singletons.started_for_the_process``):
        what it strands does not grow. Tests keep the rule."""
        return not file.is_test and started_for_the_process(self.package, file, g.statement)

    def _check_path(self, function: Node, file: FileModel, g: Goroutine, starts: list[Node],
                    group: set[str], made: Made, sent: list[Node], capacity: str,
                    followed: Callable[[], bool], calls: list[HelperSend]) -> None:
        """Report ``sent`` when the parent can leave, or go round its loop to a fresh
        channel, without receiving."""
        cfg = self.flows.graph(function, file)
        start = cfg.block_of(g.statement)
        if start is None:
            return
        package = self.package

        def leaves(b: Block) -> bool:
            return _goroutine_end(b, file, package) is not None

        received = self.receive_blocks(cfg, function, group, starts, g.statement, file)
        if received is None:
            return
        remade = cfg.block_of(made.statement) if g.in_loop is not None else None

        def search(releasing: set[int], ending: bool = True) -> Escape | None:
            return find_escape(cfg, start, releases=lambda b: id(b) in releasing,
                               dead_edge=received.trusted_exit, lost=lambda b: b is remade,
                               leaves=leaves if ending else lambda b: False)

        escape = search(received.blocks)
        if escape is None:
            return
        # Stranded only by ending the goroutine (`t.Fatal`) inside a loop whose receive it
        # passes by, where taking the loop as receiving leaves no way out: an opt-in shape.
        skipped = received.skipped
        heads = {id(cfg.loop_heads[loop.id]) for loop in skipped} | received.heads
        tier: Tier = "opt-in" if search(received.blocks | heads) is None and search(
            received.blocks, ending=False) is None else "default"
        where, why = _stranding(escape, cfg, file, package)
        # Out of a loop whose receive an iteration can pass by: say so.
        passed = {id(b) for b in escape.path}
        out = escape.via.node if escape.via is not None else None
        by = next((loop for loop in skipped if id(cfg.loop_heads.get(loop.id)) in passed and (
            out is None or not loop.start_byte <= out.start_byte < loop.end_byte)), None)
        note = (f": an iteration of the loop at line {file.position(by.start_byte)[0]} can "
                "skip the receive") if by is not None else ""
        related = ((file, escape.via.node, why),) if (
            escape.via is not None and escape.via.node is not None) else ()
        # One leak, one finding: at the first send, the goroutine's others related.
        body = g.source  # the goroutine's function may be in another file of the package
        others = tuple((body, s, "another send on the channel") for s in sent[1:])
        more = f" (and {len(others)} more in the goroutine)" if others else ""
        started = ((file, g.statement, "the goroutine is started here"),) if (
            body is not file) else ()
        # Through a helper: the call is reported, the send it makes is related.
        helper = next((c for c in calls if c.call.id == sent[0].id), None)
        what = "this send"
        inside: tuple[tuple[FileModel, Node, str], ...] = ()
        if helper is not None:
            function_node = helper.call.child_by_field_name("function")
            channel = made.name if g.literal else g.names.get(made.name, made.name)
            held = _shown(helper.holder) if helper.holder.type != "func_literal" else (
                "the function literal")
            what = (f"this call to {text(function_node)} sends on {channel} (line "
                    f"{helper.file.position(helper.send.start_byte)[0]} of {held}){more} and")
            more = ""
            inside = ((helper.file, helper.send, "the send the call makes"),)
        if calls and tier == "default":
            tier = HELPER_TIER
        self.report(sent[0], f"{what}{more} blocks forever: {capacity} and "
                    f"{_shown(function)} {where} without receiving from it{note}",
                    related + inside + started + others, file=body,
                    tier=CALLEE_TIER if tier == "default" and followed() else tier)

    def _capacity(self, made: Made, sent: list[Node], g: Goroutine, f: FileModel,
                  calls: Sequence[HelperSend] = ()) -> str | None:
        """Why the buffer cannot hold the sends (for the message), or None when it can."""
        if made.buffer is None:
            return f"{made.name} is unbuffered"
        size = const_int(self.package, f, made.buffer)
        if size is None:
            return None  # a buffer we cannot size: assume it fits
        assert g.body is not None
        package, own = self.package, g.source  # the body's calls resolve in its own file
        weights = {c.call.id: c.count for c in calls}
        most = most_sends(g.body, {s.id for s in sent if s.id not in weights},
                          ends=lambda call: call_ends(call, own, package) is not None,
                          iterations=lambda loop: fixed_iterations(loop, own, package),
                          calls=weights)
        if size >= most:
            return None
        if most >= UNBOUNDED:
            return f"{made.name} holds {size} and the goroutine sends on it in a loop"
        return f"{made.name} holds {size} and the goroutine can send {most} times"


def _same(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and a.id == b.id


def _goroutine_end(b: Block, f: FileModel, pkg: Package) -> Node | None:
    """The call of ``b`` that ends only the goroutine (``t.Fatal``, ``runtime.Goexit``)."""
    node = b.node
    if node is None or node.type != "expression_statement" or not node.named_child_count:
        return None
    call = node.named_children[0]
    return call if call_ends(call, f, pkg) == GOROUTINE else None


def _stranding(escape: Escape, cfg: CFG, f: FileModel, pkg: Package) -> tuple[str, str]:
    """How the parent leaves (for the message) and what the related location shows: a
    timeout/ctx.Done case, a return, a call that ends the test, or the next iteration. A case
    is said to return only when the way out is in its clause; one that falls through is named
    as what the path went through before it left."""
    via = escape.via
    line = f.position(via.node.start_byte)[0] if via is not None and via.node else None
    if escape.end is not cfg.exit and escape.end is not cfg.noreturn and line is not None:
        return (f"makes a fresh channel at line {line} on the next iteration",
                "the next iteration replaces the channel")
    ending = _goroutine_end(via, f, pkg) if via is not None else None
    how = f"can end at `{text(ending.child_by_field_name('function'))}` (line {line})" if (
        ending is not None) else ""
    for b in escape.path:
        if b.kind == "case" and b.node is not None and b.node.type == "receive_statement":
            spelled = text(b.node)
            if "After(" in spelled or "Done()" in spelled or ".C" in spelled:
                case = f"the `{spelled.strip()}` case at line {f.position(b.node.start_byte)[0]}"
                clause = b.node.parent
                inside = via is not None and via.node is not None and clause is not None and (
                    clause.start_byte <= via.node.start_byte < clause.end_byte)
                if ending is not None:
                    return (f"{how} {'in' if inside else 'after'} {case}",
                            "ends the goroutine without receiving")
                if inside:
                    return f"returns through {case}", "returns without receiving"
                if line is not None:
                    return f"can return at line {line} after {case}", "returns without receiving"
                return f"can reach its end after {case}", "returns without receiving"
    if ending is not None:
        return how, "ends the goroutine without receiving"
    if line is not None:
        return f"can return at line {line}", "returns without receiving"
    return "can return", "returns without receiving"


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [BlockedGoroutineSend]
