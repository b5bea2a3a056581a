"""A type parameter reads as its constraint's core type where the constraint has one."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.discover import Module, SourceFile
from goleaklint.localtypes import expression_type
from goleaklint.model import FileModel, Package
from goleaklint.syntax import captures, text

SOURCE = """package p

import "io"

type Events interface{ ~chan string }

type Stream[E any] interface{ ~chan E }

type Mixed interface {
	~chan int
	~chan int | ~chan string
}

type Feed chan string

type Pipe[C chan E, E any] struct{ in C }

type Batch[S ~[]E, E any] struct{ items S }

func (p *Pipe[K, V]) Use(ch K) { _ = p.in; _ = ch }
func (b *Batch[S, E]) Use()    { _ = b.items }
func Plain[T chan int](ch T)    { _ = ch }
func Tilde[T ~chan E, E any](ch T) { _ = ch }
func Local[T interface{ ~chan int }]() { var ch T; _ = ch }
func Named[T Events](ch T)      { _ = ch }
func Inst[T Stream[E], E any](ch T) { _ = ch }
func Slice[T ~[]int](ch T)      { _ = ch }
func Any[T any](ch T)           { _ = ch }
func Union[T ~[]int | ~chan int](ch T) { _ = ch }
func Several[T Mixed](ch T)     { _ = ch }
func Other[T io.Reader](ch T)   { _ = ch }
func Shadow[Feed ~[]string](ch Feed) { _ = ch }
func Lit[T chan int](ch T)      { func() { _ = ch }() }
"""


def _kinds(tmp_path: Path) -> dict[str, str]:
    """The kind of each ``_ = x`` operand, by its function and text."""
    path = tmp_path / "p.go"
    path.write_bytes(SOURCE.encode())
    fm = FileModel(SourceFile(path, SOURCE.encode(), True))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm])
    found = {}
    for right in captures("(assignment_statement right: (expression_list (_) @r))",
                          fm.root).get("r", []):
        function = right.parent
        while function is not None and function.type not in ("function_declaration",
                                                             "method_declaration"):
            function = function.parent
        assert function is not None
        name = text(function.child_by_field_name("name"))
        owner = function.child_by_field_name("receiver")
        where = f"{text(owner)}.{name}" if owner is not None else name
        found[f"{where} {text(right)}"] = expression_type(right, pkg, fm).kind
    return found


@pytest.mark.parametrize(("operand", "kind"), [
    ("Plain ch", "chan"),
    ("Tilde ch", "chan"),
    ("Local ch", "chan"),  # var ch T
    ("Named ch", "chan"),  # the package's one-term interface
    ("Inst ch", "chan"),  # a generic one, instantiated
    ("(p *Pipe[K, V]).Use ch", "chan"),  # a receiver type's parameter, renamed
    ("(p *Pipe[K, V]).Use p.in", "chan"),  # a field typed by the type's parameter
    ("(b *Batch[S, E]).Use b.items", "slice"),
    ("Slice ch", "slice"),
    ("Lit ch", "chan"),  # captured by a function literal
    ("Any ch", "named"),  # no core type: left as it was
    ("Union ch", "named"),
    ("Several ch", "named"),  # an interface of two type elements: not resolved
    ("Other ch", "named"),  # another package's type: perhaps an interface
    ("Shadow ch", "slice"),  # the parameter, not the package's Feed
])
def test_core_type_of_a_type_parameter(tmp_path: Path, operand: str, kind: str) -> None:
    assert _kinds(tmp_path)[operand] == kind
