"""Speed and scale (issue 7): streaming discovery, memoised queries, parallel runs, start-up.

Timings are not tested here (bench/run.py measures them); what is tested is what the speed
rests on, and that it changes nothing: the same captures as plain tree-sitter queries, the same
output for any --jobs, no file contents held by discovery, packages freed as soon as analysed,
and a one-file run importing nothing it does not use.
"""

from __future__ import annotations

import gc
import io
import subprocess
import sys
import weakref
from pathlib import Path
from typing import ClassVar

import pytest
from tree_sitter import QueryCursor, QueryError

import goleaklint.discover
import goleaklint.engine
import goleaklint.model
import goleaklint.queries
import goleaklint.syntax
from goleaklint.cli import main
from goleaklint.config import Config
from goleaklint.discover import SourceFile, discover, read_head
from goleaklint.engine import analyze
from goleaklint.entrypoints import entry_points
from goleaklint.model import FileModel
from goleaklint.queries import QueryMemo
from goleaklint.registry import load_rules
from goleaklint.rule import Rule
from goleaklint.syntax import (
    captures,
    parse,
    query,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SOURCES = sorted(FIXTURES.rglob("*.go"))[::7]  # a spread of the fixture files

PATTERNS = [
    "(comment) @c",
    "(go_statement) @g",
    "(call_expression function: (identifier) @f)",
    "(call_expression function: (selector_expression operand: (identifier) @pkg "
    'field: (field_identifier) @fn)) @call (#eq? @pkg "os")',
    "(short_var_declaration left: (expression_list (identifier) @name))\n"
    "(var_spec name: (identifier) @var)\n"
    "(parameter_declaration name: (identifier) @param)",
    '[(return_statement) (break_statement)] @s ; a comment with @at and "quotes"',
    '(interpreted_string_literal) @s (#match? @s "@")',
]
SCOPED = [
    "(return_statement (expression_list) @r)",
    "(short_var_declaration) @s",
    "(assignment_statement left: (expression_list [(selector_expression) (index_expression)]) "
    "right: (expression_list (identifier) @v))",
    "(identifier) @i",
]


def plain(pattern: str, node) -> dict[str, list[tuple[int, int, str]]]:
    """A tree-sitter query run directly, as comparable data."""
    found = QueryCursor(query(pattern)).captures(node)
    return {name: sorted((n.start_byte, n.end_byte, n.type) for n in nodes)
            for name, nodes in found.items()}


def data(found: dict) -> dict[str, list[tuple[int, int, str]]]:
    return {name: sorted((n.start_byte, n.end_byte, n.type) for n in nodes)
            for name, nodes in found.items()}


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


# Memoised and combined queries ---------------------------------------------------------------

@pytest.mark.parametrize("order", ["forward", "backward"])
def test_memoised_captures_are_those_of_plain_queries(order: str) -> None:
    """Whatever order the patterns are first asked in (which decides how they are combined),
    every file's captures are those of the pattern run alone, in document order."""
    patterns = PATTERNS if order == "forward" else PATTERNS[::-1]
    trees = [parse(p.read_bytes()) for p in SOURCES]
    for tree in trees:
        memo = QueryMemo(tree.root_node)
        for pattern in patterns:
            got = memo.captures(pattern)
            assert data(got) == plain(pattern, tree.root_node), pattern
            assert data(captures(pattern, tree.root_node)) == data(got), pattern
            for nodes in got.values():
                assert [n.start_byte for n in nodes] == sorted(n.start_byte for n in nodes)


def test_captures_returns_fresh_lists() -> None:
    tree = parse(b"package p\n\n// one\n// two\nfunc f() {}\n")
    memo = QueryMemo(tree.root_node)
    first = memo.captures("(comment) @c")
    first["c"].clear()
    assert len(memo.captures("(comment) @c", tree.root_node)["c"]) == 2


def test_a_bad_pattern_fails_where_asked_and_is_not_learnt() -> None:
    tree = parse(b"package p\n")
    memo = QueryMemo(tree.root_node)
    with pytest.raises(QueryError, match="no_such_node"):
        memo.captures("(no_such_node) @x")
    assert memo.captures("(package_clause) @p")["p"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name + "/" + p.name)
def test_captures_in_a_function_body_match_a_query_of_the_body(path: Path) -> None:
    tree = parse(path.read_bytes())
    root = tree.root_node
    memo = QueryMemo(root)
    bodies = [n.child_by_field_name("body") for n in root.named_children
              if n.type in ("function_declaration", "method_declaration")]
    bodies += [b for c in memo.captures("(func_literal) @f").get("f", [])
               if (b := c.child_by_field_name("body")) is not None]
    for body in filter(None, bodies):
        for pattern in SCOPED:
            assert data(memo.captures_in(pattern, body)) == plain(pattern, body), pattern
            assert data(memo.captures(pattern, body)) == plain(pattern, body), pattern


def test_the_plain_captures_keeps_nothing() -> None:
    """``goleaklint.syntax.captures`` (kept for plugins) memoises nothing: no node of the tree
    it was asked about stays behind it, so neither does the tree."""
    tree = parse(b"package p\n\n// c\nfunc f() { go g(); h() }\n")
    held = sys.getrefcount(tree)
    root = tree.root_node
    body = root.named_children[-1].child_by_field_name("body")
    for pattern in PATTERNS:
        assert data(captures(pattern, root)) == plain(pattern, root)
        captures(pattern, body)
    del root, body
    gc.collect()
    assert sys.getrefcount(tree) == held


def test_a_files_memo_goes_with_the_file(tmp_path: Path) -> None:
    """The answers a file's questions were given (of its root, combined, and of its function
    bodies) are the file's: once the file is dropped, nothing holds its tree."""
    path = tmp_path / "a.go"
    path.write_text("package p\n\n// c\nfunc f() { go g(); h() }\n", encoding="utf-8")
    f = FileModel(SourceFile(path, None, True))
    body = f.root.named_children[-1].child_by_field_name("body")
    assert f.captures("(go_statement) @g")["g"]
    assert f.captures("(call_expression) @c", body)["c"]
    assert f.captures("(comment) @c") == f.queries.captures("(comment) @c", f.root)
    del body
    tree = f.tree
    asked = sys.getrefcount(tree)
    f.queries.clear()
    assert sys.getrefcount(tree) < asked  # the memo held nodes of the tree, and so the tree
    f.captures("(go_statement) @g")
    f.captures("(identifier) @i", f.root.named_children[-1])
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None
    assert sys.getrefcount(tree) == 2  # ``tree`` here, and the argument of getrefcount


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name + "/" + p.name)
def test_functions_found_by_offsets_are_those_found_up_the_tree(path: Path) -> None:
    """``FileModel.innermost_function`` and ``context_of(node, f)`` (offsets) agree with the walks
    up the tree they replace, for every named node of the file."""
    from goleaklint.longlived import _bound_to_local, _invoked_in_place, context_of
    from goleaklint.model import FUNCTION_NODES, FileModel

    def innermost_function(node):  # the walk up the tree that FileModel's replaces
        parent = node.parent
        while parent is not None and parent.type not in FUNCTION_NODES:
            parent = parent.parent
        return parent

    def context_up_the_tree(node):  # what context_of was before offsets
        parent = node.parent
        while parent is not None:
            if parent.type in FUNCTION_NODES and not (parent.type == "func_literal" and (
                _invoked_in_place(parent) or _bound_to_local(parent)
            )):
                return parent
            parent = parent.parent
        return None

    f = FileModel(SourceFile(path, None, True))
    checked = 0
    for node in goleaklint.syntax.walk(f.root):
        if not node.is_named:
            continue
        assert f.innermost_function(node) == innermost_function(node), node
        assert context_of(node, f) == context_up_the_tree(node), node
        checked += 1
    assert checked > 20


