"""``--format gitlab`` and ``--format checkstyle`` (issue 18, item 4), each checked against its
documented schema.

GitLab Code Quality (docs.gitlab.com, "Code Quality report format"): a JSON array of objects
with ``description``, ``check_name``, ``fingerprint``, ``severity`` (one of info, minor, major,
critical, blocker), ``location.path`` and ``location.lines.begin``; GitLab keeps one issue per
fingerprint, so they must be unique. Checkstyle: the structure of checkstyle-report-1.0.0.xsd
(Checkstyle's own schema) written out below; no XSD validator is installed with the test tools
(neither lxml nor xmlschema), so the schema's rules are checked one by one.
"""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.engine import Notice, Result
from goleaklint.registry import load_rules
from goleaklint.report import write_report
from goleaklint.rule import Finding, Location

REPO = Path(__file__).resolve().parent.parent
TARGETS = ("fixtures/GL101", "fixtures/GL201", "fixtures/GL301")
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
CHECKSTYLE_SEVERITIES = {"ignore", "info", "warning", "error"}  # the XSD's severityType
NASTY = "<&\"'\x01>"


def report(cwd: Path, fmt: str, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        code = main(["--format", fmt, "--exit-zero", *args], out=out, err=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    """The same run in ``--format json``: what the other formats must carry."""
    items = json.loads(report(REPO, "json", *TARGETS))
    assert len(items) > 10 and any(i["related"] for i in items)
    return items


# --- GitLab ---------------------------------------------------------------------------------


def check_gitlab_schema(issues: object) -> None:
    """The documented fields, with their types; nothing that GitLab would refuse."""
    assert isinstance(issues, list)
    for issue in issues:
        assert isinstance(issue, dict)
        for key in ("description", "check_name", "fingerprint", "severity"):
            assert isinstance(issue[key], str) and issue[key], (key, issue)
        assert issue["severity"] in GITLAB_SEVERITIES
        location = issue["location"]
        assert isinstance(location["path"], str) and location["path"]
        begin = location["lines"]["begin"]
        assert type(begin) is int and begin >= 1
        end = location["lines"].get("end", begin)
        assert type(end) is int and end >= begin
    prints = [i["fingerprint"] for i in issues]
    assert len(set(prints)) == len(prints), "GitLab keeps one issue per fingerprint"


def test_gitlab_report_follows_the_documented_schema(reference: list[dict]) -> None:
    issues = json.loads(report(REPO, "gitlab", *TARGETS))
    check_gitlab_schema(issues)
    # one issue per finding, at its primary location, with goleaklint's fingerprint
    assert [(i["location"]["path"], i["location"]["lines"]["begin"], i["fingerprint"],
             i["check_name"]) for i in issues] == [
        (r["path"], r["line"], r["fingerprint"], r["rule"]) for r in reference]
    assert all(i["description"] == f"{r['rule']} {r['name']}: {r['message']}"
               for i, r in zip(issues, reference, strict=True))
    assert {i["severity"] for i in issues} <= {"minor", "major", "info"}


def test_gitlab_fingerprints_are_the_sarif_and_baseline_ones() -> None:
    sarif = json.loads(report(REPO, "sarif", "fixtures/GL101"))
    issues = json.loads(report(REPO, "gitlab", "fixtures/GL101"))
    assert [r["partialFingerprints"]["goleaklint/v1"] for r in sarif["runs"][0]["results"]] == [
        i["fingerprint"] for i in issues]


def test_gitlab_paths_are_relative_to_where_goleaklint_runs() -> None:
    issues = json.loads(report(REPO / "fixtures", "gitlab", "GL101/seed"))
    assert [i["location"]["path"] for i in issues] == ["GL101/seed/cache.go"]


def test_gitlab_report_of_a_clean_run_is_an_empty_array(tmp_path: Path) -> None:
    (tmp_path / "ok.go").write_text("package ok\n")
    assert json.loads(report(tmp_path, "gitlab", ".")) == []


# --- Checkstyle -----------------------------------------------------------------------------


def check_checkstyle_schema(text: str) -> ET.Element:
    """Well-formed XML with the structure of checkstyle-report-1.0.0.xsd: a ``checkstyle``
    root (optional ``version``) of ``file`` elements (required ``name``) holding ``error``
    elements (``line``, ``column`` positive integers, ``severity`` of severityType,
    ``message``, ``source``) and ``exception`` text."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))  # raises on anything not well-formed
    assert root.tag == "checkstyle" and set(root.attrib) <= {"version"}
    for file in root:
        assert file.tag == "file" and set(file.attrib) == {"name"} and file.get("name")
        for child in file:
            assert child.tag in ("error", "exception")
            if child.tag == "exception":
                assert not child.attrib and child.text
                continue
            assert set(child.attrib) == {"line", "column", "severity", "message", "source"}
            assert int(child.get("line", "")) >= 1 and int(child.get("column", "")) >= 1
            assert child.get("line", "").isdigit() and child.get("column", "").isdigit()
            assert child.get("severity") in CHECKSTYLE_SEVERITIES
    return root


def test_checkstyle_report_follows_the_schema(reference: list[dict]) -> None:
    root = check_checkstyle_schema(report(REPO, "checkstyle", *TARGETS))
    assert root.get("version")
    errors = [(file.get("name"), int(e.get("line", "")), int(e.get("column", "")),
               e.get("source"), e.get("message"), e.get("severity"))
              for file in root for e in file.iter("error")]
    assert errors == [(r["path"], r["line"], r["column"], f"goleaklint.{r['rule']}",
                       f"{r['name']}: {r['message']}", r["level"].replace("note", "info"))
                      for r in reference]
    names = [file.get("name") for file in root]
    assert len(names) == len(set(names)), "one <file> element per file"


def test_checkstyle_escapes_markup_and_characters_xml_cannot_hold() -> None:
    """A path and a message holding ``<&"'``, a control character, a line break and a byte
    that is not UTF-8 still give a well-formed document that reads back as they were (the
    characters XML cannot hold as ``\\xNN`` escapes, the byte percent-encoded as in JSON)."""
    path = Path(f"/nowhere/{NASTY}\udce9.go")
    finding = Finding("GL101", "unbounded-global-map", "error",
                      Location(path, 3, 4, 3, 9), f"map {NASTY} only grows\nhere", "x")
    notice = Notice(Path(f"/nowhere/{NASTY}b.go"), 7, "parse-error", f"bad {NASTY}")
    out = io.StringIO()
    write_report("checkstyle", Result([finding], [notice]), load_rules().rules, out)
    text = out.getvalue()
    assert text.isascii()
    root = check_checkstyle_schema(text)
    first, second = root
    assert first.get("name") == "/nowhere/<&\"'\\x01>%E9.go"
    (error,) = first
    # (a finding's message is one line already: goleaklint.oneline)
    assert error.get("message") == "unbounded-global-map: map <&\"'\\x01> only grows\\nhere"
    assert error.get("severity") == "error"
    assert second.get("name") == "/nowhere/<&\"'\\x01>b.go"
    assert [e.text for e in second] == ["line 7: parse-error: bad <&\"'\\x01>"]


def test_checkstyle_end_to_end_with_a_hostile_file_name(tmp_path: Path) -> None:
    """A real file whose name holds markup and a control character, written with --output."""
    src = tmp_path / "src"
    src.mkdir()
    name = f"c{NASTY}.go"
    shutil.copy(REPO / "fixtures/GL101/seed/cache.go", src / name)
    report(tmp_path, "checkstyle", "--output", "report.xml", "src")
    root = check_checkstyle_schema((tmp_path / "report.xml").read_text(encoding="utf-8"))
    (file,) = root
    assert file.get("name") == "src/c<&\"'\\x01>.go"
    assert [e.get("line") for e in file] == ["9"]
    issues = json.loads(report(tmp_path, "gitlab", "src"))
    check_gitlab_schema(issues)
    assert [i["location"]["path"] for i in issues] == [f"src/{name}"]


def test_checkstyle_of_a_clean_run_is_an_empty_root(tmp_path: Path) -> None:
    (tmp_path / "ok.go").write_text("package ok\n")
    root = check_checkstyle_schema(report(tmp_path, "checkstyle", "."))
    assert len(root) == 0


def test_checkstyle_carries_notices_as_exceptions(tmp_path: Path) -> None:
    (tmp_path / "broken.go").write_text("package broken\n\nfunc f() {\n")
    root = check_checkstyle_schema(report(tmp_path, "checkstyle", "."))
    (file,) = root
    assert file.get("name") == "broken.go"
    (exception,) = file
    assert exception.tag == "exception" and "parse-error" in (exception.text or "")


def test_profile_evidence_follows_the_message_as_in_github_annotations() -> None:
    """With --profile, the GitLab description and the checkstyle message end with the
    evidence in brackets, as ``--format github`` writes it."""
    from test_profile_evidence import profiles, run
    from test_profile_reading import SEND, STRANDED

    tail = f"[goroutine dump goroutine-debug2.txt.gz: {STRANDED:,} goroutines in chan send]"
    _, out, _ = run(*profiles("goroutine-debug2.txt.gz"), "--format", "gitlab", ".")
    (send,) = [i for i in json.loads(out) if i["location"]["lines"]["begin"] == SEND]
    assert send["description"].endswith(tail)
    _, out, _ = run(*profiles("goroutine-debug2.txt.gz"), "--format", "checkstyle", ".")
    root = check_checkstyle_schema(out)
    (error,) = [e for e in root.iter("error") if e.get("line") == str(SEND)]
    assert (error.get("message") or "").endswith(tail)
