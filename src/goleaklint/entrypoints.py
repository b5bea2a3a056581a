"""The entry points of one group, read from the installed distributions' metadata folders.

``importlib.metadata.entry_points(group=…)`` answers the same question, but importing
``importlib.metadata`` costs 30-60 ms (it brings in the ``email`` package, for metadata files
goleaklint never reads): a sixth of a pre-commit run on one file.  This module reads what that
question needs and nothing more: the ``*.dist-info`` and ``*.egg-info`` folders of the
directories on ``sys.path`` and their ``entry_points.txt``, the first distribution of a name
winning, as in ``importlib.metadata``.  A path it does not handle (a zip archive, an import
hook that provides distributions of its own) is handed to ``importlib.metadata``.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass
from importlib import import_module
from importlib.machinery import PathFinder
from typing import Any

_METADATA_DIRS = (".dist-info", ".egg-info")
# As importlib.metadata.EntryPoint.pattern: ``module[:attr.attr] [extras]``.
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


@dataclass(frozen=True)
class Distribution:
    """The distribution an entry point comes from (its name, as its metadata folder spells it,
    and the version in the folder's name: ``name-1.2.dist-info``; empty for an egg-info)."""

    name: str
    version: str = ""


@dataclass(frozen=True)
class EntryPoint:
    """The parts of ``importlib.metadata.EntryPoint`` that plugin loading uses."""

    name: str
    value: str
    group: str
    dist: Distribution | None = None

    def load(self) -> Any:
        """Import the module and return the object the value names."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        module = import_module(match.group("module"))
        attrs = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attrs, module)


def entry_points(group: str) -> list[Any]:
    """The entry points of ``group`` of the distributions importable from ``sys.path``."""
    if not _plain_path():
        from importlib.metadata import entry_points as from_importlib

        return list(from_importlib(group=group))
    found: list[Any] = []
    seen: set[str] = set()
    for entry in sys.path:
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not dot or "." + suffix.lower() not in _METADATA_DIRS:
                continue
            project = stem.partition("-")[0]
            key = re.sub(r"[-_.]+", "_", project).lower()
            if key in seen:
                continue  # an earlier folder of sys.path has this distribution
            seen.add(key)
            folder = os.path.join(directory, name)
            entries = _read(os.path.join(folder, "entry_points.txt"), group)
            if entries:
                version = stem.partition("-")[2] if suffix.lower() == "dist-info" else ""
                dist = Distribution(_project_name(folder) or project, version)
                found.extend(EntryPoint(n, value, group, dist) for n, value in entries)
    return found


def _plain_path() -> bool:
    """True when distributions can only come from folders on ``sys.path``."""
    for finder in sys.meta_path:
        if finder is not PathFinder and callable(getattr(finder, "find_distributions", None)):
            return False
    return not any(entry and os.path.isfile(entry) for entry in sys.path)


def _project_name(folder: str) -> str:
    """The ``Name:`` of a metadata folder's METADATA (PKG-INFO for eggs), as
    ``Distribution.name`` gives it; empty when unreadable."""
    for file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, file), encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Name:"):
                        return line[len("Name:"):].strip()
                    if not line.strip():
                        break  # the end of the headers
        except OSError:
            continue
    return ""


def _read(path: str, group: str) -> list[tuple[str, str]]:
    """The (name, value) entries of section ``[group]`` of an ``entry_points.txt``."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    section = None
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section != group or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        found.append((name, value))
    return found