def test_a_constant_found_by_name_is_the_one_of_the_whole_table(tmp_path: Path) -> None:
    """``Package.const(name)`` (a byte search in the const declarations) agrees with the full
    ``consts`` table: later files and specs win, iota blocks, names inside longer names."""
    from goleaklint.discover import Module
    from goleaklint.model import FileModel, Package

    (tmp_path / "a.go").write_text(
        "package p\n\nconst (\n\tKindA Kind = iota\n\tKindB\n\tsize = 1 << 20\n)\n\n"
        "const bufSize, bufSizeMax = size * 2, size * 4\n\nconst shared = 1\n",
        encoding="utf-8")
    (tmp_path / "b.go").write_text(
        "package p\n\n// size of a page: bufSize and size appear in comments and strings too\n"
        "const shared = 2\n\nvar size2 = \"size\"\n\nfunc f() int { const local = size; "
        "return local }\n", encoding="utf-8")
    files = [FileModel(SourceFile(tmp_path / n, None, True)) for n in ("a.go", "b.go")]
    names = ["KindA", "KindB", "size", "bufSize", "bufSizeMax", "shared", "size2", "local",
             "Kind", "missing", "f"]
    lazy = Package.build(tmp_path, "p", Module(None, None, None), files)
    found = {n: lazy.const(n) for n in names}
    table = Package.build(tmp_path, "p", Module(None, None, None), files).consts
    assert set(table) == {"KindA", "KindB", "size", "bufSize", "bufSizeMax", "shared"}
    for name in names:
        expected, got = table.get(name), found[name]
        assert (got is None) == (expected is None), name
        if expected is not None:
            assert (got.node, got.file, got.value) == (expected.node, expected.file,
                                                       expected.value), name
    assert found["shared"].file is files[1]  # the last declared wins


