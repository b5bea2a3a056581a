"""The result cache (issue 18, item 1): a cached run prints exactly what an uncached one does,
whatever changed in between; only the packages whose inputs changed are analysed again; the
cache folder survives corruption, crashes, links and concurrent runs; ``--no-cache`` and
``goleaklint clean``."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import goleaklint.engine
from goleaklint import cache, cachekey, inputs
from goleaklint.cli import main

ROOT = Path(__file__).resolve().parent.parent
EVERY_RULE = ("--extend-select", "GL1,GL2,GL3,GL4")  # (the tests' session enables them anyway)

GO_MOD = "module example.com/tree\n\ngo 1.21\n"
MAP = """package a

var cache = map[string]int{}

func Add(k string) {
	cache[k] = 1
}
"""
MAP_CHANGED = MAP + """
var other = map[int]int{}

func Put(k int) {
	other[k] = 1
}
"""
DELETER = """package a

func Del(k string) {
	delete(cache, k)
}
"""
OPEN = """package b

import "os"

//goleaklint:ignore GL204 nothing here defers (an unused suppression: GL002)
func Read(name string) []byte {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	buf := make([]byte, 10)
	f.Read(buf)
	return buf
}
"""
TIMER = """package t

import "time"

func Wait(c chan int) {
	for {
		select {
		case <-c:
		case <-time.After(time.Second):
		}
	}
}
"""
BROKEN = "package n\n\nfunc f( {\n"
DEEP = "package n\n\nfunc Deep() {\n" + "{\n" * 100 + "}\n" * 100 + "}\n"
OWNER = """package main

func main() {
	run()
}
"""
SERVING_OWNER = """package main

import "net/http"

