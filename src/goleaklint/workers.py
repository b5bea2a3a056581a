"""Worker processes: a function run over items, one item at a time in each of a few processes.

The parent hands each worker items over a pipe of its own, in order, and while there are
plenty left, one more from the end of the list (the smallest, when it goes biggest first) that
waits in the worker, so that it never idles for the parent and what waits behind a long item is
short. Results come back in order, so the parent always knows which item a worker is on. A
worker that dies (out of memory, a signal) loses that item only, at whatever point of the run:
a fresh process takes its place, the item it had not started goes back to the list, and the one
it was on is run once more in a process of its own, to tell the culprit from a bystander (the
out-of-memory killer may pick either). Only an item that kills that process too is lost
(``Died``).

Workers ignore SIGINT and SIGTERM (Ctrl-C and ``timeout`` signal the whole process group): the
parent stops them, with SIGKILL, when the run is stopped. They end with the parent, even when
it is killed (``kill -9``): Linux's parent-death signal, elsewhere a thread watching the parent.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

T = TypeVar("T")
R = TypeVar("R")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
ORPHANED = 70  # a worker's exit status when it finds its parent gone
WATCH_INTERVAL = 0.2  # seconds between two looks at the parent, where the kernel cannot help
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class Died:
    """An item whose process died with it in hand (twice): how the last one ended."""

    exitcode: int | None

    def __str__(self) -> str:
        code = self.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            return f"was killed by {name}{hint}"
        if code:
            return f"exited with status {code}"
        return "ended without a result"


# In the worker ------------------------------------------------------------------------------------

def _kernel_ends_us_with_parent() -> bool:
    """Linux: have the kernel send SIGKILL when the parent ends (``PR_SET_PDEATHSIG``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        status: int = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        return status == 0
    except (OSError, AttributeError):
        return False


def watch_parent(parent: int, interval: float = WATCH_INTERVAL) -> None:
    """End this process once it is no longer ``parent``'s child (a thread's loop, where the
    kernel cannot do it)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(ORPHANED)


def end_with_parent(creator: int | None) -> None:
    """Make this process end when its parent does. ``creator`` is the pid of the process that
    started it when that is its parent (None with a fork server, the parent then); a parent
    that died before the request took effect is noticed here."""
    parent = os.getppid()
    if not _kernel_ends_us_with_parent():
        threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent or creator not in (None, parent):
        os._exit(ORPHANED)


def _serve(conn: Any, function: Callable[[Any], Any], creator: int | None) -> None:
    """A worker's life: items in, results out, until told to stop (``None``)."""
    for signum in STOP_SIGNALS:  # blocked since the fork: the parent's handlers never ran here
        signal.signal(signum, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    end_with_parent(creator)
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()  # the items, then None

    def read() -> None:  # at once, so that the parent never waits to hand an item over
        while True:
            try:
                item = conn.recv()
            except (EOFError, OSError):
                item = None
            inbox.put(item)
            if item is None:
                return

    threading.Thread(target=read, daemon=True).start()
    while (item := inbox.get()) is not None:
        result = function(item)
        try:
            conn.send((True, result))
        except Exception:  # a result that cannot be pickled: the parent runs the item itself
            conn.send((False, None))


# In the parent ------------------------------------------------------------------------------------

@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while a worker is started: the child, which inherits the
    mask, ignores them before it lets them in; here they arrive once the worker is on record."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class _Worker:
    """A worker process, its end of the pipe and the indices of the items it has in hand (the
    first is the one it is on)."""

    def __init__(self, ctx: Any, function: Callable[[Any], Any]) -> None:
        creator = None if ctx.get_start_method() == "forkserver" else os.getpid()
        self.conn: Connection
        child: Connection
        self.conn, child = ctx.Pipe()
        try:
            self.process: BaseProcess = ctx.Process(target=_serve, args=(child, function, creator),
                                       daemon=True)
            self.process.start()
        except BaseException:
            self.conn.close()
            raise
        finally:
            child.close()
        self.items: deque[int] = deque()

    def give(self, index: int, item: object) -> None:
        self.items.append(index)
        with suppress(OSError):  # it died: its pipe reads as ended, and that is dealt with there
            self.conn.send(item)

    def stop(self) -> None:
        with suppress(OSError):
            self.conn.send(None)
        self.process.join()
        self.conn.close()

    def kill(self) -> None:
        with suppress(Exception):
            self.process.kill()

    def bury(self) -> int | None:
        """The exit status of a worker whose pipe has ended."""
        self.process.join()
        self.conn.close()
        return self.process.exitcode


def _start(ctx: Any, function: Callable[[T], Any], workers: list[_Worker]) -> bool:
    """One more worker in ``workers``; False when no process can be started here."""
    try:
        with _signals_held():
            workers.append(_Worker(ctx, function))
    except OSError:
        return False
    return True


def _kill_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.kill()
    for worker in workers:
        with suppress(Exception):
            worker.bury()


def run_parallel(
    items: Sequence[T],
    function: Callable[[T], R],
    jobs: int,
    done: Callable[[R], None],
) -> list[R | Died]:
    """``function`` over ``items`` in up to ``jobs`` processes (never more than there are
    items), started in order; ``done`` gets each result as it comes. Items no process
    could take (none can be started here) are run in this process."""
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context()
    results: dict[int, R | Died] = {}
    first_deaths: dict[int, int | None] = {}  # item -> exit status of the worker that had it
    todo = deque(range(len(items)))
    workers: list[_Worker] = []

    def finish(index: int, result: R) -> None:
        results[index] = result
        done(result)

    try:
        while todo or workers:
            idle = [w for w in workers if not w.items]
            while len(workers) < jobs and len(todo) > len(idle):
                if not _start(ctx, function, workers):
                    break
                idle.append(workers[-1])
            if not todo:  # nothing left to hand out: the idle workers are done
                for worker in idle:
                    worker.stop()
                    workers.remove(worker)
                if not workers:
                    break
            elif not workers:  # no process can be started here
                break
            for worker in idle:
                if todo:
                    index = todo.popleft()
                    worker.give(index, items[index])
            for worker in workers:  # the next one, from the end, while there are plenty
                if len(worker.items) == 1 and len(todo) > len(workers):
                    index = todo.pop()
                    worker.give(index, items[index])
            busy = {w.conn: w for w in workers if w.items}
            for ready in wait(list(busy)) if busy else ():
                # wait() returns some of the connections it was given (typeshed: any waitable).
                conn = cast("Connection", ready)
                worker = busy[conn]
                try:
                    sent, result = conn.recv()
                except (EOFError, OSError):  # it died with its first item in hand
                    workers.remove(worker)
                    first_deaths[worker.items.popleft()] = worker.bury()
                    todo.extend(worker.items)  # not started, from the end: back there
                    continue
                index = worker.items.popleft()
                finish(index, result if sent else function(items[index]))
    except BaseException:
        _kill_all(workers)
        raise
    for index in todo:
        finish(index, function(items[index]))
    for index, exitcode in sorted(first_deaths.items()):
        result = _alone(ctx, function, items[index], exitcode)
        if isinstance(result, Died):
            results[index] = result
        else:
            finish(index, result)
    return [results[i] for i in range(len(items))]


def _alone(ctx: Any, function: Callable[[T], R], item: T, exitcode: int | None) -> R | Died:
    """``function(item)`` once more, in a process of its own (``exitcode``: how the first one
    ended, the answer should no process start)."""
    from multiprocessing.connection import wait

    workers: list[_Worker] = []
    try:
        if not _start(ctx, function, workers):
            return Died(exitcode)
        worker = workers[0]
        worker.give(0, item)
        wait([worker.conn])
        try:
            sent, result = worker.conn.recv()
        except (EOFError, OSError):
            return Died(worker.bury())
    except BaseException:
        _kill_all(workers)
        raise
    worker.stop()
    return result if sent else function(item)
