"""goleaklint: find memory, goroutine and resource leaks in Go code, from syntax alone.

Public API for plugin authors: ``Rule``, ``Option``, ``Gate``, ``hookimpl`` and the ``Visitor``
base; shared analyses are in ``goleaklint.facts``.
"""

from .plugins import hookimpl
from .rule import Finding, Gate, Option, Rule
from .syntax import Visitor

__version__ = "0.1.0"

__all__ = ["Finding", "Gate", "Option", "Rule", "Visitor", "__version__", "hookimpl"]
