"""Measured precision: one committed source (goleaklint.measured_precision), written by
``bench/precision/run.py score TSV --write`` and shown by SARIF, the rule documents and the
README table."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from goleaklint import measured_precision
from goleaklint.cli import main
from goleaklint.docs import render_markdown
from goleaklint.precision import Measured, grade, measured, precision_line, precision_of
from goleaklint.registry import load_rules

pytestmark = pytest.mark.real_tiers  # the rules as shipped: opt-in ones off by default

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "precision" / "run.py"
_spec = importlib.util.spec_from_file_location("precision_run_write", SCRIPT)
assert _spec and _spec.loader
run = importlib.util.module_from_spec(_spec)
sys.modules["precision_run_write"] = run
_spec.loader.exec_module(run)

RULES = {r.id: r for r in load_rules().rules}


def test_committed_measurements_are_what_score_write_computes_from_their_tsv(
        tmp_path: Path) -> None:
    """The data cannot go stale silently: recomputed from the verdict files it names."""
    sources = [ROOT / s for s in measured_precision.SOURCES]
    for source in sources:
        assert source.is_file(), f"{source}: the verdict file is not committed"
    assert run.sample_commit(sources[-1]) == measured_precision.COMMIT
    expected = run.write_measured(sources, None, module=tmp_path / "m.py",
                                  no_findings=measured_precision.NO_FINDINGS)
    module = ROOT / "src" / "goleaklint" / "measured_precision.py"
    assert module.read_text(encoding="utf-8") == expected, (
        "stale: run python bench/precision/run.py score "
        f"{' '.join(measured_precision.SOURCES)} --write")


def test_a_later_sample_supersedes_an_earlier_one_for_its_rules(tmp_path: Path) -> None:
    """Each rule is measured by the last file that judged it, at that file's commit; samples
    of one rule drawn with several seeds pool."""
    def write(name: str, rows: list[tuple[str, str, str]]) -> Path:
        path = tmp_path / name
        path.write_text("\t".join(run.COLUMNS) + "\n" + "".join(
            f"{seed}\t{rule}\t/usr/share/gocode/src/x/a.go\t{n}\tm\th\t{verdict}\tr\n"
            for n, (seed, rule, verdict) in enumerate(rows, 1)), encoding="utf-8")
        return path

    first = write("first-abc1234-seed1.tsv",
                  [("1", "GL101", "TP"), ("1", "GL101", "FP"), ("1", "GL301", "FP")])
    later = write("later-def5678-seed2.tsv",
                  [("2", "GL301", "TP"), ("3", "GL301", "TP"), ("3", "GL301", "FP")])
    text = run.write_measured([first, later], None, module=tmp_path / "m.py", root=tmp_path)
    assert '"first-abc1234-seed1.tsv",\n    "later-def5678-seed2.tsv",' in text
    namespace: dict[str, Any] = {}
    exec(text.replace("from .precision import Measured", ""), {"Measured": Measured},
         namespace)
    assert namespace["COMMIT"] == "def5678"
    assert namespace["MEASURED"] == {
        "GL101": Measured(actionable=1, judged=2, sampled=2, seeds=(1,), commit="abc1234",
                          corpus="gocode"),
        "GL301": Measured(actionable=2, judged=3, sampled=3, seeds=(2, 3), commit="def5678",
                          corpus="gocode"),
    }
    with pytest.raises(run.UsageError, match="--commit names the commit of one verdict file"):
        run.write_measured([first, later], "abc1234", module=tmp_path / "m.py", root=tmp_path)


def test_every_builtin_leak_rule_has_a_measured_precision() -> None:
    """No guessed precision is left on a rule the bench samples (the suppression rules, which
    report comments, are not sampled)."""
    unmeasured = [r.id for r in RULES.values()
                  if r.__module__.startswith("goleaklint.") and r.family != "meta"
                  and measured(r) is None and r.id not in measured_precision.NO_FINDINGS]
    assert unmeasured == []


@pytest.mark.parametrize(("fraction", "expected"), [
    (1.0, "very-high"), (0.9, "very-high"), (0.89, "high"), (0.8, "high"),
    (0.79, "medium"), (0.6, "medium"), (0.59, "low"), (0.0, "low"),
])
def test_grade_uses_githubs_values(fraction: float, expected: str) -> None:
    assert grade(fraction) == expected


def test_measurements_count_each_rules_rows(tmp_path: Path) -> None:
    rows = [
        {"seed": "7", "rule": "GL101", "path": "/usr/share/gocode/src/x/a.go", "verdict": "TP"},
        {"seed": "7", "rule": "GL101", "path": "/usr/share/go-1.19/src/net/b.go", "verdict": "FP"},
        {"seed": "7", "rule": "GL101", "path": "/usr/share/gocode/src/x/c.go", "verdict": ""},
        {"seed": "7", "rule": "GL204", "path": "/usr/share/gocode/src/y/d.go", "verdict": "TP"},
    ]
    got = run.measurements(rows, "abc1234")
    assert got == {
        "GL101": Measured(actionable=1, judged=2, sampled=3, seeds=(7,), commit="abc1234",
                          corpus="goroot+gocode"),
        "GL204": Measured(actionable=1, judged=1, sampled=1, seeds=(7,), commit="abc1234",
                          corpus="gocode"),
    }
    pooled = run.measurements([*rows, {**rows[0], "seed": "8"}], "abc1234")["GL101"]
    assert (pooled.seeds, pooled.judged) == ((7, 8), 3)
    with pytest.raises(run.UsageError, match="GL101: expected numeric seeds, found 7, x"):
        run.measurements([*rows, {**rows[0], "seed": "x"}], "abc1234")


def test_score_write_names_the_commit_and_stays_in_the_repository(tmp_path: Path) -> None:
    tsv = tmp_path / "after-seed5.tsv"
    tsv.write_text("\t".join(run.COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(run.UsageError, match="--write records a verdict file of the repository"):
        run.write_measured([tsv], "abc1234", module=tmp_path / "m.py")
    assert run.sample_commit(tsv) is None
    assert run.sample_commit(Path("before-5c814ce-seed20261204.tsv")) == "5c814ce"
    sources = [ROOT / s for s in measured_precision.SOURCES]
    out = tmp_path / "m.py"
    text = run.write_measured(sources, None, module=out,
                              no_findings=measured_precision.NO_FINDINGS)
    assert out.read_text(encoding="utf-8") == text
    assert text == (ROOT / "src" / "goleaklint" / "measured_precision.py").read_text("utf-8")


def test_score_write_without_a_commit_is_a_one_line_error(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    tsv = tmp_path / "x.tsv"
    tsv.write_text("\t".join(run.COLUMNS) + "\n", encoding="utf-8")
    assert run.main(["score", str(tsv), "--write"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("run.py: error: ") and err.count("\n") == 1


def test_sarif_precision_and_documents_state_the_measurement() -> None:
    gl101, gl301, gl001 = RULES["GL101"], RULES["GL301"], RULES["GL001"]
    m = measured(gl301)
    assert m is not None
    assert precision_of(gl301) == grade(m.actionable / m.judged)
    assert precision_of(gl001) == gl001.precision  # not sampled: its own, marked as such
    doc = render_markdown(gl301)
    assert precision_line(gl301) in doc
    assert f"{m.actionable} of {m.judged} findings" in doc
    assert (f"samples drawn with seeds {m.seeds[0]} and {m.seeds[1]} " if len(m.seeds) == 2
            else f"a sample drawn with seed {m.seeds[0]} ") in doc
    assert "not measured" in render_markdown(gl001)
    out = io_run("--format", "sarif", "--exit-zero", "--jobs", "1", "--extend-select", "GL101",
                 str(ROOT / "fixtures" / "GL101"))
    props = {r["id"]: r["properties"] for r in out["runs"][0]["tool"]["driver"]["rules"]}
    assert props["GL101"]["precision"] == precision_of(gl101)
    assert props["GL301"]["precision"] == precision_of(gl301)
    assert props["GL001"]["precision"] == "very-high"
    gl103 = RULES["GL103"]  # nothing to judge over the corpora: its estimate, said so
    assert "GL103" in measured_precision.NO_FINDINGS and measured(gl103) is None
    assert props["GL103"]["precision"] == gl103.precision
    assert "nothing to judge" in precision_line(gl103) in render_markdown(gl103)


def io_run(*argv: str) -> Any:
    out, err = io.StringIO(), io.StringIO()
    assert main(list(argv), out, err) == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_a_rule_without_findings_is_recorded_as_not_measurable(tmp_path: Path) -> None:
    source = ROOT / measured_precision.SOURCES[0]
    rows = run.read_tsv(source)
    text = run.render_measured(("x.tsv",), "abc1234", run.measurements(rows, "abc1234"),
                               ("GL999",))
    assert 'NO_FINDINGS: tuple[str, ...] = ("GL999",)' in text
    sampled = rows[0]["rule"]
    with pytest.raises(run.UsageError, match=f"--no-findings {sampled}: the TSV has rows"):
        run.write_measured([source], None, module=tmp_path / "m.py", no_findings=(sampled,))
