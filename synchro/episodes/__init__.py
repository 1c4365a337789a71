"""Rhythm episodes: when a population rhythm is there, for how long, and at what frequency.

A whole-recording spectrum averages an episode of strong gamma with long silence.
:func:`rhythm_episodes` finds the episodes: Morlet wavelet power of the population rate over the aperiodic
background of the whole recording's spectrum (:mod:`synchro.aperiodic`), above a threshold calibrated under
the aperiodic null (Gaussian series with the background's spectrum), for at least a few cycles. It returns a
:class:`RhythmEpisodes` with a table of episodes per band, the share of observed time in rhythm and episodes
per minute. Observed stretches are transformed one by one: no episode spans a gap, and the edges of each
stretch (the wavelets' cone of influence) are not assessed.
"""

from .detect import DEFAULT_ALPHA, INDEPENDENT_SHIFTS, MAX_CYCLES, MIN_WAVELET_CYCLES, default_n_cycles, rhythm_episodes
from .results import BandEpisodes, Episode, RhythmEpisodes
from .wavelets import CONE_SD, NULL_SECONDS

__all__ = ["rhythm_episodes", "RhythmEpisodes", "BandEpisodes", "Episode", "DEFAULT_ALPHA", "default_n_cycles",
           "MIN_WAVELET_CYCLES", "MAX_CYCLES", "INDEPENDENT_SHIFTS", "NULL_SECONDS", "CONE_SD"]
