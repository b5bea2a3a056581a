"""--profile on the command line: the findings of fixtures/profiles/leakysvc carry the numbers
of its real profiles (see test_profile_reading), sorted by them, and the hot site no rule
explains is listed. The last test regenerates the profiles with Go: skipped, saying why, where
Go is not installed (.ci/run installs it when apt-get can; the committed profiles are what the
other tests read).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from goleaklint.cli import main
from test_profile_reading import (
    DATA,
    JOURNAL,
    MODULE,
    PAYLOADS,
    PROGRAM,
    REMEMBER,
    ROOT,
    SEND,
    SERVICE,
    STRANDED,
    TICKER,
)
from test_sarif import _PROBLEM as PROBLEM
from test_sarif import multitool, validate


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")

# --- the command line ---------------------------------------------------------------------------

ALL = ["heap.pb.gz", "goroutine.pb.gz", "goroutine-debug1.txt", "goroutine-debug2.txt.gz"]


def run(*args: str, cwd: Path = PROGRAM) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    os.chdir(cwd)
    try:
        code = main(list(args), out, err)
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


def profiles(*names: str, data: Path = DATA) -> list[str]:
    return [a for n in names for a in ("--profile", str(data / n))]


def check_report(data: Path) -> None:
    """The findings of leakysvc carry the numbers its profiles in ``data`` hold."""
    code, out, err = run(*profiles(*ALL, data=data), "--sort", "evidence", ".")
    assert code == 1
    lines = out.splitlines()
    assert [line.split(":")[1] for line in lines] == [str(SEND), str(REMEMBER), str(TICKER)]
    assert lines[0].endswith(
        f"[profile goroutine.pb.gz: {STRANDED:,} goroutines] "
        f"[goroutine dump goroutine-debug1.txt: {STRANDED:,} goroutines] "
        f"[goroutine dump goroutine-debug2.txt.gz: {STRANDED:,} goroutines in chan send]")
    assert " GL101 " in lines[1] and "[profile heap.pb.gz: 2.1 MiB live, 2,00" in lines[1]
    assert " GL203 " in lines[2] and "[profile heap.pb.gz: " in lines[2]
    (note,) = [line for line in err.splitlines() if ": note: " in line]
    assert re.fullmatch(rf"service/service.go:{JOURNAL}: note: profile heap.pb.gz: 4.7 MiB live, "
                        r"30\d objects \(6\d% of the profile\) in service.\(\*Journal\).Add: "
                        "no rule explains it", note), note

    _, out, _ = run(*profiles(*ALL, data=data), "--format", "json", ".")
    report = json.loads(out)
    evidence = {f["rule"]: f["evidence"] for f in report["findings"]}
    goroutines = [e for e in evidence["GL301"] if e["profile"].endswith("debug2.txt.gz")]
    assert goroutines == [{"profile": str(data / "goroutine-debug2.txt.gz"), "kind": "goroutine",
                           "goroutines": STRANDED, "wait": "chan send",
                           "longest_wait_minutes": 0}]
    (heap,) = evidence["GL101"]
    assert heap["kind"] == "heap" and heap["bytes"] >= PAYLOADS * 1024
    assert [(n["line"], n["function"]) for n in report["notes"]] == [
        (JOURNAL, f"{MODULE}/service.(*Journal).Add")]
    assert {p["profile"].rsplit("/", 1)[-1] for p in report["profiles"]} == set(ALL)


def test_findings_carry_the_numbers_of_the_committed_profiles() -> None:
    check_report(DATA)


def test_sarif_ranks_by_share_of_the_profile_and_lists_hot_sites() -> None:
    _, out, _ = run(*profiles("heap.pb.gz", "goroutine-debug2.txt.gz"), "--format", "sarif",
                       ".")
    run_ = json.loads(out)["runs"][0]
    ranks = {r["ruleId"]: r.get("rank") for r in run_["results"]}
    assert ranks["GL301"] == round(100 * STRANDED / (STRANDED + 1), 1)  # and main's goroutine
    assert 0 < ranks["GL203"] < ranks["GL101"] < 100
    props = {r["ruleId"]: r["properties"]["evidence"] for r in run_["results"]}
    assert props["GL301"][0]["goroutines"] == STRANDED
    (note,) = run_["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "profile-hot-site"
    region = note["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": JOURNAL}


def test_an_allocation_profile_says_allocated_and_lists_no_hot_site() -> None:
    code, out, err = run(*profiles("allocs.pb.gz"), ".")
    assert code == 1
    (remember,) = [line for line in out.splitlines() if f":{REMEMBER}:" in line]
    assert re.search(r"\[profile allocs.pb.gz: 2\.\d+ MiB allocated, 2,0\d\d objects\]$", remember)
    assert ": note: " not in err


def test_github_annotations_carry_the_evidence_too() -> None:
    _, out, _ = run(*profiles("goroutine-debug2.txt.gz"), "--format", "github", ".")
    (send,) = [line for line in out.splitlines() if f"line={SEND}," in line]
    assert send.endswith(f"[goroutine dump goroutine-debug2.txt.gz: {STRANDED:,} goroutines "
                         "in chan send]")


def test_a_baselined_findings_line_is_no_unexplained_hot_site(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run("--write-baseline", str(baseline), ".")[0] == 0
    code, out, err = run("--baseline", str(baseline), *profiles(*ALL), ".")
    assert (code, out) == (0, "")
    notes = [line.split(":")[1] for line in err.splitlines() if ": note: " in line]
    assert notes == [str(JOURNAL)]


def test_no_profile_no_evidence_and_the_json_report_stays_an_array() -> None:
    _, out, _ = run("--format", "json", ".")
    assert isinstance(json.loads(out), list)
    assert "evidence" not in json.loads(out)[0]


@pytest.mark.parametrize("bad", ["truncated", "source", "other-program"])
def test_a_bad_profile_says_one_line_and_changes_nothing_else(tmp_path: Path, bad: str) -> None:
    heap = (DATA / "heap.pb.gz").read_bytes()
    path = tmp_path / "bad.pb.gz"
    path.write_bytes({"truncated": heap[:1000], "source": SERVICE.read_bytes(),
                      "other-program": heap}[bad])
    target = str(ROOT / "fixtures" / "GL101") if bad == "other-program" else "."
    plain = run(target)
    code, out, err = run("--profile", str(path), target)
    assert (code, out) == plain[:2]
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1, err
    assert warnings[0].startswith(f"goleaklint: warning: profile {path}: not used: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--sort", "evidence", "."], "--sort evidence: needs --profile FILE"),
    (["--profile", "no-such.pb.gz", "."], "--profile: no-such.pb.gz: no such file"),
    (["--profile", "service", "."], "--profile: service: a folder, not a profile"),
])
def test_profile_usage_errors(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert (code, out, err) == (2, "", f"goleaklint: error: {message}\n")


def test_the_profiles_regenerated_with_go_give_the_same_numbers(tmp_path: Path) -> None:
    """End to end: build and run leakysvc with the Go toolchain, then read what it wrote."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("the Go toolchain (go) is not installed: apt-get install golang-go")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from make_profiles import make
    finally:
        sys.path.pop(0)
    make(tmp_path, go)
    check_report(tmp_path)


