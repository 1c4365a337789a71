"""``synchro analyze`` of several sessions: inputs from folders and globs, reports found complete, sessions on dask.

A batch is resumable: a session whose report folder holds a complete report
(report.json is written last, by one rename, so a report.json there means
the whole report is) is not analysed again, and its report.json feeds the
cohort table; a folder a dead run claimed is recomputed. The sessions to
compute run on a dask cluster (:mod:`synchro.cluster`), or one after the
other with ``--scheduler serial``.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import UnreadableInputError, check_installed
from .app import Failure, failure, shown

__all__ = ["SERIAL", "PRELOAD", "expand_inputs", "check_cohort_installed", "claim_session", "run_sessions",
           "cohort_summary"]

#: ``--scheduler`` value that analyses every session in this process, one after the other.
SERIAL = "serial"

#: What the forkserver of a cohort's LocalCluster runs before forking workers (:mod:`synchro._forkserver`).
PRELOAD = ("synchro._forkserver",)


def expand_inputs(paths: Sequence[str]) -> tuple[list[str], bool]:
    """The inputs with every folder of NWB files and every glob pattern replaced by its files, in name order.

    A folder that is a Phy/Kilosort output stays one input; a folder holding
    ``*.nwb`` files becomes those files. A pattern (``"data/*.nwb"``, quoted
    so that the shell leaves it) that names no existing path is matched with
    :mod:`glob`. URLs are left as they are.

    Parameters
    ----------
    paths : sequence of str
        The command's inputs.

    Returns
    -------
    inputs : list of str
    expanded : bool
        Whether a folder or a pattern was expanded (the command then runs as a cohort even for one file).

    Raises
    ------
    UnreadableInputError
        A pattern that matches nothing (exit 3).
    """
    from ..io import is_phy_folder, is_url

    out, expanded = [], False
    for text in map(str, paths):
        path = Path(text)
        if is_url(text):
            out.append(text)
        elif path.is_dir() and not is_phy_folder(path) and any(path.glob("*.nwb")):
            out += [str(p) for p in sorted(path.glob("*.nwb"))]
            expanded = True
        elif not path.exists() and any(c in text for c in "*?["):
            matches = sorted(glob.glob(text))
            if not matches:
                raise UnreadableInputError(f"no file matches {text!r}; check the pattern (quote it so that the "
                                           "shell leaves it to synchro)")
            out += matches
            expanded = True
        else:
            out.append(text)
    return out, expanded


def check_cohort_installed(scheduler: str | None) -> None:
    """Refuse a batch before any file is read when the ``cohort`` extra it needs is missing (one line, exit 2).

    Parameters
    ----------
    scheduler : str or None
        ``--scheduler``: dask is needed unless it is :data:`SERIAL`; pyarrow (the table's Parquet) always.

    Raises
    ------
    MissingDependencyError
    """
    modules = ("pyarrow",) if scheduler == SERIAL else ("dask", "distributed", "pyarrow")
    for module in modules:
        check_installed(module, extra="cohort", use="synchro analyze of several inputs")


def claim_session(folder: Path, path: str, inputs: Sequence[str], *, overwrite: bool, options: dict):
    """Claim a batch session's report folder, or find its complete report there.

    Parameters
    ----------
    folder : Path
        The session's report folder.
    path : str
        Its input.
    inputs : sequence of str
        Every input of the batch (none may lie in the folder).
    overwrite : bool
        Recompute a complete report too.
    options : dict
        The analysis options of :func:`synchro.report.build_report` (``bands``, ``n_surrogates``,
        ``synchrony_surrogates``, ``rng``, ``population_column``): a report found with others is refused.

    Returns
    -------
    OutputClaim or dict
        The claim, or ``{"report": report.json's content, "summary": None, "folder": folder, "found": True}``.

    Raises
    ------
    OutputFolderExistsError
        Another live run writes the folder, it holds files but no synchro report, or the report found is another
        input's or was made with other options.
    """
    from ..report import OutputFolderExistsError, claim_output_folder, read_report

    # Claimed as replaceable: an empty folder is what a run that died left, recomputed; a folder of other files
    # is still refused. A complete report is looked for only once the lock is held, so never half-written.
    claim = claim_output_folder(folder, inputs=inputs, overwrite=True)
    doc = None if overwrite else read_report(claim.target)
    if doc is None:
        return claim
    claim.release()
    source = doc.get("input", {})
    recorded = str(source.get("url") or source.get("path"))  # a URL input has no path
    if not _same_input(recorded, path):
        raise OutputFolderExistsError(f"report folder {claim.target} holds the report of {recorded}, not of {path}; "
                                      "pass --overwrite to replace it or choose another -o/--output folder")
    differ = _other_options(doc.get("parameters", {}), options)
    if differ:
        raise OutputFolderExistsError(f"report folder {claim.target} holds a report made with other "
                                      f"{', '.join(differ)}; pass --overwrite to recompute it or choose another "
                                      "-o/--output folder")
    return {"report": doc, "summary": None, "folder": str(claim.target), "found": True}


def _same_input(recorded: str, path: str) -> bool:
    from ..io import is_url

    if is_url(recorded) or is_url(path):
        return recorded == path
    return Path(recorded).resolve() == Path(path).resolve()


def _other_options(parameters: dict, options: dict) -> list[str]:
    """The options of this run that the report found was not made with (names as on the command line)."""
    bands = {name: [float(lo), float(hi)] for name, (lo, hi) in options["bands"].items()}
    recorded_bands = {name: [float(v) for v in band] for name, band in (parameters.get("bands") or {}).items()}
    null = parameters.get("synchrony_null") or {}
    checks = {"--bands": (recorded_bands, bands), "--seed": (parameters.get("seed"), options["rng"]),
              "--surrogates": (parameters.get("n_surrogates"), options["n_surrogates"]),
              "--synchrony-surrogates": (null.get("n_surrogates", 0), options["synchrony_surrogates"]),
              "--population-column": (parameters.get("population_column"), options["population_column"])}
    return [name for name, (found, wanted) in checks.items() if found != wanted]


def run_sessions(analyze_one: Callable, tasks: list, scheduler: str | None, n_workers: int | None,
                 progress: bool, meanwhile: Callable | None = None) -> tuple[list, str, int]:
    """Each task's outcome, in order: on dask, or one after the other with :data:`SERIAL`.

    Parameters
    ----------
    analyze_one : callable
        A module-level function (workers import it by name) mapping a task to its outcome; it returns failures
        rather than raising them.
    tasks : list
        Its arguments, one per session.
    scheduler : str or None
        None for a LocalCluster, :data:`SERIAL`, or a dask scheduler's address.
    n_workers : int or None
        Workers of the LocalCluster (default the machine's cores, at most one per task).
    progress : bool
        Draw a bar of sessions on stderr.
    meanwhile : callable, optional
        Called without arguments on dask, before the sessions are sent (on a LocalCluster, while its forkserver
        imports what the workers need and a core waits): work this process needs after the sessions, such as
        imports. Not called one after the other (:data:`SERIAL`).

    Returns
    -------
    outcomes : list
        ``analyze_one``'s return values; a task whose worker died (killed, out of memory) fails alone
        (:func:`~synchro.cli.app.failure`).
    label : str
        ``"serial"``, ``"local"`` or the scheduler's address.
    n_workers : int
        Worker processes that took sessions (1 for serial).
    """
    from ..progress import progress_bar

    outcomes: list = [None] * len(tasks)
    bar = progress_bar(len(tasks), desc="sessions", unit="session", enabled=progress)
    try:
        if scheduler == SERIAL or not tasks:
            for i, task in enumerate(tasks):
                outcomes[i] = analyze_one(task)
                bar.update(1)
            return outcomes, SERIAL, 1
        from ..cluster import cluster_client, start_forkserver

        if scheduler is None:
            # First: its imports (1.8 s, on which the cluster waits) run while this process imports dask's own.
            start_forkserver(PRELOAD)
        from dask.distributed import as_completed

        workers = min(n_workers or os.cpu_count() or 1, len(tasks))
        if meanwhile is not None:
            meanwhile()
        with cluster_client(scheduler, workers, PRELOAD) as (client, label):
            futures = {client.submit(analyze_one, task, pure=False): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                try:
                    outcomes[futures[future]] = future.result()
                except Exception as err:  # the worker died: this session fails, the others go on
                    outcomes[futures[future]] = failure(err)
                bar.update(1)
            return outcomes, label, len(client.nthreads())
    finally:
        bar.close()


def cohort_summary(paths: Sequence[str], outcomes: list, label: str, n_workers: int, written: dict) -> str:
    """The lines that close a batch's text output: sessions analysed, found and failed (with exit codes), files.

    Parameters
    ----------
    paths : sequence of str
        The inputs.
    outcomes : list
        Each input's outcome: a :class:`~synchro.cli.app.Failure` or ``{"report", "summary", "folder", ...}``.
    label : str
        Where the sessions ran (``"serial"``, ``"local"`` or a scheduler's address).
    n_workers : int
        Worker processes that took sessions.
    written : dict of str to Path
        The cohort files, from :func:`synchro.report.cohort.write_cohort` (empty when none was written).

    Returns
    -------
    str
    """
    failed = [(p, o) for p, o in zip(paths, outcomes) if isinstance(o, Failure)]
    found = sum(1 for o in outcomes if not isinstance(o, Failure) and o.get("found"))
    analysed = len(outcomes) - len(failed) - found
    where = "" if not analysed else " here, one after the other" if label == SERIAL else \
        f" on {label} ({n_workers} worker{'s' if n_workers != 1 else ''})"
    lines = [f"Cohort: {len(outcomes)} sessions, {analysed} analysed{where}, {found} found complete, "
             f"{len(failed)} failed"]
    lines += [f"  failed (exit {o.code}): {p}" for p, o in failed]
    if written:
        tables = ", ".join(shown(written[k]) for k in ("csv", "parquet"))
        figure = f"; figure: {shown(written['png'])}" if "png" in written else ""
        lines.append(f"Table: {tables}{figure}")
    else:
        lines.append("No session to tabulate: the cohort table was not written")
    return "\n".join(lines)
