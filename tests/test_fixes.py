"""Mechanical fixes: GL202 ``defer cancel()`` and GL201 ``defer x.Close()``, offered in SARIF
``fixes`` and applied by ``goleaklint --fix``; fixed code is gofmt-clean and re-analyses clean."""

from __future__ import annotations

import io
import json
import shutil
import stat
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.fixes import Edit, Fix, apply
from goleaklint.registry import load_rules
from goleaklint.rule import Finding
from harness import fixture_config

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
ALL_RULES = load_rules().rules
GOFMT = shutil.which("gofmt")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def analyse(*paths: Path, rules=None) -> list[Finding]:
    """The findings of each package, with its folder's rule options (as ``--fix`` reads them)."""
    found = discover([str(p) for p in paths])
    return [f for p in found.packages
            for f in analyze([p], rules or ALL_RULES, fixture_config(p.directory)).findings]


def key(f: Finding) -> tuple[str, str, str]:
    """What identifies a finding across edits that move lines: file, rule and its line's text."""
    return (f.location.path.name, f.rule_id, f.snippet)


def gofmt_dirty(*paths: Path) -> str:
    proc = subprocess.run([GOFMT, "-l", *map(str, paths)], capture_output=True, text=True,
                          timeout=120, check=False)
    return proc.stdout + proc.stderr


# The fixture tree, fixed -------------------------------------------------------------------


