"""Spike-field coupling: how spikes relate to a continuous field (LFP or a simulated field proxy).

``spike_field_coherence``
    Coherence between each unit's binned spikes (and the pooled population
    spikes) and one channel of a :class:`~synchro.core.Signal`, by Welch or
    multitaper estimates. Frequencies come first in the result, in Hz.
``spike_phases``
    Phase of the band-passed field (zero-phase Butterworth + Hilbert) at
    every spike.
``phase_locking``
    Per unit and for the population: PLV, PPC0 (Vinck et al. 2010), PPC1
    (across segments, Vinck et al. 2012), preferred phase and Rayleigh p.

Only the time span shared by spikes and signal is analysed; a signal that
does not overlap the spikes, or is sampled too slowly for the band, raises
:class:`~synchro.errors.SignalError`. Within it, only observed time counts
(the spikes' :attr:`~synchro.core.SpikeData.support`): spectra use segments
inside one observation interval, and the field is filtered one observed
stretch at a time, so nothing recorded in a gap reaches a spike.
"""

from .coherence import SpikeFieldCoherence, spike_field_coherence
from .field import align_field
from .locking import PhaseLocking, SpikePhases, phase_locking, spike_phases

__all__ = [
    "SpikeFieldCoherence",
    "SpikePhases",
    "PhaseLocking",
    "spike_field_coherence",
    "spike_phases",
    "phase_locking",
    "align_field",
]
