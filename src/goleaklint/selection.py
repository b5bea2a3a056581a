"""Which rules run: ``select``, ``extend-select`` and ``ignore`` (ruff's conventions), and tiers.

A selector is ``ALL``, a rule ID, or a prefix of IDs (``GL1``). The most specific selector that
matches a rule decides (a prefix's specificity is its length, ``ALL``'s is 0); a tie goes to
select. An empty ``select`` means every rule, less specific than any selector, ``ALL``
included. ``extend-select`` adds to ``select`` (to every rule when it is empty).

An opt-in rule (``Rule.tier``) runs only when a selector *names* it: its ID, or a prefix with a
digit (``GL1``, ``GL10``), which picks a part of the catalog. ``ALL``, a prefix of letters
alone (``GL``: a whole plugin's namespace) and the default "every rule" do not name it.
"""

from __future__ import annotations

from collections.abc import Iterable

ALL = "ALL"
NONE = -2  # no selector matches
IMPLICIT = -1  # the default "every rule" of an empty select


def specificity(selector: str, rule_id: str) -> int:
    """How specifically ``selector`` matches ``rule_id`` (``NONE`` when it does not)."""
    if selector == ALL:
        return 0
    return len(selector) if rule_id.startswith(selector) else NONE


def names(selector: str, rule_id: str) -> bool:
    """Whether ``selector`` names ``rule_id`` closely enough to enable an opt-in rule: the ID
    itself, or a prefix of it that reaches past the letters (``GL1`` for ``GL101``)."""
    letters = len(rule_id.rstrip("0123456789"))  # an ID is capital letters, then digits
    return rule_id.startswith(selector) and len(selector) > letters


def enabled(rule_id: str, opt_in: bool, select: Iterable[str], extend_select: Iterable[str],
            ignore: Iterable[str]) -> bool:
    """Whether a rule runs under the selectors (see the module's docstring)."""
    select = list(select)
    chosen = [*select, *extend_select]
    if opt_in:
        chosen = [s for s in chosen if names(s, rule_id)]
    sel = max((specificity(s, rule_id) for s in chosen), default=NONE)
    if not select and not opt_in:
        sel = max(sel, IMPLICIT)
    ign = max((specificity(s, rule_id) for s in ignore), default=NONE)
    return sel > NONE and sel >= ign


def matches_any(selector: str, rule_ids: Iterable[str]) -> bool:
    """Whether ``selector`` selects anything at all (``ALL`` always does)."""
    return selector == ALL or any(r.startswith(selector) for r in rule_ids)
