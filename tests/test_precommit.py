"""The pre-commit hooks of .pre-commit-hooks.yaml, run for real by pre-commit.

pre-commit clones the hook repository at a commit, so the current working tree (committed or
not) is copied into a throw-away git repository and committed there. pre-commit then builds a
virtualenv and pip-installs goleaklint from that copy (network access to PyPI, some seconds).
``pre-commit try-repo`` does that on every call (it uses a temporary store), so it is run once;
the other runs use ``pre-commit run --config`` with a configuration naming the copy, as a user's
``.pre-commit-config.yaml`` would, and share one PRE_COMMIT_HOME: one install per session.
Skipped without git or pre-commit, except in CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LEAKY = (REPO / "fixtures" / "GL101" / "seed" / "cache.go").read_text(encoding="utf-8")
LEAKY = LEAKY.replace(' // want "GL101"', "")
PRUNE = '\nfunc removeItem(key string) { delete(globalCache.items, key) }\n'
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "node_modules", "__pycache__", "*.egg-info", ".*_cache", "build",
    "dist",
)


def _missing() -> str | None:
    if shutil.which("git") is None:
        return "git is not installed"
    if importlib.util.find_spec("pre_commit") is None:
        return "pre-commit is not installed (pip install -e '.[test]')"
    return None


if (_why := _missing()) is not None:
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{_why}: required in CI", pytrace=False)
    pytest.skip(_why, allow_module_level=True)


def _env(pre_commit_home: Path) -> dict[str, str]:
    # Leave out GIT_* (GIT_DIR, GIT_INDEX_FILE… when the suite runs inside a git hook) and
    # the user's git configuration; pre-commit's SKIP would silently skip the hooks.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "SKIP"}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="goleaklint tests",
        GIT_AUTHOR_EMAIL="tests@goleaklint.invalid",
        GIT_COMMITTER_NAME="goleaklint tests",
        GIT_COMMITTER_EMAIL="tests@goleaklint.invalid",
        PRE_COMMIT_HOME=str(pre_commit_home),
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
    )
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                   cwd=cwd, env=env, check=True, capture_output=True, text=True)


def _working_tree_files() -> list[Path]:
    """Files of the working tree that git would commit: tracked and untracked, not ignored."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO, check=True, capture_output=True, text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [Path(p) for p in listed.split("\0") if p and (REPO / p).is_file()]


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _env(tmp_path_factory.mktemp("pre-commit-home"))


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    """A committed copy of the current working tree: what ``try-repo`` can clone."""
    dest = tmp_path_factory.mktemp("hook-repo")
    files = _working_tree_files()
    if files:
        for rel in files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)
    else:  # not a git checkout (an sdist…)
        shutil.copytree(REPO, dest, ignore=_COPY_IGNORE, dirs_exist_ok=True)
    assert (dest / ".pre-commit-hooks.yaml").is_file()
    _git(dest, env, "init", "-q")
    _git(dest, env, "add", "-A")
    _git(dest, env, "commit", "-q", "-m", "working tree under test")
    return dest


@pytest.fixture
def project(tmp_path: Path, env: dict[str, str]) -> Path:
    """A Go module in a fresh git repository, nothing committed yet."""
    root = tmp_path / "project"
    (root / "cache").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/project\n\ngo 1.22\n")
    # The leak of these tests is GL101's, an opt-in rule: the project turns it on.
    (root / ".goleaklint.toml").write_text('extend-select = ["GL101"]\n')
    _git(root, env, "init", "-q")
    return root


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory, hook_repo: Path,
           env: dict[str, str]) -> Path:
    """A pre-commit configuration using both hooks of the copy (kept outside the project: a
    configuration inside it would have to be staged)."""
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    path = tmp_path_factory.mktemp("pre-commit-config") / ".pre-commit-config.yaml"
    path.write_text(
        f"repos:\n- repo: {json.dumps(str(hook_repo))}\n  rev: {rev}\n  hooks:\n"
        "  - id: goleaklint\n  - id: goleaklint-all\n"
    )
    return path


def _pre_commit(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--color=never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False,
    )


