"""GL202 lost-cancel: the cancel function of a derived context discarded or not called."""

from __future__ import annotations

from ..fixes import defer_cancel
from ..flow import Escape, find_escape
from ..flowrule import FlowRule, called_name, describe_escape, result_names, statement_of
from ..model import function_name, resolve_selector
from ..ownership import mentions
from ..plugins import hookimpl
from ..rule import Gate, Rule
from ..syntax import Node, text

WITH_CANCEL = frozenset({f"context.{n}" for n in (
    "WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause", "WithTimeoutCause",
    "WithDeadlineCause")})
_WITH_CANCEL_NAMES = frozenset(name.rpartition(".")[2] for name in WITH_CANCEL)


class LostCancel(FlowRule):
    """## What it finds
    The cancel function returned by `context.WithCancel`, `WithTimeout`, `WithDeadline` (and
    their `…Cause` variants) discarded with `_`, or not used on some path to return.

    ## Why it leaks
    A derived context holds a reference from its parent until it is cancelled; a
    `WithTimeout` context also holds a timer until it fires. If the function returns without
    calling cancel, the context, its goroutine-visible state and every value reachable from it
    stay alive until the parent is cancelled, which for a long-lived parent is never.

    ## Example
    ```go
    package client

    import (
    	"context"
    	"net/http"
    	"time"
    )

    func Ping(parent context.Context, url string) error {
    	ctx, _ := context.WithTimeout(parent, time.Second)
    	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
    	if err != nil {
    		return err
    	}
    	_ = req
    	return nil
    }
    ```

    ## Use instead
    ```go
    package client

    import (
    	"context"
    	"net/http"
    	"time"
    )

    func Ping(parent context.Context, url string) error {
    	ctx, cancel := context.WithTimeout(parent, time.Second)
    	defer cancel()
    	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
    	if err != nil {
    		return err
    	}
    	_ = req
    	return nil
    }
    ```

    ## Known limits
    Any use of the cancel variable counts, as in go vet: calling, deferring, storing,
    returning, passing it on or capturing it in a closure. Paths ending in `panic`, `os.Exit`,
    `log.Fatal*` or `t.Fatal*`, and endless loops, do not leak; `main.main` is exempt; a named
    result returned by a naked return is used.

    ## Peers
    go vet's lostcancel, which needs a type-checked build; goleaklint gives the same verdicts
    from syntax, including on code that does not compile.
    """

    id = "GL202"
    name = "lost-cancel"
    family = "resources"
    summary = "The cancel function of a derived context is discarded or not called on some path."
    level = "warning"
    precision = "very-high"
    tags = ("resources", "context", "leak")

    gate = Gate(imports=("context",))

    def visit_call_expression(self, node: Node) -> None:
        assert self.file is not None
        fn = node.child_by_field_name("function")
        if fn is None or called_name(fn) not in _WITH_CANCEL_NAMES:
            return  # the cheap test first: most calls are not named like one
        qualified = resolve_selector(self.file, fn, self.package)
        if qualified not in WITH_CANCEL:
            return
        statement, left = statement_of(node)
        if statement is None or left is None or len(left.named_children) < 2:
            return
        target = left.named_children[1]
        if target.type != "identifier":
            return
        shown = text(fn)
        if text(target) == "_":
            self.report(node, f"the cancel function returned by {shown} is discarded: the "
                        "context is not released until its parent is cancelled",
                        fix=defer_cancel(self.file, node, statement, left,
                                         self.file.innermost_function(node)))
            return
        function = self.file.innermost_function(node)
        if function is None or (
            self.package.name == "main" and function_name(function) == "main"
        ):
            return
        if not self.file.is_local(target) and statement.type != "short_var_declaration":
            return
        escape = self._unused_path(function, statement, text(target))
        if escape is None:
            return
        where, via = describe_escape(escape, self.file)
        related = ((self.file, via, "returns without using cancel"),) if via is not None else ()
        self.report(node, f"the cancel function {text(target)} from {shown} is not used "
                    f"{where} (possible context leak)", related,
                    fix=defer_cancel(self.file, node, statement, left, function))

    def _unused_path(self, function: Node, statement: Node, name: str) -> Escape | None:
        cfg = self.flows.graph(function, self.file)
        start = cfg.block_of(statement)
        if start is None or name in result_names(function):
            return None
        body = function.child_by_field_name("body")
        used: set[int] = set()
        for mention in mentions(body, name) if body is not None else []:
            block = cfg.block_of(mention, through_literals=True)
            if block is not None and block is not start:
                used.add(id(block))
        return find_escape(cfg, start, releases=lambda b: id(b) in used)


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [LostCancel]
