"""GL304 goroutine-no-exit: a goroutine's endless loop with no way to be told to stop."""

from __future__ import annotations

from ..channels import goroutines
from ..goroutinerule import GoroutineRule
from ..loopexits import has_exit, is_endless
from ..model import FUNCTION_NODES, FileModel, is_main_main
from ..plugins import hookimpl
from ..rule import Rule
from ..syntax import Node, captures


class GoroutineNoExit(GoroutineRule):
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
    tags = ("goroutines", "leak")

    def check_function(self, function: Node, file: FileModel) -> None:
        if is_main_main(self.package, function):
            return
        for g in goroutines(function, file, self.package):
            if g.body is None:
                continue
            loop = _endless_loop(g.body)
            if loop is None:
                continue
            source = g.source
            line = source.position(loop.start_byte)[0]
            where = f"line {line}" if source is file else f"{source.path.name}:{line}"
            self.report(g.statement, f"this goroutine never exits: its `for` loop at {where} "
                        "has no return, no break and no ctx.Done()/quit receive",
                        ((source, loop, "the endless loop"),), file=file)


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
        if not is_endless(loop):
            continue  # has a clause or condition
        if has_exit(loop, body):
            continue
        return loop
    return None


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [GoroutineNoExit]
