"""``.goleaklint.toml``: the one nearest to each package (``goleaklint.nearest``), or
``--config FILE``.

```toml
select = ["GL1", "GL201"]      # IDs, prefixes or ALL; default: every default-tier rule
extend-select = ["GL103"]      # added to select (an opt-in rule runs only when named)
ignore = ["GL205"]
exclude = ["gen/**", "**/*_mock.go"]
exclude-tests = false           # _test.go files are analysed by default
go-version = "1.22"             # overrides the go.mod directive
extend = "../.goleaklint.toml"  # inherit another file's settings; this file's win

[rules.GL401]
large-size = 1048576
```
"""

from __future__ import annotations

import fnmatch
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .rule import Rule
from .selection import enabled, matches_any, names

CONFIG_NAME = ".goleaklint.toml"
_GO_VERSION = re.compile(r"^(\d+)\.(\d+)(\.\d+)?$")


class ConfigError(Exception):
    """A configuration problem, reported as one line naming file, line and key."""


@dataclass
class Config:
    """The effective configuration."""

    path: Path | None = None
    select: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    exclude_tests: bool = False
    go_version: tuple[int, int] | None = None
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ``extend``: the files this one inherits from, nearest first; the folder of the file whose
    # ``exclude`` is in force (its globs are relative to it: None, this file's)
    extends: list[Path] = field(default_factory=list)
    exclude_root: Path | None = None
    go_version_from: Path | None = None  # the file that set go-version (None: this one)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def enabled(self, rule: type[Rule]) -> bool:
        """Whether a rule runs under select/extend-select/ignore and its tier
        (``goleaklint.selection``: the most specific selector wins)."""
        return enabled(rule.id, rule.tier == "opt-in", self.select, self.extend_select,
                       self.ignore)

    def names(self, rule_id: str) -> bool:
        """Whether select/extend-select name the rule (its ID, or a prefix with a digit): its
        opt-in shapes are then reported too (``goleaklint.selection.names``)."""
        return any(names(s, rule_id) for s in (*self.select, *self.extend_select))

    def excludes(self, path: Path) -> bool:
        """True when a file is excluded by the globs (relative to the config's folder) or tests."""
        if self.exclude_tests and path.name.endswith("_test.go"):
            return True
        if not self.exclude:
            return False
        try:
            rel = path.resolve().relative_to((self.exclude_root or self.root).resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        return any(
            fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(rel, g.rstrip("/") + "/*")
            for g in self.exclude
        )


def find_config(start: Path) -> Path | None:
    """The nearest ``.goleaklint.toml`` in ``start`` or its parents, up to the repository root
    (a folder holding ``.git``): a file above the repository is not its configuration.

    One that is there but cannot be a configuration file (a folder, a dangling link) is an
    error rather than passed over for one further up.
    """
    current = start.resolve()
    if not _is_dir(current):  # a file, or a device or FIFO named on the command line
        current = current.parent
    for folder in (current, *current.parents):
        found = config_in(folder)
        if found is not None or is_repository_root(folder):
            return found
    return None


def is_repository_root(folder: Path) -> bool:
    """``folder`` is the top of a git repository (or worktree): it holds ``.git``."""
    try:
        return (folder / ".git").exists()
    except OSError:
        return False


def config_in(folder: Path) -> Path | None:
    """The ``.goleaklint.toml`` in ``folder`` itself (``find_config``'s look at one folder)."""
    candidate = folder / CONFIG_NAME
    try:
        mode = candidate.stat().st_mode
    except FileNotFoundError:
        if candidate.is_symlink():
            raise ConfigError(f"{candidate}: cannot read (a dangling symbolic link)") from None
        return None
    except PermissionError:
        return None  # a folder we may not look into: as if there were no file (discovery warns)
    except OSError as exc:
        raise ConfigError(f"{candidate}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISREG(mode):
        return candidate
    kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
    raise ConfigError(f"{candidate}: {kind}, not a configuration file")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder we may not look into: as if there were no file (discovery warns)
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a folder we may not look into: its own config is not readable either
        return True


def _line_of(source: str, key: str) -> int:
    for i, line in enumerate(source.splitlines(), 1):
        if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line) or line.strip() == f"[{key}]":
            return i
    return 1


def _line_of_value(source: str, key: str, value: str) -> int:
    """The line of ``value`` in the list of ``key`` (the key's line when not found as is)."""
    start = _line_of(source, key)
    for i, line in enumerate(source.splitlines()[start - 1:], start):
        if value in line:
            return i
    return start


def _unbalanced_bracket(pattern: str) -> bool:
    """Whether a ``[`` opens a set that no ``]`` closes (fnmatch would read it literally)."""
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i] == "[":
            j = i + 1
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":  # a first ] belongs to the set
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                return True
            i = j
        i += 1
    return False


def exclude_glob(pattern: str) -> tuple[str | None, str]:
    """An ``exclude`` pattern as matched (``./gen/**`` is ``gen/**``), or None and why it could
    never match a path relative to the configuration file's folder."""
    if pattern.startswith("/"):
        return None, ("absolute: patterns are relative to the folder of the configuration "
                      f"file (write {pattern.lstrip('/')!r})")
    parts = pattern.split("/")
    if ".." in parts:
        return None, "a pattern cannot reach above the folder of the configuration file"
    if _unbalanced_bracket(pattern):
        return None, "unbalanced '[' (write '[[]' for a literal '[')"
    kept = [part for part in parts if part not in ("", ".")]
    if not kept:
        return None, "the pattern names no file (write '**' to exclude everything)"
    return "/".join(kept) + ("/" if pattern.endswith("/") else ""), ""


