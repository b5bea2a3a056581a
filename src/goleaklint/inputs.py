"""What a package's analysis read, so that the result cache (``goleaklint.cache``) can tell
whether a stored result still holds: each file with its identity (size, times, inode) and a
digest of the bytes the analysis saw, and each folder listing the analysis depended on.

Reads go through ``read`` and listings through ``go_sources``; while a ``recording`` is open
they are noted in it (recordings nest: an inner one's items are ``replay``-ed into the outer).
A read that failed, or source that came from no file, makes the recording incomplete: such a
result is never stored.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .regularfiles import read_regular

# A file whose modification or change time is this close to the moment it was read may still
# be written within the same timestamp tick, unseen by its size and times ("racy git"): its
# identity alone never vouches for its content, which is hashed again.
RACY_NS = 2_000_000_000


def digest(data: bytes) -> str:
    """The content digest of a file's bytes."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


class FileRead(NamedTuple):
    """A file the analysis read: its identity then, and the digest of what it read."""

    path: str
    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int
    digest: str
    settled: bool  # the identity is old enough to vouch for the content (see RACY_NS)

    def same_identity(self, st: os.stat_result) -> bool:
        return self.settled and (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino,
                                 st.st_dev) == (self.size, self.mtime_ns, self.ctime_ns,
                                                self.ino, self.dev)


class Listing(NamedTuple):
    """A folder listing the analysis depended on: the names ``go_sources`` found there."""

    folder: str
    names: tuple[str, ...]


Input = FileRead | Listing


@dataclass
class Recording:
    """The inputs noted while it was open; ``complete`` is False once one could not be."""

    items: list[Input] = field(default_factory=list)
    complete: bool = True


_open: list[Recording] = []


@contextmanager
def recording(enabled: bool = True) -> Iterator[Recording]:
    """Note the inputs read until the block ends (nothing when not ``enabled``)."""
    rec = Recording()
    if not enabled:
        yield rec
        return
    _open.append(rec)
    try:
        yield rec
    finally:
        _open.remove(rec)


def replay(items: tuple[Input, ...], complete: bool = True) -> None:
    """Note inputs recorded earlier (a memoised answer's) in the open recording."""
    if _open:
        _open[-1].items.extend(items)
        _open[-1].complete &= complete


def incomplete() -> None:
    """Something the analysis used came from no file it could note (in-memory source)."""
    if _open:
        _open[-1].complete = False


def identity(path: str, st: os.stat_result, data: bytes, now_ns: int) -> FileRead:
    """A ``FileRead`` of ``data``, read from ``path`` whose status was ``st``."""
    settled = max(st.st_mtime_ns, st.st_ctime_ns) < now_ns - RACY_NS
    return FileRead(path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev,
                    digest(data), settled)


def read(path: Path) -> bytes:
    """The bytes of the file at ``path`` (``OSError`` when it cannot be read), noted."""
    if not _open:
        return read_regular(path)[0]
    now = time.time_ns()
    try:
        data, st = read_regular(path)
    except OSError:
        _open[-1].complete = False
        raise
    _open[-1].items.append(identity(os.fsdecode(path), st, data, now))
    return data


def list_go_sources(folder: Path) -> tuple[str, ...]:
    """The names of the non-test ``.go`` files in ``folder`` that are no folders, sorted."""
    names = []
    for entry in os.scandir(folder):  # (closed once exhausted)
        name = entry.name  # (Path.suffix: ".go" alone is a name without a suffix)
        if name.endswith(".go") and name != ".go" and not name.endswith("_test.go"):
            try:
                if entry.is_dir():  # (through a link, as Path.is_dir)
                    continue
            except OSError:
                pass
            names.append(name)
    return tuple(sorted(names))


def go_sources(folder: Path) -> list[Path]:
    """``list_go_sources`` as paths, noted (``OSError`` when the folder cannot be listed)."""
    try:
        names = list_go_sources(folder)
    except OSError:
        if _open:
            _open[-1].complete = False
        raise
    if _open:
        _open[-1].items.append(Listing(os.fsdecode(folder), names))
    return [folder / name for name in names]


def still_holds(item: Input) -> tuple[bool, Input]:
    """Whether a recorded input is unchanged, and the input as it is now (a file whose
    identity changed but whose content did not gets its new identity)."""
    if isinstance(item, Listing):
        try:
            return list_go_sources(Path(item.folder)) == item.names, item
        except OSError:
            return False, item
    try:
        st = os.stat(item.path)
    except OSError:
        return False, item
    if item.same_identity(st):
        return True, item
    if not stat.S_ISREG(st.st_mode) or st.st_size != item.size:
        return False, item
    now = time.time_ns()
    try:
        data, st = read_regular(item.path)
    except OSError:
        return False, item
    fresh = identity(item.path, st, data, now)
    return fresh.digest == item.digest, fresh
