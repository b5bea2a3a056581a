"""Where a package's channel fields get their channels (GL303): does the package own them?

A channel field the package fills only with its own ``make(chan …)`` (directly, or through a
local bound to one) is the package's to close. One filled from a call of another package
(``ssh.NewServerConn``'s channels, ``reaper.Subscribe()``), a parameter, another field, or a
positional composite literal the syntax does not map to fields is someone else's: its producer
may close it, and nothing here can tell.
"""

from __future__ import annotations

from .channels import closes
from .model import FUNCTION_NODES, FileModel, Package
from .syntax import Node, text

_ASSIGNED = "(assignment_statement left: (expression_list) @l right: (expression_list) @r) @a"
_LITERALS = "(composite_literal type: (_) @t body: (literal_value) @b)"


def foreign_field(pkg: Package, field: str, owners: set[str], tests: bool) -> bool:
    """Some value of field ``field`` (of a struct type in ``owners``) comes from outside the
    package's own ``make``, or the package never fills it at all. Test files are read only
    with ``tests`` (a test's own values say nothing of the code under test)."""
    sources = 0
    for f in pkg.files:
        if field.encode() not in f.source or (f.is_test and not tests):
            continue
        found = f.captures(_ASSIGNED)
        for left, right in zip(found.get("l", []), found.get("r", []), strict=False):
            targets = [c for c in left.named_children if c.type != "comment"]
            values = [c for c in right.named_children if c.type != "comment"]
            for index, target in enumerate(targets):
                if target.type != "selector_expression" or text(
                        target.child_by_field_name("field")) != field:
                    continue
                sources += 1
                value = values[index] if len(values) == len(targets) else None
                if not _own_channel(f, value):
                    return True
        literals = f.captures(_LITERALS)
        for kind, body in zip(literals.get("t", []), literals.get("b", []), strict=False):
            if text(kind).lstrip("&*").rsplit(".", 1)[-1] not in owners:
                continue
            elements = [e for e in body.named_children if e.type != "comment"]
            if elements and all(e.type != "keyed_element" for e in elements):
                return True  # positional: the field's value is not told apart here
            for element in elements:
                key, value = _keyed(element)
                if key != field:
                    continue
                sources += 1
                if not _own_channel(f, value):
                    return True
    return sources == 0


def _keyed(element: Node) -> tuple[str, Node | None]:
    if element.type != "keyed_element":
        return "", None
    parts = [c for c in element.named_children if c.type != "comment"]
    if len(parts) != 2:
        return "", None
    value = parts[1]
    if value.type == "literal_element" and value.named_child_count == 1:
        value = value.named_children[0]
    return text(parts[0]), value


def _own_channel(f: FileModel, value: Node | None) -> bool:
    """``make(chan …)``, ``nil``, or a local of the same function bound to ``make(chan …)``
    and not closed under that name (closing the local closes the field)."""
    if value is None:
        return False
    if value.type == "nil" or _is_make(value):
        return True
    if value.type != "identifier" or not f.is_local(value):
        return False
    function = value.parent
    while function is not None and function.type not in FUNCTION_NODES:
        function = function.parent
    if function is None:
        return False
    name = text(value)
    if closes(f, function, name):
        return False
    for declared in f.captures("(short_var_declaration left: (expression_list) @l "
                             "right: (expression_list) @r)", function).get("l", []):
        names = [text(c) for c in declared.named_children if c.type != "comment"]
        right = declared.next_named_sibling
        while right is not None and right.type == "comment":
            right = right.next_named_sibling
        if name in names and right is not None:
            values = [c for c in right.named_children if c.type != "comment"]
            index = names.index(name)
            if index < len(values) and _is_make(values[index]):
                return True
    return False


def _is_make(node: Node) -> bool:
    if node.type != "call_expression":
        return False
    fn = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    return fn is not None and text(fn) == "make" and args is not None and any(
        a.type == "channel_type" for a in args.named_children)
