"""Calls that never return: the one answer every rule and analysis uses.

A call ends the **process** (``os.Exit``, ``log.Fatal*``, ``panic``, a logger's ``Fatal``) or
only the **goroutine** that makes it (``runtime.Goexit``, ``t.FailNow``/``Fatal*``/``Skip*``
of ``testing``).  Both end the path without a resource or cancel leak; for a parent that
strands a sender, a goroutine-ending call is an exit like ``return``.

Functions are resolved through the file's imports (``stdos.Exit`` is ``os.Exit``); methods by
the light type of their receiver.  A method of a type declared in the package is never taken
to end anything by its name alone (``c.Skip(1)`` on a user type returns).  Where the receiver's
type cannot be told from syntax (a field of another package's type, an untyped local), the
names that mean the same across Go's testing and logging packages decide: ``Fatal*``,
``FailNow`` and ``SkipNow`` end, ``Skip``/``Skipf`` only on a receiver named like a test's
(``t``, ``b``, ``tb``, ``f``).
"""

from __future__ import annotations

from typing import Literal

from .localtypes import expression_type
from .model import FileModel, Package, resolve_selector
from .syntax import Node, text
from .types import TypeRef

Ending = Literal["process", "goroutine"]
PROCESS: Ending = "process"
GOROUTINE: Ending = "goroutine"

_FATAL = ("Fatal", "Fatalf", "Fatalln")
_PANIC = ("Panic", "Panicf", "Panicln")
_EXIT = ("Exit", "Exitf", "ExitDepth")

# Package-level functions, by import path.
FUNCTIONS: dict[str, Ending] = {
    "os.Exit": PROCESS,
    "syscall.Exit": PROCESS,
    "runtime.Goexit": GOROUTINE,
    **{f"log.{n}": PROCESS for n in _FATAL + _PANIC},
    **{f"{path}.{n}": PROCESS
       for path in ("k8s.io/klog", "k8s.io/klog/v2", "github.com/golang/glog")
       for n in (*_FATAL, "FatalDepth", *_EXIT)},
    **{f"github.com/sirupsen/logrus.{n}": PROCESS for n in _FATAL + _PANIC},
    # testify: assert.FailNow(t, …) and require's Fail/FailNow call t.FailNow().
    "github.com/stretchr/testify/assert.FailNow": GOROUTINE,
    "github.com/stretchr/testify/require.FailNow": GOROUTINE,
    "github.com/stretchr/testify/require.Fail": GOROUTINE,
}

_TESTING = ("testing.T", "testing.B", "testing.F", "testing.TB")
_TEST_ENDS = (*_FATAL, "FailNow", "Skip", "Skipf", "SkipNow")
# Methods, by the qualified name of the receiver's type (pointer or not).
METHODS: dict[str, dict[str, Ending]] = {
    **{t: dict.fromkeys(_TEST_ENDS, GOROUTINE) for t in _TESTING},
    "log.Logger": dict.fromkeys(_FATAL + _PANIC, PROCESS),
    **{f"github.com/sirupsen/logrus.{t}": dict.fromkeys(_FATAL + _PANIC, PROCESS)
       for t in ("Logger", "Entry", "FieldLogger", "Ext1FieldLogger")},
    "go.uber.org/zap.Logger": dict.fromkeys(("Fatal", "Panic"), PROCESS),
    "go.uber.org/zap.SugaredLogger": dict.fromkeys(
        (*_FATAL, "Fatalw", *_PANIC, "Panicw"), PROCESS),
    **{f"github.com/stretchr/testify/{p}.Assertions": {"FailNow": GOROUTINE}
       for p in ("assert", "require")},
    "github.com/stretchr/testify/require.Assertions": dict.fromkeys(("Fail", "FailNow"),
                                                                   GOROUTINE),
}

# Receivers of unknown type: the names that end alike in every testing and logging package.
_UNTYPED_ENDS = frozenset((*_FATAL, "FailNow", "SkipNow"))
_TEST_RECEIVERS = frozenset({"t", "b", "tb", "f"})


def call_ends(call: Node | None, file: FileModel | None, package: Package | None = None
              ) -> Ending | None:
    """How ``call`` (a call_expression) ends what makes it, or None when it can return.

    Without ``file`` nothing resolves: only the builtin ``panic`` is known.
    """
    if call is None or call.type != "call_expression":
        return None
    fn = call.child_by_field_name("function")
    if fn is None:
        return None
    if fn.type == "identifier":
        if text(fn) != "panic":
            return None
        if file is not None and file.is_local(fn):
            return None
        return PROCESS if package is None or "panic" not in package.funcs else None
    if fn.type != "selector_expression" or file is None:
        return None
    qualified = resolve_selector(file, fn, package)
    if qualified is not None:
        return FUNCTIONS.get(qualified)
    return _method_ends(fn, file, package)


def _method_ends(fn: Node, file: FileModel, package: Package | None) -> Ending | None:
    method = text(fn.child_by_field_name("field"))
    if method not in _UNTYPED_ENDS and method not in ("Skip", "Skipf", *_PANIC, "Fatalw"):
        return None  # the cheap test first: most methods end nothing
    operand = fn.child_by_field_name("operand")
    if operand is None:
        return None
    receiver = _receiver_type(operand, file, package)
    if receiver is not None and package is not None:
        known = _known_methods(receiver, method, package)
        if known is not None:
            return known.get(method)
    if method in _UNTYPED_ENDS:
        return GOROUTINE if text(operand) in _TEST_RECEIVERS else PROCESS
    if method in ("Skip", "Skipf") and text(operand) in _TEST_RECEIVERS:
        return GOROUTINE
    return None


def _known_methods(receiver: TypeRef, method: str, package: Package, depth: int = 0
                   ) -> dict[str, Ending] | None:
    """The table that decides ``method`` of ``receiver``: the known type's own, the
    package's type's (an empty table: its declared methods return) or that of the known type
    it embeds (``type DBTest struct{ *testing.T }``: ``dbt.Skip`` is testing's); None when
    nothing is known."""
    if receiver.kind == "qualified":
        return METHODS.get(receiver.qualified_name)
    if receiver.kind != "named" or receiver.name not in package.types:
        return None
    if method in package.methods.get(receiver.name, {}):
        return {}  # the package's own method: it returns
    struct = package.underlying(receiver)
    if struct.kind != "struct" or depth > 4:
        return None
    for name, field in struct.fields:
        embedded = field.deref()
        if name != embedded.name:
            continue  # a named field, not an embedded one
        found = _known_methods(embedded, method, package, depth + 1)
        if found is not None and method in found:
            return found
    return None


def _receiver_type(operand: Node, file: FileModel, package: Package | None) -> TypeRef | None:
    """The receiver's light type with pointers removed, or None when syntax does not tell."""
    if package is None:
        return None
    found = expression_type(operand, package, file).deref()
    return None if found.kind == "unknown" else found
