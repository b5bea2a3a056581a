"""The command line contract (DESIGN.md section 3): exit codes, formats, options, discovery."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from goleaklint import __version__
from goleaklint.cli import main
from goleaklint.discover import discover, is_generated, package_name

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

LEAK = """package pkg

var cache = map[string]int{}

func Add(k string) {
	cache[k] = 1
}
"""
# Where GL101 reports: the write, 1-based line and column.
LEAK_LINE = next(i for i, line in enumerate(LEAK.splitlines(), 1) if "cache[k]" in line)
LEAK_COL = LEAK.splitlines()[LEAK_LINE - 1].index("cache[k]") + 1
MESSAGE = (
    "map cache only grows: nothing in package pkg deletes from it, clears, bounds or replaces it"
)
CLEAN = """package pkg

func Double(x int) int {
	return 2 * x
}
"""


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def run_process(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "goleaklint", *argv],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def leak_line(path: str, line: int = LEAK_LINE, col: int = LEAK_COL, name: str = "cache") -> str:
    message = MESSAGE.replace("cache", name, 1)
    return f"{path}:{line}:{col}: GL101 unbounded-global-map: {message}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the current directory, with a clean package and a leaky one."""
    write(tmp_path / "clean" / "clean.go", CLEAN)
    write(tmp_path / "pkg" / "leak.go", LEAK)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Exit codes --------------------------------------------------------------------------------------

def test_clean_directory_exits_0(project: Path) -> None:
    assert run("check", "clean") == (0, "", "")  # (bare "clean" is the subcommand)


def test_findings_exit_1_with_compiler_style_lines(project: Path) -> None:
    code, out, err = run("pkg")
    assert code == 1
    assert out == leak_line("pkg/leak.go") + "\n"
    assert err == "goleaklint: 1 finding in 1 file; 1 file analysed\n"


def test_default_path_is_the_current_directory(project: Path) -> None:
    code, out, _ = run()
    assert code == 1
    assert out == leak_line("pkg/leak.go") + "\n"


def test_summary_counts_files_with_findings_and_files_analysed(project: Path) -> None:
    write(project / "pkg" / "other.go", "package pkg\n")
    code, _, err = run(".")
    assert code == 1
    assert err == "goleaklint: 1 finding in 1 file; 3 files analysed\n"


def test_absolute_argument_is_shown_relative_to_the_cwd(project: Path) -> None:
    code, out, _ = run(str(project / "pkg" / "leak.go"))
    assert (code, out) == (1, leak_line("pkg/leak.go") + "\n")


def test_path_outside_the_cwd_is_shown_absolute(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "clean")
    _, out, _ = run(str(project / "pkg"))
    assert out == leak_line((project / "pkg" / "leak.go").as_posix()) + "\n"


def test_one_file_spelled_several_ways_is_reported_once(project: Path) -> None:
    code, out, err = run("pkg", "pkg/leak.go", "./pkg/../pkg/leak.go", str(project / "pkg"))
    assert (code, out) == (1, leak_line("pkg/leak.go") + "\n")
    assert err == "goleaklint: 1 finding in 1 file; 1 file analysed\n"


# Usage errors: exit 2 and exactly one line on stderr ---------------------------------------------

USAGE_ERRORS = {
    "unknown-option": (["--no-such-option", "clean"], "unrecognized arguments: --no-such-option"),
    "unknown-rule-select": (["--select", "GL999", "clean"], "--select: 'GL999' matches no rule"),
    "unknown-rule-ignore": (["--ignore", "XY", "clean"], "--ignore: 'XY' matches no rule"),
    "missing-path": (["no/such/dir"], "no/such/dir: no such file or directory"),
    "jobs-zero": (["--jobs", "0", "clean"], "--jobs: expected a positive number"),
    "jobs-not-a-number": (["--jobs", "many", "clean"], "--jobs"),
    "unknown-format": (["--format", "xml", "clean"], "invalid choice: 'xml'"),
    "missing-config": (["--config", "nope.toml", "clean"], "--config: nope.toml: no such file"),
    "unknown-config-key": (["--config", "unknown.toml", "clean"],
                           "unknown.toml:3: colour: unknown key"),
    "bad-config-value": (["--config", "badvalue.toml", "clean"],
                         "badvalue.toml:1: exclude-tests: expected true or false"),
    "unknown-rule-in-config": (["--config", "badrule.toml", "clean"],
                               "badrule.toml:2: select: 'GL999' matches no rule"),
    "malformed-toml": (["--config", "broken.toml", "clean"], "broken.toml: invalid TOML"),
    "missing-baseline": (["--baseline", "nope.json", "clean"], "--baseline: nope.json"),
    "not-a-baseline": (["--baseline", "broken.toml", "clean"],
                       "--baseline: broken.toml: not a goleaklint baseline file"),
    "explain-without-id": (["explain"], "usage: goleaklint explain RULE_ID"),
}


