"""What the profiles saw at each finding, and the hot sites no finding explains.

A sample supports a finding when one of its frames (mapped to an analysed file) lies on the
finding's reported span, and the finding's rule has a runtime signal of the profile's kind:
heap samples for the retention rules, GL401 and the timer rules (GL203, GL205); goroutine
samples for GL301-GL304. Each sample counts once per finding.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..discover import PackageFiles
from ..rule import Finding
from .mapping import GoFile, Mapper, Tally
from .model import GOROUTINE, HEAP, Frame, Profile, ProfileError, Sample
from .reader import load

RULES = {
    HEAP: frozenset({"GL101", "GL102", "GL103", "GL401", "GL203", "GL205"}),
    GOROUTINE: frozenset({"GL301", "GL302", "GL303", "GL304"}),
}
# At most 5 sites a profile, each >= 2% of its total: of live heap or parked goroutines (an
# allocation profile's sites are churn, not retention: it has none).
HOT_SITES, HOT_SHARE = 5, 0.02
# Heap samples of goroutine creation (descriptors and stacks): the goroutine profile says where
# those goroutines wait; as heap sites they would point at every `go` statement.
_GOROUTINE_MEMORY = frozenset({"runtime.malg", "runtime.newproc1"})
_UNSEEN: Any = object()


def size(n: int) -> str:
    """``412 MiB``, ``4.69 MiB``, ``950 B``: three significant digits, binary units."""
    value, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            break
        value /= 1024
    if unit == "B":
        return f"{n:,} B"
    return f"{value:.3g} {unit}" if value < 1000 else f"{value:,.0f} {unit}"


def count(n: int) -> str:
    """``2,003`` below ten million, then ``12.3 M``."""
    return f"{n:,}" if n < 10_000_000 else f"{n / 1e6:.1f} M"


def duration(minutes: int) -> str:
    if minutes >= 2 * 1440:
        return f"{minutes // 1440} days"
    if minutes >= 120:
        return f"{minutes // 60} hours"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass
class Tallied:
    """Samples summed: what a finding or a hot site gathered from one profile."""

    bytes: int = 0
    objects: int = 0
    goroutines: int = 0
    waits: Counter[str] = field(default_factory=Counter)
    longest: int = 0

    def add(self, s: Sample) -> None:
        self.bytes += s.bytes
        self.objects += s.objects
        self.goroutines += s.goroutines
        if s.wait:
            self.waits[s.wait] += s.goroutines
        self.longest = max(self.longest, s.wait_minutes)


@dataclass(frozen=True)
class Evidence:
    """One profile's support of a finding (or of a hot site): the JSON fields that apply."""

    profile: str  # the path as given on the command line
    label: str  # profile heap.pb.gz, goroutine dump goroutines.txt
    kind: str
    measure: str  # live or allocated (heap)
    share: float  # of the profile's total (bytes or goroutines)
    bytes: int = 0
    objects: int = 0
    goroutines: int = 0
    wait: str = ""
    longest_wait_minutes: int = 0
    dump: bool = False  # a text dump: wait reasons and times known

    @classmethod
    def of(cls, profile: Profile, shown: str, t: Tallied, total: int) -> Evidence:
        value = t.bytes if profile.kind == HEAP else t.goroutines
        return cls(
            profile=shown, label=profile.label, kind=profile.kind, measure=profile.measure,
            share=value / total if total > 0 else 0.0, bytes=t.bytes, objects=t.objects,
            goroutines=t.goroutines, wait=t.waits.most_common(1)[0][0] if t.waits else "",
            longest_wait_minutes=t.longest, dump=profile.format != "profile",
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"profile": self.profile, "kind": self.kind}
        if self.kind == HEAP:
            out.update(bytes=self.bytes, objects=self.objects)
        else:
            out["goroutines"] = self.goroutines
            if self.wait:
                out["wait"] = self.wait
            if self.dump:
                out["longest_wait_minutes"] = self.longest_wait_minutes
        return out

    def text(self) -> str:
        """``profile heap.pb.gz: 412 MiB live, 1,300,000 objects``;
        ``goroutine dump g.txt: 4,812 goroutines in chan send, up to 3 hours``."""
        if self.kind == HEAP:
            return (f"{self.label}: {size(self.bytes)} {self.measure}, "
                    f"{count(self.objects)} object{'s' if self.objects != 1 else ''}")
        text = f"{self.label}: {count(self.goroutines)} goroutine" + (
            "s" if self.goroutines != 1 else "")
        if self.wait:
            text += f" in {self.wait}"
        if self.longest_wait_minutes:
            text += f", up to {duration(self.longest_wait_minutes)}"
        return text


