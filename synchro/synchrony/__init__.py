"""Synchrony of a population: how much units fire together, beyond chance.

Every function takes a :class:`~synchro.core.SpikeData` (``golomb_chi`` also
a :class:`~synchro.core.Signal` of membrane potentials) and returns one
frozen result with ``to_dict()`` and ``plot(ax=None)``.

==========================  ===================================================
``golomb_chi``              Golomb's chi from potentials or filtered spikes *
``sttc_matrix``             spike time tiling coefficient, all pairs *
``spike_sync_matrix``       SPIKE-synchronization, pair matrix and population *
``spike_sync``              SPIKE-synchronization, population value only *
``spike_contrast``          spike contrast over shrinking bins *
``correlation_matrix``      Pearson correlation of binned counts
``population_fano``         Fano factor of population counts per bin width *
``kuramoto_order``          Kuramoto order of spike-interpolated phases
==========================  ===================================================

Measures marked * carry a chance level: the same statistic on
``n_surrogates`` surrogates of the data (:mod:`synchro.surrogates`, circular
shift by default), reported in the fields every such result shares
(:class:`AgainstChance`): ``chance`` (the null mean), ``chance_sd``, ``z``,
the one-sided Monte Carlo ``p`` and the null's ``null``, ``n_surrogates``,
``dither_window`` and ``seed``. An index without its chance level says
little: independent trains have a SPIKE-synchronization near 0.5.
Pairwise nulls are computed on a seeded sample of ``null_pairs`` pairs.

Every function takes ``population=None, population_column="population"``
to analyse one population of the unit table.

Every measure uses observed time only (the :attr:`~synchro.core.SpikeData.support`):
a gap in the observation intervals is neither silence nor coincidence; see
each function for how its definition extends to gapped data. Data without
gaps give the same numbers as before the rule existed.

Pairwise measures compute every pair for up to ``max_units`` units (default
5000: a 5000 x 5000 matrix is 200 MB) with numba kernels that visit each
spike's neighbours in global time order once (times in
``benchmarks/bench_synchrony.py``); above that they use a
seeded uniform sample of ``n_pairs`` distinct pairs, merged pair by pair,
return no matrix, and report the sample size.
"""

from ._common import AgainstChance
from .chi import GolombChi, golomb_chi
from .contrast import SpikeContrast, spike_contrast
from .correlation import CorrelationMatrix, correlation_matrix
from .pairwise import MAX_UNITS_ALL_PAIRS, Sttc, sttc_matrix
from .population import KuramotoOrder, PopulationFano, kuramoto_order, population_fano
from .spike_sync import SpikeSync, SpikeSyncMatrix, spike_sync, spike_sync_matrix

__all__ = [
    "AgainstChance",
    "GolombChi",
    "Sttc",
    "SpikeSyncMatrix",
    "SpikeSync",
    "SpikeContrast",
    "CorrelationMatrix",
    "PopulationFano",
    "KuramotoOrder",
    "golomb_chi",
    "sttc_matrix",
    "spike_sync_matrix",
    "spike_sync",
    "spike_contrast",
    "correlation_matrix",
    "population_fano",
    "kuramoto_order",
    "MAX_UNITS_ALL_PAIRS",
]
