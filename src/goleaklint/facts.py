"""Facts: typed, memoised analyses of a package that rules declare they require.

A fact is a function of a package (its control-flow graphs, the functions that run only at
init time, the values a function returns …), computed once per package on first question and
shared by every rule and plugin that asks, as go/analysis's ``Requires``/``ResultOf``::

    @package_fact(requires=(ONCE_FUNCTIONS,))
    def init_functions(pkg: Package) -> frozenset[int]:
        ...

    class MyRule(Rule):
        requires = (init_functions,)

        def finish(self) -> None:
            marks = self.fact(init_functions)   # typed: frozenset[int]

A fact computed while another is being computed must be one the outer fact declares in its
``requires`` (checked when ``GOLEAKLINT_STRICT_FACTS=1``, as the test suite runs), and so must
a fact a rule reads with ``Rule.fact``; the registry rejects requirements that form a cycle when
the rules load.
Per-function analyses are package facts holding a memo keyed by the function (``flows``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from .model import Package

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)  # a Fact[frozenset[str]] is a Fact[Iterable[str]]

# Undeclared reads raise only where asked (the test suite sets it): in a user's run a missing
# declaration is a bookkeeping slip, not a reason to lose a rule's findings.
STRICT = os.environ.get("GOLEAKLINT_STRICT_FACTS") == "1"


@dataclass(frozen=True, eq=False)
class Fact(Generic[T_co]):
    """One analysis of a package: its name, how to compute it, and the facts it reads."""

    name: str
    compute: Callable[[Package], T_co]
    requires: tuple[Fact[Any], ...] = ()
    doc: str = ""

    def __repr__(self) -> str:
        return f"<fact {self.name}>"


def package_fact(requires: Iterable[Fact[Any]] = ()) -> Callable[[Callable[[Package], T]],
                                                                   Fact[T]]:
    """Make a function of a package into a ``Fact`` (its name and docstring are the fact's)."""
    needed = tuple(requires)

    def wrap(compute: Callable[[Package], T]) -> Fact[T]:
        doc = (compute.__doc__ or "").strip().split("\n\n")[0]
        return Fact(compute.__name__.lstrip("_"), compute, needed, " ".join(doc.split()))

    return wrap


class FactError(Exception):
    """A fact asked for without being declared, or requirements that form a cycle."""


class Facts:
    """The facts of one package, computed on first question."""

    def __init__(self, package: Package) -> None:
        self._package: Package | None = package
        self._values: dict[Fact[Any], object] = {}
        self._computing: list[Fact[Any]] = []

    def get(self, fact: Fact[T]) -> T:
        """The value of ``fact`` for this package (computed now if it was not yet)."""
        values = self._values
        if fact in values:
            return cast(T, values[fact])
        if self._computing and STRICT:
            outer = self._computing[-1]
            if fact not in outer.requires:
                raise FactError(f"fact {outer.name} reads {fact.name} without requiring it")
        if fact in self._computing:
            raise FactError(f"fact {fact.name} requires itself")
        if self._package is None:
            raise FactError(f"fact {fact.name} asked after the package's analysis ended")
        self._computing.append(fact)
        try:
            value = fact.compute(self._package)
        finally:
            self._computing.pop()
        values[fact] = value
        return value

    def clear(self) -> None:
        """The package's analysis is over: drop every value and the package itself (they refer
        back to it), so that reference counting frees it. A value with a ``release()`` method
        is told first, to break reference cycles of its own (control-flow graphs)."""
        for value in self._values.values():
            release = getattr(value, "release", None)
            if callable(release):
                release()
        self._values.clear()
        self._package = None


def check_requirements(facts: Iterable[Fact[Any]]) -> None:
    """Raise ``FactError`` when the requirements reachable from ``facts`` form a cycle."""
    done: set[int] = set()

    def visit(fact: Fact[Any], path: tuple[Fact[Any], ...]) -> None:
        if id(fact) in done:
            return
        if fact in path:
            cycle = " -> ".join(f.name for f in (*path[path.index(fact):], fact))
            raise FactError(f"facts require each other: {cycle}")
        for needed in fact.requires:
            if not isinstance(needed, Fact):
                raise FactError(f"fact {fact.name} requires {needed!r}, which is not a fact")
            visit(needed, (*path, fact))
        done.add(id(fact))

    for fact in facts:
        if not isinstance(fact, Fact):
            raise FactError(f"{fact!r} is not a fact")
        visit(fact, ())
