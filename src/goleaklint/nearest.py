"""The configuration nearest to each package (ruff's semantics): every Go package is analysed
with the ``.goleaklint.toml`` nearest above its folder, unless ``--config FILE`` names one for
all; the command line's ``--select``/``--extend-select``/``--ignore`` apply over each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import engine
from .config import Config, config_in, is_repository_root, load_config
from .discover import PackageFiles
from .engine import Result, _finding_order
from .rule import Rule

if TYPE_CHECKING:
    from .cache import ResultCache


class NearestConfigs:
    """Configurations by folder, each file read once; ``adjust`` applies the command line."""

    def __init__(self, rules: dict[str, type[Rule]], adjust: Callable[[Config], Config],
                 first: Config, fixed: bool = False) -> None:
        """``first``: the configuration already read (that of the first PATH, or ``--config``'s
        when ``fixed``: then the only one)."""
        self._rules, self._adjust = rules, adjust
        self._fixed = first if fixed else None
        self._by_folder: dict[Path, Config] = {}
        self._by_file: dict[Path | None, Config] = {first.path: first}
        self._nearest: dict[Path, Path | None] = {}  # resolved folder -> its nearest file

    def used(self) -> list[Config]:
        """The configurations read so far."""
        return [self._fixed] if self._fixed is not None else list(self._by_file.values())

    def for_folder(self, folder: Path) -> Config:
        """The configuration of the packages in ``folder``."""
        if self._fixed is not None:
            return self._fixed
        if folder not in self._by_folder:
            path = self._find(folder)
            if path not in self._by_file:
                self._by_file[path] = self._adjust(load_config(path, self._rules))
            self._by_folder[folder] = self._by_file[path]
        return self._by_folder[folder]

    def _find(self, folder: Path) -> Path | None:
        """``find_config(folder)``, each folder above looked at once for all packages."""
        current = folder.resolve()
        chain = []
        while current not in self._nearest:
            chain.append(current)
            found = config_in(current)
            if found is not None or current.parent == current or is_repository_root(current):
                break
            current = current.parent
        else:
            found = self._nearest[current]
        for below in chain:
            self._nearest[below] = found
        return found

    def excludes(self, path: Path) -> bool:
        """Whether the configuration of ``path``'s folder excludes it (discovery's predicate)."""
        return self.for_folder(path.parent).excludes(path)

    def groups(self, packages: list[PackageFiles]) -> list[tuple[Config, list[PackageFiles]]]:
        """The packages by the configuration they are analysed with, in first-seen order."""
        out: dict[int, tuple[Config, list[PackageFiles]]] = {}
        for pf in packages:
            config = self.for_folder(pf.directory)
            out.setdefault(id(config), (config, []))[1].append(pf)
        return list(out.values())


def analyze_nearest(groups: list[tuple[Config, list[PackageFiles]]], catalog: list[type[Rule]],
                    jobs: int, progress: Callable[[int], None] | None = None,
                    cache: ResultCache | None = None) -> Result:
    """``engine.analyze`` for each group with the rules its configuration enables."""
    result = Result()
    for config, packages in groups:
        rules = [r for r in catalog if config.enabled(r)]
        result.extend(engine.analyze(packages, rules, config, jobs, catalog=catalog,
                                     progress=progress, cache=cache))
    result.findings = sorted(result.findings, key=_finding_order)
    result.notices = sorted(result.notices, key=lambda n: n.sort_key)
    return result