@pytest.fixture
def config_files(project: Path) -> Path:
    write(project / "unknown.toml", 'select = ["GL1"]\n\ncolour = "blue"\n')
    write(project / "badvalue.toml", 'exclude-tests = "yes"\n')
    write(project / "badrule.toml", '# a comment\nselect = ["GL999"]\n')
    write(project / "broken.toml", "select = [\n")
    return project


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_error_is_one_line_and_exit_2(case: str, config_files: Path) -> None:
    argv, expected = USAGE_ERRORS[case]
    proc = run_process(config_files, *argv)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("goleaklint: error: ")
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr


def test_usage_errors_in_process_match(config_files: Path) -> None:
    code, out, err = run("--config", "unknown.toml", "clean")
    assert (code, out) == (2, "")
    assert err == (
        "goleaklint: error: unknown.toml:3: colour: unknown key (known: select, extend-select, "
        "ignore, exclude, exclude-tests, go-version, rules, extend)\n"
    )


def test_config_file_found_from_the_analysed_path_upwards(project: Path) -> None:
    write(project / "pkg" / ".goleaklint.toml", 'ignore = ["GL101"]\n')
    assert run("pkg") == (0, "", "")
    assert run("pkg/leak.go")[0] == 0
    write(project / "pkg" / ".goleaklint.toml", "ignore = [\n")
    code, _, err = run("pkg")
    assert code == 2 and err.count("\n") == 1 and ".goleaklint.toml: invalid TOML" in err


# Formats and outputs -----------------------------------------------------------------------------

def test_json_format(project: Path) -> None:
    code, out, _ = run("--format", "json", "pkg")
    assert code == 1
    items = json.loads(out)
    assert [(i["rule"], i["name"], i["path"], i["line"], i["column"]) for i in items] == [
        ("GL101", "unbounded-global-map", "pkg/leak.go", LEAK_LINE, LEAK_COL)
    ]
    assert items[0]["message"] == MESSAGE
    assert json.loads(run("--format", "json", "clean")[1]) == []


def test_github_format(project: Path) -> None:
    code, out, _ = run("--format", "github", "pkg")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"::warning file=pkg/leak.go,line={LEAK_LINE},col={LEAK_COL},")
    assert lines[0].endswith("::" + MESSAGE)


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_output_file(project: Path, fmt: str) -> None:
    (project / "reports").mkdir()  # never created by goleaklint (test_safewrite.py)
    code, out, err = run("--format", fmt, "--output", "reports/out.txt", "pkg")
    assert (code, out, err) == (1, "", "")
    written = (project / "reports" / "out.txt").read_text(encoding="utf-8")
    assert written == run("--format", fmt, "pkg")[1]
    assert "GL101" in written


# Rule selection ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--select", "GL101"], 1),
        (["--select", "GL1"], 1),
        (["--select", "gl10"], 1),
        (["--ignore", "GL101"], 0),
        (["--ignore", "GL"], 0),
        (["--select", "GL", "--ignore", "GL1"], 0),
        (["--select", "GL101", "--ignore", "GL1"], 1),
    ],
)
def test_select_and_ignore_prefixes(project: Path, argv: list[str], expected: int) -> None:
    code, out, _ = run(*argv, "pkg")
    assert code == expected
    assert ("GL101" in out) == bool(expected)


def test_exit_zero(project: Path) -> None:
    code, out, _ = run("--exit-zero", "pkg")
    assert code == 0
    assert out == leak_line("pkg/leak.go") + "\n"


def test_jobs_do_not_change_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    serial = run("--jobs", "1", "fixtures")
    parallel = run("--jobs", "2", "fixtures")
    assert serial[0] == 1 and serial[1].count("\n") >= 10
    assert parallel == serial


# Baseline ----------------------------------------------------------------------------------------

