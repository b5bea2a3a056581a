"""SARIF 2.1.0 for GitHub code scanning, built with sarif-om (the only module that imports it).

Shaped after GitHub's "SARIF support for code scanning": the full rule list with
``fullDescription`` ≤ 1024 characters and the long text in ``help``; ``precision`` (measured:
``goleaklint.precision``), ``problem.severity`` and goleaklint's ``tier``; URIs relative to
``%SRCROOT%``; 1-based columns counted in Unicode code points; ``partialFingerprints``
independent of line numbers; ``automationDetails.id`` from ``--category``; and, for findings
with a mechanical repair, SARIF ``fixes``. With ``--profile``, a finding a profile supports gets
``rank`` (0-100: its largest share of a profile's total) and its ``evidence`` in ``properties``;
hot sites no rule explains and unusable profiles are tool execution notifications
(``profile-hot-site``, ``profile-error``).

GitHub refuses a run of more than 25,000 results: a run keeps the ``MAX_RESULTS`` most severe
and says in a tool execution notification how many it left out.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

import attr
import sarif_om as om

from .. import __version__
from ..docs import full_description, render_markdown
from ..engine import FAILURES, Notice, Result
from ..fingerprint import FINGERPRINT_KEY, fingerprints
from ..fixes import Fix
from ..paths import display_path
from ..precision import precision_of
from ..rule import Finding, Location, Rule

if TYPE_CHECKING:
    from ..profiles.evidence import Evidence, ProfileEvidence

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/goleaklint/goleaklint"
SRCROOT = "%SRCROOT%"
_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
# Written even when equal to the schema default ("warning"): the contract promises a level on
# every rule's defaultConfiguration and every result, and consumers need not know the default.
_ALWAYS_WRITTEN = frozenset({"level"})
MAX_RESULTS = 25_000  # GitHub code scanning rejects a run with more results
_SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}
TOO_MANY = "too-many-results"  # the notification's descriptor id
HOT_SITE, PROFILE_ERROR = "profile-hot-site", "profile-error"  # --profile's notifications


def help_uri(rule: type[Rule]) -> str:
    return f"{INFORMATION_URI}/blob/main/rules/{rule.id}.md"


def _descriptor(rule: type[Rule]) -> om.ReportingDescriptor:
    markdown = render_markdown(rule)
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=full_description(rule)),
        help=om.MultiformatMessageString(text=markdown, markdown=markdown),
        help_uri=help_uri(rule),
        default_configuration=om.ReportingConfiguration(level=rule.level),
        properties={
            "tags": sorted({rule.family, *rule.tags}),
            "precision": precision_of(rule),  # measured where goleaklint has a sample
            "tier": rule.tier,  # "opt-in": off unless named in select / extend-select
            "problem.severity": _SEVERITY[rule.level],
        },
    )


@functools.lru_cache(maxsize=4096)  # a file's findings share one; emptied by each build
def _artifact(path: Path, root: Path) -> om.ArtifactLocation:
    shown = display_path(path, root)
    if shown.startswith("/"):
        return om.ArtifactLocation(uri=Path(shown).as_uri())
    # A URI reference: spaces, non-ASCII names and bytes that are not UTF-8 percent-encoded.
    return om.ArtifactLocation(uri=quote(os.fsencode(shown), safe="/"), uri_base_id=SRCROOT)


def _region(loc: Location) -> om.Region:
    return om.Region(
        start_line=loc.line,
        start_column=loc.column,
        end_line=loc.end_line,
        end_column=loc.end_column,
    )


def _location(loc: Location, root: Path, **extra: Any) -> om.Location:
    return om.Location(
        physical_location=om.PhysicalLocation(
            artifact_location=_artifact(loc.path, root), region=_region(loc)
        ),
        **extra,
    )


def _fix(fix: Fix, path: Path, root: Path) -> om.Fix:
    """A SARIF ``fix``: one artifact change, a replacement per edit (an insertion deletes an
    empty region)."""
    replacements = [
        om.Replacement(
            deleted_region=om.Region(
                start_line=e.start[0], start_column=e.start[1],
                end_line=e.end[0], end_column=e.end[1],
            ),
            inserted_content=om.ArtifactContent(text=e.new_text) if e.new_text else None,
        )
        for e in fix.edits
    ]
    return om.Fix(
        description=om.Message(text=fix.description),
        artifact_changes=[
            om.ArtifactChange(artifact_location=_artifact(path, root), replacements=replacements)
        ],
    )


def _result(f: Finding, index: int, fingerprint: str, root: Path,
            evidence: ProfileEvidence | None = None) -> om.Result:
    rank = evidence.rank(f) if evidence is not None else None
    found = evidence.of(f) if evidence is not None else []
    related = [
        _location(r.location, root, id=i, message=om.Message(text=r.message))
        for i, r in enumerate(f.related, 1)
    ]
    return om.Result(
        rule_id=f.rule_id,
        rule_index=index,
        level=f.level,
        message=om.Message(text=f.message),
        locations=[_location(f.location, root)],
        related_locations=related or None,
        partial_fingerprints={FINGERPRINT_KEY: fingerprint},
        fixes=[_fix(f.fix, f.location.path, root)] if f.fix is not None else None,
        rank=rank if rank is not None else -1.0,
        properties=_result_properties(f, found),
    )


def _profile_notifications(evidence: ProfileEvidence, root: Path) -> list[om.Notification]:
    """Hot sites no rule explains (notes, at their line) and profiles not used (warnings)."""
    notes = [
        om.Notification(
            message=om.Message(text=site.text()),
            level="note",
            locations=[om.Location(physical_location=om.PhysicalLocation(
                artifact_location=_artifact(site.path, root),
                region=om.Region(start_line=site.line)))],
            descriptor=om.ReportingDescriptorReference(id=HOT_SITE),
            properties={"evidence": site.evidence.to_json()},
        )
        for site in evidence.hot_sites
    ]
    return notes + [
        om.Notification(message=om.Message(text=f"profile {problem}"), level="warning",
                        descriptor=om.ReportingDescriptorReference(id=PROFILE_ERROR))
        for problem in evidence.problems
    ]


def _result_properties(f: Finding, found: list[Evidence]) -> dict[str, object] | None:
    """An opt-in shape's ``tier`` and the profiles' ``evidence``, when there are any."""
    properties: dict[str, object] = {}
    if f.tier != "default":
        properties["tier"] = f.tier
    if found:
        properties["evidence"] = [e.to_json() for e in found]
    return properties or None


def _notification(n: Notice, root: Path) -> om.Notification:
    level = "error" if n.kind in FAILURES else "warning"
    where = om.Location(
        physical_location=om.PhysicalLocation(
            artifact_location=_artifact(n.path, root),
            region=om.Region(start_line=n.line) if n.line > 0 else None,
        )
    )
    return om.Notification(
        message=om.Message(text=n.message),
        level=level,
        locations=[where],
        descriptor=om.ReportingDescriptorReference(id=n.kind),
    )


def kept(findings: list[Finding]) -> list[Finding]:
    """The findings a run can hold: all of them, or the ``MAX_RESULTS`` most severe (errors,
    then warnings, then notes; the first in report order among equals), in report order."""
    if len(findings) <= MAX_RESULTS:
        return findings
    order = sorted(range(len(findings)),
                   key=lambda i: (_SEVERITY_ORDER.get(findings[i].level, 3), i))
    return [findings[i] for i in sorted(order[:MAX_RESULTS])]


def left_out(total: int) -> str:
    """What a run that holds only ``MAX_RESULTS`` of ``total`` results says about it."""
    return (f"{total - MAX_RESULTS:,} of {total:,} results left out: GitHub code scanning "
            f"accepts at most {MAX_RESULTS:,} in a run; the most severe are kept. Report fewer "
            "with --baseline (new findings only) or --select/--ignore.")


def _too_many(total: int) -> om.Notification:
    return om.Notification(
        message=om.Message(text=left_out(total)),
        level="warning",
        descriptor=om.ReportingDescriptorReference(id=TOO_MANY),
    )


def automation_id(category: str) -> str:
    """``runAutomationDetails.id`` for a category: GitHub reads everything up to the last ``/``
    as the category, so ``goleaklint`` becomes ``goleaklint/`` (no run-specific part)."""
    return category if category.endswith("/") else category + "/"


def build(
    result: Result, rules: list[type[Rule]], root: Path | None = None,
    category: str | None = None,
) -> om.SarifLog:
    """The SARIF log object for a run."""
    root = (root or Path.cwd()).resolve()
    _artifact.cache_clear()
    index = {r.id: i for i, r in enumerate(rules)}
    findings = [f for f in result.findings if f.rule_id in index]
    shown = kept(findings)
    prints = fingerprints(findings, functools.cache(lambda p: display_path(p, root)))
    print_of = {id(f): fp for f, fp in zip(findings, prints, strict=True)}
    notifications = [_notification(n, root) for n in result.notices]
    if len(shown) < len(findings):
        notifications.append(_too_many(len(findings)))
    if result.profiles is not None:
        notifications += _profile_notifications(result.profiles, root)
    driver = om.ToolComponent(
        name="goleaklint",
        version=__version__,
        semantic_version=__version__,
        information_uri=INFORMATION_URI,
        rules=[_descriptor(r) for r in rules],
    )
    run = om.Run(
        tool=om.Tool(driver=driver),
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=root.as_uri() + "/")},
        results=[_result(f, index[f.rule_id], print_of[id(f)], root, result.profiles)
                 for f in shown],
        invocations=[
            om.Invocation(
                execution_successful=not any(n.kind in FAILURES for n in result.notices),
                tool_execution_notifications=notifications or None,
            )
        ],
        column_kind="unicodeCodePoints",
        automation_details=om.RunAutomationDetails(id=automation_id(category))
        if category else None,
    )
    return om.SarifLog(version="2.1.0", schema_uri=SCHEMA, runs=[run])


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, schema property name, default omitted) of a sarif-om class; the default is
    ``attr.NOTHING`` for a property that has none or is always written."""
    fields = []
    for a in attr.fields(cls):
        default = a.default
        # attrs' stub declares Factory a function; at run time it is the class of the defaults.
        if isinstance(default, attr.Factory):  # type: ignore[arg-type]
            default = default.factory()
        name = a.metadata.get("schema_property_name", a.name)
        fields.append((a.name, name, attr.NOTHING if name in _ALWAYS_WRITTEN else default))
    return tuple(fields)


def to_jsonable(obj: Any) -> Any:
    """Serialise sarif-om objects by their schema property names, leaving defaults out
    (except ``level``, always written)."""
    cls: type = type(obj)  # a plain type: mypy checks type[Any] against @cache's Hashable wrongly
    if attr.has(cls):
        out: dict[str, Any] = {}
        for attribute, name, default in _fields(cls):
            value = getattr(obj, attribute)
            if value is None or (default is not attr.NOTHING and value == default):
                continue
            out[name] = to_jsonable(value)
        return out
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


def write(
    result: Result, rules: list[type[Rule]], out: TextIO, category: str | None = None
) -> list[str]:
    """Write the log; the warnings for stderr (results left out)."""
    log = build(result, rules, category=category)
    json.dump(to_jsonable(log), out, indent=2, sort_keys=False)
    out.write("\n")
    ids = {r.id for r in rules}
    total = sum(f.rule_id in ids for f in result.findings)
    return [left_out(total)] if total > MAX_RESULTS else []
