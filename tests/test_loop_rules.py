"""GL204/GL205 cases the fixture tree cannot hold: no go.mod, the go-version setting, and the
loop analysis on shapes that are awkward to write as realistic packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.registry import load_rules

RULES = [r for r in load_rules().rules if r.id in ("GL204", "GL205")]

EVENT_LOOP = """package events

import "time"

func consume(events <-chan string, handle func(string)) {
	for {
		select {
		case ev := <-events:
			handle(ev)
		case <-time.After(time.Second):
			return
		}
	}
}
"""


def findings(tmp_path: Path, code: str, gomod: str | None = None,
             config: Config | None = None) -> list[tuple[str, int]]:
    package = tmp_path / "example"
    package.mkdir()
    if gomod is not None:
        (tmp_path / "go.mod").write_text(gomod, encoding="utf-8")
    (package / "example.go").write_text(code, encoding="utf-8")
    found = discover([str(package)])
    result = analyze(found.packages, RULES, config or Config())
    assert not result.notices, [n.message for n in result.notices]
    return [(f.rule_id, f.location.line) for f in result.findings]


@pytest.mark.parametrize(("gomod", "expected"), [
    (None, [("GL205", 10)]),  # no go.mod: pre-modules code, older than Go 1.23
    ("module m\n", []),  # a go.mod without a go line: a current Go is assumed
    ("module m\n\ngo 1.23\n", []),
    ("module m\n\ngo 1.24\n", []),
    ("module m\n\ngo 1.22\n", [("GL205", 10)]),
    ("module m\n\ngo 1.16\n", [("GL205", 10)]),
])
def test_time_after_depends_on_the_go_directive(tmp_path: Path, gomod, expected) -> None:
    assert findings(tmp_path, EVENT_LOOP, gomod) == expected


def test_go_version_setting_overrides_the_missing_go_mod(tmp_path: Path) -> None:
    config = Config()
    config.go_version = (1, 21)
    assert findings(tmp_path, EVENT_LOOP, None, config) == [("GL205", 10)]


def test_go_version_setting_overrides_pre_modules(tmp_path: Path) -> None:
    config = Config()
    config.go_version = (1, 23)
    assert findings(tmp_path, EVENT_LOOP, None, config) == []


def test_pre_modules_finding_says_why(tmp_path: Path) -> None:
    package = tmp_path / "example"
    package.mkdir()
    (package / "example.go").write_text(EVENT_LOOP, encoding="utf-8")
    result = analyze(discover([str(package)]).packages, RULES, Config())
    assert [f.message.split("(")[-1].split(")")[0] for f in result.findings] == [
        "no go.mod: pre-modules code, older than Go 1.23"]


def test_go_version_setting_overrides_go_mod(tmp_path: Path) -> None:
    config = Config()
    config.go_version = (1, 23)
    assert findings(tmp_path, EVENT_LOOP, "module m\n\ngo 1.20\n", config) == []


SHAPES = """package shapes

import "os"

func elseIfChain(ps []string, n int) {
	for _, p := range ps {
		f, _ := os.Open(p)
		_, _ = f.Stat() // used in the iteration, not only held
		defer f.Close() // report: the last else falls through
		if n == 0 {
			return
		} else if n == 1 {
			return
		} else if n == 2 {
			return
		} else {
		}
	}
}

func elseIfAllReturn(ps []string, n int) {
	for _, p := range ps {
		f, _ := os.Open(p)
		_, _ = f.Stat() // used in the iteration, not only held
		defer f.Close()
		if n == 0 {
			return
		} else if n == 1 {
			return
		} else {
			panic(p)
		}
	}
}

func switchWithoutDefault(ps []string) {
	for _, p := range ps {
		f, _ := os.Open(p)
		_, _ = f.Stat() // used in the iteration, not only held
		defer f.Close() // report: no case matches, the loop goes on
		switch p {
		case "a":
			return
		}
	}
}

func endlessInner(ps []string) {
	for _, p := range ps {
		f, _ := os.Open(p)
		_, _ = f.Stat() // used in the iteration, not only held
		defer f.Close()
		for {
			if len(p) > 3 {
				return
			}
		}
	}
}

