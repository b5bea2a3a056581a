"""GL301 and GL302 on the shapes of issue 13: the capacity the message states, the path the
parent leaves by."""

from __future__ import annotations

import pytest

from goleaklint.flow import CFG
from goleaklint.goroutinerule import _waits_out
from goleaklint.sendpaths import UNBOUNDED, most_sends
from goleaklint.syntax import Node, captures, parse, text
from harness import FIXTURES, run


def _messages(folder: str, rule: str) -> dict[int, str]:
    result = run(FIXTURES / rule / folder, select=[rule])
    return {f.location.line: f.message for f in result.findings if f.rule_id == rule}


def test_gl301_states_the_real_capacity() -> None:
    """A buffered channel is never called unbuffered: the message gives its size and the most
    sends one path of the goroutine makes."""
    found = _messages("errbuffer", "GL301")
    assert found, "the errbuffer fixture lost its findings"
    probe = [m for m in found.values() if "Probe" in m]
    watch = [m for m in found.values() if "Watch" in m]
    assert probe and all("errc holds 1 and the goroutine can send 2 times" in m for m in probe)
    assert watch and all("seen holds 8 and the goroutine sends on it in a loop" in m
                         for m in watch)
    assert not any("unbuffered" in m for m in found.values())


def test_gl301_reports_one_leak_once() -> None:
    """Two sends of one goroutine on one channel are one leak: one finding at the first send,
    the other send a related location."""
    result = run(FIXTURES / "GL301" / "errbuffer", select=["GL301"])
    probe = [f for f in result.findings if "Probe" in f.message]
    assert len(probe) == 1
    (finding,) = probe
    assert "(and 1 more in the goroutine)" in finding.message
    assert [r.location.line for r in finding.related if r.message == "another send on the channel"
            ] == [finding.location.line + 4]


@pytest.mark.parametrize(("body", "most"), [
    ("if err != nil { c <- 1; return }; c <- 2", 1),
    ("c <- 1; c <- 2", 2),
    ("switch x { case 1: c <- 1; fallthrough; case 2: c <- 2 }", 2),
    ("select { case c <- 1: case <-d: c <- 2 }", 1),
    ("for i := 0; i < 3; i++ { c <- i }", 3),
    ("for _, v := range vs { c <- v }", UNBOUNDED),
    ("for _, v := range vs { if v { c <- 1; return } }; c <- 2", 1),
    ("for { if !sent { sent = true; c <- 1 } }", 1),
    ("for { if !sent { c <- 1 }; sent = false }", UNBOUNDED),
    ("again: c <- 1; goto again", UNBOUNDED),
    ("defer func() { c <- 1 }(); c <- 2", 2),
    ("each(func() { c <- 1 })", UNBOUNDED),
    ("t.Fatal(); c <- 1", 0),
    ("for { c <- 1 }", UNBOUNDED),
    ("c <- 1; c <- 2; for { work() }", 2),
    ("c <- 1; select {}", 1),
])
def test_most_sends_per_path(body: str, most: int) -> None:
    source = f"package p\n\nfunc f() {{\n\t{body}\n}}\n".encode()
    root = parse(source).root_node
    block = captures("(function_declaration body: (block) @b)", root)["b"][0]
    sends = {n.id for n in captures("(send_statement channel: (identifier) @c) @s", block)["s"]
             if text(n.child_by_field_name("channel")) == "c"}
    ends = {"Fatal"}

    def ending(call: Node) -> bool:
        fn = call.child_by_field_name("function")
        return fn is not None and text(fn).rsplit(".", 1)[-1] in ends

    def fixed(loop: Node) -> int | None:
        return 3 if "i < 3" in text(loop) else None

    assert most_sends(block, sends, ending, fixed) == most


def _retry_messages() -> dict[tuple[str, int], str]:
    result = run(FIXTURES / "GL301" / "retry", select=["GL301"])
    return {(f.location.path.name, f.location.line): f.message for f in result.findings}


def test_gl301_a_receive_an_iteration_can_skip() -> None:
    """A receive inside a loop covers the loop only when every iteration receives before it
    goes round or leaves: a retry whose timeout (or `default`, or ticker) case goes round, or
    a `return` before the receive, leaves the sender stranded; the message names the loop."""
    found = _retry_messages()
    assert sorted(line for (name, line), m in found.items()
                  if name == "retry.go" and "can skip the receive" in m) == [31, 49, 67]
    assert found["retry.go", 31].endswith(
        "Load can return at line 41 without receiving from it: an iteration of the loop at "
        "line 33 can skip the receive")
    # It leaves from inside the loop, before the receive: the return says it all.
    assert found["retry.go", 88].endswith("Checked can return at line 93 without receiving "
                                          "from it")


def test_gl301_a_timeout_case_that_falls_through_is_not_said_to_return() -> None:
    """A timeout case that only logs and falls through is named as what the path went
    through, not as the way out (the parent goes on to the end of its body)."""
    assert _retry_messages()["load_test.go", 24] == (
        "this send blocks forever: got is unbuffered and TestLoadInTime can reach its end after "
        "the `<-time.After(100 * time.Millisecond)` case at line 29 without receiving from it")
    returning = _messages("rpctimeout", "GL301")
    assert any("returns through the `<-time.After(c.timeout)` case" in m
               for m in returning.values())


@pytest.mark.parametrize(("case", "gives_up"), [
    ("case <-time.After(d):", True),
    ("case <-timer.C:", True),
    ("case <-ctx.Done():", True),
    ("case <-timeoutC:", True),
    ("case <-s.deadline:", True),
    ("default:", True),
    ("case t := <-tickets:", False),
    ("case ev := <-events:", False),
])
def test_a_select_case_that_gives_up_on_the_receive(case: str, gives_up: bool) -> None:
    """Going round a retry loop through a timeout, ticker, `Done()` or `default` case is
    giving up on the receive; a case on another channel (`tickets`, not a ticker) is not."""
    source = f"package p\n\nfunc f() {{\n\tselect {{\n\tcase v = <-ch:\n\t{case}\n\t}}\n}}\n"
    body = captures("(function_declaration body: (block) @b)", parse(source.encode()).root_node)
    cfg = CFG(body["b"][0])
    cases = [b for b in cfg.blocks if b.kind == "case"]
    assert [_waits_out(b) for b in cases] == [False, gives_up]


def test_gl302_message_counts_what_the_rule_counts() -> None:
    """GL302 states only what it counted: "up to N" when a goroutine can end without sending,
    "at most k times" with the lines of receives outside loops, and a receive loop that can
    leave early as such (not as "received once")."""
    found = _messages("layers", "GL302")
    assert len(found) == 3, found
    open_all, open_target, open_three = (found[line] for line in sorted(found))
    assert open_all.startswith("len(digests) goroutines send on results, which is unbuffered;")
    assert ("the parent receives from it in the loop at line 40, which can leave at line 43 "
            "before every sender is received") in open_all
    assert open_target.startswith("up to len(digests) goroutines send on result, which is "
                                  "unbuffered (each goroutine can also end without sending);")
    assert "the parent receives from it at most once (line 88)" in open_target
    assert open_three.startswith("3 goroutines send on results")
    assert open_three.endswith("at most once (line 124): at least 2 of them block forever")
    assert not any("time(s)" in m or "the other senders" in m for m in found.values())
