"""The two data types every synchro analysis works on.

:class:`SpikeData`
    All spikes of one recording or simulation: one flat float64 array of
    spike times in seconds, grouped by unit and sorted within each unit (the
    layout of an NWB Units table), an integer unit index aligned with it, a
    :class:`UnitTable` describing the units, and explicit recording bounds
    ``t_start``/``t_stop``. Per-unit trains are slices (views, no copy).

:class:`Signal`
    A regularly sampled continuous signal (LFP, field proxy, membrane
    potential): ``samples x channels``, sampling rate in Hz, start time in
    seconds, physical units and a channel table.

Readers and writers for NWB, Neo, Brian2, NPZ and CSV live in
:mod:`synchro.io`; they all produce and consume these two types.

Why grouped by unit rather than globally time-sorted: NWB stores spikes that
way, so reading 1e7 spikes needs no sort (a global argsort costs about 1 s),
and per-unit work (STTC, phases, surrogates) gets zero-copy slices. Analyses
over the population (rates, spectra) do not depend on spike order; the
global time order is available, computed once, from
:meth:`SpikeData.time_sorted`.
"""

from .checks import check_bin_count, check_bounds_unit, check_time_unit
from .epochs import LABEL_COLUMNS, IntervalTable, split_by_intervals
from .intervals import intersect_intervals, interval_index, merge_intervals, support_bins, unit_spans
from .signal import Recording, Signal
from .spikes import SpikeData
from .units import NOISE_QUALITIES, REQUIRED_UNIT_COLUMNS, UnitTable

__all__ = ["UnitTable", "SpikeData", "Signal", "IntervalTable", "Recording", "REQUIRED_UNIT_COLUMNS",
           "NOISE_QUALITIES", "LABEL_COLUMNS", "merge_intervals", "intersect_intervals", "support_bins",
           "interval_index", "unit_spans", "split_by_intervals", "check_time_unit", "check_bounds_unit",
           "check_bin_count", "MAX_BINS"]

#: Most time bins an analysis allocates (2**28: 2 GiB per float64 array, 3.1 days at 1 ms). Past it, the bounds
#: are almost always in the wrong unit; raise it here to analyse longer recordings at full resolution.
MAX_BINS = 2**28

#: Bounds and spike times whose spans differ by this factor or more are taken to be in different units.
BOUNDS_UNIT_RATIO = 300.0
