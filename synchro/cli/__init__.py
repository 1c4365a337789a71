"""The ``synchro`` command line.

A thin layer: each command parses its options, calls library functions and
prints what they return. Errors in the input end the command with one line on
stderr and the exit code of their :mod:`synchro.errors` class; a traceback is
shown only with ``--debug``. Heavy imports (brian2, pynwb, matplotlib) happen
inside the commands so that ``synchro --help`` is instant.

Exit codes: 0 done, 1 internal error, 2 usage error, 3 input missing or
unreadable, 4 invalid or unsupported data, 5 nothing left to analyse. A batch
(``synchro analyze`` of several files) exits with the most severe code of
its files, in the order of :data:`SEVERITY`.
"""

import gc

from . import analyze, simulate  # noqa: F401 (each module adds its commands to main)
from .app import main

__all__ = ["main", "run"]


def run() -> None:
    """The ``synchro`` script: :func:`main`, then an exit that skips the interpreter's last garbage collection.

    That collection walks every object the imported libraries made (numba's compiler, scipy, matplotlib, h5py):
    about 0.4 s after a report, for memory the operating system frees at once when the process ends. Files are
    closed and outputs in place before it (outputs are renamed into place when complete); ``atexit`` handlers
    still run. In a notebook or a test, :func:`main` is called instead and nothing is frozen.
    """
    try:
        main()
    finally:
        gc.freeze()

