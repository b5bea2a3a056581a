"""Fuzzing: mutated fixture sources never crash a rule, and every position stays in the file.

The fixtures are realistic Go; hypothesis deletes, duplicates and swaps their tokens and lines,
and inserts random bytes and stray syntax (braces, keywords, merge-conflict markers, a byte
order mark, carriage returns, NUL bytes). Each mutant is analysed, as a reported file with its
unmutated siblings for context, by every rule; the run must end without a ``rule-error`` or
``internal-error`` notice, and each finding, related location and fix must lie inside the file.

CI runs a fixed set of examples (derandomized, so a CI failure reproduces); a long random run:

    GOLEAKLINT_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -q

(``GOLEAKLINT_FUZZ_MUTATIONS=30`` mutates each example more.)
"""

from __future__ import annotations

import io
import os
import re
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goleaklint.config import Config
from goleaklint.discover import Module, PackageFiles, SourceFile, is_generated, package_name
from goleaklint.engine import FAILURES, analyze
from goleaklint.registry import load_rules
from goleaklint.report import write_report
from goleaklint.rule import Location

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SOURCES = sorted(FIXTURES.rglob("*.go"))
LONG_RUN = "GOLEAKLINT_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("GOLEAKLINT_FUZZ_EXAMPLES", "60"))
MUTATIONS = int(os.environ.get("GOLEAKLINT_FUZZ_MUTATIONS", "8"))  # at most, per example

TOKEN = re.compile(
    rb"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|\"(?:[^\"\\\n]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/"
    rb"|:=|<-|\.\.\.|&&|\|\||[ \t]+|\r?\n|.",
    re.S,
)
STRAY = [
    b"{", b"}", b"(", b")", b"[", b"]", b";", b",", b".", b":=", b"=", b"<-", b"*", b"&",
    b"func", b"go", b"defer", b"for", b"if", b"else", b"return", b"break", b"select", b"switch",
    b"case", b"default:", b"package", b"import", b"var", b"type", b"struct", b"chan", b"map",
    b"range", b"goto", b"fallthrough", b"nil", b"_", b"\"", b"`", b"/*", b"//", b"\\",
    b"\n<<<<<<< HEAD\n", b"\n=======\n", b"\n>>>>>>> feature\n", b"\xef\xbb\xbf", b"\r\n",
    b"\r", b"\x00", b"\xff\xfe", b"\xc3", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
    b"os.Open(name)", b"context.WithCancel(ctx)", b"time.NewTicker(d)", b"time.After(d)",
    b"http.Get(u)", b"make([]byte, 1<<30)", b"//goleaklint:ignore GL101", b"//nolint",
]


@cache
def registry_rules():
    registry = load_rules()
    assert registry.rules
    return registry.rules


@cache
def original(path: Path) -> bytes:
    return path.read_bytes()


@cache
def siblings(path: Path) -> tuple[tuple[Path, bytes], ...]:
    """The other files of the fixture's package (same folder, same package clause)."""
    name = package_name(original(path))
    return tuple(
        (p, original(p)) for p in sorted(path.parent.glob("*.go"))
        if p != path and package_name(original(p)) == name
    )


def _tokens(source: bytes) -> list[bytes]:
    return TOKEN.findall(source)