def try_repo(project: Path, hook_repo: Path, env: dict[str, str], hook: str,
             *args: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo HOOK_REPO HOOK ARGS`` in the project; output in ``.stdout``."""
    return _pre_commit(project, env, "try-repo", str(hook_repo), hook, *args)


def run_hook(project: Path, config: Path, env: dict[str, str], hook: str,
             *args: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --config CONFIG HOOK ARGS`` in the project (staged files by default)."""
    return _pre_commit(project, env, "run", "--config", str(config), hook, *args)


def _stage(project: Path, env: dict[str, str], *files: str) -> None:
    _git(project, env, "add", *files)


def test_try_repo_fails_on_a_leak(project, hook_repo, env) -> None:
    """What a user trying the hooks out sees: pre-commit try-repo on a leaky package."""
    (project / "cache" / "cache.go").write_text(LEAKY)
    _stage(project, env, "go.mod", "cache/cache.go")
    run = try_repo(project, hook_repo, env, "goleaklint", "--all-files")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "goleaklint" in run.stdout and "Failed" in run.stdout
    assert "cache/cache.go:9:35: GL101 unbounded-global-map:" in run.stdout, run.stdout


def test_hook_fails_on_a_leak_and_passes_once_fixed(project, config, env) -> None:
    cache = project / "cache" / "cache.go"
    cache.write_text(LEAKY)
    _stage(project, env, "go.mod", "cache/cache.go")
    run = run_hook(project, config, env, "goleaklint")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Failed" in run.stdout
    assert "cache/cache.go:9:35: GL101 unbounded-global-map:" in run.stdout, run.stdout

    cache.write_text(LEAKY + PRUNE)
    _stage(project, env, "cache/cache.go")
    run = run_hook(project, config, env, "goleaklint")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout and "GL101" not in run.stdout


def test_hook_reads_the_whole_package_of_a_committed_file(project, config, env) -> None:
    """Only cache.go is passed, yet the delete in its unchanged sibling counts."""
    (project / "cache" / "cache.go").write_text(LEAKY)
    (project / "cache" / "prune.go").write_text("package seed\n" + PRUNE)
    _stage(project, env, ".")
    _git(project, env, "commit", "-q", "-m", "cache with pruning")
    (project / "cache" / "cache.go").write_text(LEAKY.replace("init()", "init() /* setup */"))
    _stage(project, env, "cache/cache.go")
    run = run_hook(project, config, env, "goleaklint")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout


def test_hooks_are_skipped_when_no_go_file_changed(project, config, env) -> None:
    (project / "cache" / "cache.go").write_text(LEAKY)
    _stage(project, env, ".")
    _git(project, env, "commit", "-q", "-m", "leaky cache")
    (project / "README.md").write_text("# project\n")
    _stage(project, env, "README.md")
    run = run_hook(project, config, env, "goleaklint")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "(no files to check)Skipped" in run.stdout, run.stdout
    run = run_hook(project, config, env, "goleaklint-all")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "(no files to check)Skipped" in run.stdout, run.stdout
    assert "GL101" not in run.stdout


def test_whole_repo_hook_checks_unchanged_packages(project, config, env) -> None:
    """goleaklint-all analyses the repository when any Go file changes; goleaklint does not."""
    (project / "cache" / "cache.go").write_text(LEAKY)
    _stage(project, env, ".")
    _git(project, env, "commit", "-q", "-m", "leaky cache")
    (project / "util").mkdir()
    util = "package util\n\nfunc Double(n int) int { return 2 * n }\n"
    (project / "util" / "util.go").write_text(util)
    _stage(project, env, "util/util.go")

    run = run_hook(project, config, env, "goleaklint")
    assert run.returncode == 0, run.stdout + run.stderr

    run = run_hook(project, config, env, "goleaklint-all")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "cache/cache.go:9:35: GL101 unbounded-global-map:" in run.stdout, run.stdout


def test_no_progress_bar_in_pre_commit_even_in_a_terminal(project, config, env) -> None:
    """With colour on, pre-commit runs hooks in a pseudo-terminal: stderr is a TTY there, and a
    run over more than 200 files is "long", yet the hook's output must stay a plain log."""
    for i in range(205):
        (project / "cache" / f"f{i:03}.go").write_text(f"package seed\n\nfunc F{i}() {{}}\n")
    (project / "cache" / "cache.go").write_text(LEAKY)
    _stage(project, env, ".")
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--config", str(config), "goleaklint",
         "--color=always"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "GL101 unbounded-global-map" in run.stdout, run.stdout
    assert "goleaklint [" not in run.stdout + run.stderr
    assert "files\r" not in run.stdout and "\r\x1b" not in run.stdout
