"""Rule documents: one source (the docstring), checked-in copies current, examples honest."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.config import Config
from goleaklint.discover import discover
from goleaklint.docs import SECTIONS, cleandoc, go_code, render_markdown, sections
from goleaklint.engine import Result, analyze
from goleaklint.registry import load_rules
from goleaklint.rule import Rule

pytestmark = pytest.mark.real_tiers  # the rules as shipped: opt-in ones off by default

ROOT = Path(__file__).resolve().parent.parent
# Rules GL203/GL205 only apply below Go 1.23: examples are run where the rules apply.
GO_MOD = "module example.com/doc\n\ngo 1.22\n"


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "generate_rule_docs", ROOT / "scripts" / "generate_rule_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load_generator()
ALL_RULES = load_rules().rules
RULES = [r for r in ALL_RULES if r.__module__.startswith("goleaklint.")]


def rule_id(rule: type[Rule]) -> str:
    return rule.id


def analyse_snippet(tmp_path: Path, code: str) -> Result:
    package = tmp_path / "example"
    package.mkdir()
    (tmp_path / "go.mod").write_text(GO_MOD, encoding="utf-8")
    (package / "example.go").write_text(code, encoding="utf-8")
    found = discover([str(package)])
    assert not found.warnings, found.warnings
    assert len(found.packages) == 1, "the example is not one Go package"
    return analyze(found.packages, ALL_RULES, Config())


def test_builtin_rules_exist() -> None:
    assert "GL101" in {r.id for r in RULES}


def test_rule_documents_are_current() -> None:
    problems = generator.check(ROOT)
    assert not problems, (
        "rules/ is out of date; run python scripts/generate_rule_docs.py\n" + "\n".join(problems)
    )


def test_generator_reports_stale_missing_and_extra_files(tmp_path: Path) -> None:
    assert generator.check(tmp_path, RULES) == [f"rules/{r.id}.md: missing" for r in RULES]
    assert generator.generate(tmp_path, RULES)
    assert generator.check(tmp_path, RULES) == []
    first = tmp_path / "rules" / f"{RULES[0].id}.md"
    assert first.read_text(encoding="utf-8") == render_markdown(RULES[0])
    first.write_text(first.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    (tmp_path / "rules" / "GL999.md").write_text("# a removed rule\n", encoding="utf-8")
    assert generator.check(tmp_path, RULES) == [
        f"rules/{RULES[0].id}.md: stale",
        "rules/GL999.md: extra (no such rule)",
    ]
    assert generator.main(["--check", "--root", str(tmp_path)]) == 1
    generator.generate(tmp_path, RULES)
    assert not (tmp_path / "rules" / "GL999.md").exists()
    assert generator.main(["--check", "--root", str(tmp_path)]) == 0


def test_generator_fills_the_readme_table_between_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# goleaklint\n\n<!-- rules:start -->\nold table\n<!-- rules:end -->\n\nMore text.\n",
        encoding="utf-8",
    )
    generator.generate(tmp_path, RULES)
    content = readme.read_text(encoding="utf-8")
    assert "old table" not in content
    assert content.startswith("# goleaklint\n\n<!-- rules:start -->\n| ID |")
    assert content.endswith("<!-- rules:end -->\n\nMore text.\n")
    for r in RULES:
        link = f"https://github.com/goleaklint/goleaklint/blob/main/rules/{r.id}.md"
        assert f"| [{r.id}]({link}) | `{r.name}` |" in content
    assert generator.check(tmp_path, RULES) == []
    readme.write_text(content.replace(f"[{RULES[0].id}]", "[GL000]"), encoding="utf-8")
    assert generator.check(tmp_path, RULES) == ["README.md: stale"]


def test_readme_without_markers_is_left_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# goleaklint\n", encoding="utf-8")
    generator.generate(tmp_path, RULES)
    assert readme.read_text(encoding="utf-8") == "# goleaklint\n"


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule_has_every_section(rule: type[Rule]) -> None:
    have = sections(rule)
    assert [s for s in SECTIONS if not have.get(s)] == []
    document = render_markdown(rule)
    positions = [document.index(f"\n## {s}\n") for s in SECTIONS]
    assert positions == sorted(positions), "sections out of order"


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_example_fires(rule: type[Rule], tmp_path: Path) -> None:
    result = analyse_snippet(tmp_path, go_code(rule, "Example"))
    assert not result.notices, [n.message for n in result.notices]
    assert rule.id in {f.rule_id for f in result.findings}, (
        f"the Example of {rule.id} produces no {rule.id} finding"
    )


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_fixed_example_is_silent(rule: type[Rule], tmp_path: Path) -> None:
    result = analyse_snippet(tmp_path, go_code(rule, "Use instead"))
    assert not result.notices, [n.message for n in result.notices]
    assert [f"{f.rule_id} line {f.location.line}: {f.message}" for f in result.findings] == []


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_go_code_keeps_gofmt_tabs(rule: type[Rule]) -> None:
    for section in ("Example", "Use instead"):
        code = go_code(rule, section)
        assert code.startswith("package "), f"{section} of {rule.id} is not a whole Go file"
        indented = [line for line in code.splitlines() if line[:1].isspace()]
        assert all(line.startswith("\t") for line in indented), (
            f"{section} of {rule.id}: Go code indented with spaces, not gofmt tabs"
        )


def as_written(rule: type[Rule]) -> str:
    """The rule's docstring as its source file spells it (``ast`` does not clean docstrings)."""
    tree = ast.parse(inspect.getsource(sys.modules[rule.__module__]))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == rule.__name__:
            doc = ast.get_docstring(node, clean=False)
            assert doc is not None
            return doc
    raise AssertionError(f"no class {rule.__name__} in {rule.__module__}")