@st.composite
def mutants(draw) -> tuple[Path, bytes]:
    path = draw(st.sampled_from(SOURCES))
    source = original(path)
    for _ in range(draw(st.integers(1, MUTATIONS))):
        op = draw(st.sampled_from([
            "delete-token", "duplicate-token", "swap-tokens", "delete-line", "duplicate-line",
            "swap-lines", "random-bytes", "stray", "splice-lines", "move-lines",
        ]))
        if op in ("splice-lines", "move-lines"):
            # A run of lines from another fixture (splice) or from this one (move), put
            # elsewhere: well-formed Go in unexpected places.
            lines = source.splitlines(keepends=True)
            donor = (original(draw(st.sampled_from(SOURCES))).splitlines(keepends=True)
                     if op == "splice-lines" else lines)
            if not donor:
                continue
            start = draw(st.integers(0, len(donor) - 1))
            piece = donor[start:start + draw(st.integers(1, 12))]
            if op == "move-lines":
                del lines[start:start + len(piece)]
            at = draw(st.integers(0, len(lines)))
            source = b"".join(lines[:at] + piece + lines[at:])
            continue
        if op.endswith("line") or op.endswith("lines"):
            parts = source.splitlines(keepends=True)
        elif op.endswith("token") or op.endswith("tokens"):
            parts = _tokens(source)
        else:
            at = draw(st.integers(0, len(source)))
            insert = (draw(st.binary(min_size=1, max_size=12)) if op == "random-bytes"
                      else draw(st.sampled_from(STRAY)))
            source = source[:at] + insert + source[at:]
            continue
        if not parts:
            continue
        i = draw(st.integers(0, len(parts) - 1))
        if op.startswith("delete"):
            del parts[i]
        elif op.startswith("duplicate"):
            parts.insert(i, parts[i])
        else:
            j = draw(st.integers(0, len(parts) - 1))
            parts[i], parts[j] = parts[j], parts[i]
        source = b"".join(parts)
    return path, source


def _lines(source: bytes) -> list[str]:
    """Each line as ``FileModel.position`` counts it: code points, ``\\r`` included."""
    text = source[3:] if source.startswith(b"\xef\xbb\xbf") else source
    return text.decode("utf-8", "surrogateescape").split("\n")


def _check(loc: Location, path: Path, lines: list[str], what: str) -> None:
    assert loc.path == path, what
    assert 1 <= loc.line <= len(lines), f"{what}: line {loc.line} of {len(lines)}"
    assert 1 <= loc.end_line <= len(lines), f"{what}: end line {loc.end_line} of {len(lines)}"
    assert 1 <= loc.column <= len(lines[loc.line - 1]) + 1, f"{what}: column {loc.column}"
    assert 1 <= loc.end_column <= len(lines[loc.end_line - 1]) + 1, f"{what}: end column"
    assert (loc.line, loc.column) <= (loc.end_line, loc.end_column), f"{what}: ends before start"


def analyse(path: Path, source: bytes, go_version: tuple[int, int] | None):
    name = package_name(original(path)) or "fuzz"
    files = [SourceFile(path, source, True)]
    files += [SourceFile(p, data, False) for p, data in siblings(path)]
    package = PackageFiles(path.parent, name, Module(None, go_version, None), files)
    return analyze([package], registry_rules(), Config(), jobs=1)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutants(), st.sampled_from([(1, 21), (1, 23), None]))
def test_mutated_fixtures_never_crash_and_stay_in_the_file(
    mutant: tuple[Path, bytes], go_version: tuple[int, int] | None
) -> None:
    path, source = mutant
    package_name(source), is_generated(source)  # what discovery asks of every file
    result = analyse(path, source, go_version)
    failures = [f"{n.kind}: {n.message}\n{n.detail}" for n in result.notices
                if n.kind in FAILURES]
    assert not failures, failures[0]
    lines = _lines(source)
    for f in result.findings:
        what = f"{f.rule_id} at {f.location.line}:{f.location.column}"
        _check(f.location, path, lines, what)
        for r in f.related:
            related_lines = lines if r.location.path == path else _lines(
                dict(siblings(path))[r.location.path])
            _check(r.location, r.location.path, related_lines, f"{what}, related")
        fix = getattr(f, "fix", None)
        for edit in getattr(fix, "edits", ()) or ():
            start, end = edit.start_byte, edit.end_byte
            assert 0 <= start <= end <= len(source), f"{what}: fix edit {start}-{end}"
    for fmt in ("text", "sarif"):
        write_report(fmt, result, registry_rules(), io.StringIO())


def test_the_mutations_change_the_sources() -> None:
    """A guard on the fuzzer itself: the token splitter loses nothing."""
    for path in SOURCES:
        assert b"".join(_tokens(original(path))) == original(path), path
