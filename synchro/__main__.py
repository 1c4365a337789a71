"""``python -m synchro``: the same command line as the ``synchro`` script."""

from synchro.cli import main

if __name__ == "__main__":
    main()
