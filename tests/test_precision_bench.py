"""bench/precision/run.py: the sample is reproducible, the score is plain arithmetic."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "precision" / "run.py"
_spec = importlib.util.spec_from_file_location("precision_run", SCRIPT)
assert _spec and _spec.loader
run = importlib.util.module_from_spec(_spec)
sys.modules["precision_run"] = run
_spec.loader.exec_module(run)


def _findings(rule: str, n: int) -> list[dict[str, object]]:
    return [{"corpus": "goroot", "root": "/r", "rule": rule, "path": f"p{i % 7}.go",
             "line": i, "column": 1, "message": f"m{i}", "test": False} for i in range(n)]


def test_the_sample_depends_on_the_seed_not_on_the_order_of_the_findings() -> None:
    findings = _findings("GL101", 40) + _findings("GL204", 5)
    shuffled = findings[:]
    random.Random(7).shuffle(shuffled)
    first = run.draw_sample(findings, seed=3, per_rule=15)
    assert first == run.draw_sample(shuffled, seed=3, per_rule=15)
    assert first != run.draw_sample(findings, seed=4, per_rule=15)
    assert Counter(f["rule"] for f in first) == {"GL101": 15, "GL204": 5}


def test_one_rules_sample_does_not_move_when_another_rule_changes() -> None:
    base = _findings("GL201", 30)
    alone = run.draw_sample(base, seed=1, per_rule=10)
    mixed = run.draw_sample(base + _findings("GL101", 50), seed=1, per_rule=10)
    assert [f for f in mixed if f["rule"] == "GL201"] == alone


def test_score_counts_verdicts_per_rule_and_leaves_blanks_unjudged() -> None:
    rows = [{"rule": "GL101", "verdict": v} for v in ("TP", "fp", "FP", "", "TP ")]
    rows.append({"rule": "GL204", "verdict": ""})
    counts = run.tally(rows)
    assert counts["GL101"] == Counter(sampled=5, TP=2, FP=2)
    assert run.precision(counts["GL101"]) == 0.5
    assert run.precision(counts["GL204"]) is None
    table = run.score_table(counts)
    assert "| GL101 | 5 | 2 | 2 | 50% |" in table
    assert "| all | 6 | 2 | 2 | 50% |" in table


def test_a_verdict_other_than_tp_or_fp_is_an_error_naming_its_line() -> None:
    with pytest.raises(run.UsageError, match="line 3: verdict 'maybe'"):
        run.tally([{"rule": "GL101", "verdict": "TP"}, {"rule": "GL101", "verdict": "maybe"}])


def test_compare_tells_which_judged_findings_a_later_scan_kept() -> None:
    later = _findings("GL201", 3)  # /r/p0.go:0, /r/p1.go:1, /r/p2.go:2
    rows = [
        {"rule": "GL201", "path": "/r/p1.go", "line": "1", "verdict": "TP"},
        {"rule": "GL201", "path": "/r/p5.go", "line": "5", "verdict": "TP"},
        {"rule": "GL201", "path": "/r/p2.go", "line": "2", "verdict": "FP"},
        {"rule": "GL201", "path": "/r/p6.go", "line": "6", "verdict": "FP"},
        {"rule": "GL204", "path": "/r/p1.go", "line": "1", "verdict": "FP"},  # other rule: gone
        {"rule": "GL201", "path": "/r/p0.go", "line": "0", "verdict": ""},  # not judged
    ]
    counts = run.compare(rows, later)
    assert counts["GL201"] == Counter({"TP kept": 1, "TP lost": 1, "FP gone": 1, "FP kept": 1})
    assert counts["GL204"] == Counter({"FP gone": 1})
    assert "| all | 1 | 1 | 2 | 1 |" in run.compare_table(counts)


def test_the_table_counts_the_findings_users_see_by_default() -> None:
    def corpus(per_rule: dict[str, int]) -> dict[str, object]:
        return {"handwritten_lines": 1000, "findings": sum(per_rule.values()), "per_rule": {
            rule: {"findings": n, "in_tests": 0, "per_1k_lines": n / 1000}
            for rule, n in per_rule.items()}}

    data = {"tiers": {"GL101": "opt-in", "GL201": "default"},
            "corpora": {"a": corpus({"GL101": 5, "GL201": 2}), "b": corpus({"GL201": 1})}}
    data["corpora"]["b"]["per_rule"]["GL201"]["opt_in_shapes"] = 1  # type: ignore[index]
    table = run.counts_table(data)
    assert "Findings users see by default: 2 of 8" in table
    assert "| GL201 | default (1 opt-in shapes) |" in table
    assert "| GL101 | opt-in | 5 (0%), 0.0050 | 0 |" in table


def test_the_scan_selects_every_tier() -> None:
    assert run.EVERY_TIER.split(",") == ["GL0", "GL1", "GL2", "GL3", "GL4"]
    tiers = run.rule_tiers()
    assert set(tiers.values()) <= {"default", "opt-in"} and "GL201" in tiers


def test_the_sample_can_leave_out_opt_in_shapes(tmp_path: Path) -> None:
    findings = _findings("GL204", 6)
    for f in findings[:4]:
        f["tier"] = "opt-in"
    scan = tmp_path / "scan.json"
    scan.write_text(run.json.dumps({"findings": findings}))
    out = tmp_path / "sample.tsv"
    assert run.write_sample(scan, 1, 15, out) == 6
    assert run.write_sample(scan, 1, 15, out, default_shapes=True) == 2
