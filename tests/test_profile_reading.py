"""--profile, reading: pprof profiles (gzip or not) and goroutine dumps, and their frames mapped
to the analysed files.

The profiles under fixtures/profiles/leakysvc/testdata are real: scripts/make_profiles.py builds
and runs the leaking program beside them (Go toolchain) after a fixed amount of work: 2,000
payloads of 1,000 bytes kept in a global map (GL101), 1,000 goroutines stranded on a send
(GL301), 500 tickers never stopped (GL203), and 300 entries of 16 KiB kept by a Journal that no
rule can see grow (the unexplained hot site).
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from goleaklint.profiles.mapping import GoFile, Mapper, Tally
from goleaklint.profiles.model import GOROUTINE, HEAP, Frame, Profile, ProfileError
from goleaklint.profiles.reader import load

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "fixtures" / "profiles" / "leakysvc"
DATA = PROGRAM / "testdata"
SERVICE = PROGRAM / "service" / "service.go"
MODULE = "example.com/fixtures/profiles/leakysvc"
REMEMBER, SEND, TICKER, JOURNAL = 16, 34, 47, 64  # lines of service.go
PAYLOADS, STRANDED, TICKERS, ENTRIES = 2000, 1000, 500, 300  # leakysvc's fixed work


def at(profile: Profile, function: str, line: int) -> tuple[int, int, int]:
    """(bytes, objects, goroutines) of the samples with a frame of ``function`` at ``line``."""
    found = [s for s in profile.samples
             if any(f.function == function and f.line == line for f in s.frames)]
    return (sum(s.bytes for s in found), sum(s.objects for s in found),
            sum(s.goroutines for s in found))


# --- reading ------------------------------------------------------------------------------------


def test_a_gzipped_heap_profile_gives_live_bytes_and_objects_per_stack() -> None:
    heap = load(DATA / "heap.pb.gz")
    assert (heap.kind, heap.measure, heap.format) == (HEAP, "live", "profile")
    size, objects, _ = at(heap, f"{MODULE}/service.(*Journal).Add", JOURNAL)
    assert ENTRIES <= objects <= ENTRIES + 3  # the copies, and the slice of them (grown by
    assert size >= ENTRIES * 16 << 10  # append: a grown-out array may not be swept yet)
    size, objects, _ = at(heap, f"{MODULE}/service.Remember", REMEMBER)
    assert size >= PAYLOADS * 1024  # 1,000 bytes each, in the 1,024-byte size class
    assert PAYLOADS <= objects <= PAYLOADS + 10  # and the map's bucket arrays


@pytest.mark.parametrize("name", ["goroutine.pb.gz", "goroutine.pb"])
def test_a_goroutine_profile_gzipped_or_not_counts_the_stranded_goroutines(name: str) -> None:
    profile = load(DATA / name)
    assert profile.kind == GOROUTINE
    assert at(profile, f"{MODULE}/service.Fetch.func1", SEND)[2] == STRANDED


def test_a_debug1_dump_keeps_the_count_of_each_stack() -> None:
    profile = load(DATA / "goroutine-debug1.txt")
    assert (profile.kind, profile.format) == (GOROUTINE, "goroutine dump")
    assert at(profile, f"{MODULE}/service.Fetch.func1", SEND)[2] == STRANDED


@pytest.mark.parametrize("name", ["goroutine-debug2.txt.gz", "panic.txt.gz"])
def test_a_debug2_or_panic_dump_keeps_each_goroutine_with_its_wait_reason(name: str) -> None:
    profile = load(DATA / name)
    stranded = [s for s in profile.samples
                if any(f.line == SEND and f.function.endswith("service.Fetch.func1")
                       for f in s.frames)]
    assert len(stranded) == STRANDED
    assert {s.wait for s in stranded} == {"chan send"}
    created = stranded[0].frames[-1]  # "created by": where the goroutine was started
    assert (created.function, created.line) == (f"{MODULE}/service.Fetch", SEND - 1)


def test_wait_times_are_kept_in_minutes() -> None:
    """The runtime prints a wait time from one minute on; leakysvc runs for less, so its dump
    gets one here, as the runtime writes it."""
    text = gzip.decompress((DATA / "goroutine-debug2.txt.gz").read_bytes()).decode()
    text = text.replace("[chan send]:", "[chan send, 185 minutes]:", 3)
    text = text.replace("[chan send]:", "[chan send, 1 minutes, locked to thread]:", 1)
    dump = DATA.parent / "dump.txt"
    try:
        dump.write_text(text)
        samples = load(dump).samples
    finally:
        dump.unlink()
    assert sorted(s.wait_minutes for s in samples if s.wait_minutes) == [1, 185, 185, 185]
    assert {s.wait for s in samples if s.wait_minutes} == {"chan send"}


def test_google_protobuf_is_imported_only_with_profile() -> None:
    code = ("import sys, goleaklint.cli as c; c.main(['--exit-zero', sys.argv[1]]); "
            "print('google.protobuf' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(SERVICE)], capture_output=True,
                         text=True, check=True).stdout
    assert out.splitlines()[-1] == "False"
    heap = str(DATA / "heap.pb.gz")
    code = code.replace("'--exit-zero',", f"'--exit-zero', '--profile', {heap!r},")
    out = subprocess.run([sys.executable, "-c", code, str(SERVICE)], capture_output=True,
                         text=True, check=True).stdout
    assert out.splitlines()[-1] == "True"


@pytest.mark.parametrize(("content", "why"), [
    (lambda heap: heap[: len(heap) // 2], "truncated gzip data"),
    (lambda heap: b"package main\n\nfunc main() {}\n", "not a pprof profile nor a goroutine dump"),
    (lambda heap: gzip.decompress(heap)[:-7], "not a pprof profile"),
    (lambda heap: b"", "empty file"),
])
def test_a_bad_profile_is_a_profile_error(tmp_path: Path, content, why: str) -> None:
    path = tmp_path / "bad.prof"
    path.write_bytes(content((DATA / "heap.pb.gz").read_bytes()))
    with pytest.raises(ProfileError, match=why):
        load(path)


# --- mapping frames to the analysed files -------------------------------------------------------


def _files(tmp_path: Path) -> list[GoFile]:
    module = tmp_path / "repo"
    return [
        GoFile(module / "a" / "util" / "x.go", "util", "example.com/m", module),
        GoFile(module / "b" / "util" / "x.go", "util", "example.com/m", module),
        GoFile(module / "cmd" / "main.go", "main", "example.com/m", module),
        GoFile(module / "svc" / "main.go", "svc", "example.com/m", module),
    ]


@pytest.mark.parametrize(("file", "function", "expected"), [
    ("/home/ci/src/repo/a/util/x.go", "example.com/m/a/util.F", 0),  # build-machine path
    ("/go/pkg/mod/example.com/m@v1.2.0/b/util/x.go", "example.com/m/b/util.F", 1),
    ("example.com/m/b/util/x.go", "example.com/m/b/util.(*T).M", 1),  # -trimpath
    ("/build/cmd/main.go", "main.main", 2),
    ("/build/svc/main.go", "example.com/m/svc.Run.func1", 3),
    ("/build/svc/main.go", "example.com/m/svc.Map[go.shape.*example.com/x.T]", 3),  # generic
])
def test_a_frame_maps_to_the_file_with_the_longest_common_path_suffix(
        tmp_path: Path, file: str, function: str, expected: int) -> None:
    files = _files(tmp_path)
    tally = Tally()
    assert Mapper(files).map(Frame(function, file, 3), tally) == files[expected]
    assert tally.matched == {(file, 3)}


def test_an_ambiguous_frame_is_counted_never_guessed(tmp_path: Path) -> None:
    tally = Tally()
    assert Mapper(_files(tmp_path)).map(Frame("util.F", "/elsewhere/util/x.go", 3), tally) is None
    assert tally.ambiguous == {("/elsewhere/util/x.go", 3)}


def test_the_function_must_belong_to_the_files_package(tmp_path: Path) -> None:
    """Another program's main.go (package main) is not svc/main.go (package svc)."""
    files = [_files(tmp_path)[3]]
    tally = Tally()
    assert Mapper(files).map(Frame("main.main", "/other/svc/main.go", 9), tally) is None
    assert tally.unmatched == {("/other/svc/main.go", 9)}


