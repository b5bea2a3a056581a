"""The model questions of scope.py: fixed loops, tests, code that runs once, short-lived tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.discover import Module, SourceFile
from goleaklint.model import FileModel, Package
from goleaklint.scope import (
    data_driven_loops,
    fixed_iterations,
    is_test_entry,
    repeats,
    runs_once,
    short_lived_tool,
)
from goleaklint.syntax import Node, walk


def _package(tmp_path: Path, files: dict[str, str], name: str = "p") -> Package:
    models = []
    for file_name, source in files.items():
        path = tmp_path / file_name
        path.write_text(source)
        models.append(FileModel(SourceFile(path, path.read_bytes(), True)))
    return Package.build(tmp_path, name, Module(None, (1, 22), None), models)


def _marked(pkg: Package, mark: str = "MARK") -> tuple[FileModel, Node]:
    """The call ``MARK()`` in the package's files."""
    for f in pkg.files:
        for node in walk(f.root):
            if node.type == "call_expression" and node.text is not None and (
                node.text.decode() == f"{mark}()"
            ):
                return f, node
    raise AssertionError(f"no {mark}() in the package")


def _loop(pkg: Package) -> tuple[FileModel, Node]:
    f, node = _marked(pkg)
    parent = node.parent
    while parent is not None and parent.type != "for_statement":
        parent = parent.parent
    assert parent is not None
    return f, parent


@pytest.mark.parametrize(("header", "setup", "count"), [
    ('for _, n := range []string{"udp4", "udp6"}', "", 2),
    ("for i := 0; i < 3; i++", "", 3),
    ("for i := 1; i <= 5; i++", "", 5),
    ("for i := 10; i > 0; i--", "", 10),
    ("for i := range 4", "", 4),
    ('for _, c := range "abc"', "", 3),
    ("for _, tt := range tests", "tests := []struct{ in string }{{\"a\"}, {\"b\"}, {\"c\"}}", 3),
    ("for i := 0; i < len(tests); i++", "tests := []int{1, 2}", 2),
    ("for i := 0; i < limit; i++", "const limit = 7", 7),
    ("for _, tt := range table", "", 2),
    ("for _, tt := range tests", "tests := []int{1, 2}\n\ttests = append(tests, read()...)", None),
    ("for _, n := range names", "", None),
    ("for i := 0; i < n; i++", "n := len(read())", None),
    ("for i := 0; i < n; i++", "n := 10000", 10000),
    ("for i := range n", "n := 12", 12),
    ("for i := 0; i < n; i++", "n := 10\n\tn = len(read())", None),
    ("for scanner.Scan()", "", None),
    ("for", "", None),
])
def test_a_loop_count_is_fixed_only_by_the_source(tmp_path: Path, header: str, setup: str,
                                                  count: int | None) -> None:
    source = f"""package p

var table = []int{{1, 2}}
var names = []string{{"a"}}

func grow(s string) {{ names = append(names, s) }}

func f(scanner interface{{ Scan() bool }}) {{
	{setup}
	{header} {{
		MARK()
	}}
}}
"""
    pkg = _package(tmp_path, {"p.go": source})
    f, loop = _loop(pkg)
    assert fixed_iterations(loop, f, pkg) == count


def test_data_driven_loops_stop_at_a_literal_unless_asked(tmp_path: Path) -> None:
    source = """package p

func f(items []string, t interface{ Run(string, func()) }) {
	for _, it := range items {
		for i := 0; i < 2; i++ {
			t.Run(it, func() { MARK() })
		}
	}
}
"""
    pkg = _package(tmp_path, {"p.go": source})
    f, node = _marked(pkg)
    assert data_driven_loops(node, f, pkg) == []
    [outer] = data_driven_loops(node, f, pkg, through_literals=True)
    assert outer.text is not None and outer.text.startswith(b"for _, it := range items")


@pytest.mark.parametrize(("name", "entry"), [
    ("TestServer", True), ("Test", True), ("Test_x", True), ("BenchmarkRead", True),
    ("FuzzParse", True), ("ExampleClient_Do", True), ("Testify", False), ("TestMain", False),
    ("helper", False),
])
def test_test_entries_follow_go_test(tmp_path: Path, name: str, entry: bool) -> None:
    pkg = _package(tmp_path, {"p_test.go": f"package p\n\nfunc {name}() {{ MARK() }}\n"})
    _, node = _marked(pkg)
    assert is_test_entry(pkg.funcs[name].node) is entry
    del node


