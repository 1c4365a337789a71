"""Which analyses run on a session, with which parameters: the one place that decides.

:func:`build_report` takes a :class:`~synchro.core.Recording` and runs, for
the whole population (``"all"``) and for each value of the population
column, every analysis the data allow:

* rhythms: population-rate spectrum and a verdict word per band
  (:func:`synchro.rhythms.band_verdicts`): ``present`` (a spectral peak
  above the aperiodic background, beyond independent units),
  ``broadband``, ``absent`` or ``undetermined``, with its sentence;
* synchrony: Golomb chi, mean STTC, SPIKE-synchronization, spike contrast
  and the population Fano factor (:mod:`synchro.synchrony`);
* coupling, when a field signal exists (``LFP``, else ``field_proxy``):
  phase locking (PPC, PLV, preferred phase) in each band and spike-field
  coherence (:mod:`synchro.coupling`);
* rhythms in time: each band's episodes (:func:`synchro.episodes.rhythm_episodes`:
  the share of observed time in rhythm, episodes per minute, their table);
* mechanism: phase-amplitude coupling of each slow band's phase with each
  fast band's amplitude (:func:`synchro.rhythms.phase_amplitude_coupling`),
  and, across two populations (exc and inh by default), the lag of the
  second's band-limited rate behind the first's in every band
  (:func:`synchro.lag.population_lag`).

An analysis the data cannot support (too few units or spikes, a field too
slowly sampled for a band) is recorded in ``Report.skipped`` with the
reason instead of ending the run; when nothing at all can be analysed,
:class:`~synchro.errors.NothingToAnalyseError` is raised.

Every random draw comes from one seed, passed as it is (``rng=seed``) to
every analysis of every population and recorded in its parameters
(``parameters.calls``): ``synchro analyze FILE --seed S`` and, in Python,
``band_verdicts(data, rng=S)`` on the same data with the same options give
the same numbers. The data analysed are the recording's spikes, minus the
first 0.2 s of a simulation (``parameters.discard``) and cut to
``parameters.time_window``.

With ``epochs=`` (CLI ``--epochs``) or ``trials=`` (``--trials``), the
analyses run once per epoch label or trial condition, on the spikes of
that label's intervals, the time between them unobserved
(:func:`synchro.core.split_by_intervals`), and the report holds one section
per label.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from .. import __version__
from ..core import Recording, split_by_intervals
from ..core.checks.arguments import integer_at_least
from ..errors import (
    NothingToAnalyseError,
    RecordingBoundsError,
    SynchroWarning,
    UsageError,
)
from ._analyses import (
    FANO_BIN_WIDTH,
    FIELD_SIGNALS,
    NULL_PAIRS,
    RHYTHM_FIELDS,
    STTC_DELTA_T,
    SYNCHRONY_SURROGATES,
    Run,
    analyse,
    pick_field,
    population_counts,
    populations_of,
)
from ._mechanism import check_lag_populations
from ._selection import check_section_options, crop_to_window, report_seed, section_spec, trials_of
from .model import Report

__all__ = ["ALPHA", "DEFAULT_BANDS", "FIELD_SIGNALS", "RHYTHM_FIELDS", "build_report", "analyze_file", "parse_bands",
           "check_section_options"]

#: Frequency bands tested by default (Hz).
DEFAULT_BANDS = {"alpha": (8.0, 13.0), "gamma": (30.0, 80.0)}

#: Family-wise error rate of the band verdicts (Holm across bands), for each of the two tests.
ALPHA = 0.05

#: Onset discarded from simulations (s): the network's start-up transient is not a rhythm.
SIMULATION_DISCARD = 0.2

#: Longest window analysed at once (s): 2**28 bins of 1 ms (about 75 h), 2 GiB per rate array. Longer bounds
#: are a unit mix-up far more often than a recording (t_stop=1e20 overflowed the binning), and would not fit in
#: memory anyway.
MAX_DURATION = 2**28 * 1e-3

_VERSIONED = ("numpy", "scipy", "numba", "h5py", "pynwb", "hdmf", "remfile", "matplotlib", "brian2")


def parse_bands(text: str) -> dict[str, tuple[float, float]]:
    """Parse ``"alpha=8-13,gamma=30-80"`` into ``{"alpha": (8.0, 13.0), ...}`` (Hz).

    Parameters
    ----------
    text : str
        Comma-separated ``NAME=LOW-HIGH`` entries, edges in Hz.

    Returns
    -------
    dict of str to (float, float)
        Band edges in Hz, in the order given.

    Raises
    ------
    UsageError
        If an entry is not ``name=low-high`` with ``0 < low < high``, or a
        name repeats.
    """
    bands: dict[str, tuple[float, float]] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        name, sep, rng = entry.partition("=")
        lo, dash, hi = rng.partition("-")
        try:
            lo_hz, hi_hz = float(lo), float(hi)
        except ValueError:
            lo_hz = hi_hz = float("nan")
        name = name.strip()
        if not (sep and dash and name and 0 < lo_hz < hi_hz < np.inf):
            raise UsageError(f"band {entry!r} is not NAME=LOW-HIGH in Hz with 0 < LOW < HIGH; "
                             "write e.g. --bands alpha=8-13,gamma=30-80")
        if name in bands:
            raise UsageError(f"band {name!r} is given twice in --bands; give each band once")
        bands[name] = (lo_hz, hi_hz)
    if not bands:
        raise UsageError("--bands names no band; write e.g. --bands alpha=8-13,gamma=30-80")
    return bands


def _versions() -> dict[str, str]:
    found = {"synchro": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return found


def _sha256(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def build_report(recording: Recording, *, bands: Mapping[str, tuple[float, float]] | None = None,
                 n_surrogates: int = 200, synchrony_surrogates: int = SYNCHRONY_SURROGATES, rng=0,
                 alpha: float = ALPHA, population_column: str = "population", discard: float | None = None,
                 time_window: tuple[float, float] | None = None, epochs: str | None = None,
                 epoch_column: str | None = None, trials: str | None = None,
                 lag_populations: tuple[str, str] | None = None, source: Mapping | None = None,
                 progress: Callable | None = None, figures: bool = False) -> Report:
    """Run every analysis the recording allows and collect the results in one :class:`Report`.

    Parameters
    ----------
    recording : Recording
        Spikes (with a unit table), optionally a field signal (``"LFP"`` or
        ``"field_proxy"``) and interval tables (epochs, trials).
    bands : mapping of str to (float, float), optional
        Frequency bands in Hz; default :data:`DEFAULT_BANDS`.
    n_surrogates : int, default 200
        Surrogates of the independence test and bootstrap spectra of the
        peak test, per population (rhythm verdicts); at least
        :func:`synchro.rhythms.min_surrogates` for the bands and ``alpha``.
    synchrony_surrogates : int, default 20
        Circular-shift surrogates of the chance level, z and p of every
        synchrony index (chi, STTC, SPIKE-synchronization, spike contrast,
        population Fano factor); 0 leaves them undetermined. Chi's floor for
        independent units, ``1/sqrt(N)``, is always reported.
    rng : int, numpy.random.Generator or None, default 0
        Seed of every random draw, passed as ``rng`` to every analysis as it
        is: ``band_verdicts(data, rng=seed)`` in a notebook gives the
        report's numbers for the same data and options. ``None`` draws a
        seed, recorded in the report; a Generator is used as it is (the
        report's seed is then null, with a note: its state is the caller's
        to record).
    alpha : float, default 0.05
        Significance level of the band verdicts (Holm-corrected across bands).
    population_column : str, default "population"
        Unit-table column whose values define the populations analysed
        besides ``"all"``.
    discard : float, optional
        Seconds dropped from the start of the recording before analysis;
        by default the first 0.2 s of simulated time for simulations
        (recording metadata names a ``simulator``; their start-up transient
        is no rhythm) and nothing for recordings or when ``time_window`` is
        given.
    time_window : (float, float), optional
        Start and stop (s) of the part of the recording analysed (CLI
        ``--time-window START:STOP``); it must lie inside the recording's bounds,
        which stay what they are.
    epochs : str, optional
        Name of an interval table of the recording (``"epochs"``, or any
        other, e.g. ``"trials"``): each label of its rows (sleep, wake) is
        analysed separately, as one section of the report (CLI ``--epochs``).
    epoch_column : str, optional
        Column of the ``epochs`` table holding the labels; by default the
        first of :data:`synchro.core.LABEL_COLUMNS` the table has (pynwb's
        ``add_epoch`` writes ``tags``).
    trials : str, optional
        Column of the ``"trials"`` table grouping the trials (a condition):
        each value is analysed separately on the spikes of its trials, as
        one section (CLI ``--trials``). Spectra are those of the
        trial-restricted data, phase locking uses the spikes of those trials.
    lag_populations : (str, str), optional
        The two populations whose band-limited rates are compared
        (:func:`synchro.lag.population_lag`: the lag of the second behind the
        first, in every band; CLI ``--lag-populations A,B``); by default
        ``("exc", "inh")`` when the data hold both labels.
    source : mapping, optional
        Description of the input file (path, format, ...) for the report.
    progress : callable, optional
        ``progress(step_name)`` returning a context manager around each
        step (the CLI prints steps that take over a second).
    figures : bool, default False
        Whether the report's figures will be written
        (:func:`write_report`): the second process that computes the
        synchrony indices then also draws the figures that need nothing else
        (:data:`~synchro.report.figures.EARLY_FIGURES`), kept in
        :attr:`Report.drawn`, while this one computes the other analyses.
        No number changes.

    Returns
    -------
    Report
        Without ``epochs``/``trials``, the whole (windowed) recording in
        ``rhythms``/``synchrony``/``coupling``; with them, those are empty
        and ``sections`` holds one analysis per label.

    Raises
    ------
    UsageError
        Unknown population column, bad band or parameter, too few
        surrogates for Holm to reach ``alpha`` across the bands, a window
        outside the recording, both ``epochs`` and ``trials``.
    NotInFileError
        No interval table or column of that name (a usage error).
    NothingToAnalyseError
        No spikes in the analysed window, or every analysis was skipped.
    """
    bands = {str(k): (float(v[0]), float(v[1])) for k, v in (bands or DEFAULT_BANDS).items()}
    from ..rhythms import VERDICT_RULES, check_surrogates

    check_surrogates(n_surrogates, len(bands), alpha)  # before any analysis runs
    rng, seed = report_seed(rng)
    spikes = recording.spikes
    if population_column != "population" and population_column not in spikes.units:
        raise UsageError(f"no unit column {population_column!r} for --population-column; "
                         f"columns are {list(spikes.units.columns)}")
    spec = section_spec(recording, epochs, epoch_column, trials)  # options checked before any analysis
    if discard is None:  # simulations start at 0 s; their first 0.2 s is start-up, not dynamics
        simulated = "simulator" in recording.metadata and time_window is None
        discard = max(0.0, SIMULATION_DISCARD - spikes.t_start) if simulated else 0.0
    if not 0 <= discard < spikes.duration:
        raise UsageError(f"discard ({discard:g} s) must lie in [0, {spikes.duration:g}) s, the recording's length")
    data = spikes.restrict(spikes.t_start + discard, spikes.t_stop) if discard else spikes
    if time_window is not None:
        data = crop_to_window(data, time_window, spikes)
    if data.duration > MAX_DURATION:
        raise RecordingBoundsError(f"the recording spans {data.duration:.4g} s ({data.t_start:g} to {data.t_stop:g} "
                                   f"s); synchro analyses at most {MAX_DURATION:.0f} s (75 h) at once: check the "
                                   "bounds (--t-start/--t-stop; times in ms?) or split the recording")
    if data.n_spikes == 0:
        raise NothingToAnalyseError(f"no spikes in {data.t_start:g}-{data.t_stop:g} s; "
                                    "check --t-start/--t-stop/--time-window and the curation filter (--quality all)")
    synchrony_surrogates = integer_at_least("synchrony_surrogates", synchrony_surrogates, 0)
    lag_populations = check_lag_populations(spikes, population_column, lag_populations)
    run = Run(bands=bands, n_surrogates=n_surrogates, sync_surrogates=synchrony_surrogates, rng=rng, alpha=alpha,
              progress=progress, lag_populations=lag_populations)
    field, field_info = pick_field(recording, run)

    sections = []
    if spec is None:
        if figures:
            from .figures import draw_early, import_matplotlib

            run.early = lambda populations, results: draw_early(data, population_column, populations, results)
            import_matplotlib()  # now rather than later: the forked child then starts with it
        whole = analyse(run, data, field, field_info, population_column, rates=True)
        found = whole["rhythms"] or whole["synchrony"] or whole["coupling"]
    else:
        kind, table, column = spec
        whole = {"populations": population_counts(populations_of(data, population_column)), "rhythms": {},
                 "synchrony": {}, "coupling": {}, "episodes": {}, "lag": [], "cross_frequency": {}}
        parts = split_by_intervals(data, table, column)
        labels = table.labels(column)
        rows = Counter(labels)
        for label in table.groups(column):
            if label not in parts:
                run.section = label
                run.skip("all analyses", "all", f"no observed time of this {kind} in {data.t_start:g}-"
                         f"{data.t_stop:g} s")
                run.section = None
        outer, found = run.skipped, False
        for label, part in parts.items():
            run.skipped, run.section = [], label
            trials = trials_of(table.intervals[labels == label], part) if kind == "condition" else None
            result = analyse(run, part, field, field_info, population_column, rates=False, trials=trials)
            found = found or bool(result["rhythms"] or result["synchrony"] or result["coupling"])
            sections.append({"kind": kind, "label": label, "table": table.name, "column": column,
                             "n_rows": int(rows[label]), "intervals": part.support.tolist(),
                             "observed_duration": part.observed_duration, **result, "skipped": run.skipped})
        run.skipped, run.section = outer, None
    if not found:
        reasons = "; ".join(f"{s['analysis']}: {s['reason']}"
                            for s in [*run.skipped, *(x for sec in sections for x in sec["skipped"])][:3])
        raise NothingToAnalyseError(f"no analysis could run on this data ({reasons})")

    inp = {
        **dict(source or {}),
        "units": spikes.n_units, "spikes": spikes.n_spikes, "t_start": spikes.t_start, "t_stop": spikes.t_stop,
        "duration": spikes.duration, "populations": whole["populations"], "population_column": population_column,
        "unit_columns": list(spikes.units.columns), "signals": sorted(recording.signals), "field": field_info,
        "metadata": dict(recording.metadata),
        "interval_tables": {name: {"rows": len(t), "columns": list(t.columns)}
                            for name, t in recording.intervals.items()},
    }
    inp.setdefault("name", "recording")
    parameters = {
        "seed": seed, "seed_note": None if seed is not None else "a numpy Generator was passed as rng: its state is "
        "the caller's to record", "bands": bands, "alpha": alpha, "n_surrogates": run.n_surrogates,
        "synchrony_null": {"null": "circular_shift", "n_surrogates": run.sync_surrogates, "null_pairs": NULL_PAIRS},
        "sttc_delta_t": STTC_DELTA_T, "fano_bin_width": FANO_BIN_WIDTH, "discard": discard,
        "time_window": [data.t_start, data.t_stop], "population_column": population_column,
        "lag_populations": None if lag_populations is None else list(lag_populations),
        "sections": None if spec is None else {"kind": spec[0], "table": spec[1].name, "column": spec[2]},
        "verdict_rules": dict(VERDICT_RULES), "calls": run.calls,
    }
    generator = {"program": "synchro", "version": __version__, "created": datetime.now(UTC).isoformat(),
                 "platform": platform.platform(), "python": sys.version.split()[0]}
    return Report(input=inp, parameters=parameters, versions=_versions(), rhythms=whole["rhythms"],
                  synchrony=whole["synchrony"], coupling=whole["coupling"], episodes=whole["episodes"],
                  lag=whole["lag"], cross_frequency=whole["cross_frequency"], skipped=run.skipped, sections=sections,
                  generator=generator, timings=run.timings, data=data, results=run.results, drawn=run.drawn)


def analyze_file(path, *, units: str | None = None, lfp: str | None = "auto", time_unit: str | None = None,
                 sampling_rate: float | None = None, t_start: float | None = None, t_stop: float | None = None,
                 quality: str | None = "exclude-noise", columns=None, progress: Callable | None = None,
                 **options) -> Report:
    """Read one file with :func:`synchro.io.read` and build its :class:`Report`.

    Parameters
    ----------
    path : str or Path
        NWB, NPZ, CSV or TSV file, Phy/Kilosort folder, or URL of an NWB
        file (``input.url`` and ``input.bytes_read`` in the report); never
        modified.
    units, lfp, time_unit, sampling_rate, t_start, t_stop, quality, columns
        Passed to :func:`synchro.io.read` (times in seconds unless
        ``time_unit`` says otherwise).
    progress : callable, optional
        As in :func:`build_report`.
    **options
        Passed to :func:`build_report` (``bands``, ``n_surrogates``,
        ``synchrony_surrogates``, ``rng``, ``alpha``, ``population_column``, ``discard``, ``time_window``,
        ``epochs``, ``epoch_column``, ``trials``).

    Returns
    -------
    Report
    """
    from .. import io

    name = io.source_name(path)
    with (progress or (lambda _n: nullcontext()))(f"reading {name}"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SynchroWarning)
        recording = io.read(path, units=units, lfp=lfp, time_unit=time_unit, sampling_rate=sampling_rate,
                            t_start=t_start, t_stop=t_stop, quality=quality, columns=columns)
    for w in caught:  # the input's oddities go into the report; anything else is passed on
        if not issubclass(w.category, SynchroWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if io.is_url(path):
        # A URL's content is not all read, so it has no hash: its size and what reading it cost instead.
        where = {"name": name, "url": path, "format": Path(name).suffix.lstrip(".").lower() or "nwb",
                 "bytes": recording.metadata["bytes"], "bytes_read": recording.metadata["bytes_read"]}
    else:
        p = Path(path)
        files = io.source_files(p)
        where = {"name": p.name, "path": str(p.resolve()), "format": "phy" if p.is_dir() else
                 p.suffix.lstrip(".").lower(), "bytes": sum(f.stat().st_size for f in files),
                 "sha256": _sha256(*files)}
    source = {**where, "units_table": units, "lfp": lfp, "time_unit": time_unit or "s",
              "sampling_rate": sampling_rate, "quality": quality,
              "warnings": [str(w.message) for w in caught if issubclass(w.category, SynchroWarning)]}
    return build_report(recording, source=source, progress=progress, **options)

