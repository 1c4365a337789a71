"""Writing a report folder: report.json, summary.txt, figures (PNG and SVG) and report.html, atomically.

A run first *claims* its report folder (:func:`claim_output_folder`), before
any analysis: it creates a lock beside the folder (a symbolic link named
``.NAME.synchro-lock`` whose target records the owning host and process)
and, when the folder does not exist yet, the folder itself, empty. Creating
either fails if it exists, so two runs can never both own one folder, and
an unwritable location fails at once, not after the computing.

The report is then built under a temporary name beside the target
(``.NAME.xxxxxxxx.tmp``) and renamed onto the claimed empty folder only when
complete: a failed or interrupted run leaves either no folder or the
previous one intact, never a half-written report. The final swap removes
nothing the run did not create, except, with ``overwrite``, a folder that is
a synchro report (its report.json is synchro's). Whatever a killed run left
(its lock, empty folder, temporary folders) is removed by the next run on
the same folder, once that run holds the lock and so knows no live run is
writing there.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .model import Report

__all__ = ["check_output_folder", "claim_output_folder", "OutputClaim", "OutputFolderExistsError", "folder_lock",
           "read_report", "write_report"]

#: Suffix of the lock beside a folder being written (``.NAME.synchro-lock``).
LOCK_SUFFIX = ".synchro-lock"


class OutputFolderExistsError(UsageError):
    """The output folder exists (or another live run is writing it) and may not be replaced (exit code 2)."""


def read_report(folder) -> dict | None:
    """The report.json of a synchro report folder, read once; None when ``folder`` holds no synchro report.

    Parameters
    ----------
    folder : str or Path
        The folder to look at.

    Returns
    -------
    dict or None
        ``folder/report.json`` when it is a JSON object with a ``schema_version`` and
        ``generator.program == "synchro"``; None otherwise (missing, unreadable, or another program's).
    """
    try:
        doc = json.loads((Path(folder) / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    generator = doc.get("generator") if isinstance(doc, dict) else None
    if "schema_version" in doc and isinstance(generator, dict) and generator.get("program") == "synchro":
        return doc
    return None


def check_output_folder(folder, *, inputs: Iterable = (), overwrite: bool = False) -> Path:
    """Return ``folder`` resolved, refusing places a report must not go.

    Parameters
    ----------
    folder : str or Path
        Where the report folder will be. Missing parent folders are fine:
        :func:`claim_output_folder` creates them.
    inputs : iterable of path
        Input files: the folder may neither be one nor contain one
        (``--overwrite`` would delete it); URLs among them are passed over.
    overwrite : bool
        Allow replacing an existing report folder.

    Returns
    -------
    pathlib.Path
        The folder's absolute path.

    Raises
    ------
    UsageError
        If the folder exists (without ``overwrite``, or with it but holding
        files and not a synchro report), is a file, or contains an input.
    """
    from ..io import is_url

    target = Path(folder).resolve()
    for inp in inputs:
        if is_url(inp):
            continue
        inp = Path(inp).resolve()
        if inp == target or target in inp.parents:
            raise UsageError(f"output folder {target} would hold or replace the input {inp}; "
                             "choose another -o/--output folder")
    if target.exists() and not target.is_dir():
        raise UsageError(f"output {target} is a file; give a folder name with -o/--output")
    if target.exists() and not overwrite:
        raise OutputFolderExistsError(f"output folder {target} already exists; pass --overwrite to replace it or "
                                      "choose another -o/--output folder")
    if target.exists() and any(target.iterdir()) and read_report(target) is None:
        # --overwrite replaces report folders only: never a folder of other files (say, -o . in a home folder).
        raise OutputFolderExistsError(f"output folder {target} holds files but no synchro report.json: it is not a "
                                      "report folder, so --overwrite will not replace it; choose another -o/--output "
                                      "folder")
    return target


@dataclass(frozen=True)
class OutputClaim:
    """A report folder owned by this run until :meth:`release` (picklable, for worker processes).

    Attributes
    ----------
    target : Path
        The report folder.
    lock : Path
        The lock beside it.
    token : str
        ``host:pid`` of the owner, the lock's content.
    placeholder : tuple of int or None
        ``(st_dev, st_ino)`` of the empty folder the claim created at
        ``target``, None when the folder existed (``overwrite``).
    overwrite : bool
        Whether an existing synchro report may be replaced.
    """

    target: Path
    lock: Path
    token: str
    placeholder: tuple | None
    overwrite: bool

    def release(self) -> None:
        """Give the folder up: remove the lock, and the claimed folder if it is still the empty one made here."""
        with suppress(OSError):
            if self.placeholder is not None and _identity(self.target) == self.placeholder:
                os.rmdir(self.target)  # fails, harmlessly, if someone put files into it
        _unlock(self.lock, self.token)


def claim_output_folder(folder, *, inputs: Iterable = (), overwrite: bool = False) -> OutputClaim:
    """Make ``folder`` this run's report folder, atomically, before any analysis.

    Parameters
    ----------
    folder : str or Path
        The report folder; missing parent folders are created.
    inputs : iterable of path
        Input files, which the folder must not hold or be.
    overwrite : bool, default False
        Allow replacing an existing synchro report folder (at the end of
        the run, by :func:`write_report`).

    Returns
    -------
    OutputClaim
        Call its ``release()`` when done (:func:`write_report` does not).

    Raises
    ------
    UsageError
        The folder exists (see :func:`check_output_folder`), another live
        run holds it, or its location cannot be written.
    """
    target = Path(folder).resolve()
    _make_parent(target.parent)
    lock, token = _lock(target)  # first: taking over a dead run's lock removes the empty folder it had claimed
    try:
        _remove_leftovers(target)
        check_output_folder(target, inputs=inputs, overwrite=overwrite)
        placeholder = None
        if not target.exists():
            os.mkdir(target)
            placeholder = _identity(target)
    except BaseException:
        _unlock(lock, token)
        raise
    return OutputClaim(target, lock, token, placeholder, overwrite)


@contextmanager
def folder_lock(folder) -> Iterator[Path]:
    """Hold the lock of ``folder`` (its parent folders created if missing) while the block runs.

    Parameters
    ----------
    folder : str or Path
        A folder that several runs may write (a sweep's results folder).

    Yields
    ------
    pathlib.Path
        The folder's absolute path. Leftovers of dead runs beside it are removed; those inside it are the
        caller's to clean (it knows its layout), now that no live run writes there.

    Raises
    ------
    UsageError
        Another live run holds the folder, or its location cannot be written.
    """
    target = Path(folder).resolve()
    if target.exists() and not target.is_dir():
        raise UsageError(f"output {target} is a file; give a folder name with -o/--output")
    _make_parent(target.parent)
    lock, token = _lock(target)
    try:
        _remove_leftovers(target)
        yield target
    finally:
        _unlock(lock, token)


def _make_parent(parent: Path) -> None:
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create the folder {parent} ({err.strerror or err}); choose another "
                         "-o/--output folder") from None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(token: str) -> bool:
    """Whether the run that wrote ``token`` may still be running (a run on another host is assumed alive)."""
    host, _, pid = token.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _lock(target: Path) -> tuple[Path, str]:
    """Create the lock of ``target`` (a symlink: created whole, with its content, or not at all)."""
    lock, token = target.parent / f".{target.name}{LOCK_SUFFIX}", _token()
    for _ in range(3):
        try:
            os.symlink(token, lock)
            return lock, token
        except FileExistsError:
            _break_if_stale(lock, target)
        except OSError as err:
            raise UsageError(f"cannot write in the folder {target.parent} ({err.strerror or err}); choose another "
                             "-o/--output folder") from None
    raise _held(target, lock)


def _held(target: Path, lock: Path) -> OutputFolderExistsError:
    owner = _read_lock(lock) or "?:?"
    host, _, pid = owner.rpartition(":")
    return OutputFolderExistsError(f"output folder {target} already exists: synchro process {pid} on {host} is "
                                   f"writing it; choose another -o/--output folder (or delete {lock} if that process "
                                   "is gone)")


def _read_lock(lock: Path) -> str | None:
    try:
        return os.readlink(lock)
    except OSError:
        return None


def _break_if_stale(lock: Path, target: Path) -> None:
    """Remove the lock of a dead run, and the empty folder it had claimed; raise if the owner may be alive."""
    owner = _read_lock(lock)
    if owner is None:
        return  # gone meanwhile: try again
    if _alive(owner):
        raise _held(target, lock)
    # Moved aside before removal, so that of two runs breaking the same stale lock, the second cannot delete
    # the lock the first has just made: it moves that one aside instead, sees it is not the stale one, and
    # puts it back.
    aside = lock.with_name(f"{lock.name}.{secrets.token_hex(4)}")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return
    taken = _read_lock(aside)
    if taken != owner:
        with suppress(OSError):
            os.symlink(taken, lock)
        os.unlink(aside)
        raise _held(target, lock)
    os.unlink(aside)
    with suppress(OSError):
        os.rmdir(target)  # the dead run's empty claimed folder (rmdir leaves any folder with files alone)


def _unlock(lock: Path, token: str) -> None:
    if _read_lock(lock) == token:
        with suppress(OSError):
            os.unlink(lock)


def _remove_leftovers(target: Path) -> None:
    """Remove temporary and set-aside folders of ``target`` left by killed runs (called holding its lock)."""
    name = re.escape(target.name)
    pattern = re.compile(rf"\.{name}\.[a-z0-9_]{{8}}\.(tmp|old)|\.{name}{re.escape(LOCK_SUFFIX)}\.[0-9a-f]{{8}}")
    for path in target.parent.iterdir():
        if pattern.fullmatch(path.name):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with suppress(OSError):
                    path.unlink()


def write_report(report: Report, folder, *, overwrite: bool = False, figures: bool = True) -> Path:
    """Write ``report`` into ``folder`` atomically and return the folder's path.

    Parameters
    ----------
    report : Report
        What to write.
    folder : str, Path or OutputClaim
        The report folder to create (or replace with ``overwrite``), or a
        claim of it made by :func:`claim_output_folder` before the analysis
        (then ``overwrite`` is the claim's).
    overwrite : bool, default False
        Replace an existing synchro report folder.
    figures : bool, default True
        Draw the figures (PNG and SVG in ``figures/``) and show them in
        report.html.

    Returns
    -------
    pathlib.Path
        The folder, holding ``report.json``, ``summary.txt``, ``report.html``
        and ``figures/``.

    Raises
    ------
    UsageError
        The folder cannot be claimed, or something other than this run put
        files at its place meanwhile (left untouched; the report is not
        written).
    """
    if isinstance(folder, OutputClaim):
        return _write_claimed(report, folder, figures)
    inputs = [report.input["path"]] if "path" in report.input else []
    claim = claim_output_folder(folder, inputs=inputs, overwrite=overwrite)
    try:
        return _write_claimed(report, claim, figures)
    finally:
        claim.release()


def _write_claimed(report: Report, claim: OutputClaim, figures: bool) -> Path:
    target = claim.target
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        doc = report.to_dict()
        (tmp / "report.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        summary = report.summary()
        (tmp / "summary.txt").write_text(summary + "\n", encoding="utf-8")
        shown = []
        if figures:
            from .figures import save_figures

            shown = save_figures(report, tmp / "figures")
        from .html import render_html

        (tmp / "report.html").write_text(render_html(report, summary, shown), encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a report is meant to be shared
        _swap_into_place(tmp, claim)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _swap_into_place(new: Path, claim: OutputClaim) -> None:
    """Move the finished folder ``new`` onto the claimed target, removing only what the claim allows."""
    target = claim.target
    here = _identity(target)
    if os.path.lexists(target) and here is None:
        raise _appeared(target)  # a file or a link now stands there
    if here is None or (_is_empty(target) and (here == claim.placeholder or claim.overwrite)):
        _rename_onto_empty(new, target)
    elif claim.overwrite and here != claim.placeholder and read_report(target) is not None:
        _replace_report(new, target)
    else:
        raise _appeared(target)


def _is_empty(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None


def _rename_onto_empty(new: Path, target: Path) -> None:
    # rename(2) replaces an empty folder atomically and refuses one that holds anything: files that another
    # program put into the claimed folder since the check above survive, and this run fails instead.
    try:
        os.rename(new, target)
    except OSError as err:
        if err.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise _appeared(target) from None
        raise


def _replace_report(new: Path, target: Path) -> None:
    # os.replace cannot replace a non-empty folder: move the old report aside first, drop it after.
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.replace(target, old / target.name)
    try:
        _rename_onto_empty(new, target)
    except BaseException:
        with suppress(OSError):
            os.replace(old / target.name, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _appeared(target: Path) -> UsageError:
    return UsageError(f"output folder {target} was created or filled by another program while synchro was "
                      "writing; it was left untouched and this report was not saved: choose another -o/--output "
                      "folder")
