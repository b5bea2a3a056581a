"""GL201 unclosed-resource: a file, connection, SQL value or HTTP body not closed on some
path."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar

from ..callees import mentions
from ..configopeners import check_openers
from ..fixes import identifiers, insert_after, make_fix, moved_defer, nodes_after, plain_statement
from ..flow import Block
from ..flowrule import FlowRule, describe_escape, statement_of
from ..model import FileModel, Package
from ..noreturn import call_ends
from ..openers import OPENER_METHODS, Opener, local_openers, recognise_opener
from ..ownership import FILE_LIKE, RESPONSE, TX, Ownership, Resource
from ..plugins import hookimpl
from ..resourcepaths import (
    closed_by_earlier_defer,
    error_return,
    expected_to_fail,
    test_support,
)
from ..rule import Edit, Fix, Option, Rule
from ..scope import data_driven_loops, repeats, short_lived_tool
from ..syntax import Node, text


def declared_in(f: FileModel, function: Node, name: str, statement: Node) -> bool:
    """Whether ``name`` at ``statement`` is a variable of ``function`` itself, not one a
    function literal captured from its surroundings (those outlive the literal)."""
    if function.type != "func_literal":
        return True
    if statement.type == "short_var_declaration":
        return True
    for m in mentions(f, function, name):
        if m.start_byte > statement.start_byte:
            break
        parent = m.parent
        holder = parent.parent if parent is not None else None
        if parent is not None and parent.type in ("parameter_declaration", "var_spec",
                                                  "range_clause"):
            return True
        if holder is not None and holder.type in ("short_var_declaration", "range_clause"):
            return True
    return False


class UnclosedResource(FlowRule):
    """## What it finds
    A value from an opener that is not released on every path to return: files (`os.Open`,
    `os.Create`, `os.OpenFile`, `os.Pipe`), network connections and listeners (`net.Dial*`,
    `net.Listen*`, `tls.Dial`), SQL rows, statements and transactions (`Query*`, `Prepare*`,
    `Begin*` on `*sql.DB`, `*sql.Tx`, `*sql.Conn`), HTTP response bodies (`http.Get`,
    `http.Post`, `http.PostForm`, `(*http.Client).Do/Get/Post`, go-retryablehttp's client,
    `http.RoundTripper.RoundTrip`, the `Do` of an interface of the package that returns an
    `*http.Response`), and files served by `http.Dir(…).Open` / `http.FileSystem.Open`. A
    same-package function that returns such a value is an opener for its callers. Other
    packages' openers (pgx's `Conn.Query`, a company's own client) are named in the
    configuration with how their value is released (the `openers` option below).

    ## Why it leaks
    Each of these holds an operating-system resource or a pooled connection until it is
    closed. An HTTP body left open keeps its TCP connection out of the pool; SQL rows keep
    their connection busy; a file keeps its descriptor. Under load the process runs out of
    descriptors or connections long before it runs out of memory.

    ## Example
    ```go
    package fetch

    import (
    	"io"
    	"net/http"
    )

    func Fetch(url string) ([]byte, error) {
    	resp, err := http.Get(url)
    	if err != nil {
    		return nil, err
    	}
    	return io.ReadAll(resp.Body)
    }
    ```

    ## Use instead
    ```go
    package fetch

    import (
    	"io"
    	"net/http"
    )

    func Fetch(url string) ([]byte, error) {
    	resp, err := http.Get(url)
    	if err != nil {
    		return nil, err
    	}
    	defer resp.Body.Close()
    	return io.ReadAll(resp.Body)
    }
    ```

    ## Known limits
    - A leak is growth. In `_test.go` files a value left open is reported only inside a loop
      whose count comes from data (not a small literal table or constant count), or in a helper
      with three or more call sites; one body, file or pipe left open in one test, or one per
      case of a small table, is not. Code that runs once per process (`init`, `main.main` —
      every one of a package of build-tagged examples —, `TestMain`, what only they call) is
      reported only inside a data-driven loop, and so is the code of test support packages (a
      folder below the module root named like `testutil`, `acmetest`, `awstesting`,
      `integrationtests`, `e2e`). In tests and in short-lived `package main` tools
      (no serve/accept/signal loop) a value left open only on a `return` that hands up an error
      is not reported: the error ends the run.
    - The value is followed within its function. It is released when it is closed, returned,
      stored in a field, global, map or slice, sent on a channel, captured by a goroutine or
      by a function literal that is returned or stored (in a field, a composite, or a
      variable that is), or passed (also as `v...`) to a function that takes ownership: a
      same-package function is looked into (does it close its parameter?); other packages'
      functions are assumed to take ownership except well-known readers and wrappers (`fmt`,
      `io.ReadAll`, `io.Copy`, `bufio`, decoders…). A local function value passed the value
      (`closeBody(resp)`) or closing it (`cleanup := func() { resp.Body.Close() }`, released
      where `cleanup()` is called) is looked into through the literal it holds at the call:
      the last statement before the call that binds it, read straight-line. Where that is not
      known (bound in a branch, in a loop around the call, or by a closure; a parameter; a
      value from elsewhere; called inside another literal when it is bound more than once)
      the call takes ownership. A `defer func() { … v.Close() … }()`
      placed before the opener closes whatever `v` holds at return (only overwriting it is
      reported then).
    - The branch where the opener failed (`if err != nil`, `if f == nil`, for a response
      `if resp.Body == nil`, in a `switch {}` `case os.IsNotExist(err):` or the `default:` after
      `case err == nil:`) is not a leak; nor is `_, err := open(…)` followed by (or in the
      initialiser of) `if err == nil { t.Fatal(…) }` (a call expected to fail). Predicates of
      the package's own (`if shouldRetry(err)`) and error values inspected by type
      (`err.(*os.PathError)`) are not read. A copy `T(*resp)` shares the body: handed on
      like `resp`.
    - `for rows.Next()` run to its end closes the rows (`sql.Rows`, pgx): only a `break`,
      `return` or `goto` out of the loop leaves them open.
    - A same-package function that returns an opener's value is an opener for its callers,
      unless it closes the value for them: a deferred close, a close on every path to each
      return of it, a close (its own, or a package function's it passes the value to) before
      some return of the value, or a cleanup (function literal or `v.Close` method value)
      returned or registered with it. A function that closes the value only for some
      arguments or outcomes (`Do(req, v)` closing when `v != nil`) thus counts as closing
      it: its callers that must close are not followed.
    - SQL and HTTP client methods are recognised on values whose type the syntax shows
      (parameters, fields, `sql.Open`, `&http.Client{}`, `httptest.NewServer(…).Client()`,
      `retryablehttp.NewClient()`); on other receivers only when the result is used as such
      (`rows.Next()`, `resp.Body` in the block that declares it; for `Get`, only on a client
      a call named `…Client` made), and a package's own method only when the call assigns as
      many values as it returns. A package-level `*sql.DB` declared in another file counts.
    - An opener inside a `go func() { … }()` literal is the literal's to close; a value
      opened outside and used inside is handed to the goroutine.
    - `QueryRow`, gzip/zlib readers, `httptest.ResponseRecorder.Result()` and `http.Head` /
      `(*http.Client).Head` are not openers (a HEAD response has no body: the transport puts
      its connection back in the pool before returning it).
    - Whether library code runs once (a constructor called at start-up) is not known:
      a value left open there on an error path is reported.

    ## Peers
    bodyclose (HTTP bodies), sqlclosecheck and rowserrcheck (SQL), go vet has none; all need a
    type-checked build. goleaklint works from syntax, follows paths (an early return after the
    opener is reported with its line), and covers files, connections and listeners too.
    """

    id = "GL201"
    name = "unclosed-resource"
    family = "resources"
    summary = "A file, connection, SQL rows/statement/transaction or HTTP body is not closed."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("resources", "leak")

    requires = (*FlowRule.requires, local_openers, short_lived_tool)
    options: ClassVar[dict[str, Option]] = {
        "openers": Option(
            list, [],
            "more openers, each `\"import/path.Func\"` or `\"import/path.Type.Method\"` (its "
            "first result is released with `Close`), or a table `{call = \"…\", release = "
            "\"Release\"}` naming the method that releases it (a list of methods: any one "
            "does; `\"Body.Close\"`: through a field, as a response). A method is recognised "
            "on a receiver whose type the syntax shows (a parameter, a field) or that a "
            "function of the type's package made (`conn, err := pgx.Connect(…)`)",
            check=check_openers),
    }

    def begin_file(self, file: FileModel) -> bool | None:
        if _may_open(file, self.package):
            return None
        if self._package_opens is None:
            self._package_opens = any(_may_open(f, self.package) for f in self.package.files)
        # A value of the package's (``var db *sql.DB`` in another file) reached by a method.
        names = OPENER_METHODS | self.fact(local_openers).configured.names
        return None if self._package_opens and _method_call(names).search(file.source) else False

    _package_opens: bool | None = None  # whether some file of the package may open

    def visit_call_expression(self, node: Node) -> None:
        opener = self._opener(node)
        if opener is not None:
            self._check(opener)

    def _opener(self, call: Node) -> Opener | None:
        assert self.file is not None
        return recognise_opener(call, self.file, self.package)

    # Following the value ----------------------------------------------------------------------

    def _check(self, opener: Opener) -> None:
        statement, left = statement_of(opener.call)
        if statement is None:
            return
        assert self.file is not None
        what = _resource_name(opener)
        if statement.type == "expression_statement":
            if self._grows(opener):
                self.report(opener.call, f"the result of {opener.name} is discarded: {what} "
                            "is never closed")
            return
        if left is None:
            return  # returned, passed on, or used in place: someone else owns it
        targets = left.named_children
        function = self.walked.innermost_function(opener.call)
        if function is None:
            return  # a package-level var initialiser: long-lived by design
        err = text(targets[-1]) if len(targets) > max(opener.indices) + 1 else ""
        for index in opener.indices:
            if index >= len(targets):
                continue
            target = targets[index]
            if target.type != "identifier":
                continue  # stored in a field, map or slice
            name = text(target)
            if name == "_":
                if not expected_to_fail(statement, err, self.file, self.package) and (
                    self._grows(opener)
                ):
                    self.report(opener.call, f"{what} from {opener.name} is discarded with _ "
                                "and never closed")
                continue
            assert self.file is not None
            if not self.file.is_local(target) and statement.type != "short_var_declaration":
                continue  # assigned to a package-level variable
            if not declared_in(self.file, function, name, statement):
                continue  # a closure setting its caller's variable: the caller owns it
            escape = self.escape_of(function, statement, name, opener.resource, err,
                                    drains=opener.resource is FILE_LIKE,
                                    harmless=self._harmless(function))
            if escape is None or (escape.end.kind == "exit" and closed_by_earlier_defer(
                    self.file, function, statement, name, opener.resource)) or not self._grows(
                    opener):
                continue
            where, via = describe_escape(escape, self.file, loop_back=True)
            resource = opener.resource
            shown = f"{name}.{resource.through_field}" if resource.through_field else name
            verb = _released(resource)
            related = ((self.file, via, "leaves here without closing"),) if via is not None else ()
            fix = None if resource.release_methods != FILE_LIKE.release_methods else defer_close(
                self.file, statement, function, shown, self.ownership, opener.resource,
                self.package)
            self.report(opener.call, f"{shown} from {opener.name} is not {verb} {where}",
                        related, fix=fix)

    def _grows(self, opener: Opener) -> bool:
        """Whether what ``opener`` leaves open can accumulate: not in one test, in code that
        runs once per process, or in a test helper package outside a data-driven loop (asked
        last: the answer reads the package's call sites)."""
        assert self.file is not None
        if not repeats(self.package, self.file, opener.call):
            return False
        return not test_support(self.package) or bool(
            data_driven_loops(opener.call, self.file, self.package, through_literals=True))

    def _harmless(self, function: Node) -> Callable[[Block], bool] | None:
        """In a test or a short-lived tool an error ends the run: a value left open only on
        the way out with an error is not a leak that grows."""
        assert self.file is not None
        if not (self.file.is_test or self.fact(short_lived_tool)):
            return None
        return lambda block: error_return(block, function)


def _released(resource: Resource) -> str:
    """How the message says the value was not released: closed, committed or rolled back."""
    if resource.release_methods == FILE_LIKE.release_methods:
        return "closed"
    if resource is TX:
        return "committed or rolled back"
    return "released with " + " or ".join(sorted(resource.release_methods))


def _resource_name(opener: Opener) -> str:
    """What the opener returns, in words: the file, the connection, the rows…"""
    method = opener.name.rpartition(".")[2]
    if opener.resource is RESPONSE:
        return "the response body"
    if opener.resource is TX:
        return "the transaction"
    if method.startswith("Query"):
        return "the rows"
    if method.startswith("Prepare"):
        return "the statement"
    if "Listen" in method:
        return "the listener"
    if "Dial" in method:
        return "the connection"
    if method in ("Open", "Create", "OpenFile", "Pipe"):
        return "the file"
    return "the value"


_VERSION = re.compile(r"/v\d+$")  # github.com/jackc/pgx/v4 is pgx


@lru_cache(maxsize=4)
def _method_call(names: frozenset[str]) -> re.Pattern[bytes]:
    """``.Query(``, ``.Do (``…: a call of a method named like an opener."""
    return re.compile(rb"\.(?:" + b"|".join(sorted(n.encode() for n in names)) + rb")\s*\(")


def _may_open(file: FileModel, pkg: Package) -> bool:
    """Cheap gate: the file imports a package with openers, or the package has its own."""
    paths = {i.path for i in file.imports}
    if paths & {"os", "net", "crypto/tls", "database/sql", "net/http", "github.com/jmoiron/sqlx"}:
        return True
    openers = pkg.facts.get(local_openers)
    return bool(openers.found) or bool(paths & openers.configured.packages) or any(
        _VERSION.sub("", p).endswith(("sql", "sqlx", "pgx", "pgxpool")) for p in paths)


# The fix: defer x.Close() ------------------------------------------------------------------


def _next_statement(statement: Node) -> Node | None:
    sibling = statement.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling


def _checks_error(node: Node | None, err: str) -> bool:
    """``if err != nil {`` with no initialiser and no else."""
    if node is None or node.type != "if_statement":
        return False
    if node.child_by_field_name("initializer") is not None:
        return False
    if node.child_by_field_name("alternative") is not None:
        return False
    cond = node.child_by_field_name("condition")
    return cond is not None and cond.type == "binary_expression" and (
        text(cond.child_by_field_name("left")) == err
        and text(cond.child_by_field_name("operator")) == "!="
        and text(cond.child_by_field_name("right")) == "nil"
    )


def _leaves(block: Node | None, f: FileModel, package: Package | None) -> bool:
    """Whether a block ends in ``return``, ``continue`` or a call that never returns
    (``panic``, ``os.Exit``, ``log.Fatal…``, ``t.Fatal…``): after it, the opener did not fail."""
    if block is None:
        return False
    statements = [c for c in block.named_children if c.type == "statement_list"]
    body = statements[0].named_children if statements else []
    body = [s for s in body if s.type != "comment"]
    if not body:
        return False
    last = body[-1]
    if last.type in ("return_statement", "continue_statement"):
        return True
    if last.type != "expression_statement" or not last.named_child_count:
        return False
    return call_ends(last.named_children[0], f, package) is not None


def defer_close(
    f: FileModel | None, statement: Node, function: Node, release: str, ownership: Ownership,
    resource: Resource, package: Package | None = None,
) -> Fix | None:
    """GL201: ``defer x.Close()`` (``release`` is ``x`` or ``resp.Body``) after the
    ``if err != nil { … return }`` that follows ``x, err := opener(…)``; a later
    ``defer x.Close()`` of the same block moves up."""
    if f is None or statement.type != "short_var_declaration" or not plain_statement(
        statement, function
    ):
        return None
    left, right = statement.child_by_field_name("left"), statement.child_by_field_name("right")
    if left is None or right is None or right.named_child_count != 1:
        return None
    targets = left.named_children
    if len(targets) != 2 or any(t.type != "identifier" for t in targets):
        return None
    value, err = (text(t) for t in targets)
    if "_" in (value, err) or right.named_children[0].type != "call_expression":
        return None
    check = _next_statement(statement)
    if check is None or not _checks_error(check, err) or not _leaves(
        check.child_by_field_name("consequence"), f, package
    ):
        return None
    body = function.child_by_field_name("body")
    if body is None:
        return None
    deferred = f"{release}.Close()"
    moved: list[Edit] = []
    for m in nodes_after(identifiers(f, body, value), statement):
        verdict = ownership.classify(f, m, resource)
        if verdict == "lost":
            return None  # reassigned: a deferred Close would close the wrong value, or twice
        if verdict != "release":
            continue
        call = _release_call(m, resource)
        if call is None:
            return None  # handed on: returned, stored, given to a goroutine…
        if call.parent is not None and call.parent.type == "defer_statement":
            delete = moved_defer(f, call, statement, deferred)
            if delete is None:
                return None  # deferred elsewhere, differently: not a mechanical change
            moved.append(delete)
    insert = insert_after(f, statement, check, f"defer {deferred}")
    if insert is None:
        return None
    return make_fix(f"{'move up' if moved else 'insert'} defer {deferred}", [*moved, insert])


def _release_call(ident: Node, resource: Resource) -> Node | None:
    """The call ``x.Close()`` / ``resp.Body.Close()`` that ``ident`` is the receiver of (not a
    method value handed on), or None."""
    node = ident
    if resource.through_field and node.parent is not None and (
        node.parent.type == "selector_expression"
    ):
        node = node.parent
    selector = node.parent
    call = selector.parent if selector is not None else None
    if selector is None or selector.type != "selector_expression" or call is None or (
        call.type != "call_expression"
    ):
        return None
    if text(selector.child_by_field_name("field")) not in resource.release_methods:
        return None
    return call


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [UnclosedResource]
