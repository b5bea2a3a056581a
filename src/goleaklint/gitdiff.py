"""The lines changed since a git revision, for ``--new-from-rev`` (golangci-lint's adoption
path): ``git diff`` of the working tree against the revision, staged and unstaged edits alike,
plus the untracked files (not ignored), every line of which is new.

git runs with ``GIT_OPTIONAL_LOCKS=0``, so that asking never rewrites the repository's index.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_HUNK = re.compile(rb"@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_C_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13,
              b'"': 34, b"\\": 92}


class GitError(Exception):
    """git cannot answer: not installed, not a repository, an unknown revision."""


@dataclass
class ChangedLines:
    """Changed lines by file (real paths), and the untracked files, wholly new."""

    lines: dict[str, set[int]] = field(default_factory=dict)
    untracked: set[str] = field(default_factory=set)

    def __contains__(self, where: tuple[Path, int]) -> bool:
        path, line = where
        real = os.path.realpath(path)
        return real in self.untracked or line in self.lines.get(real, ())


def _git(args: list[str], cwd: Path) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed")
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run([git, *args], cwd=cwd, env=env, capture_output=True,
                              stdin=subprocess.DEVNULL, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git ({exc.strerror or exc})") from None
    if proc.returncode != 0:
        message = os.fsdecode(proc.stderr).strip().splitlines()
        raise GitError(message[0] if message else f"git {args[0]} failed")
    return proc.stdout


def _unquote(name: bytes) -> bytes:
    """A file name as git writes it in a diff header: C-quoted when it holds a control
    character, ``"`` or ``\\`` (a plain name with a space ends with a tab)."""
    if not name.startswith(b'"'):
        return name[:-1] if name.endswith(b"\t") else name
    out, i, body = bytearray(), 0, name[1:name.rindex(b'"')]
    while i < len(body):
        c = body[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
        elif body[i + 1:i + 2].isdigit():
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
        else:
            out.append(_C_ESCAPES.get(body[i + 1:i + 2], body[i + 1]))
            i += 2
    return bytes(out)


def parse_diff(diff: bytes, top: Path) -> dict[str, set[int]]:
    """The new-side line numbers of the added lines of a ``git diff --unified=0`` output, by
    the file's real path (``top``: the repository's root, which the diff's paths are below)."""
    lines: dict[str, set[int]] = {}
    current: set[int] | None = None
    line = old_left = new_left = 0
    for raw in diff.split(b"\n"):
        if old_left > 0 or new_left > 0:  # inside a hunk: content, whatever it looks like
            tag = raw[:1]
            if tag == b"+":
                if current is not None:
                    current.add(line)
                line, new_left = line + 1, new_left - 1
            elif tag == b"-":
                old_left -= 1
            elif tag == b" ":
                line, old_left, new_left = line + 1, old_left - 1, new_left - 1
            continue
        if raw.startswith(b"+++ "):
            name = _unquote(raw[4:])
            current = None
            if name.startswith(b"b/"):
                real = os.path.realpath(top / os.fsdecode(name[2:]))
                current = lines.setdefault(real, set())
        elif (match := _HUNK.match(raw)) is not None:
            old_left = int(match[1]) if match[1] is not None else 1
            line = int(match[2])
            new_left = int(match[3]) if match[3] is not None else 1
    return lines


def changed_since(rev: str, where: Path) -> ChangedLines:
    """The lines of the repository holding ``where`` changed since ``rev``."""
    folder = where if where.is_dir() else where.parent
    try:
        top = Path(os.fsdecode(_git(["rev-parse", "--show-toplevel"], folder).rstrip(b"\n")))
    except GitError as exc:
        if "not a git repository" in str(exc):
            raise GitError(f"{where}: not in a git repository") from None
        raise
    if not top.parts:  # a bare repository or inside .git: no working tree
        raise GitError(f"{where}: not in a git repository's working tree")
    if not rev or rev.startswith("-"):
        raise GitError(f"unknown revision {rev!r}")
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    except GitError:
        raise GitError(f"unknown revision {rev!r}") from None
    diff = _git(["-c", "core.quotePath=false", "diff-index", "-p", "--no-color", "--no-ext-diff",
                 "--no-textconv", "--text", "--unified=0", "--find-renames",
                 "--src-prefix=a/", "--dst-prefix=b/", commit.decode("ascii").strip(), "--"],
                top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    return ChangedLines(
        lines=parse_diff(diff, top),
        untracked={os.path.realpath(top / os.fsdecode(name))
                   for name in untracked.split(b"\0") if name},
    )
