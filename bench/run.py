"""Benchmark goleaklint against its floor and against semgrep, over one tree of Go code.

    python bench/run.py [TREE] [--jobs N] [--runs K]

TREE defaults to the Go standard library (/usr/lib/go-1.19/src on Debian); --jobs to the cores
this process may use; --runs to 3. Timed, K times each and interleaved (so that a noisy machine
slows them alike), the median reported:

  goleaklint   the full catalog: goleaklint --jobs N --exit-zero TREE
  floor        tree-sitter parse-only of the same files, N processes (bench/floor.py)
  semgrep      semgrep -j N with bench/semgrep-leaks.yaml (ten rules approximating goleaklint's);
               from --semgrep, $SEMGREP, /tmp/semgrep-venv/bin/semgrep or PATH; --no-semgrep
  one file     goleaklint FILE for one file of a package of about 20 files (pre-commit's case),
               interpreter start-up included, and what `python -X importtime` says it imports

Wall time, CPU time (user + system, children included: os.wait4 reports a finished process's
own and its waited-for children's) and peak memory: the largest single process (ru_maxrss) and
the sum over the process tree of each process's proportional set size (shared pages counted
once), sampled every 50 ms from /proc (Linux). The ratios are what to
compare across machines. Nothing beyond the standard library is needed; semgrep is optional.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_TREE = "/usr/lib/go-1.19/src"
SEMGREP_RULES = BENCH / "semgrep-leaks.yaml"
SEMGREP_OUTPUT = Path(os.environ.get("TMPDIR", "/tmp")) / "goleaklint-bench-semgrep.json"
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# Modules a one-file run has no use for (report writers it was not asked for, process pools).
UNNEEDED = ("sarif_om", "jschema_to_python", "concurrent.futures.process", "multiprocessing",
            "importlib.metadata")


@dataclass
class Sample:
    wall: float
    cpu: float
    max_rss: int  # bytes, the largest single process
    tree_pss: int  # bytes, the largest sampled sum of PSS over the process tree
    code: int


@dataclass
class Measure:
    name: str
    command: list[str]
    samples: list[Sample] = field(default_factory=list)
    note: str = ""

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)


# Running and measuring ---------------------------------------------------------------------------

def _children(pid_parents: dict[int, int], root: int) -> list[int]:
    found, queue = [root], [root]
    while queue:
        parent = queue.pop()
        for pid, ppid in pid_parents.items():
            if ppid == parent:
                found.append(pid)
                queue.append(pid)
    return found


def _tree_pss(root: int) -> int:
    """The memory of ``root`` and its descendants now (0 where /proc is missing)."""
    parents: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(entry)] = int(fields[1])
    total = 0
    for pid in _children(parents, root):
        total += _memory_of(pid)
    return total


def _memory_of(pid: int) -> int:
    """A process's proportional set size (its private pages plus its share of pages shared
    with others: forked workers share the parent's), else its resident set size."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def run_once(command: list[str], env: dict[str, str] | None = None) -> Sample:
    """Run ``command`` (output discarded) and measure it."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _tree_pss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert proc.stderr is not None
    stderr = proc.stderr.read()  # drained while it runs: a full pipe would block it
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        print(f"  ! exit {proc.returncode}: {' '.join(command)}\n    " + "\n    ".join(tail),
              file=sys.stderr)
    # ru_maxrss is in KiB on Linux.
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024,
                  peak, proc.returncode)


# What to run --------------------------------------------------------------------------------------

EVERY_RULE = ("--extend-select", "GL1,GL2,GL3,GL4")  # names every rule: opt-in ones run too


def goleaklint_command(*args: str) -> list[str]:
    # --no-cache: every run analyses (the result cache would answer the second run from the
    # first); bench/cache.py measures the cache.
    return [sys.executable, "-m", "goleaklint", "--no-cache", *args]


def bytecode_env() -> dict[str, str]:
    """The environment, with Python allowed to cache bytecode (a one-file run is mostly
    interpreter start-up and imports: compiling every module each time would dominate it)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def find_semgrep(option: str | None) -> str | None:
    for candidate in (option, os.environ.get("SEMGREP"), "/tmp/semgrep-venv/bin/semgrep",
                      shutil.which("semgrep")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def semgrep_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
    return env


def semgrep_command(semgrep: str, tree: str, jobs: int) -> list[str]:
    return [semgrep, "scan", "--config", str(SEMGREP_RULES), "--jobs", str(jobs),
            "--metrics=off", "--disable-version-check", "--quiet", "--json",
            "--output", str(SEMGREP_OUTPUT), tree]


def package_of_about(tree: Path, files: int = 20) -> Path | None:
    """A Go file of a package of about ``files`` files (the closest count; first in order)."""
    best: tuple[int, str] | None = None
    for directory, dirnames, filenames in os.walk(tree):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ("testdata", "vendor") and not d.startswith((".", "_")))
        go = sorted(f for f in filenames if f.endswith(".go"))
        if not go:
            continue
        score = abs(len(go) - files)
        if best is None or score < best[0]:
            plain = [f for f in go if not f.endswith("_test.go")] or go
            best = (score, os.path.join(directory, plain[0]))
    return Path(best[1]) if best else None


