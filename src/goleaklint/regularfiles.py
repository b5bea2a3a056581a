"""Reading source files that must be regular files: a FIFO or a device in their place (named
on the command line, or swapped in after discovery) would block the run or never end."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def open_regular(path: Path | str) -> int:
    """A descriptor of ``path`` opened for reading; ``OSError`` ("not a regular file") when it
    is anything else. Opening does not block: ``O_NONBLOCK`` (no effect on regular files)."""
    fd = os.open(path, _FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path | str) -> tuple[bytes, os.stat_result]:
    """The whole content of the regular file at ``path``, with its status taken before
    reading (a later write changes the times)."""
    fd = open_regular(path)
    try:
        st = os.fstat(fd)
        chunks = []
        while chunk := os.read(fd, max(st.st_size, 1 << 16)):
            chunks.append(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)
