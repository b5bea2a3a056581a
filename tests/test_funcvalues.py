"""Which function literal a local function value holds where it is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.discover import SourceFile
from goleaklint.funcvalues import held_literal
from goleaklint.model import FileModel
from goleaklint.syntax import text

HEADER = "package p\n\nfunc g(res int, fns []func(int), keep bool, cb func(int)) {\n"


def _held(tmp_path: Path, body: str, header: str = HEADER) -> str | None:
    """The text of the literal held by the last call of ``f`` in ``body`` (None if unknown)."""
    path = tmp_path / "p.go"
    source = (header + body + "}\n").encode()
    path.write_bytes(source)
    f = FileModel(SourceFile(path, source, True))
    calls = f.captures("(call_expression function: (identifier) @fn)").get("fn", [])
    ident = [c for c in calls if text(c) == "f"][-1]
    held = held_literal(f, ident)
    return text(held) if held is not None else None


@pytest.mark.parametrize("body, expected", [
    ("f := func(int) { a() }\nf(res)\n", "func(int) { a() }"),
    ("f := func(int) { a() }\nf = func(int) {}\nf(res)\n", "func(int) {}"),
    ("f := func(int) {}\nif keep {\nf = func(int) { a() }\nf(res)\n}\n", "func(int) { a() }"),
    ("var f = func(int) { a() }\nf(res)\n", "func(int) { a() }"),
    ("f := func(int) { a() }\ndefer func() { f(res) }()\n", "func(int) { a() }"),
])
def test_the_literal_bound_last_before_the_call(tmp_path: Path, body: str,
                                                 expected: str) -> None:
    assert _held(tmp_path, body) == expected


@pytest.mark.parametrize("body", [
    "f := func(int) { a() }\nif keep {\nf = func(int) {}\n}\nf(res)\n",  # bound in a branch
    "f := func(int) { a() }\nfor range fns {\nf(res)\nf = func(int) {}\n}\n",  # next iteration
    "f := cb\nf(res)\n",  # a value from elsewhere
    "f := func(int) { a() }\nf = func(int) {}\ndefer func() { f(res) }()\n",  # read later
    "f := func(int) { a() }\nreset := func() { f = func(int) {} }\nreset()\nf(res)\n",
    "f := func(int) { a() }\np := &f\n_ = p\nf(res)\n",  # its address is taken
    "for _, f := range fns {\nf(res)\n}\n",
    "f := func(int) { a() }\ngo func(f func(int)) { f(res) }(cb)\n",  # a literal's parameter
])
def test_unknown_when_another_value_may_reach_the_call(tmp_path: Path, body: str) -> None:
    assert _held(tmp_path, body) is None


def test_a_parameter_is_unknown(tmp_path: Path) -> None:
    header = "package p\n\nfunc g(res int, f func(int)) {\n"
    assert _held(tmp_path, "f(res)\n", header) is None
    assert _held(tmp_path, "go func() { f(res) }()\n", header) is None
