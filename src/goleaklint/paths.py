"""How paths are shown: relative to the current directory when below it (compiler style)."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (default: the current directory) when below it, POSIX style."""
    base = (root or Path.cwd()).resolve()
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()


def utf8_path(path: Path, root: Path | None = None) -> str:
    """``display_path`` as text that is always valid UTF-8, for JSON: ``%`` and each byte of
    the name that is not UTF-8 are percent-encoded (``%25``, ``%E9``), everything else is kept.
    ``urllib.parse.unquote_to_bytes`` gives back the name's exact bytes."""
    shown = display_path(path, root)
    if "%" not in shown and not any("\udc80" <= c <= "\udcff" for c in shown):
        return shown
    return "".join(
        f"%{ord(c) - 0xDC00:02X}" if "\udc80" <= c <= "\udcff" else "%25" if c == "%" else c
        for c in shown
    )
