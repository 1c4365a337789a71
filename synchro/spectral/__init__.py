"""Population rate and its power spectrum (the aperiodic background is :mod:`synchro.aperiodic`).

The spectrum of spiking is taken from the population rate binned at 1 ms
or finer, never from a smoothed rate: a Gaussian kernel of width sigma
multiplies the spectrum by ``exp(-(2 pi f sigma)^2)`` (a 5 ms kernel removes
80 % of the power at 40 Hz), and bins wider than 1 ms attenuate (``sinc^2``)
and alias everything above ``1 / (2 bin_width)``.

Normalisation used throughout: the population rate is
``r(t) = count(t) / (n_units * bin_width)`` in spikes/s per unit, its mean is
removed, and the one-sided power spectral density is in (spikes/s)^2/Hz,
integrating over ``[0, fs/2]`` to the variance of ``r`` (scipy's
``scaling="density"`` convention). For ``N`` independent Poisson trains of
mean rate ``nu`` the binned counts are white with variance
``N nu bin_width``, so ``r`` has variance ``nu / (N bin_width)`` and the
one-sided PSD is flat at ``2 nu / N``: the expected floor reported with
every spectrum. Refractory trains approach the same level at high frequency.

Time support: on data observed in several intervals (``SpikeData.support``),
a gap is unknown, not silent. The population rate is NaN there, Welch
segments are taken only inside observed stretches (their degrees of freedom
count the segments used), and the mean rate and floor are over observed
bins; a zero-filled gap would otherwise put a comb of power at the gaps'
repetition frequency and its harmonics.

The spectrum is estimated by an estimator object, :class:`Welch` (the
default) or :class:`Multitaper`, passed as ``estimator=`` to
:func:`rate_spectrum`, :func:`synchro.rhythms.band_verdicts` and
:func:`synchro.coupling.spike_field_coherence`.

Modules: :mod:`~synchro.spectral.rate` (selection, binning, the rate),
:mod:`~synchro.spectral.estimators` (Welch, Multitaper and their layout on a
series), :mod:`~synchro.spectral.spectrum` (the rate spectrum).
"""

from .estimators import MIN_NPERSEG, EstimatorPlan, Multitaper, Welch, check_estimator
from .rate import (
    MAX_SPECTRAL_BIN_WIDTH,
    PopulationRate,
    check_spectral_bin_width,
    observed_runs,
    population_rate,
    rate_bins,
    select_spikes,
    spike_bins,
)
from .spectrum import PreparedRate, RateSpectrum, prepare_rate, rate_spectrum

__all__ = [
    "PopulationRate",
    "RateSpectrum",
    "Welch",
    "Multitaper",
    "population_rate",
    "rate_spectrum",
    "MAX_SPECTRAL_BIN_WIDTH",
    "EstimatorPlan",
    "PreparedRate",
    "prepare_rate",
    "check_estimator",
    "MIN_NPERSEG",
    "select_spikes",
    "rate_bins",
    "observed_runs",
    "check_spectral_bin_width",
    "spike_bins",
]