func main() {
	run()
	http.ListenAndServe(":80", nil)
}
"""
RUN = "package main\n\nfunc run() {}\n"
STATE = MAP.replace("package a", "package state")


def write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def make_tree(root: Path) -> Path:
    """Packages with findings of several rules, a parse error, a too-deep function, and an
    internal package whose verdict rests on a file of another folder (its command's main)."""
    write(root / "go.mod", GO_MOD)
    write(root / "a" / "a.go", MAP)
    write(root / "b" / "b.go", OPEN)
    write(root / "t" / "t.go", TIMER)
    write(root / "n" / "broken.go", BROKEN)
    write(root / "n" / "deep.go", DEEP)
    write(root / "tool" / "main.go", OWNER)
    write(root / "tool" / "run.go", RUN)
    write(root / "tool" / "internal" / "state" / "state.go", STATE)
    return root


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tree as the current directory, with the cache switched on (in tmp_path/cache)."""
    root = make_tree(tmp_path / "tree")
    monkeypatch.chdir(root)
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return root


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders (relative to the current directory) of the packages analysed, in order (in
    this process: ``--jobs`` is 1 by default)."""
    seen: list[str] = []
    monkeypatch.setattr(goleaklint.engine, "default_jobs", lambda: 1)
    real = goleaklint.engine.analyze_package

    def spy(pf, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(os.path.relpath(pf.directory))
        return real(pf, *args, **kwargs)

    monkeypatch.setattr(goleaklint.engine, "analyze_package", spy)
    return seen


def entries(folder: Path) -> list[Path]:
    return sorted((folder / cache.VERSION_DIR).glob("*.json"))


# A cached run prints what an uncached one does ------------------------------------------------

Step = tuple[str, Callable[[Path], None], set[str]]
# Each step changes the tree; the packages it must make the next cached run analyse again.
STEPS: list[Step] = [
    ("first run", lambda root: None,
     {"a", "b", "t", "n", "tool", "tool/internal/state"}),
    ("nothing changed", lambda root: None, set()),
    ("a file touched, same content", lambda root: os.utime(root / "b" / "b.go"), set()),
    ("a changed file", lambda root: write(root / "a" / "a.go", MAP_CHANGED), {"a"}),
    ("an added file", lambda root: write(root / "a" / "del.go", DELETER), {"a"}),
    # (back to the files of two steps ago: that entry still holds)
    ("a deleted file", lambda root: (root / "a" / "del.go").unlink(), set()),
    ("a renamed file", lambda root: (root / "b" / "b.go").rename(root / "b" / "c.go"), {"b"}),
    ("a file of another folder the analysis read",
     lambda root: write(root / "tool" / "main.go", SERVING_OWNER), {"tool", "tool/internal/state"}),
    ("a file added to that folder",
     lambda root: write(root / "tool" / "serve.go", "package main\n\nvar _ = net.Listen\n"),
     {"tool", "tool/internal/state"}),
    ("a changed configuration (ignore)",
     lambda root: write(root / ".goleaklint.toml", 'ignore = ["GL201"]\n'),
     {"a", "b", "t", "n", "tool", "tool/internal/state"}),
    ("a changed rule option",
     lambda root: write(root / ".goleaklint.toml", 'ignore = ["GL201"]\n\n[rules.GL401]\n'
                        "large-size = 4096\n"),
     {"a", "b", "t", "n", "tool", "tool/internal/state"}),
    ("the Go version in force (go.mod)",
     lambda root: write(root / "go.mod", GO_MOD.replace("1.21", "1.23")),
     {"a", "b", "t", "n", "tool", "tool/internal/state"}),
    ("the Go version in force (configuration)",
     lambda root: write(root / ".goleaklint.toml", 'go-version = "1.20"\n'),
     {"a", "b", "t", "n", "tool", "tool/internal/state"}),
    ("a nearer configuration for one package",
     lambda root: write(root / "t" / ".goleaklint.toml", 'go-version = "1.24"\n'), {"t"}),
]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_a_cached_run_prints_what_an_uncached_run_prints(
    tree: Path, analysed: list[str], fmt: str
) -> None:
    argv = ["--format", fmt, "--jobs", "1", *EVERY_RULE, "."]
    changes = []  # the steps whose uncached output differs from the step before: real changes
    before = None
    for name, change, again in STEPS:
        change(tree)
        analysed.clear()
        fresh = run("--no-cache", *argv)
        assert set(analysed) == {"a", "b", "t", "n", "tool", "tool/internal/state"}, name
        analysed.clear()
        cached = run(*argv)
        assert cached == fresh, name
        assert set(analysed) == again, name
        analysed.clear()
        assert run(*argv) == fresh, name
        assert analysed == [], name  # every package from the cache now
        if before is not None and fresh != before:
            changes.append(name)
        before = fresh
    # (the steps do change what is reported: a stale entry would show)
    assert {"a changed file", "an added file", "a deleted file", "a renamed file",
            "a file of another folder the analysis read", "a changed configuration (ignore)",
            "the Go version in force (go.mod)", "a nearer configuration for one package",
            } <= set(changes)


def test_the_warnings_of_notices_come_back_from_the_cache(tree: Path, analysed: list[str]
                                                         ) -> None:
    fresh = run("--no-cache", "--debug", *EVERY_RULE, ".")
    kinds = {line.split(": warning: ")[1].split(":")[0]
             for line in fresh[2].splitlines() if ": warning: " in line}
    assert kinds == {"parse-error", "too-deep"}
    assert run("--debug", *EVERY_RULE, ".") == fresh
    analysed.clear()
    assert run("--debug", *EVERY_RULE, ".") == fresh
    assert analysed == []


def test_one_changed_file_in_a_big_tree_analyses_its_package_only(
    tree: Path, analysed: list[str]
) -> None:
    for i in range(30):
        write(tree / "many" / f"p{i}" / "p.go", MAP.replace("package a", f"package p{i}"))
    assert run(".")[0] == 1
    write(tree / "many" / "p7" / "more.go", DELETER.replace("package a", "package p7"))
    analysed.clear()
    code, out, err = run(".")
    assert analysed == ["many/p7"]
    assert (code, out, err) == run("--no-cache", ".")


# Speed without hashing: the identity of unchanged files vouches for them -----------------------

def test_settled_files_are_not_hashed_again(tree: Path, monkeypatch: pytest.MonkeyPatch,
                                            analysed: list[str]) -> None:
    monkeypatch.setattr(inputs, "RACY_NS", 0)  # (files written just now count as settled)
    run(".")
    hashed: list[int] = []
    real = inputs.digest
    monkeypatch.setattr(inputs, "digest", lambda data: hashed.append(len(data)) or real(data))
    analysed.clear()
    run(".")
    assert (analysed, hashed) == ([], [])
    os.utime(tree / "a" / "a.go", ns=(1, 1))  # a new identity, the same content: hashed, a hit
    run(".")
    assert (analysed, hashed) == ([], [len(MAP)])
    hashed.clear()
    run(".")  # the entry took the file's new identity
    assert (analysed, hashed) == ([], [])


def test_a_file_just_written_is_hashed_again(tree: Path, monkeypatch: pytest.MonkeyPatch,
                                             analysed: list[str]) -> None:
    """A file's identity does not vouch for it while a write in the same timestamp tick could
    still go unseen (the racy case): its content is compared."""
    run(".")
    hashed: list[int] = []
    real = inputs.digest
    monkeypatch.setattr(inputs, "digest", lambda data: hashed.append(len(data)) or real(data))
    analysed.clear()
    run(".")
    assert analysed == []
    assert len(MAP) in hashed  # (just written by the fixture)


# Corrupt, truncated, linked entries; crashes --------------------------------------------------

CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "garbage": lambda p: p.write_bytes(os.urandom(3000)),
    "not utf-8 json": lambda p: p.write_bytes(p.read_bytes().replace(b'"findings"', b'"\xff"')),
    "a changed byte": lambda p: p.write_bytes(p.read_bytes().replace(b'"files":', b'"filez":')),
    "a changed number": lambda p: p.write_bytes(  # (still well-formed: only the digest tells)
        re.sub(rb'"files":(\d+)', lambda m: b'"files":%d' % (int(m[1]) + 7), p.read_bytes())),
    "another key's entry": lambda p: p.write_bytes(_resealed(p, lambda v: {**v, "key": "0" * 40})),
    "wrong shapes": lambda p: p.write_bytes(_resealed(p, lambda v: {
        **v, "result": {**v["result"], "findings": [[1, 2, 3]]}})),
    "wrong types": lambda p: p.write_bytes(_resealed(p, lambda v: {
        **v, "result": {**v["result"], "files": "many"}})),
    "a bool for a number": lambda p: p.write_bytes(_resealed(p, lambda v: {
        **v, "inputs": [[*i[:2], True, *i[3:]] for i in v["inputs"]]})),
    "nested deeply": lambda p: p.write_bytes(_resealed(p, lambda v: v, b"[" * 100_000)),
    "a folder": lambda p: (p.unlink(), p.mkdir()),  # type: ignore[func-returns-value]
    "a FIFO": lambda p: (p.unlink(), os.mkfifo(p)),  # type: ignore[func-returns-value]
}


def _resealed(path: Path, edit: Callable[[dict], dict], raw: bytes | None = None) -> bytes:
    """An entry whose body was edited and whose digest matches it again (so that only the
    checks of the content stand between it and a wrong result)."""
    import hashlib

    body = path.read_bytes().partition(b"\n")[2]
    edited = raw if raw is not None else json.dumps(edit(json.loads(body))).encode()
    return cache.MAGIC + hashlib.blake2b(edited, digest_size=20).hexdigest().encode() + b"\n" + (
        edited)


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
def test_a_corrupt_entry_is_a_miss(tree: Path, tmp_path: Path, analysed: list[str],
                                   how: str) -> None:
    fresh = run("--no-cache", ".")
    run(".")
    for entry in entries(tmp_path / "cache"):
        CORRUPTIONS[how](entry)
    analysed.clear()
    assert run(".") == fresh
    assert len(analysed) == 6  # every package again
    if how not in ("a folder", "a FIFO"):  # (replaced by whole entries: hits next time)
        analysed.clear()
        assert run(".") == fresh
        assert analysed == []


def test_what_a_crash_mid_write_leaves_is_a_miss_and_is_cleared(
    tree: Path, tmp_path: Path, analysed: list[str]
) -> None:
    fresh = run("--no-cache", ".")
    run(".")
    folder = tmp_path / "cache" / cache.VERSION_DIR
    victim = entries(tmp_path / "cache")[0]
    victim.write_bytes(victim.read_bytes()[:100])  # a rename reached the disk before the data
    leftover = folder / ".tmp.12345.0123456789abcdef"  # a run killed between write and rename
    leftover.write_bytes(b"goleaklint-cache 1 half")
    old = 1_000_000_000
    os.utime(leftover, (old, old))
    recent = folder / ".tmp.12346.0123456789abcdef"  # another run's, being written right now
    recent.write_bytes(b"goleaklint-cache 1 ")
    analysed.clear()
    assert run(".") == fresh
    assert len(analysed) == 1
    assert not leftover.exists()
    assert recent.exists()


def test_a_linked_entry_is_a_miss_and_never_written_through(
    tree: Path, tmp_path: Path, analysed: list[str]
) -> None:
    fresh = run("--no-cache", ".")
    run(".")
    target = tmp_path / "elsewhere.json"
    for i, entry in enumerate(entries(tmp_path / "cache")):
        if i == 0:  # a link to a valid entry: not read either
            shutil.copy(entry, target)
        entry.unlink()
        entry.symlink_to(target)
    before = target.read_bytes()
    analysed.clear()
    assert run(".") == fresh
    assert len(analysed) == 6
    assert target.read_bytes() == before
    assert all(e.is_symlink() for e in entries(tmp_path / "cache"))


def test_a_linked_cache_folder_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    root = make_tree(tmp_path / "tree")
    monkeypatch.chdir(root)
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / cache.DEFAULT_NAME).symlink_to(elsewhere)
    fresh = run("--no-cache", ".")
    code, out, err = run(".")
    assert (code, out) == fresh[:2]
    assert err == ("goleaklint: warning: cache: " + str(root / cache.DEFAULT_NAME)
                   + ": a symbolic link; running without it\n" + fresh[2])
    assert list(elsewhere.iterdir()) == []


