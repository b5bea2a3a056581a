"""GL204 defer-in-loop: a ``defer`` that piles up once per iteration."""

from __future__ import annotations

import re

from ..deferholds import LOCK, WORK, acquisition, called_name, holds, lock_receiver
from ..flow import flows
from ..localtypes import expression_type
from ..loopexits import never_left
from ..loops import enclosing_loops, loop_header, repeating_loop
from ..model import FileModel, function_name
from ..openers import recognise_opener
from ..plugins import hookimpl
from ..rule import Gate, Rule, RuleContext, Tier
from ..scope import data_driven_loops, fixed_iterations, short_lived_tool
from ..syntax import Node, text, walk

PER_ITERATION_LOOP_VARS = (1, 22)  # Go 1.22 gives each iteration its own loop variables


class DeferInLoop(Rule):
    """## What it finds
    A `defer` inside the body of a `for` loop, at any depth of `if`, `switch`, `select` or
    plain blocks, but not inside a function literal (the literal's body is a call of its own),
    when the pending calls pile up into something worth fixing:
    - a deferred release of something held — `Close`, `Stop`, a `cancel` function,
      `Release`, `Rollback`, `Shutdown`, `DecRef` (by the called name; a deferred closure
      counts when it makes such a call) — once per iteration of a loop driven by data: a
      range over a slice, map or channel whose size the source does not fix, a `for { … }`,
      a count that is not a constant of at most 64 (`scope.data_driven_loops`);
    - a deferred `Unlock` of the same lock on every iteration (nothing in the lock's
      expression changes per iteration): the next iteration's `Lock` waits for it, a
      deadlock however few the iterations;
    - a deferred release of the element's own lock that the same iteration took, through
      the iteration variable (`for _, s := range shards { s.mu.Lock(); defer s.mu.Unlock()
      }`; `RLock`/`RUnlock`, `TryLock`, a semaphore's `Acquire`/`Release`), in a loop
      driven by data: every element's lock is held at once until the function returns,
      and a lock met twice deadlocks (an opt-in shape);
    - any deferred call, whatever it does, once per message of a range over a channel (also
      one typed by a type parameter whose constraint is a channel type, `func F[C ~chan E, E
      any](ch C)`): the defer list grows with a stream that may never end;
    - any deferred call, whatever it does, in a loop nothing leaves: a `for { … }` with no
      `return`, no `break` or `goto` out of it and no call that ends the function (`panic`,
      `os.Exit`, `log.Fatal`, `t.Fatal`): the deferred calls never run, and their records,
      with everything they capture, pile up for as long as the loop turns.

    **Opt-in shape.** A deferred release per element of a range or count over a collection
    is reported by default only when what it releases came from a known opener in the
    loop's body (GL201's list: `os.Open`/`Create`, `net.Dial`, `http.Get`/`Client.Do`,
    `db.Query`/`Begin`, …: a descriptor per element). Other resources over collections
    (readers made from something else, clients, `cancel` functions, a package's own
    constructors) were judged worth acting on 0.55 of the time (the domain is often a few
    hosts, servers or fixtures): they are reported only when GL204 is named
    (`--extend-select GL204`). Endless loops, channel streams and `b.N` loops stay default.

    It is silent when every path through the loop after the `defer` leaves the loop for good:
    a `return`, a `break` out of it (a labelled `break outer` leaves every loop up to `outer`),
    a `goto` to a label after it, or a call that never returns (`panic`, `os.Exit`,
    `log.Fatal`, `t.Fatal`): the `defer` then runs at most once per call. A loop with such a
    way out on some path only (`case <-done: return`, a labelled `break` out of a `select`, a
    `log.Fatal` on error) is not a loop nothing leaves: there the rules below decide. It is
    also silent for a guarded block that runs once (`if conn == nil { conn = dial(); defer
    conn.Close() }` with `conn` declared before the loop), and when the deferred call
    touches only the iteration variables (or a local bound to one, `c, ok :=
    v.(io.Closer)`) and values from before the loop, and the iteration took nothing that it
    releases: `for _, c := range closers { defer c.Close() }` releases each element at
    return on purpose, and so does `seg.IncRef(); defer seg.DecRef()` (a reference held on
    every element while the function reads them is what references are for). In a module
    older than Go 1.22, a deferred closure that captures the loop variable is reported even
    then: every call sees the variable's last value. A copy the body declares before the
    `defer` (`idx := i`, `c := c`) is a new variable per iteration: a closure capturing it
    is not reported.

    Silent as well, as nothing grows or the hold is the point (except in a loop nothing
    leaves, where every `defer` is reported, in tests and tools too):
    - a loop the source runs a fixed, small number of times: a range over a literal of up to
      64 elements or a table variable never written, `for i := 0; i < 3; i++`;
    - deferred work that holds nothing until it runs (`os.Remove`, `os.RemoveAll`,
      `Unmount`, `C.free`, restoring a variable or the environment, `wg.Done`, `recover`,
      logging) in a loop that is not a channel stream and has a way out;
    - one lock per element through a local (`l := lockFor(k); l.Lock(); defer l.Unlock()`),
      taken outside the loop (a loop that locks every shard, then one that defers every
      unlock), or a body that also unlocks the same lock by hand;
    - an element's lock kept for what the iteration read under it (`bms = append(bms,
      s.bitmap)`, merged after the loop), an element's lock taken in a test, or in a small
      fixed loop (`for _, s := range [...]*shard{hot, cold}`);
    - a resource the iteration keeps beyond itself: stored outside the loop (`conns =
      append(conns, c)`, `s.peers[id] = c`), sent, used by a goroutine the loop starts,
      itself or through a value declared with it or made from it (`kv, closeKV := open()`,
      `r := bufio.NewReader(c)`); or one nothing but the `defer` uses (a lock file, a
      connection opened to reach a server's limit);
    - a short-lived `package main` tool (no serve, accept, listen, tick or signal wait:
      `scope.short_lived_tool`): its process ends soon after the function returns.

    In test files (DESIGN's test policy) only loops that pile up by accident count: a range
    over data (files of a directory, zip entries, rows), a benchmark's `b.N` loop, or an
    endless loop deferring again something acquired before it. A test that counts to `n` or
    loops until a condition holds opens its `n` connections, streams or clients on purpose
    and keeps them to the end.

    ## Why it leaks
    A deferred call runs when the surrounding function returns, not when the loop iteration
    ends. `defer f.Close()` in a loop over a thousand files keeps a thousand descriptors open
    until the function returns (or fails with "too many open files" first); `defer
    rows.Close()` in a batch loop holds a database connection per batch; `defer mu.Unlock()`
    in a loop deadlocks on the second iteration. The deferred closures themselves, and
    everything they capture, also stay on the goroutine's defer list until then.

    ## Example
    ```go
    package files

    import (
    	"io"
    	"os"
    )

    func totalSize(paths []string) (int64, error) {
    	var total int64
    	for _, p := range paths {
    		f, err := os.Open(p)
    		if err != nil {
    			return 0, err
    		}
    		defer f.Close()
    		n, err := io.Copy(io.Discard, f)
    		if err != nil {
    			return 0, err
    		}
    		total += n
    	}
    	return total, nil
    }
    ```

    ## Use instead
    ```go
    package files

    import (
    	"io"
    	"os"
    )

    func totalSize(paths []string) (int64, error) {
    	var total int64
    	for _, p := range paths {
    		n, err := fileSize(p)
    		if err != nil {
    			return 0, err
    		}
    		total += n
    	}
    	return total, nil
    }

    func fileSize(p string) (int64, error) {
    	f, err := os.Open(p)
    	if err != nil {
    		return 0, err
    	}
    	defer f.Close()
    	return io.Copy(io.Discard, f)
    }
    ```
    A function literal called in place works too:
    `for … { func() { f := open(); defer f.Close(); … }() }`. Or close explicitly at the end
    of each iteration, on every path.

    ## Known limits
    - What a call holds is read from its name (`Close`, `Stop`, `cancel`, `Release`,
      `Unlock`…), not its type: a method named `closeScope` that pops a bookkeeping stack
      reads as a release, and a release under another name (`Free`, `Unsubscribe`,
      `LeaveGroup`) as work.
    - A loop over a small domain the source does not spell out (host interfaces, drive
      letters, the addresses of one DNS answer, a few configured peers or retries, a table
      built with `append` or filled in `init`) reads as driven by data and is reported.
    - A resource kept on purpose through a call the tool cannot see into (a constructor that
      stores it, a reader that a later write needs) reads as released at the end of its
      iteration and is reported.
    - A loop that runs once by its own logic (`for i := 0; i < 1; i++`, a `for` whose
      condition the body falsifies) is not recognised: only `return`, `break`, `goto` and calls
      that never return count as leaving it.
    - A loop nothing leaves is a `for { … }` read from the function's control-flow graph: a
      `for cond` whose condition never turns false is not one, and a `for { … }` left only
      through a helper of the package that always exits (`fatalf(…)` calling `os.Exit`) or a
      panic inside a called function reads as never left (calls of the package's own
      functions are taken to return).
    - A type parameter is read as a channel only when its constraint is one type term
      (`chan T`, `~chan E`, `interface{ ~chan int }`, the package's own such interface): a
      union of channel types sharing a core type (`chan int | ~chan int`) or another
      package's constraint is not resolved, and a range over it is not taken for a stream.
    - A `goto` to a label inside an enclosing loop is taken to repeat that loop.
    - Calls that never return are resolved through imports and receiver types (`os.Exit`
      under any import name, `testing.T`'s `Fatal*`/`FailNow`/`Skip*`, a logger's `Fatal*`);
      a method the package declares itself returns, whatever its name. Where the receiver's
      type cannot be told from syntax, `Fatal*`, `FailNow` and `SkipNow` are taken to end it.
    - An element's lock held until return is reported whether the hold is an accident or
      the point (a lock-all for a consistent view written as `Lock(); defer Unlock()` in one
      loop): the syntax does not tell them apart, unless the iteration keeps what it read
      under the lock. Only `Lock`/`Unlock`, `RLock`/`RUnlock`, `TryLock` and
      `Acquire`/`Release` on a receiver spelled the same pair up: a read lock released with
      `Unlock` (containers/storage's lock files), or an element's lock reached through a
      local (`l := lockFor(k)`, `sh := shards[i]`), is not reported.
    - The element-lock shape on the same real code: 3 findings, all 3 worth acting on
      (wireguard-go's `BindSetMark`/`BindUpdate` and a pion/webrtc receiver loop, each since
      changed upstream); the test and kept-data exemptions leave out 6 that read
      as deliberate (Go's `testing`, containers/storage, influxdb, two tests).
    - The loop-nothing-leaves and type-parameter shapes change nothing on that real code
      (no finding new or lost against main at 397248c, 105 before and after): both are rare
      in released code (of the `for {` bodies that open with a `defer` in both trees, only
      staticcheck's own test data, which is not analysed, has no way out); they come from
      the peers' suites (staticcheck SA5003 and SA9001, go-critic) and are not measured
      for precision.
    - Measured on real code (Go 1.19's standard library and 307 Debian Go source packages):
      103 findings where there were 914; of a seeded random sample of 30, read one by one,
      16 are worth acting on (0.53; before: 1 of 15). By shape, over the 71 findings read:
      endless loops, channel streams, `b.N` loops and captured loop variables 14 of 15; ranges
      and counts over collections 31 of 56. Most false ones are the three limits above: small
      domains read as data, resources kept through calls, tests whose count is set by their
      own fixtures (a three-server cluster, a slice made with a constant length).

    ## Peers
    gocritic `deferInLoop`, revive `defer` (`loop` option), staticcheck's SA9001 (a `defer`
    in a `range` over a channel) and SA5003 (a `defer` in an infinite loop, which "will never
    run"; goleaklint follows `break` to its target, so a `break` of an inner loop or `select`
    does not end the outer one). gocritic and revive report every `defer` in a loop, also one
    followed by `return` or `break` (which runs once); goleaklint follows the paths after the
    `defer` and stays silent then, and names the loop that repeats it (an inner loop that
    always breaks still repeats in its outer loop).
    """

    id = "GL204"
    name = "defer-in-loop"
    family = "resources"
    summary = "A defer inside a loop: what it releases is held until the function returns."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("resources", "leak", "defer")

    gate = Gate(mentions=(b"defer",))

    requires = (flows,)

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.flows = self.fact(flows)

    def visit_defer_statement(self, node: Node) -> None:
        if not enclosing_loops(node):
            return
        loop = repeating_loop(self.flows, self.walked, node)
        if loop is None:
            return
        endless = self._never_left(node, loop)
        if endless is not None and not self._deadlocks(node, loop):
            self._piles_up_forever(node, endless)
            return
        verdict = _releases_elements(self.walked, node, loop, self.package.go_version)
        if verdict == "":
            taken = acquisition(node, loop.child_by_field_name("body"))
            if taken is not None:
                self._held_per_element(node, loop, taken)
                return
        if verdict == "" and any(self._stream(lp) for lp in _loops_up_to(node, loop)):
            verdict = "all"  # the elements of a stream: the pending calls grow without end
        if verdict == "":
            return
        line = loop.start_point.row + 1
        where = f"`defer {_deferred(node)}` inside a loop (`{loop_header(loop)}`, line {line})"
        tier: Tier = "default"
        if verdict == "all":
            grown = self._growth(node, loop, where)
            if grown is None:
                return
            message, tier = grown
        else:
            message = (f"{where} captures the loop variable {verdict}: before Go 1.22 every "
                       f"deferred call sees its last value, and the other elements are never "
                       f"released; pass {verdict} as an argument")
        self.report(node, message, ((self.walked, loop, "the loop that runs the defer again"),),
                    tier=tier)

    def _never_left(self, defer: Node, loop: Node) -> Node | None:
        """The loop from ``loop`` outwards that nothing leaves (``loopexits.never_left``)
        and that brings control back to ``defer``, or None."""
        function = self.walked.innermost_function(defer)
        if function is None:
            return None
        cfg = self.flows.graph(function, self.walked)
        block = cfg.by_node.get(defer.id)
        for candidate in enclosing_loops(defer)[_loops_up_to(defer, loop).index(loop):]:
            if never_left(self.flows, self.walked, candidate) and (
                    candidate.id == loop.id
                    or (block is not None and cfg.comes_back(block, candidate))):
                return candidate
        return None

    def _deadlocks(self, defer: Node, loop: Node) -> bool:
        """The same lock deferred again on every iteration: the next ``Lock`` waits for it
        (reported as the deadlock it is, by ``_growth``)."""
        return holds(defer) == LOCK and not _varies(self.walked, defer, loop) and not (
            _unlocked_by_hand(self.walked, defer, loop))

    def _piles_up_forever(self, node: Node, loop: Node) -> None:
        """``for { defer println() }`` with no way out: whatever it defers, the calls never
        run and their records pile up for as long as the loop turns."""
        line = loop.start_point.row + 1
        message = (f"`defer {_deferred(node)}` inside a loop that never ends (`"
                   f"{loop_header(loop)}`, line {line}: no return, break or call that ends "
                   f"{_returner(node)}): the deferred calls never run and pile up, one per "
                   f"iteration, with everything they capture")
        self.report(node, message, ((self.walked, loop, "the loop nothing leaves"),))

    def _held_per_element(self, node: Node, loop: Node, taken: Node) -> None:
        """``for _, s := range shards { s.mu.Lock(); defer s.mu.Unlock() }``: the release is
        of the element, but what it releases the same iteration took (``taken``), so every
        element's lock stays held until the function returns. Reported for a loop driven by
        data (a small fixed loop locks a few named things together on purpose), outside tests
        (a lock held to the end of a test holds up nothing but the test), unless the iteration
        keeps what it read under the lock beyond itself (``bms = append(bms, s.bitmap)``,
        merged after the loop): the locks are then held until return on purpose."""
        if self.walked.is_test or _keeps_element(self.walked, node, loop, taken):
            return
        if not [lp for lp in data_driven_loops(node, self.walked, self.package)
                if lp.start_byte <= loop.start_byte and loop.end_byte <= lp.end_byte]:
            return
        method = called_name(taken)
        what, consequence = _HELD.get(method, _HELD["Acquire"])
        line = loop.start_point.row + 1
        message = (f"`defer {_deferred(node)}` inside a loop (`{loop_header(loop)}`, line {line}):"
                   f" each iteration's {what} (`{_deferred_text(taken)}`, line "
                   f"{taken.start_point.row + 1}) stays held until {_returner(node)} returns: "
                   f"{consequence}")
        self.report(node, message, ((self.walked, loop, "the loop that runs the defer again"),
                                    (self.walked, taken, f"the {what} each iteration takes")),
                    tier="opt-in")

    def _growth(self, node: Node, loop: Node, where: str) -> tuple[str, Tier] | None:
        """The message when the pending calls pile up into something worth fixing, else None:
        the same lock taken again (a deadlock, however few the iterations); a resource held per
        iteration of a loop driven by data and not kept on purpose (stored, sent, handed to a
        goroutine); any deferred call per iteration of an endless loop (the defer list grows
        until the function returns). With it the tier: a resource per element of a collection
        is an opt-in shape (judged 0.55: small host or configuration domains the syntax reads
        as data); endless loops, streams and ``b.N`` loops are default."""
        kind = holds(node)
        if kind == LOCK:
            if _varies(self.walked, node, loop) or _unlocked_by_hand(
                    self.walked, node, loop) or fixed_iterations(
                    loop, self.walked, self.package) in (0, 1):
                return None  # one lock per element, or balanced by hand in the body
            return (f"{where}: the next iteration locks it again before this deferred "
                    f"unlock runs at the return of {_returner(node)}, a deadlock", "default")
        outer = [lp for lp in data_driven_loops(node, self.walked, self.package)
                 if lp.start_byte <= loop.start_byte and loop.end_byte <= lp.end_byte]
        if self.walked.is_test:
            outer = [lp for lp in outer if self._test_accumulates(node, lp)]
        if not outer or self.package.facts.get(short_lived_tool):
            return None  # a small fixed loop (a test table, a literal list), a CLI's run
        if kind == WORK:
            if not any(self._stream(lp) for lp in outer):
                return None  # cleanup work done at return either way; nothing is held
        elif _kept(self.walked, node, loop):
            return None
        unbounded = any(self._endless(lp) or _benchmark_loop(lp) for lp in outer)
        default = unbounded or self._from_opener(node, loop)
        return (f"{where}: each iteration's {_what(node)} until {_returner(node)} returns",
                "default" if default else "opt-in")

    def _from_opener(self, defer: Node, loop: Node) -> bool:
        """The deferred call releases what a known opener (GL201's: files, connections,
        response bodies, SQL rows) returned in this loop's body: a descriptor per element."""
        call = next((c for c in defer.named_children if c.type != "comment"), None)
        fn = call.child_by_field_name("function") if call is not None else None
        if fn is None or fn.type != "selector_expression":
            return False
        root = _root(fn.child_by_field_name("operand") or fn)
        body = loop.child_by_field_name("body")
        if body is None or not root:
            return False
        found = self.walked.captures(_BINDINGS, body)
        for left, right in zip(found.get("left", []), found.get("right", []), strict=False):
            if right.start_byte < defer.start_byte and root in {
                    text(n) for n in left.named_children} and right.type == "call_expression" and (
                    recognise_opener(right, self.walked, self.package) is not None):
                return True
        return False

    def _test_accumulates(self, defer: Node, loop: Node) -> bool:
        """In a test, the loops whose pending defers pile up by accident: a range over data
        (files of a directory, rows, a table built at run time), a benchmark's ``b.N`` loop,
        or an endless loop deferring again something acquired before it. A test that counts
        up to ``n`` or loops until a condition holds opens its ``n`` connections, streams or
        clients on purpose (to fill a backlog, reach a limit) and keeps them to the end."""
        if any(c.type == "range_clause" for c in loop.named_children):
            return True
        if any(c.type == "for_clause" for c in loop.named_children):
            return _benchmark_loop(loop)
        if not self._endless(loop):
            return False
        body = loop.child_by_field_name("body")
        call = next((c for c in defer.named_children if c.type != "comment"), None)
        return body is not None and not (
            _identifiers(call) & (_declared_names(self.walked, body)
                                   | _assigned_names(self.walked, body)))

    def _endless(self, loop: Node) -> bool:
        """``for { … }`` or a range over a channel: no bound at all on the iterations."""
        parts = [c for c in loop.named_children if c.type != "comment"]
        return len(parts) == 1 or self._stream(loop)

    def _stream(self, loop: Node) -> bool:
        """A range over a channel: one iteration per message of a stream that may not end."""
        clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
        right = clause.child_by_field_name("right") if clause is not None else None
        if right is None:
            return False
        return expression_type(right, self.package, self.walked).kind == "chan"


