"""Peak memory of goleaklint on one big hand-written Go file, against a bare tree-sitter parse.

    python bench/bigfile.py [--mb 30] [--kind funcs|table|both] [--keep DIR]
    python bench/bigfile.py --write funcs|table --mb 30 OUT.go     (the file only)

Two files of ``--mb`` megabytes are generated (deterministically): ``funcs``, ordinary varied
functions (loops, ifs, calls, maps, goroutines, ``os.Open`` with ``defer Close``, a leak here
and there), and ``table``, one ``var table = []byte{0x01, …}``.  For each, peak RSS
(``ru_maxrss`` of the child, what ``/usr/bin/time -v`` calls maximum resident set size) of
``goleaklint --jobs 1 --exit-zero FILE`` and of a bare parse of the file by tree-sitter (the
floor: the tree itself costs memory) are printed, with the wall time of each.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HEADER = """package big

import (
\t"fmt"
\t"os"
\t"strings"
\t"sync"
\t"time"
)

type item struct {
\tname  string
\tcount int
\tdata  []byte
}

var registry = map[string]*item{}
var mu sync.Mutex

"""

# Templates of functions; {n} is the function's number, {k} a small constant.
_TEMPLATES = [
    """func sum{n}(xs []int) int {{
\ttotal := 0
\tfor i, x := range xs {{
\t\tif i%{k} == 0 {{
\t\t\tcontinue
\t\t}}
\t\ttotal += x * {k}
\t}}
\treturn total
}}

""",
    """func readConfig{n}(path string) (string, error) {{
\tf, err := os.Open(path)
\tif err != nil {{
\t\treturn "", fmt.Errorf("open %s: %w", path, err)
\t}}
\tdefer f.Close()
\tbuf := make([]byte, {k}*64)
\tn, err := f.Read(buf)
\tif err != nil {{
\t\treturn "", err
\t}}
\treturn strings.TrimSpace(string(buf[:n])), nil
}}

""",
    """func worker{n}(jobs <-chan int, results chan<- int, wg *sync.WaitGroup) {{
\tdefer wg.Done()
\tfor j := range jobs {{
\t\tswitch {{
\t\tcase j < {k}:
\t\t\tresults <- j * 2
\t\tcase j > 100:
\t\t\tresults <- j - {k}
\t\tdefault:
\t\t\tresults <- j
\t\t}}
\t}}
}}

""",
    """func startAll{n}(n int) []int {{
\tjobs := make(chan int, n)
\tresults := make(chan int, n)
\tvar wg sync.WaitGroup
\tfor w := 0; w < {k}; w++ {{
\t\twg.Add(1)
\t\tgo worker{w}(jobs, results, &wg)
\t}}
\tfor i := 0; i < n; i++ {{
\t\tjobs <- i
\t}}
\tclose(jobs)
\twg.Wait()
\tclose(results)
\tout := []int{{}}
\tfor r := range results {{
\t\tout = append(out, r)
\t}}
\treturn out
}}

""",
    """func register{n}(name string, data []byte) *item {{
\tmu.Lock()
\tdefer mu.Unlock()
\tif it, ok := registry[name]; ok {{
\t\tit.count++
\t\treturn it
\t}}
\tit := &item{{name: name, count: {k}, data: data[:len(data)/2]}}
\tregistry[name] = it
\treturn it
}}

""",
    """func (it *item) describe{n}(sep string) string {{
\tparts := []string{{it.name}}
\tfor i := 0; i < it.count && i < {k}; i++ {{
\t\tparts = append(parts, fmt.Sprintf("%d:%x", i, it.data))
\t}}
\tif len(parts) > 1 {{
\t\treturn strings.Join(parts, sep)
\t}}
\treturn it.name
}}

""",
    """func poll{n}(done chan struct{{}}) {{
\tfor {{
\t\tselect {{
\t\tcase <-done:
\t\t\treturn
\t\tcase <-time.After({k} * time.Millisecond):
\t\t\tfmt.Println("tick {n}")
\t\t}}
\t}}
}}

