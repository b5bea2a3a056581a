"""Measured precision per rule, written by ``python bench/precision/run.py score TSV
--write`` from the judged sample ``SOURCE``: do not edit (a test recomputes it from that
file). ``goleaklint.precision`` reads it."""

from .precision import Measured

SOURCE = "bench/precision/verdicts/before-5c814ce-seed20261204.tsv"
COMMIT = "5c814ce"

MEASURED: dict[str, Measured] = {
    "GL101": Measured(actionable=0, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL102": Measured(actionable=1, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL103": Measured(actionable=0, judged=9, sampled=9, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL201": Measured(actionable=1, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL202": Measured(actionable=3, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL203": Measured(actionable=2, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL204": Measured(actionable=1, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL205": Measured(actionable=2, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL301": Measured(actionable=9, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="gocode"),
    "GL302": Measured(actionable=9, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="gocode"),
    "GL303": Measured(actionable=6, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="gocode"),
    "GL304": Measured(actionable=6, judged=15, sampled=15, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
    "GL401": Measured(actionable=0, judged=13, sampled=13, seed=20261204,
                      commit=COMMIT, corpus="goroot+gocode"),
}

# Rules that reported nothing over the corpora at COMMIT: nothing to judge.
NO_FINDINGS: tuple[str, ...] = ()