def test_baseline_round_trip(project: Path) -> None:
    code, out, _ = run("--write-baseline", "baseline.json", "pkg")
    assert code == 0
    assert out == leak_line("pkg/leak.go") + "\n"
    recorded = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert [e["rule"] for e in recorded["findings"].values()] == ["GL101"]

    assert run("--baseline", "baseline.json", "pkg") == (0, "", "")

    # Unrelated lines move: the known finding keeps its identity.
    write(project / "pkg" / "leak.go", LEAK.replace("package pkg\n", "package pkg\n\n// Moved.\n"))
    assert run("--baseline", "baseline.json", "pkg") == (0, "", "")

    write(project / "pkg" / "more.go",
          "package pkg\n\nvar seen = map[string]bool{}\n\nfunc Mark(k string) { seen[k] = true }\n")
    code, out, _ = run("--baseline", "baseline.json", "pkg")
    assert code == 1
    assert out == (
        "pkg/more.go:5:23: GL101 unbounded-global-map: map seen only grows: nothing in package "
        "pkg deletes from it, clears, bounds or replaces it\n"
    )


def test_baseline_and_write_baseline_together(project: Path) -> None:
    """Reporting against an old baseline while recording a new one records every finding."""
    assert run("--write-baseline", "old.json", "pkg")[0] == 0
    write(project / "pkg" / "more.go",
          "package pkg\n\nvar seen = map[string]bool{}\n\nfunc Mark(k string) { seen[k] = true }\n")
    code, out, _ = run("--baseline", "old.json", "--write-baseline", "new.json", "pkg")
    assert code == 0 and out.count("GL101") == 1
    recorded = json.loads((project / "new.json").read_text(encoding="utf-8"))
    assert len(recorded["findings"]) == 2
    assert run("--baseline", "new.json", "pkg") == (0, "", "")


BAD_BASELINES = {
    '{"version": 1, "findings": "abc"}': "findings: expected an object, found a string",
    '{"findings": "abc"}': "no version",
    '{"version": 2, "findings": {}}': "version 2, expected 1",
    '{"version": "1", "findings": {}}': 'version "1", expected 1',
    '{"version": 1, "findings": ["abc"]}': "findings: expected an object, found an array",
    '{"version": 1, "findings": {"abc": "GL101"}}': "findings: 'abc': expected an object, "
                                                    "found a string",
    '{"version": 1}': "no findings",
    '["abc"]': "expected an object, found an array",
    '{"version": 1,\n "findings": {}': "not JSON: line 2: Expecting ',' delimiter",
    "[" * 100_000: "nested too deeply",
}


@pytest.mark.parametrize("content", sorted(BAD_BASELINES))
def test_baseline_that_is_not_a_baseline_is_a_usage_error(project: Path, content: str) -> None:
    write(project / "baseline.json", content)
    assert run("--baseline", "baseline.json", "pkg") == (
        2, "", "goleaklint: error: --baseline: baseline.json: not a goleaklint baseline file "
        f"({BAD_BASELINES[content]})\n")


def test_baseline_entries_are_objects_of_any_shape(project: Path) -> None:
    """Only the schema's frame is checked: version 1, fingerprint -> object."""
    assert run("--write-baseline", "baseline.json", "pkg")[0] == 0
    recorded = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    recorded["findings"] = {fp: {} for fp in recorded["findings"]}
    write(project / "baseline.json", json.dumps(recorded))
    assert run("--baseline", "baseline.json", "pkg") == (0, "", "")


# Suppression comments ----------------------------------------------------------------------------

SUPPRESSIONS = {
    "ignore-on-the-line": ("\tcache[k] = 1 //goleaklint:ignore GL101 keys are a small set", 0),
    "ignore-line-above": ("\t//goleaklint:ignore GL101 keys are a small fixed set\n\tcache[k] = 1",
                          0),
    "ignore-by-prefix": ("\tcache[k] = 1 //goleaklint:ignore GL1 bounded", 0),
    "ignore-two-lines-above": ("\t//goleaklint:ignore GL101 too far away\n\n\tcache[k] = 1", 1),
    "ignore-other-rule": ("\tcache[k] = 1 //goleaklint:ignore GL201 wrong rule", 1),
    "nolint-goleaklint": ("\tcache[k] = 1 //nolint:goleaklint // keys are bounded", 0),
    "nolint-list": ("\tcache[k] = 1 //nolint:errcheck,goleaklint", 0),
    "nolint-all": ("\tcache[k] = 1 //nolint", 0),
    "nolint-other-linter": ("\tcache[k] = 1 //nolint:errcheck", 1),
    "not-a-suppression": ("\tcache[k] = 1 // goleaklint is wrong here", 1),
}


