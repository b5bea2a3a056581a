"""Resource rules that follow a value along the paths of its function: GL201, GL202, GL203."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..facts import package_fact
from ..fixes import defer_cancel, defer_close
from ..flow import CFG, Block, Escape, find_escape, flows
from ..localtypes import expression_type
from ..model import (
    FileModel,
    Package,
    function_name,
    innermost_function,
    resolve_selector,
    spec_names,
)
from ..ownership import FILE_LIKE, Resource, mentions, ownership
from ..plugins import hookimpl
from ..rule import Gate, Rule
from ..syntax import Node, captures_in, learn, text
from ..types import TypeRef

RESPONSE = Resource(through_field="Body")
TX = Resource(release_methods=frozenset({"Commit", "Rollback"}))
TICKER = Resource(release_methods=frozenset({"Stop"}))

# Package functions that open something the caller must close: name -> (resource, indices).
PACKAGE_OPENERS: dict[str, tuple[Resource, tuple[int, ...]]] = {
    **{f"os.{n}": (FILE_LIKE, (0,)) for n in ("Open", "Create", "OpenFile")},
    "os.Pipe": (FILE_LIKE, (0, 1)),
    **{f"net.{n}": (FILE_LIKE, (0,)) for n in (
        "Dial", "DialTimeout", "DialTCP", "DialUDP", "DialUnix", "DialIP", "Listen",
        "ListenTCP", "ListenUDP", "ListenUnix", "ListenUnixgram", "ListenPacket", "ListenIP",
        "ListenMulticastUDP")},
    "crypto/tls.Dial": (FILE_LIKE, (0,)),
    "crypto/tls.DialWithDialer": (FILE_LIKE, (0,)),
    "crypto/tls.Listen": (FILE_LIKE, (0,)),
    **{f"net/http.{n}": (RESPONSE, (0,)) for n in ("Get", "Post", "Head", "PostForm")},
}
SQL_TYPES = frozenset({"database/sql.DB", "database/sql.Tx", "database/sql.Conn",
                       "database/sql.Stmt", "github.com/jmoiron/sqlx.DB",
                       "github.com/jmoiron/sqlx.Tx", "github.com/jmoiron/sqlx.Conn",
                       "github.com/jmoiron/sqlx.Stmt"})
SQL_METHODS: dict[str, Resource] = {
    **{n: FILE_LIKE for n in ("Query", "QueryContext", "Queryx", "QueryxContext")},
    **{n: FILE_LIKE for n in ("Prepare", "PrepareContext", "Preparex", "PreparexContext")},
    **{n: TX for n in ("Begin", "BeginTx", "Beginx", "BeginTxx", "MustBegin", "MustBeginTx")},
}
# What confirms an opener on a value whose type the syntax does not tell.
SQL_EVIDENCE = {"Query": "Next", "QueryContext": "Next", "Queryx": "Next",
                "QueryxContext": "Next", "Prepare": "Exec", "PrepareContext": "Exec",
                "Begin": "Commit", "BeginTx": "Commit"}
CLIENT_TYPES = frozenset({"net/http.Client"})
CLIENT_METHODS = frozenset({"Do", "Get", "Post", "Head", "PostForm"})
DIALER_TYPES = frozenset({"net.Dialer", "crypto/tls.Dialer"})
DIALER_METHODS = frozenset({"Dial", "DialContext"})
OPENER_METHODS = frozenset(SQL_METHODS) | CLIENT_METHODS | DIALER_METHODS
# Questions of every function body of a package, answered from each file's combined query.
_RETURNS = learn("(return_statement (expression_list) @r)")
_SHORT_VARS = learn("(short_var_declaration) @s")
_STORED_LOCALS = learn("(assignment_statement left: (expression_list [(selector_expression) "
                       "(index_expression)]) right: (expression_list (identifier) @v))")
# The names a call must end in to be an opener (``recognise_opener``), same-package ones apart.
OPENER_NAMES = OPENER_METHODS | {name.rpartition(".")[2] for name in PACKAGE_OPENERS}
WITH_CANCEL = frozenset({f"context.{n}" for n in (
    "WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause", "WithTimeoutCause",
    "WithDeadlineCause")})
_WITH_CANCEL_NAMES = frozenset(name.rpartition(".")[2] for name in WITH_CANCEL)


@dataclass(frozen=True)
class Opener:
    """A call that returns something to release, and how its results are released."""

    call: Node
    name: str  # as the message shows it: os.Open, db.QueryContext
    resource: Resource
    indices: tuple[int, ...]


def result_names(function: Node) -> set[str]:
    result = function.child_by_field_name("result")
    if result is None or result.type != "parameter_list":
        return set()
    return {text(n) for p in result.named_children for n in p.children_by_field_name("name")}


def _statement_of(call: Node) -> tuple[Node | None, Node | None]:
    """The statement an opener's results go to, and the left-hand list when assigned."""
    parent = call.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None:
        return None, None
    if parent.type == "expression_statement":
        return parent, None
    if parent.type == "expression_list":
        holder = parent.parent
        if holder is None:
            return None, None
        if holder.type in ("short_var_declaration", "assignment_statement"):
            return holder, holder.child_by_field_name("left")
        if holder.type == "var_spec":
            names = spec_names(holder)
            return holder.parent if holder.parent is not None else holder, _Names(names)
        if holder.type == "return_statement":
            return holder, None
    return parent, None


