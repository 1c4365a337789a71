"""``python -m synchro.cli``: the same command line as the ``synchro`` script."""

import sys

from . import run

if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
