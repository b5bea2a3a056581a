"""Runs the rules over packages: one shared walk per file, isolation of faults, suppressions."""

from __future__ import annotations

import gc
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import inputs as recorder
from .config import Config
from .discover import PackageFiles, SourceFile
from .model import FileModel, Package
from .oneline import one_line
from .queries import expect_walks
from .rule import Finding, Rule, RuleContext
from .suppress import Suppression, file_suppressions, unused
from .syntax import handler_types, run_visitors

if TYPE_CHECKING:
    from .cache import ResultCache
    from .profiles.evidence import ProfileEvidence


@dataclass(frozen=True)
class Notice:
    """Something the run could not fully do: a file that did not parse, a rule that raised."""

    path: Path
    line: int
    kind: str  # parse-error, too-deep, read-error, rule-error, worker-died, internal-error
    message: str
    detail: str = ""  # a traceback, shown with --debug

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", one_line(self.message))

    @property
    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (str(self.path), self.line, self.kind, self.message, self.detail)


@dataclass
class Result:
    """Findings (sorted) and notices of a run, plus the suppression comments of the reported
    files (by file; files without any are left out)."""

    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    suppressions: dict[Path, list[Suppression]] = field(default_factory=dict)
    files: int = 0
    profiles: ProfileEvidence | None = None  # --profile: what the profiles saw
    # One package's: the files and listings its analysis read (``goleaklint.inputs``; None
    # when not recorded, or not all could be), for the result cache, and its ``key``.
    inputs: list[recorder.Input] | None = None
    package: tuple[str, str] | None = None

    def extend(self, other: Result) -> None:
        self.findings.extend(other.findings)
        self.notices.extend(other.notices)
        self.suppressions.update(other.suppressions)
        self.files += other.files


# Notices that mean the run could not do part of its work (SARIF: executionSuccessful false).
FAILURES = frozenset({"rule-error", "worker-died", "internal-error"})


def _reason(exc: BaseException) -> str:
    """``ValueError: message at module.py:12`` on one line, of a bounded length."""
    message = " ".join(str(exc).split())
    if len(message) > 200:
        message = message[:199] + "…"
    tb = traceback.extract_tb(exc.__traceback__)
    at = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}{': ' + message if message else ''}{at}"


def _rule_error(
    rule: type[Rule], f: FileModel | None, pf: PackageFiles, exc: BaseException,
    skips_finish: bool = False,
) -> Notice:
    """A rule raised: on one file (its other files are still analysed) or package-wide."""
    where = f.path if f is not None else pf.directory
    if f is None:
        lost = f"its findings for package {pf.name} may be incomplete"
    elif skips_finish:
        lost = (f"its findings in this file may be incomplete, and its package-wide findings "
                f"for package {pf.name} were not made")
    else:
        lost = "its findings in this file may be incomplete"
    return Notice(
        where, 0, "rule-error", f"{rule.id} {rule.name} raised {_reason(exc)}; {lost}",
        "".join(traceback.format_exception(exc)),
    )


def _internal_error(pf: PackageFiles, exc: BaseException) -> Result:
    """A fault outside any rule: the package is reported as not analysed, the run goes on."""
    return Result(notices=[Notice(
        pf.directory, 0, "internal-error",
        f"package {pf.name} could not be analysed: {_reason(exc)}",
        "".join(traceback.format_exception(exc)),
    )])


def _read(sf: SourceFile) -> bytes:
    """A file's bytes, noted in the recording of the result cache's inputs."""
    if sf.source is not None:
        recorder.incomplete()
        return sf.source
    return recorder.read(sf.path)


def _overrides_finish(rule: Rule) -> bool:
    return type(rule).finish is not Rule.finish


# Gates (``Rule.gate``, ``applies_to``, ``begin_file`` returning False) skip work that would
# find nothing; ``GOLEAKLINT_NO_GATES=1`` turns them off, to prove that promise (a test does).
GATES = os.environ.get("GOLEAKLINT_NO_GATES") != "1"


