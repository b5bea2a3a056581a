"""Precision groundwork: goleaklint over real Go code, a seeded sample to judge, and its score.

    python bench/precision/run.py install              # apt-get install packages.txt (root)
    python bench/precision/run.py scan [-o FILE]       # findings + counts, JSON (default in /tmp)
    python bench/precision/run.py table SCAN           # per-rule counts, Markdown
    python bench/precision/run.py sample SCAN --seed N [--per-rule 15] [-o TSV]
    python bench/precision/run.py score TSV            # per-rule precision of a judged TSV
    python bench/precision/run.py score TSV --write    # ... recorded as goleaklint's measured
                                                       # precision, rule documents regenerated

Two corpora: the standard library ($(go env GOROOT)/src) and Debian's Go sources
(/usr/share/gocode/src, from the golang-*-dev packages pinned in packages.txt and what they
depend on). Lines and files are counted over what goleaklint's own discovery analyses
(vendor/, testdata/, hidden and ``_`` folders skipped); hand-written means not carrying
``// Code generated … DO NOT EDIT.`` before the package clause. Files reached twice through
symbolic links (Debian's import-path aliases) count once, and so do their findings.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from goleaklint.discover import discover
from goleaklint.precision import CORPORA, Measured

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MEASURED_MODULE = ROOT / "src" / "goleaklint" / "measured_precision.py"
DOCS_SCRIPT = ROOT / "scripts" / "generate_rule_docs.py"
PACKAGES = HERE / "packages.txt"
GOCODE = "/usr/share/gocode/src"
FALLBACK_GOROOT_SRC = "/usr/lib/go-1.19/src"
DEFAULT_SCAN = Path(os.environ.get("TMPDIR", "/tmp")) / "goleaklint-precision-findings.json"
COLUMNS = ["seed", "rule", "path", "line", "message", "hint", "verdict", "reason"]
VERDICTS = ("TP", "FP")

Finding = dict[str, Any]


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


# install -----------------------------------------------------------------------------------------

def pinned_packages(path: Path = PACKAGES) -> list[str]:
    """The package names of ``packages.txt`` (one a line, ``#`` comments)."""
    names = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [n for n in names if n]


def install(dry_run: bool) -> int:
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *pinned_packages()]
    if dry_run:
        cmd.insert(2, "--simulate")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.call(cmd, env=env)


# scan --------------------------------------------------------------------------------------------

def goroot_src() -> str:
    try:
        out = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True)
        return str(Path(out.stdout.strip()) / "src")
    except (OSError, subprocess.CalledProcessError):
        return FALLBACK_GOROOT_SRC


def count_lines(root: str) -> dict[str, Any]:
    """Files and lines that goleaklint analyses under ``root``, symbolic-link aliases once."""
    totals: Counter[str] = Counter()
    seen: set[str] = set()
    digests: set[bytes] = set()
    for pkg in discover([root]).packages:
        for f in pkg.files:
            real = os.path.realpath(f.path)
            if real in seen:
                totals["alias_files"] += 1
                continue
            seen.add(real)
            try:
                source = f.read()
            except OSError:
                continue
            lines = source.count(b"\n")
            digest = hashlib.sha1(source).digest()
            if f.reported and not f.generated:
                totals["handwritten_same_content_as_another"] += digest in digests
                digests.add(digest)
            kind = "generated" if f.generated else "handwritten" if f.reported else "excluded"
            totals[f"{kind}_files"] += 1
            totals[f"{kind}_lines"] += lines
            if f.reported and not f.generated and f.is_test:
                totals["handwritten_test_files"] += 1
                totals["handwritten_test_lines"] += lines
    return dict(sorted(totals.items()))


# Every built-in rule, opt-in ones included (a prefix with a digit names them): the scan measures
# every rule; which findings users see by default is the tier's question (``rule_tiers``).
EVERY_TIER = "GL0,GL1,GL2,GL3,GL4"


def rule_tiers() -> dict[str, str]:
    """Each built-in rule's tier (default or opt-in), from the goleaklint being measured."""
    from goleaklint.registry import load_rules

    return {r.id: r.tier for r in load_rules().rules}