func gotoBack(ps []string) {
	for _, p := range ps {
	again:
		f, _ := os.Open(p)
		_, _ = f.Stat() // used in the iteration, not only held
		defer f.Close() // report: goto to a label inside the loop
		if f == nil {
			goto again
		}
		return
	}
}

func emptySelect(ps []string) {
	for _, p := range ps {
		f, _ := os.Open(p)
		_, _ = f.Stat() // used in the iteration, not only held
		defer f.Close()
		select {}
	}
}

func breakInSelectLeavesOnlyTheSelect(ps []string, ch chan int) {
	for _, p := range ps {
		f, _ := os.Open(p)
		_, _ = f.Stat() // used in the iteration, not only held
		defer f.Close() // report: break leaves the select, not the loop
		select {
		case <-ch:
			break
		}
	}
}
"""


def test_loop_analysis_shapes(tmp_path: Path) -> None:
    wanted = [("GL204", i) for i, line in enumerate(SHAPES.splitlines(), 1)
              if "// report:" in line]
    assert len(wanted) == 4
    assert findings(tmp_path, SHAPES, "module m\n\ngo 1.22\n") == wanted


HELD_LOCKS = """package shards

import "sync"

type shard struct {
	mu    sync.RWMutex
	items map[string]int
}

func closureUnlock(shards []*shard) int {
	n := 0
	for _, s := range shards {
		s.mu.Lock()
		defer func() { // report: the closure's unlock releases what the iteration locked
			s.mu.Unlock()
		}()
		n += len(s.items)
	}
	return n
}

func argumentUnlock(shards []*shard) int {
	n := 0
	for _, s := range shards {
		s.mu.RLock()
		defer func(s *shard) { s.mu.RUnlock() }(s) // report: the element, locked here
		n += len(s.items)
	}
	return n
}

func stream(in <-chan *shard) {
	for s := range in {
		s.mu.Lock()
		defer s.mu.Unlock() // report: a lock per message
		s.items = nil
	}
}

func unlockedAndRelocked(shards []*shard) {
	for _, s := range shards {
		s.mu.Unlock()
		defer s.mu.Lock()
	}
}

func lockedInAGoroutine(shards []*shard) {
	for _, s := range shards {
		go s.mu.Lock()
		defer s.mu.Unlock()
	}
}

func otherField(shards []*shard, locks []sync.Mutex) {
	for i, s := range shards {
		locks[i].Lock()
		defer s.mu.Unlock()
	}
}
"""


def test_lock_taken_by_the_same_iteration(tmp_path: Path) -> None:
    wanted = [("GL204", i) for i, line in enumerate(HELD_LOCKS.splitlines(), 1)
              if "// report:" in line]
    assert len(wanted) == 3
    named = Config(select=["GL204"])  # an opt-in shape: reported when GL204 is named
    assert findings(tmp_path, HELD_LOCKS, "module m\n\ngo 1.22\n", named) == wanted


def test_held_lock_message_says_what_is_held_until_when(tmp_path: Path) -> None:
    package = tmp_path / "example"
    package.mkdir()
    (tmp_path / "go.mod").write_text("module m\n\ngo 1.22\n", encoding="utf-8")
    (package / "example.go").write_text(HELD_LOCKS, encoding="utf-8")
    result = analyze(discover([str(package)]).packages, RULES, Config(select=["GL204"]))
    first = result.findings[0]
    assert first.message == (
        "`defer func() {…}()` inside a loop (`for _, s := range shards`, line 12): each "
        "iteration's lock (`s.mu.Lock()`, line 13) stays held until closureUnlock returns: "
        "the loop ends up holding all of them at once, and a lock met twice deadlocks")
    assert [r.message for r in first.related] == [
        "the loop that runs the defer again", "the lock each iteration takes"]


NEVER_ENDS = """package relay

import "log"

func serve(accept func() string) {
	for {
		peer := accept()
		defer log.Printf("closed %s", peer)
	}
}
"""


def test_a_loop_that_never_ends_says_the_defers_never_run(tmp_path: Path) -> None:
    package = tmp_path / "example"
    package.mkdir()
    (package / "example.go").write_text(NEVER_ENDS, encoding="utf-8")
    result = analyze(discover([str(package)]).packages, RULES, Config())
    assert [(f.location.line, f.tier) for f in result.findings] == [(8, "default")]
    assert "never run and pile up" in result.findings[0].message
