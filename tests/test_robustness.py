"""Never crash, never lose a finding: every input has a defined outcome (issue 8).

1. inputs: broken Go, odd encodings and line endings, binary and empty files, a 20 MB generated
   file, 10,000-deep nesting, very long lines; unreadable, vanishing, looping and oddly named
   paths; malformed configuration and go.mod files;
2. isolation: a rule that raises on one file, or in ``finish``; a plugin that returns garbage; a
   worker process that dies;
3. (fuzzing is in ``test_fuzz.py``);
4. determinism: the same bytes whatever ``--jobs``, the directory order and the hash seed;
5. reports written atomically, and Ctrl-C ending the run cleanly with exit 130.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

import goleaklint.cli
import goleaklint.discover
import goleaklint.engine
import goleaklint.flowrule
import goleaklint.plugins
import goleaklint.registry
import goleaklint.report
from goleaklint import Rule, hookimpl
from goleaklint.cli import main
from goleaklint.config import Config
from goleaklint.discover import Module, PackageFiles, SourceFile, discover
from goleaklint.engine import FAILURES, analyze
from goleaklint.registry import load_rules
from goleaklint.syntax import MAX_DEPTH, MAX_NESTING, Node, parse_guarded, text
from test_plugins import DOC, install_distribution
from test_sarif import multitool, validate

ROOT = Path(__file__).resolve().parent.parent
LEAK = """package pkg

var cache = map[string]int{}

