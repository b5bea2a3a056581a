"""A progress bar on stderr for long audits in a terminal.

Shown only when stderr is a terminal and the run is long (more than ``MIN_FILES`` files, or still
running after ``DELAY`` seconds); never in CI (``CI`` set), under pre-commit (``PRE_COMMIT`` set:
pre-commit runs hooks in a pseudo-terminal to keep their colours) or on a ``dumb`` terminal.
The bar is drawn with carriage returns on one line and erased at the end, so the report and the
summary below it read as without it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO

MIN_FILES = 200
DELAY = 1.0  # seconds
WIDTH = 28
INTERVAL = 0.1  # seconds between redraws


def wanted(stream: TextIO) -> bool:
    """Whether a progress bar may be drawn on ``stream`` at all."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        return False
    if os.environ.get("PRE_COMMIT") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


class Progress:
    """Counts analysed files against ``total`` and draws the bar once the run proves long."""

    def __init__(
        self, stream: TextIO, total: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.clock = clock
        self.started = clock()
        self.enabled = total > 0 and wanted(stream)
        self.shown = 0  # width of what is on the line now
        self.drawn_at = float("-inf")

    def advance(self, files: int) -> None:
        """``files`` more files are analysed."""
        self.done = min(self.total, self.done + files)
        if not self.enabled:
            return
        now = self.clock()
        if not self.shown and self.total <= MIN_FILES and now - self.started < DELAY:
            return
        if now - self.drawn_at < INTERVAL and self.done < self.total:
            return
        self.drawn_at = now
        filled = WIDTH * self.done // self.total
        line = (f"goleaklint [{'#' * filled}{'.' * (WIDTH - filled)}] "
                f"{self.done}/{self.total} files")
        self.stream.write("\r" + line.ljust(self.shown))
        self.stream.flush()
        self.shown = max(self.shown, len(line))

    def close(self) -> None:
        """Erase the bar (nothing happens when it was never shown)."""
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0
