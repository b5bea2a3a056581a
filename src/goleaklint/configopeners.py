"""Openers named in the configuration (GL201's ``openers`` option): other packages' functions
and methods whose first result must be released, and how.

```toml
[rules.GL201]
openers = [
  "example.com/storage.Open",                                  # released with Close
  { call = "github.com/jackc/pgx/v4.Conn.Query", release = "Close" },
  { call = "example.com/pool.Pool.Acquire", release = "Release" },
  { call = "example.com/db.DB.Begin", release = ["Commit", "Rollback"] },
  { call = "example.com/api.Client.Fetch", release = "Body.Close" },  # like an http.Response
]
```

``call`` is an import path, then ``.Func`` or ``.Type.Method`` (exported names: the last one or
two capitalised words are the names, what comes before is the path). ``release`` is a method
name, a list of them (any one releases), or ``Field.Method`` for a value released through a
field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .facts import package_fact
from .model import Package
from .ownership import FILE_LIKE, RESPONSE, TX, Resource

RULE = "GL201"
OPTION = "openers"
SHAPE = ('"import/path.Func", "import/path.Type.Method" or a table '
         '{call = "…", release = "Close"}')
_EXPORTED = re.compile(r"[A-Z]\w*")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_PATH = re.compile(r"[\w.~+-]+(/[\w.~+-]+)*")
_KNOWN_RESOURCES = (FILE_LIKE, RESPONSE, TX)  # the built-in kinds, kept as the same objects


@dataclass(frozen=True)
class ConfiguredOpener:
    """One configured opener: ``package.Func`` (``owner`` empty) or ``package.Owner.Func``."""

    package: str
    owner: str
    func: str
    resource: Resource

    @property
    def key(self) -> str:
        return ".".join(p for p in (self.package, self.owner, self.func) if p)


@dataclass(frozen=True)
class ConfiguredOpeners:
    """The configured openers of a package's configuration, by qualified name."""

    functions: dict[str, Resource] = field(default_factory=dict)  # "path.Func"
    methods: dict[str, Resource] = field(default_factory=dict)  # "path.Type.Method"
    names: frozenset[str] = frozenset()  # the names calls end in: Func, Method
    packages: frozenset[str] = frozenset()  # the import paths they belong to

    def owners_of(self, package: str, method: str) -> list[Resource]:
        """The resources of ``method`` on every configured type of ``package``."""
        prefix, suffix = package + ".", "." + method
        return [r for key, r in self.methods.items() if key.startswith(prefix)
                and key.endswith(suffix) and "." not in key[len(prefix):-len(suffix)]]


EMPTY = ConfiguredOpeners()


def parse_call(call: str) -> tuple[str, str, str] | None:
    """``(import path, type or "", function)`` of ``path.Func`` / ``path.Type.Method``."""
    head, slash, last = call.rpartition("/")
    parts = last.split(".")
    names: list[str] = []
    while len(parts) > 1 and len(names) < 2 and _EXPORTED.fullmatch(parts[-1]):
        names.insert(0, parts.pop())
    path = head + slash + ".".join(parts)
    if not names or not _PATH.fullmatch(path):
        return None
    return path, (names[0] if len(names) == 2 else ""), names[-1]


def parse_release(value: object) -> Resource | str:
    """The resource that ``release`` describes, or why it describes none."""
    methods = [value] if isinstance(value, str) else value
    if not isinstance(methods, list) or not methods or not all(
            isinstance(m, str) for m in methods):
        return "release: expected a method name or a list of them"
    through = {m.rpartition(".")[0] for m in methods}
    names = [m.rpartition(".")[2] for m in methods]
    for method in methods:
        words = method.split(".")
        if len(words) > 2 or not all(_IDENTIFIER.fullmatch(w) for w in words) or not (
                _EXPORTED.fullmatch(words[-1])):
            return f"release: {method!r}: expected an exported method name such as \"Close\" " \
                   "(or \"Field.Method\")"
    if len(through) != 1:
        return "release: every method must be reached through the same field"
    resource = Resource(release_methods=frozenset(names), through_field=through.pop())
    return next((known for known in _KNOWN_RESOURCES if known == resource), resource)


def parse_entry(entry: object) -> ConfiguredOpener | str:
    """One entry of ``openers``, or why it is not one."""
    release: object = "Close"
    if isinstance(entry, dict):
        unknown = sorted(set(entry) - {"call", "release"})
        if unknown:
            return f"unknown key {unknown[0]!r} (known: call, release)"
        if "call" not in entry:
            return "a table needs call = \"import/path.Func\" or \"import/path.Type.Method\""
        call, release = entry["call"], entry.get("release", "Close")
    else:
        call = entry
    if not isinstance(call, str):
        return f"expected {SHAPE}"
    parsed = parse_call(call)
    if parsed is None:
        return f"{call!r}: expected \"import/path.Func\" or \"import/path.Type.Method\" " \
               "(exported names after the import path)"
    resource = parse_release(release)
    if isinstance(resource, str):
        return f"{call!r}: {resource}"
    return ConfiguredOpener(*parsed, resource)


def check_openers(value: Any) -> tuple[str, str] | None:
    """The first invalid entry of an ``openers`` value: (text to find its line by, why)."""
    for entry in value:
        parsed = parse_entry(entry)
        if isinstance(parsed, str):
            needle = entry.get("call", "{") if isinstance(entry, dict) else entry
            return str(needle), parsed
    return None


@package_fact()
def configured_openers(pkg: Package) -> ConfiguredOpeners:
    """The openers the package's configuration names (``[rules.GL201] openers``)."""
    entries = pkg.rule_options.get(RULE, {}).get(OPTION, [])
    parsed = [p for p in map(parse_entry, entries) if isinstance(p, ConfiguredOpener)]
    if not parsed:
        return EMPTY
    return ConfiguredOpeners(
        functions={p.key: p.resource for p in parsed if not p.owner},
        methods={p.key: p.resource for p in parsed if p.owner},
        names=frozenset(p.func for p in parsed),
        packages=frozenset(p.package for p in parsed),
    )
