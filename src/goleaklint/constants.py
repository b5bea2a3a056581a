"""Integer constant folding: the value of a constant expression, where syntax tells it
(literals, package and local constants, ``iota``-free arithmetic, conversions to integer
types); None otherwise."""

from __future__ import annotations

from .model import FileModel, Package, spec_names
from .syntax import Node, text

MAX_DEPTH = 12  # deeper expressions are not folded: a bound on recursion

_INT_CONVERSIONS = frozenset({"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
                              "uint32", "uint64", "uintptr", "byte", "rune"})
_SHIFT_LIMIT = 64


def int_literal(literal: str) -> int | None:
    """The value of a Go integer literal (``1_000``, ``0x10``, ``0o7``, ``017``, ``0b1``)."""
    s = literal.replace("_", "").lower()
    try:
        if len(s) > 1 and s[0] == "0" and s[1].isdigit():
            return int(s, 8)
        return int(s, 0)
    except ValueError:
        return None


def const_int(pkg: Package, f: FileModel, expr: Node | None, _depth: int = 0) -> int | None:
    """The value of an integer constant expression, or None when it does not fold.

    Literals, parentheses, ``+ - * / % << >> | & ^ &^``, unary ``-``/``+``, conversions to an
    integer type, and constants of the package or of the enclosing function.
    """
    if expr is None or _depth > MAX_DEPTH:
        return None
    kind = expr.type
    if kind == "int_literal":
        return int_literal(text(expr))
    if kind == "parenthesized_expression" and expr.named_child_count:
        return const_int(pkg, f, expr.named_children[0], _depth + 1)
    if kind == "binary_expression":
        left = const_int(pkg, f, expr.child_by_field_name("left"), _depth + 1)
        if left is None:
            return None
        right = const_int(pkg, f, expr.child_by_field_name("right"), _depth + 1)
        if right is None:
            return None
        return _binary(text(expr.child_by_field_name("operator")), left, right)
    if kind == "unary_expression":
        value = const_int(pkg, f, expr.child_by_field_name("operand"), _depth + 1)
        operator = text(expr.child_by_field_name("operator"))
        if value is None or operator not in ("-", "+"):
            return None
        return -value if operator == "-" else value
    if kind == "call_expression":
        fn = expr.child_by_field_name("function")
        args = expr.child_by_field_name("arguments")
        if (fn is not None and text(fn) in _INT_CONVERSIONS and args is not None
                and args.named_child_count == 1):
            return const_int(pkg, f, args.named_children[0], _depth + 1)
        return None
    if kind == "identifier":
        # Shadowing a constant by a variable is rare enough not to pay for scope lookups.
        local = _local_const(expr)
        if local is not None:
            return const_int(pkg, f, local, _depth + 1)
        decl = pkg.const(text(expr))
        if decl is not None and decl.value is not None:
            return const_int(pkg, decl.file, decl.value, _depth + 1)
    return None


def _binary(operator: str, left: int, right: int) -> int | None:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator in ("/", "%"):
        if right == 0:
            return None
        quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
        return quotient if operator == "/" else left - quotient * right
    if operator in ("<<", ">>"):
        if not 0 <= right <= _SHIFT_LIMIT:
            return None
        return left << right if operator == "<<" else left >> right
    if operator == "|":
        return left | right
    if operator == "&":
        return left & right
    if operator == "^":
        return left ^ right
    if operator == "&^":
        return left & ~right
    return None


def _local_const(ident: Node) -> Node | None:
    """The value of a ``const`` declared in an enclosing block of ``ident``."""
    name = text(ident)
    parent = ident.parent
    while parent is not None and parent.type != "source_file":
        if parent.type == "statement_list":
            for statement in parent.named_children:
                if statement.start_byte >= ident.start_byte:
                    break
                if statement.type != "const_declaration":
                    continue
                for spec in statement.named_children:
                    names = spec_names(spec)
                    values = spec.child_by_field_name("value")
                    if values is None or len(values.named_children) != len(names):
                        continue
                    for n, v in zip(names, values.named_children, strict=True):
                        if text(n) == name:
                            return v
        parent = parent.parent
    return None
