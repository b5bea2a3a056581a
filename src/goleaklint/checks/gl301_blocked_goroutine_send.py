"""GL301 blocked-goroutine-send: a goroutine sends on an unbuffered channel the parent can
return without reading."""

from __future__ import annotations

from ..channels import Goroutine, Made, escapes
from ..constants import const_int
from ..flow import Block, find_escape
from ..goroutinerule import GoroutineRule
from ..model import FUNCTION_NODES, FileModel, function_name
from ..plugins import hookimpl
from ..rule import Rule
from ..syntax import Node, text


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
                def releases(b: Block, r: set[int] = received) -> bool:
                    return id(b) in r

                escape = find_escape(cfg, start, releases=releases)
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


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [BlockedGoroutineSend]
