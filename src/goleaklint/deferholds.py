"""What a deferred call holds until its function returns (GL204's question about the call).

A ``defer`` in a loop matters for what each iteration's pending call keeps: a *resource*
(a file, body, connection, row set, transaction, cancel function, timer: released by
``Close``, ``Stop``, ``cancel()``…), a *lock* (``Unlock``), or only *work* that runs later
(``os.Remove``, ``Unmount``, ``C.free``, restoring a global, ``wg.Done``, ``recover``,
logging): that work is done at return either way, nothing is held meanwhile but the pending
call itself. ``acquisition`` pairs a deferred release with the call that took what it
releases on the same receiver (``s.mu.Lock()`` … ``defer s.mu.Unlock()``).
"""

from __future__ import annotations

import re

from .syntax import Node, text, walk

# A release of something held, by the called name (method, package function or local
# function value): Close/CloseWithError/CloseHandle, Stop, cancel, Release, Rollback,
# Shutdown, DecRef/Unref (a reference that keeps an object open).
_RELEASES = re.compile(r"close|cancel|stop|release|rollback|shutdown|decr?ref|unref", re.I)
_UNLOCKS = frozenset({"Unlock", "RUnlock", "unlock", "runlock"})

# A deferred release and the calls on the same receiver that take what it releases: a lock,
# a read lock, a semaphore's weight. Not reference counts (IncRef/DecRef, Retain/Release):
# holding every element alive while the function reads them is what they are for.
ACQUIRED_BY: dict[str, tuple[str, ...]] = {
    "Unlock": ("Lock", "TryLock"), "RUnlock": ("RLock", "TryRLock"),
    "unlock": ("lock",), "runlock": ("rlock",), "Release": ("Acquire", "TryAcquire")}

RESOURCE = "resource"
LOCK = "lock"
WORK = "work"


def deferred_call(defer: Node) -> Node | None:
    """The call a ``defer`` statement runs."""
    return next((c for c in defer.named_children if c.type != "comment"), None)


def called_name(call: Node) -> str:
    """``f`` of ``f(…)``, ``Close`` of ``x.y.Close(…)``; "" for anything else."""
    fn = call.child_by_field_name("function")
    if fn is None:
        return ""
    if fn.type == "identifier":
        return text(fn)
    if fn.type == "selector_expression":
        return text(fn.child_by_field_name("field"))
    return ""


def holds(defer: Node) -> str:
    """``LOCK`` for a deferred ``Unlock``, ``RESOURCE`` for a deferred release of something
    held (a closure counts as the strongest release among its calls), ``WORK`` otherwise."""
    call = deferred_call(defer)
    if call is None or call.type != "call_expression":
        return WORK
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "func_literal":
        body = fn.child_by_field_name("body")
        if body is None:
            return WORK
        kinds = {_kind(c) for c in walk(body)
                 if c.type == "call_expression" and not _inside_literal(c, fn)}
        return RESOURCE if kinds & {RESOURCE, LOCK} else WORK
    return _kind(call)


def _kind(call: Node) -> str:
    name = called_name(call)
    if name in _UNLOCKS:
        return LOCK
    return RESOURCE if _RELEASES.search(name) else WORK


def _inside_literal(node: Node, outer: Node) -> bool:
    """Whether ``node`` lies in a function literal nested in ``outer`` (a call of its own)."""
    parent = node.parent
    while parent is not None and parent.id != outer.id:
        if parent.type == "func_literal":
            return True
        parent = parent.parent
    return False


def lock_receiver(defer: Node) -> Node | None:
    """``mu`` of ``defer mu.Unlock()``; None for a function-valued ``unlock()``."""
    call = deferred_call(defer)
    fn = call.child_by_field_name("function") if call is not None else None
    if fn is None or fn.type != "selector_expression":
        return None
    return fn.child_by_field_name("operand")


def _released(defer: Node) -> list[tuple[str, str]]:
    """(receiver, method) of each paired release the deferred call makes: ``s.mu.Unlock()``
    itself, or a call in a deferred closure's body (not in a literal nested in it)."""
    call = deferred_call(defer)
    if call is None or call.type != "call_expression":
        return []
    fn = call.child_by_field_name("function")
    calls = [call]
    body = fn.child_by_field_name("body") if fn is not None and fn.type == "func_literal" else None
    if fn is not None and body is not None:
        calls = [c for c in walk(body)
                 if c.type == "call_expression" and not _inside_literal(c, fn)]
    found = []
    for c in calls:
        selector = c.child_by_field_name("function")
        if selector is None or selector.type != "selector_expression":
            continue
        method = text(selector.child_by_field_name("field"))
        operand = selector.child_by_field_name("operand")
        if method in ACQUIRED_BY and operand is not None:
            found.append((text(operand), method))
    return found


def acquisition(defer: Node, body: Node | None) -> Node | None:
    """The call in ``body`` (a loop's) before ``defer`` that takes what the deferred call
    releases, on the receiver spelled the same (``s.mu.Lock()`` for ``defer s.mu.Unlock()``,
    ``sem.Acquire(ctx, 1)`` for ``defer sem.Release(1)``); the last one before the ``defer``.
    Calls in other ``defer`` statements and in function literals do not count."""
    released = _released(defer)
    if body is None or not released:
        return None
    taken = None
    for node in walk(body):
        if node.start_byte >= defer.start_byte:
            break
        if node.type != "call_expression" or _inside_literal(node, body) or _deferred(node, body):
            continue
        selector = node.child_by_field_name("function")
        if selector is None or selector.type != "selector_expression":
            continue
        method = text(selector.child_by_field_name("field"))
        receiver = text(selector.child_by_field_name("operand"))
        if any(receiver == r and method in ACQUIRED_BY[m] for r, m in released):
            taken = node
    return taken


def _deferred(node: Node, outer: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.id != outer.id:
        if parent.type in ("defer_statement", "go_statement"):
            return True
        parent = parent.parent
    return False
