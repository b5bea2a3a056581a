"""The contract of a rule: metadata, options, the visitor it runs, and the findings it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from .facts import STRICT, Fact, FactError
from .fixes import Edit as Edit  # re-exported: the contract a rule's fix is built of
from .fixes import Fix as Fix  # re-exported too
from .oneline import one_line
from .syntax import Node, Visitor

if TYPE_CHECKING:
    from .model import FileModel, Package

T = TypeVar("T")

LEVELS = ("error", "warning", "note")
PRECISIONS = ("very-high", "high", "medium", "low")
TIERS = ("default", "opt-in")
Tier = Literal["default", "opt-in"]


@dataclass(frozen=True)
class Location:
    """A span in a file: 1-based lines, 1-based columns counted in Unicode characters."""

    path: Path
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Related:
    """A secondary location that explains a finding (the branch that skips Close…)."""

    location: Location
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", one_line(self.message))


@dataclass(frozen=True)
class Finding:
    """One diagnostic, detached from the syntax tree (safe to send across processes)."""

    rule_id: str
    rule_name: str
    level: str
    location: Location
    message: str
    snippet: str = ""  # the reported line's text, for fingerprints
    related: tuple[Related, ...] = ()
    fix: Fix | None = None  # a mechanical repair (SARIF ``fixes``, ``goleaklint --fix``)
    tier: Tier = "default"  # "opt-in": a shape of the rule reported only when the rule is named

    def __post_init__(self) -> None:  # messages quote code: one line in every format
        object.__setattr__(self, "message", one_line(self.message))

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (str(loc.path), loc.line, loc.column, self.rule_id, self.message)


@dataclass(frozen=True)
class Gate:
    """What a file must hold for a rule to look at it: any of ``mentions`` in its bytes (an
    identifier, a keyword) or any of ``imports`` among its import paths.  Empty: every file.

    A gate is a promise that the rule finds nothing in a file that fails it: the engine skips
    the rule's ``begin_file``, walk and ``end_file`` there, and a test runs every rule with
    gates off to hold the promise.
    """

    mentions: tuple[bytes, ...] = ()
    imports: tuple[str, ...] = ()

    def admits(self, file: FileModel) -> bool:
        if not self.mentions and not self.imports:
            return True
        source = file.source
        return any(m in source for m in self.mentions) or any(
            file.imports_path(p) for p in self.imports)


@dataclass(frozen=True)
class Option:
    """A per-rule option settable in ``.goleaklint.toml`` under ``[rules.<ID>]``.

    A value must be of ``type``; a number (``int``, ``float``) must also be positive; ``check``,
    when given, returns the first problem of a value: (text on its line, why), or None.
    """

    type: type
    default: Any
    help: str
    check: Callable[[Any], tuple[str, str] | None] | None = None


@dataclass
class RuleContext:
    """What the engine hands a rule for one package: the model, options and the findings sink."""

    package: Package
    options: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)


class Rule(Visitor):
    """Base class of every rule, built-in or third-party.

    Subclasses set the class attributes, write their documentation as the class docstring (with
    the sections in ``goleaklint.docs.SECTIONS``), and find problems by any mix of:

    * ``visit_<node_type>`` / ``leave_<node_type>`` methods, called during the one walk of each
      file that all rules share (``self.file`` is the file being walked);
    * ``begin_file``/``end_file`` for per-file work such as tree-sitter queries;
    * ``finish`` once the whole package has been seen (package-wide questions).

    Shared analyses are facts (``goleaklint.facts``): a rule lists the ones it reads in
    ``requires`` and reads them with ``self.fact(…)``; each is computed once per package.
    A rule reports with ``self.report(node, message)``.  ``applies_to`` is a cheap gate that lets
    the engine skip a package the rule cannot fire on.

    ``tier = "opt-in"`` keeps a rule off unless the user names it (its ID, or a prefix with a
    digit such as ``GL1``) in ``select``/``extend-select``; ``report(…, tier="opt-in")`` does
    the same for one shape of a default rule; ``precision`` is the rule's own
    estimate, shown where goleaklint has no measurement of it (``goleaklint.precision``).
    """

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    level: ClassVar[str] = "warning"
    precision: ClassVar[str] = "high"  # declared; a measured one wins (goleaklint.precision)
    tier: ClassVar[Tier] = "default"  # "opt-in": off unless named (goleaklint.selection)
    requires: ClassVar[tuple[Fact[Any], ...]] = ()  # the facts this rule reads
    gate: ClassVar[Gate] = Gate()  # what a file must mention for the rule to look at it
    tags: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[dict[str, Option]] = {}
    suppressible: ClassVar[bool] = True  # False for rules about suppressions themselves

    def __init__(self, context: RuleContext) -> None:
        self.context = context
        self.package: Package = context.package
        self.file: FileModel | None = None

    @property
    def walked(self) -> FileModel:
        """The file being walked (``self.file``), where code runs only during a walk: the
        ``visit_``/``leave_`` methods and what they call."""
        f = self.file
        if f is None:
            raise RuntimeError(f"rule {self.id}: no file is being walked")
        return f

    def fact(self, fact: Fact[T]) -> T:
        """The value of ``fact`` (one of ``requires``) for this rule's package."""
        if STRICT and fact not in self.requires:
            raise FactError(f"rule {self.id} reads fact {fact.name} without requiring it")
        return self.package.facts.get(fact)

    @classmethod
    def applies_to(cls, package: Package) -> bool:
        """Cheap gate: False when the rule cannot fire anywhere in ``package``."""
        return True

    def option(self, name: str) -> Any:
        """The configured value of one of this rule's options."""
        return self.context.options.get(name, self.options[name].default)

    def begin_file(self, file: FileModel) -> bool | None:
        """Called before the walk of each file of the package.

        Returning ``False`` (only a literal False, as for ``visit_``) skips this rule's
        visitors for the file: a cheap gate, such as "the file does not import context".
        ``end_file`` is still called.
        """

    def end_file(self, file: FileModel) -> None:
        """Called after the walk of each file of the package."""

    def finish(self) -> None:
        """Called once every file of the package has been walked."""

    def report(
        self,
        node: Node,
        message: str,
        related: tuple[tuple[FileModel, Node, str], ...] = (),
        file: FileModel | None = None,
        fix: Fix | None = None,
        tier: Tier = "default",
    ) -> None:
        """Report ``message`` at ``node`` (in ``file``, by default the file being walked),
        with a ``fix`` when the repair is mechanical (see ``goleaklint.fixes``). ``tier="opt-in"``
        marks a shape of the rule below the default tier's precision: it is kept only when
        the user names the rule (as for an opt-in rule, ``goleaklint.selection``)."""
        f = file or self.file
        if f is None:
            raise ValueError("report() outside a file walk needs file=")
        self.context.findings.append(
            Finding(
                self.id,
                self.name,
                self.level,
                node_location(f, node),
                message,
                " ".join(f.line_text(node.start_point.row + 1).split()),
                tuple(Related(node_location(rf, rn), msg) for rf, rn, msg in related),
                fix,
                tier,
            )
        )


def node_location(f: FileModel, node: Node) -> Location:
    """The ``Location`` of a node in a file."""
    line, column = f.position(node.start_byte)
    end_line, end_column = f.position(node.end_byte)
    return Location(f.path, line, column, end_line, end_column)
