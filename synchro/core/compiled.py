"""Compiled and concurrent work: the one numba wrapper every kernel of synchro's analyses goes through, the one
rule by which an analysis computes independent series on two threads, and numpy's BLAS held to one thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

__all__ = ["jit", "start_numba", "one_blas_thread", "FFT_WORKERS", "THREADED_SAMPLES", "ordered_map"]

#: Threads of every FFT of synchro's analyses (scipy.fft's ``workers``): one. On more threads scipy's FFT (ducc)
#: rounds some transforms of a batch differently (measured: an ifft of a (14, 25, 3360) complex64 batch, as the
#: episodes' null computes), so a report's last digits would depend on the process's threads (OMP_NUM_THREADS=1 on
#: a dask worker or a cluster node); and the threads only compete with the report's forked child for the second
#: core (W1: 0.1-0.15 s less CPU on one; a cohort's dask run 1-2 s less). The report's parallel work is its fork
#: and :func:`ordered_map`.
FFT_WORKERS = 1

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


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's BLAS on one thread inside the block, and on the threads it had before after it.

    A threaded BLAS splits a product's sums between its threads, so the last digits of a product depend on how
    many threads it has (OpenBLAS 0.3.34: a (1, 20000) @ (20000,) product differs by 9e-13 between one and two).
    The episodes' expected wavelet power and the aperiodic fits hold such products: under this block a report
    gives the same numbers on a dask worker, which has one BLAS thread (dask's default), as in this process.
    One thread costs the report no time: its products are small, and where it has a second core a forked child
    computes there (``benchmarks/bench_w1.py``, ``benchmarks/bench_w2.py``).

    Yields
    ------
    None
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


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
