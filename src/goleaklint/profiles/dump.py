"""Goroutine dumps in text: ``/debug/pprof/goroutine?debug=1`` (stacks with a count each) and
``?debug=2``, SIGQUIT or panic output (one block per goroutine: ``goroutine 18 [chan send,
5 minutes]:`` then function and ``file:line`` pairs, then ``created by``)."""

from __future__ import annotations

import re
from pathlib import Path

from .model import GOROUTINE, Frame, Profile, ProfileError, Sample

# Go 1.26's goroutine-leak profile prints its debug=1 form with "goroutineleak profile:".
DEBUG1_HEADER = re.compile(r"^goroutine(?:leak)? profile: total \d+\s*$", re.MULTILINE)
_DEBUG1_STACK = re.compile(r"^(\d+) @(?: 0x[0-9a-f]+)*\s*$")
_DEBUG1_FRAME = re.compile(r"^#\s+0x[0-9a-f]+\s+(\S+?)\+0x[0-9a-f]+\s+(.+):(\d+)\s*$")
# Go 1.23 adds fields before the bracket with GOTRACEBACK=system (gp=0x… m=0 mp=0x…).
GOROUTINE_HEADER = re.compile(r"^goroutine (\d+)(?: [^\[\n]*)? \[([^\]\n]*)\]:\s*$", re.MULTILINE)
_FILE_LINE = re.compile(r"^\t(.+):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=.*)?\s*$")
_MINUTES = re.compile(r"^(\d+) minutes?$")


def looks_like_dump(text: str) -> bool:
    return bool(DEBUG1_HEADER.search(text) or GOROUTINE_HEADER.search(text))


def parse(text: str, path: Path) -> Profile:
    """A goroutine profile from a dump's text (debug=1 when it has its header, else blocks)."""
    profile = Profile(path=path, kind=GOROUTINE, format="goroutine dump")
    profile.samples = _debug1(text) if DEBUG1_HEADER.search(text) else _blocks(text)
    if not profile.samples:
        raise ProfileError("not a goroutine dump (no goroutine found)")
    return profile


def _debug1(text: str) -> list[Sample]:
    samples: list[Sample] = []
    frames: list[Frame] = []
    count = 0
    for line in [*text.splitlines(), ""]:
        stack = _DEBUG1_STACK.match(line)
        frame = _DEBUG1_FRAME.match(line)
        if frame and count:
            frames.append(Frame(frame[1], frame[2], int(frame[3])))
        elif stack or not line.strip():
            if count:
                samples.append(Sample(tuple(frames), goroutines=count))
            count, frames = (int(stack[1]), []) if stack else (0, [])
    return samples


def _function(line: str) -> str:
    """The function of a frame line: ``main.(*T).run(0xc000010000, ...)`` → ``main.(*T).run``;
    ``created by main.serve in goroutine 7`` → ``main.serve``."""
    line = line.strip()
    if line.startswith("created by "):
        return line[len("created by "):].split(" in goroutine ")[0].strip()
    if line.endswith(")"):  # the arguments: the last balanced parenthesised group
        depth = 0
        for i in range(len(line) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(line[i], 0)
            if depth == 0:
                return line[:i]
    return line


def _blocks(text: str) -> list[Sample]:
    samples = []
    headers = list(GOROUTINE_HEADER.finditer(text))
    for i, header in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        lines = text[header.end():end].splitlines()
        frames = []
        for j, line in enumerate(lines):
            where = _FILE_LINE.match(line)
            if where and j > 0 and lines[j - 1].strip() and not lines[j - 1].startswith("\t"):
                frames.append(Frame(_function(lines[j - 1]), where[1], int(where[2])))
        parts = [p.strip() for p in header[2].split(",")]
        minutes = max((int(m[1]) for p in parts[1:] if (m := _MINUTES.match(p))), default=0)
        samples.append(Sample(tuple(frames), goroutines=1, wait=parts[0], wait_minutes=minutes))
    return samples
