"""What one report analyses, and how each result enters report.json: the per-population steps of the pipeline.

:class:`Run` holds a report's settings while it is built, runs each analysis
(recording its call, time and, on data it cannot support, why it was
skipped, as structured records), and the ``analyse_*`` helpers turn each
library result into its report.json record.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext

import numpy as np

from ..core import Recording, SpikeData
from ..core.compiled import one_blas_thread, start_numba
from ..errors import InvalidDataError, NothingToAnalyseError
from ._forked import available_memory, can_fork, fork
from ._mechanism import cross_frequency, episodes, lag_pair, population_lags

__all__ = ["FIELD_SIGNALS", "RHYTHM_FIELDS", "STTC_DELTA_T", "FANO_BIN_WIDTH", "SYNCHRONY_SURROGATES", "NULL_PAIRS",
           "FORKED_ANALYSES", "LONG_SESSION", "LONG_FORKED_ANALYSES", "FORK_MEMORY", "CHILD_BYTES",
           "CHILD_BYTES_PER_SPIKE", "ALL_PAIRS_MAX_SCANS", "SAMPLED_PAIRS", "SAMPLED_NULL_PAIRS", "Run", "analyse",
           "fork_fits", "band_record", "pick_field", "populations_of", "population_counts", "pair_options"]

#: Signals used as the field for spike-field coupling, in order of preference.
FIELD_SIGNALS = ("LFP", "field_proxy")
#: Coincidence window of the STTC, Δt (s).
STTC_DELTA_T = 0.005

#: Counting bin width of the population Fano factor (s).
FANO_BIN_WIDTH = 0.01

#: Circular-shift surrogates of every synchrony index's chance level, per population: p is at least 1/21. On W1
#: (1000 units, 10 s) all five nulls of the three populations cost about a second (benchmarks/bench_analyze.py).
SYNCHRONY_SURROGATES = 20

#: Unit pairs on which the STTC and SPIKE-synchronization nulls are computed (a seeded sample above this).
NULL_PAIRS = 1000

#: The analyses a forked child computes while the report's process computes the others: the synchrony indices,
#: on W1 (1000 units, 10 s) 0.75 s against the others' 0.9 s (benchmarks/bench_w1.py).
FORKED_ANALYSES = frozenset({"chi", "sttc", "spike_sync", "spike_contrast", "fano"})

#: From this much observed time (s) the child also computes phase locking and spike-field coherence: the report's
#: own analyses grow with the duration (spectra of 1 ms bins), the synchrony indices with the spikes, so on long
#: sessions the report's process has the larger share (W2, 1000 units x 1 h: about 100 s against the child's 50 s;
#: phase locking and coherence, 12 s, have small results to send back).
LONG_SESSION = 600.0
LONG_FORKED_ANALYSES = FORKED_ANALYSES | {"phase_locking", "coherence"}

#: Memory (bytes) a forked child may add to the report's process: the share of a 4 GB budget for an hour of 1000
#: units that the report's process leaves (alone it peaks at about 3 GB on W2: 1000 units x 1 h, 1.87e7 spikes).
FORK_MEMORY = 1e9
#: The child's working set (bytes): a fixed part (the interpreter's pages it writes, W1's pair matrices) and a part
#: per spike (a surrogate's trains, spike phases), measured as the child's peak private memory (/proc/PID/
#: smaps_rollup, every 0.1 s): 0.10 GB on W1 (1000 units x 10 s), 0.53 GB on W2 (1.87e7 spikes, with phase locking
#: and coherence: 23 bytes a spike past the fixed part), both rounded up.
CHILD_BYTES, CHILD_BYTES_PER_SPIKE = 1.5e8, 28.0


def fork_fits(n_spikes: int) -> bool:
    """Whether a forked child analysing ``n_spikes`` spikes fits: its estimated working set
    (``CHILD_BYTES + CHILD_BYTES_PER_SPIKE * n_spikes``) within :data:`FORK_MEMORY` and within half the memory
    available now (the other half left to the report's own process)."""
    need = CHILD_BYTES + CHILD_BYTES_PER_SPIKE * n_spikes
    return need <= FORK_MEMORY and 2 * need <= available_memory()

#: Coincidence scans (spikes x population rate x 2 STTC_DELTA_T: the work of comparing every pair in one pass over
#: the spikes) above which STTC and SPIKE-synchronization average a seeded sample of SAMPLED_PAIRS pairs instead of
#: every pair, and compute their nulls on SAMPLED_NULL_PAIRS pairs (each pair's trains are long), saying so in their
#: records (``n_pairs``, ``null_pairs``, ``pairs_sampled``). W1 (1000 units, 10 s) needs 5 x 10^6 scans; 1000 units
#: x 1 h at 5 Hz would need 10^9 (14 s for STTC, a minute for SPIKE-synchronization).
ALL_PAIRS_MAX_SCANS = 3e7
SAMPLED_PAIRS = 2000
SAMPLED_NULL_PAIRS = 200


def import_path(fn: Callable) -> str:
    """``package.name`` of ``fn`` as a user imports it: the highest package that still exports it.

    ``synchro.synchrony.pairwise.sttc_matrix`` is recorded as ``synchro.synchrony.sttc_matrix``, whichever
    module of the package defines it, so a recorded call names the public path.
    """
    parts = fn.__module__.split(".")
    home = fn.__module__
    for k in range(len(parts) - 1, 0, -1):
        package = sys.modules.get(".".join(parts[:k]))
        if package is None or getattr(package, fn.__name__, None) is not fn:
            break
        home = package.__name__
    return f"{home}.{fn.__name__}"

class Run:
    """State of one report being built: settings, results and the skipped list."""

    def __init__(self, *, bands, n_surrogates, sync_surrogates, rng, alpha, progress, lag_populations=None):
        self.bands = bands
        self.lag_populations = lag_populations  # the pair named by the user, or None (exc and inh when present)
        self.n_surrogates = n_surrogates
        self.sync_surrogates = sync_surrogates
        self.rng = rng  # the int seed, or the caller's Generator
        self.alpha = alpha
        self.progress = progress or (lambda _name: nullcontext())
        self.skipped: list[dict] = []
        self.results: dict = {}
        self.timings: list[dict] = []
        self.calls: list[dict] = []
        self.section = None  # the label while a section (epoch, condition) is analysed
        # Which analyses this pass computes (a part of the work, beside a forked child), and every step's outcome
        # so far by result key: (parameters, result, reason skipped, seconds).
        self.computes: Callable[[str], bool] = lambda _analysis: True
        self.done: dict = {}
        # Figures the forked child draws from its own results once its part is done (``early(populations,
        # results)`` gives them as PNG and SVG bytes by name), and those it drew.
        self.early: Callable[[list, dict], dict] | None = None
        self.drawn: dict = {}

    def part(self, computes: Callable[[str], bool], *, progress: bool) -> Run:
        """A pass over the same settings that computes only the analyses ``computes`` accepts, into ``self.done``;
        its records are thrown away (the full pass that follows writes them, in their order)."""
        other = Run(bands=self.bands, n_surrogates=self.n_surrogates, sync_surrogates=self.sync_surrogates,
                    rng=self.rng, alpha=self.alpha, progress=self.progress if progress else None,
                    lag_populations=self.lag_populations)
        other.section, other.computes, other.done = self.section, computes, self.done
        return other

    def where(self, analysis: str, population: str, band: str | None = None) -> dict:
        """The structured place of one analysis: analysis, section (or None), population and band (or None)."""
        return {"analysis": analysis, "section": self.section, "population": population, "band": band}

    def step(self, analysis: str, population: str, fn: Callable, data, *args, name: str | None = None, **kwargs):
        """Run ``fn(data, *args, **kwargs)`` (for the band called ``name``, if any), recording its full keyword
        parameters; on data it cannot support, record the analysis as skipped and return None. A step already
        computed with the same parameters (by a part of the work, :meth:`part`) is not computed again."""
        if not self.computes(analysis):
            return None
        band = name
        where = self.where(analysis, population, band)
        bound = inspect.signature(fn).bind(data, *args, **kwargs)
        bound.apply_defaults()
        parameters = {k: v for k, v in bound.arguments.items() if k not in ("data", "signal")}
        self.calls.append({**where, "function": import_path(fn), "parameters": parameters})
        panel = population if self.section is None else f"{self.section}: {population}"
        key = (analysis, panel if band is None else f"{panel}, {band}")
        done = self.done.get(key)
        if done is None or not _same(done[0], parameters):
            t0 = time.perf_counter()
            try:
                with self.progress(f"{analysis} ({panel}{'' if band is None else ', ' + band})"):
                    outcome = (fn(data, *args, **kwargs), None)
            except (InvalidDataError, NothingToAnalyseError) as err:
                outcome = (None, str(err))
            except BaseException:  # an error that ends the report
                self.timings.append({**where, "seconds": round(time.perf_counter() - t0, 4)})
                raise
            done = self.done[key] = (parameters, *outcome, round(time.perf_counter() - t0, 4))
        _, result, reason, seconds = done
        self.timings.append({**where, "seconds": seconds})
        if reason is not None:
            self.skip(analysis, population, reason, band=band)
            return None
        self.results[key] = result
        return result

    def skip(self, analysis: str, population: str, reason: str, band: str | None = None) -> None:
        self.skipped.append({**self.where(analysis, population, band), "reason": reason})


def populations_of(data: SpikeData, column: str) -> dict[str, SpikeData]:
    """``"all"`` and each value of the population column, as SpikeData."""
    pops = {"all": data}
    for name in data.populations(column):
        # A population literally called "all" must not replace the whole set.
        pops[name if name != "all" else f"{column}=all"] = data.select(population=name, column=column)
    return pops


def population_counts(pops: dict[str, SpikeData]) -> dict:
    """Units, spikes and mean rate per unit over the observed time (Hz) of each population."""
    return {name: {"units": sub.n_units, "spikes": sub.n_spikes,
                   "rate_hz": sub.n_spikes / sub.observed_duration / max(sub.n_units, 1)} for name, sub in pops.items()}


def _same(a: dict, b: dict) -> bool:
    """Whether two steps' parameters are equal (False where they hold arrays, which do not compare as a whole)."""
    try:
        return bool(a == b)
    except ValueError:
        return False


def analyse(run: Run, data: SpikeData, field, field_info, population_column: str, *, rates: bool,
            trials: np.ndarray | None = None) -> dict:
    """Every analysis of ``data``: ``populations``, and per population ``rhythms``, ``synchrony``, ``coupling``,
    ``episodes``, ``cross_frequency``; ``lag``, between two populations.

    ``trials`` ((k, 2) s): the real trials of a condition, over which phase locking's PPC1 and PPC2 pair spikes.

    With an int seed, the synchrony indices (:data:`FORKED_ANALYSES`; on long sessions
    :data:`LONG_FORKED_ANALYSES`) are computed in a forked child
    while this process computes the rest (:mod:`._forked`), when the child's working set fits (:func:`fork_fits`);
    every step draws from its own ``rng=seed``, so the numbers are those of one process, and the records are then
    written in their usual order. The child then draws ``run.early``'s figures from its results, into ``run.drawn``.
    numpy's BLAS has one thread throughout (:func:`~synchro.core.compiled.one_blas_thread`), so the numbers are
    those of any process, a dask worker's included.
    """
    with one_blas_thread():
        # The populations are selected once, before any fork, so that both processes read the same pages.
        pops = populations_of(data, population_column)
        inputs, options = (data, pops, field, field_info, population_column), dict(rates=rates, trials=trials)
        seeded = not isinstance(run.rng, np.random.Generator)  # a shared Generator's draws depend on the order
        if seeded and fork_fits(data.n_spikes) and can_fork():
            start_numba()  # both processes run numba kernels: its start is paid once, before the fork

            forked = LONG_FORKED_ANALYSES if data.observed_duration >= LONG_SESSION else FORKED_ANALYSES

            def child_part():
                child_run = run.part(forked.__contains__, progress=False)
                child_run.done = {}
                _analyse(child_run, *inputs, **options)
                try:
                    drawn = run.early(list(pops), child_run.results) if run.early else {}
                except Exception:  # the parent draws these figures again, and any error shows there
                    drawn = {}
                return child_run.done, drawn

            child = fork(child_part)
            if child is not None:
                try:
                    _analyse(run.part(lambda a: a not in forked, progress=True), *inputs, **options)
                    done, drawn = child.result() or ({}, {})
                    run.done.update(done)  # what the child could not give, the full pass computes
                    run.drawn.update(drawn)
                finally:
                    child.cancel()
        return _analyse(run, *inputs, **options)


def _analyse(run: Run, data: SpikeData, pops: dict[str, SpikeData], field, field_info, population_column: str, *,
             rates: bool, trials: np.ndarray | None = None) -> dict:
    from .. import spectral

    rhythms, synchrony, coupling, eps, cfc = {}, {}, {}, {}, {}
    for pop, sub in pops.items():
        if sub.n_spikes == 0:
            run.skip("all analyses", pop, "no spikes in this population")
            continue
        if rates:  # for the rates figure; sections' rates have gaps and are not drawn
            run.step("rates", pop, spectral.population_rate, sub)
        if (r := _rhythms(run, pop, sub)) is not None:
            rhythms[pop] = r
        if e := episodes(run, pop, sub):
            eps[pop] = e
        if c := cross_frequency(run, pop, sub):
            cfc[pop] = c
        if s := _synchrony(run, pop, sub):
            synchrony[pop] = s
        if field is not None and (c := _coupling(run, pop, sub, field, field_info["channel"], trials)):
            coupling[pop] = c
    pair, why = lag_pair(data, population_column, run.lag_populations)
    if pair is None:
        run.skip("population_lag", "all", why)
    lags = population_lags(run, data, population_column, pair) if pair else []
    return {"populations": population_counts(pops), "rhythms": rhythms, "synchrony": synchrony, "coupling": coupling,
            "episodes": eps, "lag": lags, "cross_frequency": cfc}


def pick_field(recording: Recording, run: Run):
    for name in FIELD_SIGNALS:
        if name in recording.signals:
            signal = recording.signals[name]
            return signal, {"name": name, "fs": signal.fs, "channels": signal.n_channels, "channel": 0,
                            "units": signal.units, "t_start": signal.t_start, "t_stop": signal.t_stop}
    run.skip("coupling", "all", "no field signal: the input holds no LFP or field_proxy "
             "(give --lfp PATH-IN-FILE to pick an ElectricalSeries)")
    return None, None


def _rhythms(run: Run, pop: str, data: SpikeData):
    from .. import rhythms

    result = run.step("rhythms", pop, rhythms.band_verdicts, data, bands=run.bands, n_surrogates=run.n_surrogates,
                      alpha=run.alpha, rng=run.rng)
    if result is None:
        return None
    return {band: band_record(result[band]) for band in run.bands}


#: Per-band fields of ``rhythms[population][band]`` in report.json, in order (docs/report-schema.md).
RHYTHM_FIELDS = ("present", "verdict", "reason", "sentence", "peak_hz", "power_ratio", "power_db", "width_hz", "edge",
                 "p_peak", "p_peak_holm", "p_independent", "p_independent_holm", "fit_p_value", "overshoot",
                 "single_unit")


def band_record(v) -> dict:
    """One band's verdict as report.json carries it: the word, its sentence, the peak and both tests."""
    record = {name: getattr(v, name) for name in RHYTHM_FIELDS if name != "sentence"}
    record["present"] = bool(v.present)
    record["sentence"] = v.sentence()
    return {name: record[name] for name in RHYTHM_FIELDS}


def _defined(run: Run, analysis: str, pop: str, value, why: str, band: str | None = None) -> float | None:
    """``value`` as a float, or None with ``why`` recorded in ``skipped``: an undefined statistic (NaN: one
    spike, one unit, no variance) is reported as undetermined with its reason, never as a number."""
    if value is None or not np.isfinite(value):
        run.skip(analysis, pop, f"undetermined: {why}", band=band)
        return None
    return float(value)


def _against_chance(run: Run, analysis: str, pop: str, value, result, why: str) -> dict:
    """One synchrony index as report.json carries it: its value, chance level, z and p (each None when
    undetermined)."""
    def first(x):  # Fano's fields are arrays over bin widths; the report uses one width
        return None if x is None else float(np.ravel(x)[0])

    return {"value": _defined(run, analysis, pop, value, why), "chance": first(result.chance), "z": first(result.z),
            "p": first(result.p)}


def pair_options(data: SpikeData) -> dict:
    """The pair options of STTC and SPIKE-synchronization: every pair and NULL_PAIRS null pairs, or seeded samples
    above ALL_PAIRS_MAX_SCANS."""
    scans = data.n_spikes * (data.n_spikes / data.observed_duration) * 2 * STTC_DELTA_T
    if scans <= ALL_PAIRS_MAX_SCANS:
        return {"null_pairs": NULL_PAIRS}
    return {"max_units": 2, "n_pairs": SAMPLED_PAIRS, "null_pairs": SAMPLED_NULL_PAIRS}


def _sampled(result) -> dict:
    """A pairwise record's statement of its samples (nothing when every pair was averaged)."""
    if not result.pairs_sampled:
        return {}
    return {"n_pairs": int(result.n_pairs), "null_pairs": int(result.null_pairs), "pairs_sampled": True}


def _synchrony(run: Run, pop: str, data: SpikeData) -> dict:
    from .. import synchrony

    out: dict = {}
    if data.n_units < 2:
        run.skip("synchrony", pop, f"needs at least 2 units; this population has {data.n_units}")
        return out
    null = dict(n_surrogates=run.sync_surrogates, rng=run.rng)
    n_active = int(np.count_nonzero(data.spike_counts))
    if n_active < 2:
        # Pairwise measures compare units' spikes: with one unit firing, SPIKE-synchronization and spike contrast
        # return 0 and STTC NaN, values that would read as "no synchrony" where there is nothing to compare.
        run.skip("pairwise synchrony (chi, sttc, spike_sync, spike_contrast)", pop,
                 f"undetermined: {n_active} of {data.n_units} units have spikes; synchrony compares at least two")
    else:
        if (r := run.step("chi", pop, synchrony.golomb_chi, data, **null)) is not None:
            out["chi"] = {**_against_chance(run, "chi", pop, r.chi, r, "the population trace or the units' traces "
                                            "have no variance"), "floor": r.floor_chi}
        pairs = pair_options(data)
        if (r := run.step("sttc", pop, synchrony.sttc_matrix, data, delta_t=STTC_DELTA_T, **pairs,
                          **null)) is not None:
            out["sttc"] = {**_against_chance(run, "sttc", pop, r.value, r, "no unit pair with spikes in both units"),
                           **_sampled(r)}
        if (r := run.step("spike_sync", pop, synchrony.spike_sync, data, **pairs, **null)) is not None:
            out["spike_sync"] = {**_against_chance(run, "spike_sync", pop, r.value, r,
                                                   "no spike with a partner to match"), **_sampled(r)}
        if (r := run.step("spike_contrast", pop, synchrony.spike_contrast, data, **null)) is not None:
            out["spike_contrast"] = _against_chance(run, "spike_contrast", pop, r.value, r, "no bin size with activity")
    if (r := run.step("fano", pop, synchrony.population_fano, data, bin_widths=(FANO_BIN_WIDTH,), **null)) is not None:
        out["fano"] = _against_chance(run, "fano", pop, r.fano[0], r,
                                      f"no spikes in any {FANO_BIN_WIDTH * 1e3:g} ms bin")
    return out


def _coupling(run: Run, pop: str, data: SpikeData, field, channel: int, trials=None) -> dict:
    from .. import coupling

    out = {}
    for band, (lo, hi) in run.bands.items():
        r = run.step("phase_locking", pop, coupling.phase_locking, data, field, band=(lo, hi), channel=channel,
                     trials=trials, name=band)
        if r is not None:
            n = r.population_n_spikes
            if n < 2:
                # With one spike the PLV is 1 and the phase is that spike's: numbers, but no locking to speak of.
                run.skip("phase_locking", pop, f"undetermined: {n} spike(s) with a field phase; phase locking "
                         "needs at least 2", band=band)
                out[band] = {"ppc": None, "ppc1": None, "plv": None, "preferred_phase": None, "rayleigh_p": None,
                             "n_spikes": n}
                continue
            out[band] = {"ppc": _defined(run, "ppc", pop, r.population_ppc0, "no pair of spikes", band),
                         "ppc1": _defined(run, "ppc1", pop, r.population_ppc1,
                                          "needs spikes of at least two units (pairs across units)", band),
                         "plv": r.population_plv, "preferred_phase": r.population_preferred_phase,
                         "rayleigh_p": r.population_rayleigh_p, "n_spikes": n}
            # Phase histograms for the figures; filtering one field channel again costs milliseconds.
            run.step("phases", pop, coupling.spike_phases, data, field, band=(lo, hi), channel=channel, name=band)
    # Pooled coherence only: the per-unit spectra would cost seconds and the report shows the pooled curve.
    run.step("coherence", pop, coupling.spike_field_coherence, data, field, channel=channel, per_unit=False)
    return out
