"""GL203 messages that explain a path the reader would otherwise miss."""

from __future__ import annotations

from pathlib import Path

from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.registry import load_rules

RULES = [r for r in load_rules().rules if r.id == "GL203"]

RESTART = """package poll

import "time"

func Poll(events <-chan bool, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case done := <-events:
			if done {
				return
			}
			ticker.Stop()
			ticker = time.NewTicker(every)
		case <-ticker.C:
		}
	}
}
"""


def messages(tmp_path: Path, code: str) -> list[tuple[int, str]]:
    (tmp_path / "go.mod").write_text("module m\n\ngo 1.21\n", encoding="utf-8")
    package = tmp_path / "poll"
    package.mkdir()
    (package / "poll.go").write_text(code, encoding="utf-8")
    result = analyze(discover([str(package)]).packages, RULES, Config())
    assert not result.notices, [n.message for n in result.notices]
    return [(f.location.line, f.message) for f in result.findings]


def test_a_deferred_stop_bound_to_the_first_ticker_is_named(tmp_path: Path) -> None:
    """``defer ticker.Stop()`` evaluates ``ticker`` when the defer runs: the message says so,
    or the reader sees the defer and dismisses the finding."""
    assert messages(tmp_path, RESTART) == [(15, (
        "ticker ticker from time.NewTicker is not stopped on the path through the return at "
        "line 12 (the defer at line 7 evaluated ticker when it ran: it stops an earlier "
        "ticker, not this one)"))]


def test_no_hint_without_an_earlier_deferred_stop(tmp_path: Path) -> None:
    code = RESTART.replace("\tdefer ticker.Stop()\n", "")
    plain = ("ticker ticker from time.NewTicker is not stopped on the path through the return "
             "at line 11")
    assert messages(tmp_path, code) == [(6, plain), (14, plain)]


REAPER = """package poll

import "time"

type Cache struct{ done chan struct{} }

func (c *Cache) reaper(t *time.Ticker) {
	for {
		select {
		case <-t.C:
		case <-c.done:
			return
		}
	}
}

func (c *Cache) Start(d time.Duration) {
	go c.reaper(time.NewTicker(d))
}

func (c *Cache) Watch(d time.Duration) {
	t := time.NewTicker(d)
	go func() {
		for {
			select {
			case <-t.C:
			case <-c.done:
				return
			}
		}
	}()
}
"""


def test_a_ticker_handed_to_a_goroutine_that_returns_without_stop_names_it(
        tmp_path: Path) -> None:
    """The ticker's own function hands it on: the message names who was handed it and does
    not stop it, or the reader sees ``go c.reaper(…)`` and takes it as owned."""
    assert messages(tmp_path, REAPER) == [
        (18, "the ticker from time.NewTicker is handed to c.reaper, which can return without "
             "stopping it"),
        (22, "ticker t from time.NewTicker is not stopped on the path that reaches the end of "
             "the function (the goroutine started at line 23 is handed it and can return "
             "without stopping it)"),
    ]


def test_goroutines_that_stop_the_ticker_on_every_way_out_are_its_owners(
        tmp_path: Path) -> None:
    code = REAPER.replace("\tfor {\n\t\tselect", "\tdefer t.Stop()\n\tfor {\n\t\tselect", 1)
    code = code.replace("\t\t\tcase <-c.done:\n\t\t\t\treturn",
                        "\t\t\tcase <-c.done:\n\t\t\t\tt.Stop()\n\t\t\t\treturn")
    assert "defer t.Stop()" in code and "\t\t\t\tt.Stop()" in code
    assert messages(tmp_path, code) == []


def test_where_the_goroutine_or_callee_leaves_without_stop_is_a_related_location(
        tmp_path: Path) -> None:
    messages(tmp_path, REAPER)
    result = analyze(discover([str(tmp_path / "poll")]).packages, RULES, Config())
    related = [[(r.location.line, r.message) for r in f.related] for f in result.findings]
    assert related == [[(12, "c.reaper leaves here without Stop")],
                       [(28, "the goroutine leaves here without Stop")]]
