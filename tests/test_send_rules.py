"""GL301 and GL302 on the shapes of issue 13: the capacity the message states, the path the
parent leaves by."""

from __future__ import annotations

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
