"""Generated files read as context keep their declarations, not their function bodies.

A generated file that is not reported (``// Code generated … DO NOT EDIT.``, found by
recursion) is there so that the package's declarations are complete: its functions, methods,
types, vars and consts. Its function bodies are blanked before parsing: in Go's standard library
generated files are 28% of the bytes read (the compiler's rewrite rules alone are 6 MB), and
their trees were most of the memory of the biggest package. What is given up: facts that a
generated body would add to hand-written code's findings (a generated function that closes its
parameter, calls a helper, deletes from a hand-written map).

The bodies are found without parsing, in gofmt's layout, which generators emit: a ``func`` at
the start of a line whose line ends with the body's ``{``, and the first ``}`` at the start of a
later line. A body is left alone unless that cut is certain: no raw string or block comment in
it (either could hold a line ``}``) and as many ``{`` as ``}``. Blanking keeps every byte offset
and line.
"""

from __future__ import annotations

import re

from .syntax import blank

_FUNC_LINE = re.compile(rb"^func[ (][^\n]*\{\r?$", re.M)


def body_ranges(source: bytes) -> list[tuple[int, int]]:
    """The byte ranges strictly inside the braces of the top-level function bodies that can be
    blanked safely (see the module's docstring)."""
    found: list[tuple[int, int]] = []
    at = 0
    for m in _FUNC_LINE.finditer(source):
        if m.start() < at:
            continue  # inside a body already cut (a line that looks like a declaration)
        line = m.group()
        if line.count(b"{") != line.count(b"}") + 1 or b"`" in line or b"//" in line:
            continue  # a brace of a type literal left open, or one in a string or comment
        start = source.rindex(b"{", m.start(), m.end()) + 1
        end = _closing_line(source, start)
        if end is None:
            continue
        if (source.find(b"`", start, end) >= 0 or source.find(b"/*", start, end) >= 0
                or source.count(b"{", start, end) != source.count(b"}", start, end)):
            continue
        found.append((start, end))
        at = end
    return found


def _closing_line(source: bytes, start: int) -> int | None:
    """The offset of the first ``}`` that starts a line and ends it, after ``start``."""
    i = source.find(b"\n}", start)
    while i >= 0:
        after = i + 2
        if after == len(source) or source[after:after + 1] in (b"\n", b"\r"):
            return i + 1
        i = source.find(b"\n}", after)
    return None


def blank_bodies(source: bytes) -> bytes:
    """``source`` with the function bodies of ``body_ranges`` blanked (newlines kept)."""
    return blank(source, body_ranges(source))
