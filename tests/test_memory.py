"""Memory on one big file (issue 16, item 10): what is spent beyond tree-sitter's own tree.

Figures are in ``bench/RESULTS.md`` (``bench/bigfile.py``); these tests check, without timing
or measuring memory, the mechanisms that keep it down.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

import goleaklint.parsing
import goleaklint.queries
import goleaklint.visitor
from goleaklint.config import Config
from goleaklint.discover import SourceFile, discover
from goleaklint.engine import analyze
from goleaklint.flow import FlowCache
from goleaklint.model import FileModel
from goleaklint.queries import QueryMemo
from goleaklint.registry import load_rules
from goleaklint.syntax import (
    LARGE_LITERAL,
    Node,
    Visitor,
    handler_types,
    parse,
    parse_guarded,
)

N = LARGE_LITERAL + 1
ROW = b"0x01, 0x02, 0x03, 0x04,\n"
TABLE = b"package p\n\nvar t = []byte{\n" + ROW * (N // 4 + 1) + b"}\n"


def _sexp(tree) -> str:
    return str(tree.root_node)


# Inputs for which the byte scan and the tree must agree on what is data.
CASES = {
    "table": TABLE,
    "strings with braces, parens and commas": b"package p\n\nvar t = []string{\n"
        + b'"a{(", `}),`, \'{\', /* ( { */ // ) }\n' * (N // 2 + 1) + b"}\n",
    "strings with braces and commas": b"package p\n\nvar t = []string{\n"
        + b'"a{,", `},{`, \'{\', /* { , */ // } ,\n' * (N // 2 + 1) + b"}\n",
    "a call inside": TABLE.replace(b"0x02,", b"f(2),", 1),
    "a function literal inside": TABLE.replace(b"0x02,", b"func() {},", 1),
    "nested: the outer one has the elements": b"package p\n\nvar t = [][]int{\n"
        + b"{1, 2}, {3},\n" * (N // 2 + 1) + b"}\n",
    "nested: an inner one has them": b"package p\n\nvar t = [][]int{\n{1},\n{"
        + b"1, 2, 3, 4,\n" * (N // 4 + 1) + b"},\n{f(1)},\n}\n",
    "not a literal: a block of assignments": b"package p\n\nfunc F() {\n\tvar a, b int\n"
        + b"\ta, b = 1, 2\n" * (N + 1) + b"}\n",
    "a syntax error inside": TABLE.replace(b"0x02,", b"0x02 +,", 1),
    "unbalanced braces": TABLE.replace(b"0x02,", b"{0x02,", 1),
    "a declaration too deep around it": b"package p\n\nvar t = " + b"[]any{" * 300
        + b"[]byte{\n" + ROW * (N // 4 + 1) + b"}" + b"}" * 300 + b"\n",
    "two tables and code": TABLE + b"\nfunc G() { _ = t }\n"
        + TABLE.replace(b"package p\n\nvar t", b"var u"),
    "unclosed comments after it": TABLE + b"\nvar u = 1 " + b"/* { " * 2_000 + b"\n",
    "an unclosed raw string after it": TABLE + b"\nvar u = `{ " + b"/* { " * 2_000 + b"\n",
}


@pytest.mark.parametrize("name", list(CASES))
def test_data_found_in_the_bytes_is_what_the_tree_would_elide(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = CASES[name]
    monkeypatch.setattr(goleaklint.parsing, "PRESCAN_SIZE", len(source) + 1)
    parsed, tree, elisions = parse_guarded(source)
    expected = (parsed, _sexp(tree), elisions)
    monkeypatch.setattr(goleaklint.parsing, "PRESCAN_SIZE", 0)
    parsed, tree, elisions = parse_guarded(source)
    assert (parsed, _sexp(tree), elisions) == expected


def test_an_unclosed_comment_or_raw_string_runs_to_the_end() -> None:
    """As in Go; and the byte scan stays linear: a search to the end for every ``/*`` of a
    file that never closes them would be quadratic."""
    tokens = goleaklint.parsing._DATA_TOKENS
    for unclosed in (b"/* { never closed, (", b"` { never closed, ("):
        found = tokens.match(unclosed)
        assert found is not None and found.end() == len(unclosed)
    assert goleaklint.parsing._data_spans(CASES["unclosed comments after it"]) == [
        (26, TABLE.rindex(b"}"))]


def test_a_huge_data_literal_is_never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its tree would cost about 60 bytes a byte of source: found in the bytes, it is blanked
    before tree-sitter sees it."""
    source = TABLE + b"\nvar u = []byte{\n" + ROW * (300_000 // len(ROW)) + b"}\n"
    monkeypatch.setattr(goleaklint.parsing, "PRESCAN_SIZE", 100_000)
    assert len(source) > 100_000
    built: list[int] = []
    parse = goleaklint.parsing.parse

    def counting(data: bytes):
        tree = parse(data)
        built.append(tree.root_node.descendant_count)
        return tree

    monkeypatch.setattr(goleaklint.parsing, "parse", counting)
    parsed, _, elisions = parse_guarded(source)
    assert len(elisions) == 2 and parsed.count(b"0x") == 0
    assert built and max(built) < 100


def test_the_line_table_takes_8_bytes_a_line(tmp_path: Path) -> None:
    """A list of Python ints took 40 (a 30 MB file has 1.7 million lines)."""
    path = tmp_path / "lines.go"
    path.write_bytes(b"package p\n" + b"// a line\n" * 100_000)
    f = FileModel(SourceFile(path, None, reported=True))
    tracemalloc.start()
    try:
        starts = f._line_starts
        allocated, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(starts) == 100_002
    assert allocated < 10 * len(starts)
    assert f.position(len(b"package p\n") + 3) == (2, 4)


def test_memoised_answers_about_scopes_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers about nodes below a root (function bodies) are dropped past ``SCOPED_LIMIT``
    nodes; the file-wide answers stay."""
    monkeypatch.setattr(goleaklint.queries, "SCOPED_LIMIT", 50)
    tree = parse(b"package p\n\n" + b"func f() { a, b := 1, 2; _, _ = a, b }\n" * 100)
    root = tree.root_node
    memo = QueryMemo(root)
    identifiers = memo.captures("(identifier) @i")
    held = []
    for body in (d.child_by_field_name("body") for d in root.named_children[1:]):
        assert len(memo.captures("(identifier) @i", body)["i"]) == 6
        held.append(sum(len(nodes) for (_, node), found in memo._memo.items()
                        if node.type != "source_file" for nodes in found.values()))
    assert max(held) <= 50
    assert memo.captures("(identifier) @i") == identifiers
    assert ("(identifier) @i", root) in memo._memo


def test_flow_graphs_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FlowCache, "LIMIT", 3)
    source = b"package p\n\n" + b"func f() { if true { return } }\n" * 10
    file = FileModel(SourceFile(Path("p.go"), source, True), source)
    cache = FlowCache()
    functions = file.root.named_children[1:]
    graphs = [cache.graph(f, file) for f in functions]
    assert len(cache._graphs) <= 3
    assert cache.graph(functions[-1], file) is graphs[-1]


ALL_KINDS = sorted({kind for rule in load_rules().rules for kinds in handler_types(rule)
                    for kind in kinds} | {"source_file", "ERROR", "identifier"})
FIXTURE_FILES = sorted((Path(__file__).resolve().parent.parent / "fixtures").rglob("*.go"))
BROKEN = (b"\xef\xbb\xbf// a comment first\npackage p\n\nfunc f( {\n\tgo func() { x := <-c }\n}\n"
          b"func g() {\n\tif x {\n\t\treturn\n}\n\nvar v = []int{1, 2,\n")


def _walk(source: bytes, monkeypatch: pytest.MonkeyPatch, threshold: int) -> list[tuple]:
    monkeypatch.setattr(goleaklint.queries, "WALK_BY_DECLARATION", threshold)
    root = parse(source).root_node
    return [(start, n.end_byte, n.type, kind) for start, n, kind in
            goleaklint.visitor._nodes_of_types(root, ALL_KINDS, QueryMemo(root))]


@pytest.mark.parametrize("path", [*FIXTURE_FILES[::5], None],
                         ids=lambda p: "broken" if p is None else f"{p.parent.name}/{p.name}")
def test_a_walk_by_declaration_is_the_walk_of_the_file(
    path: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = BROKEN if path is None else path.read_bytes()
    whole = _walk(source, monkeypatch, len(source) + 1)
    assert whole and whole == _walk(source, monkeypatch, 0)


def test_findings_are_the_same_when_every_file_is_walked_by_declaration(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = load_rules().rules
    packages = discover([str(FIXTURE_FILES[0].parents[2])]).packages

    def run(threshold: int) -> tuple[list, list]:
        monkeypatch.setattr(goleaklint.queries, "WALK_BY_DECLARATION", threshold)
        result = analyze(packages, rules, Config())
        return result.findings, result.notices

    whole = run(10**12)
    assert len(whole[0]) > 100
    assert run(0) == whole


class _Identifiers(Visitor):
    def __init__(self) -> None:
        self.seen = 0
        self.peak = 0

    def visit_identifier(self, node: Node) -> None:
        self.seen += 1
        self.peak = max(self.peak, tracemalloc.get_traced_memory()[0])


def test_a_big_file_is_walked_without_making_all_its_nodes_at_once(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(goleaklint.queries, "WALK_BY_DECLARATION", 100_000)
    source = b"package p\n\n" + b"".join(
        b"func f%d(a, b int) int {\n\tc := a + b\n\treturn c * a\n}\n\n" % i
        for i in range(4_000))
    assert len(source) > 100_000
    root = parse(source).root_node
    visitor = _Identifiers()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        visitor.walk(root)
    finally:
        tracemalloc.stop()
    assert visitor.seen == 4_000 * 8  # the name, a and b twice, c and a twice again
    # Each node of a whole-file walk held a Node, a tuple and an int, about 200 bytes with the
    # query's lists; by declaration, the top-level nodes stay (10 bytes an identifier here).
    assert visitor.peak - before < 40 * visitor.seen
