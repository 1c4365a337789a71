"""NWB (Neurodata Without Borders) files: read lazily with h5py, write with pynwb.

Reading goes through h5py rather than pynwb or ``neo.io.NWBIO``: only the
datasets needed are touched (spike times in one read, LFP sliced to the
spikes' window), which reads 1e7 spikes in well under a second, and
malformed files fail with specific errors instead of deep pynwb tracebacks.

Recording bounds, in order of precedence: the ``t_start``/``t_stop``
arguments; the bounds synchro stored when it wrote the file; the Units
table's ``obs_intervals`` (earliest start, latest stop); the span of the
``trials`` or ``epochs`` table when it holds every spike; else ``t_start=0``
and ``t_stop`` = the whole second after the last spike, with a
:class:`~synchro.errors.SynchroWarning` saying so (rates are then upper
bounds: pass the true ``t_stop``, CLI ``--t-stop``). Spikes outside the
``obs_intervals`` are dropped with a warning whatever the bounds.

Interval tables (``/intervals/epochs``, ``/intervals/trials``, any
``TimeIntervals``) are read into ``recording.intervals`` as
:class:`~synchro.core.IntervalTable` (start and stop in seconds, the
table's columns, ragged text columns such as the epochs' ``tags`` as tuples)
and written back by :func:`write_nwb`.

Files written by :func:`write_nwb` keep the recording's metadata and
bounds as JSON in ``/scratch/synchro_metadata``.
"""

from .layout import METADATA_PATH
from .read import read_nwb
from .write import write_nwb

__all__ = ["read_nwb", "write_nwb", "METADATA_PATH"]