def analyze_package(
    pf: PackageFiles,
    rules: list[type[Rule]],
    config: Config,
    catalog: dict[str, bool] | None = None,
) -> Result:
    """Analyse one package with the enabled rules; never raises for a fault in a rule or file.

    ``catalog`` maps every known rule ID (enabled or not) to whether it is suppressible, so
    that an unused suppression is judged only by rules that ran (default: ``rules``).
    """
    result = Result()
    classes: Sequence[type] = rules  # plain types for @cache (mypy: see Visitor.handler_types)
    expect_walks({kind for rule in classes for kinds in handler_types(rule) for kind in kinds})
    files: list[FileModel] = []
    for sf in pf.files:
        try:
            source = _read(sf)  # here, in the process that analyses the package
        except OSError as exc:  # it vanished or changed since discovery
            if sf.reported:
                result.notices.append(Notice(sf.path, 0, "read-error",
                                             f"cannot read ({exc.strerror or exc})"))
            continue
        try:
            fm = FileModel(sf, source)
        except Exception as exc:  # tree-sitter does not raise on bad Go; this is defensive
            if sf.reported:
                result.notices.append(Notice(sf.path, 0, "read-error", f"cannot parse: {exc}"))
            continue
        files.append(fm)
        if sf.reported:
            result.files += 1
            error = fm.parse_error
            if error is not None:
                line, _ = fm.position(error.start_byte)
                result.notices.append(Notice(
                    sf.path, line, "parse-error",
                    f"syntax error near line {line}; the parts that parsed were analysed",
                ))
            for elision in fm.elisions:
                if elision.reason:
                    line, _ = fm.position(elision.start)
                    result.notices.append(Notice(sf.path, line, "too-deep", elision.reason))
    package = Package.build(pf.directory, pf.name, pf.module, files)
    if config.go_version is not None:
        package.go_version = config.go_version
    package.rule_options = config.rule_options

    instances: list[Rule] = []
    idle: set[str] = set()  # rules that ran and had nothing to look at
    for rule in rules:
        context = RuleContext(package, config.rule_options.get(rule.id, {}))
        try:
            if not GATES or (any(rule.gate.admits(f) for f in files)
                             and rule.applies_to(package)):
                instances.append(rule(context))
            else:
                idle.add(rule.id)
        except Exception as exc:
            result.notices.append(_rule_error(rule, None, pf, exc))

    # A rule that raises on a file is dropped for the rest of that file only; it goes on with
    # the next file, but its package-wide ``finish`` is skipped: its view of the package has a
    # hole, and a conclusion such as "nothing deletes from this map" could be false.
    failed: set[int] = set()  # rules that raised on some file, or in finish
    for f in files:
        failed_here: set[int] = set()

        def fail(r: Rule, exc: Exception, f: FileModel = f,
                 failed_here: set[int] = failed_here) -> None:
            failed_here.add(id(r))
            result.notices.append(_rule_error(
                type(r), f, pf, exc, skips_finish=id(r) not in failed and _overrides_finish(r)
            ))
            failed.add(id(r))

        idle_here: set[int] = set()  # rules whose gate or begin_file said the file is not theirs
        for r in instances:
            r.file = f
            if GATES and not r.gate.admits(f):
                idle_here.add(id(r))
                continue
            try:
                if r.begin_file(f) is False and GATES:
                    idle_here.add(id(r))
            except Exception as exc:
                fail(r, exc)
        walkers = [r for r in instances if id(r) not in failed_here and id(r) not in idle_here
                   and any(r.handler_types())]
        if walkers:
            run_visitors(walkers, f.root, fail, f.queries)
        for r in instances:
            if id(r) in failed_here or (GATES and not r.gate.admits(f)):
                continue
            try:
                r.end_file(f)
            except Exception as exc:
                fail(r, exc)
    for r in instances:
        if id(r) in failed:
            continue
        r.file = None
        try:
            r.finish()
        except Exception as exc:
            failed.add(id(r))
            result.notices.append(_rule_error(type(r), None, pf, exc))

    reported = {f.path: f for f in files if f.reported}
    suppressions = {path: file_suppressions(f) for path, f in reported.items()}
    result.suppressions = suppressions
    used: dict[int, set[str]] = {}  # id(suppression) -> its codes that suppressed something
    for r in instances:
        for finding in r.context.findings:
            path = finding.location.path
            if path not in reported:
                continue
            line = finding.location.line
            covering = [s for s in suppressions[path] if s.covers(finding.rule_id, line)]
            if type(r).suppressible and covering:
                for s in covering:
                    used.setdefault(id(s), set()).update(s.codes_covering(finding.rule_id))
                continue
            if finding.tier == "opt-in" and not config.names(finding.rule_id):
                continue  # an opt-in shape of a rule the user did not name (after suppressions:
                # a comment for it is used, not reported as unused)
            result.findings.append(finding)
    if catalog is None:
        catalog = {rule.id: rule.suppressible for rule in rules}
    ran = idle | {type(r).id for r in instances if id(r) not in failed}
    for r in instances:
        if id(r) not in failed and callable(getattr(r, "unused_suppression", None)):
            _report_unused(r, result, pf, reported, used, catalog, ran)
    # Free the package now, by reference counting: its facts refer back to it (a cycle that
    # only the cyclic collector would break, in its own time, with the trees held until then);
    # the memoised query results are the files' own, and go with them.
    package.facts.clear()
    # Only the files that have suppressions travel back: most have none.
    result.suppressions = {path: found for path, found in suppressions.items() if found}
    return result


def _report_unused(
    auditor: Rule,
    result: Result,
    pf: PackageFiles,
    reported: dict[Path, FileModel],
    used: dict[int, set[str]],
    catalog: dict[str, bool],
    ran: set[str],
) -> None:
    """Hand the suppressions that suppressed nothing to the rule that audits them (GL002). Its
    findings are never filtered, least of all by the comment they are about."""
    before = len(auditor.context.findings)
    for path, f in reported.items():
        for s in result.suppressions[path]:
            problems = unused(s, used.get(id(s), set()), catalog, ran)
            if not problems:
                continue
            auditor.file = f
            try:
                # The auditing rule (GL002) is a plugin's: Rule does not declare its hook.
                auditor.unused_suppression(f, s, problems)  # type: ignore[attr-defined]
            except Exception as exc:
                result.notices.append(_rule_error(type(auditor), f, pf, exc))
                return
            finally:
                auditor.file = None
    result.findings.extend(auditor.context.findings[before:])


