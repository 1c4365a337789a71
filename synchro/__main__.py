"""``python -m synchro``: the same command line as the ``synchro`` script."""

from synchro.cli import run

if __name__ == "__main__":
    run()
