"""``--output``, ``--write-baseline`` and ``--fix`` never replace what stands at their path (issue
16): a regular file is replaced atomically keeping its mode and owner, a symbolic link is followed,
a FIFO, a device or our own standard output is written through, a missing folder is an error;
and a standard output that fails (a full disk) is one plain line, exit 2.

As root, the devices are ``mknod`` copies in the test's folder: a regression would otherwise
replace the machine's ``/dev/null``.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from goleaklint.cli import main
from test_fixes import HEADER

LEAK = "package pkg\n\nvar cache = map[string]int{}\n\nfunc Add(k string) {\n\tcache[k] = 1\n}\n"
ROOT = os.geteuid() == 0


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "leak.go").write_text(LEAK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def report(*argv: str) -> str:
    """What goleaklint prints on standard output for ``argv`` (the report --output writes)."""
    code, out, _ = run(*argv, "pkg")
    assert code == 1 and "GL101" in out
    return out


def device(tmp_path: Path, name: str, major: int, minor: int) -> Path:
    """A character device like /dev/``name``: a copy of it when root, else the real one."""
    if not ROOT:
        if not os.path.exists(f"/dev/{name}"):
            pytest.skip(f"no /dev/{name}")
        return Path(f"/dev/{name}")
    path = tmp_path / name
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    return path


@pytest.mark.parametrize("option", ["--output", "--write-baseline"])
def test_a_symlink_chain_is_followed_and_kept(project: Path, option: str) -> None:
    (project / "reports").mkdir()
    target = project / "reports" / "real.json"
    target.write_text("the previous one\n")
    os.symlink("reports/real.json", project / "middle")
    os.symlink("middle", project / "out.json")
    assert run("--format", "json", option, "out.json", "pkg")[0] != 2
    assert os.readlink(project / "out.json") == "middle"
    assert os.readlink(project / "middle") == "reports/real.json"
    run("--format", "json", option, "plain.json", "pkg")
    assert json.loads(target.read_text()) == json.loads((project / "plain.json").read_text())
    assert sorted(p.name for p in project.iterdir()) == [
        "middle", "out.json", "pkg", "plain.json", "reports"]
    assert [p.name for p in (project / "reports").iterdir()] == ["real.json"]


def test_a_dangling_link_creates_its_target_when_its_folder_exists(project: Path) -> None:
    (project / "reports").mkdir()
    os.symlink("reports/new.txt", project / "out.txt")
    assert run("--output", "out.txt", "pkg")[0] == 1
    assert os.readlink(project / "out.txt") == "reports/new.txt"
    assert (project / "reports" / "new.txt").read_text() == report()
    os.symlink("nowhere/new.txt", project / "lost.txt")
    assert run("--output", "lost.txt", "pkg") == (
        2, "", f"goleaklint: error: --output: lost.txt: cannot write (No such folder: "
               f"{project / 'nowhere'})\n")


@pytest.mark.parametrize("option", ["--output", "--write-baseline"])
def test_a_missing_folder_is_never_created(project: Path, option: str) -> None:
    assert run(option, "reports/out.txt", "pkg") == (
        2, "", f"goleaklint: error: {option}: reports/out.txt: cannot write "
               "(No such folder: reports)\n")
    assert not (project / "reports").exists()


def test_a_link_to_a_directory_or_a_link_loop_is_one_line(project: Path) -> None:
    (project / "folder").mkdir()
    os.symlink("folder", project / "to-folder")
    os.symlink("loop2", project / "loop1")
    os.symlink("loop1", project / "loop2")
    assert run("--output", "to-folder", "pkg") == (
        2, "", "goleaklint: error: --output: to-folder: cannot write (Is a directory)\n")
    assert run("--output", "loop1", "pkg") == (
        2, "", "goleaklint: error: --output: loop1: cannot write "
               "(Too many levels of symbolic links)\n")
    assert [os.readlink(project / n) for n in ("to-folder", "loop1")] == ["folder", "loop2"]
    assert list((project / "folder").iterdir()) == []


def test_a_fifo_gets_the_report_and_stays_a_fifo(project: Path) -> None:
    fifo = project / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            received.append(fh.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    code, out, err = run("--output", "pipe", "pkg")
    thread.join(timeout=60)  # the writer closed the FIFO: the reader has its end of file
    assert (code, out, err) == (1, "", "")
    assert received == [report().encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in project.iterdir()) == ["pipe", "pkg"]


@pytest.mark.parametrize("option", ["--output", "--write-baseline"])
def test_a_device_stays_a_device(project: Path, option: str) -> None:
    null = device(project, "null", 1, 3)
    before = os.lstat(null)
    code, _, err = run(option, str(null), "pkg")
    assert code != 2 and "error" not in err
    after = os.lstat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


def test_a_full_device_is_one_line_and_exit_2(project: Path) -> None:
    full = device(project, "full", 1, 7)
    assert run("--output", str(full), "pkg") == (
        2, "", f"goleaklint: error: --output: {full}: cannot write (No space left on device)\n")
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_replaced_report_keeps_its_mode_and_owner(project: Path) -> None:
    out = project / "out.txt"
    out.write_text("the previous report\n")
    out.chmod(0o640)
    owner = (4321, 4322) if ROOT else (os.getuid(), os.getgid())
    os.chown(out, *owner)
    before = out.stat()
    assert run("--output", "out.txt", "pkg")[0] == 1
    after = out.stat()
    assert out.read_text() == report()
    assert after.st_ino != before.st_ino  # replaced atomically, by a rename
    assert (stat.S_IMODE(after.st_mode), after.st_uid, after.st_gid) == (0o640, *owner)


def test_a_hard_linked_report_is_written_in_place(project: Path) -> None:
    out = project / "out.txt"
    out.write_text("the previous report\n")
    os.link(out, project / "alias.txt")
    assert run("--output", "out.txt", "pkg")[0] == 1
    assert (project / "alias.txt").read_text() == out.read_text() == report()
    assert os.path.samefile(out, project / "alias.txt")


def test_our_own_standard_output_is_written_through(project: Path) -> None:
    command = [sys.executable, "-m", "goleaklint", "--extend-select", "GL101", "--output",
               "/dev/fd/1", "pkg"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout == report()
    with open(project / "shell.txt", "w") as fh:  # a shell's `> shell.txt`
        fh.write("before\n")
        fh.flush()
        before = os.fstat(fh.fileno())
        proc = subprocess.run(command, stdout=fh, stderr=subprocess.PIPE, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert (project / "shell.txt").read_text() == "before\n" + report()
    assert os.path.samestat(os.stat(project / "shell.txt"), before)


def test_fix_through_a_symlink_fixes_the_file_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "p").mkdir()
    real = tmp_path / "shared" / "p.go"
    real.write_text(HEADER + "func f(parent context.Context) {\n"
                    "\tctx, _ := context.WithCancel(parent)\n\t_ = ctx\n}\n", encoding="utf-8")
    os.symlink("../shared/p.go", tmp_path / "p" / "p.go")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("--fix", "p")
    assert code == 0 and "fixed 1 finding in 1 file" in err
    assert os.readlink(tmp_path / "p" / "p.go") == "../shared/p.go"
    assert b"\tdefer cancel()\n" in real.read_bytes()
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["p.go"]


# Standard output ---------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["pkg"], ["rules"], ["explain", "GL101"], ["config"],
                                  ["--version"], ["--help"]])
def test_a_standard_output_that_fails_is_one_plain_line(project: Path, argv: list[str]) -> None:
    """A full disk is the environment's problem: not an internal error asking for a report."""
    full = device(project, "full", 1, 7)
    with open(full, "w") as stdout:
        proc = subprocess.run([sys.executable, "-m", "goleaklint", *argv], stdout=stdout,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (
        2, "goleaklint: error: cannot write the report: No space left on device\n")


def test_an_io_error_on_standard_output_is_one_plain_line(project: Path) -> None:
    class Failing(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(5, "Input/output error")

    err = io.StringIO()
    assert main(["pkg"], Failing(), err) == 2
    assert err.getvalue() == "goleaklint: error: cannot write the report: Input/output error\n"
