"""GL202 lost-cancel: the cancel function of a derived context discarded or not called."""

from __future__ import annotations

import re

from ..callees import mentions
from ..fixes import (
    edit,
    identifiers,
    insert_after,
    make_fix,
    moved_defer,
    nodes_after,
    plain_statement,
)
from ..flow import Escape, find_escape
from ..flowrule import (
    FlowRule,
    Targets,
    called_name,
    describe_escape,
    result_names,
    statement_of,
)
from ..model import FileModel, is_main_main, resolve_selector
from ..ownership import declares
from ..plugins import hookimpl
from ..rule import Edit, Fix, Gate, Rule
from ..scope import repeats
from ..syntax import Node, text

# golang.org/x/net/context is the standard package under its pre-Go 1.7 path (DESIGN.md).
_CONTEXT_PACKAGES = ("context", "golang.org/x/net/context")
WITH_CANCEL = frozenset({f"{package}.{n}" for package in _CONTEXT_PACKAGES
                         for n in ("WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause",
                                   "WithTimeoutCause", "WithDeadlineCause")})
_DECLARATIONS = frozenset({"short_var_declaration", "var_declaration"})
_WITH_CANCEL_NAMES = frozenset(name.rpartition(".")[2] for name in WITH_CANCEL)


class LostCancel(FlowRule):
    """## What it finds
    The cancel function returned by `context.WithCancel`, `WithTimeout`, `WithDeadline` (and
    their `…Cause` variants) discarded with `_`, or not used on some path to return. The
    context package counts under any import name, and so does `golang.org/x/net/context`
    (the same package under its pre-Go 1.7 path); `ctx, cancel := …`, `ctx, cancel = …` and
    `var ctx, cancel = …` inside a function are analysed alike.

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
    `log.Fatal*` or `t.Fatal*` (also `new(testing.T).FailNow()`), and endless loops, do not
    leak; `main.main` is exempt; a named result returned by a naked return is used. A cancel
    assigned inside a `func() { … }()` called where it is written is followed in the
    enclosing function from that call (`defer cancel()` after it uses it); a literal called
    later, stored or started as a goroutine leaves it to its caller, as go vet does.

    A leak is growth (DESIGN.md): in test code it reports only a context made per iteration of a
    loop driven by data or large (`b.N`, not a table of three cases), or in a helper that three
    or more places of the package call; the discarded cancel of one timeout in one test is not
    reported. Code that runs once per process (`init`, var initialisers, `once.Do`, `TestMain`,
    `main.main` and the functions only it calls) is reported only inside such a loop. A path
    through `case <-parent.Done():` (the context the derived one was made from, by name) loses
    nothing: the derived context is cancelled with its parent. A `WithCancel` of
    `context.Background()` or `context.TODO()` (directly or through `WithValue`) is silent: a
    parent that is never done registers nothing and there is no timer, so a lost cancel leaves
    only garbage (a `WithTimeout` of it still holds its timer until it fires, and is reported).

    ## Peers
    go vet's lostcancel, which needs a type-checked build; goleaklint gives the same verdicts
    from syntax, including on code that does not compile.
    """

    id = "GL202"
    name = "lost-cancel"
    family = "resources"
    summary = "The cancel function of a derived context is discarded or not called on some path."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("resources", "context", "leak")

    gate = Gate(imports=("context", "golang.org/x/net/context"))

    def visit_call_expression(self, node: Node) -> None:
        assert self.file is not None
        fn = node.child_by_field_name("function")
        if fn is None or called_name(fn) not in _WITH_CANCEL_NAMES:
            return  # the cheap test first: most calls are not named like one
        qualified = resolve_selector(self.file, fn, self.package)
        if qualified not in WITH_CANCEL or not repeats(self.package, self.file, node):
            return  # DESIGN: one context in one test, or in code that runs once, is no growth
        if qualified.endswith(("WithCancel", "WithCancelCause")) and self._of_root(node):
            return
        statement, left = statement_of(node)
        if statement is not None and statement.type == "var_spec_list":
            statement = statement.parent  # var ( ctx, cancel = … ) declares like :=
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
            is_main_main(self.package, function)
        ):
            return
        if not self.file.is_local(target) and statement.type not in _DECLARATIONS:
            return
        if function.type == "func_literal" and statement.type not in _DECLARATIONS and (
                not declares(self.file, function, text(target))):
            # ``func() { ctx, cancel = context.With…(…) }()``: the variable is the enclosing
            # function's, followed there from the call of the literal (a literal called later,
            # stored or started as a goroutine: its caller's business, as go vet says).
            called = _called_at_once(function)
            outer = self.file.innermost_function(called) if called is not None else None
            if called is None or outer is None or is_main_main(self.package, outer):
                return
            function, statement = outer, called
        escape = self._unused_path(function, statement, text(target), _parent_name(node))
        if escape is None:
            return
        where, via = describe_escape(escape, self.file)
        related = ((self.file, via, "returns without using cancel"),) if via is not None else ()
        self.report(node, f"the cancel function {text(target)} from {shown} is not used "
                    f"{where} (possible context leak)", related,
                    fix=defer_cancel(self.file, node, statement, left, function))

    def _of_root(self, call: Node) -> bool:
        """``context.WithCancel(context.Background())`` (or ``TODO()``, through ``WithValue``):
        a parent that is never done registers nothing and a WithCancel holds no timer, so a
        lost cancel leaves only garbage."""
        assert self.file is not None
        arguments = call.child_by_field_name("arguments")
        parent = arguments.named_children[0] if arguments is not None and (
            arguments.named_children) else None
        while parent is not None and parent.type == "call_expression":
            name = resolve_selector(self.file, parent, self.package) or ""
            package, _, function = name.rpartition(".")
            if package not in _CONTEXT_PACKAGES:
                return False
            if function in ("Background", "TODO"):
                return True
            if function != "WithValue":
                return False
            arguments = parent.child_by_field_name("arguments")
            parent = arguments.named_children[0] if arguments is not None and (
                arguments.named_children) else None
        return False

    def _unused_path(self, function: Node, statement: Node, name: str,
                     parent: str) -> Escape | None:
        cfg = self.flows.graph(function, self.walked)
        start = cfg.block_of(statement)
        if start is None or name in result_names(function):
            return None
        body = function.child_by_field_name("body")
        used: set[int] = set()
        found = [*mentions(self.walked, body, name), *_after_parent_done(body, parent)] if (
            body is not None) else []
        for mention in found:
            block = cfg.block_of(mention, through_literals=True)
            if block is not None and block is not start:
                used.add(id(block))
        return find_escape(cfg, start, releases=lambda b: id(b) in used)


