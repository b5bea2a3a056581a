"""SARIF output (DESIGN.md section 4): the contract's fields, stable fingerprints, and Microsoft's
SARIF Multitool with its GitHub rules reporting zero errors and zero warnings.

The validator test looks for the Multitool's platform binary in ``$SARIF_MULTITOOL``, then in
``.ci/node_modules`` (``npm ci --prefix .ci``, done by ``.ci/run``). Without it the test is
skipped, except in CI (``CI`` set) or when ``$SARIF_MULTITOOL`` names a missing file: then it
fails, so CI can never pass without validating.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from goleaklint import __version__
from goleaklint.cli import main
from goleaklint.registry import load_rules
from goleaklint.report import sarif_report
from goleaklint.rule import LEVELS, PRECISIONS

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SEED = FIXTURES / "GL101" / "seed"  # one GL101 finding, at `globalCache.items[key] = value`
FINGERPRINT_KEY = "goleaklint/v1"
_PROBLEM = re.compile(r": (error|warning) ")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def sarif_of(cwd: Path, *args: str) -> dict:
    """Run ``goleaklint --format sarif --exit-zero ARGS`` in ``cwd``; the parsed log."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        code = main(["--format", "sarif", "--exit-zero", *args], out=out, err=err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def fixture_log() -> dict:
    return sarif_of(REPO, "fixtures")


@pytest.fixture(scope="module")
def run(fixture_log: dict) -> dict:
    assert len(fixture_log["runs"]) == 1
    return fixture_log["runs"][0]


def locations_of(run: dict):
    for result in run["results"]:
        yield from result["locations"]
        yield from result.get("relatedLocations", [])


# --- structure ------------------------------------------------------------------------------


def test_log_is_sarif_2_1_0_with_one_run(fixture_log: dict) -> None:
    assert fixture_log["version"] == "2.1.0"
    assert fixture_log["$schema"].startswith("https://")
    assert fixture_log["$schema"].endswith("sarif-2.1.0.json")
    assert len(fixture_log["runs"]) == 1


def test_driver_identifies_the_tool(run: dict) -> None:
    driver = run["tool"]["driver"]
    assert driver["name"] == "goleaklint"
    assert driver["version"] == __version__
    assert driver["semanticVersion"] == __version__
    assert urlparse(driver["informationUri"]).scheme == "https"


def test_driver_lists_every_enabled_rule_in_catalog_order(run: dict) -> None:
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == [r.id for r in load_rules().rules]


def test_every_rule_descriptor_is_complete(run: dict) -> None:
    registry = {r.id: r for r in load_rules().rules}
    for rule in run["tool"]["driver"]["rules"]:
        where = rule.get("id", rule)
        assert re.fullmatch(r"GL\d{3}", rule["id"]), where
        assert rule["name"] == registry[rule["id"]].name, where
        assert rule["shortDescription"]["text"].strip(), where
        full = rule["fullDescription"]["text"]
        assert full.strip() and len(full) <= 1024, where
        assert rule["help"]["text"].strip(), where
        assert rule["help"]["markdown"].startswith(f"# {rule['id']} "), where
        assert urlparse(rule["helpUri"]).scheme == "https", where
        assert rule["helpUri"].endswith(f"{rule['id']}.md"), where
        assert rule["defaultConfiguration"]["level"] in LEVELS, where
        props = rule["properties"]
        assert props["tags"] and all(isinstance(t, str) and t for t in props["tags"]), where
        assert registry[rule["id"]].family in props["tags"], where
        assert props["precision"] in PRECISIONS, where
        assert props["problem.severity"] in ("error", "warning", "recommendation"), where


def test_results_reference_their_rule(run: dict) -> None:
    rules = run["tool"]["driver"]["rules"]
    assert run["results"], "the fixture tree should produce findings"
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert result["level"] in LEVELS
        assert result["level"] == rule["defaultConfiguration"]["level"]
        assert result["message"]["text"].strip()