""",
    """func firstLine{n}(path string) (string, error) {{
\tf, err := os.Open(path)
\tif err != nil {{
\t\treturn "", err
\t}}
\tbuf := make([]byte, {k})
\tn, err := f.Read(buf)
\tif err != nil {{
\t\treturn "", err
\t}}
\treturn string(buf[:n]), nil
}}

""",
    """func count{n}(words []string) map[string]int {{
\tcounts := make(map[string]int, len(words))
\tfor _, w := range words {{
\t\tw = strings.ToLower(w)
\t\tif len(w) < {k} {{
\t\t\tcounts[w]++
\t\t}} else {{
\t\t\tcounts[w[:{k}]] += 2
\t\t}}
\t}}
\tgo func() {{
\t\tfmt.Println(len(counts))
\t}}()
\treturn counts
}}

""",
]


def functions_file(size: int, seed: int = 1) -> bytes:
    """About ``size`` bytes of ordinary Go functions (gofmt-formatted, valid syntax)."""
    rng = random.Random(seed)
    parts = [_HEADER]
    total = len(_HEADER)
    n = 0
    worker = -1  # the last ``worker{n}`` written, which ``startAll{n}`` starts
    while total < size:
        template = _TEMPLATES[rng.randrange(len(_TEMPLATES))]
        if "{w}" in template and worker < 0:
            continue
        worker = n if template.startswith("func worker") else worker
        text = template.format(n=n, k=rng.randrange(2, 50), w=worker)
        parts.append(text)
        total += len(text)
        n += 1
    return "".join(parts).rstrip("\n").encode() + b"\n"


def table_file(size: int, seed: int = 1) -> bytes:
    """About ``size`` bytes: one ``var table = []byte{0x01, …}``, 16 values a line."""
    rng = random.Random(seed)
    head = b"package big\n\nvar table = []byte{\n"
    row_count = max(1, (size - len(head)) // 97)
    rows = []
    for _ in range(row_count):
        values = ", ".join(f"0x{rng.randrange(256):02x}" for _ in range(16))
        rows.append(f"\t{values},\n".encode())
    return head + b"".join(rows) + b"}\n"


_FLOOR = """
import sys, tree_sitter_go
from tree_sitter import Language, Parser
source = open(sys.argv[1], "rb").read()
tree = Parser(Language(tree_sitter_go.language())).parse(source)
tree.root_node.descendant_count
"""


def measure(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of ``command``, its output discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"bigfile: {command[:3]} exited {code}: {stderr.strip()[-500:]}")
    return wall, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=30.0, help="size of each file, in MB")
    parser.add_argument("--kind", choices=("funcs", "table", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="write the files here (default: a temp dir)")
    parser.add_argument("--write", choices=("funcs", "table"),
                        help="only write one file to OUT")
    parser.add_argument("out", nargs="?", type=Path)
    args = parser.parse_args(argv)
    size = int(args.mb * 1e6)
    makers = {"funcs": functions_file, "table": table_file}
    if args.write:
        if args.out is None:
            parser.error("--write needs OUT")
        args.out.write_bytes(makers[args.write](size))
        return 0
    kinds = ["funcs", "table"] if args.kind == "both" else [args.kind]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print("| file | MB | goleaklint peak RSS | wall | tree-sitter parse peak RSS | wall |")
        print("|---|---:|---:|---:|---:|---:|")
        for kind in kinds:
            path = folder / kind / "big.go"  # a folder each: a file's folder is its package
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(makers[kind](size))
            lint = measure([sys.executable, "-m", "goleaklint", "--jobs", "1", "--exit-zero",
                            str(path)])
            floor = measure([sys.executable, "-c", _FLOOR, str(path)])
            print(f"| {kind} | {path.stat().st_size / 1e6:.1f} | {lint[1] / 1e6:.0f} MB | "
                  f"{lint[0]:.1f} s | {floor[1] / 1e6:.0f} MB | {floor[0]:.1f} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
