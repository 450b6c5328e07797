"""A second process for a one-shot plan: pure work done on the other core while this one goes on.

A plan of a large account is pure computation over data already in memory (proposals,
diffs). ``in_background(work)`` forks a child that runs ``work()`` and hands back what it
returned (pickled, through a pipe), while the caller does other work; ``result()`` then gives
that value. The child inherits the account through the fork, so nothing is sent to it.

Only where it is safe and asked for: inside :func:`workers_allowed` (the CLI's ``plan`` of an
account read from local files, a one-shot process), on Linux, in a process with one thread
(a fork copies only the calling thread: the app's worker threads and boto3's pools rule it
out), outside :func:`remediations.shortcuts.plain_paths`, and unless ``RAFIX_WORKERS=1``.
Anywhere else, and whenever the child fails (it cannot fork, it is killed, its result does
not arrive whole), ``result()`` runs ``work()`` in this process: the same value, later. So
``work`` must be pure: it reads only what does not change after the call (the child sees
the state as it was at the fork, the fallback as it is at ``result()``).

The child writes nothing but its pipe, and leaves with ``os._exit`` (no exit handlers, no
flushed buffers of the parent's, no second copy of any output).
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from remediations.shortcuts import shortcuts_on

T = TypeVar("T")
log = logging.getLogger(__name__)

_ALLOWED: ContextVar[bool] = ContextVar("rafix_workers_allowed", default=False)
#: ``RAFIX_WORKERS=1``: never fork (one process, as on a machine with one core).
ENV_VAR = "RAFIX_WORKERS"


@contextmanager
def workers_allowed(allowed: bool = True) -> Iterator[None]:
    """Let the work inside the block use a second process (a one-shot command only)."""
    token = _ALLOWED.set(allowed)
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def can_fork() -> bool:
    """Whether :func:`in_background` may fork here and now."""
    return (
        _ALLOWED.get()
        and shortcuts_on()
        and sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and os.environ.get(ENV_VAR, "").strip() != "1"
        and _cores() > 1
        and threading.active_count() == 1
    )


def _cores() -> int:
    """The processors this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Background(Generic[T]):
    """``work()``, running in a child process (or, when it cannot, run by :meth:`result`).

    Use it as a context manager: a child whose value was not asked for (the caller raised)
    is stopped and reaped when the block ends.
    """

    def __init__(self, work: Callable[[], T], what: str = "") -> None:
        self._work = work
        self._what = what or getattr(work, "__qualname__", type(work).__name__)
        self._pid = 0
        self._pipe = -1
        if can_fork():
            self._start()

    def __enter__(self) -> Background[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Stop the child, if it is still there (its value is not wanted)."""
        if self._pid:
            pid, self._pid = self._pid, 0
            os.close(self._pipe)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

    @property
    def forked(self) -> bool:
        """Whether a child is computing the value (False: ``result()`` computes it here)."""
        return self._pid > 0

    def _start(self) -> None:
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: compute, hand the value over, leave without cleaning up
            status = 1
            try:
                os.close(read)
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it at once
                _ALLOWED.set(False)  # one second process, not a tree of them
                data = pickle.dumps(self._work(), protocol=pickle.HIGHEST_PROTOCOL)
                view = memoryview(data)
                while view:
                    view = view[os.write(write, view) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._pipe = pid, read
        log.debug("second process %d started: %s", pid, self._what)

    def result(self) -> T:
        """What ``work()`` returned (computed here when the child could not deliver it)."""
        if not self._pid:
            return self._work()
        pid, self._pid = self._pid, 0
        try:
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        _, status = os.waitpid(pid, 0)
        if status == 0 and data:
            try:
                value: T = pickle.loads(data)
            except Exception:  # a damaged hand-over: compute it here instead
                log.debug("second process %d handed over a damaged result", pid)
            else:
                log.debug("second process %d handed over %d bytes", pid, len(data))
                return value
        else:
            log.debug("second process %d failed (wait status %d): done here", pid, status)
        return self._work()


def in_background(work: Callable[[], T], what: str = "") -> Background[T]:
    """Start ``work()`` in a second process when allowed (see the module); ``.result()``.
    ``what``: the work, in a few words, for the debug log."""
    return Background(work, what)
