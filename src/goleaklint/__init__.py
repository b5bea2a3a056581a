"""goleaklint: find memory, goroutine and resource leaks in Go code, from syntax alone.

Public API for plugin authors: ``Rule``, ``Option``, ``hookimpl`` and the ``Visitor`` base.
"""

from .plugins import hookimpl
from .rule import Finding, Option, Rule
from .syntax import Visitor

__version__ = "0.1.0"

__all__ = ["Finding", "Option", "Rule", "Visitor", "__version__", "hookimpl"]
