"""Worker processes (issue 16): a worker that dies at any time loses only its own package;
workers end with the run, even when it is killed; ``--jobs`` has a ceiling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import goleaklint.engine
import goleaklint.registry
import goleaklint.workers
from goleaklint.workers import ORPHANED
from test_robustness import LEAK, KillerPlugin, gone, run, start_slow_run, warnings_of, write

DIED = ("doomed: warning: worker-died: package doomed: the process analysing it was killed by "
        "SIGKILL (out of memory?); its findings are lost")


@pytest.fixture
def killer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    real = goleaklint.registry.load_rules
    monkeypatch.setattr(goleaklint.registry, "load_rules",
                        lambda: real(extra_plugins=(KillerPlugin,)))
    return tmp_path


# A worker that dies ------------------------------------------------------------------------------

def test_a_worker_that_dies_while_packages_are_still_handed_out(killer: Path) -> None:
    # doomed is the biggest package, so the first handed out: its worker dies at once, with
    # the other 80 packages still to hand out.
    for i in range(80):
        write(killer / f"p{i:02d}" / "leak.go", LEAK)
    write(killer / "doomed" / "leak.go",
          LEAK.replace("package pkg", "package doomed") + "// padding\n" * 20)
    code, out, err = run("--jobs", "2", ".")
    assert (code, len(out.splitlines())) == (1, 80), err
    assert warnings_of(err) == [DIED]


KILL_NEXT_FORK: list[bool] = []  # set: the next process forked is killed as it starts


def _kill_if_asked() -> None:
    if KILL_NEXT_FORK:
        os.kill(os.getpid(), signal.SIGKILL)


os.register_at_fork(after_in_child=_kill_if_asked, after_in_parent=KILL_NEXT_FORK.clear)


def test_a_worker_that_dies_as_it_starts_loses_nothing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A bystander (the out-of-memory killer's pick, say): the package it was given is analysed
    # again in a process of its own, and nothing is lost.
    monkeypatch.chdir(tmp_path)
    for i in range(80):
        write(tmp_path / f"p{i:02d}" / "leak.go", LEAK)
    KILL_NEXT_FORK.append(True)
    code, out, err = run("--jobs", "2", ".")
    assert (code, len(out.splitlines()), err) == (
        1, 80, "goleaklint: 80 findings in 80 files; 80 files analysed\n")


# Workers end with the run ------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_until_gone(pids: list[int], seconds: float = 20) -> list[int]:
    """The processes of ``pids`` still running after ``seconds`` (a deadline, not a sleep)."""
    deadline = time.monotonic() + seconds
    while any(not gone(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if not gone(p)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_end_when_the_run_is_killed(tmp_path: Path) -> None:
    proc, marker = start_slow_run(tmp_path, "2")
    workers = children(proc.pid)
    assert len(workers) == 2 and int(marker.read_text()) in workers
    proc.kill()  # kill -9: no clean-up of any kind
    proc.wait()
    proc.stdout.close()  # the workers hold its other ends: reading them could last forever
    proc.stderr.close()
    assert wait_until_gone(workers) == []


WATCHED = """
import os, sys, threading, time
from goleaklint.workers import watch_parent

if os.fork() == 0:
    threading.Thread(target=watch_parent, args=(os.getppid(), 0.05), daemon=True).start()
    print(os.getpid(), flush=True)
    time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


def test_where_the_kernel_cannot_help_a_thread_watches_the_parent() -> None:
    proc = subprocess.Popen([sys.executable, "-c", WATCHED], stdout=subprocess.PIPE)
    try:
        child = int(proc.stdout.readline())
        assert not gone(child)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert wait_until_gone([child]) == []


@pytest.mark.parametrize(("creator", "code"), [("os.getppid()", 0), ("None", 0),
                                               ("os.getpid()", ORPHANED)])
def test_a_parent_that_died_before_the_worker_looked(creator: str, code: int) -> None:
    # The creator is not the parent: the parent died before the worker asked to end with it.
    script = ("import os\nfrom goleaklint.workers import end_with_parent\n"
              f"end_with_parent({creator})")
    assert subprocess.run([sys.executable, "-c", script], timeout=60).returncode == code


# --jobs ------------------------------------------------------------------------------------------

@pytest.fixture
def three_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b", "c"):
        write(tmp_path / name / "leak.go", LEAK)
    monkeypatch.setattr(goleaklint.engine, "default_jobs", lambda: 2)  # two cores
    return tmp_path


def test_jobs_never_start_more_processes_than_packages(three_packages: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []

    class Counted(goleaklint.workers._Worker):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(goleaklint.workers, "_Worker", Counted)
    code, out, _ = run("--jobs", "1000", ".")
    assert (code, len(out.splitlines()), len(started)) == (1, 3, 3)


@pytest.mark.parametrize(("jobs", "warned"), [("1000", True), ("3", True), ("2", False)])
def test_jobs_above_the_cores_is_a_warning(three_packages: Path, jobs: str, warned: bool) -> None:
    code, out, err = run("--jobs", jobs, ".")
    assert (code, len(out.splitlines())) == (1, 3)
    assert warnings_of(err) == ([f"goleaklint: warning: --jobs {jobs} is more than the 2 cores "
                                 "available: the extra processes take memory and add no speed"]
                                if warned else [])


def test_jobs_above_the_packages_is_no_warning(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a" / "leak.go", LEAK)
    write(tmp_path / "b" / "leak.go", LEAK)
    monkeypatch.setattr(goleaklint.engine, "default_jobs", lambda: 2)
    assert warnings_of(run("--jobs", "8", ".")[2]) == []  # two packages: two processes at most
