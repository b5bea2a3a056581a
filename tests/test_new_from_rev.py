"""``--new-from-rev REV`` (issue 18, item 3), end to end in real git repositories: only the
findings on lines changed since REV (the working tree's ``git diff`` against it, staged or not)
or in untracked files are reported; only a finding's primary line counts; outside a repository
or for an unknown revision, one line and exit 2."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.gitdiff import parse_diff

REPO = Path(__file__).resolve().parent.parent
SEED = (REPO / "fixtures/GL101/seed/cache.go").read_text()  # one GL101, line 9
HEALTH = (REPO / "fixtures/GL301/health/check.go").read_text()  # GL301 at 20, related 33
ANOTHER = "\nfunc addOther(key, value string) { globalCache.items[key+\"!\"] = value }\n"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout


def run(cwd: Path, *args: str) -> tuple[int, list[tuple[str, int]], str]:
    """goleaklint --format json ARGS in ``cwd``: exit code, (path, line) of each finding, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        code = main(["--format", "json", *args], out=out, err=err)
    found = [(i["path"], i["line"]) for i in json.loads(out.getvalue())] if code < 2 else []
    return code, found, err.getvalue()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two committed packages: a GL101 finding (seed/cache.go:9) and a GL301
    one (health/check.go:20, its related location line 33)."""
    root = tmp_path / "repo"
    (root / "seed").mkdir(parents=True)
    (root / "health").mkdir()
    (root / "seed" / "cache.go").write_text(SEED)
    (root / "health" / "check.go").write_text(HEALTH)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "old code")
    return root


def test_unchanged_tree_reports_nothing(repo: Path) -> None:
    assert run(repo)[1] == [("health/check.go", 20), ("seed/cache.go", 9)]
    code, found, err = run(repo, "--new-from-rev", "HEAD")
    assert (code, found) == (0, []), err


def test_only_changed_lines_and_untracked_files(repo: Path) -> None:
    with (repo / "seed" / "cache.go").open("a") as f:
        f.write(ANOTHER)  # a new finding at line 11 of a tracked file
    (repo / "fresh").mkdir()
    (repo / "fresh" / "new.go").write_text(SEED.replace("package seed", "package fresh"))
    (repo / "ignored").mkdir()
    (repo / "ignored" / "old.go").write_text(SEED.replace("package seed", "package ignored"))
    (repo / ".gitignore").write_text("ignored/\n")
    everything = run(repo)[1]
    assert ("seed/cache.go", 9) in everything and ("ignored/old.go", 9) in everything
    code, found, _ = run(repo, "--new-from-rev", "HEAD")
    assert (code, found) == (1, [("fresh/new.go", 9), ("seed/cache.go", 11)])
    # staged or committed since REV: still changed against it
    git(repo, "add", "seed/cache.go")
    assert run(repo, "--new-from-rev", "HEAD")[1] == [("fresh/new.go", 9), ("seed/cache.go", 11)]
    git(repo, "commit", "-q", "-m", "more")
    assert run(repo, "--new-from-rev", "HEAD")[1] == [("fresh/new.go", 9)]
    assert run(repo, "--new-from-rev", "HEAD~1")[1] == [("fresh/new.go", 9), ("seed/cache.go", 11)]


def test_only_the_primary_line_counts(repo: Path) -> None:
    check = repo / "health" / "check.go"
    lines = check.read_text().splitlines(keepends=True)
    assert lines[32].strip() == "return ErrSlow"
    lines[32] = lines[32].rstrip("\n") + " // touched\n"  # the related location only
    check.write_text("".join(lines))
    assert run(repo, "--new-from-rev", "HEAD")[1] == []
    lines[19] = lines[19].rstrip("\n") + " // touched\n"  # the finding's own line
    check.write_text("".join(lines))
    assert run(repo, "--new-from-rev", "HEAD")[1] == [("health/check.go", 20)]


def test_deleted_lines_and_moved_code_are_not_new(repo: Path) -> None:
    cache = repo / "seed" / "cache.go"
    cache.write_text(cache.read_text().replace("*Cache\n\n", "*Cache\n"))  # a blank line less
    assert run(repo)[1][-1] == ("seed/cache.go", 8)
    assert run(repo, "--new-from-rev", "HEAD")[1] == []
    git(repo, "mv", "seed", "kept")  # a renamed file: its lines are not new
    assert run(repo, "--new-from-rev", "HEAD")[1] == []


def test_file_names_git_quotes(repo: Path) -> None:
    odd = repo / "odd"
    odd.mkdir()
    name = 'my "q"\\ \tfile.go'
    (odd / name).write_text(SEED.replace("package seed", "package odd"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "odd")
    with (odd / name).open("a") as f:
        f.write(ANOTHER)
    assert run(repo, "--new-from-rev", "HEAD")[1] == [(f"odd/{name}", 11)]


def test_paths_below_the_repository_and_a_subfolder_run(repo: Path) -> None:
    with (repo / "seed" / "cache.go").open("a") as f:
        f.write(ANOTHER)
    assert run(repo / "seed", "--new-from-rev", "HEAD", ".")[1] == [("cache.go", 11)]
    assert run(repo.parent, "--new-from-rev", "HEAD", "repo")[1] == [("repo/seed/cache.go", 11)]


def test_git_index_is_left_alone(repo: Path) -> None:
    """Asking git never rewrites its index (a touched file would make ``git diff`` refresh
    it): goleaklint alters no file it was not asked to write."""
    index = repo / ".git" / "index"
    before = index.read_bytes(), index.stat().st_mtime_ns
    os.utime(repo / "seed" / "cache.go", ns=(1, 1))
    run(repo, "--new-from-rev", "HEAD")
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before


@pytest.mark.parametrize("rev", ["nope", "HEAD~5", "--output=x", ""])
def test_unknown_revision_is_one_line(repo: Path, rev: str) -> None:
    code, _, err = run(repo, f"--new-from-rev={rev}")
    assert code == 2
    assert err == f"goleaklint: error: --new-from-rev: unknown revision {rev!r}\n"
    assert not (repo / "x").exists()


def test_outside_a_repository_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "cache.go").write_text(SEED)
    code, _, err = run(plain, "--new-from-rev", "HEAD")
    assert code == 2
    assert err == f"goleaklint: error: --new-from-rev: {plain}: not in a git repository\n"


def test_no_git_is_one_line(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "nowhere"))
    code, _, err = run(repo, "--new-from-rev", "HEAD")
    assert (code, err) == (2, "goleaklint: error: --new-from-rev: git is not installed\n")


def test_parse_diff_reads_hunks_by_their_counts(tmp_path: Path) -> None:
    """Content lines that look like headers (an added ``++ x`` shows as ``+++ x``) stay content;
    ``@@ -a,b +c,0 @@`` (a deletion) adds nothing; a missing count means one line."""
    diff = (b"diff --git a/x.go b/x.go\n--- a/x.go\n+++ b/x.go\n"
            b"@@ -3,0 +4,2 @@ func f() {\n+++ x\n+@@ -1 +1 @@\n"
            b"@@ -10,2 +11,0 @@\n-a\n-b\n"
            b"@@ -20 +20 @@\n-c\n+d\n\\ No newline at end of file\n")
    assert parse_diff(diff, tmp_path) == {os.path.realpath(tmp_path / "x.go"): {4, 5, 20}}
