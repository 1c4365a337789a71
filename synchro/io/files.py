"""Files: inputs checked before reading, outputs written atomically, and the JSON synchro stores in files."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import InputNotFoundError, InvalidDataError, UnreadableInputError, UsageError
from ..results import jsonable

__all__ = ["HDF5_SIGNATURE", "check_input_path", "check_input_folder", "atomic_output", "remove_temporaries", "to_json",
           "from_json"]

#: The first 8 bytes of an HDF5 file (so of every NWB file).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

#: Kinds of special file, for the message that refuses them.
_SPECIAL_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                  (stat.S_ISSOCK, "a socket"))


def check_input_path(path) -> Path:
    """Check that ``path`` is a regular file this process can read, and return it as a Path.

    The file is opened without blocking and examined through the open
    descriptor, so a FIFO (which would block until a writer appears), a
    device (``/dev/zero`` reads forever) or a socket is refused at once,
    whatever its name or the symlinks leading to it.

    Parameters
    ----------
    path : str or Path
        The input.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputNotFoundError
        Nothing there (or a symlink to nothing).
    UnreadableInputError
        A directory, a special file, a symlink loop, or no permission to read.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        if os.path.islink(p):
            raise InputNotFoundError(f"{p} is a symlink to {os.readlink(p)}, which does not exist; fix the link or "
                                     "give the file itself") from None
        raise InputNotFoundError(f"{p} does not exist; check the path") from None
    except PermissionError:
        if p.is_dir():
            raise UnreadableInputError(f"{p} is a directory; give a file (.nwb, .npz or .csv)") from None
        raise UnreadableInputError(f"{p} is not readable (permission denied); make it readable (chmod u+r) or "
                                   "copy it somewhere you can read") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableInputError(f"{p} is a symlink loop (its links lead back to themselves); point the link "
                                       "at the real file") from None
        raise UnreadableInputError(f"{p} cannot be opened ({exc.strerror}); check the path") from None
    try:
        mode = os.fstat(fd).st_mode
    finally:
        os.close(fd)
    if stat.S_ISDIR(mode):
        raise UnreadableInputError(f"{p} is a directory; give a file (.nwb, .npz or .csv)")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _SPECIAL_KINDS if test(mode)), "a special file")
        raise UnreadableInputError(f"{p} is not a regular file ({kind}); copy the data into a file and give that")
    return p


def check_input_folder(path) -> Path:
    """Check that ``path`` is a folder this process can list, and return it as a Path.

    Parameters
    ----------
    path : str or Path
        The input folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputNotFoundError
        Nothing there.
    UnreadableInputError
        Not a folder, or no permission to list it.
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p} does not exist; check the path")
    if not p.is_dir():
        raise UnreadableInputError(f"{p} is not a folder; give the sorter's output folder")
    if not os.access(p, os.R_OK | os.X_OK):
        raise UnreadableInputError(f"{p} is not readable (permission denied); make it readable (chmod u+rx)")
    return p

#: Names of :func:`atomic_output`'s temporary files: ``.STEM.xxxxxxxx.tmp.SUFFIX`` (tempfile's 8 characters).
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp(\.\w+)?")


def remove_temporaries(folder) -> None:
    """Remove the temporary files that killed writers of :func:`atomic_output` left in ``folder``.

    Call it only when no live writer can be using the folder (holding its
    lock, :func:`synchro.report.output.folder_lock`).

    Parameters
    ----------
    folder : str or Path
        Folder to clean; a missing folder is fine.
    """
    folder = Path(folder)
    for path in folder.glob(".*.tmp*") if folder.is_dir() else ():
        if _TEMPORARY.fullmatch(path.name) and path.is_file():
            path.unlink()


@contextmanager
def atomic_output(path, *, overwrite: bool):
    """Yield a temporary path in the target folder; move it onto ``path`` only when the block succeeds.

    The temporary file (``.STEM.xxxxxxxx.tmp.SUFFIX``, created empty with the
    usual permissions for the umask) replaces ``path`` in one rename, so a
    reader never sees a half-written output; when the block raises, the
    temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or Path
        The output file.
    overwrite : bool
        Replace ``path`` if it exists; False refuses.

    Yields
    ------
    pathlib.Path
        The temporary file to write, in ``path``'s folder.

    Raises
    ------
    UsageError
        ``path`` is a directory, exists while ``overwrite`` is False, or its
        folder does not exist.
    """
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give a file name to write")
    if target.exists() and not overwrite:
        raise UsageError(f"{target} already exists; pass overwrite=True (CLI: --overwrite) or choose another path")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; outputs get the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def to_json(value, *, allow_nan: bool = False) -> str:
    """JSON text of ``value`` for a file, through the one conversion, :func:`synchro.results.jsonable`.

    Parameters
    ----------
    value : object
        What to store: mappings, sequences, numpy arrays and scalars, str,
        None; other objects become their ``str()``.
    allow_nan : bool, default False
        Keep NaN and infinities (as Python's JSON writes them, which
        :func:`from_json` reads back); by default they become null, as
        strict JSON requires.

    Returns
    -------
    str
    """
    return json.dumps(jsonable(value, allow_nan=allow_nan), allow_nan=allow_nan)


def from_json(text, what: str, source: str, *, expect: type | None = dict):
    """Parse JSON that synchro stored in a file, naming the file when it is damaged.

    Parameters
    ----------
    text : str or bytes
        The stored JSON text.
    what : str
        What it holds, for the message ("metadata").
    source : str
        The file's name, for the message.
    expect : type or None, default dict
        Type the parsed value must have (synchro stores objects); None
        accepts any JSON value.

    Returns
    -------
    object
        The parsed value.

    Raises
    ------
    InvalidDataError
        Not valid JSON, or not of type ``expect``.
    """
    damaged = "the file was damaged after synchro wrote it, re-export it"
    try:
        if isinstance(text, np.ndarray):
            if text.ndim != 0:
                raise ValueError
            text = text[()]
        value = json.loads(text.decode() if isinstance(text, bytes) else str(text))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidDataError(f"{source}: the stored {what} is not valid JSON; {damaged}") from None
    if expect is not None and not isinstance(value, expect):
        kind = {dict: "a JSON object", list: "a JSON array"}.get(expect, expect.__name__)
        raise InvalidDataError(f"{source}: the stored {what} is not {kind} (found {type(value).__name__}); {damaged}")
    return value