def _called_at_once(literal: Node) -> Node | None:
    """The statement ``func() { … }()`` that calls ``literal`` where it is written."""
    call = literal.parent
    while call is not None and call.type == "parenthesized_expression":
        call = call.parent
    statement = call.parent if call is not None and call.type == "call_expression" else None
    return statement if statement is not None and statement.type == "expression_statement" and (
        call is not None and call.child_by_field_name("function") is not None) else None


def _parent_name(call: Node) -> str:
    """The parent context of ``context.With…(parent, …)`` when it is a plain name."""
    arguments = call.child_by_field_name("arguments")
    first = arguments.named_children[0] if arguments is not None and (
        arguments.named_children) else None
    return text(first) if first is not None and first.type == "identifier" else ""


def _after_parent_done(body: Node, parent: str) -> list[Node]:
    """The statements of each ``case <-parent.Done():`` in ``body``: the parent is done there,
    so the derived context is cancelled with it (a path through them loses nothing)."""
    if not parent:
        return []
    done = f"{parent}.Done()"
    found: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "communication_case":
            comm = node.child_by_field_name("communication")
            value = comm.named_children[-1] if comm is not None and (
                comm.type == "receive_statement" and comm.named_children) else comm
            if value is not None and value.type == "unary_expression" and text(
                value.child_by_field_name("operand")
            ).replace(" ", "") == done:
                for statements in node.named_children:
                    if statements.type == "statement_list":
                        found.extend(statements.named_children)
        stack.extend(node.named_children)
    return found


# The fix: defer cancel() -------------------------------------------------------------------


# Result types that may hold a context: contexts, requests, functions, channels, interfaces.
_CARRIERS = re.compile(r"Context|Request|Cancel|\b(?:func|chan|any|interface)\b")


