"""Pluggy hook specifications and the plugin manager.

Rules come from plugins: modules (or objects) with ``@hookimpl`` functions, found through the
``goleaklint.rules`` entry point group.  The built-in rules use that same door.  Set
``GOLEAKLINT_DISABLE_PLUGIN_AUTOLOAD=1`` to load only goleaklint's own entry points.
"""

from __future__ import annotations

import os

import pluggy

from .entrypoints import entry_points  # importlib.metadata's answer, without its import cost
from .rule import Rule

PROJECT = "goleaklint"
ENTRY_POINT_GROUP = "goleaklint.rules"
AUTOLOAD_SWITCH = "GOLEAKLINT_DISABLE_PLUGIN_AUTOLOAD"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class RuleSpecs:
    """The hooks a goleaklint plugin may implement."""

    @hookspec
    def goleaklint_rules(self) -> list[type[Rule]]:
        """Return the rule classes (subclasses of ``goleaklint.Rule``) this plugin provides."""
        raise NotImplementedError


def plugin_manager(
    warnings: list[str], extra_plugins: tuple[object, ...] = ()
) -> pluggy.PluginManager:
    """A plugin manager with every entry point of ``goleaklint.rules`` registered.

    A plugin that fails to import is skipped with a warning appended to ``warnings``; the rest
    still load.  ``extra_plugins`` are registered directly (tests, embedding).
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(RuleSpecs)
    own_only = bool(os.environ.get(AUTOLOAD_SWITCH))
    loaded: dict[str, str] = {}  # entry point name -> value
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        dist_name = dist.name if dist is not None else ""
        if own_only and dist_name != PROJECT:
            continue
        if pm.has_plugin(ep.name):
            if loaded.get(ep.name) != ep.value:
                warnings.append(f"plugin {ep.name!r} ({ep.value}) skipped: another plugin "
                                f"({loaded.get(ep.name)}) already has that name")
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not stop the run
            warnings.append(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}")
            continue
        if _register(pm, plugin, ep.name, warnings):
            loaded[ep.name] = ep.value
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__qualname__
        unique, n = name, 1
        while pm.has_plugin(unique):
            n += 1
            unique = f"{name}#{n}"
        _register(pm, plugin, unique, warnings)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        warnings.append(f"plugin error: {' '.join(str(exc).split())}")
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, name: str, warnings: list[str]) -> bool:
    """Register a plugin; a hook with a bad signature is a warning, not a crash."""
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        warnings.append(f"plugin {name!r} rejected: {' '.join(str(exc).split())}")
        return False
    return True
