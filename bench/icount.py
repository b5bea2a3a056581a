"""Instructions executed by a serial goleaklint run over a fixed sample of a tree (cachegrind).

Timed runs on a shared machine move by 5% from one run to the next; a change worth 1% cannot
be seen that way. The count of instructions of the same run is deterministic (hash seed fixed,
bytecode compiled beforehand) to about 0.05%, so two versions of the code compare exactly:

    python bench/icount.py TREE [--every 9] [--src PATH] [--floor] [--every-rule]

The sample is every ``--every``-th leaf folder of TREE (folders with Go files and no
subfolder with any, ``testdata`` left out), sorted by path. ``--src`` runs the goleaklint
sources at PATH (a frozen copy of another commit) instead of the installed one; ``--floor``
counts the parse-only floor of the same sample instead (``bench/floor.py``'s work, serial);
``--every-rule`` names every rule (the default rules run otherwise).
Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def leaf_folders(tree: Path) -> list[Path]:
    """Folders under ``tree`` holding Go files and no subfolder that holds any."""
    with_go: set[Path] = set()
    for folder, subfolders, files in os.walk(tree):
        subfolders[:] = sorted(d for d in subfolders if d != "testdata")
        if any(name.endswith(".go") for name in files):
            with_go.add(Path(folder))
    parents = {p for folder in with_go for p in folder.parents}
    return sorted(folder for folder in with_go if folder not in parents)


def count(command: list[str], env: dict[str, str]) -> int:
    """Instructions executed by ``command`` under cachegrind (no cache simulation)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cachegrind.out"
        subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                        f"--cachegrind-out-file={out}", *command],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        summary = re.search(r"^summary:\s+(\d+)", out.read_text(), re.M)
    if summary is None:
        raise SystemExit("icount: cachegrind wrote no summary")
    return int(summary.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--every", type=int, default=9, help="take every N-th leaf folder")
    parser.add_argument("--src", type=Path, help="goleaklint sources to run (default: installed)")
    parser.add_argument("--floor", action="store_true", help="count the parse-only floor")
    parser.add_argument("--every-rule", action="store_true",
                        help="run every rule, opt-in ones and opt-in shapes included (an audit)")
    args = parser.parse_args(argv)
    sample = leaf_folders(args.tree)[:: max(1, args.every)]
    if not sample:
        raise SystemExit(f"icount: no Go folders under {args.tree}")
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.src is not None:
        env["PYTHONPATH"] = str(args.src)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.src)], env=env,
                       stdout=subprocess.DEVNULL, check=True)
    folders = [str(f) for f in sample]
    if args.floor:
        command = [sys.executable, str(BENCH / "floor.py"), "--jobs", "1", *folders]
    else:
        command = [sys.executable, "-m", "goleaklint", "--no-cache", "--jobs", "1", "--exit-zero",
                   *(("--extend-select", "GL1,GL2,GL3,GL4") if args.every_rule else ()),
                   *folders]
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    instructions = count(command, env)  # the run above compiled what it imports
    what = "floor" if args.floor else "goleaklint"
    print(f"{what}: {instructions / 1e9:.3f} G instructions over {len(sample)} folders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
