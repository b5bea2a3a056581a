"""Opt-in shapes of default rules. GL204: a resource per element of a collection that no known
opener made (judged 0.55 on real code); descriptors from GL201's openers, endless loops,
streams, b.N loops and same-lock deadlocks stay in the default tier. GL304: ranges over a
ticker's channel (judged about 0.35)."""

from __future__ import annotations

import pytest

from harness import FIXTURES, run

pytestmark = pytest.mark.real_tiers  # the rules as shipped: opt-in ones off by default

EXPECTED = {
    ("filescan", "reads.go", 18): "default",   # os.Open per path
    ("filescan", "scan.go", 47): "opt-in",     # a reader made from it, not an opener
    ("dbbatch", "batch.go", 44): "default",    # db.Query rows per region
    ("lazyinit", "export.go", 62): "opt-in",   # a closer from a same-package constructor
    ("poller", "poll.go", 26): "default",      # for { … }: endless
    ("workers", "pool.go", 28): "default",     # a range over a channel: a stream
    ("limits", "pool_test.go", 42): "default",  # b.N
    ("bounded", "locks.go", 14): "default",    # the same lock again: a deadlock
    ("shards", "cache.go", 43): "opt-in",      # each element's lock, taken per iteration
}


def test_gl204_puts_each_shape_in_its_tier() -> None:
    tiers = {}
    for folder in {folder for folder, _, _ in EXPECTED}:
        for f in run(FIXTURES / "GL204" / folder, ["GL204"]).findings:
            tiers[(folder, f.location.path.name, f.location.line)] = f.tier
    assert {key: tiers.get(key) for key in EXPECTED} == EXPECTED


def test_gl304_ranges_over_a_ticker_are_an_opt_in_shape() -> None:
    tiers = {(f.location.path.name, "ticker" in f.message): f.tier
             for f in run(FIXTURES / "GL304" / "tickers", ["GL304"]).findings}
    assert tiers and all(tier == ("opt-in" if ticker else "default")
                         for (_, ticker), tier in tiers.items())
    assert any(ticker for _, ticker in tiers)


def test_gl301_a_test_that_ends_inside_a_receiving_loop_is_an_opt_in_shape() -> None:
    """GL301: a retry loop whose timeout or `return` passes its receive by stays in the
    default tier; ending the goroutine (`t.Fatalf`) inside a loop that otherwise receives on
    every iteration is an opt-in shape (judged 3 of 8 on real code)."""
    tiers = {(f.location.path.name, f.location.line): f.tier
             for f in run(FIXTURES / "GL301" / "retry", ["GL301"]).findings}
    assert tiers == {("retry.go", 31): "default", ("retry.go", 49): "default",
                     ("retry.go", 67): "default", ("retry.go", 88): "default",
                     ("load_test.go", 24): "default", ("load_test.go", 72): "opt-in"}


def test_gl301_marks_the_sends_it_finds_only_by_looking_into_callees(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The shape of issue 14 (a channel handed to a helper that never receives) carries
    ``CALLEE_TIER``, every other send the default tier."""
    from goleaklint.checks import gl301_blocked_goroutine_send as gl301

    assert gl301.CALLEE_TIER == "default"  # judged: no finding of the shape on real code
    monkeypatch.setattr(gl301, "CALLEE_TIER", "opt-in")
    tiers = {(folder, f.location.line): f.tier for folder in ("callees", "rpctimeout")
             for f in run(FIXTURES / "GL301" / folder, ["GL301"]).findings}
    assert {key: tier for key, tier in tiers.items() if key[0] == "callees"} == {
        ("callees", 50): "opt-in", ("callees", 74): "opt-in", ("callees", 99): "opt-in",
        ("callees", 120): "opt-in"}
    assert {tier for (folder, _), tier in tiers.items() if folder == "rpctimeout"} == {
        "default"}