@pytest.mark.parametrize("case", sorted(SUPPRESSIONS))
def test_suppression_comments(project: Path, case: str) -> None:
    statement, expected = SUPPRESSIONS[case]
    write(project / "pkg" / "leak.go", LEAK.replace("\tcache[k] = 1", statement))
    code, out, _ = run("pkg", "--ignore", "GL001,GL002")
    assert code == expected, out
    assert out.count("GL101") == expected


@pytest.mark.parametrize(
    ("comment", "reported"),
    [
        ("//goleaklint:ignore GL101", True),
        ("//goleaklint:ignore GL101 keys are the fixed set of flags", False),
        ("//nolint:goleaklint", True),
        ("//nolint:errcheck,goleaklint", True),
        ("//nolint:goleaklint // bounded by config", False),
        ("//nolint", False),
        ("//nolint:errcheck", False),
    ],
)
def test_suppression_without_reason_is_reported(
    project: Path, comment: str, reported: bool
) -> None:
    write(project / "pkg" / "leak.go", LEAK.replace("\tcache[k] = 1", f"\tcache[k] = 1 {comment}"))
    code, out, _ = run("pkg", "--select", "GL001")
    assert ("GL001 suppression-without-reason" in out) is reported, out
    assert code == (1 if reported else 0)


def test_file_level_suppression(project: Path) -> None:
    header = "// Package pkg caches.\n//\n//goleaklint:file-ignore GL101 short-lived process\n"
    write(project / "pkg" / "leak.go", header + LEAK)
    assert run("pkg") == (0, "", "")
    write(project / "pkg" / "leak.go", header.replace("GL101", "GL3") + LEAK)
    assert run("pkg")[0] == 1


# Discovery ---------------------------------------------------------------------------------------

GENERATED = "// Code generated by x. DO NOT EDIT.\n\n" + LEAK


@pytest.fixture
def tree(project: Path) -> Path:
    root = project / "tree"
    write(root / "clean.go", CLEAN)
    write(root / "vendor" / "example.com" / "dep" / "leak.go", LEAK)
    write(root / "testdata" / "leak.go", LEAK)
    write(root / ".hidden" / "leak.go", LEAK)
    write(root / "gen" / "leak.go", GENERATED)
    return root


def test_walk_skips_vendor_testdata_hidden_and_generated(tree: Path) -> None:
    assert run("tree") == (0, "", "")


@pytest.mark.parametrize(
    "named",
    [
        "tree/vendor/example.com/dep",
        "tree/vendor/example.com/dep/leak.go",
        "tree/testdata",
        "tree/testdata/leak.go",
        "tree/.hidden",
        "tree/.hidden/leak.go",
        "tree/gen/leak.go",
    ],
)
def test_skipped_places_are_analysed_when_named(tree: Path, named: str) -> None:
    code, out, _ = run(named)
    assert code == 1
    path = named if named.endswith(".go") else f"{named}/leak.go"
    line = LEAK_LINE + (2 if "gen/" in named else 0)
    assert out == leak_line(path, line=line) + "\n"


@pytest.mark.parametrize(
    ("source", "generated"),
    [
        (b"// Code generated by x. DO NOT EDIT.\n\npackage p\n", True),
        (b"// Copyright 2024.\n\n// Code generated by x. DO NOT EDIT.\r\n\npackage p\n", True),
        (b"/* Code generated by x. DO NOT EDIT. */\npackage p\n", False),
        (b"// Code generated by x. DO NOT EDIT\npackage p\n", False),
        (b"package p\n\nconst tmpl = `\n// Code generated by x. DO NOT EDIT.\n`\n", False),
        (b"package p // Code generated by x. DO NOT EDIT.\n", False),
    ],
)
def test_generated_marker_counts_only_before_the_package_clause(
    source: bytes, generated: bool
) -> None:
    assert is_generated(source) is generated


def test_generator_template_is_not_a_generated_file(project: Path) -> None:
    template = "\nconst header = `\n// Code generated by gen. DO NOT EDIT.\n`\n"
    write(project / "pkg" / "leak.go", LEAK + template)
    assert run("pkg")[1] == leak_line("pkg/leak.go") + "\n"


def test_generated_file_gives_its_declarations_as_context(project: Path) -> None:
    """The key type declared in a generated file is a closed enum: the map is bounded."""
    write(project / "pkg" / "leak.go", LEAK.replace("map[string]int", "map[Color]int")
          .replace("k string", "k Color"))
    assert run("pkg")[0] == 1  # Color unknown: its values could be anything
    write(project / "pkg" / "color_gen.go",
          "// Code generated by x. DO NOT EDIT.\n\npackage pkg\n\ntype Color int\n\n"
          "const (\n\tRed Color = iota\n\tBlue\n)\n\n"
          "func (c Color) String() string {\n\treturn [...]string{\"red\", \"blue\"}[c]\n}\n")
    assert run("pkg") == (0, "", "")


