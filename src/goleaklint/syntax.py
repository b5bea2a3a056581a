"""Tree-sitter parsing of Go sources, node helpers, queries and the libcst-style ``Visitor``:
the public face of four modules with one job each (``nodes``, ``parsing``, ``queries``,
``visitor``), kept for rules and plugins that import from here.

``captures(pattern, node)`` here is the plain query, neither memoised nor combined; a rule
asks its file instead: ``self.file.captures(pattern, node)`` (``FileModel.captures``)."""

from __future__ import annotations

from .nodes import GO, Node, Tree, children_of_type, node_types, text, unquote, walk
from .parsing import (
    LARGE_LITERAL,
    MAX_DEPTH,
    MAX_NESTING,
    Elision,
    blank,
    first_error,
    parse,
    parse_guarded,
)
from .queries import captures, query
from .visitor import Visitor, handler_types, run_visitors

__all__ = [
    "GO",
    "LARGE_LITERAL",
    "MAX_DEPTH",
    "MAX_NESTING",
    "Elision",
    "Node",
    "Tree",
    "Visitor",
    "blank",
    "captures",
    "children_of_type",
    "first_error",
    "handler_types",
    "node_types",
    "parse",
    "parse_guarded",
    "query",
    "run_visitors",
    "text",
    "unquote",
    "walk",
]
