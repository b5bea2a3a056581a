"""Which unreleased paths of a resource matter (GL201): an error return where an error ends the
run (a test, a short-lived tool), a close deferred before the value was opened, a result thrown
away from a call that is expected to fail."""

from __future__ import annotations

import re

from .callees import mentions
from .flow import Block
from .model import FileModel, Package
from .noreturn import call_ends
from .ownership import Resource
from .selfclosing import close_of, deferred_literal, enclosing_literal
from .syntax import Node, text

_TEST_SUPPORT = re.compile(
    r"^(?!latest$)(\w*test(s|ing|utils?|helpers?|suites?|server|env)?|e2e|integration\w*)$",
    re.IGNORECASE)


def test_support(pkg: Package) -> bool:
    """A package of test support (``internal/acmetest``, ``awstesting``, ``testutil``,
    ``integrationtests/tools``, ``e2e``): code tests run, not a long-lived process. Judged
    by the folders below the module root (the last two when there is no go.mod)."""
    folders = pkg.directory.parts
    gomod = pkg.module.gomod
    if gomod is not None and pkg.directory.is_relative_to(gomod.parent):
        folders = pkg.directory.relative_to(gomod.parent).parts
    else:
        folders = folders[-2:]
    return any(_TEST_SUPPORT.match(part) for part in folders)


def error_return(block: Block, function: Node) -> bool:
    """``block`` is a ``return`` that hands an error up: ``function`` ends in an ``error``
    result and the statement's last value is not ``nil``."""
    node = block.node
    if node is None or node.type != "return_statement":
        return False
    result = function.child_by_field_name("result")
    if result is None:
        return False
    last_type = result if result.type != "parameter_list" else (
        result.named_children[-1].child_by_field_name("type") if result.named_children else None)
    if last_type is None or text(last_type) != "error":
        return False
    values = next((c for c in node.named_children if c.type == "expression_list"), None)
    if values is None or not values.named_children:
        return False  # a bare return: what the named error holds is not known here
    return text(values.named_children[-1]) != "nil"


def closed_by_earlier_defer(f: FileModel, function: Node, statement: Node, name: str,
                            resource: Resource) -> bool:
    """A ``defer func() { … name.Close() … }()`` placed before ``statement`` (the usual
    ``var f *os.File; defer func() { if f != nil { f.Close() } }()``): every return closes
    whatever ``name`` holds then."""
    body = function.child_by_field_name("body")
    if body is None:
        return False
    for m in mentions(f, body, name):
        if m.start_byte >= statement.start_byte:
            break
        close = close_of(m, resource)
        if close is None or close.type != "call_expression":
            continue
        literal = enclosing_literal(close, body)
        if literal is not None and deferred_literal(literal) and not _declares(literal, name):
            return True
    return False


def _declares(literal: Node, name: str) -> bool:
    """Whether ``literal`` has a parameter ``name`` (then its ``name`` is another value)."""
    params = literal.child_by_field_name("parameters")
    return params is not None and any(
        text(n) == name for p in params.named_children for n in p.children_by_field_name("name"))


def expected_to_fail(statement: Node, err: str, f: FileModel, pkg: Package) -> bool:
    """``_, err = call(…)`` followed by (or in the initialiser of) ``if err == nil { …;
    t.Fatal(…) }`` (``err == nil || …`` too): the call is expected to fail, so there is no
    value; when it does not, the test or program ends."""
    check = statement.next_named_sibling
    while check is not None and check.type == "comment":
        check = check.next_named_sibling
    if statement.parent is not None and statement.parent.type == "if_statement" and (
        statement.parent.child_by_field_name("initializer") == statement
    ):
        check = statement.parent  # if _, err := open(…); err == nil { os.Exit(1) }
    elif check is not None and check.type == "if_statement" and check.child_by_field_name(
        "initializer"
    ) is not None:
        return False
    if not err or check is None or check.type != "if_statement":
        return False
    cond = check.child_by_field_name("condition")
    while cond is not None and cond.type == "binary_expression" and text(
        cond.child_by_field_name("operator")
    ) == "||":
        cond = cond.child_by_field_name("left")  # err == nil || …: taken when err is nil
    if cond is None or cond.type != "binary_expression" or text(
        cond.child_by_field_name("operator")
    ) != "==" or {text(cond.child_by_field_name("left")),
                  text(cond.child_by_field_name("right"))} != {err, "nil"}:
        return False
    block = check.child_by_field_name("consequence")
    lists = [c for c in block.named_children if c.type == "statement_list"] if block else []
    body = [s for s in lists[0].named_children if s.type != "comment"] if lists else []
    if not body or body[-1].type != "expression_statement" or not body[-1].named_child_count:
        return False
    return call_ends(body[-1].named_children[0], f, pkg) is not None
