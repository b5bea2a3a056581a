"""GL301 on sends a goroutine makes through the package's functions (issue 14, shape 6): which
calls send, how many sends one makes, and how the finding reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.discover import Module, SourceFile
from goleaklint.helpersends import HelperSends
from goleaklint.model import FileModel, Package
from goleaklint.paramchannels import ParamChannels
from goleaklint.sendpaths import UNBOUNDED, most_sends
from goleaklint.syntax import captures, parse, text
from harness import FIXTURES, run

SOURCE = """package p

import "context"

type Sink interface{ Put(c chan int, v int) }

type S struct{ sink Sink }

func reply(c chan<- int, v int)   { c <- v }
func twice(c chan<- int)          { c <- 1; c <- 2 }
func either(c chan<- int, e bool) { if e { c <- 1; return }; c <- 2 }
func all(c chan<- int, vs []int)  { for _, v := range vs { c <- v } }
func offer(ctx context.Context, c chan<- int, v int) {
	select {
	case c <- v:
	case <-ctx.Done():
	}
}
func swap(c chan int, v int) int  { c <- v; return <-c }
func keep(c chan int)             { go func() { c <- 1 }() }
func nested(c chan<- int)         { reply(c, 1); reply(c, 2) }
func looping(c chan<- int, n int) { if n > 0 { looping(c, n-1); return }; c <- n }
func (s *S) put(c chan int)       { c <- 1 }
func (s *S) viaSink(c chan int)   { reply(c, 0); s.sink.Put(c, 1) }
func length(c chan int) int       { return len(c) }
func ends(c chan int)             { c <- 1; close(c) }

func probe(ctx context.Context, s *S, ch chan int) {
	reply(ch, 1)
	twice(ch)
	either(ch, true)
	all(ch, nil)
	offer(ctx, ch, 1)
	swap(ch, 1)
	keep(ch)
	nested(ch)
	looping(ch, 3)
	s.put(ch)
	s.viaSink(ch)
	length(ch)
	ends(ch)
	s.sink.Put(ch, 1)
}
"""

# The most sends one call makes, or None when the call is not a blocking send.
CASES = [
    ("reply(ch, 1)", 1),
    ("twice(ch)", 2),
    ("either(ch, true)", 1),  # alternatives: one send per path
    ("all(ch, nil)", UNBOUNDED),
    ("offer(ctx, ch, 1)", None),  # gives up with ctx
    ("swap(ch, 1)", None),  # receives too
    ("keep(ch)", None),  # hands it to a goroutine
    ("nested(ch)", 2),
    ("looping(ch, 3)", None),  # recursive through the channel: may do anything
    ("s.put(ch)", 1),
    ("s.viaSink(ch)", None),  # an interface method may receive
    ("length(ch)", None),
    ("ends(ch)", None),  # closes too
    ("s.sink.Put(ch, 1)", None),
]


@pytest.mark.parametrize(("call", "most"), CASES, ids=[c for c, _ in CASES])
def test_sends_one_call_makes(tmp_path: Path, call: str, most: int | None) -> None:
    source = SOURCE.split("func probe")[0] + (
        f"func probe(ctx context.Context, s *S, ch chan int) {{\n\t{call}\n}}\n")
    path = tmp_path / "p.go"
    path.write_text(source)
    fm = FileModel(SourceFile(path, source.encode(), True))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm])
    found = HelperSends(pkg, ParamChannels(pkg)).of_body(fm, pkg.funcs["probe"].node, "ch")
    if most is None:
        assert found is None or not found.calls
    else:
        assert found is not None and [c.count for c in found.calls] == [most]


@pytest.mark.parametrize(("body", "counted"), [
    ("defer close(ch); reply(ch, 1)", True),  # its own close: the goroutine's sends count
    ("reply(ch, 1); ends(ch)", False),  # a helper that closes: unknown
    ("reply(ch, 1); <-ch", False),  # receives itself
    ("reply(ch, 1); s.keep = ch", False),  # hands it on
])
def test_what_else_the_goroutine_does_with_the_channel(tmp_path: Path, body: str,
                                                       counted: bool) -> None:
    source = SOURCE.split("func probe")[0] + (
        f"type K struct{{ keep chan int }}\n\nfunc probe(s *K, ch chan int) {{\n\t{body}\n}}\n")
    path = tmp_path / "p.go"
    path.write_text(source)
    fm = FileModel(SourceFile(path, source.encode(), True))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm])
    found = HelperSends(pkg, ParamChannels(pkg)).of_body(fm, pkg.funcs["probe"].node, "ch",
                                                         closing=True)
    assert (found is not None and len(found.calls) == 1) is counted


@pytest.mark.parametrize(("body", "most"), [
    ("reply(c); c <- 2", 2),
    ("if err != nil { reply(c); return }; reply(c)", 1),
    ("for _, v := range vs { reply(c) }", UNBOUNDED),
    ("stream(c)", UNBOUNDED),
    ("func() { reply(c) }()", 1),
])
def test_most_sends_counts_a_sending_call_as_its_callee_sends(body: str, most: int) -> None:
    source = f"package p\n\nfunc f() {{\n\t{body}\n}}\n".encode()
    root = parse(source).root_node
    block = captures("(function_declaration body: (block) @b)", root)["b"][0]
    sends = {n.id for n in captures("(send_statement) @s", block).get("s", [])}
    weights = {"reply": 1, "stream": UNBOUNDED}
    calls = {n.id: weights[text(n.child_by_field_name("function"))]
             for n in captures("(call_expression) @c", block)["c"]
             if text(n.child_by_field_name("function")) in weights}
    assert most_sends(block, sends, lambda call: False, lambda loop: None, calls) == most


def test_gl301_reports_the_call_with_the_helpers_send_related() -> None:
    """At the call in the goroutine; the send inside the helper is a related location (in
    the helper's function), and the message names both."""
    findings = {f.location.line: f for f in run(FIXTURES / "GL301" / "helpers",
                                                select=["GL301"]).findings}
    run_ = findings[40]
    assert run_.message.startswith(
        "this call to reply sends on ch (line 32 of reply) and blocks forever: ch is "
        "unbuffered and Run returns through")
    assert [(r.location.line, r.message) for r in run_.related] == [
        (46, "returns without receiving"), (32, "the send the call makes")]
    assert "the goroutine sends on it in a loop" in findings[108].message
    assert "(and 1 more in the goroutine)" in findings[128].message
    assert "can send 2 times" in findings[128].message


def test_gl301_marks_what_it_finds_only_through_helpers() -> None:
    """Findings of the shape carry ``HELPER_TIER`` (opt-in: judged on real code); a goroutine
    stranded by its own sends keeps its tier and its message."""
    from goleaklint.checks import gl301_blocked_goroutine_send as gl301

    assert gl301.HELPER_TIER == "opt-in"
    tiers = {(folder, f.location.line): f.tier for folder in ("helpers", "rpctimeout")
             for f in run(FIXTURES / "GL301" / folder, ["GL301"]).findings}
    assert {line: tier for (folder, line), tier in tiers.items() if folder == "helpers"} == {
        40: "opt-in", 61: "opt-in", 88: "opt-in", 108: "opt-in", 128: "opt-in", 147: "opt-in"}
    assert {tier for (folder, _), tier in tiers.items() if folder == "rpctimeout"} == {
        "default"}
