"""Openers: calls that return something the caller must close (files, connections, SQL
rows, HTTP bodies), and the ``local_openers`` fact (same-package functions that return
one). Used by GL201."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .callees import mentions
from .configopeners import EMPTY, ConfiguredOpeners, configured_openers
from .facts import package_fact
from .flow import flows
from .flowrule import statement_of
from .localtypes import defining_call, expression_type, made_by
from .model import FileModel, Package, resolve_selector
from .ownership import FILE_LIKE, RESPONSE, TX, Resource
from .queries import learn
from .selfclosing import closed_for_caller
from .syntax import Node, text
from .types import TypeRef, type_from_node

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
    # Not Head: the transport returns a HEAD response's connection to the pool before the
    # response reaches the caller, and its body is empty; nothing waits for a Close.
    **{f"net/http.{n}": (RESPONSE, (0,)) for n in ("Get", "Post", "PostForm")},
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
CLIENT_TYPES = frozenset({"net/http.Client", "github.com/hashicorp/go-retryablehttp.Client"})
CLIENT_METHODS = frozenset({"Do", "Get", "Post", "PostForm"})
DIALER_TYPES = frozenset({"net.Dialer", "crypto/tls.Dialer"})
DIALER_METHODS = frozenset({"Dial", "DialContext"})
# Other methods that open, by the receiver's qualified type and the method.
TYPED_OPENERS: dict[tuple[str, str], Resource] = {
    ("net/http.RoundTripper", "RoundTrip"): RESPONSE,
    ("net/http.Transport", "RoundTrip"): RESPONSE,
    ("net/http.Dir", "Open"): FILE_LIKE,  # an http.File
    ("net/http.FileSystem", "Open"): FILE_LIKE,
}
OPENER_METHODS = frozenset(SQL_METHODS) | CLIENT_METHODS | DIALER_METHODS | frozenset(
    method for _, method in TYPED_OPENERS)
# Questions of every function body of a package, answered from each file's combined query.
_RETURNS = learn("(return_statement (expression_list) @r)")
_SHORT_VARS = learn("(short_var_declaration) @s")
_STORED_LOCALS = learn("(assignment_statement left: (expression_list [(selector_expression) "
                       "(index_expression)]) right: (expression_list (identifier) @v))")
# The names a call must end in to be an opener (``recognise_opener``), same-package ones apart.
OPENER_NAMES = OPENER_METHODS | {name.rpartition(".")[2] for name in PACKAGE_OPENERS}


@dataclass(frozen=True)
class Opener:
    """A call that returns something to release, and how its results are released."""

    call: Node
    name: str  # as the message shows it: os.Open, db.QueryContext
    resource: Resource
    indices: tuple[int, ...]


@dataclass
class LocalOpeners:
    """Same-package functions that return an opener's value, by name (``Open``, or
    ``Store.Open`` for a method): the resource and the result it is at; ``names``, the names
    they are called by (``Open``); ``configured``, the openers the configuration names."""

    found: dict[str, tuple[Resource, tuple[int, ...]]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    configured: ConfiguredOpeners = EMPTY

    def add(self, name: str, kind: Resource, indices: tuple[int, ...]) -> None:
        self.found[name] = (kind, indices)
        self.names.add(name.rpartition(".")[2])


@package_fact(requires=(flows, configured_openers))
def local_openers(pkg: Package) -> LocalOpeners:
    """Same-package functions that return an opener's value (and keep no copy of it)."""
    configured = pkg.facts.get(configured_openers)
    openers = LocalOpeners(configured=configured)
    found = openers.found
    functions = [(name, decl) for name, decl in pkg.funcs.items()]
    functions += [(f"{owner}.{name}", decl) for owner, methods in pkg.methods.items()
                  for name, decl in methods.items()]
    functions = [(name, decl) for name, decl in functions
                 if decl.node.child_by_field_name("result") is not None]
    for _ in range(2):  # openers built on openers, one level deep
        before = len(found)
        names = _callee_pattern(OPENER_NAMES | configured.names
                                | {n.rpartition(".")[2] for n in found})
        for name, decl in functions:
            if name in found:
                continue
            body = decl.node.child_by_field_name("body")
            if body is None or not _mentions(names, decl.file.source, body.start_byte,
                                             body.end_byte):
                continue  # cheap: no call of anything that could open
            returns = decl.file.queries.captures_in(_RETURNS, body).get("r", [])
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
    configured = openers.configured
    if method not in OPENER_NAMES and method not in openers.names and (
            method not in configured.names):
        return None  # cheap: most method calls are not openers
    qualified = resolve_selector(f, fn, pkg)
    if qualified is not None:
        known = PACKAGE_OPENERS.get(qualified)
        if known is None and qualified in configured.functions:
            known = (configured.functions[qualified], (0,))
        return Opener(call, text(fn), known[0], known[1]) if known is not None else None
    if method not in OPENER_METHODS and method not in openers.names and (
            method not in configured.names):
        return None
    receiver = fn.child_by_field_name("operand")
    rtype = expression_type(receiver, pkg, f).deref()
    if method in configured.names:
        resource = _configured_method(configured, receiver, rtype, method, f, pkg)
        if resource is not None:
            return Opener(call, text(fn), resource, (0,))
    if rtype.kind == "named":
        own = local.get(f"{rtype.name}.{method}")
    else:  # an untyped receiver: only when every method of that name opens
        owners = [t for t, ms in pkg.methods.items() if method in ms]
        kinds = {local.get(f"{t}.{method}") for t in owners}
        own = kinds.pop() if len(kinds) == 1 and rtype.kind == "unknown" else None
        if own is not None and not _results_fit(call, [pkg.methods[t][method].node
                                                       for t in owners]):
            own = None  # ``resp.Header.Get(k)``: one result, not the opener's two
    if own is not None:
        return Opener(call, text(fn), own[0], own[1])
    name = _qualified(rtype)
    if method in SQL_METHODS and name in SQL_TYPES:
        return Opener(call, text(fn), SQL_METHODS[method], (0,))
    if method in CLIENT_METHODS and name in CLIENT_TYPES:
        return Opener(call, text(fn), RESPONSE, (0,))
    if method in DIALER_METHODS and name in DIALER_TYPES:
        return Opener(call, text(fn), FILE_LIKE, (0,))
    if (name, method) in TYPED_OPENERS:
        return Opener(call, text(fn), TYPED_OPENERS[name, method], (0,))
    if rtype.kind == "named" and _returns_response(pkg, rtype.name, method):
        return Opener(call, text(fn), RESPONSE, (0,))  # a field typed by an interface of ours
    if rtype.kind != "unknown" or not evidence:
        return None
    # A receiver the syntax does not type: believe it when the result is used as such.
    hint = SQL_EVIDENCE.get(method)
    if hint and _result_used_as(call, f, hint, call_method=True):
        return Opener(call, text(fn), SQL_METHODS[method], (0,))
    responds = method == "RoundTrip" or (method in CLIENT_METHODS and (
        method != "Get" or _client_from_call(receiver, f)))
    if responds and _result_used_as(call, f, "Body", call_method=False):
        return Opener(call, text(fn), RESPONSE, (0,))
    return None