def run_goleaklint(root: str, jobs: int) -> tuple[list[Finding], list[str], list[str]]:
    """goleaklint's JSON findings over ``root`` (paths relative to it), its stderr lines, and
    the command (run in ``root``)."""
    cmd = [sys.executable, "-m", "goleaklint", "--format", "json", "--exit-zero", "--no-cache",
           "--select", EVERY_TIER, "--jobs", str(jobs), "."]
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise UsageError(f"goleaklint exited {done.returncode} on {root}: "
                         f"{done.stderr.strip()[-300:]}")
    return json.loads(done.stdout), done.stderr.splitlines(), cmd


def scan_corpus(name: str, root: str, jobs: int) -> tuple[dict[str, Any], list[Finding]]:
    """One corpus: findings (deduplicated by real path) and its counts."""
    findings, stderr, cmd = run_goleaklint(root, jobs)
    real_root = os.path.realpath(root)
    kept: list[Finding] = []
    keys: set[tuple[str, str, int, int, str]] = set()
    for f in findings:
        # The path below the real root: an alias folder walked first does not rename a finding.
        path = os.path.relpath(os.path.realpath(os.path.join(root, f["path"])), real_root)
        key = (f["rule"], path, f["line"], f["column"], f["message"])
        if key in keys:
            continue
        keys.add(key)
        kept.append({"corpus": name, "root": real_root, "rule": f["rule"], "name": f["name"],
                     "path": path, "reported_as": f["path"], "line": f["line"],
                     "column": f["column"], "message": f["message"],
                     "tier": f.get("tier", "default"), "test": path.endswith("_test.go")})
    lines = count_lines(root)
    summary = {
        "root": root, "real_root": real_root, "command": " ".join(cmd[1:]),
        **lines,
        "findings": len(kept),
        "duplicate_findings_dropped": len(findings) - len(kept),
        "findings_reported_under_an_alias": sum(f["path"] != f["reported_as"] for f in kept),
        "alias_warnings": sum("symbolic link" in w for w in stderr),
        "warnings": len(stderr),
        "warning_lines": stderr[:200],
        "per_rule": per_rule(kept, lines.get("handwritten_lines", 0)),
    }
    return summary, kept


def per_rule(findings: list[Finding], handwritten_lines: int) -> dict[str, dict[str, Any]]:
    """Per rule: findings, how many in ``_test.go`` files, findings per 1,000 hand-written lines."""
    out: dict[str, dict[str, Any]] = {}
    for rule in sorted({f["rule"] for f in findings}):
        mine = [f for f in findings if f["rule"] == rule]
        tests = sum(f["test"] for f in mine)
        out[rule] = {"findings": len(mine), "in_tests": tests,
                     "opt_in_shapes": sum(f.get("tier") == "opt-in" for f in mine),
                     "test_share": round(tests / len(mine), 3),
                     "per_1k_lines": per_1k(len(mine), handwritten_lines)}
    return out


def per_1k(count: int, lines: int) -> float:
    return round(1000 * count / lines, 4) if lines else 0.0


def scan(output: Path, jobs: int, goroot: str, gocode: str) -> dict[str, Any]:
    corpora: dict[str, Any] = {}
    findings: list[Finding] = []
    for name, root in (("goroot", goroot), ("gocode", gocode)):
        if not os.path.isdir(root):
            raise UsageError(f"{root}: no such directory (run the install subcommand first?)")
        summary, found = scan_corpus(name, root, jobs)
        corpora[name] = summary
        findings.extend(found)
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "commit": git_commit(), "python": sys.version.split()[0],
              "tiers": rule_tiers(), "corpora": corpora,
              "findings": sorted(findings, key=canonical)}
    output.write_text(json.dumps(result, indent=1) + "\n")
    return result


