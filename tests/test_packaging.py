"""What the package declares: its dependencies (with bounds) and a README that works on PyPI.

The built sdist is checked in test_sdist.py.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "goleaklint"
# tomllib is imported where it is the standard library's (Python >= 3.11), tomli before.
STDLIB = sys.stdlib_module_names | {"tomllib"}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _third_party_imports() -> set[str]:
    """Top-level names of the modules the package imports that are neither ours nor stdlib."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in STDLIB and m != "goleaklint"}


def _distributions_by_module() -> dict[str, set[str]]:
    """Top-level module name -> the installed distributions holding it, from their RECORDs
    (``packages_distributions`` reads only top_level.txt before Python 3.11, which attrs lacks)."""
    found: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        for file in dist.files or []:
            top = file.parts[0]
            if len(file.parts) == 1 and file.suffix in (".py", ".so", ".pyd"):
                top = top.split(".")[0]
            elif len(file.parts) == 1 or top.endswith((".dist-info", ".data")) or top == "..":
                continue
            found.setdefault(top, set()).add(canonicalize_name(dist.metadata["Name"]))
    return found


def _requirements() -> dict[str, Requirement]:
    parsed = [Requirement(line) for line in PYPROJECT["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in parsed}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    declared = _requirements()
    distributions = _distributions_by_module()
    undeclared = []
    for module in sorted(_third_party_imports()):
        # A module not installed here (tomli on Python >= 3.11) goes by its own name.
        names = distributions.get(module, {canonicalize_name(module)})
        if not names & declared.keys():
            undeclared.append(f"{module} (from {', '.join(sorted(names))})")
    assert undeclared == []


def test_every_dependency_has_a_lower_and_an_upper_bound() -> None:
    unbounded = [
        str(r) for r in _requirements().values()
        if not ({">=", "<"} <= {s.operator for s in r.specifier})
    ]
    assert unbounded == []


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_readme_links_work_on_pypi_too() -> None:
    """The README is the project's PyPI page: links are absolute, to files this repository has."""
    home = PYPROJECT["project"]["urls"]["Homepage"]
    links = _LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert links
    assert [t for t in links if not t.startswith(("https://", "http://", "#"))] == []
    for target in links:
        for kind in ("blob", "tree"):
            prefix = f"{home}/{kind}/main/"
            if target.startswith(prefix):
                path = ROOT / target[len(prefix):].split("#")[0]
                assert path.is_file() if kind == "blob" else path.is_dir(), target