def _client_from_call(receiver: Node | None, f: FileModel) -> bool:
    """``srv.Client()``, ``retryablehttp.NewClient()``, or a local that one of them made: a
    call named like a client's maker (then ``.Get(url)`` is an HTTP client's)."""
    call = receiver if receiver is not None and receiver.type == "call_expression" else (
        defining_call(receiver, f) if receiver is not None else None)
    fn = call.child_by_field_name("function") if call is not None else None
    if fn is None:
        return False
    name = text(fn.child_by_field_name("field")) if fn.type == "selector_expression" else text(fn)
    return name.endswith("Client")


def _returns_response(pkg: Package, type_name: str, method: str) -> bool:
    """Whether ``type_name`` is an interface of the package whose ``method`` returns
    ``(*http.Response, error)`` (``type Doer interface { Do(*http.Request) (*http.Response,
    error) }``); not one that returns the body read too (``(*http.Response, []byte, error)``:
    its implementations have closed it)."""
    decl = pkg.types.get(type_name)
    spec = decl.type_node if decl is not None else None
    if decl is None or spec is None or spec.type != "interface_type":
        return False
    for elem in spec.named_children:
        if elem.type != "method_elem" or text(elem.child_by_field_name("name")) != method:
            continue
        result = elem.child_by_field_name("result")
        params = [p for p in result.named_children if p.type == "parameter_declaration"] if (
            result is not None and result.type == "parameter_list") else []
        if len(params) != 2 or text(params[1].child_by_field_name("type")) != "error":
            return False
        t = type_from_node(params[0].child_by_field_name("type"), decl.file.resolve_package)
        t = t.deref()
        return t.kind == "qualified" and t.qualified_name == "net/http.Response"
    return False


