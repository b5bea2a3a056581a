"""Profile frames to analysed files: profiles carry the build machine's paths
(``/home/ci/src/…``, ``/go/pkg/mod/…``, or module-relative ones with ``-trimpath``). A frame maps
to the analysed file whose path (absolute, or module path + path in the module) shares the
longest suffix with the frame's, when exactly one file does, and when the frame's function
belongs to a package of that folder (the check that keeps ``main.go`` of one program from
another's). Ambiguous frames are counted, never guessed."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .model import Frame


@dataclass(frozen=True)
class GoFile:
    """An analysed file: its path, its package's name, and its module (path, folder)."""

    path: Path
    package: str
    module_path: str | None = None
    module_dir: Path | None = None


@dataclass
class Tally:
    """The frame locations (file:line) of a profile seen by ``Mapper``, by outcome."""

    matched: set[tuple[str, int]] = field(default_factory=set)
    unmatched: set[tuple[str, int]] = field(default_factory=set)
    ambiguous: set[tuple[str, int]] = field(default_factory=set)


_VERSION = re.compile(r"^v\d+$")


def function_package(function: str) -> str:
    """The import path of a frame's function (``example.com/m/pkg.(*T).M`` → ``example.com/m/pkg``;
    dots in the path's last element are written ``%2e`` by the linker; a generic function's type
    arguments, ``pkg.Map[go.shape.*example.com/x.T]``, are not part of it)."""
    function = function.split("[", 1)[0]
    slash = function.rfind("/")
    dot = function.find(".", slash + 1)
    return (function[:dot] if dot >= 0 else function).replace("%2e", ".")


class Mapper:
    """Maps frames to ``GoFile``s; remembers per profile what it could not map."""

    def __init__(self, files: list[GoFile]) -> None:
        self._by_name: dict[str, list[tuple[GoFile, list[tuple[str, ...]]]]] = {}
        for f in files:
            spellings = [PurePosixPath(Path(os.path.abspath(f.path)).as_posix()).parts]
            if f.module_path and f.module_dir is not None:
                try:
                    inner = Path(os.path.abspath(f.path)).relative_to(
                        os.path.abspath(f.module_dir))
                    spellings.append((*f.module_path.split("/"), *inner.parts))
                except ValueError:
                    pass
            self._by_name.setdefault(f.path.name, []).append((f, spellings))
        self._cache: dict[tuple[str, str], GoFile | bool | None] = {}

    def map(self, frame: Frame, tally: Tally) -> GoFile | None:
        """The analysed file of ``frame``, or None (counted in ``tally`` as unmatched or
        ambiguous)."""
        key = (frame.file, frame.function)
        found = self._cache.get(key)
        if found is None and key not in self._cache:
            found = self._cache[key] = self._lookup(frame)
        where = (frame.file, frame.line)
        if isinstance(found, GoFile):
            tally.matched.add(where)
            return found
        (tally.ambiguous if found is True else tally.unmatched).add(where)
        return None

    def _lookup(self, frame: Frame) -> GoFile | bool | None:
        """The file, None when nothing matches, True when several match equally well."""
        parts = PurePosixPath(frame.file.replace("\\", "/")).parts
        if not parts:
            return None
        best: list[GoFile] = []
        best_score = 0
        for candidate, spellings in self._by_name.get(parts[-1], []):
            if not _same_package(frame.function, candidate):
                continue
            score = max(_common_suffix(parts, s) for s in spellings)
            if score > best_score:
                best, best_score = [candidate], score
            elif score == best_score:
                best.append(candidate)
        if len(best) > 1:
            return True
        return best[0] if best else None


def _common_suffix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _same_package(function: str, f: GoFile) -> bool:
    """Whether ``function`` can be code of ``f``'s package: ``main.x`` for package main,
    else an import path ending in the folder's name or the package's (``/v2`` skipped)."""
    package = function_package(function)
    if package == "main" or f.package == "main":
        return package == "main" and f.package == "main"
    elements = package.split("/")
    if len(elements) > 1 and _VERSION.match(elements[-1]):
        elements.pop()
    last = elements[-1]
    if last.endswith("_test"):  # external test packages
        last = last[: -len("_test")]
    package_name = f.package.removesuffix("_test")
    return last in (f.path.parent.name, package_name)
