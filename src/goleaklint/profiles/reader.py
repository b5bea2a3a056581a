"""``load(path)``: a profile whatever its format, detected by content (gzip or not; pprof
protobuf, or a goroutine dump in text)."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

from . import dump
from .model import Profile, ProfileError

MAX_BYTES = 1 << 30  # uncompressed: a profile larger than 1 GiB is refused, not read
_GZIP = b"\x1f\x8b"


def load(path: Path) -> Profile:
    """The profile in ``path``; OSError when it cannot be read, ProfileError when it is not a
    profile goleaklint reads."""
    with open(path, "rb") as f:  # a FIFO too: --profile <(curl …/debug/pprof/heap)
        data = f.read(MAX_BYTES + 1)
    if data[:2] == _GZIP:
        data = _gunzip(data)
    if len(data) > MAX_BYTES:
        raise ProfileError(f"larger than {MAX_BYTES >> 30} GiB uncompressed")
    if not data.strip():
        raise ProfileError("empty file")
    if _is_text(data):
        text = data.decode("utf-8", "replace")
        if not dump.looks_like_dump(text):
            raise ProfileError("not a pprof profile nor a goroutine dump (text without goroutines)")
        return dump.parse(text, path)
    from . import pprof  # google.protobuf, only now

    return pprof.parse(data, path)


def _gunzip(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(MAX_BYTES + 1)
    except EOFError:
        raise ProfileError("truncated gzip data") from None
    except (OSError, zlib.error) as exc:
        raise ProfileError(f"corrupt gzip data ({exc})") from None
    return out


def _is_text(data: bytes) -> bool:
    """No NUL and no control byte but tab, newline and carriage return in the first 4 KiB."""
    sample = data[:4096]
    return not any(b < 32 and b not in (9, 10, 13) for b in sample)

