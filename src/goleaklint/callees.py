"""The functions of the package a call runs, their parameters, and the mentions of a name:
one answer for every analysis that follows a value into a callee (ownership, channels handed
to helpers, a goroutine's sends through helpers, tickers)."""

from __future__ import annotations

from .localtypes import expression_type
from .model import FileModel, Package, resolve_selector
from .syntax import Node, text


def package_callee(pkg: Package, f: FileModel, call_fn: Node) -> tuple[FileModel, Node] | None:
    """The function of the package a call's function expression ``call_fn`` (in ``f``) runs,
    with its file: a declared function or method (through a pointer or not), or a literal
    called where it is written. None for a function value, a builtin, another package's
    function, an interface or promoted method. A package function shadows a builtin
    (``func close(…)``)."""
    while call_fn.type == "parenthesized_expression" and call_fn.named_child_count:
        call_fn = call_fn.named_children[0]
    if call_fn.type == "func_literal":  # func(b io.ReadCloser) { … }(resp.Body)
        return f, call_fn
    if call_fn.type == "identifier":
        decl = None if f.is_local(call_fn) else pkg.funcs.get(text(call_fn))
        return (decl.file, decl.node) if decl is not None else None
    if call_fn.type == "selector_expression":
        if resolve_selector(f, call_fn, pkg) is not None:
            return None  # another package's function
        operand = call_fn.child_by_field_name("operand")
        receiver = expression_type(operand, pkg, f).deref()
        if receiver.kind != "named":
            return None
        method = text(call_fn.child_by_field_name("field"))
        decl = pkg.methods.get(receiver.name, {}).get(method)
        return (decl.file, decl.node) if decl is not None else None
    return None


def parameter_names(function: Node) -> list[str]:
    """The names of a function's parameters, one per parameter (``_`` for an unnamed one),
    the variadic one included."""
    params = function.child_by_field_name("parameters")
    names: list[str] = []
    for p in params.named_children if params is not None else []:
        if p.type in ("parameter_declaration", "variadic_parameter_declaration"):
            ns = p.children_by_field_name("name")
            names.extend(text(n) for n in ns) if ns else names.append("_")
    return names


def fixed_parameter(function: Node, index: int) -> str | None:
    """The name of parameter ``index`` (``_`` when unnamed); None when argument ``index``
    falls on the variadic parameter or past the last one."""
    params = function.child_by_field_name("parameters")
    names: list[str] = []
    for p in params.named_children if params is not None else []:
        if p.type == "variadic_parameter_declaration":
            break
        if p.type == "parameter_declaration":
            ns = p.children_by_field_name("name")
            names.extend(text(n) for n in ns) if ns else names.append("_")
    return names[index] if index < len(names) else None


def mentions(f: FileModel, scope: Node, name: str) -> list[Node]:
    """Identifiers spelled ``name`` under ``scope`` (function literals included)."""
    spelled = name.encode()  # compared as bytes: no decoding of every identifier
    return [n for n in f.captures("(identifier) @i", scope).get("i", []) if n.text == spelled]