def test_code_only_main_reaches_runs_once(tmp_path: Path) -> None:
    source = """package main

func main() { setup(); serve() }

func setup() { MARK() }

func serve() {
	for {
		go handle()
	}
}

func handle() { OTHER() }
"""
    pkg = _package(tmp_path, {"main.go": source}, name="main")
    f, node = _marked(pkg)
    assert runs_once(pkg, f, node)
    f, other = _marked(pkg, "OTHER")
    assert not runs_once(pkg, f, other)


def test_every_main_of_a_package_of_example_programs_runs_once(tmp_path: Path) -> None:
    """Example programs kept apart by build tags each declare ``main`` in one package."""
    files = {name: f"//go:build {name[:-3]}\n\npackage main\n\nfunc main() {{ {mark}() }}\n"
             for name, mark in (("client.go", "MARK"), ("server.go", "OTHER"))}
    pkg = _package(tmp_path, files, name="main")
    for mark in ("MARK", "OTHER"):
        f, node = _marked(pkg, mark)
        assert runs_once(pkg, f, node), mark


@pytest.mark.parametrize(("body", "tool"), [
    ("func main() { run(os.Args) }", True),
    ("func main() { http.ListenAndServe(\":8080\", nil) }", False),
    ("func main() { c := make(chan os.Signal, 1); signal.Notify(c); <-c }", False),
    ("func main() { l, _ := net.Listen(\"tcp\", \":1\"); l.Accept() }", False),
])
def test_a_main_package_that_never_serves_is_a_short_lived_tool(tmp_path: Path, body: str,
                                                                 tool: bool) -> None:
    pkg = _package(tmp_path, {"main.go": f"package main\n\n{body}\n"}, name="main")
    assert pkg.facts.get(short_lived_tool) is tool


def test_a_library_is_never_a_short_lived_tool(tmp_path: Path) -> None:
    pkg = _package(tmp_path, {"p.go": "package p\n\nfunc Run() {}\n"})
    assert pkg.facts.get(short_lived_tool) is False


TESTS = """package p

import "testing"

func TestOne(t *testing.T) { MARK() }

func TestTable(t *testing.T) {
	for _, tc := range []string{"a", "b"} {
		t.Run(tc, func(t *testing.T) { FIXED() })
	}
}

func TestData(t *testing.T) {
	for _, name := range listFiles() {
		t.Run(name, func(t *testing.T) { DATA() })
	}
}

func helper() { HELPER() }

func TestA(t *testing.T) { helper() }
func TestB(t *testing.T) { helper() }
func TestC(t *testing.T) { helper() }

func rare() { RARE() }

func TestD(t *testing.T) { rare() }

type fixture struct{}

func (fixture) client() { METHOD() }

func (fixture) once() { ONCE() }

func TestE(t *testing.T) { var x fixture; x.client(); x.once() }
func TestF(t *testing.T) { var x fixture; x.client() }
func TestG(t *testing.T) { var x fixture; x.client() }
"""


@pytest.mark.parametrize(("mark", "expected"), [
    ("MARK", False), ("FIXED", False), ("DATA", True), ("HELPER", True), ("RARE", False),
    ("METHOD", True), ("ONCE", False),
])
def test_repeats_follows_the_test_policy(tmp_path: Path, mark: str, expected: bool) -> None:
    pkg = _package(tmp_path, {"p_test.go": TESTS})
    f, node = _marked(pkg, mark)
    assert repeats(pkg, f, node) is expected


def test_repeats_outside_tests(tmp_path: Path) -> None:
    source = """package p

func init() { INIT() }

func init() {
	for _, p := range paths() {
		LOOP()
	}
}

func Handle() { CALL() }
"""
    pkg = _package(tmp_path, {"p.go": source})
    for mark, expected in (("INIT", False), ("LOOP", True), ("CALL", True)):
        f, node = _marked(pkg, mark)
        assert repeats(pkg, f, node) is expected, mark