@dataclass(frozen=True)
class HotSite:
    """A line of the analysed files where a profile's samples gather and no finding is."""

    path: Path
    line: int
    function: str
    evidence: Evidence

    @property
    def short_function(self) -> str:
        """``service.(*Journal).Add`` for ``example.com/m/service.(*Journal).Add``."""
        return self.function.rsplit("/", 1)[-1]

    def text(self) -> str:
        e = self.evidence
        return (f"{e.text()} ({e.share:.0%} of the profile) in {self.short_function}: "
                "no rule explains it")

    def to_json(self, path: str) -> dict[str, Any]:
        return {"kind": "unexplained-hot-site", "path": path, "line": self.line,
                "function": self.function, "share": round(self.evidence.share, 4),
                "message": self.text(), "evidence": self.evidence.to_json()}


@dataclass(frozen=True)
class Summary:
    """How a profile's frame locations (file:line) mapped: reported once per profile."""

    profile: str
    label: str
    kind: str
    samples: int
    matched: int
    unmatched: int
    ambiguous: int

    def text(self) -> str:
        return (f"{self.label}: {self.samples:,} sample{'s' if self.samples != 1 else ''}; "
                f"{self.matched:,} frame location{'s' if self.matched != 1 else ''} in the "
                f"analysed files, {self.unmatched:,} outside them (runtime, standard library, "
                f"other modules), {self.ambiguous:,} ambiguous (not used)")

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "kind": self.kind, "samples": self.samples,
                "frames_matched": self.matched, "frames_unmatched": self.unmatched,
                "frames_ambiguous": self.ambiguous}


@dataclass
class ProfileEvidence:
    """The evidence of a run's profiles: per finding (by identity), hot sites, summaries, and
    one line per profile that could not be used."""

    by_finding: dict[int, list[Evidence]] = field(default_factory=dict)
    hot_sites: list[HotSite] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def of(self, finding: Finding) -> list[Evidence]:
        return self.by_finding.get(id(finding), [])

    def rank(self, finding: Finding) -> float | None:
        """0-100: the largest share of a profile's total the finding holds (None: no evidence)."""
        shares = [e.share for e in self.of(finding)]
        return round(min(100.0, 100 * max(shares)), 1) if shares else None

    def sort_key(self, finding: Finding) -> tuple[float, int]:
        """Most evidence first: the largest share, then bytes and goroutines summed."""
        found = self.of(finding)
        return (-max((e.share for e in found), default=-1.0),
                -sum(e.bytes + e.goroutines for e in found))


