"""The key of a package's entry in the result cache (``goleaklint.cache``).

It covers whatever decides the package's result but the content of the files the analysis
reads (those are recorded in the entry, ``goleaklint.inputs``, and checked on each lookup):

* goleaklint: its version and a digest of its own source files, so that a development install
  never reads an entry an older state of its code wrote; the parser (tree-sitter and its Go
  grammar) and the Python that runs it;
* the rules known (the catalog: metadata, and a digest of the code of each plugin's rules) and
  the plugins installed with their versions;
* the configuration in force for the package: the rules that run, their options, which are
  named (their opt-in shapes are kept), the Go version set, and the switches that change what
  the engine does (``GOLEAKLINT_NO_GATES``, ``GOLEAKLINT_STRICT_FACTS``);
* the package: its folder, name and module (path, ``go`` directive, go.mod), and its files
  with what discovery decided of each (reported or context, generated).

The digests of code are computed once per process.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .discover import PackageFiles
from .rule import Rule

FORMAT = 1  # of the key and of the entries; bumped when either changes shape
ENGINE_SWITCHES = ("GOLEAKLINT_NO_GATES", "GOLEAKLINT_STRICT_FACTS")


def _files_below(folder: Path) -> list[Path]:
    """The files below ``folder`` but compiled bytecode, sorted."""
    found = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        found += [Path(directory, f) for f in files if not f.endswith((".pyc", ".pyo"))]
    return sorted(found)


def _digest_files(paths: Iterable[Path], base: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    for path in paths:
        name = os.fsencode(path.relative_to(base))
        data = path.read_bytes()
        h.update(b"%d:%s%d:" % (len(name), name, len(data)))
        h.update(data)
    return h.hexdigest()


def _module_digest(name: str) -> str | None:
    """A digest of the code of the top-level module or package ``name`` (None: not found)."""
    module = sys.modules.get(name)
    locations = list(getattr(module, "__path__", None) or [])
    try:
        if locations:
            return "+".join(_digest_files(_files_below(Path(p)), Path(p)) for p in locations)
        file = getattr(module, "__file__", None)
        return _digest_files([Path(file)], Path(file).parent) if file else None
    except OSError:
        return None


@cache
def tool_identity() -> str:
    """goleaklint's version and code, its parser's, and Python's (once per process)."""
    import tree_sitter
    import tree_sitter_go

    own = Path(__file__).parent
    parts = [f"goleaklint {__version__}", _digest_files(_files_below(own), own),
             sys.version, sys.implementation.cache_tag or ""]
    for module in (tree_sitter, tree_sitter_go):
        folder = Path(module.__file__ or "").parent
        parts.append(f"{module.__name__} {getattr(module, '__version__', '')} "
                     f"{_digest_files(_files_below(folder), folder)}")
    return json.dumps(parts)


@cache
def _plugin_code(top: str) -> str | None:
    return _module_digest(top)


def catalog_identity(catalog: list[type[Rule]]) -> str | None:
    """The rules known and the plugins installed (None when a rule's code cannot be found:
    nothing is cached then)."""
    from .entrypoints import entry_points
    from .plugins import ENTRY_POINT_GROUP

    rules: list[Any] = []
    for rule in catalog:
        module = rule.__module__
        code = ""
        if module != "goleaklint" and not module.startswith("goleaklint."):
            found = _plugin_code(module.partition(".")[0])
            if found is None:
                return None
            code = found
        options = {name: repr(option.default) for name, option in sorted(rule.options.items())}
        rules.append([rule.id, rule.name, rule.level, rule.tier, rule.precision,
                      rule.suppressible, module, rule.__qualname__, options, code])
    plugins = sorted(
        [ep.name, ep.value, getattr(ep.dist, "name", ""), getattr(ep.dist, "version", "")]
        for ep in entry_points(group=ENTRY_POINT_GROUP)
    )
    return json.dumps([rules, plugins])


def config_identity(config: Config, rules: list[type[Rule]]) -> list[Any]:
    """What of ``config`` the analysis with ``rules`` (the enabled ones) depends on."""
    ran = sorted(rule.id for rule in rules)
    return [
        ran,
        {rid: {k: repr(v) for k, v in sorted(config.rule_options.get(rid, {}).items())}
         for rid in ran},
        [rid for rid in ran if config.names(rid)],
        list(config.go_version) if config.go_version is not None else None,
        [os.environ.get(name, "") for name in ENGINE_SWITCHES],
    ]


def package_identity(pf: PackageFiles) -> list[Any] | None:
    """What discovery decided of the package (None when a file's source was handed in)."""
    if any(f.source is not None for f in pf.files):
        return None
    module = pf.module
    return [
        os.fsdecode(pf.directory), pf.name,
        [module.path, list(module.go_version) if module.go_version else None,
         os.fsdecode(module.gomod) if module.gomod is not None else None,
         module.error, module.warning],
        [[os.fsdecode(f.path), f.reported, f.generated] for f in pf.files],
    ]


def entry_key(run: str, config: list[Any], package: list[Any]) -> str:
    """The name of a package's entry: a digest of the run's, configuration's and package's
    parts (``run``: ``tool_identity`` and ``catalog_identity``, computed once)."""
    text = json.dumps([FORMAT, run, config, package], ensure_ascii=True)
    return hashlib.blake2b(text.encode("ascii"), digest_size=20).hexdigest()