_BINDINGS = """
(short_var_declaration left: (expression_list) @left right: (expression_list . (_) @right))
(assignment_statement left: (expression_list) @left right: (expression_list . (_) @right))
"""


def _benchmark_loop(loop: Node) -> bool:
    """``for i := 0; i < b.N; i++``: a benchmark's loop, run as many times as it takes."""
    clause = next((c for c in loop.named_children if c.type == "for_clause"), None)
    cond = clause.child_by_field_name("condition") if clause is not None else None
    bound = cond.child_by_field_name("right") if cond is not None else None
    return bound is not None and bound.type == "selector_expression" and text(
        bound.child_by_field_name("field")) == "N"


def _varies(f: FileModel, defer: Node, loop: Node) -> bool:
    """Whether the lock a deferred unlock releases can differ per iteration: its expression
    names an iteration variable or something declared or assigned in the loop."""
    receiver = lock_receiver(defer)
    call = next((c for c in defer.named_children if c.type != "comment"), None)
    expr = receiver if receiver is not None else (
        call.child_by_field_name("function") if call is not None else None)
    names = _identifiers(expr)
    body = loop.child_by_field_name("body")
    varying = set().union(*(_iteration_variables(lp) for lp in _loops_up_to(defer, loop)))
    if body is not None:
        varying |= _declared_names(f, body) | _assigned_names(f, body)
    return bool(names & varying)