# Discovery streams; workers read ---------------------------------------------------------------

def test_discovery_keeps_no_file_contents(tmp_path: Path) -> None:
    write(tmp_path / "a" / "a.go", "package a\n\nfunc A() {}\n")
    write(tmp_path / "a" / "gen.go", "// Code generated by x. DO NOT EDIT.\n\npackage a\n")
    found = discover([str(tmp_path)])
    files = [f for p in found.packages for f in p.files]
    assert sorted(f.path.name for f in files) == ["a.go", "gen.go"]
    assert all(f.source is None for f in files)
    assert {f.path.name: (f.size, f.generated, f.reported) for f in files} == {
        "a.go": (len("package a\n\nfunc A() {}\n"), False, True),
        "gen.go": (len("// Code generated by x. DO NOT EDIT.\n\npackage a\n"), True, False),
    }
    assert found.packages[0].size == sum(f.size for f in files)


@pytest.mark.parametrize("header", [100, 16_380, 16_384, 70_000])
def test_the_head_holds_a_long_header(tmp_path: Path, header: int) -> None:
    """The package clause after a header longer than the first read (cmd/go's alldocs.go)."""
    comment = "// " + "x" * 76 + "\n"
    text = comment * (header // len(comment) + 1) + "package alldocs\n\nfunc F() {}\n"
    path = write(tmp_path / "doc.go", text)
    head, size = read_head(path)
    assert size == len(text)
    assert goleaklint.discover.package_name(head) == "alldocs"
    assert discover([str(path)]).packages[0].name == "alldocs"


def test_a_file_that_vanishes_before_its_worker_reads_it(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a" / "leak.go",
          "package a\n\nvar seen = map[string]bool{}\n\nfunc Mark(k string) { seen[k] = true }\n")
    write(tmp_path / "b" / "leak.go",
          "package b\n\nvar seen = map[string]bool{}\n\nfunc Mark(k string) { seen[k] = true }\n")
    real = goleaklint.discover.discover

    def discover_then_delete(*args, **kwargs):
        found = real(*args, **kwargs)
        (tmp_path / "a" / "leak.go").unlink()
        return found

    monkeypatch.setattr(goleaklint.discover, "discover", discover_then_delete)
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--jobs", "2", "."], out, err)
    assert code == 1
    assert out.getvalue().startswith("b/leak.go:5:")
    assert "a/leak.go: warning: read-error: cannot read (No such file or directory)" in (
        err.getvalue())


# Parallel runs ---------------------------------------------------------------------------------

@pytest.mark.usefixtures("enough_cores")
def test_output_is_the_same_for_any_number_of_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    outputs = set()
    for jobs in ("1", "2", "3"):
        out, err = io.StringIO(), io.StringIO()
        main(["--jobs", jobs, "--format", "json", "fixtures"], out, err)
        outputs.add((out.getvalue(), err.getvalue()))
    assert len(outputs) == 1


def test_biggest_packages_are_submitted_first(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = goleaklint.engine._analyze_parallel

    def record(work, *args, **kwargs):
        seen.extend(p.size for p in work)
        return real(work, *args, **kwargs)

    monkeypatch.setattr(goleaklint.engine, "_analyze_parallel", record)
    found = discover([str(FIXTURES)])
    analyze(found.packages, load_rules().rules, Config(), jobs=2)
    assert seen == sorted(seen, reverse=True) and len(seen) == len(found.packages)


class CountingCursor:
    """A ``QueryCursor`` that counts the walks it makes of whole files."""

    walks: ClassVar[list[str]] = []

    def __init__(self, q) -> None:
        self.cursor = QueryCursor(q)

    def captures(self, node):
        if node.type == "source_file":
            CountingCursor.walks.append(str(node.start_point))
        return self.cursor.captures(node)

    @property
    def did_exceed_match_limit(self) -> bool:
        return self.cursor.did_exceed_match_limit


def test_each_file_is_walked_by_tree_sitter_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules' visitors and the questions every file is asked share one query per file, from
    the first package on (the patterns are learnt when the rules import)."""
    monkeypatch.setattr(goleaklint.queries, "QueryCursor", CountingCursor)
    CountingCursor.walks = []
    found = discover([str(FIXTURES / "GL201" / "fileproc")])
    assert len(found.packages) == 1 and len(found.packages[0].files) == 3
    result = analyze(found.packages, load_rules().rules, Config())
    assert result.findings  # the rules did their work
    assert len(CountingCursor.walks) == 3


class _AsksTheRoot(Rule):
    """A plugin's rule asking a question of each file's root through the one public call."""

    id = "XQ901"
    name = "asks-the-root"
    family = "test"
    summary = "Asks a question of every file's root."
    pattern: ClassVar[str] = ""
    answers: ClassVar[list[tuple[Path, dict[str, list[tuple]]]]] = []

    def begin_file(self, file: FileModel) -> None:
        type(self).answers.append((file.path, data(file.captures(self.pattern))))


def test_a_plugins_root_question_joins_each_files_one_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """``self.file.captures(pattern)`` of a pattern no rule declared is combined with the
    files' other questions by itself: once asked, it costs no walk of its own."""
    monkeypatch.setattr(goleaklint.queries, "QueryCursor", CountingCursor)
    _AsksTheRoot.pattern = f"(call_expression function: (identifier) @f) ; {id(object())}"
    found = discover([str(FIXTURES / "GL201" / "fileproc")])
    rules = [*load_rules().rules, _AsksTheRoot]
    for run in (1, 2):
        CountingCursor.walks = []
        _AsksTheRoot.answers = []
        analyze(found.packages, rules, Config())
        # A file walked before the pattern was first asked is walked for it once more.
        assert len(CountingCursor.walks) <= (6 if run == 1 else 3)
        assert len(_AsksTheRoot.answers) == 3
        for path, answer in _AsksTheRoot.answers:
            assert answer == plain(_AsksTheRoot.pattern, parse(path.read_bytes()).root_node)
    assert CountingCursor.walks and len(CountingCursor.walks) == 3


def test_a_package_is_freed_when_its_analysis_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """No reference cycle keeps a package's trees alive until the cyclic collector runs: a
    worker's memory is that of the package it analyses, not of the ones before."""
    alive: list[weakref.ref] = []
    real = goleaklint.model.FileModel.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        alive.append(weakref.ref(self))

    monkeypatch.setattr(goleaklint.model.FileModel, "__init__", init)
    found = discover([str(FIXTURES)])
    rules = load_rules().rules
    gc.collect()
    gc.disable()
    try:
        for package in found.packages:
            goleaklint.engine.analyze_package(package, rules, Config())
            leaked = [ref().path for ref in alive if ref() is not None]
            assert not leaked, f"still alive after {package.directory.name}: {leaked}"
    finally:
        gc.enable()


def test_an_analysis_leaves_no_cyclic_garbage() -> None:
    """What a package's analysis built is freed by reference counting when it ends: garbage in
    cycles (a control-flow graph's blocks point back along loops) waits for the cyclic
    collector, and a worker's memory then grows with the packages it analysed (146 MB against
    108 MB over the standard library)."""
    found = discover([str(FIXTURES)])
    rules = load_rules().rules
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for package in found.packages:
            goleaklint.engine.analyze_package(package, rules, Config())
        gc.collect()
        kinds = sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kinds == []


# Start-up ----------------------------------------------------------------------------------------

def imported_by(argv: list[str], cwd: Path) -> set[str]:
    code = (
        "import io, sys\n"
        "from goleaklint.cli import main\n"
        f"main({argv!r}, io.StringIO(), io.StringIO())\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=True)
    return set(proc.stdout.split())


def test_a_one_file_run_imports_only_what_it_uses(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "a.go", "package pkg\n\nfunc A() {}\n")
    write(tmp_path / "pkg" / "b.go", "package pkg\n\nfunc B() {}\n")
    modules = imported_by(["pkg/a.go"], tmp_path)
    assert "goleaklint.checks.gl201_unclosed_resource" in modules  # the rules did load
    unneeded = {"sarif_om", "jschema_to_python", "multiprocessing", "concurrent.futures.process",
                "importlib.metadata", "goleaklint.report.sarif_report"}
    assert not modules & unneeded
    assert "sarif_om" in imported_by(["--format", "sarif", "pkg/a.go"], tmp_path)


def test_entry_points_agree_with_importlib_metadata() -> None:
    import importlib.metadata

    for group in ("goleaklint.rules", "console_scripts"):
        expected = sorted((e.name, e.value, e.dist.name if e.dist else "")
                          for e in importlib.metadata.entry_points(group=group))
        got = sorted((e.name, e.value, e.dist.name if e.dist else "") for e in entry_points(group))
        assert got == expected
