"""Large values (sizes.py) and the per-rule options of GL103 and GL401 in .goleaklint.toml."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.constants import const_int
from goleaklint.discover import Module, SourceFile
from goleaklint.largevalues import large_value
from goleaklint.model import FileModel, Package
from goleaklint.syntax import captures
from goleaklint.typesizes import human_size, sized

CONSTS = """package p

const (
	kib  = 1 << 10
	mib  = kib * kib
	big  = 10 * 1024 * 1024
	odd  = (3 + 1) << (2 * 2)
	hex  = 0x10_00
	oct  = 0o17 + 017
	neg  = -mib / 2
	iota0 = iota
)

const small, large = 8, 3 << 20

func f() {
	const local = 4 << 20
	const low, high = 1, 5 << 20
	_ = []int{local, big, mib, odd, hex, oct, neg, iota0, int64(mib) + 1, undefined,
		small, large, low, high}
}
"""


def _package(tmp_path: Path, source: str) -> tuple[Package, FileModel]:
    path = tmp_path / "p.go"
    path.write_text(source, encoding="utf-8")
    fm = FileModel(SourceFile(path, source.encode(), reported=True))
    return Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm]), fm


def test_const_folding(tmp_path: Path) -> None:
    pkg, fm = _package(tmp_path, CONSTS)
    elements = captures("(literal_element) @e", fm.root)["e"]
    values = [const_int(pkg, fm, e.named_children[0]) for e in elements]
    assert values == [4 << 20, 10 << 20, 1 << 20, 64, 4096, 30, -(1 << 19), None, (1 << 20) + 1,
                      None, 8, 3 << 20, 1, 5 << 20]  # several names in one spec too


LARGE = """package p

import (
	"io"
	"io/ioutil"
	"os"
)

const frame = 2 << 20

type block [1 << 18]uint32

func f(r io.Reader) {
	_ = make([]byte, frame)
	_ = make([]byte, 0, 1<<20)
	_ = make([]byte, 1<<19)
	_ = make([]uint64, 1<<17)
	_ = new(block)
	_ = [1 << 20]byte{}
	_, _ = os.ReadFile("x")
	_, _ = ioutil.ReadAll(r)
	_, _ = io.ReadAll(r)
	_ = make(map[string]int, 1<<30)
}
"""


def test_large_values(tmp_path: Path) -> None:
    pkg, fm = _package(tmp_path, LARGE)
    calls = [n for n in captures("(expression_list (_) @v)", fm.root)["v"]
             if n.type in ("call_expression", "composite_literal")]
    found = [large_value(pkg, fm, c, 1 << 20) for c in calls]
    assert [x.what if x else None for x in found] == [
        "a 2 MiB make([]byte)",
        "a 1 MiB make([]byte)",
        None,
        "a 1 MiB make([]uint64)",
        "a 1 MiB new(block)",
        "a 1 MiB array literal",
        "the whole file from os.ReadFile",
        "the whole stream from ioutil.ReadAll",
        "the whole stream from io.ReadAll",
        None,
    ]


@pytest.mark.parametrize(("size", "shown"), [
    (1 << 20, "a 1 MiB"), (8 << 20, "an 8 MiB"), (18 << 30, "an 18 GiB"), (1536, "a 1536 bytes"),
    (3 << 19, "a 1536 KiB"), (3 << 20 | 1, "a 3.0 MiB"),
])
def test_sizes_read_naturally(size: int, shown: str) -> None:
    assert sized(size) == shown
    assert shown.endswith(human_size(size))


# Options in .goleaklint.toml ------------------------------------------------------------------

RETAIN = """package pkg

var last []byte

func Keep(fill func([]byte) int) {
	buf := make([]byte, 256<<10)
	n := fill(buf)
	last = buf[:n]
}
"""
CLOSURE = """package pkg

import "net/http"

type scheduler interface{ AddJob(string, func()) }

func Routes(mux *http.ServeMux, jobs scheduler) {
	table := make([]byte, 256<<10)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write(table[:1]) })
	jobs.AddJob("@hourly", func() { println(len(table)) })
}
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "retain.go").write_text(RETAIN, encoding="utf-8")
    (tmp_path / "pkg" / "closure.go").write_text(CLOSURE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rules(out: str) -> list[str]:
    return sorted(line.split(": ")[1].split()[0] for line in out.splitlines())


def test_a_256_kib_buffer_is_not_large_by_default(project: Path) -> None:
    assert run("--select", "GL103,GL401", "pkg") == (0, "", "")


def test_large_size_is_set_per_rule(project: Path) -> None:
    (project / ".goleaklint.toml").write_text(
        "[rules.GL103]\nlarge-size = 262144\n", encoding="utf-8")
    code, out, _ = run("--select", "GL103,GL401", "pkg")
    assert (code, _rules(out)) == (1, ["GL103"])
    assert "a 256 KiB make([]byte)" in out
    (project / ".goleaklint.toml").write_text(
        "[rules.GL103]\nlarge-size = 262144\n[rules.GL401]\nlarge-size = 262144\n",
        encoding="utf-8")
    _, out, _ = run("--select", "GL103,GL401", "pkg")
    assert _rules(out) == ["GL103", "GL401"]


def test_escape_calls_extend_the_registration_names(project: Path) -> None:
    (project / ".goleaklint.toml").write_text(
        '[rules.GL401]\nlarge-size = 262144\nescape-calls = ["AddJob"]\n', encoding="utf-8")
    _, out, _ = run("--select", "GL401", "pkg")
    assert _rules(out) == ["GL401", "GL401"]
    assert "is registered with jobs.AddJob:" in out


def test_large_size_must_be_an_integer(project: Path) -> None:
    (project / ".goleaklint.toml").write_text(
        '[rules.GL401]\nlarge-size = "1MiB"\n', encoding="utf-8")
    code, out, err = run("pkg")
    assert (code, out) == (2, "")
    assert "rules.GL401.large-size: expected int" in err
