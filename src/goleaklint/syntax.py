"""Tree-sitter parsing of Go sources, node helpers, memoised queries and the libcst-style
``Visitor``: the public face of four modules with one job each (``nodes``, ``parsing``,
``queries``, ``visitor``), kept for rules and plugins that import from here."""

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
from .queries import captures, captures_in, expect_walks, forget_queries, learn, query
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
    "captures_in",
    "children_of_type",
    "expect_walks",
    "first_error",
    "forget_queries",
    "handler_types",
    "learn",
    "node_types",
    "parse",
    "parse_guarded",
    "query",
    "run_visitors",
    "text",
    "unquote",
    "walk",
]
