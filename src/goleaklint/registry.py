"""Loading and validating the rules that plugins provide."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from .docs import missing_sections
from .facts import FactError, check_requirements
from .plugins import plugin_manager
from .rule import LEVELS, PRECISIONS, TIERS, Rule
from .syntax import handler_types, node_types

RULE_ID = re.compile(r"^[A-Z]{2,4}[0-9]{3,4}$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass
class Registry:
    """The validated rules, sorted by ID, and the problems met while loading them."""

    rules: list[type[Rule]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, type[Rule]]:
        return {r.id: r for r in self.rules}

    def get(self, rule_id: str) -> type[Rule] | None:
        return self.by_id().get(rule_id.upper())


def validation_errors(rule: object) -> list[str]:
    """Why a rule class is unusable (empty when it is fine)."""
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        return [f"{rule!r} is not a subclass of goleaklint.Rule"]
    errors = []
    if not isinstance(rule.id, str) or not RULE_ID.match(rule.id):
        errors.append(f"ID {rule.id!r} is not 2-4 capital letters and 3-4 digits (e.g. GL101)")
    if not isinstance(rule.name, str) or not RULE_NAME.match(rule.name):
        errors.append(f"name {rule.name!r} is not kebab-case")
    if not rule.summary:
        errors.append("summary is empty")
    if rule.level not in LEVELS:
        errors.append(f"level {rule.level!r} is not one of {', '.join(LEVELS)}")
    if rule.precision not in PRECISIONS:
        errors.append(f"precision {rule.precision!r} is not one of {', '.join(PRECISIONS)}")
    if rule.tier not in TIERS:
        errors.append(f"tier {rule.tier!r} is not one of {', '.join(TIERS)}")
    known = node_types()
    cls: type = rule  # a plain type: mypy checks type[Rule] against @cache's Hashable wrongly
    visits, leaves = handler_types(cls)
    for kind in sorted(visits | leaves):
        if kind not in known:
            errors.append(f"visit_/leave_{kind}: {kind!r} is not a tree-sitter-go node type")
    requires = rule.requires
    if not isinstance(requires, tuple):
        errors.append(f"requires {requires!r} is not a tuple of facts")
    else:
        try:
            check_requirements(requires)
        except FactError as exc:
            errors.append(f"requires: {exc}")
    missing = missing_sections(rule)
    if missing:
        errors.append("docstring lacks section(s): " + ", ".join(missing))
    return errors


def load_rules(extra_plugins: tuple[object, ...] = ()) -> Registry:
    """Ask every plugin for its rules; keep the valid ones, warn about the rest.

    A rule whose ID or name another plugin already registered is rejected (built-in rules come
    first, then plugins in entry-point name order), as is a rule with malformed metadata.
    """
    registry = Registry()
    pm = plugin_manager(registry.warnings, extra_plugins)
    seen_ids: dict[str, str] = {}
    seen_names: dict[str, str] = {}
    impls = pm.hook.goleaklint_rules.get_hookimpls()  # registration order
    impls.sort(key=lambda i: not getattr(i.plugin, "__name__", "").startswith("goleaklint."))
    for impl in impls:
        plugin = impl.plugin_name
        try:
            # What the hookspec declares (pluggy types it object): validation_errors checks each.
            provided = list(cast("Iterable[type[Rule]]", impl.function() or []))
        except Exception as exc:
            registry.warnings.append(f"plugin {plugin!r}: goleaklint_rules() raised {exc!r}")
            continue
        for rule in provided:
            try:
                errors = validation_errors(rule)
            except Exception as exc:  # metadata so odd that checking it failed
                errors = [f"validation raised {exc!r}"]
            label = getattr(rule, "id", None) or getattr(rule, "__name__", repr(rule))
            if errors:
                for e in errors:
                    registry.warnings.append(f"plugin {plugin!r}: rule {label} rejected: {e}")
                continue
            if rule.id in seen_ids or rule.name in seen_names:
                owner = seen_ids.get(rule.id) or seen_names.get(rule.name)
                registry.warnings.append(
                    f"plugin {plugin!r}: rule {rule.id} {rule.name} rejected: "
                    f"the ID or name is already registered by plugin {owner!r}"
                )
                continue
            seen_ids[rule.id] = plugin
            seen_names[rule.name] = plugin
            registry.rules.append(rule)
    registry.rules.sort(key=lambda r: r.id)
    return registry