def import_profile(path: Path) -> tuple[float, list[tuple[int, str]], set[str]]:
    """``python -X importtime -m goleaklint path``: total import time (s), the slowest
    top-level imports (cumulative µs, module) and every module imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "goleaklint",
                           "--exit-zero", str(path)],
                          capture_output=True, text=True, check=False, env=bytecode_env())
    total = 0
    top: list[tuple[int, str]] = []
    modules: set[str] = set()
    line = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
    for text in proc.stderr.splitlines():
        m = line.match(text)
        if not m:
            continue
        own, cumulative, indent, module = int(m[1]), int(m[2]), len(m[3]), m[4]
        total += own
        modules.add(module)
        if indent <= 1:
            top.append((cumulative, module))
    top.sort(reverse=True)
    return total / 1e6, top[:8], modules


def semgrep_scanned() -> str:
    """How many files semgrep's last run scanned, and its errors, from its JSON report."""
    try:
        report = json.loads(SEMGREP_OUTPUT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no report"
    scanned = report.get("paths", {}).get("scanned", [])
    return (f"scanned {len(scanned)} files ({sum(p.endswith('_test.go') for p in scanned)} "
            f"tests), {len(report.get('results', []))} findings, "
            f"{len(report.get('errors', []))} errors")


# Reporting ----------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for text in fh:
                if text.startswith("model name"):
                    model = text.split(":", 1)[1].strip()
                    break
    except OSError:
        model = platform.processor()

    def ver(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "not installed"

    try:
        load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "?"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": f"{os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})",
        "cpu": model,
        "load average at start": load,
        "python": platform.python_version(),
        "goleaklint": ver("goleaklint"),
        "tree-sitter": ver("tree-sitter"),
        "tree-sitter-go": ver("tree-sitter-go"),
    }