@pytest.fixture
def fixed_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Copies of fixtures/GL201 and fixtures/GL202 (with the go.mod), before and after --fix."""
    shutil.copy(FIXTURES / "go.mod", tmp_path / "go.mod")
    for rule in ("GL201", "GL202"):
        shutil.copytree(FIXTURES / rule, tmp_path / rule)
    monkeypatch.chdir(tmp_path)
    before = analyse(tmp_path / "GL201", tmp_path / "GL202")
    code, out, err = run("--fix", "GL201", "GL202")
    after = analyse(tmp_path / "GL201", tmp_path / "GL202")
    return tmp_path, before, after, (code, out, err)


def test_fix_removes_the_fixed_findings_and_adds_none(fixed_tree) -> None:
    _, before, after, (code, out, err) = fixed_tree
    fixable = [f for f in before if f.fix is not None]
    assert {f.rule_id for f in fixable} == {"GL201", "GL202"}
    assert len(fixable) >= 20
    assert Counter(map(key, after)) == Counter(map(key, before)) - Counter(map(key, fixable))
    assert not [f for f in after if f.fix is not None]
    # What was fixed is reported on stderr, what remains as usual on stdout.
    fixed_lines = [line for line in err.splitlines() if ": fixed GL20" in line]
    assert len(fixed_lines) == len(fixable)
    assert f"goleaklint: fixed {len(fixable)} findings in " in err
    assert code == 1
    assert out.count("\n") == len([f for f in after if f.rule_id in ("GL201", "GL202")])


@pytest.mark.skipif(GOFMT is None, reason="gofmt is not installed")
def test_fixed_code_is_gofmt_clean(fixed_tree) -> None:
    root = fixed_tree[0]
    assert gofmt_dirty(FIXTURES / "GL201", FIXTURES / "GL202") == ""  # clean to start with
    assert gofmt_dirty(root / "GL201", root / "GL202") == ""


def test_fixes_read_as_expected(fixed_tree) -> None:
    root = fixed_tree[0]
    cause = (root / "GL202" / "cause" / "cause.go").read_text()
    assert "ctx, cancel := context.WithTimeoutCause(parent, time.Second, errSlow)" \
           ' // want "GL202"\n\tdefer cancel()\n' in cause
    assert 'context.WithCancelCause(parent) // want "GL202"\n\tdefer cancel(nil)\n' in cause
    # A defer placed after an early return moves up instead of being duplicated.
    assert cause.count("defer cancel()") == 3
    client = (root / "GL201" / "httpclient" / "client.go").read_text()
    assert "\t\treturn false, err\n\t}\n\tdefer resp.Body.Close()\n\tif resp.StatusCode" in client
    assert client.count("defer resp.Body.Close()") == (
        (FIXTURES / "GL201" / "httpclient" / "client.go").read_text().count(
            "defer resp.Body.Close()") + 2)


def test_fix_twice_finds_nothing_more_to_fix(fixed_tree) -> None:
    root = fixed_tree[0]
    snapshot = {p: p.read_bytes() for p in root.rglob("*.go")}
    code, _, err = run("--fix", "GL201", "GL202")
    assert code == 1  # what cannot be fixed mechanically is still reported
    assert "goleaklint: nothing to fix\n" in err
    assert {p: p.read_bytes() for p in root.rglob("*.go")} == snapshot


def test_without_fix_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "GL202" / "cause", tmp_path / "cause")
    monkeypatch.chdir(tmp_path)
    snapshot = (tmp_path / "cause" / "cause.go").read_bytes()
    for fmt in ("text", "json", "sarif"):
        run("--format", fmt, "cause")
    assert (tmp_path / "cause" / "cause.go").read_bytes() == snapshot


# Shapes: what gets a fix and what does not -------------------------------------------------

HEADER = 'package p\n\nimport (\n\t"context"\n\t"net/http"\n\t"os"\n\t"time"\n)\n\n'
HEADER += "var _ = http.Get\nvar _ = os.Open\nvar _ = time.Second\n\n"


def fix_of(tmp_path: Path, body: str, rule: str) -> tuple[str, str] | None:
    """(description, fixed source) of the one ``rule`` finding in ``body``, None when it has
    no fix. The fixed source is gofmt-checked when gofmt is installed."""
    package = tmp_path / "p"
    package.mkdir(exist_ok=True)
    path = package / "p.go"
    code = HEADER + body
    path.write_text(code, encoding="utf-8")
    findings = [f for f in analyse(package) if f.rule_id == rule]
    assert len(findings) == 1, [f.message for f in findings]
    fix = findings[0].fix
    if fix is None:
        return None
    fixed, chosen = apply(code.encode(), [fix])
    assert chosen == [fix]
    if GOFMT is not None:
        proc = subprocess.run([GOFMT, "-l"], input=fixed.decode(), capture_output=True,
                              text=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        formatted = subprocess.run([GOFMT], input=fixed.decode(), capture_output=True,
                                   text=True, timeout=60, check=False).stdout
        assert formatted == fixed.decode(), "fixed code is not gofmt-formatted"
    path.write_bytes(fixed)
    assert [f.message for f in analyse(package) if f.rule_id == rule] == []
    return fix.description, fixed.decode()[len(HEADER):]


CANCEL_CASES = {
    "early-return": (
        "func f(parent context.Context, ok bool) error {\n"
        "\tctx, cancel := context.WithTimeout(parent, time.Second)\n"
        "\tif !ok {\n\t\treturn nil\n\t}\n\tcancel()\n\t_ = ctx\n\treturn nil\n}\n",
        "insert defer cancel()",
        "\tctx, cancel := context.WithTimeout(parent, time.Second)\n\tdefer cancel()\n"),
    "discarded": (
        "func f(parent context.Context) {\n"
        "\tctx, _ := context.WithCancel(parent)\n\t_ = ctx\n}\n",
        "rename _ to cancel and insert defer cancel()",
        "\tctx, cancel := context.WithCancel(parent)\n\tdefer cancel()\n"),
    "trailing-comment": (
        "func f(parent context.Context) {\n"
        "\tctx, _ := context.WithCancel(parent) // derived\n\t_ = ctx\n}\n",
        "rename _ to cancel and insert defer cancel()",
        "\tctx, cancel := context.WithCancel(parent) // derived\n\tdefer cancel()\n"),
    "moved-defer": (
        "func f(parent context.Context, ok bool) error {\n"
        "\tctx, cancel := context.WithTimeout(parent, time.Second)\n"
        "\tif !ok {\n\t\treturn nil\n\t}\n\n\tdefer cancel()\n\n\t_ = ctx\n\treturn nil\n}\n",
        "move up defer cancel()",
        "\tdefer cancel()\n\tif !ok {\n\t\treturn nil\n\t}\n\n\t_ = ctx\n"),
    "nested-block": (
        "func f(parent context.Context, ok bool) {\n\tif ok {\n"
        "\t\tctx, _ := context.WithCancel(parent)\n\t\t_ = ctx\n\t}\n}\n",
        "rename _ to cancel and insert defer cancel()",
        "\t\tctx, cancel := context.WithCancel(parent)\n\t\tdefer cancel()\n"),
}


@pytest.mark.parametrize("case", sorted(CANCEL_CASES))
def test_gl202_fix(tmp_path: Path, case: str) -> None:
    body, description, expected = CANCEL_CASES[case]
    got = fix_of(tmp_path, body, "GL202")
    assert got is not None
    assert got[0] == description
    assert expected in got[1]


NO_CANCEL_FIX = {
    "in-a-loop": "func f(parent context.Context, n int) {\n\tfor i := 0; i < n; i++ {\n"
                 "\t\tctx, _ := context.WithCancel(parent)\n\t\t_ = ctx\n\t}\n}\n",
    "name-taken": "func f(parent context.Context, cancel func()) {\n"
                  "\tctx, _ := context.WithCancel(parent)\n\t_ = ctx\n\tcancel()\n}\n",
    "assignment": "func f(ctx context.Context) {\n"
                  "\tctx, _ = context.WithCancel(ctx)\n\t_ = ctx\n}\n",
    "context-returned": "func f(parent context.Context) context.Context {\n"
                        "\tctx, _ := context.WithCancel(parent)\n\treturn ctx\n}\n",
    "request-returned": "func f(parent context.Context) (*http.Request, error) {\n"
                        "\tctx, _ := context.WithCancel(parent)\n"
                        "\treturn http.NewRequestWithContext(ctx, \"GET\", \"/\", nil)\n}\n",
    "context-to-goroutine": "func f(parent context.Context, work func(context.Context)) {\n"
                            "\tctx, _ := context.WithCancel(parent)\n\tgo work(ctx)\n}\n",
    "context-stored": "type S struct{ ctx context.Context }\n\n"
                      "func (s *S) f(parent context.Context) {\n"
                      "\tctx, _ := context.WithCancel(parent)\n\ts.ctx = ctx\n}\n",
    "cancel-in-goroutine": "func f(parent context.Context, ok bool, done chan int) {\n"
                           "\tctx, cancel := context.WithCancel(parent)\n"
                           "\tif ok {\n\t\treturn\n\t}\n"
                           "\tgo func() {\n\t\t<-done\n\t\tcancel()\n\t}()\n\t_ = ctx\n}\n",
}


@pytest.mark.parametrize("case", sorted(NO_CANCEL_FIX))
def test_gl202_without_a_mechanical_fix(tmp_path: Path, case: str) -> None:
    assert fix_of(tmp_path, NO_CANCEL_FIX[case], "GL202") is None


CLOSE_CASES = {
    "file": (
        "func f(name string) (int64, error) {\n\tf, err := os.Open(name)\n"
        "\tif err != nil {\n\t\treturn 0, err\n\t}\n\tinfo, err := f.Stat()\n"
        "\tif err != nil {\n\t\treturn 0, err\n\t}\n\treturn info.Size(), nil\n}\n",
        "insert defer f.Close()",
        "\t\treturn 0, err\n\t}\n\tdefer f.Close()\n\tinfo, err := f.Stat()\n"),
    "response": (
        "func f(url string) (int, error) {\n\tresp, err := http.Get(url)\n"
        "\tif err != nil {\n\t\treturn 0, err\n\t}\n\treturn resp.StatusCode, nil\n}\n",
        "insert defer resp.Body.Close()",
        "\tdefer resp.Body.Close()\n\treturn resp.StatusCode, nil\n"),
    "panic": (
        "func f(name string) int64 {\n\tf, err := os.Open(name)\n"
        "\tif err != nil {\n\t\tpanic(err)\n\t}\n\tinfo, _ := f.Stat()\n"
        "\treturn info.Size()\n}\n",
        "insert defer f.Close()",
        "\t\tpanic(err)\n\t}\n\tdefer f.Close()\n"),
    "explicit-close-kept": (
        "func f(name string, data []byte) error {\n\tf, err := os.Create(name)\n"
        "\tif err != nil {\n\t\treturn err\n\t}\n\tif _, err := f.Write(data); err != nil {\n"
        "\t\treturn err\n\t}\n\treturn f.Close()\n}\n",
        "insert defer f.Close()",
        "\tdefer f.Close()\n\tif _, err := f.Write(data); err != nil {\n"),
}


@pytest.mark.parametrize("case", sorted(CLOSE_CASES))
def test_gl201_fix(tmp_path: Path, case: str) -> None:
    body, description, expected = CLOSE_CASES[case]
    got = fix_of(tmp_path, body, "GL201")
    assert got is not None
    assert got[0] == description
    assert expected in got[1]


NO_CLOSE_FIX = {
    "no-error-check-next": "func f(name string) error {\n\tf, err := os.Open(name)\n"
                           "\tlog := err != nil\n\tif err != nil {\n\t\treturn err\n\t}\n"
                           "\t_ = log\n\t_, err = f.Stat()\n\treturn err\n}\n",
    "error-check-with-else": "func f(name string) error {\n\tf, err := os.Open(name)\n"
                             "\tif err != nil {\n\t\treturn err\n\t} else {\n"
                             "\t\t_, _ = f.Stat()\n\t}\n\treturn nil\n}\n",
    "error-branch-goes-on": "func f(name string) {\n\tf, err := os.Open(name)\n"
                            "\tif err != nil {\n\t\tprintln(err)\n\t}\n\t_, _ = f.Stat()\n}\n",
    "returned-on-a-path": "func f(name string, keep bool) (*os.File, error) {\n"
                          "\tf, err := os.Open(name)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n"
                          "\tif keep {\n\t\treturn f, nil\n\t}\n\treturn nil, nil\n}\n",
    "in-a-loop": "func f(names []string) error {\n\tfor _, name := range names {\n"
                 "\t\tf, err := os.Open(name)\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n"
                 "\t\t_, _ = f.Stat()\n\t}\n\treturn nil\n}\n",
    "blank-error": "func f(name string) {\n\tf, _ := os.Open(name)\n\t_, _ = f.Stat()\n}\n",
    "assignment": "func f(name string) error {\n\tvar f *os.File\n\tvar err error\n"
                  "\tf, err = os.Open(name)\n\tif err != nil {\n\t\treturn err\n\t}\n"
                  "\t_, _ = f.Stat()\n\treturn nil\n}\n",
}


@pytest.mark.parametrize("case", sorted(NO_CLOSE_FIX))
def test_gl201_without_a_mechanical_fix(tmp_path: Path, case: str) -> None:
    assert fix_of(tmp_path, NO_CLOSE_FIX[case], "GL201") is None


def test_transactions_get_no_fix(tmp_path: Path) -> None:
    body = ('func f(db *sql.DB) error {\n\ttx, err := db.Begin()\n\tif err != nil {\n'
            '\t\treturn err\n\t}\n\t_, err = tx.Exec("x")\n\treturn err\n}\n')
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "p.go").write_text('package p\n\nimport "database/sql"\n\n' + body)
    findings = [f for f in analyse(tmp_path / "p") if f.rule_id == "GL201"]
    assert len(findings) == 1 and findings[0].fix is None


def test_two_renames_in_one_function_take_two_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both discarded cancels would become ``cancel``: one is fixed, then the name is taken."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "p.go").write_text(
        HEADER + "func f(parent context.Context) {\n\ta, _ := context.WithCancel(parent)\n"
        "\tb, _ := context.WithCancel(a)\n\t_ = b\n}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("--fix", "p")
    assert err.count(": fixed GL202") == 1
    assert code == 1 and out.count("GL202") == 1
    fixed = (tmp_path / "p" / "p.go").read_text()
    assert "\ta, cancel := context.WithCancel(parent)\n\tdefer cancel()\n" in fixed
    assert "\tb, _ := context.WithCancel(a)\n" in fixed


def test_fix_keeps_file_mode_and_honours_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p").mkdir()
    path = tmp_path / "p" / "p.go"
    path.write_text(HEADER + "func f(parent context.Context) {\n"
                    "\tctx, _ := context.WithCancel(parent)\n\t_ = ctx\n}\n", encoding="utf-8")
    path.chmod(0o640)
    monkeypatch.chdir(tmp_path)
    run("--write-baseline", "baseline.json", "p")
    snapshot = path.read_bytes()
    code, _, err = run("--fix", "--baseline", "baseline.json", "p")
    assert (code, path.read_bytes()) == (0, snapshot)  # a recorded finding is left alone
    assert "nothing to fix" in err
    code, _, err = run("--fix", "p")
    assert code == 0 and "fixed 1 finding in 1 file" in err
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert b"defer cancel()" in path.read_bytes()


# Applying edits ----------------------------------------------------------------------------


def _fix(start: int, end: int, new: str, scope: tuple[int, int] | None = None) -> Fix:
    e = Edit(start, end, new, (1, start + 1), (1, end + 1))
    return Fix("test", (e,), scope or (start, end))


def test_apply_skips_overlapping_fixes() -> None:
    source = b"abcdef"
    fixed, chosen = apply(source, [_fix(1, 3, "X"), _fix(2, 4, "Y"), _fix(4, 4, "Z")])
    assert fixed == b"aXdZef"
    assert len(chosen) == 2
    # A fix that claims a wider scope (a rename claims its function) excludes others in it.
    fixed, chosen = apply(source, [_fix(0, 1, "A", scope=(0, 6)), _fix(4, 4, "Z")])
    assert fixed == b"Abcdef" and len(chosen) == 1


# SARIF fixes -------------------------------------------------------------------------------


def test_sarif_carries_the_fixes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "GL202" / "cause", tmp_path / "cause")
    monkeypatch.chdir(tmp_path)
    _, out, _ = run("--format", "sarif", "cause")
    results = json.loads(out)["runs"][0]["results"]
    by_line = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r for r in results}
    source = (tmp_path / "cause" / "cause.go").read_text().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "ctx, _ := context.With" in text)
    fixes = by_line[line]["fixes"]
    assert fixes == [{
        "artifactChanges": [{
            "artifactLocation": {"uri": "cause/cause.go", "uriBaseId": "%SRCROOT%"},
            "replacements": [
                {"deletedRegion": {"startLine": line, "startColumn": 7,
                                   "endLine": line, "endColumn": 8},
                 "insertedContent": {"text": "cancel"}},
                {"deletedRegion": {"startLine": line + 1, "startColumn": 1,
                                   "endLine": line + 1, "endColumn": 1},
                 "insertedContent": {"text": "\tdefer cancel()\n"}},
            ],
        }],
        "description": {"text": "rename _ to cancel and insert defer cancel()"},
    }]


def test_a_file_edited_since_the_analysis_is_not_fixed(tmp_path: Path) -> None:
    from goleaklint.cli import _apply_fixes

    (tmp_path / "p").mkdir()
    path = tmp_path / "p" / "p.go"
    path.write_text(HEADER + "func f(parent context.Context) {\n"
                    "\tctx, _ := context.WithCancel(parent)\n\t_ = ctx\n}\n", encoding="utf-8")
    findings = [f for f in analyse(tmp_path / "p") if f.fix is not None]
    assert len(findings) == 1
    path.write_text(path.read_text().replace("\tctx, _ :=", "\t// edited\n\tctx, _ :="))
    edited = path.read_bytes()
    err = io.StringIO()
    assert _apply_fixes(findings, err) == []
    assert "changed during the run; not fixed" in err.getvalue()
    assert path.read_bytes() == edited


def test_windows_line_endings_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p").mkdir()
    path = tmp_path / "p" / "p.go"
    code = HEADER + "func f(parent context.Context) {\n\tctx, _ := context.WithCancel(parent)\n" \
                    "\t_ = ctx\n}\n"
    path.write_bytes(code.replace("\n", "\r\n").encode())
    monkeypatch.chdir(tmp_path)
    assert run("--fix", "p")[0] == 0
    fixed = path.read_bytes()
    assert b"\tctx, cancel := context.WithCancel(parent)\r\n\tdefer cancel()\r\n" in fixed
    assert b"\n" not in fixed.replace(b"\r\n", b"")


def test_a_fix_that_does_not_help_is_not_applied_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import goleaklint.fixes

    calls = []

    def useless(source: bytes, fixes: list[Fix]) -> tuple[bytes, list[Fix]]:
        calls.append(len(fixes))
        return source + b"\n", fixes  # "applied", yet the finding stays

    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "p.go").write_text(HEADER + "func f(parent context.Context) {\n"
                                         "\tctx, _ := context.WithCancel(parent)\n\t_ = ctx\n}\n")
    monkeypatch.setattr(goleaklint.fixes, "apply", useless)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("--fix", "p")
    assert calls == [1]
    assert code == 1 and out.count("GL202") == 1
    assert "fixed 1 finding in 1 file" in err