def load_config(path: Path | None, rules: dict[str, type[Rule]],
                _extending: tuple[Path, ...] = ()) -> Config:
    """Read and validate a configuration file (None: the defaults), with the files it extends
    (``extend``, ruff's semantics: the base's settings, then this file's over them)."""
    if path is None:
        return Config()
    try:
        raw = path.read_bytes()
        source = raw.decode("utf-8")
        data = tomllib.loads(source)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 (byte {raw[exc.start]:#04x})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None

    def fail(key: str, why: str, line_key: str | None = None) -> ConfigError:
        return ConfigError(f"{path}:{_line_of(source, line_key or key)}: {key}: {why}")

    config = Config(path=path)
    base: Config | None = None
    if "extend" in data:
        base = _load_base(path, data["extend"], rules, _extending, fail)
    for key, value in data.items():
        if key == "extend":
            continue
        if key in ("select", "extend-select", "ignore"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(key, "expected a list of rule IDs or prefixes")
            for code in value:
                if not matches_any(code.upper(), rules):
                    raise fail(key, f"{code!r} matches no rule")
            setattr(config, key.replace("-", "_"), [v.upper() for v in value])
        elif key == "exclude":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(key, "expected a list of glob patterns")
            for pattern in value:
                glob, why = exclude_glob(pattern)
                if glob is None:
                    line = _line_of_value(source, key, pattern)
                    raise ConfigError(f"{path}:{line}: {key}: {pattern!r}: {why}")
                config.exclude.append(glob)
        elif key == "exclude-tests":
            if not isinstance(value, bool):
                raise fail(key, "expected true or false")
            config.exclude_tests = value
        elif key == "go-version":
            m = _GO_VERSION.match(value) if isinstance(value, str) else None
            if not m:
                raise fail(key, 'expected a Go version such as "1.22"')
            config.go_version = (int(m.group(1)), int(m.group(2)))
        elif key == "rules":
            if not isinstance(value, dict):
                raise fail(key, "expected tables [rules.<ID>]")
            for rule_id, options in value.items():
                rule = rules.get(rule_id.upper())
                where = f"rules.{rule_id}"
                if rule is None:
                    raise fail(where, "no such rule", where)
                if not isinstance(options, dict):
                    raise fail(where, "expected a table of options", where)
                for name, opt_value in options.items():
                    spec = rule.options.get(name)
                    if spec is None:
                        known = ", ".join(sorted(rule.options)) or "none"
                        raise fail(f"{where}.{name}", f"unknown option (known: {known})", name)
                    if not isinstance(opt_value, spec.type) or isinstance(opt_value, bool) != (
                        spec.type is bool
                    ):
                        raise fail(f"{where}.{name}", f"expected {spec.type.__name__}", name)
                    if spec.type in (int, float) and isinstance(opt_value, (int, float)) and (
                        opt_value <= 0  # (the instance check holds: spec.type is one of them)
                    ):
                        raise fail(f"{where}.{name}",
                                   f"expected a positive number, found {opt_value}", name)
                    problem = spec.check(opt_value) if spec.check is not None else None
                    if problem is not None:
                        line = _line_of_value(source, name, problem[0])
                        raise ConfigError(f"{path}:{line}: {where}.{name}: {problem[1]}")
                config.rule_options[rule.id] = dict(options)
        else:
            raise fail(key, "unknown key (known: select, extend-select, ignore, exclude, "
                       "exclude-tests, go-version, rules, extend)")
    return config if base is None else _merged(base, config, set(data))


def _load_base(path: Path, value: object, rules: dict[str, type[Rule]],
               extending: tuple[Path, ...], fail: Any) -> Config:
    """The configuration ``extend = value`` names (relative to ``path``'s folder)."""
    if not isinstance(value, str) or not value:
        raise fail("extend", "expected the path of another configuration file")
    target = path.parent / value
    if not _is_file(target):
        kind = "a folder" if target.is_dir() else "no such file" if not target.exists() \
            else "not a regular file"
        raise fail("extend", f"{value}: {kind}")
    chain = (*extending, path.resolve())
    if target.resolve() in chain:
        cycle = " -> ".join(str(p) for p in (*chain, target.resolve()))
        raise fail("extend", f"a cycle: {cycle}")
    return load_config(target, rules, chain)


def _merged(base: Config, own: Config, keys: set[str]) -> Config:
    """``own`` (whose file set ``keys``) over ``base``. A ``select`` starts the selection
    afresh (the base's extend-select and ignore with it); otherwise extend-select and ignore
    add to the base's. Other keys replace the base's; rule options merge option by option."""
    merged = Config(path=own.path, extends=[p for p in (base.path, *base.extends) if p])
    if "select" in keys:
        merged.select, merged.extend_select, merged.ignore = (
            own.select, own.extend_select, own.ignore)
    else:
        merged.select = base.select
        merged.extend_select = base.extend_select + own.extend_select
        merged.ignore = base.ignore + own.ignore
    if "exclude" in keys:
        merged.exclude = own.exclude
    else:
        merged.exclude, merged.exclude_root = base.exclude, base.exclude_root or base.root
    merged.exclude_tests = own.exclude_tests if "exclude-tests" in keys else base.exclude_tests
    if "go-version" in keys:
        merged.go_version = own.go_version
    else:
        merged.go_version = base.go_version
        merged.go_version_from = base.go_version_from or base.path
    merged.rule_options = {rule: dict(options) for rule, options in base.rule_options.items()}
    for rule, options in own.rule_options.items():
        merged.rule_options.setdefault(rule, {}).update(options)
    return merged
