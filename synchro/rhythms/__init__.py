"""Calibrated verdicts on population rhythms: is there alpha, is there gamma?

The entry point is :func:`band_verdicts`. Each band gets one of four words:

``present``
    A spectral **peak** in the band stands above the aperiodic background
    (peak test), and the band holds power beyond what independent units
    give (independence test). An oscillation.
``broadband``
    Units co-fluctuate beyond independence in the band, but there is no
    peak above the aperiodic background: co-modulated, no rhythm (a shared
    slow drive, up/down states).
``absent``
    Neither.
``undetermined``
    The data cannot answer (recording too short for the band, band not
    resolved, too few spikes, or the background model does not fit the
    spectrum); the reason is given.

Two tests, each Holm-corrected across the bands:

* **independence** (``p_independent``): the band maximum of the
  population spectrum over the mean spectrum of data and surrogates, in
  which every train is resampled independently (by default an independent
  circular shift, which keeps every unit's own spectrum: rate,
  refractoriness, bursts, single-unit regularity) and destroys only the
  alignment across units. Passing it shows *shared* power, of any shape.
* **peak** (``p_peak``, :func:`synchro.aperiodic.peak_test`): the
  aperiodic background is the surrogates' mean spectrum (the
  independent-units part, measured) plus a white part with a dip and a
  smooth falling part (:mod:`synchro.aperiodic`), fitted with the band left
  out; the statistic is the largest local maximum of spectrum / background
  in the band; the null is a parametric bootstrap: series simulated with the
  background's spectrum (and the data's peaks outside the band), estimated
  and refitted the same way.

``undetermined`` for a background that lies well above the spectrum around
the band applies only where the verdict would be broadband or absent: such a
background can hide a peak, never make one.

With one unit there is no independence test; the verdict is about that
unit's own rhythmicity (``single_unit``), against a white floor with a
refractory dip plus the falling part.

Phase-amplitude coupling (:func:`phase_amplitude_coupling`,
:func:`comodulogram`, module ``synchro.rhythms.pac``): Tort's modulation
index of a slow band's phase with a fast band's amplitude in the population
rate, against a null that shifts the amplitude against the phase.
"""

from ..aperiodic import AperiodicFit, fit_aperiodic
from ..spectral import Multitaper, PopulationRate, RateSpectrum, Welch, population_rate, rate_spectrum
from .nulls import ENVELOPE_WIDTH, null_spectra, shot_noise_envelope
from .pac import (
    AMPLITUDES,
    EDGE_CYCLES,
    MIN_LAG_CYCLES,
    MIN_PAC_CYCLES,
    PAC_NULLS,
    Comodulogram,
    PhaseAmplitudeCoupling,
    comodulogram,
    modulation_index,
    phase_amplitude_coupling,
)
from .results import BandVerdict, RhythmResult
from .verdicts import (
    DEFAULT_BANDS,
    MAX_OVERSHOOT,
    MIN_BINS,
    MIN_CYCLES,
    MIN_SPIKES,
    VERDICT_RULES,
    VERDICTS,
    band_verdicts,
    check_bands,
    check_surrogates,
    default_freq_range,
    holm,
    min_surrogates,
)

__all__ = [
    "band_verdicts",
    "min_surrogates",
    "check_surrogates",
    "check_bands",
    "default_freq_range",
    "BandVerdict",
    "RhythmResult",
    "DEFAULT_BANDS",
    "VERDICTS",
    "VERDICT_RULES",
    "MIN_SPIKES",
    "MIN_CYCLES",
    "MIN_BINS",
    "MAX_OVERSHOOT",
    "population_rate",
    "rate_spectrum",
    "fit_aperiodic",
    "PopulationRate",
    "RateSpectrum",
    "AperiodicFit",
    "Welch",
    "Multitaper",
    "holm",
    "null_spectra",
    "shot_noise_envelope",
    "ENVELOPE_WIDTH",
    "phase_amplitude_coupling",
    "comodulogram",
    "modulation_index",
    "PhaseAmplitudeCoupling",
    "Comodulogram",
    "PAC_NULLS",
    "AMPLITUDES",
    "EDGE_CYCLES",
    "MIN_LAG_CYCLES",
    "MIN_PAC_CYCLES",
]

