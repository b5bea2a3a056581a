"""One output line per item, whatever the Go code or the file names hold.

Messages quote Go code (a raw string literal may span lines) and name files (a file name may
hold a newline). A CI runner reads its log line by line and executes what looks like a command:
GitHub Actions runs any line that starts with ``::`` (after blanks) and any ``##[command]``
anywhere in a line. Everything printed passes through ``one_line``; a line that starts with a
path also through ``line_start``.
"""

from __future__ import annotations

import re

# Line breaks (those of str.splitlines, a terminal's and a runner's) and the other control
# characters but tab; and the legacy workflow-command prefix ``##[``.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]|##\\[")
_NAMED = {"\n": "\\n", "\r": "\\r", "##[": "##\\x5b"}


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def one_line(text: str) -> str:
    """``text`` as one line: line breaks and control characters written as escapes (``\\n``,
    ``\\r``, ``\\x1b``, ``\\u2028``), and ``##[`` as ``##\\x5b``; anything else unchanged."""
    return text if _UNSAFE.search(text) is None else _UNSAFE.sub(_escape, text)


def line_start(shown_path: str) -> str:
    """A path that begins an output line, made one line, with ``./`` before it when it would
    otherwise read as a workflow command (a file named ``::error::x.go``)."""
    shown = one_line(shown_path)
    return "./" + shown if shown.lstrip().startswith("::") else shown
