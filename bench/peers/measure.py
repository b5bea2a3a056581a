#!/usr/bin/env python3
"""Measure a goleaklint checkout against the peers' own test suites.

    python3 measure.py GOLEAKLINT [--suites DIR] [--jobs N] [--json OUT] [--markdown OUT]

The peers' files are read from DIR (default: ``suites/`` beside this script, where
``fetch.py`` puts the files ``sources.tsv`` lists).

GOLEAKLINT is the command that runs goleaklint (a path, or a quoted command line such as
"/path/.venv/bin/python -m goleaklint"). Every rule is selected (opt-in ones too):
``--no-cache --select GL0,GL1,GL2,GL3,GL4 --format json --exit-zero --jobs N``.

What counts:

* A positive is a line the peer marks: ``// want "…"`` (analysistest: lostcancel, bodyclose,
  sqlclosecheck), ``//@ diag(…)`` (staticcheck), a ``/*! … */`` comment (go-critic: it marks
  the next line), or, for suites with no markers (the Go runtime's goroutine-leak programs,
  GoKer), an entry of ANNOTATIONS below (the test's expected leak, by function).
* lostcancel reports one leak twice (at the WithCancel and at the return that misses the
  cancel): its "return statement" wants are folded into the leak whose WithCancel line they
  name ("defined on line N"), or the nearest one above. Either line catches the leak.
* SCOPE says which positives are outside goleaklint's rules (with why); every other positive
  is in scope and expects the rule(s) of its peer (RULES), or those ANNOTATIONS name.
* A positive is caught when a finding of an expected rule lies on one of its lines (for
  ANNOTATIONS: anywhere in the function's line range). Findings on no positive's lines are
  flags on the peer's negatives; NEGATIVE_VERDICTS says which are defensible (a real leak the
  peer does not look for) and which are false.
* Two runs: the files as shipped, and a "library" variant where the Go runtime's harness
  programs (``package main``) are renamed to a library package: goleaklint treats a
  ``package main`` with no serve/accept loop as a short-lived tool whose goroutines die with
  it, so the runtime's patterns are only judged as patterns in the second run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SUITES = Path(__file__).resolve().parent / "suites"

# peer -> (folder, expected rules for its positives,
#          harness package main renamed in the library run)
PEERS = {
    "lostcancel (go vet)": ("lostcancel", ("GL202",), False),
    "bodyclose": ("bodyclose", ("GL201",), False),
    "sqlclosecheck": ("sqlclosecheck", ("GL201",), False),
    "staticcheck SA1015/SA9001/SA5003": ("staticcheck", ("GL203", "GL204"), False),
    "go-critic deferInLoop": ("gocritic", ("GL204",), False),
    "Go runtime goroutine-leak patterns": ("runtime", ("GL301", "GL302", "GL303", "GL304"), True),
    "GoBench GoKer (runtime copy)": ("goker", ("GL301", "GL302", "GL303", "GL304"), True),
}

# Positives with no marker in the peer's files: (file, first line, last line, rules, label).
# The range is the leaking function; the runtime's test names the leak by its function.
ANNOTATIONS = [
    (
        "runtime/testgoroutineleakprofile/commonpatterns.go",
        35,
        57,
        ("GL303",),
        "NoCloseRange: workers range over ch, never closed",
    ),
    (
        "runtime/testgoroutineleakprofile/commonpatterns.go",
        85,
        124,
        (),
        "MethodContractViolation: worker started, Stop never called",
    ),
    (
        "runtime/testgoroutineleakprofile/commonpatterns.go",
        138,
        172,
        (),
        "DoubleSend: helper sends twice on error, parent receives once",
    ),
    (
        "runtime/testgoroutineleakprofile/commonpatterns.go",
        177,
        196,
        ("GL301",),
        "EarlyReturn: parent returns on error before receiving",
    ),
    (
        "runtime/testgoroutineleakprofile/commonpatterns.go",
        209,
        225,
        ("GL302",),
        "NCastLeak: N senders, one receive",
    ),
    (
        "runtime/testgoroutineleakprofile/commonpatterns.go",
        249,
        262,
        ("GL301",),
        "Timeout: select returns on ctx.Done() without receiving",
    ),
    ("runtime/testgoroutineleakprofile/simple.go", 40, 52, (), "NilRecv"),
    ("runtime/testgoroutineleakprofile/simple.go", 54, 66, (), "NilSend"),
    ("runtime/testgoroutineleakprofile/simple.go", 68, 79, (), "ChanRecv"),
    ("runtime/testgoroutineleakprofile/simple.go", 81, 92, (), "SelectNoCases"),
    ("runtime/testgoroutineleakprofile/simple.go", 94, 113, (), "SelectNoCasesMain"),
    ("runtime/testgoroutineleakprofile/simple.go", 115, 126, (), "ChanSend"),
    ("runtime/testgoroutineleakprofile/simple.go", 128, 142, (), "Select"),
    ("runtime/testgoroutineleakprofile/simple.go", 144, 157, (), "WaitGroup"),
    ("runtime/testgoroutineleakprofile/simple.go", 159, 174, (), "MutexStack"),
    ("runtime/testgoroutineleakprofile/simple.go", 176, 193, (), "MutexHeap"),
    ("runtime/testgoroutineleakprofile/simple.go", 195, 208, (), "RWMutexRLock"),
    ("runtime/testgoroutineleakprofile/simple.go", 210, 223, (), "RWMutexLock"),
    ("runtime/testgoroutineleakprofile/simple.go", 225, 238, (), "Cond"),
    ("runtime/testgoroutineleakprofile/simple.go", 240, 260, (), "Mixed"),
    (
        "goker/grpc660.go",
        31,
        47,
        ("GL301",),
        "grpc660: goroutine per iteration, parent returns on stop",
    ),
    (
        "goker/kubernetes5316.go",
        32,
        48,
        ("GL301",),
        "kubernetes5316: select with time.After returns without receiving",
    ),
    (
        "goker/moby17176.go",
        41,
        57,
        ("GL301",),
        "moby17176: select with time.After returns without receiving",
    ),
    (
        "goker/moby33781.go",
        31,
        58,
        ("GL301",),
        "moby33781: goroutine per iteration, parent returns on stop",
    ),
    (
        "goker/cockroach18101.go",
        28,
        47,
        (),
        "cockroach18101: buffered(6) channel, 8 sends in a callee, parent returns on ctx.Done",
    ),
]

# Positives outside goleaklint's rules: (file, line) -> why. For ANNOTATIONS, an empty rule
# tuple means out of scope, with the reason in OUT_OF_SCOPE_ANNOTATED.
SCOPE = {
    # bodyclose's consumption mode (check-consumption flag): the body is closed; the peer also
    # wants it drained. Not a leak: closing an undrained body closes its connection.
    (
        "bodyclose/consumption/consumption.go",
        105,
    ): "closed; peer wants it drained too (its own admitted false positive)",
    (
        "bodyclose/consumption/consumption.go",
        117,
    ): "closed; peer wants it drained too (its own admitted false positive)",
    ("bodyclose/consumption/consumption.go", 143): "closed but not drained: not a leak",
    ("bodyclose/consumption/consumption.go", 166): "closed but not drained: not a leak",
    ("bodyclose/consumption/consumption.go", 180): "closed but not drained: not a leak",
    ("bodyclose/consumption/consumption.go", 189): "closed but not drained: not a leak",
    # sqlclosecheck
    (
        "sqlclosecheck/rows/missing_close.go",
        10,
    ): (
        "not a leak: `for rows.Next()` runs to its end (auto-close); "
        "the only other exits are log.Fatal"
    ),
    (
        "sqlclosecheck/rows/non_defer_close.go",
        30,
    ): "style (Close should use defer): closed on every path",
    (
        "sqlclosecheck/stmt/non_defer_close.go",
        28,
    ): "style (Close should use defer): closed on every path",
}
_GOCRITIC_ONCE = "runs at most once: every path after the defer leaves the loop (break)"
_GOCRITIC_SMALL = "bounded: a range over a constant literal of <= 4 elements or a count to 5"
for _line in (10, 23, 38, 48, 81, 88, 100, 108, 233, 243, 254, 264, 272, 280, 290, 314, 327):
    SCOPE[("gocritic/deferInLoop/positive_tests.go", _line)] = _GOCRITIC_ONCE
for _line in (16, 30, 57, 61, 70, 74, 92, 122, 134, 148, 162, 176, 190, 204, 214, 342):
    SCOPE[("gocritic/deferInLoop/positive_tests.go", _line)] = _GOCRITIC_SMALL

OUT_OF_SCOPE_ANNOTATED = {
    "MethodContractViolation": (
        "the worker goroutine has a done-channel exit; the leak is a caller that never calls Stop "
        "(no rule models method contracts)"
    ),
    "DoubleSend": (
        "one goroutine sends twice through a helper, the parent receives once; "
        "no rule counts sends per goroutine"
    ),
    "cockroach18101": (
        "buffered channel (6) outrun by 8 sends in a callee loop; "
        "GL301 asks about unbuffered channels"
    ),
}
for _name in (
    "NilRecv",
    "NilSend",
    "ChanRecv",
    "SelectNoCases",
    "SelectNoCasesMain",
    "ChanSend",
    "Select",
    "WaitGroup",
    "MutexStack",
    "MutexHeap",
    "RWMutexRLock",
    "RWMutexLock",
    "Cond",
    "Mixed",
):
    OUT_OF_SCOPE_ANNOTATED[_name] = (
        "a single blocking operation (nil/unreferenced channel, select{}, double Lock, "
        "Wait with no Done/Signal): no rule models a one-off block outside a loop"
    )

# Findings on lines the peer does not mark: (file, line, rule) -> (verdict, reason).
# verdict: "defensible" (a real leak the peer does not look for) or "false".
NEGATIVE_VERDICTS = {
    ("bodyclose/a/handledresponse.go", 19, "GL201"): (
        "defensible",
        "`//bodyclose:handled` is the peer's own suppression directive; "
        "the body of http.Get is in fact discarded",
    ),
    ("sqlclosecheck/rows/passed.go", 22, "GL201"): (
        "defensible",
        "rows passed to dontClosedPassed, which never closes them: "
        "a real leak sqlclosecheck accepts",
    ),
    ("staticcheck/CheckLeakyTimeTick-main/CheckLeakyTimeTick-main.go", 6, "GL203"): (
        "defensible",
        "SA1015 exempts all of package main; fn2 is not main.main and leaks a ticker per call",
    ),
    ("staticcheck/CheckLeakyTimeTick/CheckLeakyTimeTick.go", 30, "GL304"): (
        "defensible",
        "fn4: `go func(){ for range time.Tick(0) {…} }()` never exits "
        "(GL304's opt-in shape, issue 14 shape 7); SA1015 only asks about the ticker",
    ),
}


@dataclass
class Positive:
    file: str
    line: int  # the primary line
    lines: set[int]
    rules: tuple[str, ...]
    label: str
    scope: str | None = None  # None: in scope; else the reason it is out
    lo: int | None = None
    hi: int | None = None
    caught_by: list[dict] = field(default_factory=list)
    other_rules: list[dict] = field(default_factory=list)

    def covers(self, line: int) -> bool:
        if self.lo is not None:
            return self.lo <= line <= self.hi
        return line in self.lines


_WANT = re.compile(r"//\s*want\s+(.*)$")
_DIAG = re.compile(r"//@\s*diag\((.*)\)")
_CRITIC = re.compile(r"/\*!\s*(.*?)\s*\*/")
_DEFINED = re.compile(r"defined on line (\d+)")


# Expected rules by the peer check a file tests, where a peer has several.
RULES_BY_PATH = {
    "staticcheck/CheckLeakyTimeTick": ("GL203",),  # SA1015
    "staticcheck/CheckDubiousDeferInChannelRangeLoop": ("GL204",),  # SA9001
    "staticcheck/CheckDeferInInfiniteLoop": ("GL204",),  # SA5003
}


def positives_of(root: Path, folder: str, peer_rules: tuple[str, ...]) -> list[Positive]:
    out: list[Positive] = []
    base = root / folder
    for path in sorted(base.rglob("*.go")):
        rel = path.relative_to(root).as_posix()
        rules = next((r for k, r in RULES_BY_PATH.items() if rel.startswith(k + "/")), peer_rules)
        lines = path.read_text(encoding="utf-8").splitlines()
        primaries: list[Positive] = []
        for i, text in enumerate(lines, 1):
            m = _WANT.search(text)
            if m:
                msg = m.group(1)
                if folder == "lostcancel" and "reached without using" in msg:
                    d = _DEFINED.search(msg)
                    owner = None
                    if d:
                        owner = next((p for p in primaries if p.line == int(d.group(1))), None)
                    if owner is None and primaries:
                        owner = primaries[-1]
                    if owner is not None:
                        owner.lines.add(i)
                        continue
                p = Positive(rel, i, {i}, rules, msg.strip()[:80])
                primaries.append(p)
                out.append(p)
                continue
            m = _DIAG.search(text)
            if m:
                out.append(Positive(rel, i, {i}, rules, m.group(1)[:80]))
                continue
            m = _CRITIC.search(text)
            if m and i < len(lines):
                out.append(Positive(rel, i + 1, {i, i + 1}, rules, m.group(1)[:80]))
    for f, lo, hi, r, label in ANNOTATIONS:
        if f.split("/", 1)[0] != folder:
            continue
        p = Positive(f, lo, set(range(lo, hi + 1)), r, label, lo=lo, hi=hi)
        if not r:
            key = label.split(":", 1)[0]
            p.scope = OUT_OF_SCOPE_ANNOTATED.get(key, "out of scope")
        out.append(p)
    for p in out:
        reason = SCOPE.get((p.file, p.line))
        if reason:
            p.scope = reason
    return out


def run_goleaklint(cmd: list[str], cwd: Path, folder: str, jobs: int) -> list[dict]:
    args = [
        *cmd,
        "--no-cache",
        "--jobs",
        str(jobs),
        "--select",
        "GL0,GL1,GL2,GL3,GL4",
        "--format",
        "json",
        "--exit-zero",
        folder,
    ]
    env = dict(os.environ, GOLEAKLINT_NO_CACHE="1")
    try:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    except OSError as exc:  # a relative command is looked up from the suites folder
        sys.exit(f"measure.py: error: cannot run {cmd[0]} (from {cwd}): {exc.strerror or exc}")
    if proc.returncode != 0:
        sys.exit(f"goleaklint failed ({proc.returncode}) on {folder}:\n{proc.stderr}")
    return json.loads(proc.stdout or "[]")


def library_copy(root: Path, tmp: Path, folder: str) -> None:
    """The folder with its harness ``package main`` renamed to a library package."""
    dst = tmp / folder
    shutil.copytree(root / folder, dst)
    for path in dst.rglob("*.go"):
        src = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^package main$", "package leaks", src), encoding="utf-8")


def score(positives: list[Positive], findings: list[dict]) -> dict:
    for p in positives:
        p.caught_by, p.other_rules = [], []
    flags = []
    for f in findings:
        path, line, rule = f["path"], f["line"], f["rule"]
        hit = [p for p in positives if p.file == path and p.covers(line)]
        if not hit:
            verdict, why = NEGATIVE_VERDICTS.get((path, line, rule), ("unjudged", ""))
            flags.append(
                {
                    "path": path,
                    "line": line,
                    "rule": rule,
                    "message": f["message"],
                    "verdict": verdict,
                    "why": why,
                }
            )
            continue
        for p in hit:
            entry = {"line": line, "rule": rule, "message": f["message"]}
            (p.caught_by if rule in p.rules else p.other_rules).append(entry)
    ins = [p for p in positives if p.scope is None]
    caught = [p for p in ins if p.caught_by]
    missed = [p for p in ins if not p.caught_by]
    return {
        "positives": len(positives),
        "in_scope": len(ins),
        "caught": len(caught),
        "missed": [
            {
                "file": p.file,
                "line": p.line,
                "label": p.label,
                "rules": p.rules,
                "other_rules": p.other_rules,
            }
            for p in missed
        ],
        "out_of_scope": [
            {
                "file": p.file,
                "line": p.line,
                "label": p.label,
                "why": p.scope,
                "flagged": p.caught_by + p.other_rules,
            }
            for p in positives
            if p.scope is not None
        ],
        "flags_on_negatives": flags,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("goleaklint", help="command that runs goleaklint (path or quoted command line)")
    ap.add_argument(
        "--suites",
        type=Path,
        default=SUITES,
        help="folder holding the peers' files (default: suites/ beside this script)",
    )
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="write the full results here")
    ap.add_argument("--markdown", type=Path, default=None, help="write the summary table here")
    a = ap.parse_args()
    cmd = shlex.split(a.goleaklint)
    root = a.suites.resolve()
    missing = [folder for folder, _, _ in PEERS.values() if not (root / folder).is_dir()]
    if missing:
        sys.exit(f"measure.py: error: {root}: no {', '.join(missing)} (run fetch.py first)")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="peers-") as tmpdir:
        tmp = Path(tmpdir)
        for peer, (folder, rules, harness_main) in PEERS.items():
            positives = positives_of(root, folder, rules)
            shipped = score(positives, run_goleaklint(cmd, root, folder, a.jobs))
            if harness_main:
                library_copy(root, tmp, folder)
                library = score(positives, run_goleaklint(cmd, tmp, folder, a.jobs))
            else:
                library = shipped
            results[peer] = {"folder": folder, "as_shipped": shipped, "library": library}
    md = summary(results)
    print(md)
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")
    if a.markdown:
        a.markdown.write_text(md + "\n")


def summary(results: dict[str, dict]) -> str:
    rows = [
        "| peer | positives | in scope | caught (as shipped) | caught (harness as library) "
        "| false flags | defensible flags | unjudged flags |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    tot = [0, 0, 0, 0, 0, 0, 0]
    for peer, r in results.items():
        s, lib = r["as_shipped"], r["library"]
        flags = s["flags_on_negatives"]
        n_false = sum(f["verdict"] == "false" for f in flags)
        n_def = sum(f["verdict"] == "defensible" for f in flags)
        n_unj = sum(f["verdict"] == "unjudged" for f in flags)
        vals = [s["positives"], s["in_scope"], s["caught"], lib["caught"], n_false, n_def, n_unj]
        tot = [x + y for x, y in zip(tot, vals, strict=True)]
        rows.append(f"| {peer} | " + " | ".join(str(v) for v in vals) + " |")
    rows.append(
        f"| **total** | {tot[0]} | {tot[1]} | **{tot[2]}** | **{tot[3]}** "
        f"| {tot[4]} | {tot[5]} | {tot[6]} |"
    )
    out = [
        "\n".join(rows),
        "",
        "Misses (as shipped; * = caught once the harness package main is a library):",
    ]
    for r in results.values():
        lib_missed = {(m["file"], m["line"]) for m in r["library"]["missed"]}
        for m in r["as_shipped"]["missed"]:
            star = "" if (m["file"], m["line"]) in lib_missed else " *"
            other = (
                f" (other rule there: {', '.join(o['rule'] for o in m['other_rules'])})"
                if m["other_rules"]
                else ""
            )
            out.append(
                f"- {m['file']}:{m['line']} [{'/'.join(m['rules'])}] {m['label']}{other}{star}"
            )
    out.append("")
    out.append("Flags on the peers' negatives (as shipped):")
    for r in results.values():
        out.extend(flag_line(f) for f in r["as_shipped"]["flags_on_negatives"])
    lib_extra = []
    for r in results.values():
        if r["library"] is r["as_shipped"]:
            continue
        shipped = {(f["path"], f["line"], f["rule"]) for f in r["as_shipped"]["flags_on_negatives"]}
        for f in r["library"]["flags_on_negatives"]:
            if (f["path"], f["line"], f["rule"]) not in shipped:
                lib_extra.append(flag_line(f))
    if lib_extra:
        out.append("")
        out.append("Further flags on negatives in the library run:")
        out.extend(lib_extra)
    return "\n".join(out)


def flag_line(f: dict) -> str:
    """One flag on a peer's negative, as the summary lists it."""
    why = f["why"] or f["message"][:100]
    return f"- {f['path']}:{f['line']} {f['rule']} [{f['verdict']}] {why}"


if __name__ == "__main__":
    main()