def _unlocked_by_hand(f: FileModel, defer: Node, loop: Node) -> bool:
    """Whether the loop body also unlocks the same lock in a plain call (``mu.Unlock();
    defer mu.Lock()`` … ``mu.Lock(); defer mu.Unlock()``): the body balances it by hand."""
    receiver = lock_receiver(defer)
    body = loop.child_by_field_name("body")
    if receiver is None or body is None:
        return False
    spelled = text(receiver)
    for call in f.captures("(call_expression function: (selector_expression) @f)", body).get(
            "f", []):
        if text(call.child_by_field_name("field")) not in ("Unlock", "RUnlock"):
            continue
        if text(call.child_by_field_name("operand")) != spelled:
            continue
        statement = call.parent.parent if call.parent is not None else None
        if statement is not None and statement.type != "defer_statement":
            return True
    return False


def _keeps_element(f: FileModel, defer: Node, loop: Node, taken: Node) -> bool:
    """Whether the loop body keeps the element it locked (or what it reads from it) beyond
    the iteration: appended, sent, assigned to a variable from outside the loop or used by a
    goroutine (``bms = append(bms, other.bitmap)``)."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    iteration = set().union(*(_iteration_variables(lp) for lp in _loops_up_to(defer, loop)))
    iteration |= _aliases(f, body, iteration)
    call = next((c for c in defer.named_children if c.type != "comment"), None)
    element = _identifiers(call) & iteration
    local = _declared_names(f, body)
    return any(
        ident.type == "identifier" and text(ident) in element
        and not defer.start_byte <= ident.start_byte < defer.end_byte
        and not taken.start_byte <= ident.start_byte < taken.end_byte
        and _escapes(ident, body, local) for ident in walk(body))


def _kept(f: FileModel, defer: Node, loop: Node) -> bool:
    """Whether what the deferred call releases is kept beyond its iteration on purpose: a value
    declared in the loop body that is stored outside it (``conns = append(conns, c)``,
    ``s.peers[id] = c``), sent on a channel or used by a goroutine the loop starts, itself or
    through a value declared with it or from it (``kv, closeKV := open()``, ``r :=
    wrap(c)``); or one the iteration opens only to hold it (nothing but the ``defer`` uses it:
    a connection kept to reach a server's limit). Closing it at return is then the intended
    lifetime, not a leak."""
    body = loop.child_by_field_name("body")
    call = next((c for c in defer.named_children if c.type != "comment"), None)
    if body is None or call is None:
        return False
    local = _declared_names(f, body)
    roots = _identifiers(call) & local
    if not roots:
        return False
    declarations = f.captures("(short_var_declaration) @d", body).get("d", [])
    held = set(roots)
    for decl in declarations:  # declared together: ``kv, closeKV, err := open()``
        names = _left_names(decl)
        if names & roots:
            held |= names - {"_", "err"}
    uses = [n for n in walk(body) if n.type == "identifier" and text(n) in held
            and not defer.start_byte <= n.start_byte < defer.end_byte
            and not _in_left_side(n, declarations)]
    if not uses and not any(_identifiers(d.child_by_field_name("right")) & (local - held)
                            for d in declarations if _left_names(d) & roots):
        return True  # opened only to be held until return (not a wrapper of a local in use)
    # A wrapper made from it (``r := ipv4.NewRawConn(c)``, ``w := &conn{c}``) and stored as
    # it is keeps it too; data read from it (``b, err := io.ReadAll(f)``) is not the resource,
    # and neither is what is computed from that.
    wrappers = {name for decl in declarations if _wraps(decl, held)
                for name in _left_names(decl) - {"_", "err"}}
    for ident in walk(body):
        name = text(ident)
        if ident.type != "identifier" or name not in held | wrappers:
            continue
        if defer.start_byte <= ident.start_byte < defer.end_byte:
            continue
        if name in held and _escapes(ident, body, local):
            return True
        if name in wrappers and _stored_as_is(ident, body, local):
            return True
    return False


def _wraps(decl: Node, held: set[str]) -> bool:
    """``x := pkg.NewT(…, c, …)``, ``x := &T{c}``: a value built around a held one (a
    constructor, by its ``New…``/``Wrap…`` name; ``io.ReadAll(c)`` reads from it instead)."""
    right = decl.child_by_field_name("right")
    if right is None or right.named_child_count != 1 or _left_names(decl) & held:
        return False
    value = right.named_children[0]
    if value.type == "call_expression":
        args = value.child_by_field_name("arguments")
        return _CONSTRUCTOR.match(called_name(value)) is not None and args is not None and any(
            a.type == "identifier" and text(a) in held for a in args.named_children)
    return value.type in ("composite_literal", "unary_expression") and bool(
        _identifiers(value) & held)


_CONSTRUCTOR = re.compile(r"(New|new|Wrap|wrap)(?![a-z])")
_AS_IS = frozenset({"literal_element", "keyed_element", "literal_value", "composite_literal",
                    "unary_expression", "parenthesized_expression", "expression_list"})


def _stored_as_is(ident: Node, body: Node, local: set[str]) -> bool:
    """``rs = append(rs, r)``, ``rs = append(rs, &entry{r})``, ``out <- r``: the value itself
    is kept outside the iteration, not something computed from it."""
    child, parent = ident, ident.parent
    while parent is not None and parent.type in _AS_IS:
        child, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "argument_list":
        call = parent.parent
        return call is not None and text(call.child_by_field_name("function")) == "append"
    if parent.type == "send_statement":
        return parent.child_by_field_name("value") == child
    return False


def _left_nodes(decl: Node) -> list[Node]:
    left = decl.child_by_field_name("left")
    return list(left.named_children) if left is not None else []


def _left_names(decl: Node) -> set[str]:
    return {text(n) for n in _left_nodes(decl)}


def _in_left_side(ident: Node, declarations: list[Node]) -> bool:
    parent = ident.parent
    return parent is not None and parent.type == "expression_list" and any(
        decl.child_by_field_name("left") == parent for decl in declarations)


def _escapes(ident: Node, body: Node, local: set[str]) -> bool:
    child, parent = ident, ident.parent
    while parent is not None and parent.id != body.id:
        kind = parent.type
        if kind == "go_statement":
            return True
        if kind == "send_statement" and parent.child_by_field_name("value") == child:
            return True
        if kind == "argument_list" and parent.parent is not None and text(
                parent.parent.child_by_field_name("function")) == "append":
            return True
        if kind == "assignment_statement" and text(
                parent.child_by_field_name("operator")) == "=" and parent.child_by_field_name(
                "right") == child:
            left = parent.child_by_field_name("left")
            targets = left.named_children if left is not None else []
            if any(_root(t) not in local for t in targets if text(t) != "_"):
                return True
        child, parent = parent, parent.parent
    return False


def _root(expr: Node) -> str:
    """``s`` of ``s.peers[id]``, ``conns`` of ``conns[i]``, ``p`` of ``*p``."""
    while expr.named_child_count and expr.type in (
            "selector_expression", "index_expression", "unary_expression",
            "parenthesized_expression"):
        expr = (expr.child_by_field_name("operand") or expr.named_children[0])
    return text(expr)


def _loops_up_to(defer: Node, loop: Node) -> list[Node]:
    loops = []
    for candidate in enclosing_loops(defer):
        loops.append(candidate)
        if candidate.id == loop.id:
            break
    return loops


def _assigned_names(f: FileModel, node: Node) -> set[str]:
    found = f.captures(_ASSIGNED, node)
    return {text(n) for nodes in found.values() for n in nodes}


_ASSIGNED = """
(assignment_statement left: (expression_list (identifier) @n))
"""


def _releases_elements(f: FileModel, defer: Node, loop: Node,
                       go_version: tuple[int, int] | None) -> str:
    """``for _, c := range closers { defer c.Close() }``: the deferred call touches only the
    iteration variables and values from before the loop, nothing the iteration acquired.
    Releasing every element of a collection at return is deliberate, not a leak.  Before
    Go 1.22 a deferred closure that captures the loop variable sees only its last value:
    that one is still reported (the other elements are never released).

    Returns "" when the defer is deliberate, "all" when it holds what each iteration
    acquired, or the name of the captured loop variable.
    """
    call = next((c for c in defer.named_children if c.type != "comment"), None)
    if call is None:
        return "all"
    loops = []
    for candidate in enclosing_loops(defer):
        loops.append(candidate)
        if candidate.id == loop.id:
            break
    iteration = set().union(*(_iteration_variables(lp) for lp in loops))
    if not iteration:
        return "all"
    body = loop.child_by_field_name("body")
    if body is not None:
        iteration |= _aliases(f, body, iteration)
    local = (_declared_names(f, body) if body is not None else set()) - iteration
    fn = call.child_by_field_name("function")
    literal = fn is not None and fn.type == "func_literal"
    # A deferred closure: the names its body uses (minus its own), and its arguments.
    inside = _identifiers(fn) - _declared_names(f, fn) if fn is not None and literal else set()
    used = inside | _identifiers(call.child_by_field_name("arguments") if literal else call)
    if not used & iteration or used & local:
        return "all"
    old_loop_vars = go_version is not None and tuple(go_version) < PER_ITERATION_LOOP_VARS
    shared = _shared_loop_variables(f, defer, loops, inside) if literal and old_loop_vars else []
    return shared[0] if shared else ""


def _shared_loop_variables(f: FileModel, defer: Node, loops: list[Node],
                           captured: set[str]) -> list[str]:
    """The names among ``captured`` that are a loop header's own variables at the ``defer``,
    shared by every iteration before Go 1.22: not a copy the body declares before it
    (``idx := i``, ``tc := tc``), which is a fresh variable per iteration."""
    shared = []
    for loop in loops:
        body = loop.child_by_field_name("body")
        for name in sorted(_iteration_variables(loop) & captured):
            if body is None or not _redeclared_before(f, body, name, defer):
                shared.append(name)
    return sorted(shared)


def _redeclared_before(f: FileModel, body: Node, name: str, node: Node) -> bool:
    """Whether ``body`` declares ``name`` again before ``node``, in a block around it."""
    found = f.captures(_REDECLARED, body)
    for decl in found.get("short", []) + found.get("var", []):
        if decl.start_byte >= node.start_byte:
            continue
        names = _left_names(decl) if decl.type == "short_var_declaration" else {
            text(n) for spec in decl.named_children if spec.type == "var_spec"
            for n in spec.children_by_field_name("name")}
        scope = decl.parent
        if name in names and scope is not None and (
                scope.start_byte <= node.start_byte < scope.end_byte):
            return True
    return False


_REDECLARED = """
(short_var_declaration) @short
(var_declaration) @var
"""


def _aliases(f: FileModel, body: Node, iteration: set[str]) -> set[str]:
    """Names the loop body binds to an iteration variable itself: ``store := s``, ``tc :=
    tc``, ``c, ok := v.(io.Closer)``: still the element, not something the iteration made."""
    names: set[str] = set()
    for decl in f.captures("(short_var_declaration) @d", body).get("d", []):
        left, right = decl.child_by_field_name("left"), decl.child_by_field_name("right")
        if left is None or right is None or right.named_child_count != 1:
            continue
        value = right.named_children[0]
        if value.type == "type_assertion_expression":
            value = value.child_by_field_name("operand") or value
        if value.type == "identifier" and text(value) in iteration | names:
            first = left.named_children[0] if left.named_child_count else None
            if first is not None:
                names.add(text(first))
    return names


def _identifiers(node: Node | None) -> set[str]:
    return {text(n) for n in walk(node) if n.type == "identifier"} if node is not None else set()


def _iteration_variables(loop: Node) -> set[str]:
    """Names a ``for`` header declares: range variables, a ``for i := …`` counter."""
    names: set[str] = set()
    for child in loop.named_children:
        if child.type == "range_clause" and b":=" in (child.text or b""):
            left = child.child_by_field_name("left")
            names |= {text(n) for n in (left.named_children if left is not None else [])}
        elif child.type == "for_clause":
            init = child.child_by_field_name("initializer")
            if init is not None and init.type == "short_var_declaration":
                left = init.child_by_field_name("left")
                names |= {text(n) for n in (left.named_children if left is not None else [])}
    return names - {"_"}


def _declared_names(f: FileModel, node: Node) -> set[str]:
    """Every name declared under ``node`` (``:=``, ``var``, parameters, range variables)."""
    found = f.captures(_DECLARED, node)
    return {text(n) for nodes in found.values() for n in nodes} - {"_"}


_DECLARED = """
(short_var_declaration left: (expression_list (identifier) @n))
(var_spec name: (identifier) @n)
(parameter_declaration name: (identifier) @n)
(range_clause left: (expression_list (identifier) @n))
(receive_statement left: (expression_list (identifier) @n))
(type_switch_statement alias: (expression_list (identifier) @n))
"""


def _deferred(defer: Node) -> str:
    """The deferred call on one short line (a closure's body elided)."""
    call = next((c for c in defer.named_children if c.type != "comment"), None)
    if call is None:
        return "…"
    fn = call.child_by_field_name("function")
    raw = text(call)
    if fn is not None and fn.type == "func_literal" and ("\n" in raw or len(raw) > 50):
        return "func() {…}()"
    shown = " ".join(raw.split())
    if len(shown) <= 50:
        return shown
    return f"{' '.join(text(fn).split())[:40]}(…)" if fn is not None else shown[:49] + "…"


# What a paired acquisition holds, for the message, and what holding every iteration's at
# once does (a sync lock taken twice by one goroutine never returns).
_ALL = "the loop ends up holding all of them at once"
_HELD: dict[str, tuple[str, str]] = {
    "Lock": ("lock", f"{_ALL}, and a lock met twice deadlocks"),
    "TryLock": ("lock", _ALL), "lock": ("lock", _ALL),
    "RLock": ("read lock", f"{_ALL}, and their writers wait until then"),
    "TryRLock": ("read lock", f"{_ALL}, and their writers wait until then"),
    "rlock": ("read lock", _ALL),
    "Acquire": ("acquisition", _ALL), "TryAcquire": ("acquisition", _ALL),
}


def _deferred_text(call: Node) -> str:
    """A call on one short line."""
    shown = " ".join(text(call).split())
    return shown if len(shown) <= 50 else shown[:49] + "…"


def _what(defer: Node) -> str:
    """What stays pending: a released resource reads differently from any deferred call."""
    call = next((c for c in defer.named_children if c.type != "comment"), None)
    fn = call.child_by_field_name("function") if call is not None else None
    method = text(fn.child_by_field_name("field")) if fn is not None and (
        fn.type == "selector_expression") else ""
    name = text(fn) if fn is not None and fn.type == "identifier" else ""
    if name.lower().endswith("cancel"):
        return "context stays alive"
    if method in ("Close", "Stop", "Release", "Rollback", "Cancel", "Free", "Flush", "Shutdown"):
        return "resource stays held"
    if method in ("Unlock", "RUnlock"):
        return "lock stays held"
    return "deferred call stays pending"


def _returner(node: Node) -> str:
    parent = node.parent
    while parent is not None:
        if parent.type == "func_literal":
            return "the enclosing function literal"
        if parent.type in ("function_declaration", "method_declaration"):
            return function_name(parent) or "the function"
        parent = parent.parent
    return "the function"


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [DeferInLoop]