class _Names:
    """The names of a ``var`` spec, shaped like an expression list."""

    def __init__(self, names: list[Node]) -> None:
        self.named_children = names


# Predicates that are true only for a non-nil error: os.IsNotExist(err), errors.Is(err, x)…
ERROR_PREDICATES = frozenset({"IsNotExist", "IsExist", "IsPermission", "IsTimeout", "Is", "As"})


def _error_check(cond: Block, label: bool | None, err: str, value: str) -> bool:
    """True on the branch where the opener failed: ``err != nil`` or ``value == nil``."""
    node = cond.node
    if cond.kind != "cond" or node is None:
        return False
    return _failed(node, label, err, value)


def _failed(node: Node, label: bool | None, err: str, value: str, depth: int = 0) -> bool:
    """Whether taking branch ``label`` of condition ``node`` implies the opener failed."""
    if depth > 64:  # a generated chain of ``&&``: looking further would exhaust the stack
        return False
    depth += 1
    while node.type == "parenthesized_expression" and node.named_child_count:
        node = node.named_children[0]
    if node.type == "unary_expression" and text(node.child_by_field_name("operator")) == "!":
        operand = node.child_by_field_name("operand")
        flipped = None if label is None else not label
        return operand is not None and _failed(operand, flipped, err, value, depth)
    if node.type == "call_expression" and err and label is True:
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        name = text(fn.child_by_field_name("field")) if fn is not None and (
            fn.type == "selector_expression") else text(fn)
        return name in ERROR_PREDICATES and args is not None and any(
            text(a) == err for a in args.named_children)
    if node.type != "binary_expression":
        return False
    op = text(node.child_by_field_name("operator"))
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if op == "&&" and label is True and left is not None and right is not None:
        return _failed(left, True, err, value, depth) or _failed(right, True, err, value, depth)
    if op == "||" and label is False and left is not None and right is not None:
        return (_failed(left, False, err, value, depth)
                or _failed(right, False, err, value, depth))
    sides = {text(node.child_by_field_name("left")), text(node.child_by_field_name("right"))}
    if "nil" not in sides:
        return False
    if err and err in sides:
        return (op == "!=" and label is True) or (op == "==" and label is False)
    if value in sides:
        return (op == "==" and label is True) or (op == "!=" and label is False)
    return False


def _describe(escape: Escape, f: FileModel) -> tuple[str, Node | None]:
    via = escape.via
    if via is not None and via.node is not None:
        line = f.position(via.node.start_byte)[0]
        if via.node.type == "return_statement":
            return f"on the path through the return at line {line}", via.node
        if escape.end is (escape.path[0] if escape.path else None):
            return "before the next iteration of the loop replaces it", None
        return f"before it is overwritten at line {line}", via.node
    return "on the path that reaches the end of the function", None