def git_commit() -> str:
    """The checkout's commit, ``+changes`` when src/ differs from it (what was analysed with)."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "../../src"], cwd=HERE)
    return done.stdout.strip() + ("+changes" if dirty.returncode else "")


def counts_table(data: dict[str, Any]) -> str:
    """Markdown: corpus sizes, then per rule and corpus the findings, in tests, per 1k lines."""
    corpora = data["corpora"]
    out = ["| corpus | hand-written files | hand-written lines | of which in tests | "
           "generated files (context) | findings | in tests | per 1k lines |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, c in corpora.items():
        lines, found = c.get("handwritten_lines", 0), c["findings"]
        tests = sum(r["in_tests"] for r in c["per_rule"].values())
        out.append(f"| {name} | {c.get('handwritten_files', 0):,} | {lines:,} | "
                   f"{_share(c.get('handwritten_test_lines', 0), lines)} | "
                   f"{c.get('generated_files', 0):,} | {found:,} | {_share(tests, found)} | "
                   f"{per_1k(found, lines):.3f} |")
    tiers: dict[str, str] = data.get("tiers", {})
    rules = sorted({r for c in corpora.values() for r in c["per_rule"]})
    if tiers:
        default = sum(c["per_rule"][r]["findings"] - c["per_rule"][r].get("opt_in_shapes", 0)
                      for c in corpora.values()
                      for r in c["per_rule"] if tiers.get(r, "default") == "default")
        everything = sum(c["findings"] for c in corpora.values())
        out += ["", f"Findings users see by default: {default:,} of {everything:,} (the rest "
                f"are opt-in rules' and opt-in shapes')."]
    out += ["", "| rule | tier | " + " | ".join(f"{n}: findings (in tests), per 1k"
                                              for n in corpora)
            + " |", "|---|---|" + "---:|" * len(corpora)]
    for rule in rules:
        shapes = sum(c["per_rule"].get(rule, {}).get("opt_in_shapes", 0) for c in corpora.values())
        cells = [tiers.get(rule, "?") + (f" ({shapes:,} opt-in shapes)" if shapes else "")]
        for c in corpora.values():
            r = c["per_rule"].get(rule)
            cells.append("0" if r is None else
                         f"{r['findings']:,} ({_share(r['in_tests'], r['findings'])}), "
                         f"{r['per_1k_lines']:.4f}")
        out.append(f"| {rule} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


# sample ------------------------------------------------------------------------------------------

def canonical(f: Finding) -> tuple[str, str, str, int, int, str]:
    return (f["rule"], f["corpus"], f["path"], f["line"], f["column"], f["message"])


def draw_sample(findings: Iterable[Finding], seed: int, per_rule: int) -> list[Finding]:
    """Up to ``per_rule`` findings of each rule: canonical order, then ``random.Random`` seeded
    with the seed and the rule (so that one rule's sample does not move when another's does)."""
    by_rule: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=canonical):
        by_rule.setdefault(f["rule"], []).append(f)
    picked: list[Finding] = []
    for rule, group in sorted(by_rule.items()):
        rng = random.Random(f"{seed}:{rule}")
        picked.extend(sorted(rng.sample(group, min(per_rule, len(group))), key=canonical))
    return picked


def source_line(f: Finding) -> str:
    try:
        with open(os.path.join(f["root"], f["path"]), "rb") as fh:
            for number, raw in enumerate(fh, 1):
                if number == f["line"]:
                    return raw.decode("utf-8", "replace").strip()[:160]
    except OSError:
        pass
    return ""


def clean(value: object) -> str:
    return " ".join(str(value).split())


def write_sample(scan_path: Path, seed: int, k: int, output: Path | None,
                 default_shapes: bool = False) -> int:
    data = load_json(scan_path)
    findings = data["findings"]
    if default_shapes:  # what users of each rule see by default: its opt-in shapes left out
        findings = [f for f in findings if f.get("tier", "default") == "default"]
    rows = draw_sample(findings, seed, k)
    text = "\t".join(COLUMNS) + "\n" + "".join(
        "\t".join(clean(v) for v in (seed, f["rule"], os.path.join(f["root"], f["path"]),
                                     f["line"], f["message"], source_line(f), "", "")) + "\n"
        for f in rows)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
    return len(rows)


def load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read a scan ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise UsageError(f"{path}: not a scan (no findings list)")
    return data


# score -------------------------------------------------------------------------------------------

def tally(rows: Iterable[dict[str, str]]) -> dict[str, Counter[str]]:
    """Per rule: sampled, TP, FP (a verdict left blank is not judged yet)."""
    out: dict[str, Counter[str]] = {}
    for number, row in enumerate(rows, 2):
        verdict = (row.get("verdict") or "").strip().upper()
        if verdict and verdict not in VERDICTS:
            raise UsageError(f"line {number}: verdict {row['verdict']!r} is not TP, FP or blank")
        counts = out.setdefault(row["rule"], Counter())
        counts["sampled"] += 1
        if verdict:
            counts[verdict] += 1
    return out


def precision(counts: Counter[str]) -> float | None:
    judged = counts["TP"] + counts["FP"]
    return counts["TP"] / judged if judged else None


def per_rule_table(header: str, counts: dict[str, Counter[str]],
                   row: Callable[[str, Counter[str]], str]) -> str:
    """A Markdown table: ``header``, a row per rule, and the rules' totals as "all"."""
    lines = [header, "|---|" + "---:|" * (header.count("|") - 2)]
    total: Counter[str] = Counter()
    for rule, c in sorted(counts.items()):
        total.update(c)
        lines.append(row(rule, c))
    lines.append(row("all", total))
    return "\n".join(lines) + "\n"