def test_generated_context_gives_declarations_not_function_bodies(project: Path) -> None:
    """A generated file read as context is a skeleton (issue 7: 28% of the standard library's
    bytes): its bodies are blanked, so a delete in one does not excuse a hand-written map."""
    evict = ("// Code generated by x. DO NOT EDIT.\n\npackage pkg\n\n"
             "func Evict(k string) {\n\tdelete(cache, k)\n}\n")
    write(project / "pkg" / "evict_gen.go", evict)
    assert run("pkg")[:2] == (1, leak_line("pkg/leak.go") + "\n")
    assert run("pkg/leak.go", "pkg/evict_gen.go") == (0, "", "")  # named: read in full
    write(project / "pkg" / "evict.go", evict.split("\n", 2)[2])  # hand-written: read in full
    assert run("pkg") == (0, "", "")


def test_named_file_is_judged_with_its_siblings(project: Path) -> None:
    write(project / "pkg" / "evict.go",
          "package pkg\n\nfunc Evict(k string) {\n\tdelete(cache, k)\n}\n")
    assert run("pkg/leak.go") == (0, "", "")
    write(project / "other" / "leak.go", LEAK)
    code, out, _ = run("other/leak.go")
    assert (code, out) == (1, leak_line("other/leak.go") + "\n")


def test_sibling_of_another_package_gives_no_context(project: Path) -> None:
    write(project / "pkg" / "evict_test.go",
          "package pkg_test\n\nvar cache = map[string]int{}\n\n"
          "func evict() { delete(cache, \"k\") }\n")
    code, out, _ = run("pkg/leak.go")
    assert (code, out) == (1, leak_line("pkg/leak.go") + "\n")


def test_syntax_error_is_one_warning_and_the_rest_is_analysed(project: Path) -> None:
    broken = LEAK + "\nfunc Broken( {\n\tx :=\n}\n"
    write(project / "pkg" / "leak.go", broken)
    write(project / "pkg" / "fine.go", "package pkg\n\nfunc Fine() {}\n")
    code, out, err = run("pkg")
    assert code == 1
    assert out == leak_line("pkg/leak.go") + "\n"
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("pkg/leak.go:9: warning: parse-error: ")


def test_file_without_package_clause_is_skipped_with_a_warning(project: Path) -> None:
    write(project / "pkg" / "notgo.go", "// just a comment\nfunc main() {}\n")
    code, out, err = run("pkg/notgo.go", "pkg/leak.go")
    assert (code, out) == (1, leak_line("pkg/leak.go") + "\n")
    assert "goleaklint: warning: pkg/notgo.go: no package clause; skipped\n" in err


# The package clause behind long header comments --------------------------------------------------

def long_header(size: int) -> str:
    line = "// Go is a tool for managing Go source code. " + "x" * 40 + "\n"
    block = "/*\n" + "Usage: go <command> [arguments] package main\n" * 100 + "*/\n"
    return line * (size // len(line) + 1) + block + "\n// More.\n\n"


def test_package_clause_after_a_header_longer_than_64_kib(project: Path) -> None:
    header = long_header(200_000)
    assert len(header.encode()) > 3 * 65536
    write(project / "pkg" / "leak.go", header + LEAK)
    lines = len(header.splitlines())
    code, out, err = run("pkg/leak.go")
    assert (code, out) == (1, leak_line("pkg/leak.go", line=LEAK_LINE + lines) + "\n")
    assert "no package clause" not in err


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (b"package main\n", "main"),
        (b"\xef\xbb\xbfpackage bom\n", "bom"),
        (b"//go:build linux\n\n// Package x does.\npackage x\n", "x"),
        (b"/* a\n package notme\n*/ package   real // trailing\n", "real"),
        (b"package/* odd but legal */named\n", "named"),
        (b"package\n\tspread\n", "spread"),
        (b"package caf\xc3\xa9\n", "caf\u00e9"),
        (b"// package commented\n", None),
        (b"packagemain\n", None),
        (b"func main() {}\npackage late\n", None),
        (b"/* unterminated package x\n", None),
        (b"", None),
    ],
)
def test_package_name(source: bytes, name: str | None) -> None:
    assert package_name(source) == name


