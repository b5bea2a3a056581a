"""Auditing a large tree from the command line: the progress bar (a terminal and a long run
only; never in CI, pre-commit or a pipe) and ``--statistics``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from goleaklint import progress
from goleaklint.cli import main

LEAK = """package {name}

var cache = map[string]int{{}}

func Add(k string) {{
	cache[k] = 1
}}
"""
CANCEL = """package {name}

import "context"

func Run(parent context.Context) {{
	ctx, _ := context.WithCancel(parent)
	_ = ctx
}}
"""


class Terminal(io.StringIO):
    """stderr as a terminal."""

    def isatty(self) -> bool:
        return True


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out = io.StringIO()
    err = err if err is not None else io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two services: api (two leaky packages) and worker (one package, two findings)."""
    files = {
        "services/api/cache/cache.go": LEAK.format(name="cache"),
        "services/api/store/store.go": LEAK.format(name="store"),
        "services/api/clean/clean.go": "package clean\n",
        "services/worker/jobs/jobs.go": LEAK.format(name="jobs"),
        "services/worker/jobs/run.go": CANCEL.format(name="jobs"),
        "tools/gen/main.go": "package main\n\nfunc main() {}\n",
    }
    for rel, content in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("CI", "PRE_COMMIT", "TERM"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


# Progress ----------------------------------------------------------------------------------


def test_no_bar_when_stderr_is_not_a_terminal(tree: Path, monkeypatch) -> None:
    monkeypatch.setattr(progress, "MIN_FILES", 0)
    code, _, err = run("services")
    assert code == 1
    assert err == "goleaklint: 4 findings in 4 files; 5 files analysed\n"


def test_bar_on_a_terminal_for_a_long_run(tree: Path, monkeypatch) -> None:
    monkeypatch.setattr(progress, "MIN_FILES", 0)  # every run is "long"
    terminal = Terminal()
    code, out, err = run("services", "--jobs", "1", err=terminal)
    assert code == 1
    assert "\r" not in out and out.count("\n") == 4  # the report is untouched
    assert "goleaklint [" in err and "5/5 files" in err
    # The bar is erased before anything else is written on stderr.
    drawn, _, rest = err.rpartition("\r")
    assert rest == "goleaklint: 4 findings in 4 files; 5 files analysed\n"
    assert drawn.endswith(" ")  # the erasing blanks


def test_no_bar_for_a_short_run_on_a_terminal(tree: Path) -> None:
    _, _, err = run("services", err=Terminal())
    assert "\r" not in err


def test_bar_after_the_delay_even_for_few_files(tree: Path, monkeypatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    _, _, err = run("services", "--jobs", "1", err=Terminal())
    assert "goleaklint [" in err


@pytest.mark.parametrize(("name", "value"), [("CI", "true"), ("PRE_COMMIT", "1"),
                                             ("TERM", "dumb")])
def test_no_bar_in_ci_pre_commit_or_a_dumb_terminal(tree: Path, monkeypatch, name: str,
                                                    value: str) -> None:
    monkeypatch.setattr(progress, "MIN_FILES", 0)
    monkeypatch.setenv(name, value)
    _, _, err = run("services", err=Terminal())
    assert "\r" not in err


def test_no_bar_with_sarif_or_json_on_stdout_either(tree: Path, monkeypatch) -> None:
    monkeypatch.setattr(progress, "MIN_FILES", 0)
    for fmt in ("json", "sarif"):
        _, out, err = run("--format", fmt, "services", err=Terminal())
        json.loads(out)
        assert "\r" not in out and "goleaklint [" in err


def test_progress_thresholds_with_a_clock(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    now = [0.0]
    stream = Terminal()
    bar = progress.Progress(stream, 10, clock=lambda: now[0])
    bar.advance(3)
    assert stream.getvalue() == ""  # 10 files, under a second: not long
    now[0] = 1.5
    bar.advance(2)
    assert stream.getvalue().endswith("5/10 files")
    now[0] = 1.55
    bar.advance(1)
    assert "6/10" not in stream.getvalue()  # redraws are throttled…
    bar.advance(4)
    assert stream.getvalue().endswith("10/10 files")  # …except the last one
    bar.close()
    assert stream.getvalue().endswith("\r")
    big = progress.Progress(Terminal(), progress.MIN_FILES + 1, clock=lambda: 0.0)
    big.advance(1)
    assert big.stream.getvalue().startswith("\rgoleaklint [")  # many files: at once


# Statistics --------------------------------------------------------------------------------

STATISTICS = """statistics: 4 findings in 4 files; 5 files analysed
  by rule:
    3  GL101 unbounded-global-map
    1  GL202 lost-cancel  (1 fixable with --fix)
  by directory:
    2  services/api/
    2  services/worker/
"""


def test_statistics_per_rule_and_directory(tree: Path) -> None:
    code, out, err = run("--statistics", "services")
    assert code == 1
    assert out.count("\n") == 4
    assert err == "goleaklint: 4 findings in 4 files; 5 files analysed\n" + STATISTICS


def test_statistics_for_the_current_directory(tree: Path) -> None:
    _, _, err = run("--statistics")
    assert "  by directory:\n    4  services/\n" in err
    assert "statistics: 4 findings in 4 files; 6 files analysed\n" in err


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_statistics_keep_machine_readable_stdout(tree: Path, fmt: str) -> None:
    code, out, err = run("--format", fmt, "--statistics", "services")
    assert code == 1
    json.loads(out)  # stdout is still one JSON document
    assert err == STATISTICS


def test_statistics_without_findings(tree: Path) -> None:
    code, out, err = run("--statistics", "tools")
    assert (code, out) == (0, "")
    assert err == "statistics: no findings; 1 file analysed\n"


def test_statistics_with_an_output_file(tree: Path) -> None:
    code, out, err = run("--statistics", "--output", "report.txt", "services")
    assert (code, out, err) == (1, "", STATISTICS)
    assert (tree / "report.txt").read_text().count("\n") == 4