def _inside(node: Node, kinds: frozenset[str], stop: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.id != stop.id:
        if parent.type in kinds:
            return True
        parent = parent.parent
    return False


def _may_carry_context(function: Node) -> bool:
    """Whether the function's results could hold a context (a request, a func, an interface…):
    returning something built from the derived context then outlives a deferred cancel."""
    result = function.child_by_field_name("result")
    if result is None:
        return False
    return _CARRIERS.search(text(result)) is not None


def _context_stays(f: FileModel, ctx: Node, statement: Node, function: Node) -> bool:
    """Whether the derived context is only used while the function runs: not returned (unless
    the results cannot hold it), stored, sent, or handed to a function literal or goroutine."""
    if ctx.type != "identifier" or text(ctx) == "_":
        return True
    body = function.child_by_field_name("body")
    if body is None:
        return False
    carries = _may_carry_context(function)
    for m in nodes_after(identifiers(f, body, text(ctx)), statement):
        parent = m.parent
        if parent is None:
            return False
        if parent.type == "selector_expression" and parent.child_by_field_name("operand") == m:
            continue  # ctx.Done(), ctx.Err(), ctx.Value(k)
        if _inside(m, frozenset({"func_literal", "go_statement"}), function):
            return False
        if carries and _inside(m, frozenset({"return_statement"}), function):
            return False
        if parent.type in ("keyed_element", "literal_element", "send_statement"):
            return False
        holder = parent.parent if parent.type == "expression_list" else None
        if holder is not None and holder.type == "return_statement":
            return False  # returned as is
        if holder is not None and holder.type in ("assignment_statement",
                                                  "short_var_declaration"):
            left = holder.child_by_field_name("left")
            if left != parent and not (left is not None and all(
                text(t) == "_" for t in left.named_children
            )):
                return False  # another name for it, or stored
    return True


def _only_called(
    f: FileModel, name: str, statement: Node, function: Node, deferred: str
) -> list[Edit] | None:
    """When every later mention of ``name`` is a plain call of the function itself (not passed
    on, stored, returned, or called from a function literal): edits deleting the existing
    ``defer <deferred>`` statements of the same block. None otherwise."""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    moved: list[Edit] = []
    for m in nodes_after(identifiers(f, body, name), statement):
        call = m.parent
        if call is None or call.type != "call_expression" or (
            call.child_by_field_name("function") != m
        ):
            return None
        if _inside(m, frozenset({"func_literal"}), function):
            return None
        delete = moved_defer(f, call, statement, deferred)
        if delete is not None:
            moved.append(delete)
    return moved


def defer_cancel(
    f: FileModel | None, call: Node, statement: Node, left: Targets, function: Node | None
) -> Fix | None:
    """GL202: ``defer cancel()`` after ``ctx, cancel := context.With…(…)``; ``ctx, _ :=`` is
    renamed to ``cancel`` first when that name is free in the function. A later
    ``defer cancel()`` of the same block moves up."""
    targets = left.named_children
    if f is None or function is None or len(targets) != 2 or not plain_statement(
        statement, function
    ):
        return None
    ctx, target = targets
    if target.type != "identifier" or not _context_stays(f, ctx, statement, function):
        return None
    name = text(target)
    callee = text(call.child_by_field_name("function"))
    argument = "nil" if callee.endswith("WithCancelCause") else ""  # a CancelCauseFunc
    deferred = f"{name}({argument})"
    edits: list[Edit] = []
    scope = None
    if name == "_":
        name = "cancel"
        deferred = f"{name}({argument})"
        if statement.type not in ("short_var_declaration", "var_declaration") or identifiers(
            f, function, name
        ):
            return None
        edits.append(edit(f, target.start_byte, target.end_byte, name))
        scope = (function.start_byte, function.end_byte)
        what = f"rename _ to {name} and insert"
    else:
        moved = _only_called(f, name, statement, function, deferred)
        if moved is None:
            return None
        edits.extend(moved)
        what = "move up" if moved else "insert"
    insert = insert_after(f, statement, statement, f"defer {deferred}")
    if insert is None:
        return None
    return make_fix(f"{what} defer {deferred}", [*edits, insert], scope)


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [LostCancel]
