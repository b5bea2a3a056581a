"""GL304 goroutine-no-exit: a goroutine's endless loop with no way to be told to stop."""

from __future__ import annotations

from ..channels import goroutines
from ..deadcode import never_runs
from ..flow import FlowCache
from ..goroutinerule import GoroutineRule
from ..loopexits import has_exit, is_endless, ranges_over_ticker
from ..model import FUNCTION_NODES, FileModel, Package, is_main_main
from ..plugins import hookimpl
from ..rule import Rule
from ..singletons import per_value_starter, started_for_the_process, waits_for_signals
from ..syntax import Node


class GoroutineNoExit(GoroutineRule):
    """## What it finds
    A `go` statement whose function (a literal, or a function or method of the same package)
    runs a `for { … }` loop, or a `for … range` over a ticker's channel (`time.Tick(d)`, a
    local holding it, `t.C` of a `*time.Ticker`), with no `return`, no `break` out of it, no
    `continue` of an outer loop, no `goto` out (an edge out of the loop in the function's
    control-flow graph), and no receive from `ctx.Done()` or a quit/done/stop channel. `Stop` never
    closes a ticker's channel: ranging over it never ends by itself.

    **Opt-in shape.** The ranges over a ticker's channel were judged worth acting on about a
    third of the time (most are started once per process by a caller in another package,
    which the tool cannot see): they are reported only when GL304 is named
    (`--extend-select GL304`). Condition-less `for { … }` loops are default.

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
    A leak is growth: a goroutine started once per process is a daemon worker and is not
    reported. That is one started from `init`, a var initialiser, `main.main` or a function
    only `main` calls, `TestMain`, a package-level `sync.Once`, a function literal handed to a
    `Register…` call at initialisation (a plugin's constructor), or behind a guard on
    package-level state that the guarded code sets (`if !started { started = true; go … }`,
    `atomic.CompareAndSwap…(&flag, 0, 1)`, `if ch != nil { return }; ch = …`, a pool topped up
    to a package-level count). A goroutine that waits on a `signal.Notify` channel is silent
    too, unless a constructor (`New…`) or a loop driven by data starts it. Still reported: one
    started per call of a constructor or function, per value (a `started` field or a
    `sync.Once` of a receiver), per request, and in tests (it outlives the test); `Register…`
    functions do not count as initialisation here. A goroutine started where the code never
    runs is silent: an `ExampleXxx` without an `// Output:` comment (compiled, never run), or
    past an unconditional `t.Skip`/`t.SkipNow`, a `return` or another call that never returns
    (a skip under a condition, `if testing.Short() { t.Skip() }`, keeps the rest live), or
    in a test helper whose every call is in such code. A
    `break` inside a `switch` or `select` leaves only that statement. A ticker is known by
    `time.Tick`, `time.NewTicker` or a declared `*time.Ticker` (parameter, field,
    variable); a `range` over a mock clock's ticker, a `time.Timer`'s channel or a
    `<-chan time.Time` parameter is not judged. Functions of other packages
    (`go http.ListenAndServe(…)`) are not looked into; a function called once from another
    package's `main` is not known to run once.

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
            source = g.source
            loop, ticker = _endless_loop(self.flows, g.body, source, self.package)
            if loop is None or self._lives_by_design(function, file, g.statement, loop, g.names):
                continue
            line = source.position(loop.start_byte)[0]
            where = f"line {line}" if source is file else f"{source.path.name}:{line}"
            why = ("ranges over a ticker's channel, which Stop never closes, and has no return "
                   "and no break" if ticker else
                   "has no return, no break and no ctx.Done()/quit receive")
            # Ranges over a ticker: judged worth acting on about 0.35 of the time (most are
            # started once per process by code the tool cannot see): an opt-in shape.
            self.report(g.statement, f"this goroutine never exits: its `for` loop at {where} "
                        f"{why}", ((source, loop, "the endless loop"),), file=file,
                        tier="opt-in" if ticker else "default")


    def _lives_by_design(self, function: Node, file: FileModel, statement: Node, loop: Node,
                         names: dict[str, str]) -> bool:
        """Never run (an example without output, code past an unconditional skip), started
        once per process, or a signal waiter not started per value."""
        if never_runs(self.flows, file, statement) or started_for_the_process(
                self.package, file, statement):
            return True
        return waits_for_signals(loop, function, file, names) and not per_value_starter(
            self.package, file, statement)


def _endless_loop(flows: FlowCache, body: Node, f: FileModel, pkg: Package
                  ) -> tuple[Node | None, bool]:
    """A condition-less ``for`` of ``body`` (not in nested literals), or a ``for range`` over
    a ticker's channel, with no way out; and whether it is the ticker's."""
    for loop in f.captures("(for_statement) @f", body).get("f", []):
        parent = loop.parent
        nested = False
        while parent is not None and parent.id != body.id:
            if parent.type in FUNCTION_NODES:
                nested = True
                break
            parent = parent.parent
        if nested:
            continue
        ticker = not is_endless(loop) and ranges_over_ticker(loop, f, pkg)
        if not (ticker or is_endless(loop)):
            continue  # has a clause or condition, and it can end
        if has_exit(flows, f, loop):
            continue
        return loop, ticker
    return None, False


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [GoroutineNoExit]
