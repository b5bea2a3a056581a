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
