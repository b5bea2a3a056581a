"""Goroutine rules: GL301-GL304, goroutines blocked forever or never told to stop."""

from __future__ import annotations

from pathlib import Path

from ..channels import (
    Goroutine,
    Made,
    closes,
    enclosing_loop,
    escapes,
    goroutines,
    guarded_send,
    is_quit_receive,
    made_channels,
    receives,
    sends,
)
from ..facts import package_fact
from ..flow import CFG, Block, find_escape, flows
from ..localtypes import expression_type
from ..model import FUNCTION_NODES, FileModel, Package, function_name
from ..plugins import hookimpl
from ..rule import Gate, Rule
from ..sizes import const_int
from ..syntax import Node, captures, learn, text

_GO_STATEMENTS = learn("(go_statement) @g")  # asked of every file


def _functions_with_go(f: FileModel) -> list[Node]:
    """Functions (declarations and literals) that contain a ``go`` statement of their own."""
    found: dict[int, Node] = {}
    for stmt in captures(_GO_STATEMENTS, f.root).get("g", []):
        parent = f.innermost_function(stmt)
        if parent is not None:
            found.setdefault(parent.id, parent)
    return sorted(found.values(), key=lambda n: n.start_byte)


def _in_loop_of(node: Node, body: Node) -> bool:
    """Whether ``node`` sits in a ``for`` inside ``body`` (so it may run many times)."""
    parent = node.parent
    while parent is not None and parent.id != body.id:
        if parent.type == "for_statement":
            return True
        if parent.type in FUNCTION_NODES:
            return False
        parent = parent.parent
    return False


def _outside(node: Node, statements: list[Node]) -> bool:
    return not any(s.start_byte <= node.start_byte < s.end_byte for s in statements)


def _shown(function: Node) -> str:
    name = function_name(function)
    return name if name else "the enclosing function"


@package_fact()
def functions_with_go(pkg: Package) -> dict[Path, list[Node]]:
    """The functions of each file that start goroutines, by file path: a memo filled on
    first question, shared by the four goroutine rules."""
    return {}


class _GoroutineRule(Rule):
    """Shared: per-file list of functions that start goroutines, and flow graphs."""

    requires = (flows, functions_with_go)
    gate = Gate(mentions=(b"go",))  # the keyword: no go statement without it

    def __init__(self, context) -> None:
        super().__init__(context)
        self.flows = self.fact(flows)

    def begin_file(self, file: FileModel) -> None:
        for function in self._functions_with_go(file):
            self.check_function(function, file)

    def _functions_with_go(self, file: FileModel) -> list[Node]:
        """``_functions_with_go`` of the file, found once for the four goroutine rules."""
        cache = self.fact(functions_with_go)
        found = cache.get(file.path)
        if found is None:
            found = cache[file.path] = _functions_with_go(file)
        return found

    def check_function(self, function: Node, file: FileModel) -> None:
        raise NotImplementedError

    def parent_facts(self, function: Node, file: FileModel
                     ) -> tuple[dict[str, Made], list[Goroutine], list[Node]] | None:
        """The channels ``function`` makes, the goroutines it starts and their ``go``
        statements; None when it makes no channel."""
        made = made_channels(function)
        if not made:
            return None
        gs = goroutines(function, file, self.package)
        return made, gs, [g.statement for g in gs]

    def unguarded_sends(self, g: Goroutine, inner: str) -> list[Node]:
        if g.body is None:
            return []
        return [s for s in sends(g.body, inner) if not guarded_send(s)]

    def receive_blocks(self, cfg: CFG, function: Node, names: set[str],
                       others: list[Node], start: Node) -> set[int] | None:
        """Blocks of the parent that receive from one of ``names`` (not in goroutines).

        None when a deferred receive registered before ``start`` covers every exit.
        """
        body = function.child_by_field_name("body")
        blocks: set[int] = set()
        for name in names:
            for r in receives(body, name) if body is not None else []:
                if not _outside(r, others):
                    continue
                if _deferred_before(r, start):
                    return None
                b = cfg.block_of(r, through_literals=True)
                if b is not None:
                    blocks.add(id(b))
                # A receive loop is taken to run at least once: its head counts too.
                loop = enclosing_loop(r, function)
                head = _loop_head(cfg, loop) if loop is not None else None
                if head is not None:
                    blocks.add(id(head))
        return blocks

    def collected(self, gs: list[Goroutine], g: Goroutine, name: str) -> bool:
        """Another goroutine of the parent receives from the channel (a collector)."""
        for other in gs:
            inner = other.names.get(name)
            if other is not g and inner and other.body is not None and receives(other.body, inner):
                return True
        return False


