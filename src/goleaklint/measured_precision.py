"""Measured precision per rule, written by ``python bench/precision/run.py score TSV…
--write`` from the judged samples ``SOURCES`` (a later one supersedes an earlier one for
the rules it has): do not edit (a test recomputes it from those files).
``goleaklint.precision`` reads it."""

from .precision import Measured

SOURCES = (
    "bench/precision/verdicts/after-32391b1-seed166353.tsv",
    "bench/precision/verdicts/final-b53faee-seed83492.tsv",
)
COMMIT = "b53faee"

MEASURED: dict[str, Measured] = {
    "GL101": Measured(actionable=0, judged=15, sampled=15, seeds=(166353,),
                      commit="32391b1", corpus="gocode"),
    "GL102": Measured(actionable=2, judged=12, sampled=12, seeds=(166353,),
                      commit="32391b1", corpus="goroot+gocode"),
    "GL201": Measured(actionable=6, judged=15, sampled=15, seeds=(166353,),
                      commit="32391b1", corpus="gocode"),
    "GL202": Measured(actionable=6, judged=13, sampled=13, seeds=(166353,),
                      commit="32391b1", corpus="goroot+gocode"),
    "GL203": Measured(actionable=6, judged=15, sampled=15, seeds=(166353,),
                      commit="32391b1", corpus="gocode"),
    "GL204": Measured(actionable=6, judged=15, sampled=15, seeds=(166353,),
                      commit="32391b1", corpus="goroot+gocode"),
    "GL205": Measured(actionable=1, judged=15, sampled=15, seeds=(166353,),
                      commit="32391b1", corpus="goroot+gocode"),
    "GL301": Measured(actionable=32, judged=40, sampled=40, seeds=(83492, 305263),
                      commit="b53faee", corpus="goroot+gocode"),
    "GL302": Measured(actionable=6, judged=8, sampled=8, seeds=(166353,),
                      commit="32391b1", corpus="gocode"),
    "GL303": Measured(actionable=5, judged=9, sampled=9, seeds=(166353,),
                      commit="32391b1", corpus="gocode"),
    "GL304": Measured(actionable=18, judged=20, sampled=20, seeds=(83492,),
                      commit="b53faee", corpus="gocode"),
}

# Rules that reported nothing over the corpora at COMMIT: nothing to judge.
NO_FINDINGS: tuple[str, ...] = ("GL103", "GL401",)