def score_table(counts: dict[str, Counter[str]]) -> str:
    return per_rule_table("| rule | sampled | TP | FP | precision |", counts, _score_row)


def _score_row(name: str, c: Counter[str]) -> str:
    p = precision(c)
    shown = "-" if p is None else f"{p:.0%}"
    return f"| {name} | {c['sampled']} | {c['TP']} | {c['FP']} | {shown} |"


def read_tsv(path: Path) -> list[dict[str, str]]:
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not lines or lines[0].split("\t")[: len(COLUMNS)] != COLUMNS:
        raise UsageError(f"{path}: header is not {' '.join(COLUMNS)}")
    return [dict(zip(COLUMNS, line.split("\t"), strict=False)) for line in lines[1:] if line]


# compare ---------------------------------------------------------------------------------------

def compare(rows: Iterable[dict[str, str]], findings: Iterable[Finding]) -> dict[str, Counter[str]]:
    """Judged findings of an earlier scan against a later scan, per rule: TP kept, TP lost, FP
    gone, FP kept (a finding is the same when its rule, file and line are)."""
    present = {(f["rule"], os.path.join(f["root"], f["path"]), int(f["line"])) for f in findings}
    out: dict[str, Counter[str]] = {}
    for row in rows:
        verdict = (row.get("verdict") or "").strip().upper()
        if verdict not in VERDICTS:
            continue
        still = (row["rule"], row["path"], int(row["line"])) in present
        outcome = {("TP", True): "TP kept", ("TP", False): "TP lost",
                   ("FP", True): "FP kept", ("FP", False): "FP gone"}[(verdict, still)]
        out.setdefault(row["rule"], Counter())[outcome] += 1
    return out


def compare_table(counts: dict[str, Counter[str]]) -> str:
    return per_rule_table("| rule | TP kept | TP lost | FP gone | FP kept |", counts,
                          _compare_row)


def _compare_row(name: str, c: Counter[str]) -> str:
    return f"| {name} | {c['TP kept']} | {c['TP lost']} | {c['FP gone']} | {c['FP kept']} |"


# score --write: the measured precision goleaklint shows ----------------------------------------

def corpus_of(path: str) -> str:
    """The corpus (a key of ``CORPORA``) a sampled finding's path lies in."""
    return "gocode" if path.startswith(GOCODE.rstrip("/") + "/") else "goroot"


def sample_commit(tsv: Path) -> str | None:
    """The commit a verdict file's name records (``before-5c814ce-seed20261204.tsv``)."""
    m = re.search(r"-([0-9a-f]{7,40})-seed\d+$", tsv.stem)
    return m.group(1) if m else None


