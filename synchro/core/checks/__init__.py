"""Every check of values in one place, so each problem has one message everywhere.

:mod:`~synchro.core.checks.data`
    Spike data, for the data types and every reader: time units, recording bounds, bin counts, the layout.
:mod:`~synchro.core.checks.fields`
    Values read from files (numbers, times, ids, intervals), for every reader.
:mod:`~synchro.core.checks.arguments`
    Arguments of analyses and readers (spike data given, durations, counts, the curation filter). It knows
    :class:`~synchro.core.SpikeData`, which imports this package, so it is imported from its own module:
    ``from synchro.core.checks.arguments import require_spikes``.
"""

from .data import (
    check_bin_count,
    check_bounds_unit,
    check_finite,
    check_layout,
    check_time_unit,
    count_unsorted,
    freeze,
    time_scale,
    train_times,
    unit_offsets,
)
from .fields import EXACT_FLOAT_INTEGER, float_times, interval_pairs, number, whole_numbers

__all__ = ["check_time_unit", "check_bounds_unit", "check_bin_count", "check_finite", "check_layout", "time_scale",
           "freeze", "train_times", "unit_offsets", "count_unsorted", "EXACT_FLOAT_INTEGER", "number", "float_times",
           "whole_numbers", "interval_pairs"]
