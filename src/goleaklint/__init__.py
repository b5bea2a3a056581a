"""goleaklint: find memory, goroutine and resource leaks in Go code, from syntax alone.

Public API for plugin authors: ``Rule``, ``Option``, ``Gate``, ``hookimpl`` and the ``Visitor``
base; shared analyses are in ``goleaklint.facts``. They are imported when first asked for: the
command (``goleaklint.cli``) then starts, and handles signals, before the parser and the rules
are loaded.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plugins import hookimpl
    from .rule import Finding, Gate, Option, Rule
    from .syntax import Visitor

__version__ = "0.1.0"

__all__ = ["Finding", "Gate", "Option", "Rule", "Visitor", "__version__", "hookimpl"]

_HOMES = {"Finding": ".rule", "Gate": ".rule", "Option": ".rule", "Rule": ".rule",
          "Visitor": ".syntax", "hookimpl": ".plugins"}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value
