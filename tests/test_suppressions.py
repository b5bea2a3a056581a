"""Suppression comments that police themselves: GL002 unused-suppression (like ruff's RUF100).

A suppression is reported when it suppresses nothing, judged only by rules that ran; the report
is never hidden by the comment it is about.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.engine import analyze
from goleaklint.registry import load_rules
from goleaklint.rule import Rule
from goleaklint.suppress import Suppression, parse_suppression, unused

# GL101 fires on the write; GL201 would fire on os.Open without the defer.
SOURCE = """package pkg

import "os"

var cache = map[string]int{}

func Add(k string) {
	cache[k] = 1 //SUPPRESS_ADD
}

func Size(name string) (int64, error) {
	f, err := os.Open(name) //SUPPRESS_OPEN
	if err != nil {
		return 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
"""
ADD_LINE = 8
OPEN_LINE = 12


def source(add: str = "", open_: str = "") -> str:
    return SOURCE.replace(" //SUPPRESS_ADD", f" {add}" if add else "").replace(
        " //SUPPRESS_OPEN", f" {open_}" if open_ else "")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n", encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def gl002(project: Path, text: str, *argv: str) -> list[str]:
    """``line:col: message`` of the GL002 findings for pkg/pkg.go holding ``text``."""
    (project / "pkg" / "pkg.go").write_text(text, encoding="utf-8")
    _, out, _ = run("pkg", *argv)
    found = []
    for line in out.splitlines():
        where, _, rest = line.partition(": ")
        if rest.startswith("GL002 unused-suppression: "):
            found.append(where.split(":", 1)[1] + ": " + rest.split(": ", 1)[1])
    return found


def col(line: int, comment: str, text: str) -> int:
    return text.splitlines()[line - 1].index(comment) + 1


@pytest.mark.parametrize(
    ("add", "open_", "expected"),
    [
        # used: nothing to report
        ("//goleaklint:ignore GL101 keys are a fixed set", "", []),
        ("//goleaklint:ignore GL1 keys are a fixed set", "", []),
        ("//nolint:goleaklint // keys are a fixed set", "", []),
        # suppresses nothing: the GL201 finding it excused was fixed by the defer
        ("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL201 closed by the caller",
         [(OPEN_LINE, "unused suppression: no GL201 finding here")]),
        ("//goleaklint:ignore GL101,GL201 fixed set", "",
         [(ADD_LINE, "unused suppression: no GL201 finding here")]),
        ("//goleaklint:ignore GL101 fixed set", "//nolint:errcheck,goleaklint // closed later",
         [(OPEN_LINE, "unused suppression: it suppresses no finding")]),
        ("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore closed by the caller",
         [(OPEN_LINE, "unused suppression: it suppresses no finding")]),
        # a misspelt ID, and IDs of rules that cannot be suppressed inline
        ("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL210 typo",
         [(OPEN_LINE, "unused suppression: GL210 matches no rule")]),
        ("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL002 quiet",
         [(OPEN_LINE, "unused suppression: GL002 cannot be suppressed inline (ignore it in the "
                      "configuration)")]),
        # golangci-lint's business, or another plugin's rule that is not installed here
        ("//goleaklint:ignore GL101 fixed set", "//nolint", []),
        ("//goleaklint:ignore GL101 fixed set", "//nolint:all", []),
        ("//goleaklint:ignore GL101 fixed set", "//nolint:errcheck", []),
        ("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore XP101 plugin rule", []),
    ],
)
def test_unused_suppressions_are_reported(project: Path, add: str, open_: str,
                                          expected: list[tuple[int, str]]) -> None:
    text = source(add, open_)
    got = gl002(project, text)
    comments = {ADD_LINE: add, OPEN_LINE: open_}
    assert got == [f"{line}:{col(line, comments[line], text)}: {message}"
                   for line, message in expected]


def test_exit_code_and_level(project: Path) -> None:
    (project / "pkg" / "pkg.go").write_text(
        source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL201 closed later"))
    code, out, _ = run("pkg")
    assert code == 1
    assert out.count("\n") == 1 and "GL002 unused-suppression" in out
    _, json_out, _ = run("pkg", "--format", "json")
    assert '"level": "note"' in json_out


def test_file_level_suppression_that_suppresses_nothing(project: Path) -> None:
    header = "//goleaklint:file-ignore GL201 legacy code\n"
    text = header + source("//goleaklint:ignore GL101 fixed set")
    assert gl002(project, text) == ["1:1: unused suppression: no GL201 finding here"]
    text = "//goleaklint:file-ignore GL101 a small fixed set\n" + source()
    assert gl002(project, text) == []


@pytest.mark.parametrize("argv", [
    ["--ignore", "GL201"],
    ["--select", "GL0,GL101"],
])
def test_suppressions_of_deselected_rules_are_not_judged(project: Path, argv: list[str]) -> None:
    text = source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL201 later")
    assert gl002(project, text, *argv) == []
    assert gl002(project, text, "--select", "GL0,GL1,GL2") != []


def test_configured_ignore_counts_as_deselected(project: Path) -> None:
    (project / ".goleaklint.toml").write_text('ignore = ["GL2"]\n', encoding="utf-8")
    text = source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL201 later")
    assert gl002(project, text) == []


def test_blanket_suppression_is_judged_only_when_every_rule_ran(project: Path) -> None:
    text = source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore closed later")
    assert len(gl002(project, text)) == 1
    assert gl002(project, text, "--ignore", "GL3") == []


def test_unused_suppression_is_not_hidden_by_itself_or_another(project: Path) -> None:
    """A blanket suppression covers every rule on its line, GL002 included: its own report
    must still appear, and so must it under a file-level suppression of GL002."""
    text = source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore reason")
    assert [m.split(": ", 1)[1] for m in gl002(project, text)] == [
        "unused suppression: it suppresses no finding"]
    text = "//goleaklint:file-ignore GL0 quiet please\n" + source(
        "//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL201 closed later")
    assert len(gl002(project, text)) == 2  # the file-ignore itself, and the GL201 one


def test_two_suppressions_of_one_finding_are_both_used(project: Path) -> None:
    text = source("//nolint:goleaklint // fixed set").replace(
        "\tcache[k] = 1", "\t//goleaklint:ignore GL101 fixed set\n\tcache[k] = 1")
    assert gl002(project, text) == []


def test_gl002_can_be_switched_off(project: Path) -> None:
    text = source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL201 later")
    assert gl002(project, text, "--ignore", "GL002") == []
    (project / ".goleaklint.toml").write_text('ignore = ["GL002"]\n', encoding="utf-8")
    assert gl002(project, text) == []


@pytest.mark.usefixtures("enough_cores")
def test_parallel_runs_agree(project: Path) -> None:
    for name in ("a", "b", "c"):
        (project / name).mkdir()
        (project / name / f"{name}.go").write_text(
            source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL201 later")
            .replace("package pkg", f"package {name}"), encoding="utf-8")
    serial = run("--jobs", "1", "a", "b", "c")
    assert serial[1].count("GL002") == 3
    assert run("--jobs", "3", "a", "b", "c") == serial


class Broken(Rule):
    """A rule that fails on every file: its suppressions cannot be judged."""

    id = "GL901"
    name = "broken"
    family = "test"
    summary = "Always raises."

    def begin_file(self, file) -> None:
        raise RuntimeError("boom")


def test_suppressions_of_a_failing_rule_are_not_judged(project: Path) -> None:
    (project / "pkg" / "pkg.go").write_text(
        source("//goleaklint:ignore GL101 fixed set", "//goleaklint:ignore GL901 flaky"))
    rules = [*load_rules().rules, Broken]
    result = analyze(discover(["pkg"]).packages, rules, Config())
    assert [n.kind for n in result.notices] == ["rule-error"]
    assert [f.rule_id for f in result.findings] == []
    rules = [r for r in rules if r is not Broken]
    result = analyze(discover(["pkg"]).packages, rules, Config(), catalog=[*rules, Broken])
    assert [f.rule_id for f in result.findings] == []  # deselected: not judged either


# The parser and the verdict -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("comment", "codes", "reason"),
    [
        ("//goleaklint:ignore GL101 keys are bounded", ("GL101",), "keys are bounded"),
        ("//goleaklint:ignore GL101, GL2 why", ("GL101", "GL2"), "why"),
        ("//goleaklint:ignore gl101 why", ("GL101",), "why"),
        ("//goleaklint:ignore stale reason", (), "stale reason"),
        ("//goleaklint:ignore", (), ""),
        ("//goleaklint:ignore GL201x why", (), "GL201x why"),
    ],
)
def test_parse_codes_and_reason(comment: str, codes: tuple[str, ...], reason: str) -> None:
    s = parse_suppression(comment, 3, 2, alone=False)
    assert s is not None
    assert (s.codes, s.reason) == (codes, reason)


CATALOG = {"GL001": False, "GL002": False, "GL101": True, "GL201": True, "GL202": True}


@pytest.mark.parametrize(
    ("codes", "used", "ran", "expected"),
    [
        (("GL201",), set(), set(CATALOG), ["no GL201 finding here"]),
        (("GL201",), {"GL201"}, set(CATALOG), []),
        (("GL201",), set(), set(CATALOG) - {"GL201"}, []),
        (("GL2",), set(), set(CATALOG) - {"GL202"}, []),
        (("GL2",), set(), set(CATALOG), ["no GL2 finding here"]),
        (("GL0",), set(), set(CATALOG), ["GL0 cannot be suppressed inline (ignore it in the "
                                          "configuration)"]),
        (("GL999",), set(), set(CATALOG), ["GL999 matches no rule"]),
        (("XP101",), set(), set(CATALOG), []),
        ((), set(), set(CATALOG), ["it suppresses no finding"]),
        ((), {""}, set(CATALOG), []),
        ((), set(), set(CATALOG) - {"GL101"}, []),
    ],
)
def test_unused_verdict(codes, used, ran, expected) -> None:
    s = Suppression(1, 1, (1,), codes, "reason")
    assert unused(s, used, CATALOG, ran) == expected


def test_generic_nolint_is_never_judged() -> None:
    s = parse_suppression("//nolint", 1, 1, alone=False)
    assert s is not None and not s.names_goleaklint
    assert unused(s, set(), CATALOG, set(CATALOG)) == []
