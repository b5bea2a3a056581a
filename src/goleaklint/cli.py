"""Command line: argument parsing, exit codes (0 clean, 1 findings, 2 usage or config error)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TextIO

from . import __version__
from .oneline import line_start, one_line

if TYPE_CHECKING:  # (the modules load when a command needs them: start-up stays quick)
    from collections.abc import Callable, Iterator
    from types import FrameType

    from .cache import ResultCache
    from .config import Config
    from .discover import PackageFiles
    from .engine import Notice, Result
    from .gitdiff import ChangedLines
    from .profiles.evidence import ProfileEvidence
    from .registry import Registry
    from .rule import Finding, Rule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, what shells report for a process it ended
SUBCOMMANDS = ("check", "rules", "explain", "config", "clean")
USAGE = {
    "check": "goleaklint [check] [options] [PATH ...]",
    "rules": "goleaklint rules",
    "explain": "goleaklint explain RULE_ID",
    "config": "goleaklint config [--config FILE] [PATH]",
    "clean": "goleaklint clean [PATH]",
}


class UsageError(Exception):
    """A bad command line or configuration: one line on stderr, exit 2."""


class _Writable(Protocol):
    """What argparse prints its messages to (typeshed's ``SupportsWrite[str]``)."""

    def write(self, s: str, /) -> object: ...


class _Parser(argparse.ArgumentParser):
    """Errors become ``UsageError``; a subcommand's (``usage_of``) name it and give its usage."""

    usage_of: str | None = None

    def error(self, message: str) -> NoReturn:
        if self.usage_of:
            raise UsageError(f"{self.usage_of}: {message} (usage: {USAGE[self.usage_of]})")
        raise UsageError(message)

    def _print_message(self, message: str, file: _Writable | None = None) -> None:
        if message:  # argparse's own swallows a failed write (--version > /dev/full)
            (file or sys.stderr).write(message)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the analysis (``goleaklint check`` or bare ``goleaklint``)."""
    p = _Parser(
        prog="goleaklint",
        usage="\n       ".join(USAGE.values()),
        description="Find memory, goroutine and resource leaks in Go code.",
        epilog="Subcommands: 'goleaklint check' analyses the PATHs (the default: a first "
        "argument that is no subcommand is a PATH); 'goleaklint rules' lists the rules; "
        "'goleaklint explain GL101' prints a rule's document; 'goleaklint config' prints the "
        "effective configuration; 'goleaklint clean' removes the result cache. A folder "
        "named like a subcommand: 'goleaklint check rules' or 'goleaklint ./rules'.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    p.add_argument("--format", default="text",
                   choices=("text", "json", "github", "sarif", "gitlab", "checkstyle"))
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    p.add_argument("--select", metavar="IDS",
                   help="comma-separated rule IDs, prefixes or ALL to run (replaces the "
                   "configuration's select and extend-select)")
    p.add_argument("--extend-select", metavar="IDS",
                   help="rule IDs or prefixes to run as well (an opt-in rule runs only when "
                   "named: its ID or a prefix such as GL1)")
    p.add_argument("--ignore", metavar="IDS",
                   help="comma-separated rule IDs, prefixes or ALL to skip")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--jobs", "-j", type=int, metavar="N", help="processes (default: cores)")
    p.add_argument("--config", metavar="FILE", help="use FILE instead of .goleaklint.toml")
    p.add_argument("--baseline", metavar="FILE", help="report only findings not in FILE")
    p.add_argument("--write-baseline", metavar="FILE", help="record today's findings in FILE")
    p.add_argument("--new-from-rev", metavar="REV",
                   help="report only findings on lines changed since the git revision REV "
                   "(git diff of the working tree; untracked files are new)")
    p.add_argument("--force-exclude", action="store_true",
                   help="apply the configured excludes to files named on the command line")
    p.add_argument("--fix", action="store_true",
                   help="apply the mechanical fixes (GL201, GL202) to the files, in place")
    p.add_argument("--statistics", action="store_true",
                   help="print counts per rule and per directory at the end (on stderr)")
    p.add_argument("--category", metavar="NAME",
                   help="SARIF runAutomationDetails.id (GitHub code scanning's category)")
    p.add_argument("--profile", action="append", metavar="FILE",
                   help="a heap or goroutine profile (pprof, gzip or not) or goroutine dump of "
                   "the analysed code: its numbers go on the findings (repeatable)")
    p.add_argument("--sort", choices=("location", "evidence"), default="location",
                   help="report order: by file and line (default), or most profile evidence "
                   "first (with --profile)")
    p.add_argument("--no-cache", action="store_true",
                   help="analyse every package afresh and keep no results (also "
                   "GOLEAKLINT_NO_CACHE=1; the cache folder: GOLEAKLINT_CACHE_DIR)")
    p.add_argument("--debug", action="store_true", help="show tracebacks of rule failures")
    p.add_argument("--version", action="version", version=f"goleaklint {__version__}")
    return p


def _parse_args(argv: list[str], out: TextIO,
                parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """Parse options; ``--help``/``--version`` write to ``out`` and end with ``SystemExit``."""
    with _writing(out), contextlib.redirect_stdout(out):
        return (parser or build_parser()).parse_args(argv)


def _subcommand_parser(name: str, description: str) -> _Parser:
    p = _Parser(prog=f"goleaklint {name}", usage=USAGE[name], description=description)
    p.usage_of = name
    return p


@contextlib.contextmanager
def _writing(out: TextIO) -> Iterator[TextIO]:
    """Failing to write standard output (a full disk, an I/O error) is the environment's problem,
    not goleaklint's: one plain line, exit 2. A closed pipe (``| head``) is not a failure."""
    try:
        yield out
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot write the report: {exc.strerror or exc}") from None


def _codes(value: str | None, known: list[str], option: str) -> list[str]:
    from .selection import matches_any

    if not value:
        return []
    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for code in codes:
        if not matches_any(code, known):
            raise UsageError(f"{option}: {code!r} matches no rule (see 'goleaklint rules')")
    return codes


def _write_file(path: Path, content: str, option: str = "--output") -> None:
    """Write a report or baseline with ``safewrite`` (atomically where a regular file stands,
    through where a FIFO or device does); paths that are not UTF-8 are written back as the bytes
    they were."""
    from .safewrite import write_file

    try:
        write_file(path, content.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        raise UsageError(f"{option}: {path}: cannot write ({exc.strerror or exc})") from None


def _tolerant(stream: TextIO) -> None:
    """Let a standard stream write file names that are not UTF-8 instead of raising."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):
        # TextIO lacks reconfigure (TextIOWrapper's); a stream without it raises, suppressed.
        stream.reconfigure(  # type: ignore[attr-defined]
            errors="surrogateescape" if encoding == "utf8" else "backslashreplace"
        )


def _load_registry(err: TextIO) -> Registry:
    from .registry import load_rules

    registry = load_rules()
    for w in registry.warnings:
        err.write(f"goleaklint: warning: {one_line(w)}\n")
    if not registry.rules:
        raise UsageError("no rules are registered: is goleaklint installed (pip install .)?")
    return registry


def cmd_rules(args: list[str], err: TextIO, out: TextIO) -> int:
    _parse_args(args, out, _subcommand_parser("rules", "List the rules."))
    registry = _load_registry(err)
    width = max(len(r.name) for r in registry.rules)
    for r in registry.rules:  # the tier column: "opt-in" rules run only when named
        with _writing(out):
            out.write(f"{r.id}  {r.name:<{width}}  {r.family:<10}  {r.tier:<7}  {r.summary}\n")
    return EXIT_CLEAN


def cmd_explain(args: list[str], err: TextIO, out: TextIO) -> int:
    from .docs import render_text

    parser = _subcommand_parser("explain", "Print a rule's document.")
    parser.add_argument("rule_id", metavar="RULE_ID")
    rule_id = _parse_args(args, out, parser).rule_id
    registry = _load_registry(err)
    rule = registry.get(rule_id)
    if rule is None:
        raise UsageError(f"explain: no rule {rule_id!r} (see 'goleaklint rules')")
    with _writing(out):
        out.write(render_text(rule))
    return EXIT_CLEAN


def _resolve_config(
    option: str | None, start: Path | None, rules_by_id: dict[str, type[Rule]]
) -> Config:
    """The configuration named by ``--config``, or the nearest one above ``start`` (a path
    given on the command line; default: the current directory)."""
    from .config import find_config, load_config

    path: Path | None
    if option:
        path = Path(option)
        if not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file"
            raise UsageError(f"--config: {option}: {kind}, not a configuration file"
                             if path.exists() else f"--config: {option}: no such file")
    else:
        path = find_config(start if start is not None and os.path.exists(start) else Path.cwd())
    return load_config(path, rules_by_id)


def cmd_config(args: list[str], err: TextIO, out: TextIO) -> int:
    parser = _subcommand_parser(
        "config", "Print the effective configuration for PATH (default: the current folder).")
    parser.add_argument("path", nargs="?", metavar="PATH")
    parser.add_argument("--config", metavar="FILE", help="use FILE instead of .goleaklint.toml")
    options = _parse_args(args, out, parser)
    start = Path(options.path) if options.path is not None else None
    if start is not None and not start.exists():
        raise UsageError(f"config: {options.path}: no such file or directory")
    registry = _load_registry(err)
    config = _resolve_config(options.config, start, registry.by_id())
    go_version, go_version_from = _effective_go_version(config, start or Path.cwd(), err)
    shown = {
        "file": str(config.path) if config.path else None,
        "extends": [str(p) for p in config.extends],
        "select": config.select,
        "extend-select": config.extend_select,
        "ignore": config.ignore,
        "exclude": config.exclude,
        "exclude-tests": config.exclude_tests,
        "go-version": go_version,
        "go-version-from": go_version_from,
        "enabled-rules": [r.id for r in registry.rules if config.enabled(r)],
        "rules": {
            r.id: {n: config.rule_options.get(r.id, {}).get(n, o.default)
                   for n, o in r.options.items()}
            for r in registry.rules if r.options
        },
    }
    with _writing(out):
        out.write(json.dumps(shown, indent=2) + "\n")
    return EXIT_CLEAN


def _effective_go_version(config: Config, start: Path, err: TextIO) -> tuple[str | None, str]:
    """The Go version the rules see for the packages at ``start``, and where it comes from:
    the configuration file, the nearest go.mod, no go.mod at all (pre-modules code), or
    "default" (None: a go.mod without a usable ``go`` line)."""
    from .discover import PRE_MODULES, PRE_MODULES_FROM, ModuleFinder

    if config.go_version is not None:
        return ".".join(map(str, config.go_version)), str(config.go_version_from or config.path)
    module = ModuleFinder().for_directory(start if start.is_dir() else start.parent)
    if module.error:
        raise UsageError(f"{module.error} (or set go-version in .goleaklint.toml)")
    if module.warning:
        err.write(f"goleaklint: warning: {one_line(module.warning)}\n")
    if module.gomod is None:
        return ".".join(map(str, PRE_MODULES)), PRE_MODULES_FROM
    if module.go_version is None:
        return None, "default"
    return ".".join(map(str, module.go_version)), str(module.gomod)


MAX_FIX_PASSES = 10  # a fix can make room for another (two renames in one function)


def cmd_check(argv: list[str], err: TextIO, out: TextIO, subcommand: bool = False) -> int:
    """The analysis; ``subcommand``: named as ``goleaklint check`` (which analysed the folder
    check before there was such a subcommand: a warning says so when it exists)."""
    from .discover import DiscoveryError, discover
    from .engine import Notice, default_jobs
    from .fingerprint import fingerprints
    from .nearest import NearestConfigs, analyze_nearest
    from .paths import display_path, utf8_path
    from .progress import Progress
    from .report import write_report

    options = _parse_args(argv, out)
    if subcommand and not options.paths:
        _warn_if_shadowed("check", err)
    if options.jobs is not None and options.jobs < 1:
        raise UsageError("--jobs: expected a positive number")
    if options.category is not None and options.format != "sarif":
        raise UsageError("--category: only with --format sarif")
    if options.category is not None and not options.category.strip("/ "):
        raise UsageError("--category: expected a name such as goleaklint")
    registry = _load_registry(err)
    known = [r.id for r in registry.rules]
    start = Path(options.paths[0]) if options.paths else None
    config = _resolve_config(options.config, start, registry.by_id())
    selected = _codes(options.select, known, "--select")
    extended = _codes(options.extend_select, known, "--extend-select")
    ignored = _codes(options.ignore, known, "--ignore")

    def adjust(c: Config) -> Config:
        """The command line's selection over a configuration's."""
        if selected:  # as ruff: the command line's select is the whole selection
            c.select, c.extend_select = selected, []
        c.extend_select, c.ignore = c.extend_select + extended, c.ignore + ignored
        return c

    config = adjust(config)
    # Each package is analysed with the configuration nearest to it (--config: that one).
    configs = NearestConfigs(registry.by_id(), adjust, config, fixed=options.config is not None)
    jobs = options.jobs or default_jobs()
    known_prints = _read_baseline(Path(options.baseline)) if options.baseline else set()
    profiles = _profile_paths(options)
    analysed: list[PackageFiles] = []  # the packages of the last run, for --profile

    def run(first: bool) -> tuple[Result, list[tuple[Finding, str]], list[Notice]]:
        try:
            found = discover(options.paths or ["."], configs.excludes, options.force_exclude)
        except DiscoveryError as exc:
            raise UsageError(str(exc)) from None
        changed = None  # --new-from-rev: asked again after each --fix pass (fixes move lines)
        if options.new_from_rev is not None:
            changed = _changed_lines(options.new_from_rev, start)
        if first:
            for w in found.warnings:
                err.write(f"goleaklint: warning: {one_line(str(w))}\n")
            cores = default_jobs()
            if min(jobs, len(found.packages)) > cores:  # never more processes than packages
                err.write(f"goleaklint: warning: --jobs {jobs} is more than the {cores} cores "
                          "available: the extra processes take memory and add no speed\n")
        analysed[:] = found.packages
        groups = configs.groups(found.packages)
        broken = sorted({p.module.error for c, packages in groups if c.go_version is None
                         for p in packages if p.module.error})
        if broken:
            raise UsageError(f"{broken[0]} (or set go-version in .goleaklint.toml)")
        bar = Progress(err, sum(f.reported for p in found.packages for f in p.files))
        cache = None if options.no_cache else _open_cache(start, registry.rules, err, first)
        try:
            result = analyze_nearest(groups, registry.rules, jobs, progress=bar.advance,
                                     cache=cache)
        finally:
            bar.close()
            if cache is not None:
                _close_cache(cache, err)
        prints = fingerprints(result.findings, display_path)
        everything = list(zip(result.findings, prints, strict=True))
        result.findings = [f for f, fp in everything if fp not in known_prints and (
            changed is None or (f.location.path, f.location.line) in changed)]
        skipped = [Notice(s.path, 0, s.kind, s.reason) for s in found.warnings]
        return result, everything, skipped

    result, everything, skipped = run(first=True)
    rules = [r for r in registry.rules if any(c.enabled(r) for c in configs.used())]  # SARIF's
    fixed = []
    applied_to: set[str] = set()  # fingerprints: a fix that did not help is not applied again
    for _ in range(MAX_FIX_PASSES if options.fix else 0):
        shown = {id(f) for f in result.findings}
        todo = {id(f): fp for f, fp in everything
                if id(f) in shown and f.fix is not None and fp not in applied_to}
        applied = _apply_fixes([f for f in result.findings if id(f) in todo], err)
        applied_to.update(todo[id(f)] for f in applied)
        if not applied:
            break
        for f in applied:
            loc, fix = f.location, f.fix
            assert fix is not None  # only findings with a fix are applied
            err.write(f"{line_start(display_path(loc.path))}:{loc.line}:{loc.column}: fixed "
                      f"{f.rule_id} {f.rule_name}: {one_line(fix.description)}\n")
        fixed.extend(applied)
        result, everything, skipped = run(first=False)
    if options.fix:
        files = len({f.location.path for f in fixed})
        err.write(f"goleaklint: fixed {_plural(len(fixed), 'finding')} in "
                  f"{_plural(files, 'file')}\n" if fixed else "goleaklint: nothing to fix\n")

    for n in result.notices:
        where = line_start(display_path(n.path)) + (f":{n.line}" if n.line else "")
        err.write(f"{where}: warning: {n.kind}: {one_line(n.message)}\n")
        if options.debug and n.detail:
            err.write(n.detail)

    if profiles:
        _add_evidence(result, profiles, analysed, [f for f, _ in everything], options.sort, err)

    # Said on stderr as discovery found them; in the report, notices like the others.
    result.notices = sorted({*result.notices, *skipped}, key=lambda n: n.sort_key)

    if options.write_baseline:
        entries = {
            fp: {"rule": f.rule_id, "path": utf8_path(f.location.path), "message": f.message}
            for f, fp in everything
        }
        _write_file(Path(options.write_baseline),
                    json.dumps({"version": 1, "findings": entries}, indent=2) + "\n",
                    "--write-baseline")

    buffer = io.StringIO()
    report_rules = rules if options.format == "sarif" else registry.rules
    for warning in write_report(options.format, result, report_rules, buffer,
                                category=options.category):
        err.write(f"goleaklint: warning: {one_line(warning)}\n")
    if options.output:
        _write_file(Path(options.output), buffer.getvalue())
    else:
        with _writing(out):
            out.write(buffer.getvalue())
    if options.format == "text" and not options.output and result.findings:
        err.write(f"goleaklint: {_tally(result)}\n")
    if options.statistics:
        _write_statistics(result, options.paths or ["."], err)
    if result.profiles is not None and options.format == "text":
        _write_hot_sites(result.profiles, err)
    if result.findings and not options.exit_zero and not options.write_baseline:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _open_cache(start: Path | None, catalog: list[type[Rule]], err: TextIO,
                warn: bool) -> ResultCache | None:
    """The result cache of this run (None when switched off, or unusable: ``warn`` says so)."""
    from .cache import CacheUnavailable, ResultCache, cache_folder, disabled_by_environment

    if disabled_by_environment():
        return None
    try:
        return ResultCache(cache_folder(start), catalog)
    except CacheUnavailable as exc:
        if warn:
            err.write(f"goleaklint: warning: cache: {one_line(str(exc))}; running without it\n")
        return None


def _close_cache(cache: ResultCache, err: TextIO) -> None:
    try:
        cache.close()
    except OSError as exc:  # eviction met a folder that changed under it: next run's turn
        cache.warnings.append(f"cache: {cache.path}: {exc.strerror or exc}")
    for warning in cache.warnings:
        err.write(f"goleaklint: warning: {one_line(warning)}\n")


def cmd_clean(args: list[str], err: TextIO, out: TextIO) -> int:
    """Remove the result cache the analysis of PATH (default: the current folder) uses."""
    from .cache import CacheUnavailable, cache_folder, clean
    from .paths import display_path

    parser = _subcommand_parser(
        "clean", "Remove the result cache (GOLEAKLINT_CACHE_DIR, or .goleaklint_cache in the "
        "folder of the .goleaklint.toml nearest to PATH, else in the current folder).")
    parser.add_argument("path", nargs="?", metavar="PATH")
    options = _parse_args(args, out, parser)
    start = Path(options.path) if options.path is not None else None
    if start is not None and not start.exists():
        raise UsageError(f"clean: {options.path}: no such file or directory")
    folder = cache_folder(start)
    shown = line_start(display_path(folder))
    try:
        removed, left = clean(folder)
    except CacheUnavailable as exc:
        raise UsageError(f"clean: {exc}") from None
    except OSError as exc:
        raise UsageError(f"clean: {folder}: {exc.strerror or exc}") from None
    err.write(f"goleaklint: removed {_plural(removed, 'cached result')} from {shown}\n")
    if left:
        err.write(f"goleaklint: warning: {shown}: left {one_line(', '.join(left))} "
                  "(not goleaklint's)\n")
    return EXIT_CLEAN


def _profile_paths(options: argparse.Namespace) -> list[Path]:
    """The ``--profile`` files, checked before the analysis: a missing or unreadable path is a
    usage error (a profile whose content is unusable only gets a warning, later)."""
    if options.sort == "evidence" and not options.profile:
        raise UsageError("--sort evidence: needs --profile FILE")
    paths = [Path(p) for p in options.profile or []]
    for path in paths:
        if path.is_dir():
            raise UsageError(f"--profile: {path}: a folder, not a profile")
        if not os.access(path, os.R_OK):
            why = "cannot read" if path.exists() else "no such file"
            raise UsageError(f"--profile: {path}: {why}")
    return paths


def _add_evidence(result: Result, paths: list[Path], packages: list[PackageFiles],
                  everything: list[Finding], order: str, err: TextIO) -> None:
    """Put the profiles' numbers on the findings (``result.profiles``); say on stderr, once
    each, how every profile's frames mapped and which profiles could not be used. The lines
    of ``everything`` (a baseline's findings too) are no unexplained hot sites."""
    from .profiles.evidence import gather

    evidence = gather(paths, result.findings, packages, lambda p: one_line(str(p)), everything)
    for line in evidence.problems:
        err.write(f"goleaklint: warning: profile {line}\n")
    for summary in evidence.summaries:
        err.write(f"goleaklint: {one_line(summary.text())}\n")
    if order == "evidence":
        result.findings.sort(key=evidence.sort_key)  # stable: location order among equals
    result.profiles = evidence


def _write_hot_sites(evidence: ProfileEvidence, err: TextIO) -> None:
    from .paths import display_path

    for site in evidence.hot_sites:
        err.write(f"{line_start(display_path(site.path))}:{site.line}: note: "
                  f"{one_line(site.text())}\n")


def _changed_lines(rev: str, start: Path | None) -> ChangedLines:
    """``--new-from-rev``: the lines changed since ``rev`` in the git repository of the first
    PATH (default: the current directory)."""
    from .gitdiff import GitError, changed_since

    try:
        return changed_since(rev, Path(os.path.abspath(start or ".")))
    except GitError as exc:
        raise UsageError(f"--new-from-rev: {exc}") from None


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _tally(result: Result) -> str:
    """``5 findings in 1 file; 2 files analysed``: the files with findings, then all of them."""
    n = len(result.findings)
    where = len({f.location.path for f in result.findings})
    found = f"{_plural(n, 'finding')} in {_plural(where, 'file')}" if n else "no findings"
    return f"{found}; {_plural(result.files, 'file')} analysed"


def _apply_fixes(findings: list[Finding], err: TextIO) -> list[Finding]:
    """Apply the fixes of ``findings`` to their files (non-overlapping ones; the rest wait for
    the next pass); the findings whose fix was applied."""
    from .fixes import apply, write_source
    from .paths import display_path

    by_file: dict[Path, list[Finding]] = {}
    for f in findings:
        by_file.setdefault(f.location.path, []).append(f)
    applied = []
    for path, items in sorted(by_file.items()):
        try:
            source = path.read_bytes()
            lines = source.decode("utf-8", "replace").splitlines()
            current = [f for f in items if f.location.line <= len(lines) and " ".join(
                lines[f.location.line - 1].split()) == f.snippet]
            if len(current) < len(items):  # edited since it was analysed: offsets are stale
                err.write(f"goleaklint: warning: {one_line(display_path(path))}: changed "
                          "during the run; not fixed\n")
                continue
            # (every finding here has a fix: the caller hands over only those)
            new, chosen = apply(source, [f.fix for f in items if f.fix is not None])
            if chosen:
                write_source(path, new)
        except OSError as exc:
            err.write(f"goleaklint: warning: {one_line(display_path(path))}: cannot fix "
                      f"({exc.strerror or exc})\n")
            continue
        done = {id(fix) for fix in chosen}
        applied += [f for f in items if id(f.fix) in done]
    return applied


def _top_directory(path: Path, roots: list[Path]) -> Path:
    """The folder just below the command-line path that holds ``path`` (the path's own folder
    when it was named as a file, or sits directly in the named folder)."""
    best = None
    for root in roots:
        if root.is_dir() and path.is_relative_to(root) and (
            best is None or len(root.parts) > len(best.parts)
        ):
            best = root
    if best is None:
        return path.parent
    below = path.relative_to(best).parts
    return best / below[0] if len(below) > 1 else best


def _write_statistics(result: Result, paths: list[str], err: TextIO) -> None:
    """Counts per rule and per top-level directory of what was reported, on stderr."""
    from collections import Counter

    from .paths import display_path

    roots = [Path(os.path.abspath(p)) for p in paths]
    by_rule: Counter[tuple[str, str]] = Counter()
    fixable: Counter[tuple[str, str]] = Counter()
    by_dir: Counter[str] = Counter()
    for f in result.findings:
        key = (f.rule_id, f.rule_name)
        by_rule[key] += 1
        fixable[key] += f.fix is not None
        folder = _top_directory(Path(os.path.abspath(f.location.path)), roots)
        by_dir[display_path(folder).rstrip("/") + "/"] += 1
    n = len(result.findings)
    err.write(f"statistics: {_tally(result)}\n")
    if not n:
        return
    width = len(str(n))
    err.write("  by rule:\n")
    for (rule_id, name), count in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        can = fixable[(rule_id, name)]
        note = f"  ({can} fixable with --fix)" if can else ""
        err.write(f"    {count:>{width}}  {rule_id} {name}{note}\n")
    err.write("  by directory:\n")
    for shown, count in sorted(by_dir.items(), key=lambda kv: (-kv[1], kv[0])):
        err.write(f"    {count:>{width}}  {one_line(shown)}\n")


BASELINE_VERSION = 1  # what --write-baseline writes


def _read_baseline(path: Path) -> set[str]:
    """The fingerprints recorded in a baseline file (``--write-baseline``'s schema: version 1,
    ``findings`` an object of fingerprint -> entry object); anything else is a usage error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        why = _baseline_problem(data)
    except OSError as exc:
        raise UsageError(f"--baseline: {path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        why = "not UTF-8"
    except json.JSONDecodeError as exc:
        why = f"not JSON: line {exc.lineno}: {exc.msg}"
    except RecursionError:
        why = "nested too deeply"
    if why:
        raise UsageError(f"--baseline: {path}: not a goleaklint baseline file ({why})")
    return set(data["findings"])


def _baseline_problem(data: object) -> str:
    """What makes ``data`` something else than a baseline ("" when it is one)."""
    if not isinstance(data, dict):
        return f"expected an object, found {_json_type(data)}"
    if "version" not in data:
        return "no version"
    version = data["version"]
    if type(version) is not int or version != BASELINE_VERSION:
        return f"version {json.dumps(version)[:40]}, expected {BASELINE_VERSION}"
    if "findings" not in data:
        return "no findings"
    findings = data["findings"]
    if not isinstance(findings, dict):
        return f"findings: expected an object, found {_json_type(findings)}"
    for fingerprint, entry in findings.items():
        if not isinstance(entry, dict):
            return f"findings: {fingerprint!r}: expected an object, found {_json_type(entry)}"
    return ""


def _json_type(value: object) -> str:
    if isinstance(value, bool):  # before int, which bool is
        return "a boolean"
    names = {dict: "an object", list: "an array", str: "a string", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _dispatch(argv: list[str], err: TextIO, out: TextIO) -> int:
    """Run the subcommand named first, or the analysis of ``argv`` (bare paths and options)."""
    name = argv[0] if argv else ""
    if name == "check":
        return cmd_check(argv[1:], err, out, subcommand=True)
    if name not in SUBCOMMANDS:
        return cmd_check(argv, err, out)
    _warn_if_shadowed(name, err)
    command = {"rules": cmd_rules, "explain": cmd_explain, "config": cmd_config,
               "clean": cmd_clean}[name]
    return command(argv[1:], err, out)


def _warn_if_shadowed(name: str, err: TextIO) -> None:
    """Say how to analyse a folder (or file) that has a subcommand's name."""
    if os.path.exists(name):
        kind = "folder" if os.path.isdir(name) else "file"
        err.write(f"goleaklint: warning: '{name}' runs the {name} subcommand; to analyse the "
                  f"{kind} {name}, run 'goleaklint check {name}' or 'goleaklint ./{name}'\n")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cancelled CI job, a timeout): the run stops as on Ctrl-C, workers included."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Stop:
    """The handler of SIGINT and SIGTERM while ``main`` runs. The first signal raises
    (``KeyboardInterrupt``, ``Terminated``) where the run is; any later one (GNU ``timeout``
    signals the process, then its group) is only recorded, so that the clean-up and the line
    that reports it are never interrupted. Once disarmed (the run is over) it only records."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.armed = True

    def __call__(self, signum: int, frame: object) -> None:
        if self.signum is not None:
            return
        self.signum = signum
        if self.armed:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def main(
    argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Entry point of the ``goleaklint`` command; returns the exit code.

    SIGINT and SIGTERM stop the run with one line on stderr and 130 or 143, however many
    arrive. Without ``argv`` (the process's own command line) they are ignored from the end
    of the run until the process exits, so that none interrupts the interpreter's shutdown;
    otherwise the caller's handlers are restored. Signals ignored on entry stay ignored.
    """
    stop = _Stop()
    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}
    code = EXIT_USAGE
    try:
        try:
            if threading.current_thread() is threading.main_thread():
                for signum in STOP_SIGNALS:
                    handler = signal.getsignal(signum)
                    if handler is not signal.SIG_IGN:
                        previous[signum] = handler
                        signal.signal(signum, stop)
            code = _main(argv, out, err)
        finally:
            stop.armed = False
    except KeyboardInterrupt as exc:  # the first signal, or a Ctrl-C raised by code that ran
        if stop.signum is None:
            stop.signum = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
    try:
        if stop.signum is not None:  # reported while later signals are still only recorded
            terminated = stop.signum == signal.SIGTERM
            code = EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
            with contextlib.suppress(OSError, ValueError):
                (err or sys.stderr).write(
                    f"goleaklint: {'terminated' if terminated else 'interrupted'}\n")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_IGN if argv is None else handler)
    return code


def _command(argv: list[str], err: TextIO, out: TextIO) -> int:
    try:
        return _dispatch(argv, err, out)
    except SystemExit as exc:  # --help and --version, already printed to ``out``
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def _main(argv: list[str] | None, out: TextIO | None, err: TextIO | None) -> int:
    from .config import ConfigError

    argv = list(sys.argv[1:] if argv is None else argv)
    if out is None:
        out = sys.stdout
        _tolerant(out)
    err = err or sys.stderr
    try:
        code = _command(argv, err, out)
        with _writing(out):
            out.flush()  # what is still buffered fails here, not unreported at exit
        return code
    except (UsageError, ConfigError) as exc:
        err.write(f"goleaklint: error: {one_line(str(exc))}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # a bug in goleaklint: one line (the traceback with --debug)
        if "--debug" in argv:
            err.write("".join(traceback.format_exception(exc)))
        message = one_line(" ".join(str(exc).split()))
        err.write(f"goleaklint: error: internal error: {type(exc).__name__}: {message} "
                  "(please report it; --debug shows the traceback)\n")
        return EXIT_USAGE
