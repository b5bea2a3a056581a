"""The parse-only floor: tree-sitter parses every file goleaklint would analyse, nothing more.

Files are found by goleaklint's own discovery (the same skips, the same packages, context files
included) and parsed in ``--jobs`` processes with packages as the unit of work, biggest first,
each worker reading its own files: the scheduling of ``goleaklint --jobs N``, minus the analysis.

    python bench/floor.py [--jobs N] TREE [TREE...]
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import tree_sitter_go
from tree_sitter import Language, Parser

from goleaklint.discover import discover

_PARSER: Parser | None = None


def parse_package(paths: list[str]) -> tuple[int, int]:
    """Parse the files of one package; (files, bytes) parsed."""
    global _PARSER
    if _PARSER is None:
        _PARSER = Parser(Language(tree_sitter_go.language()))
    files = size = 0
    for path in paths:
        try:
            source = Path(path).read_bytes()
        except OSError:
            continue
        _PARSER.parse(source)
        files += 1
        size += len(source)
    return files, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", metavar="TREE", nargs="+")
    parser.add_argument("--jobs", "-j", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args(argv)
    found = discover(args.trees)
    packages = sorted(found.packages,
                      key=lambda p: (-sum(f.size for f in p.files), p.key))
    work = [[str(f.path) for f in p.files] for p in packages]
    if args.jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=min(args.jobs, len(work))) as pool:
            parts = list(pool.map(parse_package, work, chunksize=1))
    else:
        parts = [parse_package(paths) for paths in work]
    files = sum(n for n, _ in parts)
    size = sum(b for _, b in parts)
    print(f"floor: parsed {files} files, {size / 1e6:.1f} MB, in {len(work)} packages",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