def analysed_files(packages: Iterable[PackageFiles]) -> list[GoFile]:
    return [
        GoFile(f.path, p.name, p.module.path, p.module.gomod.parent if p.module.gomod else None)
        for p in packages for f in p.files
    ]


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def gather(
    paths: list[Path], findings: list[Finding], packages: Iterable[PackageFiles],
    shown: Callable[[Path], str] = str, explained: Iterable[Finding] = (),
) -> ProfileEvidence:
    """Read each profile and put its numbers on ``findings``; a profile that cannot be read or
    used adds a line to ``problems`` and nothing else. The lines of ``explained`` (findings
    not reported, a baseline's) are not hot sites either."""
    mapper = Mapper(analysed_files(packages))
    at_path: dict[str, list[Finding]] = {}
    for f in findings:
        at_path.setdefault(_key(f.location.path), []).append(f)
    lines: dict[str, set[int]] = {}
    for f in [*findings, *explained]:
        lines.setdefault(_key(f.location.path), set()).update(
            range(f.location.line, f.location.end_line + 1))
    out = ProfileEvidence()
    for path in paths:
        try:
            profile = load(path)
        except ProfileError as exc:
            out.problems.append(f"{shown(path)}: not used: {exc}")
            continue
        except OSError as exc:
            out.problems.append(f"{shown(path)}: not used: cannot read ({exc.strerror or exc})")
            continue
        _use(profile, shown(path), mapper, at_path, lines, out)
    return out


@dataclass(frozen=True)
class _Mapped:
    """A frame in the analysed files: its file's key and path, and the findings of the
    profile's rules whose span holds its line (worked out once per distinct frame)."""

    key: str
    path: Path
    findings: tuple[int, ...]
    on_a_finding: bool  # its line has a finding, of any rule (or a baselined one)


def _use(profile: Profile, shown: str, mapper: Mapper, at_path: dict[str, list[Finding]],
         lines: dict[str, set[int]], out: ProfileEvidence) -> None:
    rules = RULES[profile.kind]
    tally = Tally()
    per_finding: dict[int, Tallied] = {}
    sites: dict[tuple[str, int], tuple[Path, str, Tallied]] = {}

    def resolve(frame: Frame) -> _Mapped | None:
        g = mapper.map(frame, tally)
        if g is None:
            return None
        key = _key(g.path)
        found = tuple(id(f) for f in at_path.get(key, ()) if f.rule_id in rules
                      and f.location.line <= frame.line <= f.location.end_line)
        return _Mapped(key, g.path, found, frame.line in lines.get(key, ()))

    # By frame identity: a pprof location's frames are shared by all its samples, and a large
    # profile has tens of millions of frames in a few thousand locations.
    memo: dict[int, _Mapped | None] = {}
    for sample in profile.samples:
        supported: set[int] = set()
        first: tuple[_Mapped, Frame] | None = None
        for fr in sample.frames:
            m = memo.get(id(fr), _UNSEEN)
            if m is _UNSEEN:
                m = memo[id(fr)] = resolve(fr)
            if m is not None:
                if first is None:
                    first = (m, fr)
                supported.update(m.findings)
        for i in supported:
            per_finding.setdefault(i, Tallied()).add(sample)
        if supported or first is None or sample.value(profile.kind) <= 0:
            continue
        m, frame = first
        if m.on_a_finding:
            continue  # a line with a finding of another kind is not unexplained
        if any(fr.function in _GOROUTINE_MEMORY for fr in sample.frames):
            continue
        site = sites.setdefault((m.key, frame.line), (m.path, frame.function, Tallied()))
        site[2].add(sample)
    summary = Summary(shown, profile.label, profile.kind, len(profile.samples),
                      len(tally.matched), len(tally.unmatched), len(tally.ambiguous))
    if not tally.matched:
        out.problems.append(
            f"{shown}: not used: none of its {len(tally.unmatched) + len(tally.ambiguous):,} "
            "frame locations is in the analysed files (a profile of another program?)")
        return
    out.summaries.append(summary)
    total = profile.total
    for i, t in per_finding.items():
        out.by_finding.setdefault(i, []).append(Evidence.of(profile, shown, t, total))
    if profile.measure == "allocated":
        return  # what was allocated and freed is churn, not retention: no hot sites
    hot = sorted(
        ((path, line, function, Evidence.of(profile, shown, t, total))
         for (_, line), (path, function, t) in sites.items()),
        key=lambda s: (-s[3].share, str(s[0]), s[1]))
    out.hot_sites += [HotSite(p, line, fn, e) for p, line, fn, e in hot[:HOT_SITES]
                      if e.share >= HOT_SHARE]
