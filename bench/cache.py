"""Benchmark the result cache over one tree of Go code (issue 18, item 1).

    python bench/cache.py [TREE] [--jobs N] [--runs K] [--edit REL]

TREE (default: Go's standard library, /usr/lib/go-1.19/src) is copied to a temporary folder,
so that files can be touched and edited there; every run's current directory is the copy, and
the cache folder is a fresh one (GOLEAKLINT_CACHE_DIR). Timed (wall, the console script with
the interpreter's start-up and bytecode caching on), K times each, medians reported:

  uncached     goleaklint --no-cache --jobs N --exit-zero .
  first        the first cached run: an empty cache, every package analysed and stored
  second       the same command again: every package from the cache (target: <= 0.5 s)
  touched      after touching REL (a new mtime, the same bytes: hashed again, still a hit)
  edited       after appending a comment to REL: its package analysed again, the rest cached
  its package  goleaklint --no-cache --jobs 1 REL: REL's package alone (its siblings read
               too), what "edited" should cost on top of "second"

The output of the second, touched and edited runs is compared byte for byte with an uncached
run of the same tree (stdout and stderr). Nothing beyond the standard library is needed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_TREE = "/usr/lib/go-1.19/src"
DEFAULT_EDIT = "net/http/server.go"


def goleaklint() -> list[str]:
    """The console script beside this interpreter, else ``python -m goleaklint``."""
    script = Path(sys.executable).with_name("goleaklint")
    return [str(script)] if script.exists() else [sys.executable, "-m", "goleaklint"]


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes, bytes]:
    start = time.perf_counter()
    proc = subprocess.run([*goleaklint(), *argv], cwd=cwd, env=env, capture_output=True,
                          check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"goleaklint failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return wall, proc.stdout, proc.stderr


def median_of(runs: int, argv: list[str], cwd: Path, env: dict[str, str],
              before: object = None) -> tuple[float, bytes, bytes]:
    """The median wall time of ``runs`` runs (``before``: called before each), and the output
    of the last."""
    times = []
    for _ in range(runs):
        if callable(before):
            before()
        wall, out, err = run(argv, cwd, env)
        times.append(wall)
    return statistics.median(times), out, err


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", default=DEFAULT_TREE)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--edit", default=DEFAULT_EDIT, help="the file to touch, then edit "
                        "(relative to TREE)")
    options = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="goleaklint-bench-cache-"))
    try:
        tree, cache = scratch / "tree", scratch / "cache"
        shutil.copytree(Path(options.tree).resolve(), tree, symlinks=True)
        target = tree / options.edit
        env = {k: v for k, v in os.environ.items()
               if k not in ("GOLEAKLINT_NO_CACHE", "PYTHONDONTWRITEBYTECODE")}
        env["GOLEAKLINT_CACHE_DIR"] = str(cache)
        argv = ["--jobs", str(options.jobs), "--exit-zero", "."]
        run(["--no-cache", *argv], tree, env)  # (a warm-up: bytecode, the page cache)

        uncached, fresh_out, fresh_err = median_of(options.runs, ["--no-cache", *argv], tree, env)
        first, out, err = run(argv, tree, env)
        same_first = (out, err) == (fresh_out, fresh_err)
        second, out, err = median_of(options.runs, argv, tree, env)
        same_second = (out, err) == (fresh_out, fresh_err)
        entries = list((cache / "v1").glob("*.json"))
        size = sum(p.stat().st_size for p in entries)

        touched, out, err = median_of(options.runs, argv, tree, env,
                                      before=lambda: os.utime(target))
        same_touched = (out, err) == (fresh_out, fresh_err)

        counter = [0]

        def edit() -> None:
            counter[0] += 1
            with open(target, "a", encoding="utf-8") as fh:
                fh.write(f"\n// edited {counter[0]}\n")

        edited, out, err = median_of(options.runs, argv, tree, env, before=edit)
        _, edited_out, edited_err = run(["--no-cache", *argv], tree, env)
        same_edited = (out, err) == (edited_out, edited_err)
        package, _, _ = median_of(options.runs, ["--no-cache", "--jobs", "1", "--exit-zero",
                                                 options.edit], tree, env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def yes(same: bool) -> str:
        return "byte-identical" if same else "DIFFERENT"

    print(f"tree: {options.tree} (copied), --jobs {options.jobs}, {options.runs} runs each, "
          f"medians; cache: {len(entries)} entries, {size / 1e6:.1f} MB")
    print("| run | wall (s) | output against an uncached run |")
    print("|---|---:|---|")
    print(f"| uncached (`--no-cache`) | {uncached:.2f} | |")
    print(f"| first (empty cache: analyse and store) | {first:.2f} | {yes(same_first)} |")
    print(f"| second (unchanged tree) | **{second:.2f}** | {yes(same_second)} |")
    print(f"| after touching {options.edit} | {touched:.2f} | {yes(same_touched)} |")
    print(f"| after editing {options.edit} | {edited:.2f} | {yes(same_edited)} |")
    print(f"| its package alone, uncached, `--jobs 1` | {package:.2f} | |")
    if not (same_first and same_second and same_touched and same_edited):
        sys.exit("a cached run's output differs from an uncached run's")


if __name__ == "__main__":
    main()
