"""The rhythms in time and their mechanism, as report steps: when each band's rhythm is there (episodes), who
leads whom (the lag between two populations' band-limited rates) and phase-amplitude coupling between the bands,
each turned into its report.json record."""

from __future__ import annotations

import numpy as np

from ..core import SpikeData
from ..errors import UsageError
from ..filtering import FS_PER_HIGH_EDGE
from ..spectral import MAX_SPECTRAL_BIN_WIDTH

__all__ = ["LAG_POPULATIONS", "check_lag_populations", "coupled_band_pairs", "cross_frequency", "episodes",
           "lag_pair", "population_lags"]

#: The populations whose lag the report measures when the data hold both labels (PING: inh follows exc).
LAG_POPULATIONS = ("exc", "inh")


def episodes(run, pop: str, data: SpikeData) -> dict:
    """Each band's rhythm episodes (:func:`synchro.episodes.rhythm_episodes`): the share of observed time in rhythm,
    the episodes per minute and the table of episodes."""
    from ..episodes import rhythm_episodes

    r = run.step("episodes", pop, rhythm_episodes, data, bands=run.bands, rng=run.rng)
    if r is None:
        return {}
    out = {}
    for name in run.bands:
        b = r[name]
        if b.reason:
            run.skip("episodes", pop, f"undetermined: {b.reason}", band=name)
        median = float(np.median([e.duration for e in b.episodes])) if b.episodes else None
        out[name] = {"fraction_in_rhythm": b.fraction_in_rhythm, "episodes_per_minute": b.episodes_per_minute,
                     "n_episodes": len(b.episodes), "median_duration": median,
                     "assessed_duration": b.assessed_duration, "threshold": b.threshold, "sentence": b.sentence(),
                     "reason": b.reason,
                     "episodes": [{"start": e.start, "stop": e.stop, "duration": e.duration, "cycles": e.cycles,
                                   "peak_hz": e.peak_hz, "power_ratio": e.power_ratio} for e in b.episodes]}
    return out


def coupled_band_pairs(bands: dict) -> list[tuple[str, str]]:
    """``(slow, fast)`` band names whose phase-amplitude coupling is measurable: the fast band lies above the slow
    one and is at least twice the slow band's high edge wide, so it holds the modulation's sidebands."""
    return [(s, f) for s, (slo, shi) in bands.items() for f, (flo, fhi) in bands.items()
            if flo >= shi and fhi - flo >= 2 * shi]


def _filterable(run, analysis: str, pop: str, name: str) -> bool:
    """Whether a band-pass of the 1 ms population rate can follow band ``name``; if not, say so in ``skipped``."""
    high = run.bands[name][1]
    if FS_PER_HIGH_EDGE * high <= 1.0 / MAX_SPECTRAL_BIN_WIDTH:
        return True
    run.skip(analysis, pop, f"the band reaches {high:g} Hz; a band-pass of 1 ms bins follows bands up to "
             f"{1.0 / MAX_SPECTRAL_BIN_WIDTH / FS_PER_HIGH_EDGE:g} Hz", band=name)
    return False


def cross_frequency(run, pop: str, data: SpikeData) -> list[dict]:
    """Phase-amplitude coupling (Tort's MI against its amplitude-shift null) of every measurable band pair."""
    from ..rhythms import phase_amplitude_coupling

    out = []
    for slow, fast in coupled_band_pairs(run.bands):
        if not _filterable(run, "phase_amplitude_coupling", pop, fast):
            continue
        r = run.step("phase_amplitude_coupling", pop, phase_amplitude_coupling, data, phase_band=run.bands[slow],
                     amplitude_band=run.bands[fast], n_surrogates=run.n_surrogates, rng=run.rng, name=fast)
        if r is None:
            continue
        if r.reason:
            run.skip("phase_amplitude_coupling", pop, f"undetermined: {r.reason}", band=fast)
        out.append({"phase_band": slow, "amplitude_band": fast, "mi": r.mi, "chance": r.chance, "z": r.z, "p": r.p,
                    "preferred_phase": r.preferred_phase, "reason": r.reason})
    return out


def check_lag_populations(data: SpikeData, column: str, chosen) -> tuple[str, str] | None:
    """``chosen`` as a pair of labels of ``column`` present in ``data`` (None stays None), refused otherwise."""
    if chosen is None:
        return None
    pair = tuple(str(p) for p in chosen)
    labels = list(data.populations(column))
    if len(pair) != 2 or pair[0] == pair[1] or any(p not in labels for p in pair):
        raise UsageError(f"lag populations must be two different labels of the {column!r} column, one of {labels}; "
                         f"got {list(pair)} (e.g. --lag-populations {','.join(map(str, labels[:2])) or 'A,B'})")
    return pair


def lag_pair(data: SpikeData, column: str, chosen) -> tuple[tuple[str, str] | None, str]:
    """The two populations whose lag is measured, or None with the reason: ``chosen``, else exc and inh."""
    labels = list(data.populations(column))
    pair = chosen if chosen is not None else LAG_POPULATIONS
    missing = [p for p in pair if p not in labels]
    if not missing:
        return tuple(pair), ""
    if chosen is not None:
        return None, f"no units of {missing} in this part of the recording"
    return None, (f"needs two populations to compare; the {column!r} labels are {labels}: name two with "
                  "--lag-populations A,B")


def population_lags(run, data: SpikeData, column: str, pair) -> list[dict]:
    """The lag of ``pair[1]`` behind ``pair[0]`` in every band, one record per band."""
    from ..lag import population_lag

    out = []
    for band, edges in run.bands.items():
        if not _filterable(run, "population_lag", "all", band):
            continue
        r = run.step("population_lag", "all", population_lag, data, populations=pair, band=edges,
                     population_column=column, rng=run.rng, name=band)
        if r is None:
            continue
        if r.reason:
            run.skip("population_lag", "all", f"undetermined: {r.reason}", band=band)
        out.append({"first": pair[0], "second": pair[1], "band": band, "lag": r.lag, "lag_ci": list(r.lag_ci),
                    "phase_degrees": r.phase_degrees, "phase_degrees_ci": list(r.phase_degrees_ci),
                    "peak_freq": r.peak_freq, "coherence": r.coherence, "reason": r.reason})
    return out
