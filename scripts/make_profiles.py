#!/usr/bin/env python3
"""Build and run the leaking fixture program (fixtures/profiles/leakysvc) with the Go toolchain,
and write what pprof sees after its fixed amount of work:

    heap.pb.gz             runtime/pprof heap profile (gzip-compressed protobuf)
    allocs.pb.gz           the same samples, allocated bytes first (/debug/pprof/allocs)
    goroutine.pb.gz        goroutine profile (gzip-compressed protobuf)
    goroutine.pb           the same, decompressed (what `go tool pprof -proto` gives uncompressed)
    goroutine-debug1.txt   /debug/pprof/goroutine?debug=1 (a count per stack)
    goroutine-debug2.txt.gz  /debug/pprof/goroutine?debug=2 (one block per goroutine), gzipped
    panic.txt.gz           the program's own crash dump (GOTRACEBACK=all), gzipped

(The two long dumps are kept gzip-compressed: goleaklint detects gzip by content, text or not.)

    python scripts/make_profiles.py [OUTDIR]   # default: fixtures/profiles/leakysvc/testdata

Built with -trimpath, so frames carry module paths (example.com/fixtures/…), not this machine's.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PACKAGE = "./profiles/leakysvc"
DEFAULT_OUT = FIXTURES / "profiles" / "leakysvc" / "testdata"


def make(out: Path, go: str = "go") -> None:
    """Write the profiles into ``out`` (created); CalledProcessError when Go fails."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "leakysvc"
        env = {**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off", "CGO_ENABLED": "0"}
        subprocess.run([go, "build", "-trimpath", "-o", str(binary), PACKAGE],
                       cwd=FIXTURES, env=env, check=True)
        subprocess.run([str(binary), str(out)], check=True)
        crash = subprocess.run([str(binary), tmp], env={**env, "LEAKYSVC_PANIC": "1",
                               "GOTRACEBACK": "all"}, capture_output=True, check=False)
        if crash.returncode != 2 or b"goroutine " not in crash.stderr:
            raise RuntimeError(f"leakysvc did not crash as asked (exit {crash.returncode})")
        (out / "panic.txt.gz").write_bytes(gzip.compress(crash.stderr, mtime=0))
    (out / "goroutine.pb").write_bytes(gzip.decompress((out / "goroutine.pb.gz").read_bytes()))
    dump2 = out / "goroutine-debug2.txt"
    (out / "goroutine-debug2.txt.gz").write_bytes(gzip.compress(dump2.read_bytes(), mtime=0))
    dump2.unlink()


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