def _configured_method(configured: ConfiguredOpeners, receiver: Node | None, rtype: TypeRef,
                       method: str, f: FileModel, pkg: Package) -> Resource | None:
    """The resource of a configured ``Type.Method`` called on ``receiver``: by its type, or
    (a type the syntax does not tell) by the package whose function made it, when one
    configured type of that package has the method (``conn, _ := pgx.Connect(…)``)."""
    if rtype.kind == "qualified":
        return configured.methods.get(f"{rtype.qualified_name}.{method}")
    if rtype.kind != "unknown" or receiver is None:
        return None
    origin = made_by(receiver, pkg, f)
    if origin is None:
        return None
    owners = configured.owners_of(origin.rpartition(".")[0], method)
    return owners[0] if len(owners) == 1 else None


def _results_fit(call: Node, declarations: list[Node]) -> bool:
    """Whether the values ``call`` is assigned to are as many as each declaration returns."""
    _, left = statement_of(call)
    if left is None:
        return True
    for declaration in declarations:
        result = declaration.child_by_field_name("result")
        if result is None:
            return False
        count = 1 if result.type != "parameter_list" else sum(
            max(len(p.children_by_field_name("name")), 1) for p in result.named_children
            if p.type == "parameter_declaration")
        if count != len(left.named_children):
            return False
    return True


def _result_used_as(call: Node, f: FileModel, member: str, call_method: bool) -> bool:
    """Whether ``x, err := call`` (exactly two results) is followed by ``x.member`` (in the
    block that declares ``x``, when the statement declares it)."""
    statement, left = statement_of(call)
    if statement is None or left is None or len(left.named_children) != 2:
        return False
    target = left.named_children[0]
    function = f.innermost_function(call)
    if target.type != "identifier" or function is None:
        return False
    scope = function
    if statement.type == "short_var_declaration" and statement.parent is not None:
        scope = statement.parent
    for m in mentions(f, scope, text(target)):
        if m.start_byte < statement.start_byte:
            continue
        parent = m.parent
        if parent is not None and parent.type == "selector_expression" and text(
            parent.child_by_field_name("field")
        ) == member and (not call_method or (
            parent.parent is not None and parent.parent.type == "call_expression")):
            return True
    return False


def _qualified(t: TypeRef) -> str:
    return t.qualified_name if t.kind == "qualified" else ""


_WORD_BYTES = frozenset(b"_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       ) | frozenset(range(0x80, 0x100))  # UTF-8 letters: part of a word


@lru_cache(maxsize=8)
def _callee_pattern(names: frozenset[str]) -> re.Pattern[bytes]:
    """Matches any of ``names`` ending a word (``_mentions`` checks where the word starts:
    a leading ``\b`` would cost the regex engine its first-character skip, 5x slower)."""
    return re.compile(b"(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names))
                      + rb")\b")


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
        for spec in f.queries.captures_in(_SHORT_VARS, body).get("s", []):
            left = spec.child_by_field_name("left")
            right = spec.child_by_field_name("right")
            if left is None or right is None or right.named_child_count != 1:
                continue
            if left.named_child_count and text(left.named_children[0]) == text(value):
                calls.append(right.named_children[0])
        # Kept in a long-lived place too (a statement cache): the cache owns it.
        stored = f.queries.captures_in(_STORED_LOCALS, body)
        if any(text(v) == text(value) for v in stored.get("v", [])):
            return None
    for call in calls:
        if call.type != "call_expression":
            continue
        opener = recognise_opener(call, f, pkg, evidence=False, openers=known)
        if opener is not None and opener.indices == (0,):
            if value.type == "identifier" and closed_for_caller(
                call, text(value), opener.resource, f, pkg
            ):
                return None  # closed on its way out, or by the cleanup it hands over
            return opener.resource
    return None