def test_sarif_with_profiles_passes_the_multitool(tmp_path: Path) -> None:
    """Ranks, evidence properties and the profile notifications (a hot site, a profile not
    used) draw no error and no warning from the GitHub and SARIF rules (test_sarif's rules for
    when the Multitool is missing)."""
    validator = multitool()
    if validator is None or not validator.is_file():
        why = f"SARIF Multitool not installed ({validator or 'npm ci --prefix .ci'})"
        if _in_ci() or validator is not None:
            pytest.fail(why)
        pytest.skip(why)
    bad = tmp_path / "bad.pb.gz"
    bad.write_bytes((DATA / "heap.pb.gz").read_bytes()[:100])
    report = tmp_path / "goleaklint.sarif"
    code, _, _ = run(*profiles(*ALL), "--profile", str(bad), "--format", "sarif",
                     "--output", str(report), ".")
    assert code == 1
    notes = json.loads(report.read_text())["runs"][0]["invocations"][0][
        "toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["profile-hot-site", "profile-error"]
    problems = [line for line in validate(validator, report).splitlines()
                if PROBLEM.search(line)]
    assert not problems, "\n".join(problems)


HEALTH = Path("/usr/share/gocode/src/github.com/alexliesenfeld/health")  # Debian's package
HEALTH_DRIVER = """\
// Command healthdemo drives github.com/alexliesenfeld/health (Debian's copy) with a check
// that outlives the checker's timeout, then writes goroutine and heap profiles.
package main

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/alexliesenfeld/health"
)

const calls = 300

func main() {
	release := make(chan struct{})
	checker := health.NewChecker(
		health.WithDisabledCache(),
		health.WithDisabledAutostart(),
		health.WithTimeout(time.Millisecond),
		health.WithCheck(health.Check{Name: "db", Check: func(ctx context.Context) error {
			<-release // a check that ignores its context
			return nil
		}}),
	)
	for i := 0; i < calls; i++ {
		checker.Check(context.Background())
	}
	close(release)
	for {
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 2)
		if strings.Count(b.String(), "[chan send]:") >= calls {
			break
		}
		runtime.Gosched()
	}
	runtime.GC()
	for name, debug := range map[string]int{"goroutine.pb.gz": 0, "goroutines.txt": 2} {
		f, _ := os.Create(os.Args[1] + "/" + name)
		pprof.Lookup("goroutine").WriteTo(f, debug)
		f.Close()
	}
	f, _ := os.Create(os.Args[1] + "/heap.pb.gz")
	pprof.Lookup("heap").WriteTo(f, 0)
	f.Close()
}
"""


def test_a_leak_in_a_package_nobody_here_wrote(tmp_path: Path) -> None:
    """github.com/alexliesenfeld/health strands a goroutine per check that outlives the
    checker's timeout (check.go, executeCheckFunc). Built from Debian's copy in GOPATH mode, so
    the frames carry its real paths; 300 timed-out checks give 300 goroutines on GL301's send.
    Skipped without Go or without Debian's golang-github-alexliesenfeld-health-dev (CI has
    neither need: test_the_profiles_regenerated_with_go covers the toolchain there)."""
    go = shutil.which("go")
    if go is None or not (HEALTH / "check.go").is_file():
        pytest.skip("needs go and Debian's golang-github-alexliesenfeld-health-dev")
    (tmp_path / "main.go").write_text(HEALTH_DRIVER)
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(HEALTH.parents[2].parent)}
    subprocess.run([go, "run", "main.go", str(tmp_path)], cwd=tmp_path, env=env, check=True,
                   timeout=600)
    code, out, err = run("--sort", "evidence", "--profile", str(tmp_path / "goroutine.pb.gz"),
                         "--profile", str(tmp_path / "goroutines.txt"), ".", cwd=HEALTH)
    assert code == 1, err
    (line,) = out.splitlines()
    assert line.startswith("check.go:371:3: GL301 ")
    assert line.endswith("[profile goroutine.pb.gz: 300 goroutines] "
                         "[goroutine dump goroutines.txt: 300 goroutines in chan send]")