def measurements(rows: list[dict[str, str]], commit: str) -> dict[str, Measured]:
    """Per rule: the judged counts of its rows, their seeds and corpora (a rule's rows may
    pool samples drawn with several seeds from the same scan)."""
    counts = tally(rows)
    out: dict[str, Measured] = {}
    for rule, c in sorted(counts.items()):
        mine = [r for r in rows if r["rule"] == rule]
        seeds = sorted({r["seed"].strip() for r in mine})
        if not all(s.isdigit() for s in seeds):
            raise UsageError(f"{rule}: expected numeric seeds, found {', '.join(seeds)}")
        corpora = sorted({corpus_of(r["path"]) for r in mine}, key=list(CORPORA).index)
        out[rule] = Measured(actionable=c["TP"], judged=c["TP"] + c["FP"],
                             sampled=c["sampled"], seeds=tuple(sorted(int(s) for s in seeds)),
                             commit=commit, corpus="+".join(corpora))
    return out


def latest_rows(files: list[tuple[str, list[dict[str, str]]]]
                ) -> dict[str, tuple[str, list[dict[str, str]]]]:
    """Per rule, the rows of the last file that has any (with that file's name): a later
    judged sample of a rule supersedes an earlier one."""
    out: dict[str, tuple[str, list[dict[str, str]]]] = {}
    for name, rows in files:
        for rule in {r["rule"] for r in rows}:
            out[rule] = (name, [r for r in rows if r["rule"] == rule])
    return out


def render_measured(sources: tuple[str, ...], commit: str, measured: dict[str, Measured],
                    no_findings: tuple[str, ...] = ()) -> str:
    """The text of ``goleaklint/measured_precision.py``; ``commit``: the last sample's, at
    which ``no_findings`` (the rules that reported nothing over the corpora) were found
    silent (nothing to sample: not measured)."""
    lines = [
        '"""Measured precision per rule, written by ``python bench/precision/run.py score TSV…',
        '--write`` from the judged samples ``SOURCES`` (a later one supersedes an earlier one for',
        'the rules it has): do not edit (a test recomputes it from those files).',
        '``goleaklint.precision`` reads it."""',
        "",
        "from .precision import Measured",
        "",
        "SOURCES = (" + "".join(f"\n    {json.dumps(s)}," for s in sources) + "\n)",
        f"COMMIT = {json.dumps(commit)}",
        "",
        "MEASURED: dict[str, Measured] = {",
    ]
    for rule, m in sorted(measured.items()):
        head = f"    {json.dumps(rule)}: Measured("
        seeds = ", ".join(map(str, m.seeds)) + ("," if len(m.seeds) == 1 else "")
        lines.append(f"{head}actionable={m.actionable}, judged={m.judged}, "
                     f"sampled={m.sampled}, seeds=({seeds}),")
        lines.append(f"{' ' * len(head)}commit={json.dumps(m.commit)}, "
                     f"corpus={json.dumps(m.corpus)}),")
    lines.append("}")
    names = "".join(f"{json.dumps(r)}, " for r in sorted(no_findings)).rstrip()
    lines += ["", "# Rules that reported nothing over the corpora at COMMIT: nothing to judge.",
              f"NO_FINDINGS: tuple[str, ...] = ({names})"]
    return "\n".join(lines) + "\n"


def write_measured(tsvs: list[Path], commit: str | None, module: Path = MEASURED_MODULE,
                   no_findings: tuple[str, ...] = (), root: Path = ROOT) -> str:
    """Record judged TSVs (inside the repository, committed) as goleaklint's measured
    precision, a later file superseding an earlier one for the rules it has; returns what it
    wrote. ``commit`` names the commit sampled when there is one file whose name does not."""
    if commit and len(tsvs) != 1:
        raise UsageError("--commit names the commit of one verdict file; with several, each "
                         "file's name records its own (NAME-<commit>-seed<N>.tsv)")
    files: list[tuple[str, list[dict[str, str]]]] = []
    commits: dict[str, str] = {}
    for tsv in tsvs:
        try:
            source = tsv.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UsageError(f"{tsv}: --write records a verdict file of the repository "
                             f"(under {root}), so that a test can recompute it") from None
        found = commit or sample_commit(tsv)
        if not found:
            raise UsageError(f"{tsv}: the name records no commit (NAME-<commit>-seed<N>.tsv): "
                             "give --commit")
        commits[source] = found
        files.append((source, read_tsv(tsv)))
    measured: dict[str, Measured] = {}
    for rule, (source, rows) in sorted(latest_rows(files).items()):
        measured[rule] = measurements(rows, commits[source])[rule]
    sampled = set(measured) & set(no_findings)
    if sampled:
        raise UsageError(f"--no-findings {', '.join(sorted(sampled))}: the TSV has rows of them")
    sources = tuple(source for source, _ in files)
    text = render_measured(sources, commits[sources[-1]], measured, no_findings)
    module.write_text(text, encoding="utf-8")
    return text