def compiled_as_by_python_313(doc: str) -> str:
    """``__doc__`` of a docstring written as ``doc`` from Python 3.13 on, which cleans it when
    compiling: tabs expanded, the first line's leading blanks and the common margin removed."""
    lines = doc.expandtabs().split("\n")
    margin = min((len(x) - len(x.lstrip(" ")) for x in lines[1:] if x.strip()), default=0)
    return "\n".join([lines[0].lstrip(), *(x[margin:] for x in lines[1:])])


def with_doc(rule: type[Rule], doc: str) -> type[Rule]:
    return type(rule.__name__, (rule,), {"__doc__": doc, "__module__": rule.__module__})


def test_the_simulated_compiler_cleaning_is_what_this_python_does() -> None:
    written = " first\n    text\n      \n    ```go\n    \tx\n    ```\n    "
    cleaned = "first\ntext\n  \n```go\n    x\n```\n"
    namespace: dict[str, type] = {}
    exec(compile(f'class C:\n    """{written}"""\n', "<doc>", "exec"), namespace)
    assert namespace["C"].__doc__ == (cleaned if sys.version_info >= (3, 13) else written)
    assert compiled_as_by_python_313(written) == cleaned


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_document_does_not_depend_on_the_python_version(rule: type[Rule]) -> None:
    written = as_written(rule)
    compiled = compiled_as_by_python_313(written)
    assert rule.__doc__ in (written, compiled)
    document = (ROOT / "rules" / f"{rule.id}.md").read_text(encoding="utf-8")
    assert render_markdown(with_doc(rule, written)) == document
    assert render_markdown(with_doc(rule, compiled)) == document


GO = ["func f() {", "\tfor {", "\t\tg()", "\t}", "}"]


def docstring(margin: int, go: list[str]) -> str:
    """A docstring with a Go block, its lines indented by ``margin`` spaces."""
    lines = ["```go", *go, "```", ""]
    return "Text.\n" + "\n".join(" " * margin + line for line in lines)


@pytest.mark.parametrize("margin", [0, 3, 4, 8, 12])
def test_go_code_keeps_its_tabs_under_any_docstring_margin(margin: int) -> None:
    doc = docstring(margin, GO)
    expected = "\n".join(["Text.", "```go", *GO, "```"])
    assert cleandoc(doc) == expected
    assert cleandoc(compiled_as_by_python_313(doc)) == expected


def test_go_code_indented_with_spaces_by_hand_is_kept() -> None:
    go = [line.replace("\t", "    ") for line in GO]
    doc = docstring(4, go)
    expected = "\n".join(["Text.", "```go", *go, "```"])
    assert cleandoc(doc) == expected
    assert cleandoc(compiled_as_by_python_313(doc)) == expected


@pytest.mark.skipif(shutil.which("gofmt") is None, reason="gofmt is not installed")
@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_go_code_is_gofmt_formatted(rule: type[Rule]) -> None:
    for section in ("Example", "Use instead"):
        code = go_code(rule, section)
        proc = subprocess.run(["gofmt"], input=code, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{section} of {rule.id}: {proc.stderr}"
        assert proc.stdout == code, f"{section} of {rule.id} is not gofmt-formatted"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_explain_prints_the_rule_document() -> None:
    rule = load_rules().get("GL101")
    assert rule is not None
    code, out, err = run_cli("explain", "GL101")
    assert (code, err) == (0, "")
    assert out == render_markdown(rule)
    assert out == (ROOT / "rules" / "GL101.md").read_text(encoding="utf-8")


def test_explain_is_case_insensitive() -> None:
    assert run_cli("explain", "gl101") == run_cli("explain", "GL101")
    assert run_cli("explain", "gl101")[1].startswith("# GL101 unbounded-global-map\n")


def test_explain_unknown_rule_is_a_usage_error() -> None:
    code, out, err = run_cli("explain", "GL999")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("goleaklint: error: ") and "GL999" in err


def test_the_generator_removes_nothing_when_a_builtin_rule_fails_to_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A rule module that fails to import is a warning for the command line; for the generator
    it would read as a removed rule and delete its document."""
    from goleaklint.registry import Registry

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "GL201.md").write_text("kept\n")
    broken = Registry(rules=[r for r in ALL_RULES if r.id != "GL201"], warnings=[
        "plugin 'gl201' (goleaklint.checks.gl201_unclosed_resource) failed to load: "
        "ImportError('x')"])
    monkeypatch.setattr(generator, "load_rules", lambda: broken)
    assert generator.main(["--root", str(tmp_path)]) == 2
    assert (tmp_path / "rules" / "GL201.md").read_text() == "kept\n"
    assert "a built-in rule did not load" in capsys.readouterr().err


def test_the_readme_shows_what_goleaklint_prints_for_the_gl301_fixtures(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The README quotes one finding and the summary of ``goleaklint fixtures/GL301``: they
    stay what a user running that command sees (the default rules)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    monkeypatch.chdir(ROOT)
    out, err = io.StringIO(), io.StringIO()
    assert main(["fixtures/GL301"], out, err) == 1
    summary = err.getvalue().splitlines()[-1]
    assert f"\n```\n{summary}\n```\n" in readme, summary
    shown = next(line for line in out.getvalue().splitlines()
                 if line.startswith("fixtures/GL301/cmdtool/main.go:"))
    assert f"\n```\n{shown}\n```\n" in readme, shown
