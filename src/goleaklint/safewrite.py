"""Writing a file goleaklint was asked to write (``--output``, ``--write-baseline``, ``--fix``)
without replacing what stands at the path:

* a regular file, or a new one: written to a temporary file beside it and renamed over it, so
  that an interrupted run never leaves it truncated; a replaced file keeps its mode and owner;
* a symbolic link, or a chain of them: followed, and its final target written as above (the
  links stay); a dangling link creates its target, as a shell's ``>`` does, when the target's
  folder exists;
* a FIFO, a device, a socket, the file our standard output or error goes to (``/dev/stdout``),
  a file with other hard links, or one whose owner cannot be kept: opened and written through,
  never replaced;
* a directory, a missing folder (folders are never created): an ``OSError``.

Every failure is an ``OSError`` whose ``strerror`` says what went wrong in a few words.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from pathlib import Path


def write_file(path: Path, data: bytes) -> None:
    """Put ``data`` in the file at ``path`` (see the module's docstring for what "in" means)."""
    try:
        st = os.stat(path)  # follows links as open() would, /proc's magic ones included
    except FileNotFoundError:
        st = None
    if st is None:
        real = Path(os.path.realpath(path))
        if not real.parent.is_dir():
            folder = real.parent if os.path.islink(path) else path.parent
            raise OSError(errno.ENOENT, f"No such folder: {folder}")
        _replace(real, data, None)
    elif stat.S_ISDIR(st.st_mode):
        raise OSError(errno.EISDIR, os.strerror(errno.EISDIR))
    elif not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
        _write_through(path, data, append=False)
    elif _is_standard_stream(st):  # after what the stream wrote, as the stream would
        _write_through(path, data, append=True)
    else:
        real = Path(os.path.realpath(path))
        try:
            same = os.path.samestat(os.stat(real), st)
        except OSError:
            same = False
        if same:
            _replace(real, data, st)
        else:  # a link /proc resolves that no path names (a deleted file): write in place
            _write_through(path, data, append=False)


def _is_standard_stream(st: os.stat_result) -> bool:
    """Whether ``st`` is the file our standard output or error already writes to."""
    for stream in (sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            if stream is not None and os.path.samestat(os.fstat(stream.fileno()), st):
                return True
    return False


def _write_through(path: Path, data: bytes, append: bool) -> None:
    """Open what is at ``path`` and write: a FIFO's reader, a device, a stream get the bytes."""
    with open(path, "ab" if append else "wb") as fh:
        fh.write(data)


def _replace(path: Path, data: bytes, old: os.stat_result | None) -> None:
    """Write a temporary file in ``path``'s folder and rename it over ``path``, with the mode
    and owner of ``old`` (the file replaced) or those a plain ``open`` would give."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            mine = os.fstat(fh.fileno())
        if old is not None and (old.st_uid, old.st_gid) != (mine.st_uid, mine.st_gid):
            try:
                os.chown(tmp, old.st_uid, old.st_gid)
            except PermissionError:  # replacing would hand the file to us: write it instead
                os.unlink(tmp)
                _write_through(path, data, append=False)
                return
        os.chmod(tmp, stat.S_IMODE(old.st_mode) if old is not None else _new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
