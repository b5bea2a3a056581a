"""Runs the rules over packages: one shared walk per file, isolation of faults, suppressions."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .discover import PackageFiles
from .model import FileModel, Package
from .rule import Finding, Rule, RuleContext
from .suppress import Suppression, file_suppressions, unused
from .syntax import run_visitors


@dataclass(frozen=True)
class Notice:
    """Something the run could not fully do: a file that did not parse, a rule that raised."""

    path: Path
    line: int
    kind: str  # parse-error, rule-error, read-error
    message: str
    detail: str = ""  # a traceback, shown with --debug


@dataclass
class Result:
    """Findings (sorted) and notices of a run, plus the suppressions that were honoured."""

    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    suppressions: dict[Path, list[Suppression]] = field(default_factory=dict)
    files: int = 0

    def extend(self, other: Result) -> None:
        self.findings.extend(other.findings)
        self.notices.extend(other.notices)
        self.suppressions.update(other.suppressions)
        self.files += other.files


def _rule_error(
    rule: type[Rule], f: FileModel | None, pf: PackageFiles, exc: BaseException
) -> Notice:
    where = f.path if f is not None else pf.directory
    tb = traceback.extract_tb(exc.__traceback__)
    last = tb[-1] if tb else None
    at = f" at {Path(last.filename).name}:{last.lineno}" if last else ""
    return Notice(
        where, 0, "rule-error",
        f"{rule.id} {rule.name} raised {type(exc).__name__}: {exc}{at}; its findings for this "
        "package may be incomplete",
        "".join(traceback.format_exception(exc)),
    )


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
    files: list[FileModel] = []
    for sf in pf.files:
        try:
            fm = FileModel(sf)
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
    package = Package.build(pf.directory, pf.name, pf.module, files)
    if config.go_version is not None:
        package.go_version = config.go_version

    instances: list[Rule] = []
    idle: set[str] = set()  # rules that ran and had nothing to look at
    for rule in rules:
        context = RuleContext(package, config.rule_options.get(rule.id, {}))
        try:
            if rule.applies_to(package):
                instances.append(rule(context))
            else:
                idle.add(rule.id)
        except Exception as exc:
            result.notices.append(_rule_error(rule, None, pf, exc))

    failed: set[int] = set()
    for f in files:
        active = [r for r in instances if id(r) not in failed]
        for r in active:
            r.file = f
            try:
                r.begin_file(f)
            except Exception as exc:
                failed.add(id(r))
                result.notices.append(_rule_error(type(r), f, pf, exc))
        walkers = [r for r in active if id(r) not in failed and any(r.handler_types())]

        def on_error(visitor, exc, f=f):
            failed.add(id(visitor))
            result.notices.append(_rule_error(type(visitor), f, pf, exc))

        run_visitors(walkers, f.root, on_error)
        for r in active:
            if id(r) in failed:
                continue
            try:
                r.end_file(f)
            except Exception as exc:
                failed.add(id(r))
                result.notices.append(_rule_error(type(r), f, pf, exc))
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
            result.findings.append(finding)
    if catalog is None:
        catalog = {rule.id: rule.suppressible for rule in rules}
    ran = idle | {type(r).id for r in instances if id(r) not in failed}
    for r in instances:
        if id(r) not in failed and callable(getattr(r, "unused_suppression", None)):
            _report_unused(r, result, pf, reported, used, catalog, ran)
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
                auditor.unused_suppression(f, s, problems)  # type: ignore[attr-defined]
            except Exception as exc:
                result.notices.append(_rule_error(type(auditor), f, pf, exc))
                return
            finally:
                auditor.file = None
    result.findings.extend(auditor.context.findings[before:])


def _analyze_in_worker(
    args: tuple[PackageFiles, list[type[Rule]], Config, dict[str, bool] | None],
) -> Result:
    return analyze_package(*args)


def analyze(
    packages: list[PackageFiles],
    rules: list[type[Rule]],
    config: Config,
    jobs: int = 1,
    catalog: list[type[Rule]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Analyse packages (in ``jobs`` processes when more than one); output is order-independent.

    ``catalog`` is every known rule, enabled or not (default: ``rules``); ``progress`` is
    called with the number of files each package reported, as packages complete.
    """
    result = Result()
    known = {r.id: r.suppressible for r in catalog} if catalog is not None else None
    work = [(p, rules, config, known) for p in sorted(packages, key=lambda p: p.key)]
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
            for part in pool.map(_analyze_in_worker, work, chunksize=4):
                result.extend(part)
                if progress is not None:
                    progress(part.files)
    else:
        for item in work:
            part = analyze_package(*item)
            result.extend(part)
            if progress is not None:
                progress(part.files)
    result.findings = sorted(set(result.findings), key=lambda f: f.sort_key)
    result.notices.sort(key=lambda n: (str(n.path), n.line, n.kind, n.message))
    return result


def default_jobs() -> int:
    """The default ``--jobs``: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
