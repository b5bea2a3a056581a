"""The cost of ``--profile``: goleaklint over a Go package with and without a large profile.

    python bench/profile_cost.py [--package go/types] [--profile FILE] [--runs 3]

Without ``--profile FILE``, the profile is made: ``go test -run Test -memprofile …
-memprofilerate=1 PACKAGE`` (every allocation of the package's own tests sampled: tens of MB for
go/types). Prints the profile's size and samples, then the best wall time and peak RSS of
``goleaklint --jobs 1 --exit-zero DIR`` with and without ``--profile`` (DIR: the package's
folder in ``go env GOROOT``), and of reading the profile alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_MEASURE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
            "stderr=subprocess.DEVNULL); "
            "print(time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _run(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of ``cmd``, measured by a process of its own (the peak of
    a process's children is the largest of all of them)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="go/types")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True,
                            check=True).stdout.strip()
    folder = Path(goroot) / "src" / args.package
    with tempfile.TemporaryDirectory() as tmp:
        profile = args.profile
        if profile is None:
            profile = Path(tmp) / "mem.pb.gz"
            start = time.perf_counter()
            subprocess.run(["go", "test", "-run", "Test", "-timeout", "60m", "-memprofile",
                            str(profile), "-memprofilerate=1", args.package], cwd=tmp,
                           check=True, stdout=subprocess.DEVNULL)
            print(f"made {profile.name} with go test in {time.perf_counter() - start:.0f} s")
        code = ("import sys, time; from pathlib import Path; "
                "from goleaklint.profiles.reader import load; t = time.perf_counter(); "
                "p = load(Path(sys.argv[1])); "
                "print(len(p.samples), p.kind, p.measure, round(time.perf_counter() - t, 2))")
        out = subprocess.run([sys.executable, "-c", code, str(profile)], capture_output=True,
                             text=True, check=True).stdout.split()
        print(f"profile: {profile.stat().st_size / 1e6:.1f} MB gzipped, {int(out[0]):,} samples "
              f"({out[1]}, {out[2]}); read in {out[3]} s")
        base = [sys.executable, "-m", "goleaklint", "--jobs", "1", "--exit-zero", str(folder)]
        for label, cmd in (("without --profile", base),
                           ("with --profile", [*base, "--profile", str(profile)])):
            best = min(_run(cmd) for _ in range(args.runs))
            print(f"{label:18} {best[0]:6.2f} s  peak RSS {best[1]} MB (best of {args.runs})")


if __name__ == "__main__":
    main()