class BlockedGoroutineSend(_GoroutineRule):
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
      passed to another function may have other receivers and is not reported.
    - A send inside a `select` with `default` or a `ctx.Done()`/quit case cannot block
      forever. A buffer at least as large as the number of sends is enough.
    - A goroutine that sends exactly once on one of several channels is satisfied by the
      parent receiving once from any of them.
    - Goroutines started in a loop are GL302's.

    ## Peers
    No static linter in common use; uber-go/goleak finds these at test time, Go's goroutine
    leak profile in production.
    """

    id = "GL301"
    name = "blocked-goroutine-send"
    family = "goroutines"
    summary = "A goroutine sends on an unbuffered channel the parent can return without reading."
    level = "warning"
    precision = "high"
    tags = ("goroutines", "leak", "channels")

    def check_function(self, function: Node, file: FileModel) -> None:
        facts = self.parent_facts(function, file)
        if facts is None:
            return
        made, gs, starts = facts
        for g in gs:
            if g.in_loop is not None or g.body is None:
                continue
            group = {name: self.unguarded_sends(g, inner) for name, inner in g.names.items()
                     if name in made}
            group = {name: s for name, s in group.items() if s}
            for name, sent in group.items():
                if self._enough_buffer(made[name], sent, g, file):
                    continue
                if escapes(function, name, starts) or self.collected(gs, g, name):
                    continue
                cfg = self.flows.graph(function, file)
                start = cfg.block_of(g.statement)
                if start is None:
                    continue
                received = self.receive_blocks(cfg, function, set(group), starts, g.statement)
                if received is None:
                    continue
                escape = find_escape(cfg, start, releases=lambda b, r=received: id(b) in r)
                if escape is None:
                    continue
                where = _stranding(escape.path, escape.via, file)
                related = ((file, escape.via.node, "returns without receiving"),) if (
                    escape.via is not None and escape.via.node is not None) else ()
                for send in sent:
                    self.report(send, f"this send blocks forever: {name} is unbuffered and "
                                f"{_shown(function)} {where} without receiving from it",
                                related, file=file)

    def _enough_buffer(self, made: Made, sent: list[Node], g: Goroutine, f: FileModel) -> bool:
        if made.buffer is None:
            return False
        size = const_int(self.package, f, made.buffer)
        if size is None:
            return True  # a buffer we cannot size: assume it fits
        assert g.body is not None
        if any(_in_loop_of(s, g.body) and not _then_returns(s) for s in sent):
            return False
        terminal = {s.id for s in sent if _then_returns(s)}
        most = _most_sends(g.body, {s.id for s in sent} - terminal) + (1 if terminal else 0)
        return size >= most


def _then_returns(send: Node) -> bool:
    """``ch <- err; return``: a send in a loop that leaves right after it runs once."""
    following = send.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    return following is not None and following.type == "return_statement"


def _loop_head(cfg: CFG, loop: Node) -> Block | None:
    """The condition block of a ``for`` statement in ``cfg``."""
    for child in loop.named_children:
        if child.type == "for_clause":
            cond = child.child_by_field_name("condition")
            return cfg.block_of(cond) if cond is not None else None
        if child.type != "comment" and child != loop.child_by_field_name("body"):
            return cfg.block_of(child)
    return None


def _deferred_before(receive: Node, start: Node) -> bool:
    """A receive in a ``defer`` that is registered before ``start`` on its way: it runs on
    every exit after ``start``."""
    parent = receive.parent
    while parent is not None and parent.type != "defer_statement":
        if parent.type in ("function_declaration", "method_declaration"):
            return False
        parent = parent.parent
    if parent is None or parent.start_byte > start.start_byte:
        return False
    block = parent.parent  # the statement list holding the defer
    return block is not None and block.start_byte <= start.start_byte < block.end_byte


def _most_sends(node: Node, sends: set[int]) -> int:
    """The most of ``sends`` one execution can perform (branches of if/switch/select are
    alternatives; statements in sequence add up)."""
    if node.id in sends:
        return 1
    kind = node.type
    children = [c for c in node.named_children if c.type != "comment"]
    if kind in FUNCTION_NODES:
        return 0  # a nested function literal runs on its own schedule
    if kind in ("select_statement", "expression_switch_statement", "type_switch_statement"):
        return max((_most_sends(c, sends) for c in children), default=0)
    if kind == "if_statement":
        cond = [node.child_by_field_name(n) for n in ("initializer", "condition")]
        head = sum(_most_sends(c, sends) for c in cond if c is not None)
        branches = [node.child_by_field_name(n) for n in ("consequence", "alternative")]
        return head + max((_most_sends(b, sends) for b in branches if b is not None), default=0)
    return sum(_most_sends(c, sends) for c in children)


def _stranding(path: list[Block], via: Block | None, f: FileModel) -> str:
    """How the parent leaves: through a timeout/ctx.Done case, or a return at a line."""
    for b in path:
        if b.kind == "case" and b.node is not None and b.node.type == "receive_statement":
            spelled = text(b.node)
            if "After(" in spelled or "Done()" in spelled or ".C" in spelled:
                line = f.position(b.node.start_byte)[0]
                return f"returns through the `{spelled.strip()}` case at line {line}"
    if via is not None and via.node is not None:
        return f"can return at line {f.position(via.node.start_byte)[0]}"
    return "can return"


class NCastSend(_GoroutineRule):
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
    N is a constant, or the length of what the loop ranges over. A buffer the tool cannot
    compare with N (a variable, the length of another collection) is taken as sufficient; so
    is a parent that receives in a loop over the same collection without leaving it early,
    a collector goroutine, or senders that `select` on `ctx.Done()` or `default`.

    ## Peers
    No static linter in common use; uber-go/goleak finds these at test time.
    """

    id = "GL302"
    name = "ncast-send"
    family = "goroutines"
    summary = "N goroutines send on a channel that holds fewer than N while the parent reads less."
    level = "warning"
    precision = "high"
    tags = ("goroutines", "leak", "channels")

    def check_function(self, function: Node, file: FileModel) -> None:
        facts = self.parent_facts(function, file)
        if facts is None:
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
                if escapes(function, name, starts) or self.collected(gs, g, name):
                    continue
                if receives(g.body, inner):
                    continue  # the goroutines hand values to each other
                taken = self._receives(function, name, loop, count, starts, file)
                if taken is None:
                    continue  # the parent receives N times
                n = count[1] if count[0] == "const" else None
                if n is not None and buffer + taken >= n:
                    continue
                shown_n = str(n) if n is not None else (
                    f"len({count[1]})" if count[0] == "range" else str(count[1]))
                for send in sent:
                    self.report(send, f"{shown_n} goroutines send on {name}, which buffers "
                                f"{buffer} and is received {taken} time(s): the other senders "
                                "block forever", file=file)

    def _buffer(self, channel: Made, count: tuple[str, object], f: FileModel) -> int | None:
        """The constant buffer size, or None when it is enough or cannot be compared."""
        if channel.buffer is None:
            return 0
        size = const_int(self.package, f, channel.buffer)
        if size is None:
            return None
        if count[0] == "const" and isinstance(count[1], int) and size >= count[1]:
            return None
        return size

    def _receives(self, function: Node, name: str, loop: Node, count: tuple[str, object],
                  starts: list[Node], f: FileModel) -> int | None:
        """How many times the parent receives (None: as many as there are senders)."""
        body = function.child_by_field_name("body")
        if body is None:
            return None
        taken = 0
        for r in receives(body, name):
            if not _outside(r, starts):
                continue
            if loop.start_byte <= r.start_byte < loop.end_byte:
                return None  # received in the same loop: once per goroutine started
            if r.type == "range_clause":
                return None  # drains the channel
            inner_loop = enclosing_loop(r, function)
            if inner_loop is not None:
                if _is_endless(inner_loop) or not _leaves_early(inner_loop):
                    return None  # a receive loop that runs to the end: assume it drains
                taken += 1  # leaves early (first response wins): fewer than N
                continue
            taken += 1
        return taken