def mb(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


def print_table(measures: list[Measure]) -> None:
    print(f"\n{'':<12} {'wall (s)':>9} {'CPU (s)':>9} {'max RSS':>9} {'tree PSS':>9}   runs")
    for m in measures:
        if not m.samples:
            print(f"{m.name:<12} {'-':>9} {'-':>9} {'-':>9} {'-':>9}   {m.note}")
            continue
        walls = ", ".join(f"{s.wall:.1f}" for s in m.samples)
        print(f"{m.name:<12} {m.median('wall'):>9.2f} {m.median('cpu'):>9.2f} "
              f"{mb(m.median('max_rss')):>9} {mb(m.median('tree_pss')):>9}   wall: {walls}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", default=DEFAULT_TREE, metavar="TREE")
    parser.add_argument("--jobs", "-j", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--runs", "-k", type=int, default=3)
    parser.add_argument("--semgrep", metavar="PATH", help="the semgrep executable")
    parser.add_argument("--no-semgrep", action="store_true", help="skip the semgrep runs")
    parser.add_argument("--one-file", metavar="FILE",
                        help="the file for the pre-commit timing (default: one of a package of "
                             "about 20 files in TREE)")
    parser.add_argument("--one-file-runs", type=int, default=10)
    parser.add_argument("--every-rule", action="store_true",
                        help="run every rule, opt-in ones and opt-in shapes included (an audit)")
    args = parser.parse_args(argv)
    if not Path(args.tree).is_dir():
        parser.error(f"{args.tree}: not a directory")
    # Resolved: semgrep refuses a scanning root that is a symbolic link (Debian's
    # /usr/lib/go-1.19/src is one), and all three tools should see the same paths.
    tree = Path(os.path.realpath(args.tree))

    for key, value in machine().items():
        print(f"{key + ':':<24}{value}")
    print(f"{'tree:':<24}{tree}")
    print(f"{'jobs:':<24}{args.jobs}")

    jobs = str(args.jobs)
    measures = [
        Measure("goleaklint", goleaklint_command(
            "--jobs", jobs, "--exit-zero", *(EVERY_RULE if args.every_rule else ()), str(tree))),
        Measure("floor", [sys.executable, str(BENCH / "floor.py"), "--jobs", jobs, str(tree)]),
    ]
    semgrep = None if args.no_semgrep else find_semgrep(args.semgrep)
    semgrep_measure = Measure("semgrep", [])
    if semgrep is not None:
        semgrep_measure.command = semgrep_command(semgrep, str(tree), args.jobs)
        version_out = subprocess.run([semgrep, "--version"], capture_output=True, text=True,
                                     env=semgrep_env(), check=False)
        print(f"{'semgrep:':<24}{version_out.stdout.strip()} ({semgrep})")
    else:
        semgrep_measure.note = ("skipped (--no-semgrep)" if args.no_semgrep else
                                "not found: pip install semgrep in a separate venv, "
                                "then --semgrep PATH")
        print(f"{'semgrep:':<24}{semgrep_measure.note}")
    measures.append(semgrep_measure)
    print()
    for m in measures:
        if m.command:
            print(f"{m.name}: {' '.join(m.command)}")

    for run in range(args.runs):
        for m in measures:
            if not m.command:
                continue
            env = semgrep_env() if m is semgrep_measure else None
            s = run_once(m.command, env)
            m.samples.append(s)
            print(f"  run {run + 1}/{args.runs} {m.name:<11} wall {s.wall:7.2f} s  "
                  f"CPU {s.cpu:7.2f} s  max RSS {mb(s.max_rss):>7}  "
                  f"tree PSS {mb(s.tree_pss):>7}", flush=True)

    one = Path(args.one_file) if args.one_file else package_of_about(tree)
    precommit = Measure("one file", [])
    if one is not None:
        script = Path(sys.executable).with_name("goleaklint")
        precommit.command = ([str(script)] if script.exists() else goleaklint_command())
        precommit.command += ["--no-cache", "--exit-zero", str(one)]
        siblings = len(list(one.parent.glob("*.go")))
        print(f"\none file: {' '.join(precommit.command)}  ({siblings} files in its package)")
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            print("  (PYTHONDONTWRITEBYTECODE is set here: unset for these runs, as an installed "
                  "goleaklint has its bytecode compiled)")
        run_once(precommit.command, bytecode_env())  # warm-up: bytecode caches, page cache
        for _ in range(args.one_file_runs):
            precommit.samples.append(run_once(precommit.command, bytecode_env()))

    if semgrep_measure.samples:
        semgrep_measure.note = semgrep_scanned()
        print(f"\nsemgrep: {semgrep_measure.note}")
    print_table([*measures, precommit])
    g, floor, sg = measures[0], measures[1], semgrep_measure
    print("\nratios")
    if g.samples and floor.samples:
        print(f"  goleaklint / floor     wall {g.median('wall') / floor.median('wall'):5.2f}x   "
              f"CPU {g.median('cpu') / floor.median('cpu'):5.2f}x   (target <= 2.5x wall)")
    if g.samples and sg.samples:
        print(f"  semgrep / goleaklint   wall {sg.median('wall') / g.median('wall'):5.2f}x   "
              f"CPU {sg.median('cpu') / g.median('cpu'):5.2f}x   (target >= 3x)")
    if g.samples:
        print(f"  goleaklint peak memory {mb(g.median('tree_pss'))} (process tree, sampled), "
              f"{mb(g.median('max_rss'))} (largest process)   (target <= 300 MB)")
    if precommit.samples:
        print(f"  one file               wall {precommit.median('wall'):.3f} s   "
              "(target <= 0.3 s)")
        total, top, modules = import_profile(one)
        unneeded = [m for m in UNNEEDED if m in modules]
        print(f"\nimports of the one-file run (python -X importtime): {total:.3f} s of "
              f"imports, {len(modules)} modules")
        for cumulative, module in top:
            print(f"  {cumulative / 1e3:8.1f} ms  {module}")
        print("  not needed, yet imported: " + (", ".join(unneeded) if unneeded else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
