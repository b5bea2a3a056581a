"""GL301 blocked-goroutine-send: a goroutine sends on an unbuffered channel the parent can
return without reading."""

from __future__ import annotations

from ..channels import Goroutine, Made, escapes
from ..constants import const_int
from ..flow import Block, find_escape
from ..goroutinerule import GoroutineRule
from ..model import FileModel, function_name
from ..noreturn import call_ends
from ..plugins import hookimpl
from ..rule import Rule
from ..sendpaths import UNBOUNDED, most_sends
from ..syntax import Node, text


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
      forever. A buffer is enough when it holds the most sends one path of the goroutine
      makes: branches are alternatives and a `return` ends the count, so
      `if err != nil { c <- err; return }; c <- v` on a channel of one is silent; a send in
      a loop of unknown count is taken as unbounded. A buffer the tool cannot size (a
      variable) is taken as enough. The message states the channel's real capacity.
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
                capacity = self._capacity(made[name], sent, g, file)
                if capacity is None:
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
                    self.report(send, f"this send blocks forever: {capacity} and "
                                f"{_shown(function)} {where} without receiving from it",
                                related, file=file)

    def _capacity(self, made: Made, sent: list[Node], g: Goroutine, f: FileModel
                  ) -> str | None:
        """Why the buffer cannot hold the sends (for the message), or None when it can."""
        if made.buffer is None:
            return f"{made.name} is unbuffered"
        size = const_int(self.package, f, made.buffer)
        if size is None:
            return None  # a buffer we cannot size: assume it fits
        assert g.body is not None
        package = self.package
        most = most_sends(g.body, {s.id for s in sent},
                          ends=lambda call: call_ends(call, f, package) is not None,
                          iterations=lambda loop: None)
        if size >= most:
            return None
        if most >= UNBOUNDED:
            return f"{made.name} holds {size} and the goroutine sends on it in a loop"
        return f"{made.name} holds {size} and the goroutine can send {most} times"


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
