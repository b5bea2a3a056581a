"""The batched, query-driven walk must behave exactly like a naive recursive walk."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.syntax import Node, Visitor, parse, run_visitors

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SOURCES = sorted(FIXTURES.rglob("*.go"))[:12]


class Recorder(Visitor):
    """Records events; skips the children of nodes whose type is in ``skip``."""

    def __init__(self, skip: frozenset[str] = frozenset()) -> None:
        self.events: list[tuple[str, str, int, int]] = []
        self.skip = skip

    def _visit(self, node: Node) -> bool | None:
        self.events.append(("visit", node.type, node.start_byte, node.end_byte))
        return False if node.type in self.skip else None

    def _leave(self, node: Node) -> None:
        self.events.append(("leave", node.type, node.start_byte, node.end_byte))

    visit_source_file = visit_function_declaration = visit_block = _visit
    visit_call_expression = visit_expression_statement = visit_identifier = _visit
    visit_func_literal = _visit
    leave_function_declaration = leave_call_expression = leave_expression_statement = _leave
    leave_func_literal = leave_source_file = _leave


def naive(visitor: Recorder, node: Node) -> None:
    """Reference semantics (LibCST): visit, children unless visit returned False, leave."""
    visit = getattr(visitor, "visit_" + node.type, None)
    descend = True
    if visit is not None and visit(node) is False:
        descend = False
    if descend:
        for child in node.children:
            naive(visitor, child)
    leave = getattr(visitor, "leave_" + node.type, None)
    if leave is not None:
        leave(node)


@pytest.mark.parametrize("skip", [frozenset(), frozenset({"func_literal", "call_expression"})])
@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name + "/" + p.name)
def test_batched_walk_matches_recursive_walk(path: Path, skip: frozenset[str]) -> None:
    tree = parse(path.read_bytes())
    expected, got = Recorder(skip), Recorder(skip)
    naive(expected, tree.root_node)
    run_visitors([got], tree.root_node)
    assert got.events == expected.events


def test_skipping_is_per_visitor() -> None:
    tree = parse(b"package p\nfunc f() { g(func() { h() }) }\n")
    skipping, full = Recorder(frozenset({"call_expression"})), Recorder()
    run_visitors([skipping, full], tree.root_node)
    assert [e for e in full.events if e[0] == "visit" and e[1] == "call_expression"].__len__() == 2
    assert [e for e in skipping.events if e[1] == "call_expression"].__len__() == 2  # visit+leave


def test_a_raising_handler_drops_only_its_visitor() -> None:
    class Boom(Visitor):
        def visit_call_expression(self, node: Node) -> None:
            raise RuntimeError("boom")

    tree = parse(b"package p\nfunc f() { g(); h() }\n")
    full, errors = Recorder(), []
    run_visitors([Boom(), full], tree.root_node, lambda v, e: errors.append((v, e)))
    assert len(errors) == 1
    assert sum(1 for e in full.events if e[:2] == ("visit", "call_expression")) == 2