func Add(k string) {
	cache[k] = 1
}
"""
LEAK_LINE, LEAK_COL = 6, 2  # cache[k] = 1
MESSAGE = ("GL101 unbounded-global-map: map cache only grows: nothing in package pkg deletes "
           "from it, clears, bounds or replaces it")


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": warning: " in line]


def sarif_results(*argv: str) -> list[dict]:
    code, out, err = run("--format", "sarif", *argv)
    assert code in (0, 1), err
    return json.loads(out)["runs"][0]["results"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# 1. Inputs ----------------------------------------------------------------------------------------

BROKEN = {
    "missing-brace": "\nfunc Broken(x int) {\n\tif x > 0 {\n\t\tx++\n}\n",
    "half-a-function": "\nfunc Half(x int, y\n",
    "merge-conflict": ("\nfunc Conflict() int {\n<<<<<<< HEAD\n\treturn 1\n=======\n"
                       "\treturn 2\n>>>>>>> feature\n}\n"),
    "conflict-at-top-level": ("\n<<<<<<< HEAD\nvar a = 1\n=======\nvar a = 2\n"
                              ">>>>>>> feature\n"),
    "stray-closing-braces": "\n}}}\n)\n",
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_go_is_analysed_where_it_parsed_and_reported_once(project: Path, case: str) -> None:
    write(project / "pkg" / "leak.go", LEAK + BROKEN[case])
    write(project / "pkg" / "fine.go", "package pkg\n\nfunc Fine() {}\n")
    code, out, err = run("pkg")
    assert code == 1
    assert out == f"pkg/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n"
    warnings = warnings_of(err)
    assert len(warnings) == 1, err
    assert warnings[0].startswith("pkg/leak.go:") and ": warning: parse-error: " in warnings[0]


def test_a_tree_whose_root_is_an_error_node(tmp_path: Path) -> None:
    """Found by the fuzzer: GL101 asserted it had seen the ``source_file`` node, which a tree
    whose root is an ERROR node does not have. (Discovery would skip this file, whose first
    token is not ``package``; the rules must cope all the same.)"""
    source = (b"var cache = map[string]int{}\n\n\t\tselect {\n\t\tcase <-t.C:\n"
              b"func remember(key, value string) {\nfunc Reset() {\n\tcache[k]++\n"
              b"func (c *counters) Flush() map[string]int {\n")
    assert parse_guarded(source)[1].root_node.type == "ERROR"
    package = PackageFiles(tmp_path, "pkg", Module(None, (1, 22), None),
                           [SourceFile(tmp_path / "x.go", source, True)])
    result = analyze([package], load_rules().rules, Config())
    assert [n.kind for n in result.notices] == ["parse-error"]


# Positions: the same line and column, in text and SARIF, whatever the encoding details.
ENCODINGS = {
    "lf": (LEAK.encode(), LEAK_LINE, LEAK_COL),
    "crlf": (LEAK.replace("\n", "\r\n").encode(), LEAK_LINE, LEAK_COL),
    "bom": (b"\xef\xbb\xbf" + LEAK.encode(), LEAK_LINE, LEAK_COL),
    "bom-crlf": (b"\xef\xbb\xbf" + LEAK.replace("\n", "\r\n").encode(), LEAK_LINE, LEAK_COL),
    # Code points, not bytes and not UTF-16 units: é is 2 bytes, 😀 4 bytes and 2 UTF-16 units.
    "multibyte": (LEAK.replace("\tcache[k]", "\t/* é😀 */ cache[k]").encode(), LEAK_LINE, 11),
    "multibyte-crlf": (LEAK.replace("\tcache[k]", "\t/* é😀 */ cache[k]")
                       .replace("\n", "\r\n").encode(), LEAK_LINE, 11),
    # Bytes that are not UTF-8 count one column each.
    "latin-1": (LEAK.replace("\tcache[k]", "\t/* caf\udce9! */ cache[k]")
                .encode("utf-8", "surrogateescape"), LEAK_LINE, 14),
    "first-line": (b"\xef\xbb\xbfpackage pkg; var cache = map[string]int{}; "
                   b"func Add(k string) { cache[k] = 1 }\n", 1, 65),
}


@pytest.mark.parametrize("case", sorted(ENCODINGS))
def test_positions_are_right_in_text_and_sarif(project: Path, case: str) -> None:
    source, line, column = ENCODINGS[case]
    write(project / "pkg" / "leak.go", source)
    code, out, err = run("pkg")
    assert code == 1 and err == "goleaklint: 1 finding in 1 file; 1 file analysed\n"
    assert out == f"pkg/leak.go:{line}:{column}: {MESSAGE}\n"
    [result] = sarif_results("pkg")
    region = result["locations"][0]["physicalLocation"]["region"]
    width = len("cache[k] = 1")
    assert region == {"startLine": line, "startColumn": column, "endLine": line,
                      "endColumn": column + width}


def test_binary_file_is_skipped_with_a_warning(project: Path) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    write(project / "pkg" / "blob.go", b"package pkg\n\x00\x01\x02\xff" * 100)
    write(project / "pkg" / "image.go", bytes(range(256)) * 64)
    code, out, err = run("pkg")
    assert (code, out) == (1, f"pkg/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == [
        "goleaklint: warning: pkg/blob.go: binary file (a NUL byte at offset 12); skipped",
        "goleaklint: warning: pkg/image.go: binary file (a NUL byte at offset 0); skipped",
    ]


def test_a_nul_byte_late_in_a_file_is_a_parse_error(project: Path) -> None:
    write(project / "pkg" / "leak.go", LEAK + "\n" + "// padding\n" * 1000 + "var z = \"\x00\"\n")
    code, out, err = run("pkg")
    assert (code, out) == (1, f"pkg/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert [w.split(": warning: ")[1].split(":")[0] for w in warnings_of(err)] == ["parse-error"]


@pytest.mark.parametrize("content", ["", "\n\n", "// only a comment\n", "\xef\xbb\xbf"])
def test_empty_file_is_skipped_with_a_warning(project: Path, content: str) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    write(project / "pkg" / "empty.go", content)
    code, out, err = run("pkg")
    assert (code, out) == (1, f"pkg/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == ["goleaklint: warning: pkg/empty.go: no package clause; skipped"]


def test_a_20_mb_generated_file_named_explicitly_is_analysed(project: Path) -> None:
    """A bindata-style table: 20 MB, 1.7 million elements in one literal (tree-sitter's queries
    slow down more than linearly on such a node; its contents are elided as data)."""
    row = "\t" + ", ".join(f"0x{b:02x}" for b in range(12)) + ",\n"
    head = "// Code generated by bindata. DO NOT EDIT.\n\n" + LEAK + "\nvar blob = []byte{\n"
    source = head + row * ((20_000_000 - len(head)) // len(row)) + "}\n"
    assert len(source) >= 19_900_000
    write(project / "gen" / "bindata.go", source)
    assert run("gen") == (0, "", "")  # generated: not reported when found by the walk
    code, out, err = run("gen/bindata.go")
    assert code == 1, err
    assert out == f"gen/bindata.go:{LEAK_LINE + 2}:{LEAK_COL}: {MESSAGE}\n"
    assert warnings_of(err) == []


def test_only_huge_literals_of_pure_data_are_elided() -> None:
    data = b"package p\n\nvar t = []string{" + b'"a(", 1, x, /* ( */ ' * 4000 + b"}\n"
    source, tree, elisions = parse_guarded(data)
    assert [(e.start, e.end, e.reason) for e in elisions] == [(28, len(data) - 2, "")]
    assert len(source) == len(data) and not tree.root_node.has_error
    assert source.count(b"\n") == data.count(b"\n")
    for code in (b"f(1), ", b"func() {}, "):
        with_code = data.replace(b"1, x", code + b"x", 1)
        assert parse_guarded(with_code)[2] == []


def nested(kind: str, n: int) -> str:
    """A function (or declaration) nesting ``kind`` ``n`` deep."""
    shapes = {
        "blocks": "func Deep() {\n" + "{" * n + "}" * n + "\n}\n",
        "ifs": "func Deep(x bool) {\n" + "if x {\n" * n + "}\n" * n + "}\n",
        "for-defer": "func Deep() {\n" + "for {\n" * n + "defer Add(\"k\")\n" + "}\n" * n + "}\n",
        "switch": "func Deep(x int) {\n" + "switch x {\ncase 1:\n" * n + "}\n" * n + "}\n",
        "select": "func Deep(c chan int) {\n" + "select {\ncase <-c:\n" * n + "}\n" * n + "}\n",
        "labels": "func Deep() {\n" + "".join(f"L{i}:\n" for i in range(n)) + "\tfor {\n"
                  "\t\tbreak L0\n\t}\n}\n",
        "else-if": "func Deep(x int) {\n\tif x == 0 {\n\t}" + "".join(
            f" else if x == {i} {{\n\t}}" for i in range(1, n)) + "\n}\n",
        "go-func-literals": "func Deep(c chan int) {\n" + "go func() {\n" * n + "c <- 1\n"
                            + "}()\n" * n + "}\n",
        "parens": "func Deep() int {\n\treturn " + "(" * n + "1" + ")" * n + "\n}\n",
        "calls": "func Deep(f func(int) int) int {\n\treturn " + "f(" * n + "1" + ")" * n
                 + "\n}\n",
        "index": "func Deep(a [][]int) {\n\t_ = a" + "[0]" * n + "\n}\n",
        "selectors": "func Deep(a T) {\n\t_ = a" + ".b" * n + "\n}\n",
        "unary": "func Deep(x int) int {\n\treturn " + "-" * n + "x\n}\n",
        "slice-type": "var deep " + "[]" * n + "int\n",
        "struct-type": "type Deep " + "struct { x " * n + "int" + " }" * n + "\n",
        "composite": "var deep = " + "[]any{" * n + "}" * n + "\n",
        "binary-chain": "var deep = \"a\"" + " + \"b\"" * n + "\n",
    }
    return shapes[kind]


DEEP_KINDS = ["blocks", "ifs", "for-defer", "switch", "select", "labels", "else-if",
              "go-func-literals", "parens", "calls", "index", "selectors", "unary", "slice-type",
              "struct-type", "composite", "binary-chain"]


@pytest.mark.parametrize("kind", DEEP_KINDS)
def test_10000_deep_nesting_is_reported_and_the_rest_analysed(project: Path, kind: str) -> None:
    write(project / "pkg" / "leak.go", LEAK + "\n" + nested(kind, 10_000))
    code, out, err = run("pkg")
    assert code == 1, err
    assert out == f"pkg/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n"
    warnings = warnings_of(err)
    if kind == "binary-chain":  # operator chains are real (generated string tables): analysed
        assert warnings == []
    else:
        assert len(warnings) == 1, err
        assert warnings[0].startswith("pkg/leak.go:9: warning: too-deep: ")
        assert warnings[0].endswith("; it was not analysed (package-wide findings do not see "
                                    "what it does)")


@pytest.mark.parametrize("kind", DEEP_KINDS)
def test_nesting_just_within_the_limits_is_analysed_without_a_fault(kind: str,
                                                                   tmp_path: Path) -> None:
    """Inside pytest's deep stack: the limits leave the rules' recursion enough room."""
    n = MAX_NESTING - 2 if kind in ("blocks", "ifs", "for-defer", "switch", "select", "labels",
                                    "go-func-literals") else MAX_DEPTH // 2 - 8
    if kind in ("struct-type", "composite"):
        n = MAX_DEPTH // 3 - 8
    if kind in ("parens", "unary", "slice-type", "else-if"):
        n = MAX_DEPTH - 12
    if kind == "binary-chain":
        n = 10_000
    write(tmp_path / "pkg" / "leak.go", LEAK.replace("package pkg", "package pkg\n\nimport "
                                                     "\"os\"\n\nvar _ = os.Open") + "\n"
          + nested(kind, n) + "\ntype T struct{ b T }\n")
    found = discover([str(tmp_path / "pkg")])
    result = analyze(found.packages, load_rules().rules, Config())
    assert [(n.kind, n.message) for n in result.notices] == []
    assert [f.rule_id for f in result.findings].count("GL101") == 1


@pytest.mark.parametrize("op", ["&&", "||"])
def test_a_long_condition_after_an_opener(tmp_path: Path, op: str) -> None:
    """A chain of conditions counts towards the depth limit (each mention in it is a parent walk
    as deep as the chain); below the limit, GL201 must not recurse along it (it did)."""
    test = "err != nil" if op == "&&" else "err == nil"

    def opener(n: int) -> str:
        chain = f" {op} ".join([test] * n)
        return (f'func Open{n}() {{\n\tf, err := os.Open("x")\n\tif {chain} {{\n'
                "\t\treturn\n\t}\n\tf.Close()\n}\n\n")

    source = 'package pkg\n\nimport "os"\n\n' + opener(MAX_DEPTH - 20) + opener(5000)
    write(tmp_path / "pkg" / "open.go", source)
    found = discover([str(tmp_path / "pkg")])
    result = analyze(found.packages, load_rules().rules, Config())
    assert [(n.kind, n.line) for n in result.notices] == [("too-deep", 13)]
    # ``if err == nil || … { return }`` returns with the file open: that one leaks.
    assert [f.rule_id for f in result.findings] == ([] if op == "&&" else ["GL201"])
    condition = parse_guarded(source.encode())[1].root_node.children[-1].child_by_field_name(
        "body").named_children[0].named_children[1].child_by_field_name("condition")
    assert condition.type == "binary_expression"
    assert goleaklint.flowrule._failed(condition, True, "err", "f") is (op == "&&")


def test_extremely_long_lines(project: Path) -> None:
    padding = "/*" + "x" * 5_000_000 + "*/ "
    blob = "var blob = []byte{" + "1, " * 300_000 + "}; "
    source = LEAK.replace("\tcache[k] = 1", "\t" + padding + blob.replace("var blob = ", "_ = ")
                          + "cache[k] = 1")
    write(project / "pkg" / "leak.go", source)
    code, out, err = run("pkg")
    column = 2 + len(padding) + len(blob) - len("var blob = ") + len("_ = ")
    assert (code, err) == (1, "goleaklint: 1 finding in 1 file; 1 file analysed\n")
    assert out == f"pkg/leak.go:{LEAK_LINE}:{column}: {MESSAGE}\n"


@pytest.fixture
def two_packages(project: Path) -> Path:
    write(project / "a" / "leak.go", LEAK)
    write(project / "b" / "leak.go", LEAK)
    write(project / "b" / "other.go", "package pkg\n\nfunc Other() {}\n")
    return project


def test_unreadable_file_is_a_warning(two_packages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, where chmod 000 does not stop reading: the refusal is simulated."""
    real = Path.read_bytes
    real_head = goleaklint.discover.read_head  # discovery reads heads, workers whole files

    def read_bytes(self: Path) -> bytes:
        if self.name == "leak.go" and self.parent.name == "a":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    def read_head(path: Path) -> tuple[bytes, int]:
        read_bytes(path)
        return real_head(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(goleaklint.discover, "read_head", read_head)
    code, out, err = run(".")
    assert (code, out) == (1, f"b/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == ["goleaklint: warning: a/leak.go: cannot read (Permission denied)"]


def test_unreadable_directory_is_a_warning(two_packages: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.scandir

    def scandir(path="."):
        if Path(path).name == "a":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(goleaklint.discover.os, "scandir", scandir)
    code, out, err = run(".")
    assert (code, out) == (1, f"b/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == [
        "goleaklint: warning: a: cannot read directory (Permission denied)"]


def test_an_unreadable_directory_named_is_the_same_warning(
    two_packages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder without read and search permission (as root, simulated): nothing in it can be
    listed or looked up, its .goleaklint.toml included, whether it is named or reached."""
    real_stat, real_lstat, real_scandir = os.stat, os.lstat, os.scandir

    def refused(path) -> None:
        if Path(path).name == "a" or Path(path).parent.name == "a":
            raise PermissionError(13, "Permission denied", str(path))

    def stat(path, *args, **kwargs):
        if Path(path).parent.name == "a":
            refused(path)
        return real_stat(path, *args, **kwargs)

    def lstat(path, *args, **kwargs):
        if Path(path).parent.name == "a":
            refused(path)
        return real_lstat(path, *args, **kwargs)

    def scandir(path="."):
        refused(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "lstat", lstat)
    monkeypatch.setattr(os, "scandir", scandir)
    for named in (["a"], ["a", "b"], ["."]):
        code, _, err = run(*named)
        assert warnings_of(err) == [
            "goleaklint: warning: a: cannot read directory (Permission denied)"], named
        assert code == (0 if named == ["a"] else 1)
    assert run("config", "a")[0] == 0
    code, _, err = run("a/leak.go")  # what is inside cannot even be seen to exist
    assert (code, err) == (2, "goleaklint: error: a/leak.go: no such file or directory\n")


def test_path_that_vanishes_during_the_run(two_packages: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = goleaklint.discover._walk_go_files

    def walk_then_delete(root: Path, warnings: list[str]) -> list[Path]:
        found = real(root, warnings)
        (two_packages / "a" / "leak.go").unlink()
        return found

    monkeypatch.setattr(goleaklint.discover, "_walk_go_files", walk_then_delete)
    code, out, err = run(".")
    assert (code, out) == (1, f"b/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == [
        "goleaklint: warning: a/leak.go: cannot read (No such file or directory)"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_file_that_vanishes_after_discovery(two_packages: Path, monkeypatch: pytest.MonkeyPatch,
                                            jobs: str) -> None:
    """Files are read whole where their package is analysed (a worker): gone by then, the file
    is a notice, and the rest of its package and of the run is analysed."""
    real = goleaklint.discover.discover

    def discover_then_delete(*args, **kwargs):
        found = real(*args, **kwargs)
        (two_packages / "b" / "leak.go").unlink()
        return found

    monkeypatch.setattr(goleaklint.discover, "discover", discover_then_delete)
    code, out, err = run("--jobs", jobs, ".")
    assert (code, out) == (1, f"a/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == [
        "b/leak.go: warning: read-error: cannot read (No such file or directory)"]


def test_symlink_loops(two_packages: Path) -> None:
    (two_packages / "a" / "loop").symlink_to("..", target_is_directory=True)
    (two_packages / "a" / "self.go").symlink_to("self.go")
    (two_packages / "dangling.go").symlink_to("nowhere.go")
    code, out, err = run(".", "a/self.go")
    assert code == 1
    assert out == "".join(f"{p}/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n" for p in "ab")
    assert sorted(warnings_of(err)) == [
        "goleaklint: warning: a/loop: symbolic link to a folder that contains it (a loop); "
        "skipped",
        "goleaklint: warning: a/self.go: cannot read (Too many levels of symbolic links)",
        "goleaklint: warning: dangling.go: cannot read (No such file or directory)",
    ]


@pytest.mark.parametrize("alias", ["code.google.com/p/go.net", "zz/net"])
def test_folder_reached_through_a_link_is_reported_under_its_own_path(project: Path,
                                                                     alias: str) -> None:
    """Debian's code.google.com/p/go.net -> golang.org/x/net: the alias sorts first or last,
    the findings are golang.org/x/net's, and the link is skipped naming the real folder."""
    write(project / "golang.org" / "x" / "net" / "leak.go", LEAK)
    link = project / alias
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(project / "golang.org" / "x" / "net", link.parent),
                    target_is_directory=True)
    code, out, err = run(".")
    assert (code, out) == (1, f"golang.org/x/net/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == [f"goleaklint: warning: {alias}: symbolic link to a folder "
                                "already analysed as golang.org/x/net; skipped"]


def test_link_to_a_folder_outside_the_tree_is_analysed_under_the_link(project: Path) -> None:
    write(project / "elsewhere" / "leak.go", LEAK)
    (project / "tree").mkdir()
    (project / "tree" / "lib").symlink_to("../elsewhere", target_is_directory=True)
    code, out, err = run("tree")
    assert (code, out, warnings_of(err)) == (
        1, f"tree/lib/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n", [])


def test_link_to_a_folder_above_the_analysed_one_is_a_loop(two_packages: Path) -> None:
    (two_packages / "a" / "up").symlink_to("..", target_is_directory=True)
    code, out, err = run("a")  # b is not below a: not analysed through a/up either
    assert (code, out) == (1, f"a/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == ["goleaklint: warning: a/up: symbolic link to a folder that "
                                "contains it (a loop); skipped"]


def test_a_directory_named_like_a_go_file(project: Path) -> None:
    write(project / "x.go" / "leak.go", LEAK)
    write(project / "x.go" / "y.go" / "leak.go", LEAK)
    code, out, err = run("x.go")
    assert (code, warnings_of(err)) == (1, [])
    assert out == "".join(f"{p}/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n"
                          for p in ("x.go", "x.go/y.go"))
    assert run(".")[1] == out


def test_a_fifo_named_like_a_go_file_is_one_line_and_exit_2(project: Path) -> None:
    """Reading a FIFO would wait for a writer forever: named on the command line, it is bad
    input. (A subprocess with a time limit, so that a regression fails instead of hanging.)"""
    os.mkfifo(project / "x.go")
    done = subprocess.run([sys.executable, "-m", "goleaklint", "--no-cache", "x.go"],
                          capture_output=True, text=True, timeout=120, cwd=project)
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", "goleaklint: error: x.go: not a regular file\n")
    assert stat.S_ISFIFO(os.lstat(project / "x.go").st_mode)


def test_a_device_named_is_not_taken_for_a_folder(project: Path) -> None:
    """``goleaklint /dev/null`` says what is wrong with the path, not with a configuration
    file inside it."""
    assert run("/dev/null") == (2, "", "goleaklint: error: /dev/null: not a Go file or "
                                       "directory\n")


def test_a_file_swapped_for_a_fifo_after_discovery_is_a_warning(
        two_packages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are read whole where they are analysed: one that became a FIFO meanwhile is
    skipped with a warning, never read (which would block the run)."""
    real = goleaklint.discover.discover

    def discover_then_swap(*args, **kwargs):
        found = real(*args, **kwargs)
        leak = two_packages / "b" / "leak.go"
        leak.unlink()
        os.mkfifo(leak)
        return found

    monkeypatch.setattr(goleaklint.discover, "discover", discover_then_swap)
    result: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: result.append(run("--jobs", "1", ".")),
                              daemon=True)
    worker.start()
    worker.join(timeout=120)  # a hang fails the test instead of stopping the suite
    assert result, "goleaklint blocked reading a FIFO"
    code, out, err = result[0]
    assert (code, out) == (1, f"a/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n")
    assert warnings_of(err) == ["b/leak.go: warning: read-error: cannot read (not a regular "
                                "file)"]


def test_paths_with_spaces_and_non_ascii_names(project: Path) -> None:
    write(project / "my dir" / "café ☕.go", LEAK)
    code, out, err = run("my dir")
    assert (code, warnings_of(err)) == (1, [])
    assert out == f"my dir/café ☕.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}\n"
    [result] = sarif_results("my dir")
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "my%20dir/caf%C3%A9%20%E2%98%95.go", "uriBaseId": "%SRCROOT%"}


def test_file_name_that_is_not_utf8(project: Path) -> None:
    name = os.fsdecode(b"caf\xe9.go")
    try:
        write(project / "pkg" / name, LEAK)
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system does not take names that are not UTF-8")
    for fmt in ("text", "json", "github", "sarif", "gitlab", "checkstyle"):
        proc = subprocess.run([sys.executable, "-m", "goleaklint", "--extend-select", "GL101",
                               "--format", fmt, "pkg"],
                              cwd=project, capture_output=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert b"Traceback" not in proc.stderr
    text_run = subprocess.run([sys.executable, "-m", "goleaklint", "--extend-select", "GL101",
                               "pkg"], cwd=project, capture_output=True, timeout=120)
    assert text_run.stdout.startswith(b"pkg/caf\xe9.go:6:2: GL101 ")
    code, _, _ = run("--output", "report.txt", "pkg")
    assert code == 1 and (project / "report.txt").read_bytes().startswith(b"pkg/caf\xe9.go:6:2:")


def test_json_file_names_are_valid_utf8_and_lossless(project: Path) -> None:
    """JSON paths (report and baseline): ``%`` and bytes that are not UTF-8 percent-encoded."""
    try:
        write(project / "one" / os.fsdecode(b"caf\xe9.go"), LEAK)
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system does not take names that are not UTF-8")
    write(project / "two" / "100% sure ☕.go", LEAK)
    proc = subprocess.run([sys.executable, "-m", "goleaklint", "--format", "json", "--exit-zero",
                           "--extend-select", "GL101", "--write-baseline", "base.json", "one",
                           "two"],
                          cwd=project, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    baseline = (project / "base.json").read_bytes()
    for document in (proc.stdout, baseline):
        data = json.loads(document.decode("utf-8"))  # strict UTF-8
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # and no lone surrogate inside
    paths = [item["path"] for item in json.loads(proc.stdout)]
    assert paths == ["one/caf%E9.go", "two/100%25 sure ☕.go"]
    assert [unquote_to_bytes(p) for p in paths] == [b"one/caf\xe9.go",
                                                    "two/100% sure ☕.go".encode()]
    recorded = json.loads(baseline)["findings"].values()
    assert sorted(entry["path"] for entry in recorded) == paths


def test_config_that_is_not_utf8_is_one_line_naming_file_and_line(project: Path) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    write(project / ".goleaklint.toml", b"# r\xe9glages\nselect = [\"GL1\"]\n")
    code, out, err = run("pkg")
    assert (code, out) == (2, "")
    assert err == "goleaklint: error: .goleaklint.toml:1: not UTF-8 (byte 0xe9)\n" or (
        err.startswith("goleaklint: error: ") and ".goleaklint.toml:1: not UTF-8" in err
        and err.count("\n") == 1)


def test_malformed_config_names_file_and_line(project: Path) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    write(project / ".goleaklint.toml", 'select = ["GL1"]\nignore = [GL2]\n')
    code, out, err = run("pkg")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and ".goleaklint.toml" in err and "line 2" in err


@pytest.mark.parametrize("directive", ["go banana", "go", "go 1.x", "go 1.22 extra"])
def test_go_mod_with_a_garbage_go_line_is_a_configuration_error(project: Path,
                                                                directive: str) -> None:
    write(project / "go.mod", f"module example.com/m\n\n{directive}\n")
    write(project / "pkg" / "leak.go", LEAK)
    code, out, err = run("pkg")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    assert err.startswith("goleaklint: error: go.mod:3: go directive: expected a Go version "
                          "such as 1.22, found ")
    # The configuration's go-version overrides the directive: then the run goes on.
    write(project / ".goleaklint.toml", 'go-version = "1.22"\n')
    assert run("pkg")[0] == 1


@pytest.mark.parametrize("directive", ["go 1.22", "go 1.21.0", "go 1.22rc1", "go 1.23 // x",
                                       'go "1.20"', "\tgo 1.22\r"])
def test_go_mod_versions_that_are_fine(project: Path, directive: str) -> None:
    write(project / "go.mod", f"module example.com/m\n\n{directive}\n\nrequire (\n"
          "\tgo.uber.org/zap v1.27.0\n)\n")
    write(project / "pkg" / "leak.go", LEAK)
    code, _, err = run("pkg")
    assert (code, warnings_of(err)) == (1, [])


# 2. Isolation ---------------------------------------------------------------------------------

class BoomFirst(Rule):
    __doc__ = DOC
    id = "XR101"
    name = "boom-first"
    family = "test"
    summary = "Raises on aa_boom.go, reports panics elsewhere, counts files in finish."

    def begin_file(self, file) -> None:
        self.seen = getattr(self, "seen", 0) + 1

    def visit_call_expression(self, node: Node) -> None:
        assert self.file is not None
        if self.file.path.name == "aa_boom.go":
            raise ValueError("rule bug\non two lines")
        if text(node.child_by_field_name("function")) == "panic":
            self.report(node, "panic called")

    def finish(self) -> None:
        self.report(self.package.files[0].root, "finished", file=self.package.files[0])


class BoomFinish(Rule):
    __doc__ = DOC
    id = "XR102"
    name = "boom-finish"
    family = "test"
    summary = "Reports panics, then raises in finish."

    def visit_call_expression(self, node: Node) -> None:
        if text(node.child_by_field_name("function")) == "panic":
            self.report(node, "panic seen")

    def finish(self) -> None:
        raise KeyError("finish bug")


class BoomEndFile(Rule):
    __doc__ = DOC
    id = "XR103"
    name = "boom-end-file"
    family = "test"
    summary = "Raises in end_file of every other file."

    def end_file(self, file) -> None:
        if file.path.name.startswith("aa_"):
            raise RuntimeError("end_file bug")
        self.report(file.root, "ended", file=file)


class IsolationPlugin:
    @staticmethod
    @hookimpl
    def goleaklint_rules():
        return [BoomFirst, BoomFinish, BoomEndFile]


@pytest.fixture
def faulty_package(project: Path) -> Path:
    write(project / "pkg" / "aa_boom.go", "package pkg\n\nfunc Boom() {\n\tprintln(1)\n}\n")
    write(project / "pkg" / "leak.go", LEAK + "\nfunc Fail() {\n\tpanic(\"x\")\n}\n")
    return project


def test_a_rule_that_raises_on_one_file_still_analyses_the_others(faulty_package: Path) -> None:
    registry = load_rules(extra_plugins=(IsolationPlugin,))
    found = discover([str(faulty_package / "pkg")])
    result = analyze(found.packages, registry.rules, Config())
    got = sorted((f.rule_id, f.location.path.name, f.message) for f in result.findings)
    assert got == [
        ("GL101", "leak.go", MESSAGE.split(": ", 1)[1]),
        ("XR101", "leak.go", "panic called"),  # the next file, by the rule that raised
        ("XR102", "leak.go", "panic seen"),  # a rule that raised in finish keeps its findings
        ("XR103", "leak.go", "ended"),
    ]
    notices = sorted((n.kind, n.path.name, n.message) for n in result.notices)
    assert notices == [
        ("rule-error", "aa_boom.go",
         "XR101 boom-first raised ValueError: rule bug on two lines at test_robustness.py:"
         f"{BoomFirst.visit_call_expression.__code__.co_firstlineno + 3}; its findings in this "
         "file may be incomplete, and its package-wide findings for package pkg were not made"),
        ("rule-error", "aa_boom.go",
         "XR103 boom-end-file raised RuntimeError: end_file bug at test_robustness.py:"
         f"{BoomEndFile.end_file.__code__.co_firstlineno + 2}; its findings in this file may "
         "be incomplete"),
        ("rule-error", "pkg",
         "XR102 boom-finish raised KeyError: 'finish bug' at test_robustness.py:"
         f"{BoomFinish.finish.__code__.co_firstlineno + 1}; its findings for package pkg may "
         "be incomplete"),
    ]
    assert all("Traceback" in n.detail for n in result.notices)


class GatedWalk(Rule):
    __doc__ = DOC
    id = "XR104"
    name = "gated-walk"
    family = "test"
    summary = "Walks only the files whose name starts with aa_; says which it visited."

    def begin_file(self, file) -> bool | None:
        return None if file.path.name.startswith("aa_") else False

    def visit_call_expression(self, node: Node) -> None:
        assert self.file is not None
        self.report(node, f"visited {self.file.path.name}")

    def end_file(self, file) -> None:
        self.report(file.root, "ended", file=file)


class GatedPlugin:
    @staticmethod
    @hookimpl
    def goleaklint_rules():
        return [GatedWalk]


def test_begin_file_returning_false_skips_that_rules_walk_of_the_file(
    faulty_package: Path,
) -> None:
    registry = load_rules(extra_plugins=(GatedPlugin,))
    rules = [r for r in registry.rules if r.id == "XR104"]
    result = analyze(discover([str(faulty_package / "pkg")]).packages, rules, Config())
    got = sorted((f.location.path.name, f.message) for f in result.findings)
    assert got == [("aa_boom.go", "ended"), ("aa_boom.go", "visited aa_boom.go"),
                   ("leak.go", "ended")]


def test_rule_errors_on_the_command_line(faulty_package: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = goleaklint.registry.load_rules
    monkeypatch.setattr(goleaklint.registry, "load_rules",
                        lambda: real(extra_plugins=(IsolationPlugin,)))
    code, out, err = run("--jobs", "1", "pkg")
    assert code == 1
    assert f"pkg/leak.go:{LEAK_LINE}:{LEAK_COL}: {MESSAGE}" in out.splitlines()
    assert "pkg/leak.go:10:2: XR101 boom-first: panic called" in out.splitlines()
    errors = [line for line in err.splitlines() if "rule-error" in line]
    assert [e.split(": warning: ")[0] for e in errors] == ["pkg", "pkg/aa_boom.go",
                                                           "pkg/aa_boom.go"]
    assert "Traceback" not in err
    _, _, debug = run("--jobs", "1", "--debug", "pkg")
    assert debug.count("Traceback (most recent call last)") == 3
    log = json.loads(run("--format", "sarif", "pkg")[1])["runs"][0]
    assert log["invocations"][0]["executionSuccessful"] is False
    assert {n["level"] for n in log["invocations"][0]["toolExecutionNotifications"]} == {"error"}


@pytest.mark.parametrize("garbage", [42, "XR1", None, [None, 3.5], (Rule,)])
def test_a_plugin_returning_garbage_is_a_warning(garbage: object) -> None:
    plugin = type("GarbagePlugin", (), {
        "goleaklint_rules": staticmethod(hookimpl(lambda: garbage)),
    })
    registry = load_rules(extra_plugins=(plugin,))
    assert registry.get("GL101") is not None
    assert all("\n" not in w for w in registry.warnings)
    assert all(w.startswith("plugin 'GarbagePlugin'") for w in registry.warnings)
    assert bool(registry.warnings) == (garbage is not None)


class KillsItsWorker(Rule):
    __doc__ = DOC
    id = "XR201"
    name = "kills-its-worker"
    family = "test"
    summary = "In a worker process, kills it on package doomed (SIGKILL) or exits (exited)."

    def begin_file(self, file) -> None:
        if multiprocessing.parent_process() is None:
            return  # never the test process itself
        if self.package.name == "doomed":
            os.kill(os.getpid(), signal.SIGKILL)
        if self.package.name == "exited":
            os._exit(3)


class KillerPlugin:
    @staticmethod
    @hookimpl
    def goleaklint_rules():
        return [KillsItsWorker]


PACKAGES = ["alpha", "beta", "doomed", "gamma", "delta", "exited", "omega"]


@pytest.fixture
def many_packages(project: Path) -> Path:
    for name in PACKAGES:
        write(project / name / "leak.go", LEAK.replace("package pkg", f"package {name}"))
    return project


def test_a_worker_that_dies_loses_only_its_own_package(many_packages: Path) -> None:
    registry = load_rules(extra_plugins=(KillerPlugin,))
    found = discover([str(many_packages)])
    result = analyze(found.packages, registry.rules, Config(), jobs=2)
    assert sorted(f.location.path.parent.name for f in result.findings) == sorted(
        set(PACKAGES) - {"doomed", "exited"})
    assert [(n.kind, n.path.name, n.message) for n in result.notices] == [
        ("worker-died", "doomed", "package doomed: the process analysing it was killed by "
         "SIGKILL (out of memory?); its findings are lost"),
        ("worker-died", "exited", "package exited: the process analysing it exited with status "
         "3; its findings are lost"),
    ]
    serial = analyze(found.packages, registry.rules, Config(), jobs=1)
    assert len(serial.findings) == len(PACKAGES) and serial.notices == []


@pytest.mark.usefixtures("enough_cores")
def test_a_dead_worker_on_the_command_line(many_packages: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = goleaklint.registry.load_rules
    monkeypatch.setattr(goleaklint.registry, "load_rules",
                        lambda: real(extra_plugins=(KillerPlugin,)))
    code, out, err = run("--jobs", "3", ".")
    assert code == 1
    assert len(out.splitlines()) == len(PACKAGES) - 2
    assert warnings_of(err) == [
        "doomed: warning: worker-died: package doomed: the process analysing it was killed by "
        "SIGKILL (out of memory?); its findings are lost",
        "exited: warning: worker-died: package exited: the process analysing it exited with "
        "status 3; its findings are lost",
    ]


def test_a_fault_outside_the_rules_loses_only_its_package(many_packages: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = goleaklint.engine.Package.build

    def build(directory, name, module, files):
        if name == "gamma":
            raise RecursionError("maximum recursion depth exceeded")
        return real(directory, name, module, files)

    monkeypatch.setattr(goleaklint.engine.Package, "build", staticmethod(build))
    code, out, err = run("--jobs", "1", ".")
    assert code == 1 and len(out.splitlines()) == len(PACKAGES) - 1
    assert warnings_of(err) == ["gamma: warning: internal-error: package gamma could not be "
                                "analysed: RecursionError: maximum recursion depth exceeded at "
                                "test_robustness.py:" + str(build.__code__.co_firstlineno + 2)]


def test_an_unwritable_output_is_one_line_and_exit_2(project: Path) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    (project / "taken").mkdir()
    code, out, err = run("--output", "taken", "pkg")
    assert (code, out) == (2, "")
    assert err.startswith("goleaklint: error: --output: taken: cannot write (") and (
        err.count("\n") == 1)


def test_an_internal_error_is_one_line_and_exit_2(project: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / "pkg" / "leak.go", LEAK)

    def broken(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'x'")

    monkeypatch.setattr(goleaklint.engine, "analyze", broken)
    code, out, err = run("pkg")
    assert (code, out) == (2, "")
    assert err == ("goleaklint: error: internal error: AttributeError: 'NoneType' object has "
                   "no attribute 'x' (please report it; --debug shows the traceback)\n")
    assert "Traceback" in run("--debug", "pkg")[2]


# 4. Determinism -----------------------------------------------------------------------------------

@pytest.mark.usefixtures("enough_cores")
def test_output_is_identical_whatever_jobs_and_directory_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    reference = {fmt: run("--format", fmt, "--jobs", "1", "fixtures") for fmt in ("text",
                                                                                "sarif")}
    assert reference["text"][0] == 1 and reference["text"][1].count("\n") > 50
    real = os.scandir

    def reversed_scandir(path="."):
        entries = list(real(path))
        return iter(reversed(entries))

    monkeypatch.setattr(os, "scandir", reversed_scandir)
    for jobs in ("1", "2", "3"):
        for fmt in ("text", "sarif"):
            assert run("--format", fmt, "--jobs", jobs, "fixtures") == reference[fmt], (jobs, fmt)


def test_output_is_identical_whatever_the_hash_seed(tmp_path: Path) -> None:
    outputs = set()
    for seed, jobs in (("1", "1"), ("2", "2"), ("12345", "1")):
        report = tmp_path / f"{seed}.sarif"
        proc = subprocess.run(
            [sys.executable, "-m", "goleaklint", "--format", "sarif", "--jobs", jobs,
             "--output", str(report), "fixtures"],
            cwd=ROOT, capture_output=True, timeout=300,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert proc.returncode == 1, proc.stderr
        outputs.add(report.read_bytes())
    assert len(outputs) == 1


# 5. Atomic reports and Ctrl-C ---------------------------------------------------------------------

def test_reports_and_baselines_are_written_atomically(project: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    written: list[str] = []
    real = goleaklint.cli._write_file

    def spy(path: Path, content: str, *args) -> None:
        written.append(str(path))
        real(path, content, *args)

    monkeypatch.setattr(goleaklint.cli, "_write_file", spy)
    run("--format", "sarif", "--output", "out.sarif", "--write-baseline", "base.json", "pkg")
    assert sorted(written) == ["base.json", "out.sarif"]
    umask = os.umask(0)
    os.umask(umask)
    assert (project / "out.sarif").stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in project.iterdir()) == ["base.json", "out.sarif", "pkg"]


def test_ctrl_c_leaves_an_earlier_report_intact(project: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    write(project / "out.sarif", "the previous report\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(goleaklint.engine, "analyze", interrupted)
    assert run("--format", "sarif", "--output", "out.sarif", "pkg") == (
        130, "", "goleaklint: interrupted\n")
    assert (project / "out.sarif").read_text() == "the previous report\n"


def test_ctrl_c_while_the_report_is_written(project: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    write(project / "out.sarif", "the previous report\n")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(goleaklint.cli.os, "fsync", interrupted)
    assert run("--format", "sarif", "--output", "out.sarif", "pkg")[0] == 130
    assert (project / "out.sarif").read_text() == "the previous report\n"
    assert sorted(p.name for p in project.iterdir()) == ["out.sarif", "pkg"]


SLOW_PLUGIN = '''
import os, time
from pathlib import Path
from goleaklint import Rule, hookimpl


class Slow(Rule):
    __doc__ = {doc!r}
    id = "XS101"
    name = "slow"
    family = "test"
    summary = "Sleeps on packages sleepy (after leaving a marker) and sleepz."

    def begin_file(self, file):
        if self.package.name == "sleepy":
            marker = Path(os.environ["MARKER"])  # whole once it exists: renamed into place
            marker.with_name("marker.tmp").write_text(str(os.getpid()))
            marker.with_name("marker.tmp").replace(marker)
        if self.package.name in ("sleepy", "sleepz"):
            time.sleep(120)


@hookimpl
def goleaklint_rules():
    return [Slow]
'''


def start_slow_run(project: Path, jobs: str) -> tuple[subprocess.Popen, Path]:
    """``goleaklint --jobs JOBS`` in a session of its own, once a worker (or the process
    itself, with one job) sleeps in package sleepy: its pid is in the marker file. The
    biggest packages, sleepy and sleepz, go first: with two jobs, both workers sleep."""
    site = project / "site"
    install_distribution(site, "goleak_slow", "[goleaklint.rules]\nslow = goleak_slow\n",
                         {"goleak_slow/__init__.py": SLOW_PLUGIN.replace("{doc!r}", repr(DOC))})
    for i in range(30):
        write(project / "tree" / f"p{i:02d}" / "leak.go", LEAK)
    write(project / "tree" / "sleepy" / "leak.go", LEAK.replace("package pkg", "package sleepy"))
    write(project / "tree" / "sleepz" / "leak.go", LEAK.replace("package pkg", "package sleepz"))
    marker = project / "marker"
    env = {**os.environ, "MARKER": str(marker),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "goleaklint", "--jobs", jobs, "--format", "sarif", "--output",
         "out.sarif", "tree"],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not marker.exists():
        proc.kill()
        pytest.fail(f"no package slept: {proc.communicate()}")
    return proc, marker


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.parametrize(("jobs", "sent", "how", "code", "said"), [
    ("1", signal.SIGINT, "process", 130, "interrupted"),
    ("2", signal.SIGINT, "process", 130, "interrupted"),
    ("2", signal.SIGINT, "group", 130, "interrupted"),  # Ctrl-C in a terminal
    ("1", signal.SIGTERM, "process", 143, "terminated"),  # a cancelled CI job
    ("2", signal.SIGTERM, "process", 143, "terminated"),
    ("1", signal.SIGTERM, "timeout", 143, "terminated"),  # GNU timeout: the process, its group
    ("2", signal.SIGTERM, "timeout", 143, "terminated"),
])
def test_a_signal_stops_a_run_cleanly(project: Path, jobs: str, sent: int, how: str, code: int,
                                      said: str) -> None:
    proc, marker = start_slow_run(project, jobs)
    try:
        if how in ("process", "timeout"):
            proc.send_signal(sent)
        if how in ("group", "timeout"):
            os.killpg(proc.pid, sent)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, stdout, stderr.decode()) == (code, b"", f"goleaklint: {said}\n")
    assert sorted(p.name for p in project.iterdir()) == ["marker", "site", "tree"]
    sleeper = int(marker.read_text())
    deadline = time.monotonic() + 10
    while not gone(sleeper) and time.monotonic() < deadline:  # the worker that slept, too
        time.sleep(0.05)
    assert gone(sleeper)


STOPPERS = {  # where the run is when the signals arrive
    "start-up": (goleaklint.cli, "_load_registry"),
    "analysis": (goleaklint.engine, "analyze"),
    "report": (goleaklint.report, "write_report"),
}


@pytest.mark.parametrize("phase", sorted(STOPPERS))
def test_signals_arriving_together_stop_the_run_once(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     phase: str) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    module, name = STOPPERS[phase]
    real = getattr(module, name)
    both = {signal.SIGINT, signal.SIGTERM}

    def signalled(*args, **kwargs):
        signal.pthread_sigmask(signal.SIG_BLOCK, both)
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, both)  # both at once: SIGINT's handler first
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, signalled)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert run("--format", "sarif", "--output", "out.sarif", "pkg") == (
        130, "", "goleaklint: interrupted\n")
    assert sorted(p.name for p in project.iterdir()) == ["pkg"]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


class SignalledStream(io.StringIO):
    """A stderr that gets another SIGTERM as the stop is reported (the group's copy of it)."""

    def write(self, text: str) -> int:
        if text.startswith("goleaklint: "):
            os.kill(os.getpid(), signal.SIGTERM)
        return super().write(text)


def test_a_second_sigterm_while_the_stop_is_reported(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(project / "pkg" / "leak.go", LEAK)

    def stopped(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(goleaklint.engine, "analyze", stopped)
    out, err = io.StringIO(), SignalledStream()
    assert main(["pkg"], out, err) == 143
    assert (out.getvalue(), err.getvalue()) == ("", "goleaklint: terminated\n")


def test_the_command_handles_signals_before_it_loads_the_parser_and_rules() -> None:
    # What ``import goleaklint.cli`` imports runs under Python's default handlers: the less,
    # the shorter the time in which a signal gets a traceback instead of the one line.
    script = ("import sys, goleaklint.cli\n"
              "print(sorted(m for m in sys.modules if m.startswith(('goleaklint.rule', "
              "'goleaklint.syntax', 'goleaklint.nodes', 'goleaklint.parsing', "
              "'goleaklint.queries', 'goleaklint.visitor', 'goleaklint.plugins', "
              "'tree_sitter', 'pluggy'))))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert (proc.stdout, proc.stderr) == ("[]\n", "")
    from goleaklint import Finding, Option, Visitor, hookimpl  # still there, when asked for

    assert (Finding.__module__, Option.__module__, Visitor.__module__) == (
        "goleaklint.rule", "goleaklint.rule", "goleaklint.visitor")
    assert hookimpl is goleaklint.plugins.hookimpl
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        goleaklint.nothing  # noqa: B018


LATE_SIGNALS = """
import atexit, os, signal, sys
import goleaklint.engine
from goleaklint.cli import main


def stopped(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)


def late():  # the rest of the group's signals, during the interpreter's shutdown
    os.kill(os.getpid(), signal.SIGTERM)
    os.kill(os.getpid(), signal.SIGINT)


goleaklint.engine.analyze = stopped
atexit.register(late)
sys.exit(main())
"""


def test_signals_during_the_interpreters_shutdown_change_nothing(project: Path) -> None:
    write(project / "pkg" / "leak.go", LEAK)
    proc = subprocess.run([sys.executable, "-c", LATE_SIGNALS, "pkg"], cwd=project,
                          capture_output=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (143, b"", b"goleaklint: terminated\n")


# SARIF with the new notices and URIs still validates ------------------------------------------

def test_sarif_with_notices_and_odd_paths_validates(project: Path) -> None:
    tool = multitool()
    if tool is None or not tool.exists():
        pytest.skip("SARIF Multitool not installed (test_sarif decides whether that may be)")
    write(project / "my dir" / "café.go", LEAK)
    write(project / "my dir" / "deep.go", "package pkg\n\n" + nested("blocks", 100))
    write(project / "my dir" / "broken.go", "package pkg\n\nfunc f( {\n")
    code = main(["--format", "sarif", "--exit-zero", "--output", "out.sarif", "my dir"],
                io.StringIO(), io.StringIO())
    assert code == 0
    kinds = {n["descriptor"]["id"] for n in json.loads((project / "out.sarif").read_text())[
        "runs"][0]["invocations"][0]["toolExecutionNotifications"]}
    assert kinds == {"parse-error", "too-deep"}
    output = validate(tool, project / "out.sarif")
    problems = [line for line in output.splitlines() if ": error " in line or ": warning " in line]
    assert not problems, "\n".join(problems)


def test_failures_are_the_notice_kinds_that_fail_the_sarif_run() -> None:
    assert {"rule-error", "worker-died", "internal-error"} == FAILURES
