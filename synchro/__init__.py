"""synchro: does spiking data oscillate and synchronise, and is it real?

The core types are :class:`SpikeData` and :class:`Signal`
(:mod:`synchro.core`); readers and writers live in :mod:`synchro.io`;
analyses are plain functions in :mod:`synchro.rhythms`,
:mod:`synchro.synchrony` and :mod:`synchro.coupling`, each returning a small
frozen result object.
"""

from ._version import __version__
from .core import IntervalTable, Recording, Signal, SpikeData, UnitTable
from .errors import SynchroError, SynchroWarning

__all__ = ["__version__", "SpikeData", "Signal", "Recording", "UnitTable", "IntervalTable", "SynchroError",
           "SynchroWarning"]
