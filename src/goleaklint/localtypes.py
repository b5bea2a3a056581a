"""Light types of local expressions: parameters, receivers, fields and a few constructors.

Just enough to tell a ``*sql.DB`` from a ``*http.Client`` at a method call, from syntax alone.
A type parameter reads as its constraint's core type (typeparams.py): ``ch T`` with ``T chan
int`` is a channel.
"""

from __future__ import annotations

from .model import FUNCTION_NODES, FileModel, Package, resolve_selector
from .syntax import Node, text
from .typeparams import field_type_parameter, resolve_type_parameter
from .types import UNKNOWN, TypeRef, type_from_node

# Results of well-known constructors, by qualified function name.
_SQL_DB = TypeRef("qualified", name="DB", package="database/sql")
_SQLX_DB = TypeRef("qualified", name="DB", package="github.com/jmoiron/sqlx")
_HTTP_CLIENT = TypeRef("pointer", elem=TypeRef("qualified", name="Client", package="net/http"))
_TEST_SERVER = TypeRef("pointer", elem=TypeRef("qualified", name="Server",
                                               package="net/http/httptest"))
_RETRYABLE = "github.com/hashicorp/go-retryablehttp"
CONSTRUCTOR_RESULTS = {
    "database/sql.Open": _SQL_DB,
    "database/sql.OpenDB": _SQL_DB,
    **{f"github.com/jmoiron/sqlx.{n}": _SQLX_DB
       for n in ("Open", "Connect", "MustConnect", "MustOpen", "NewDb")},
    "time.NewTicker": TypeRef("pointer", elem=TypeRef("qualified", name="Ticker",
                                                      package="time")),
    "net/http.Dir": TypeRef("qualified", name="Dir", package="net/http"),  # a conversion
    "net/http.FS": TypeRef("qualified", name="FileSystem", package="net/http"),
    **{f"net/http/httptest.{n}": _TEST_SERVER
       for n in ("NewServer", "NewTLSServer", "NewUnstartedServer")},
    f"{_RETRYABLE}.NewClient": TypeRef("pointer", elem=TypeRef("qualified", name="Client",
                                                               package=_RETRYABLE)),
}
# Results of well-known methods, by the receiver's qualified type and the method's name.
METHOD_RESULTS = {
    ("net/http/httptest.Server", "Client"): _HTTP_CLIENT,
    (f"{_RETRYABLE}.Client", "StandardClient"): _HTTP_CLIENT,
}
PACKAGE_VARS = {
    "net/http.DefaultClient": TypeRef("qualified", name="Client", package="net/http"),
    "net/http.DefaultTransport": TypeRef("qualified", name="RoundTripper", package="net/http"),
}


def enclosing_functions(node: Node) -> list[Node]:
    """Function literals and the declaration around ``node``, innermost first."""
    found = []
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_NODES:
            found.append(parent)
            if parent.type != "func_literal":
                break
        parent = parent.parent
    return found


def _parameter_type(function: Node, name: str, f: FileModel) -> TypeRef | None:
    for field_name in ("receiver", "parameters", "result"):
        params = function.child_by_field_name(field_name)
        if params is None or params.type != "parameter_list":
            continue
        for param in params.named_children:
            if param.type not in ("parameter_declaration", "variadic_parameter_declaration"):
                continue
            if any(text(n) == name for n in param.children_by_field_name("name")):
                return type_from_node(param.child_by_field_name("type"), f.resolve_package)
    return None


