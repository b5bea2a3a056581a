"""What goleaklint keeps of a profile: samples of frames with the numbers that apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HEAP, GOROUTINE = "heap", "goroutine"


class ProfileError(Exception):
    """A file that is not a profile goleaklint reads (the message says why, one line)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a stack: the function (package-path qualified) and its file and line."""

    function: str
    file: str
    line: int


@dataclass(slots=True)  # a large profile holds hundreds of thousands
class Sample:
    """A stack (innermost frame first) and what was measured there: live (or allocated) bytes
    and objects for heap profiles, goroutines with their wait reason and wait time for
    goroutine profiles and dumps (``wait_minutes`` is what the runtime printed, 0 below one)."""

    frames: tuple[Frame, ...]
    bytes: int = 0
    objects: int = 0
    goroutines: int = 0
    wait: str = ""
    wait_minutes: int = 0

    def value(self, kind: str) -> int:
        """The number a profile of ``kind`` ranks by: bytes (heap) or goroutines."""
        return self.bytes if kind == HEAP else self.goroutines


@dataclass
class Profile:
    """A profile read from ``path``: its ``kind`` (heap or goroutine), its ``format`` (a word
    for messages: ``profile`` or ``goroutine dump``) and, for heap profiles, whether the numbers
    are ``live`` (inuse_*) or ``allocated`` (alloc_*)."""

    path: Path
    kind: str
    format: str
    samples: list[Sample] = field(default_factory=list)
    measure: str = "live"

    @property
    def total(self) -> int:
        return sum(s.value(self.kind) for s in self.samples)

    @property
    def label(self) -> str:
        """``profile heap.pb.gz``, ``goroutine dump goroutines.txt``: how messages name it."""
        return f"{self.format} {self.path.name}"
