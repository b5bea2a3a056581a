"""A rule's precision as measured on real Go code, and the grade SARIF and the documents show.

The measurements live in ``goleaklint.measured_precision``, written by
``python bench/precision/run.py score TSV --write`` from a judged sample (the one source); a
rule without a measurement (a third-party rule, the suppression rules) shows its own
``Rule.precision``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rule import Rule

# GitHub code scanning's ``precision`` values, with the least measured fraction each needs.
GRADES = (("very-high", 0.9), ("high", 0.8), ("medium", 0.6), ("low", 0.0))
# The corpora of bench/precision, as a sample's ``corpus`` names them ("goroot+gocode").
CORPORA = {"goroot": "Go's standard library", "gocode": "Debian's Go sources"}


@dataclass(frozen=True)
class Measured:
    """One rule's judged sample: ``actionable`` of ``judged`` findings were worth acting on
    (``sampled`` drawn, some maybe not judged yet), drawn with ``seeds`` (samples pooled)
    from the findings of goleaklint at ``commit`` over ``corpus`` (names of ``CORPORA``
    joined by ``+``)."""

    actionable: int
    judged: int
    sampled: int
    seeds: tuple[int, ...]
    commit: str
    corpus: str

    @property
    def fraction(self) -> float:
        return self.actionable / self.judged


def grade(fraction: float) -> str:
    """The SARIF precision of a measured fraction: very-high >= 0.9, high >= 0.8,
    medium >= 0.6, else low."""
    return next(name for name, least in GRADES if fraction >= least)


def measured(rule: type[Rule]) -> Measured | None:
    """The rule's measurement, if its sample has judged findings."""
    from .measured_precision import MEASURED

    m = MEASURED.get(rule.id)
    return m if m is not None and m.judged else None


def precision_of(rule: type[Rule]) -> str:
    """SARIF ``precision``: the measured grade, else the rule's own."""
    m = measured(rule)
    return grade(m.fraction) if m is not None else rule.precision


def without_findings(rule: type[Rule]) -> bool:
    """The rule reported nothing over the corpora of the last judged sample: not measurable."""
    from .measured_precision import NO_FINDINGS

    return rule.id in NO_FINDINGS


def precision_line(rule: type[Rule]) -> str:
    """The sentence of a rule's document on its precision: measured (with the sample) or not."""
    m = measured(rule)
    if m is None and without_findings(rule):
        from .measured_precision import COMMIT

        return (f"Precision: {rule.precision} (the rule's own estimate; not measured: goleaklint "
                f"{COMMIT} reports nothing over Go's standard library and Debian's Go sources, "
                f"so there is nothing to judge; bench/precision)")
    if m is None:
        return f"Precision: {rule.precision} (the rule's own estimate; not measured)"
    corpus = " and ".join(CORPORA.get(c, c) for c in m.corpus.split("+"))
    return (f"Precision: {grade(m.fraction)}, measured: {m.actionable} of {m.judged} findings "
            f"judged worth acting on ({m.fraction:.0%}) in {_drawn(m.seeds)} "
            f"from goleaklint {m.commit}'s findings over {corpus} (bench/precision)")


def _drawn(seeds: tuple[int, ...]) -> str:
    """``a sample drawn with seed 7``, or ``samples drawn with seeds 7 and 8`` (pooled)."""
    if len(seeds) == 1:
        return f"a sample drawn with seed {seeds[0]}"
    return "samples drawn with seeds " + ", ".join(map(str, seeds[:-1])) + f" and {seeds[-1]}"
