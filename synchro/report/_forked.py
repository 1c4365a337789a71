"""Work done in a forked child process beside the parent's, on the second core: part of a report's analyses,
part of its figures.

A forked child starts with the parent's memory (modules imported, data read, results computed), so nothing is
pickled on the way in and nothing is imported twice; its answer comes back pickled through a temporary file. Any failure
of the child (an exception, a crash, a kill) gives ``None``, and the caller then does the work itself: the
outcome, and any error, are those of the serial run.

Forking is used on Linux only (elsewhere fork is unavailable or unsafe with system frameworks), from a process
with one thread, when it may use at least two cores, and unless the environment sets ``SYNCHRO_NO_FORK`` (a
batch that already runs one session per core gains nothing from it).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable

__all__ = ["Child", "available_memory", "can_fork", "fork"]


def can_fork() -> bool:
    """Whether work may go to a forked child: Linux, two usable cores or more, no ``SYNCHRO_NO_FORK``, and no
    thread but this one (and tqdm's monitor, which only reads its bars), so that the child inherits no lock that
    another thread held: inside a threaded scheduler's worker, the work stays in its thread."""
    if not sys.platform.startswith("linux") or os.environ.get("SYNCHRO_NO_FORK"):
        return False
    alone = all(t is threading.main_thread() or type(t).__name__ == "TMonitor" for t in threading.enumerate())
    return alone and threading.current_thread() is threading.main_thread() and len(os.sched_getaffinity(0)) >= 2


def available_memory() -> int:
    """Memory available for new work now (bytes): the kernel's estimate, ``MemAvailable`` of /proc/meminfo (0 where
    it cannot be read, so nothing is forked)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Child:
    """A forked child computing one value; :meth:`result` waits for it."""

    def __init__(self, pid: int, answer):
        self.pid, self.answer = pid, answer

    def result(self):
        """The child's value, or None if it failed; the child's warnings are issued again here, in order."""
        if self.pid is None:
            return None
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        with self.answer:
            self.answer.seek(0)
            payload = self.answer.read() if status == 0 else b""
        if not payload:
            return None
        try:
            value, caught = pickle.loads(payload)
        except Exception:  # a truncated answer
            return None
        for message, category, filename, lineno in dict.fromkeys(caught):  # each once, as the default filter does
            warnings.warn_explicit(message, category, filename, lineno)
        return value

    def cancel(self) -> None:
        """Stop the child if its result was never collected (the parent failed meanwhile)."""
        if self.pid is None:
            return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.answer.close()
        self.pid = None


def fork(fn: Callable[[], object]) -> Child | None:
    """Run ``fn()`` in a forked child and return at once; None when forking is not possible here.

    Parameters
    ----------
    fn : callable
        Called without arguments in the child; its value must pickle.

    Returns
    -------
    Child or None
        ``Child.result()`` gives ``fn()``'s value (None if the child failed).
    """
    if not can_fork():
        return None
    # The answer goes to a file, not a pipe: the child writes it whole and exits at once, freeing its memory while
    # the parent works on, instead of waiting, alive, for the parent to read.
    answer = tempfile.TemporaryFile()
    # The objects alive now are left out of the child's garbage collections, which would otherwise write to every
    # one of them and so copy the pages the two processes share.
    gc.freeze()
    with warnings.catch_warnings():
        # Python warns that forking a process with threads may deadlock the child: numpy's BLAS keeps idle
        # threads, whose locks the child never takes (the child runs numpy, numba and matplotlib only).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        gc.unfreeze()
        return Child(pid, answer)
    code = 1
    try:  # the child: compute, answer, and leave without running the parent's cleanup (atexit, finally blocks)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn()
        shown = [(str(w.message), w.category, w.filename, w.lineno) for w in caught]
        answer.write(pickle.dumps((value, shown), protocol=pickle.HIGHEST_PROTOCOL))
        answer.flush()
        code = 0
    finally:
        os._exit(code)