def test_a_file_in_the_cache_folders_place_is_a_warning(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(tmp_path / "tree")
    monkeypatch.chdir(root)
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    (root / cache.DEFAULT_NAME).write_text("mine\n")
    fresh = run("--no-cache", ".")
    code, out, err = run(".")
    assert (code, out) == fresh[:2]
    assert err.startswith("goleaklint: warning: cache: ")
    assert err.endswith("running without it\n" + fresh[2])
    assert (root / cache.DEFAULT_NAME).read_text() == "mine\n"


def test_a_failed_write_is_one_warning_and_the_report_is_whole(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = run("--no-cache", ".")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.os, "replace", full)
    code, out, err = run(".")
    assert (code, out) == fresh[:2]
    assert err == (f"goleaklint: warning: cache: {tmp_path / 'cache'}: cannot write (No space "
                   "left on device); results not kept\n") + fresh[2]
    assert entries(tmp_path / "cache") == []
    assert list((tmp_path / "cache" / cache.VERSION_DIR).iterdir()) == []  # no temporary file


# Bounds --------------------------------------------------------------------------------------

def test_eviction_removes_the_least_recently_used(tmp_path: Path) -> None:
    folder = tmp_path / "v1"
    folder.mkdir()
    names = [f"{i:040x}.json" for i in range(10)]
    for age, name in enumerate(names):
        (folder / name).write_bytes(b"x" * 100)
        os.utime(folder / name, (1_000_000 + age, 1_000_000 + age))
    (folder / "notes.txt").write_text("not an entry")
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert cache.evict(fd, max_entries=20, max_bytes=10_000) == 0
        assert cache.evict(fd, max_entries=5) == 6  # down to nine tenths of the bound: 4
        assert sorted(p.name for p in folder.iterdir()) == [*names[6:], "notes.txt"]
        assert cache.evict(fd, max_entries=20, max_bytes=250) == 2  # bytes: down to 225
        assert sorted(p.name for p in folder.iterdir()) == [*names[8:], "notes.txt"]
    finally:
        os.close(fd)


def test_a_run_keeps_the_cache_within_its_bounds(tree: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    fresh = run("--no-cache", ".")
    assert run(".") == fresh
    assert 1 <= len(entries(tmp_path / "cache")) <= 3
    assert run(".") == fresh


# Two runs at once ------------------------------------------------------------------------------

def _process_env(cache_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != cache.NO_CACHE_ENV}
    env[cache.CACHE_DIR_ENV] = str(cache_dir)
    return env


@pytest.mark.real_tiers  # (as in the processes: the same key)
def test_two_runs_at_once_on_the_same_tree(tree: Path, tmp_path: Path,
                                           analysed: list[str]) -> None:
    for i in range(40):
        write(tree / "many" / f"p{i}" / "p.go", MAP.replace("package a", f"package p{i}"))
    fresh = run("--no-cache", *EVERY_RULE, ".")
    command = [sys.executable, "-m", "goleaklint", *EVERY_RULE, "--jobs", "2", "."]
    env = _process_env(tmp_path / "cache")
    both = [subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in both:
        out, err = proc.communicate(timeout=300)
        assert (proc.returncode, out, err) == fresh
    assert len(entries(tmp_path / "cache")) == 46
    assert not list((tmp_path / "cache" / cache.VERSION_DIR).glob(".tmp.*"))
    analysed.clear()
    assert run(*EVERY_RULE, ".") == fresh
    assert analysed == []  # every entry either wrote is whole and valid


# Plugins and goleaklint's own code -------------------------------------------------------------

PLUGIN = '''
from goleaklint import Rule, hookimpl
from goleaklint.syntax import text


class NoPanic(Rule):
    __doc__ = {doc!r}

    id = "XD101"
    name = "no-panic"
    family = "demo"
    summary = "A call to panic."

    def visit_call_expression(self, node):
        if text(node.child_by_field_name("function")) == "panic":
            if "BOOM" in text(node):
                raise ValueError("boom")
            self.report(node, "MESSAGE")


@hookimpl
def goleaklint_rules():
    return [NoPanic]
'''
PANICS = 'package p\n\nfunc F() {\n\tpanic("x")\n}\n\nfunc G() {\n\tpanic("BOOM")\n}\n'


def _install_plugin(site: Path, message: str, version: str = "0.1") -> None:
    from test_plugins import DOC

    for old in site.glob("goleak_demo-*.dist-info"):
        shutil.rmtree(old)
    package = site / "goleak_demo"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        PLUGIN.replace("{doc!r}", repr(DOC)).replace("MESSAGE", message), encoding="utf-8")
    info = site / f"goleak_demo-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: goleak_demo\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[goleaklint.rules]\ndemo = goleak_demo\n",
                                           encoding="utf-8")


def _run_with(site: Path, cwd: Path, cache_dir: Path | None, *argv: str
              ) -> tuple[int, str, str]:
    env = _process_env(cache_dir) if cache_dir is not None else dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # (a rewritten module is read again, never its .pyc)
    proc = subprocess.run([sys.executable, "-m", "goleaklint", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_a_changed_plugin_rule_is_run_again(tmp_path: Path) -> None:
    site, work, cache_dir = tmp_path / "site", tmp_path / "work", tmp_path / "cache"
    write(work / "p" / "p.go", PANICS)
    argv = ("--extend-select", "XD101", "--debug", "p")
    _install_plugin(site, "panic called")
    first = _run_with(site, work, cache_dir, *argv)
    assert first == _run_with(site, work, None, *argv, "--no-cache")
    assert "panic called" in first[1]
    assert "warning: rule-error: XD101 no-panic raised ValueError: boom" in first[2]
    assert _run_with(site, work, cache_dir, *argv) == first  # the rule-error from the cache
    _install_plugin(site, "panic called, version two")  # its code changed
    second = _run_with(site, work, cache_dir, *argv)
    assert "panic called, version two" in second[1]
    assert second == _run_with(site, work, None, *argv, "--no-cache")


def test_the_key_changes_with_a_plugins_version(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _install_plugin(site, "panic called", "0.1")
    monkeypatch.syspath_prepend(str(site))
    before = cachekey.catalog_identity([])
    _install_plugin(site, "panic called", "0.2")
    assert cachekey.catalog_identity([]) != before


def test_a_changed_goleaklint_source_file_never_reads_a_stale_entry(tmp_path: Path) -> None:
    """A development install: goleaklint's own code changed, its version did not."""
    site, work, cache_dir = tmp_path / "site", tmp_path / "work", tmp_path / "cache"
    shutil.copytree(Path(goleaklint.engine.__file__).parent, site / "goleaklint",
                    ignore=shutil.ignore_patterns("__pycache__"))
    write(work / "a" / "a.go", MAP)
    first = _run_with(site, work, cache_dir, "--extend-select", "GL101", "a")
    assert "only grows" in first[1]
    rule = site / "goleaklint" / "checks" / "gl101_unbounded_global_map.py"
    rule.write_text(rule.read_text(encoding="utf-8").replace("only grows", "only ever grows"),
                    encoding="utf-8")
    second = _run_with(site, work, cache_dir, "--extend-select", "GL101", "a")
    assert "only ever grows" in second[1]


# Switched off, cleaned, where it lives ---------------------------------------------------------

def test_no_cache_writes_nothing(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                 ) -> None:
    assert run("--no-cache", ".")[0] == 1
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    assert run(".")[0] == 1
    assert not (tmp_path / "cache").exists()
    monkeypatch.delenv(cache.CACHE_DIR_ENV)
    assert run("--no-cache", ".")[0] == 1
    assert sorted(p.name for p in tree.iterdir()) == ["a", "b", "go.mod", "n", "t", "tool"]


def test_the_default_folder_is_at_the_project_root_and_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, analysed: list[str]
) -> None:
    root = make_tree(tmp_path / "tree")
    write(root / ".goleaklint.toml", "exclude-tests = true\n")
    monkeypatch.chdir(root / "tool")
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    monkeypatch.delenv(cache.CACHE_DIR_ENV, raising=False)
    fresh = run("--no-cache", *EVERY_RULE, ".")
    assert run(*EVERY_RULE, ".") == fresh
    folder = root / cache.DEFAULT_NAME  # beside the configuration, not in the current folder
    assert (folder / ".gitignore").read_text() == "# Automatically created by goleaklint.\n*\n"
    assert (folder / "CACHEDIR.TAG").read_bytes().startswith(
        b"Signature: 8a477f597d28d172789f06886806bc55\n")
    assert len(entries(folder)) == 2
    assert not (root / "tool" / cache.DEFAULT_NAME).exists()
    monkeypatch.chdir(root)  # the whole tree: the cache folder is no package, nor its entries
    fresh = run("--no-cache", *EVERY_RULE, ".")
    assert run(*EVERY_RULE, ".") == fresh
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                                cwd=root, capture_output=True, text=True, check=True).stdout
        assert cache.DEFAULT_NAME not in status


def test_a_folder_of_yours_gets_no_markers(tree: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """GOLEAKLINT_CACHE_DIR naming a folder that holds other files (a home folder by mistake):
    no CACHEDIR.TAG (backup tools would skip the folder) nor .gitignore is written there."""
    mine = tmp_path / "mine"
    write(mine / "notes.txt", "keep\n")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(mine))
    fresh = run("--no-cache", ".")
    assert run(".") == fresh
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", cache.VERSION_DIR]
    assert run("clean")[2].endswith(f"warning: {mine}: left notes.txt (not goleaklint's)\n")
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_a_cache_folder_inside_the_tree_is_not_analysed(tree: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_DIR_ENV, "cachefolder")  # not hidden: discovery walks it
    fresh = run("--no-cache", "--format", "json", ".")
    assert run("--format", "json", ".") == fresh
    assert (tree / "cachefolder" / cache.VERSION_DIR).is_dir()
    assert run("--format", "json", ".") == fresh


def test_clean_removes_the_cache(tree: Path, tmp_path: Path) -> None:
    run(".")
    folder = tmp_path / "cache"
    assert len(entries(folder)) == 6
    assert run("clean") == (0, "", f"goleaklint: removed 6 cached results from {folder}\n")
    assert not folder.exists()
    assert run("clean") == (0, "", f"goleaklint: removed 0 cached results from {folder}\n")


def test_clean_leaves_what_is_not_goleaklints(tree: Path, tmp_path: Path) -> None:
    run(".")
    folder = tmp_path / "cache"
    (folder / "mine.txt").write_text("keep me\n")
    (folder / cache.VERSION_DIR / "notes").write_text("keep me too\n")
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    (folder / cache.VERSION_DIR / ("f" * 40 + ".json")).symlink_to(outside)
    code, out, err = run("clean")
    assert (code, out) == (0, "")
    assert err == (f"goleaklint: removed 6 cached results from {folder}\n"
                   f"goleaklint: warning: {folder}: left mine.txt, v1 (not goleaklint's)\n")
    assert sorted(p.name for p in folder.rglob("*")) == ["f" * 40 + ".json", "mine.txt",
                                                          "notes", "v1"]
    assert outside.read_text() == "{}"


def test_clean_of_the_default_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(tmp_path / "tree")
    monkeypatch.chdir(root)
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    monkeypatch.delenv(cache.CACHE_DIR_ENV, raising=False)
    run(".")
    assert (root / cache.DEFAULT_NAME).is_dir()
    assert run("clean")[2] == "goleaklint: removed 6 cached results from .goleaklint_cache\n"
    assert not (root / cache.DEFAULT_NAME).exists()
    (root / cache.DEFAULT_NAME).symlink_to(tmp_path)
    code, _, err = run("clean")
    assert (code, err) == (2, f"goleaklint: error: clean: {root / cache.DEFAULT_NAME}: a "
                              "symbolic link\n")
    assert (root / "a").is_dir()


# The codec: what goes in comes out -------------------------------------------------------------

def test_every_finding_field_survives_the_round_trip(tmp_path: Path) -> None:
    from goleaklint.config import Config
    from goleaklint.discover import discover
    from goleaklint.engine import analyze
    from goleaklint.registry import load_rules
    from goleaklint.resultcodec import decode_result, encode_result

    fixtures = ROOT / "fixtures"
    found = discover([str(fixtures), str(make_tree(tmp_path))])
    result = analyze(found.packages, load_rules().rules, Config(), jobs=2)
    assert any(f.fix for f in result.findings) and any(f.related for f in result.findings)
    assert result.notices and result.suppressions
    back = decode_result(json.loads(json.dumps(encode_result(result))))
    assert (back.findings, back.notices, back.suppressions, back.files) == (
        result.findings, result.notices, result.suppressions, result.files)

