"""Compiled and concurrent work: the one numba wrapper every kernel of synchro's analyses goes through, and the one
rule by which an analysis computes independent series on two threads."""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["jit", "start_numba", "THREADED_SAMPLES", "ordered_map"]

#: Work (samples of surrogate or bootstrap series) from which an analysis computes its independent series in two
#: threads (the compiled kernels and the transforms release the GIL); the same arrays in the same order as one
#: thread. Below it, about 3 min of 1 ms bins with 200 surrogates, threads would cost more than they save.
THREADED_SAMPLES = 2**25


def jit(fn: Callable) -> Callable:
    """Compile ``fn`` with numba on first use (cached on disk), so importing synchro never pays for it.

    Parameters
    ----------
    fn : callable
        A function numba's ``njit`` can compile (numpy arrays and scalars in, out).

    Returns
    -------
    callable
        A wrapper that compiles ``fn`` (``nopython``, ``nogil``, cached) at its first call and then calls the
        compiled function; ``__wrapped__`` is the plain Python ``fn``.
    """
    compiled = None

    def call(*args):
        nonlocal compiled
        if compiled is None:
            import numba

            compiled = numba.njit(cache=True, nogil=True)(fn)
        return compiled(*args)

    call.__wrapped__ = fn
    return call


def start_numba() -> None:
    """Import numba and start its compiler (LLVM), as the first kernel call would.

    A process about to fork calls this first, so that the parent and the child share what numba's start costs
    (about 0.4 s of CPU) instead of each paying it.
    """
    from numba.core.registry import cpu_target

    cpu_target.target_context.refresh()
    cpu_target.typing_context.refresh()


def ordered_map(fn: Callable, items: Iterable, *, samples: int) -> list:
    """``[fn(item) for item in items]``, on two threads from :data:`THREADED_SAMPLES` samples of work on.

    ``items`` is iterated in this thread, in order, so random draws made while iterating stay in order; at most
    two results wait, which bounds memory; the pool is closed before returning, so the process is single-threaded
    again. The results are those of the plain loop, in its order.

    Parameters
    ----------
    fn : callable
        Applied to each item; should release the GIL (compiled kernels, FFTs) for the threads to help.
    items : iterable
        Its arguments.
    samples : int
        Samples of series the whole map computes.

    Returns
    -------
    list
    """
    if samples < THREADED_SAMPLES:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    out, pending = [], []
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > 2:
                out.append(pending.pop(0).result())
        return out + [p.result() for p in pending]
    finally:
        pool.shutdown(cancel_futures=True)