def _local_assignment_type(
    function: Node, ident: Node, pkg: Package, f: FileModel, depth: int
) -> TypeRef:
    """The type of a local from its declaration: ``var x T``, ``x := sql.Open(…)``, ``&T{}``."""
    name = text(ident)
    body = function.child_by_field_name("body")
    if body is None:
        return UNKNOWN
    found = f.captures(
        """
        (var_spec name: (identifier) @name) @spec
        (short_var_declaration left: (expression_list (identifier) @name)) @spec
        """,
        body,
    )
    best = UNKNOWN
    for spec, target in zip(found.get("spec", []), found.get("name", []), strict=False):
        if text(target) != name or target.start_byte > ident.start_byte:
            continue
        if spec.type == "var_spec":
            declared = spec.child_by_field_name("type")
            if declared is not None:
                best = type_from_node(declared, f.resolve_package)
                continue
            values = spec.child_by_field_name("value")
        else:
            values = spec.child_by_field_name("right")
        value = values.named_children[0] if values is not None and (
            values.named_child_count) else None
        if value is None:
            continue
        t = expression_type(value, pkg, f, depth + 1)
        if t.kind != "unknown":
            best = t
    return best


def expression_type(expr: Node | None, pkg: Package, f: FileModel, depth: int = 0) -> TypeRef:
    """A light type for ``expr`` where syntax tells it; UNKNOWN otherwise."""
    if expr is None or depth > 8:
        return UNKNOWN
    kind = expr.type
    if kind == "parenthesized_expression" and expr.named_child_count:
        return expression_type(expr.named_children[0], pkg, f, depth + 1)
    if kind == "identifier":
        if f.is_local(expr):
            for function in enclosing_functions(expr):
                t = _parameter_type(function, text(expr), f)
                if t is not None:
                    return resolve_type_parameter(t, expr, pkg, f)
                t = _local_assignment_type(function, expr, pkg, f, depth)
                if t.kind != "unknown":
                    return resolve_type_parameter(t, expr, pkg, f)
            return UNKNOWN
        return pkg.var_type(text(expr))
    if kind == "selector_expression":
        qualified = resolve_selector(f, expr, pkg)
        if qualified is not None:
            return PACKAGE_VARS.get(qualified, UNKNOWN)
        owner = expression_type(expr.child_by_field_name("operand"), pkg, f, depth + 1)
        if owner.kind == "unknown":
            return UNKNOWN
        return field_type_parameter(owner, pkg.field_type(
            owner, text(expr.child_by_field_name("field"))), pkg)
    if kind == "call_expression":
        qualified = resolve_selector(f, expr, pkg)
        if qualified in CONSTRUCTOR_RESULTS:
            return CONSTRUCTOR_RESULTS[qualified]
        fn = expr.child_by_field_name("function")
        if qualified is None and fn is not None and fn.type == "selector_expression":
            owner = expression_type(fn.child_by_field_name("operand"), pkg, f, depth + 1).deref()
            found = METHOD_RESULTS.get((owner.qualified_name, text(
                fn.child_by_field_name("field")))) if owner.kind == "qualified" else None
            if found is not None:
                return found
    return pkg.initialiser_type(expr, f)


def made_by(expr: Node, pkg: Package, f: FileModel) -> str | None:
    """The other package's function (``github.com/jackc/pgx/v4.Connect``) whose first result
    the local ``expr`` last took before it (``conn, err := pgx.Connect(…)``), or None."""
    call = defining_call(expr, f)
    return resolve_selector(f, call, pkg) if call is not None else None


def defining_call(expr: Node, f: FileModel) -> Node | None:
    """The call whose first result the local ``expr`` last took before it (``x, err :=
    call(…)``, ``x = call(…)``), or None (not a local, or not from a call)."""
    if expr.type != "identifier" or not f.is_local(expr):
        return None
    name = text(expr)
    found: Node | None = None
    for function in enclosing_functions(expr):
        body = function.child_by_field_name("body")
        if body is None:
            continue
        specs = f.captures("""
            (short_var_declaration left: (expression_list . (identifier) @name)) @spec
            (assignment_statement left: (expression_list . (identifier) @name)) @spec
            """, body)
        for spec, target in zip(specs.get("spec", []), specs.get("name", []), strict=False):
            if text(target) != name or target.start_byte > expr.start_byte:
                continue
            values = spec.child_by_field_name("right")
            value = values.named_children[0] if values is not None and (
                values.named_child_count == 1) else None
            found = value if value is not None and value.type == "call_expression" else None
        if found is not None:
            return found
    return None