@dataclass
class LocalOpeners:
    """Same-package functions that return an opener's value, by name (``Open``, or
    ``Store.Open`` for a method): the resource and the result it is at; ``names``, the names
    they are called by (``Open``)."""

    found: dict[str, tuple[Resource, tuple[int, ...]]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def add(self, name: str, kind: Resource, indices: tuple[int, ...]) -> None:
        self.found[name] = (kind, indices)
        self.names.add(name.rpartition(".")[2])


@package_fact()
def local_openers(pkg: Package) -> LocalOpeners:
    """Same-package functions that return an opener's value (and keep no copy of it)."""
    openers = LocalOpeners()
    found = openers.found
    functions = [(name, decl) for name, decl in pkg.funcs.items()]
    functions += [(f"{owner}.{name}", decl) for owner, methods in pkg.methods.items()
                  for name, decl in methods.items()]
    functions = [(name, decl) for name, decl in functions
                 if decl.node.child_by_field_name("result") is not None]
    for _ in range(2):  # openers built on openers, one level deep
        before = len(found)
        names = _callee_pattern(OPENER_NAMES | {n.rpartition(".")[2] for n in found})
        for name, decl in functions:
            if name in found:
                continue
            body = decl.node.child_by_field_name("body")
            if body is None or not _mentions(names, decl.file.source, body.start_byte,
                                             body.end_byte):
                continue  # cheap: no call of anything that could open
            returns = captures_in(_RETURNS, body, decl.file.root).get("r", [])
            for ret in returns:
                if decl.file.innermost_function(ret) != decl.node:
                    continue
                for index, value in enumerate(ret.named_children):
                    kind = _opened_by(value, body, decl.file, pkg, openers)
                    if kind is not None:
                        openers.add(name, kind, (index,))
                        break
                if name in found:
                    break
        if len(found) == before:
            break  # nothing new: another pass would ask the same questions, to the same answers
    return openers


class _FlowRule(Rule):
    """Shared machinery: per-package flow graphs and ownership questions."""

    requires = (flows, ownership, local_openers)

    def __init__(self, context) -> None:
        super().__init__(context)
        self.flows = self.fact(flows)
        self.ownership = self.fact(ownership)

    def escape_of(self, function: Node, statement: Node, name: str, res: Resource,
                  err: str = "", endless: str = "") -> Escape | None:
        """A path from ``statement`` to a return on which ``name`` is never released."""
        assert self.file is not None
        cfg = self.flows.graph(function, self.file)
        start = cfg.block_of(statement)
        if start is None:
            return None
        if name in result_names(function):
            return None  # a named result: every return hands it to the caller
        releasing: set[int] = set()
        losing: set[int] = set()
        body = function.child_by_field_name("body")
        for mention in mentions(body, name) if body is not None else []:
            verdict = self.ownership.classify(self.file, mention, res)
            helper = _helper_name(mention, function) if verdict == "release" else ""
            if helper:  # `abort := func() { f.Close() }`: released where abort() is called
                releasing.update(id(b) for b in _call_blocks(cfg, body, helper))
                continue
            block = cfg.block_of(mention, through_literals=True)
            if block is None or block is start:
                continue
            if verdict == "release":
                releasing.add(id(block))
            elif verdict == "lost" and self.file.innermost_function(mention) == function:
                losing.add(id(block))
        # `if err != nil` after the opener: its error branch holds no value, until err is
        # assigned again (a later check then tests another call's error).
        first_checks = _reached_before_reassignment(cfg, start, err, function) if err else set()
        return find_escape(
            cfg, start,
            releases=lambda b: id(b) in releasing,
            dead_edge=lambda b, label: _error_check(
                b, label, err if id(b) in first_checks or b is start else "", name
            ) or (bool(endless) and label is False and _ranges_over(b, endless)),
            lost=lambda b: id(b) in losing,
        )


def declared_in(function: Node, name: str, statement: Node) -> bool:
    """Whether ``name`` at ``statement`` is a variable of ``function`` itself, not one a
    function literal captured from its surroundings (those outlive the literal)."""
    if function.type != "func_literal":
        return True
    if statement.type == "short_var_declaration":
        return True
    for m in mentions(function, name):
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


def _helper_name(mention: Node, function: Node) -> str:
    """The local variable a function literal around ``mention`` is bound to, if any."""
    parent = mention.parent
    literal = None
    while parent is not None and parent.id != function.id:
        if parent.type == "func_literal":
            literal = parent
        parent = parent.parent
    if literal is None or literal.parent is None or literal.parent.type != "expression_list":
        return ""
    holder = literal.parent.parent
    if holder is None or holder.type not in ("short_var_declaration", "assignment_statement"):
        return ""
    left = holder.child_by_field_name("left")
    if left is None or left.named_child_count != 1 or left.named_children[0].type != "identifier":
        return ""
    return text(left.named_children[0])


def _call_blocks(cfg: CFG, body: Node | None, name: str) -> list[Block]:
    """Blocks that call the local function ``name`` (directly, deferred, or handing it on)."""
    blocks = []
    for m in mentions(body, name) if body is not None else []:
        parent = m.parent
        holder = parent.parent if parent is not None else None
        if parent is not None and parent.type == "expression_list" and holder is not None and (
            holder.type in ("short_var_declaration", "assignment_statement")
        ) and holder.child_by_field_name("left") == parent:
            continue  # its definition
        block = cfg.block_of(m, through_literals=True)
        if block is not None:
            blocks.append(block)
    return blocks


def _reached_before_reassignment(cfg: CFG, start: Block, name: str, function: Node) -> set[int]:
    """Blocks reachable from ``start`` before a statement assigns ``name`` again."""
    body = function.child_by_field_name("body")
    assigning: set[int] = set()
    for mention in mentions(body, name) if body is not None else []:
        holder = mention.parent.parent if mention.parent is not None else None
        if holder is not None and holder.type in ("assignment_statement", "short_var_declaration",
                                                  "var_spec"):
            left = holder.child_by_field_name("left")
            if left is None or left.start_byte <= mention.start_byte < left.end_byte:
                block = cfg.block_of(mention)
                if block is not None:
                    assigning.add(id(block))
    seen: set[int] = set()
    stack = [succ for succ, _ in start.succs]
    while stack:
        block = stack.pop()
        if id(block) in seen or block is start:
            continue
        seen.add(id(block))
        if id(block) in assigning:
            continue
        stack.extend(succ for succ, _ in block.succs)
    return seen


class UnclosedResource(_FlowRule):
    """## What it finds
    A value from an opener that is not released on every path to return: files (`os.Open`,
    `os.Create`, `os.OpenFile`, `os.Pipe`), network connections and listeners (`net.Dial*`,
    `net.Listen*`, `tls.Dial`), SQL rows, statements and transactions (`Query*`, `Prepare*`,
    `Begin*` on `*sql.DB`, `*sql.Tx`, `*sql.Conn`), and HTTP response bodies (`http.Get`,
    `http.Post`, `http.Head`, `http.PostForm`, `(*http.Client).Do/Get/Post/Head`). A
    same-package function that returns such a value is an opener for its callers.

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
    - The value is followed within its function. It is released when it is closed, returned,
      stored in a field, global, map or slice, sent on a channel, captured by a goroutine, or
      passed to a function that takes ownership: a same-package function is looked into (does
      it close its parameter?); other packages' functions are assumed to take ownership except
      well-known readers and wrappers (`fmt`, `io.ReadAll`, `io.Copy`, `bufio`, decoders…).
    - The branch where the opener failed (`if err != nil`, `if f == nil`) is not a leak.
    - SQL and HTTP client methods are recognised on values whose type the syntax shows
      (parameters, fields, `sql.Open`, `&http.Client{}`); on other receivers only when the
      result is used as such (`rows.Next()`, `resp.Body`).
    - `QueryRow`, gzip/zlib readers, `httptest.ResponseRecorder.Result()` are not openers.

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
    precision = "high"
    tags = ("resources", "leak")

    def begin_file(self, file: FileModel) -> bool | None:
        return None if _may_open(file, self.package) else False  # no walk for nothing

    def visit_call_expression(self, node: Node) -> None:
        opener = self._opener(node)
        if opener is not None:
            self._check(opener)

    def _opener(self, call: Node) -> Opener | None:
        assert self.file is not None
        return recognise_opener(call, self.file, self.package)

    # Following the value ----------------------------------------------------------------------

    def _check(self, opener: Opener) -> None:
        statement, left = _statement_of(opener.call)
        if statement is None:
            return
        what = _resource_name(opener)
        if statement.type == "expression_statement":
            self.report(opener.call, f"the result of {opener.name} is discarded: {what} is "
                        "never closed")
            return
        if left is None:
            return  # returned, passed on, or used in place: someone else owns it
        targets = left.named_children
        function = self.file.innermost_function(opener.call)
        if function is None:
            return  # a package-level var initialiser: long-lived by design
        if self.package.name == "main" and function_name(function) == "main":
            return  # main returning ends the process, which releases everything
        err = text(targets[-1]) if len(targets) > max(opener.indices) + 1 else ""
        for index in opener.indices:
            if index >= len(targets):
                continue
            target = targets[index]
            if target.type != "identifier":
                continue  # stored in a field, map or slice
            name = text(target)
            if name == "_":
                self.report(opener.call, f"{what} from {opener.name} is discarded with _ and "
                            "never closed")
                continue
            assert self.file is not None
            if not self.file.is_local(target) and statement.type != "short_var_declaration":
                continue  # assigned to a package-level variable
            if not declared_in(function, name, statement):
                continue  # a closure setting its caller's variable: the caller owns it
            escape = self.escape_of(function, statement, name, opener.resource, err)
            if escape is None:
                continue
            where, via = _describe(escape, self.file)
            shown = f"{name}.Body" if opener.resource is RESPONSE else name
            verb = "committed or rolled back" if opener.resource is TX else "closed"
            related = ((self.file, via, "leaves here without closing"),) if via is not None else ()
            fix = None if opener.resource is TX else defer_close(
                self.file, statement, function, shown, self.ownership, opener.resource,
                self.package)
            self.report(opener.call, f"{shown} from {opener.name} is not {verb} {where}",
                        related, fix=fix)


def recognise_opener(call: Node, f: FileModel, pkg: Package, evidence: bool = True,
                     openers: LocalOpeners | None = None) -> Opener | None:
    """The opener ``call`` is, if any (``evidence``: also trust how an untyped result is used;
    ``openers``: the package's own, while they are being found)."""
    fn = call.child_by_field_name("function")
    if fn is None:
        return None
    if openers is None:
        openers = pkg.facts.get(local_openers)
    local = openers.found
    if fn.type == "identifier":
        found = local.get(text(fn))
        if found is not None and not f.is_local(fn):
            return Opener(call, text(fn), found[0], found[1])
        return None
    if fn.type != "selector_expression":
        return None
    method = text(fn.child_by_field_name("field"))
    if method not in OPENER_NAMES and method not in openers.names:
        return None  # cheap: most method calls are not openers
    qualified = resolve_selector(f, fn, pkg)
    if qualified is not None:
        known = PACKAGE_OPENERS.get(qualified)
        return Opener(call, text(fn), known[0], known[1]) if known is not None else None
    if method not in OPENER_METHODS and method not in openers.names:
        return None
    receiver = fn.child_by_field_name("operand")
    rtype = expression_type(receiver, pkg, f).deref()
    if rtype.kind == "named":
        own = local.get(f"{rtype.name}.{method}")
    else:  # an untyped receiver: only when every method of that name opens
        owners = [t for t, ms in pkg.methods.items() if method in ms]
        kinds = {local.get(f"{t}.{method}") for t in owners}
        own = kinds.pop() if len(kinds) == 1 and rtype.kind == "unknown" else None
    if own is not None:
        return Opener(call, text(fn), own[0], own[1])
    name = _qualified(rtype)
    if method in SQL_METHODS and name in SQL_TYPES:
        return Opener(call, text(fn), SQL_METHODS[method], (0,))
    if method in CLIENT_METHODS and name in CLIENT_TYPES:
        return Opener(call, text(fn), RESPONSE, (0,))
    if method in DIALER_METHODS and name in DIALER_TYPES:
        return Opener(call, text(fn), FILE_LIKE, (0,))
    if rtype.kind != "unknown" or not evidence:
        return None
    # A receiver the syntax does not type: believe it when the result is used as such.
    hint = SQL_EVIDENCE.get(method)
    if hint and _result_used_as(call, hint, call_method=True):
        return Opener(call, text(fn), SQL_METHODS[method], (0,))
    if method in CLIENT_METHODS and method != "Get" and _result_used_as(
        call, "Body", call_method=False
    ):
        return Opener(call, text(fn), RESPONSE, (0,))
    return None


def _result_used_as(call: Node, member: str, call_method: bool) -> bool:
    """Whether ``x, err := call`` (exactly two results) is followed by ``x.member``."""
    _, left = _statement_of(call)
    if left is None or len(left.named_children) != 2:
        return False
    target = left.named_children[0]
    function = innermost_function(call)
    if target.type != "identifier" or function is None:
        return False
    for m in mentions(function, text(target)):
        parent = m.parent
        if parent is not None and parent.type == "selector_expression" and text(
            parent.child_by_field_name("field")
        ) == member and (not call_method or (
            parent.parent is not None and parent.parent.type == "call_expression")):
            return True
    return False


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


def _qualified(t: TypeRef) -> str:
    return t.qualified_name if t.kind == "qualified" else ""


def _may_open(file: FileModel, pkg: Package) -> bool:
    """Cheap gate: the file imports a package with openers, or the package has its own."""
    paths = {i.path for i in file.imports}
    if paths & {"os", "net", "crypto/tls", "database/sql", "net/http", "github.com/jmoiron/sqlx"}:
        return True
    return bool(pkg.facts.get(local_openers).found) or any(
        p.endswith(("sql", "sqlx", "pgx", "pgxpool")) for p in paths)




_WORD_BYTES = frozenset(b"_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       ) | frozenset(range(0x80, 0x100))  # UTF-8 letters: part of a word


@lru_cache(maxsize=8)
def _callee_pattern(names: frozenset[str]) -> re.Pattern[bytes]:
    """Matches any of ``names`` ending a word (``_mentions`` checks where the word starts:
    a leading ``\b`` would cost the regex engine its first-character skip, 5x slower)."""
    return re.compile(b"(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names))
                      + rb")\b")


def _called_name(fn: Node) -> str:
    """The name a call's function is written with: ``Open`` of ``os.Open`` or of ``Open``."""
    if fn.type == "selector_expression":
        return text(fn.child_by_field_name("field"))
    return text(fn) if fn.type == "identifier" else ""


def _mentions(pattern: re.Pattern[bytes], source: bytes, start: int, end: int) -> bool:
    """Whether one of ``pattern``'s names is written as a whole word in ``source[start:end]``."""
    m = pattern.search(source, start, end)
    while m is not None:
        i = m.start()
        if i == 0 or source[i - 1] not in _WORD_BYTES:
            return True
        m = pattern.search(source, i + 1, end)
    return False


def _opened_by(value: Node, body: Node, f: FileModel, pkg: Package,
               known: LocalOpeners) -> Resource | None:
    """The resource kind when ``value`` (a returned expression) comes straight from an opener."""
    calls: list[Node] = []
    if value.type == "call_expression":
        calls = [value]
    elif value.type == "identifier":
        for spec in captures_in(_SHORT_VARS, body, f.root).get("s", []):
            left = spec.child_by_field_name("left")
            right = spec.child_by_field_name("right")
            if left is None or right is None or right.named_child_count != 1:
                continue
            if left.named_child_count and text(left.named_children[0]) == text(value):
                calls.append(right.named_children[0])
        # Kept in a long-lived place too (a statement cache): the cache owns it.
        stored = captures_in(_STORED_LOCALS, body, f.root)
        if any(text(v) == text(value) for v in stored.get("v", [])):
            return None
    for call in calls:
        if call.type != "call_expression":
            continue
        opener = recognise_opener(call, f, pkg, evidence=False, openers=known)
        if opener is not None and opener.indices == (0,):
            return opener.resource
    return None


class LostCancel(_FlowRule):
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
        if fn is None or _called_name(fn) not in _WITH_CANCEL_NAMES:
            return  # the cheap test first: most calls are not named like one
        qualified = resolve_selector(self.file, fn, self.package)
        if qualified not in WITH_CANCEL:
            return
        statement, left = _statement_of(node)
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
        where, via = _describe(escape, self.file)
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


class TickerLeak(_FlowRule):
    """## What it finds
    A `time.NewTicker` whose `Stop` is not called on the paths that leave the function, and
    `time.Tick` outside `main.main` and outside functions that never return. Only where the
    module's `go` directive is below 1.23.

    ## Why it leaks
    Before Go 1.23 a ticker that is not stopped is never garbage collected: the runtime
    timer keeps firing and keeps the ticker, its channel and everything reachable from them
    alive for the life of the process. `time.Tick` returns only the channel, so its ticker
    can never be stopped.

    ## Example
    ```go
    package poll

    import "time"

    func WaitReady(ready func() bool) {
    	t := time.NewTicker(100 * time.Millisecond)
    	for range t.C {
    		if ready() {
    			return
    		}
    	}
    }
    ```

    ## Use instead
    ```go
    package poll

    import "time"

    func WaitReady(ready func() bool) {
    	t := time.NewTicker(100 * time.Millisecond)
    	defer t.Stop()
    	for range t.C {
    		if ready() {
    			return
    		}
    	}
    }
    ```

    ## Known limits
    A ticker that is returned, stored or passed on is its new owner's to stop. Functions that
    never return (a `for` without condition and without `return` or `break`, or a
    `for range time.Tick(…)` loop) may use `time.Tick`. No go.mod, or `go 1.23` and later: the
    rule is silent (the runtime collects unreferenced timers).

    ## Peers
    staticcheck SA1015 (`time.Tick` in functions that return); goleaklint adds
    `time.NewTicker` without `Stop` on some path.
    """

    id = "GL203"
    name = "ticker-leak"
    family = "resources"
    summary = "A time.NewTicker is not stopped, or time.Tick is used in a function that returns."
    level = "warning"
    precision = "high"
    tags = ("resources", "timers", "leak")

    gate = Gate(imports=("time",))

    @classmethod
    def applies_to(cls, package: Package) -> bool:
        version = package.go_version
        return version is not None and version < (1, 23)

    def __init__(self, context) -> None:
        super().__init__(context)
        version = self.package.go_version  # the rule is about Go releases before 1.23
        self.relevant = version is not None and version < (1, 23)

    def visit_call_expression(self, node: Node) -> None:
        if not self.relevant:
            return
        assert self.file is not None
        fn = node.child_by_field_name("function")
        if fn is None or _called_name(fn) not in ("NewTicker", "Tick"):
            return  # the cheap test first: most calls are not named like one
        qualified = resolve_selector(self.file, fn, self.package)
        if qualified == "time.NewTicker":
            self._new_ticker(node, text(fn))
        elif qualified == "time.Tick":
            self._tick(node, text(fn))

    def _new_ticker(self, call: Node, shown: str) -> None:
        statement, left = _statement_of(call)
        if statement is None:
            return
        if statement.type == "expression_statement":
            self.report(call, f"the ticker from {shown} is discarded and never stopped")
            return
        if left is None or not left.named_children:
            return
        target = left.named_children[0]
        function = self.file.innermost_function(call)
        if target.type != "identifier" or function is None:
            return
        assert self.file is not None
        if text(target) == "_":
            self.report(call, f"the ticker from {shown} is discarded with _ and never stopped")
            return
        if not self.file.is_local(target) and statement.type != "short_var_declaration":
            return
        # `for range t.C` never ends: a ticker's channel is never closed.
        escape = self.escape_of(function, statement, text(target), TICKER,
                                endless=text(target) + ".C")
        if escape is None:
            return
        where, via = _describe(escape, self.file)
        related = ((self.file, via, "leaves here without Stop"),) if via is not None else ()
        self.report(call, f"ticker {text(target)} from {shown} is not stopped {where}", related)

    def _tick(self, call: Node, shown: str) -> None:
        function = self.file.innermost_function(call)
        if function is None:
            return
        if self.package.name == "main" and function_name(function) == "main":
            return
        cfg = self.flows.graph(function, self.file)
        start = cfg.block_of(call)
        endless_range = _ranged_over(call)
        head = cfg.block_of(endless_range) if endless_range is not None else None
        if start is not None and self._reaches_exit(cfg, start, head):
            self.report(call, f"{shown} leaks its ticker (it can never be stopped) in a "
                        "function that returns: use time.NewTicker and Stop it")

    @staticmethod
    def _reaches_exit(cfg: CFG, start: Block, endless_head: Block | None) -> bool:
        """Whether the exit is reachable from ``start`` when the loop ranging over time.Tick
        never ends (a guard that returns before the ticker exists does not count)."""
        seen = {id(start)}
        stack = [start]
        while stack:
            block = stack.pop()
            if block is cfg.exit:
                return True
            for succ, label in block.succs:
                if block is endless_head and label is False:
                    continue
                if id(succ) not in seen:
                    seen.add(id(succ))
                    stack.append(succ)
        return False


def _ranges_over(block: Block, channel: str) -> bool:
    """Whether ``block`` is the head of a ``for … range channel`` loop."""
    node = block.node
    return block.kind == "cond" and node is not None and node.type == "range_clause" and (
        text(node.child_by_field_name("right")) == channel)


def _ranged_over(call: Node) -> Node | None:
    """The range clause when ``call`` is what a ``for range`` iterates over."""
    parent = call.parent
    if parent is not None and parent.type == "range_clause" and (
        parent.child_by_field_name("right") == call
    ):
        return parent
    return None


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [UnclosedResource, LostCancel, TickerLeak]