def regenerate_docs() -> int:
    """rules/*.md and the README table, which show the measured precision."""
    return subprocess.call([sys.executable, str(DOCS_SCRIPT)], cwd=ROOT)


# command line ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="run.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("install", help="apt-get install the pinned packages")
    p.add_argument("--dry-run", action="store_true")
    p = sub.add_parser("scan", help="goleaklint over both corpora")
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_SCAN)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--goroot-src", default=None)
    p.add_argument("--gocode", default=GOCODE)
    p = sub.add_parser("table", help="the per-rule counts of a scan, as Markdown")
    p.add_argument("scan", type=Path)
    p = sub.add_parser("sample", help="a seeded sample per rule, as a TSV to judge")
    p.add_argument("scan", type=Path)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--per-rule", type=int, default=15)
    p.add_argument("--default-shapes", action="store_true",
                   help="leave out the findings of opt-in shapes (of default rules)")
    p.add_argument("-o", "--output", type=Path)
    p = sub.add_parser("compare", help="judged findings of an earlier scan: kept or gone now")
    p.add_argument("tsv", type=Path)
    p.add_argument("scan", type=Path)
    p = sub.add_parser("score", help="per-rule precision of judged TSVs (a later file's rows "
                       "supersede an earlier one's for the rules it has)")
    p.add_argument("tsv", type=Path, nargs="+")
    p.add_argument("--write", action="store_true",
                   help="record it as goleaklint's measured precision "
                   "(src/goleaklint/measured_precision.py) and regenerate the rule documents")
    p.add_argument("--no-findings", default="",
                   help="rules that reported nothing over the corpora (comma-separated)")
    p.add_argument("--commit", help="the commit whose findings were sampled (default: from "
                   "the file name, NAME-<commit>-seed<N>.tsv)")
    args = ap.parse_args(argv)
    try:
        if args.command == "install":
            return install(args.dry_run)
        if args.command == "scan":
            result = scan(args.output, args.jobs, args.goroot_src or goroot_src(), args.gocode)
            for name, c in result["corpora"].items():
                print(f"{name}: {c['findings']} findings, {c.get('handwritten_lines', 0):,} "
                      f"hand-written lines", file=sys.stderr)
            print(f"wrote {args.output}", file=sys.stderr)
        elif args.command == "compare":
            rows = read_tsv(args.tsv)
            sys.stdout.write(compare_table(compare(rows, load_json(args.scan)["findings"])))
        elif args.command == "table":
            sys.stdout.write(counts_table(load_json(args.scan)))
        elif args.command == "sample":
            n = write_sample(args.scan, args.seed, args.per_rule, args.output,
                             args.default_shapes)
            print(f"{n} findings sampled", file=sys.stderr)
        else:
            files = [(str(tsv), read_tsv(tsv)) for tsv in args.tsv]
            sys.stdout.write(score_table(tally(
                r for _, rows in latest_rows(files).values() for r in rows)))
            if args.write:
                write_measured(args.tsv, args.commit, no_findings=tuple(
                    r for r in args.no_findings.split(",") if r))
                print(f"wrote {MEASURED_MODULE.relative_to(ROOT)}", file=sys.stderr)
                return regenerate_docs()
    except UsageError as exc:
        print(f"run.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
