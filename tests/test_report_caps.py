"""GitHub's limits (issue 16, item 7): code scanning rejects a SARIF run of more than 25,000
results, and an Actions step lists at most 10 annotations of each level. A SARIF run keeps the
most severe results and says how many it left out (in the log and on stderr); ``--format
github`` says once on stderr when GitHub will not list every annotation.

The validity of a capped log under the SARIF Multitool is checked in ``test_sarif.py``.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.engine import Result
from goleaklint.registry import load_rules
from goleaklint.report import github_report, sarif_report, write_report
from goleaklint.rule import Finding, Location

RULES = load_rules().rules


def finding(i: int, level: str, files: int = 1) -> Finding:
    path = Path(f"/src/pkg{i % files}/f.go")
    return Finding("GL101", "unbounded-global-map", level, Location(path, i + 1, 2, i + 1, 9),
                   f"map m{i} only grows", f"m{i}[k] = v")


def sarif(findings: list[Finding]) -> tuple[dict, list[str]]:
    out = io.StringIO()
    warnings = write_report("sarif", Result(findings=findings), RULES, out)
    (run,) = json.loads(out.getvalue())["runs"]
    return run, warnings


def test_a_run_keeps_the_most_severe_results(monkeypatch: pytest.MonkeyPatch) -> None:
    levels = ["note", "warning", "error", "warning", "note", "error"]
    findings = [finding(i, level) for i, level in enumerate(levels)]
    everything, _ = sarif(findings)
    monkeypatch.setattr(sarif_report, "MAX_RESULTS", 3)
    run, warnings = sarif(findings)
    # errors first, then the first warning in report order; written in report order
    assert [(r["level"], r["message"]["text"]) for r in run["results"]] == [
        ("warning", "map m1 only grows"), ("error", "map m2 only grows"),
        ("error", "map m5 only grows")]
    # a kept result has the fingerprint it has in the full run
    prints = {r["message"]["text"]: r["partialFingerprints"] for r in everything["results"]}
    assert all(r["partialFingerprints"] == prints[r["message"]["text"]] for r in run["results"])
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["descriptor"] == {"id": "too-many-results"}
    assert notification["level"] == "warning"
    text = notification["message"]["text"]
    assert text.startswith("3 of 6 results left out: GitHub code scanning accepts at most 3 ")
    assert "--baseline" in text and "--select" in text
    assert warnings == [text]


def test_a_run_at_the_limit_is_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif_report, "MAX_RESULTS", 4)
    run, warnings = sarif([finding(i, "warning") for i in range(4)])
    assert len(run["results"]) == 4 and warnings == []
    assert "toolExecutionNotifications" not in run["invocations"][0]


def test_a_real_run_of_25001_results() -> None:
    """GitHub's own figure, without monkeypatching: one note (the last) is left out."""
    assert sarif_report.MAX_RESULTS == 25_000
    findings = [finding(i, "note" if i % 3 == 0 else "warning", files=250)
                for i in range(25_001)]
    started = time.perf_counter()
    run, warnings = sarif(findings)
    elapsed = time.perf_counter() - started
    assert len(run["results"]) == 25_000
    kept = {r["message"]["text"] for r in run["results"]}
    assert [f.message for f in findings if f.message not in kept] == ["map m24999 only grows"]
    assert warnings == [run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]]
    assert warnings[0].startswith("1 of 25,001 results left out: GitHub code scanning accepts "
                                  "at most 25,000 in a run")
    assert elapsed < 120, f"{elapsed:.1f} s"  # a bound for a hang, not a benchmark


LEAKS = """package pkg

{vars}

func Add(k string) {{
{writes}
}}
"""


def leaky_package(tmp_path: Path, n: int) -> Path:
    """A package with ``n`` GL101 findings (warnings)."""
    (tmp_path / "pkg").mkdir()
    source = LEAKS.format(vars="\n".join(f"var m{i} = map[string]int{{}}" for i in range(n)),
                          writes="\n".join(f"\tm{i}[k] = 1" for i in range(n)))
    (tmp_path / "pkg" / "leak.go").write_text(source)
    return tmp_path


def run(cwd: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("output", [[], ["--output", "report.sarif"]])
def test_results_left_out_are_said_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             output: list[str]) -> None:
    monkeypatch.setattr(sarif_report, "MAX_RESULTS", 10)
    code, out, err = run(leaky_package(tmp_path, 11), "--format", "sarif", *output, "pkg")
    assert code == 1
    assert err.splitlines() == [
        "goleaklint: warning: 1 of 11 results left out: GitHub code scanning accepts at most "
        "10 in a run; the most severe are kept. Report fewer with --baseline (new findings "
        "only) or --select/--ignore."]
    log = json.loads(out or (tmp_path / "report.sarif").read_text())
    assert len(log["runs"][0]["results"]) == 10


@pytest.mark.parametrize(("n", "said"), [(10, False), (11, True)])
def test_annotations_github_will_not_list_are_said_once(tmp_path: Path, n: int,
                                                        said: bool) -> None:
    code, out, err = run(leaky_package(tmp_path, n), "--format", "github", "pkg")
    assert code == 1
    assert len(out.splitlines()) == n  # every annotation is written: the log shows them all
    expected = [f"goleaklint: warning: {n} annotations ({n} warning): GitHub lists at most "
                f"{github_report.PER_STEP} of each level per step and {github_report.PER_JOB} "
                "per job; the others are only in the step's log (--format sarif with code "
                "scanning shows them all)"]
    assert err.splitlines() == (expected if said else [])