def test_package_name_of_a_huge_header() -> None:
    source = long_header(1_000_000).encode() + b"package alldocs\n"
    assert package_name(source) == "alldocs"


def test_discovery_of_a_real_alldocs_shape(tmp_path: Path) -> None:
    write(tmp_path / "cmd" / "alldocs.go", long_header(120_000) + "package main\n")
    found = discover([str(tmp_path / "cmd" / "alldocs.go")])
    assert found.warnings == []
    assert [p.name for p in found.packages] == ["main"]


# Subcommands and the version ---------------------------------------------------------------------

def test_version_in_process() -> None:
    assert run("--version") == (0, f"goleaklint {__version__}\n", "")


def test_python_dash_m_version(tmp_path: Path) -> None:
    proc = run_process(tmp_path, "--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"goleaklint {__version__}\n", "")


def test_installed_script_runs(project: Path) -> None:
    script = Path(sys.executable).with_name("goleaklint")
    if not script.exists():
        pytest.skip("no goleaklint console script next to the interpreter")
    proc = subprocess.run([str(script), "--extend-select", "GL101", "pkg"], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout == leak_line("pkg/leak.go") + "\n"


def test_rules_lists_the_catalog(project: Path) -> None:  # no rules/ folder here
    code, out, err = run("rules")
    assert (code, err) == (0, "")
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert "GL101" in rows
    assert "unbounded-global-map" in rows["GL101"] and "retention" in rows["GL101"]
    assert list(rows) == sorted(rows)


# Subcommands -------------------------------------------------------------------------------------

def test_check_subcommand_is_the_analysis(project: Path) -> None:
    assert run("check", "pkg") == run("pkg")
    assert run("check", "pkg")[1] == leak_line("pkg/leak.go") + "\n"
    assert run("check", "--select", "GL1", "--exit-zero") == run("--select", "GL1", "--exit-zero")
    assert run("check") == run()


@pytest.mark.parametrize("name", ["rules", "config", "check"])
def test_subcommand_named_like_a_folder_warns(project: Path, name: str) -> None:
    write(project / name / "leak.go", LEAK)
    code, out, err = run(name)
    assert code == (1 if name == "check" else 0)  # check alone analyses ., findings included
    assert out
    assert err.splitlines()[0] == (
        f"goleaklint: warning: '{name}' runs the {name} subcommand; to analyse the folder "
        f"{name}, run 'goleaklint check {name}' or 'goleaklint ./{name}'"
    )
    assert run("check", name) == (1, leak_line(f"{name}/leak.go") + "\n",
                                  "goleaklint: 1 finding in 1 file; 1 file analysed\n")
    assert run(f"./{name}") == run("check", name)
    assert run("--select", "GL101", name)[1] == leak_line(f"{name}/leak.go") + "\n"


def test_check_with_paths_does_not_warn_of_a_check_folder(project: Path) -> None:
    write(project / "check" / "leak.go", LEAK)
    assert run("check", "pkg") == (1, leak_line("pkg/leak.go") + "\n",
                                   "goleaklint: 1 finding in 1 file; 1 file analysed\n")


def test_subcommand_without_such_a_folder_does_not_warn(project: Path) -> None:
    code, out, err = run("rules")
    assert (code, err) == (0, "")
    assert out.startswith("GL0")


@pytest.mark.parametrize(("argv", "expected"), [
    (["rules", "foo"], "rules: unrecognized arguments: foo (usage: goleaklint rules)"),
    (["rules", "--select", "GL1"], "rules: unrecognized arguments: --select GL1"),
    (["explain", "GL101", "GL102"], "explain: unrecognized arguments: GL102 "
                                    "(usage: goleaklint explain RULE_ID)"),
    (["config", "pkg", "clean"], "config: unrecognized arguments: clean "
                                 "(usage: goleaklint config [--config FILE] [PATH])"),
    (["config", "--format", "json"], "config: unrecognized arguments: --format"),
    (["config", "no/such/dir"], "config: no/such/dir: no such file or directory"),
])
def test_subcommands_reject_extra_arguments(project: Path, argv: list[str],
                                            expected: str) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("goleaklint: error: "), err
    assert expected in err


def test_subcommand_help(project: Path) -> None:
    code, out, err = run("explain", "--help")
    assert (code, err) == (0, "")
    assert out.startswith("usage: goleaklint explain RULE_ID\n")
    code, out, _ = run("--help")
    assert code == 0
    assert out.startswith("usage: goleaklint [check] [options] [PATH ...]\n")
    assert "goleaklint check rules" in " ".join(out.split())
