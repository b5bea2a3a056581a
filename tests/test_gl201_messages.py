"""GL201 messages: the path they name is the one the reader finds in the code."""

from __future__ import annotations

from pathlib import Path

from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.registry import load_rules

RULES = [r for r in load_rules().rules if r.id == "GL201"]

RETRY = """package fetch

import (
	"io"
	"net/http"
)

func Fetch(url string, tries int) ([]byte, error) {
	for i := 0; ; i++ {
		if i == tries {
			return nil, io.ErrUnexpectedEOF
		}
		resp, err := http.Get(url)
		if err != nil {
			continue
		}
		if resp.StatusCode == http.StatusOK {
			defer resp.Body.Close()
			return io.ReadAll(resp.Body)
		}
	}
}
"""


def messages(tmp_path: Path, source: str) -> list[tuple[int, str]]:
    (tmp_path / "go.mod").write_text("module m\n\ngo 1.21\n", encoding="utf-8")
    package = tmp_path / "fetch"
    package.mkdir()
    (package / "fetch.go").write_text(source, encoding="utf-8")
    result = analyze(discover([str(package)]).packages, RULES, Config())
    assert not result.notices, [n.message for n in result.notices]
    return [(f.location.line, f.message) for f in result.findings]


def test_a_return_above_the_opener_is_reached_by_going_round_the_loop(tmp_path: Path) -> None:
    assert messages(tmp_path, RETRY) == [(13, (
        "resp.Body from http.Get is not closed on the path that goes round the loop to the "
        "return at line 11"))]