def test_result_locations_are_relative_to_srcroot(run: dict) -> None:
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == REPO.as_uri() + "/"
    for result in run["results"]:
        assert len(result["locations"]) == 1
    for loc in locations_of(run):
        artifact = loc["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        uri = artifact["uri"]
        assert not urlparse(uri).scheme and not uri.startswith("/") and "\\" not in uri, uri
        assert (REPO / uri).is_file(), uri
        region = loc["physicalLocation"]["region"]
        assert 1 <= region["startLine"] <= region["endLine"], region
        assert region["startColumn"] >= 1 and region["endColumn"] >= 1, region
        if region["startLine"] == region["endLine"]:
            assert region["startColumn"] < region["endColumn"], region


def test_related_locations_are_numbered_and_explained(run: dict) -> None:
    for result in run["results"]:
        related = result.get("relatedLocations", [])
        assert len({r["id"] for r in related}) == len(related)
        for r in related:
            assert r["message"]["text"].strip()


def test_results_have_distinct_partial_fingerprints(run: dict) -> None:
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert all(isinstance(p, str) and p for p in prints)
    assert len(set(prints)) == len(prints)


def test_unreadable_file_is_a_tool_notification_not_a_result(tmp_path: Path) -> None:
    shutil.copytree(SEED, tmp_path / "seed")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "broken.go").write_text("package broken\n\nfunc f( {\n")
    run = sarif_of(tmp_path, ".")["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["GL101"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    uris = [n["locations"][0]["physicalLocation"]["artifactLocation"] for n in notes]
    assert {"uri": "broken/broken.go", "uriBaseId": "%SRCROOT%"} in uris


def skipped_files(seed: Path) -> set[tuple[str, str]]:
    """Paths discovery does not take (or read), added in and beside a copy of the seed
    package: (uri, kind)."""
    (seed / "blob.go").write_bytes(b"package seed\n\x00")
    (seed / "notes.go").write_text("// no package clause\n")
    (seed / "dangling.go").symlink_to("nowhere.go")
    (seed / "self.go").symlink_to("self.go")
    (seed / "again").symlink_to(".", target_is_directory=True)
    (seed.parent / "mirror").symlink_to("seed", target_is_directory=True)
    (seed / "go.mod").symlink_to("missing.mod")
    return {("seed/blob.go", "binary-file"), ("seed/notes.go", "no-package-clause"),
            ("seed/dangling.go", "read-error"), ("seed/self.go", "read-error"),
            ("seed/again", "symlink-loop"), ("mirror", "already-analysed"),
            ("seed/go.mod", "read-error")}


def test_skipped_files_are_tool_notifications(tmp_path: Path) -> None:
    shutil.copytree(SEED, tmp_path / "seed")
    expected = skipped_files(tmp_path / "seed")
    run = sarif_of(tmp_path, ".")["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["GL101"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True  # skipping a file is not a failure
    notes = invocation["toolExecutionNotifications"]
    assert {n["level"] for n in notes} == {"warning"}
    assert {(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             n["descriptor"]["id"]) for n in notes} == expected
    assert all(n["message"]["text"] for n in notes)


def test_mechanical_fixes_are_offered(run: dict) -> None:
    """GL201/GL202 results carry SARIF fixes (validated by the Multitool test below)."""
    fixed = [r for r in run["results"] if "fixes" in r]
    assert {r["ruleId"] for r in fixed} == {"GL201", "GL202"}
    for result in fixed:
        (fix,) = result["fixes"]
        assert fix["description"]["text"]
        (change,) = fix["artifactChanges"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert change["artifactLocation"] == uri
        for replacement in change["replacements"]:
            region = replacement["deletedRegion"]
            assert (region["startLine"], region["startColumn"]) <= (
                region["endLine"], region["endColumn"])


# --- automationDetails (--category) ---------------------------------------------------------


@pytest.mark.parametrize(("category", "expected"), [
    ("goleaklint", "goleaklint/"),
    ("goleaklint/backend", "goleaklint/backend/"),
    ("goleaklint/", "goleaklint/"),
])
def test_category_is_the_automation_id(category: str, expected: str) -> None:
    log = sarif_of(SEED, "--category", category, ".")
    assert log["runs"][0]["automationDetails"] == {"id": expected}


def test_no_category_no_automation_details(fixture_log: dict) -> None:
    assert "automationDetails" not in fixture_log["runs"][0]


@pytest.mark.parametrize("argv", [["--category", "x"], ["--format", "sarif", "--category", "/"]])
def test_category_needs_sarif_and_a_name(argv: list[str]) -> None:
    err = io.StringIO()
    assert main([*argv, str(SEED)], out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith("goleaklint: error: --category: ")


# --- fingerprints ---------------------------------------------------------------------------


def _seed_finding(cwd: Path) -> dict:
    results = sarif_of(cwd, ".")["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["GL101"]
    return results[0]


def test_fingerprint_survives_moved_lines_and_changes_with_the_line(tmp_path: Path) -> None:
    shutil.copytree(SEED, tmp_path / "seed")
    source = tmp_path / "seed" / "cache.go"
    before = _seed_finding(tmp_path)
    line = before["locations"][0]["physicalLocation"]["region"]["startLine"]

    lines = source.read_text().splitlines(keepends=True)
    filler = [f"// unrelated comment {i}\n" for i in range(20)]
    source.write_text("".join(lines[:1] + filler + lines[1:]))
    moved = _seed_finding(tmp_path)
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == line + 20
    assert moved["partialFingerprints"] == before["partialFingerprints"]

    text = source.read_text()
    assert "globalCache.items[key] = value }" in text
    source.write_text(text.replace("globalCache.items[key] = value }",
                                   'globalCache.items[key] = value + "!" }'))
    edited = _seed_finding(tmp_path)
    assert edited["partialFingerprints"] != before["partialFingerprints"]


# --- Microsoft SARIF Multitool --------------------------------------------------------------


def multitool() -> Path | None:
    """The Multitool's platform binary, or None when it is not installed."""
    named = os.environ.get("SARIF_MULTITOOL")
    if named:
        return Path(named)
    platform = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform)
    if platform is None:
        return None
    exe = "Sarif.Multitool.exe" if platform == "win32" else "Sarif.Multitool"
    path = REPO / ".ci" / "node_modules" / "@microsoft" / f"sarif-multitool-{platform}" / exe
    return path if path.is_file() else None


@pytest.fixture(scope="module")
def validator() -> Path:
    tool = multitool()
    if tool is None or not tool.is_file():
        why = ("SARIF Multitool not installed (npm ci --prefix .ci, or set SARIF_MULTITOOL)"
               if tool is None else f"SARIF_MULTITOOL={tool}: no such file")
        if in_ci() or tool is not None:
            pytest.fail(why)
        pytest.skip(why)
    return tool


def validate(tool: Path, sarif_file: Path) -> str:
    """Run ``Sarif.Multitool validate --rule-kind "Gh;Sarif"``; its console output.

    The binary is called directly: the npm wrapper (``npx sarif-multitool``) spawns it through a
    shell, which splits ``Gh;Sarif`` at the semicolon.
    """
    env = dict(os.environ)
    env.setdefault("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")  # machines without libicu
    env.setdefault("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
    proc = subprocess.run(
        [str(tool), "validate", "--rule-kind", "Gh;Sarif", str(sarif_file)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "1 files scanned" in output, output
    return output


def test_multitool_flags_a_bad_log(validator: Path, tmp_path: Path) -> None:
    """The check below can fail: a log without rules or $schema draws GitHub errors."""
    bad = tmp_path / "bad.sarif"
    bad.write_text(json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                                            "results": []}]}))
    assert _PROBLEM.search(validate(validator, bad))


@pytest.mark.parametrize("tree", ["fixtures", "notices", "capped"])
def test_multitool_reports_no_errors_or_warnings(validator: Path, tree: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if tree == "fixtures":
        cwd, target = REPO, "fixtures"
    elif tree == "capped":  # results left out, and the notification that says so
        cwd, target = REPO, "fixtures"
        monkeypatch.setattr(sarif_report, "MAX_RESULTS", 10)
    else:  # a finding with related locations plus tool notifications (a file that won't
        # parse, files discovery skips)
        shutil.copytree(SEED, tmp_path / "src" / "seed")
        (tmp_path / "src" / "broken.go").write_text("package broken\n\nfunc f( {\n")
        skipped_files(tmp_path / "src" / "seed")
        cwd, target = tmp_path / "src", "."
    report = tmp_path / "goleaklint.sarif"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        code = main(["--format", "sarif", "--category", "goleaklint", "--exit-zero",
                     "--output", str(report), target], out=io.StringIO(), err=io.StringIO())
    assert code == 0
    if tree == "capped":
        log = json.loads(report.read_text(encoding="utf-8"))
        assert len(log["runs"][0]["results"]) == 10
        notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        assert [n["descriptor"]["id"] for n in notes] == ["too-many-results"]
    output = validate(validator, report)
    problems = [line for line in output.splitlines() if _PROBLEM.search(line)]
    assert not problems, "\n".join(problems)
