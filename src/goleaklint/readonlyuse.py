"""Uses of a package-level map or slice that cannot grow it, shared by GL101 and GL102:
calls that only read what they are given, and comparisons that bound it by its length."""

from __future__ import annotations

import re

LEN_CALL = re.compile(rb"len\s*\(")  # a comparison can bound only if it measures
COMPARISONS = frozenset({">", ">=", "<", "<=", "==", "!="})
# Calls that only read the maps passed to them (anything else may prune what it is given).
READ_ONLY_CALLS = frozenset({"len", "cap", "print", "println", "append", "copy", "min", "max",
                             "panic", "new", "make", "complex", "real", "imag"})
READ_ONLY_PACKAGES = frozenset({"fmt", "log", "encoding/json", "reflect", "sort", "slices",
                                "strings", "strconv", "log/slog", "errors"})