def _loop_count(loop: Node, pkg, f: FileModel) -> tuple[str, object] | None:
    """How many iterations: ("range", collection text) or ("const", n) / ("expr", text)."""
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


def _leaves_early(loop: Node) -> bool:
    """A return or a break out of the loop inside its body (first-response-wins)."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for stmt in captures("[(return_statement) (break_statement) (goto_statement)] @s",
                         body).get("s", []):
        if _escapes_loop(stmt, loop):
            return True
    return False


def _escapes_loop(stmt: Node, loop: Node) -> bool:
    if stmt.type in ("break_statement", "goto_statement") and stmt.named_child_count:
        label = text(stmt.named_children[0])
        inner = loop.child_by_field_name("body")
        for labeled in captures("(labeled_statement label: (label_name) @l)",
                                inner).get("l", []) if inner is not None else []:
            if text(labeled) == label:
                return False  # the label is inside the loop: it stays in it
    parent = stmt.parent
    while parent is not None and parent.id != loop.id:
        if parent.type in FUNCTION_NODES:
            return False
        if stmt.type == "break_statement" and not stmt.named_child_count and parent.type in (
            "for_statement", "expression_switch_statement", "type_switch_statement",
            "select_statement"):
            return False
        parent = parent.parent
    return True


class RangeUnclosedChannel(_GoroutineRule):
    """## What it finds
    A goroutine that ranges over a channel, or receives from it in an endless loop with no
    other way out, while nothing in scope ever closes that channel. Only channels whose every
    user is visible count: made in the function that starts the goroutine, or a channel field
    of a type of the same package.

    ## Why it leaks
    `for v := range ch` ends only when `ch` is closed. If no code closes it, the goroutine
    waits forever once the producers are done, keeping its stack and every value it references.
    Worker pools whose job channel is never closed leak one goroutine per worker per use.

    ## Example
    ```go
    package pool

    func Sum(values []int) int {
    	jobs := make(chan int)
    	results := make(chan int, len(values))
    	go func() {
    		for v := range jobs {
    			results <- v * v
    		}
    	}()
    	for _, v := range values {
    		jobs <- v
    	}
    	total := 0
    	for range values {
    		total += <-results
    	}
    	return total
    }
    ```

    ## Use instead
    ```go
    package pool

    func Sum(values []int) int {
    	jobs := make(chan int)
    	results := make(chan int, len(values))
    	go func() {
    		for v := range jobs {
    			results <- v * v
    		}
    	}()
    	for _, v := range values {
    		jobs <- v
    	}
    	close(jobs)
    	total := 0
    	for range values {
    		total += <-results
    	}
    	return total
    }
    ```

    ## Known limits
    Silent for package-level channels, channels received as parameters, channels passed to
    other functions (they may close them), channels closed through a method of the same type,
    timer and ticker channels, and `select` loops with an exit case.

    ## Peers
    No static linter in common use; uber-go/goleak finds these at test time.
    """

    id = "GL303"
    name = "range-unclosed-channel"
    family = "goroutines"
    summary = "A goroutine ranges over a channel that nothing ever closes."
    level = "warning"
    precision = "high"
    tags = ("goroutines", "leak", "channels")

    def check_function(self, function: Node, file: FileModel) -> None:
        made = made_channels(function)
        gs = goroutines(function, file, self.package)
        starts = [g.statement for g in gs]
        body = function.child_by_field_name("body")
        for g in gs:
            if g.body is None:
                continue
            for name, inner in g.names.items():
                if name not in made or body is None:
                    continue
                waits = _waits_forever_on(g.body, inner)
                if not waits:
                    continue
                if closes(body, name) or (g.body is not None and closes(g.body, inner)):
                    continue
                if escapes(function, name, starts):
                    continue
                if any(other is not g and other.body is not None and other.names.get(name)
                       and closes(other.body, other.names[name]) for other in gs):
                    continue
                for node in waits:
                    self.report(node, f"this goroutine waits on {name} forever: nothing closes "
                                f"{name}, so the loop never ends", file=file)
        self._field_channels(gs, file)

    def _field_channels(self, gs: list[Goroutine], file: FileModel) -> None:
        """A goroutine waiting on ``x.jobs``: a channel field nobody in the package closes."""
        for g in gs:
            if g.body is None:
                continue
            fields = {text(sel) for sel in captures(
                "[(range_clause right: (selector_expression) @s) "
                "(unary_expression operator: \"<-\" operand: (selector_expression) @s)]",
                g.body).get("s", [])}
            for spelled in sorted(fields):
                field = spelled.rsplit(".", 1)[-1]
                if not self._is_channel_field(field) or self._field_closed(field):
                    continue
                for node in _waits_forever_on(g.body, spelled):
                    self.report(node, f"this goroutine waits on {spelled} forever: no code in "
                                f"package {self.package.name} closes the {field} field",
                                file=file)

    def _channel_owners(self, field: str) -> set[str]:
        """Struct types of the package with a channel field named ``field``."""
        return {name for name, decl in self.package.types.items()
                if decl.type.kind == "struct"
                and any(n == field and t.kind == "chan" for n, t in decl.type.fields)}

    def _is_channel_field(self, field: str) -> bool:
        return bool(self._channel_owners(field))

    def _field_closed(self, field: str) -> bool:
        """``close(x.field)`` anywhere in the package, on a value of an owning type (or of a
        type the syntax does not tell)."""
        owners = self._channel_owners(field)
        for f in self.package.files:
            if b"close(" not in f.source:
                continue
            for sel in captures("(call_expression function: (identifier) @f "
                                "arguments: (argument_list (selector_expression) @x))",
                                f.root, combine=False).get("x", []):
                fn = sel.parent.parent.child_by_field_name("function") if sel.parent else None
                if fn is None or text(fn) != "close" or text(
                    sel.child_by_field_name("field")) != field:
                    continue
                owner = expression_type(sel.child_by_field_name("operand"), self.package,
                                        f).deref()
                if owner.kind != "named" or owner.name in owners:
                    return True
        return False


def _waits_forever_on(body: Node, name: str) -> list[Node]:
    """``for … range name`` loops, and endless loops whose only blocking step is ``<-name``."""
    found = []
    for r in receives(body, name):
        if r.type == "range_clause":
            loop = r.parent
            if loop is not None and loop.type == "for_statement" and not _exits(loop, body):
                found.append(loop)
            continue
        loop = r.parent
        while loop is not None and loop.type != "for_statement" and loop.type not in FUNCTION_NODES:
            if loop.type in ("communication_case", "select_statement"):
                loop = None
                break
            loop = loop.parent
        if loop is None or loop.type != "for_statement":
            continue
        if _is_endless(loop) and not _other_blocking(loop, r) and (
            not _exits(loop, body) or _exits_only_on_close(loop, r)
        ):
            found.append(r)
    return found


def _exits_only_on_close(loop: Node, receive: Node) -> bool:
    """``v, ok := <-ch; if !ok { return }``: the loop ends only when ``ch`` is closed."""
    holder = receive.parent.parent if receive.parent is not None else None
    if holder is None or holder.type not in ("short_var_declaration", "assignment_statement"):
        return False
    left = holder.child_by_field_name("left")
    if left is None or left.named_child_count != 2:
        return False
    ok = text(left.named_children[1])
    inner = loop.child_by_field_name("body")
    if inner is None or is_quit_receive(inner):
        return False
    exits = [e for e in captures("[(return_statement) (break_statement) (goto_statement)] @s",
                                 inner).get("s", []) if _escapes_loop(e, loop)]
    for e in exits:
        parent = e.parent
        guarded = False
        while parent is not None and parent.id != loop.id:
            if parent.type == "if_statement" and text(
                parent.child_by_field_name("condition")
            ).replace(" ", "") == f"!{ok}":
                guarded = True
                break
            parent = parent.parent
        if not guarded:
            return False
    return True


def _is_endless(loop: Node) -> bool:
    """``for { … }``: no condition, no clause."""
    body = loop.child_by_field_name("body")
    return all(c.type == "comment" or c == body for c in loop.named_children)


def _exits(loop: Node, body: Node) -> bool:
    """A return, a break out of the loop, or a quit receive inside it."""
    inner = loop.child_by_field_name("body")
    if inner is None:
        return False
    return _leaves_early(loop) or is_quit_receive(inner)


def _other_blocking(loop: Node, receive: Node) -> bool:
    inner = loop.child_by_field_name("body")
    if inner is None:
        return False
    pattern = '[(send_statement) (select_statement) (unary_expression operator: "<-")] @b'
    others = captures(pattern, inner).get("b", [])
    return any(o.id != receive.id for o in others)


class GoroutineNoExit(_GoroutineRule):
    """## What it finds
    A `go` statement whose function (a literal, or a function or method of the same package)
    runs a `for { … }` loop with no `return`, no `break` out of it, no `goto` out, and no
    receive from `ctx.Done()` or a quit/done/stop channel.

    ## Why it leaks
    Such a goroutine can never stop: every time the code that starts it runs (a constructor,
    a request, a test) another one is added, with its stack and every value it references.
    Even when it is meant to live forever, it cannot be shut down cleanly in tests or on
    reload.

    ## Example
    ```go
    package metrics

    import "time"

    type Reporter struct{ flush func() }

    func (r *Reporter) Start() {
    	go func() {
    		for {
    			time.Sleep(time.Second)
    			r.flush()
    		}
    	}()
    }
    ```

    ## Use instead
    ```go
    package metrics

    import (
    	"context"
    	"time"
    )

    type Reporter struct{ flush func() }

    func (r *Reporter) Start(ctx context.Context) {
    	go func() {
    		t := time.NewTimer(time.Second)
    		defer t.Stop()
    		for {
    			select {
    			case <-ctx.Done():
    				return
    			case <-t.C:
    				r.flush()
    				t.Reset(time.Second)
    			}
    		}
    	}()
    }
    ```

    ## Known limits
    A `break` inside a `switch` or `select` leaves only that statement. Functions of other
    packages (`go http.ListenAndServe(…)`) are not looked into. `main.main` may start
    goroutines that live as long as the process.

    ## Peers
    No static linter in common use; uber-go/goleak finds these at test time.
    """

    id = "GL304"
    name = "goroutine-no-exit"
    family = "goroutines"
    summary = "A goroutine runs an endless loop with no way to stop it."
    level = "warning"
    precision = "high"
    tags = ("goroutines", "leak")

    def check_function(self, function: Node, file: FileModel) -> None:
        if self.package.name == "main" and function_name(function) == "main":
            return
        for g in goroutines(function, file, self.package):
            if g.body is None:
                continue
            loop = _endless_loop(g.body)
            if loop is None:
                continue
            line = file.position(loop.start_byte)[0]
            self.report(g.statement, f"this goroutine never exits: its `for` loop at line {line} "
                        "has no return, no break and no ctx.Done()/quit receive", file=file)


def _endless_loop(body: Node) -> Node | None:
    """A condition-less ``for`` of ``body`` (not in nested literals) with no way out."""
    for loop in captures("(for_statement) @f", body).get("f", []):
        parent = loop.parent
        nested = False
        while parent is not None and parent.id != body.id:
            if parent.type in FUNCTION_NODES:
                nested = True
                break
            parent = parent.parent
        if nested:
            continue
        if not _is_endless(loop):
            continue  # has a clause or condition
        if _exits(loop, body):
            continue
        return loop
    return None


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [BlockedGoroutineSend, NCastSend, RangeUnclosedChannel, GoroutineNoExit]