def _analyze_safely(
    pf: PackageFiles, rules: list[type[Rule]], config: Config, catalog: dict[str, bool] | None,
    record: bool = False,
) -> Result:
    """``analyze_package``, with any fault outside the rules' isolation turned into a notice;
    ``record``: with the inputs its analysis read, for the result cache."""
    with recorder.recording(record) as read:
        try:
            result = analyze_package(pf, rules, config, catalog)
        except Exception as exc:  # a bug in goleaklint itself (RecursionError, MemoryError…)
            return _internal_error(pf, exc)
    if record and read.complete:
        result.inputs, result.package = read.items, pf.key
    return result


def _analyze_parallel(
    work: list[PackageFiles],
    rules: list[type[Rule]],
    config: Config,
    catalog: dict[str, bool] | None,
    jobs: int,
    done: Callable[[Result], None],
    record: bool = False,
) -> list[Result]:
    """Analyse packages in worker processes (``workers``): a worker that dies loses only the
    package it was analysing, named in a ``worker-died`` notice."""
    from .workers import Died, run_parallel

    analyse = partial(_analyze_safely, rules=rules, config=config, catalog=catalog,
                      record=record)
    parts = run_parallel(work, analyse, jobs, done)
    results: list[Result] = []
    for pf, part in zip(work, parts, strict=True):
        if isinstance(part, Died):
            part = Result(notices=[Notice(
                pf.directory, 0, "worker-died",
                f"package {pf.name}: the process analysing it {part}; its findings are lost",
            )])
            done(part)
        results.append(part)
    return results


def _finding_order(f: Finding) -> tuple[
    tuple[str, int, int, str, str], int, int, str, str, str,
    tuple[tuple[str, int, int, int, int, str], ...],
]:
    """A total order of findings (equal sort keys are told apart), for byte-identical output."""
    loc = f.location
    related = tuple(
        (str(r.location.path), r.location.line, r.location.column, r.location.end_line,
         r.location.end_column, r.message)
        for r in f.related
    )
    return (f.sort_key, loc.end_line, loc.end_column, f.rule_name, f.level, f.snippet, related)


# Allocations between two runs of the cyclic garbage collector's youngest generation (Python's
# default is 700).  The analysis allocates millions of short-lived objects (nodes, tuples) and
# frees them by reference counting (``analyze_package`` breaks the package's cycles), so the
# collector mostly walks live objects for nothing: a few percent of the run at the default.
GC_THRESHOLD = 100_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def analyze(
    packages: list[PackageFiles],
    rules: list[type[Rule]],
    config: Config,
    jobs: int = 1,
    catalog: list[type[Rule]] | None = None,
    progress: Callable[[int], None] | None = None,
    cache: ResultCache | None = None,
) -> Result:
    """Analyse packages (in ``jobs`` processes when more than one); output is order-independent.

    ``catalog`` is every known rule, enabled or not (default: ``rules``); ``progress`` is
    called with the number of files each package reported, as packages complete. With a
    ``cache``, a package whose stored result still holds is not analysed again, and the
    results of the others are stored as they come.
    """
    result = Result()
    known = {r.id: r.suppressible for r in catalog} if catalog is not None else None
    # Biggest packages first, so that none of them starts last and runs alone at the end.
    work = sorted(packages, key=lambda p: (-p.size, p.key))
    keys: dict[tuple[str, str], str] = {}  # package -> its cache entry, for the analysed ones

    def done(part: Result) -> None:
        if progress is not None:
            progress(part.files)
        if cache is not None and part.package in keys:
            cache.store(keys[part.package], part)

    hits: list[Result] = []
    if cache is not None:
        misses = []
        for pf in work:
            key = cache.key(pf, rules, config)
            hit = cache.lookup(key) if key is not None else None
            if hit is None:
                misses.append(pf)
                if key is not None:
                    keys[pf.key] = key
            else:
                hits.append(hit)
                done(hit)
        work = misses
    record = bool(keys)
    with _fewer_collections():  # inherited by the worker processes, forked from here
        if jobs > 1 and len(work) > 1:
            parts = _analyze_parallel(work, rules, config, known, jobs, done, record)
        else:
            parts = []
            for pf in work:
                parts.append(_analyze_safely(pf, rules, config, known, record))
                done(parts[-1])
    for part in hits + parts:
        result.extend(part)
    result.findings = sorted(set(result.findings), key=_finding_order)
    result.notices = sorted(set(result.notices), key=lambda n: n.sort_key)
    return result


def default_jobs() -> int:
    """The default ``--jobs``: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
