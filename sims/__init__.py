"""Reference Brian2 Izhikevich networks for synchro.

:func:`izhikevich2003` (the published net.m network and variants),
:func:`izhikevich2007` (the quadratic network of the Brian forum),
:func:`run_neuron` (one neuron of a classic firing type) and
:func:`simulate`, the entry point of the command line. Every run returns a
:class:`synchro.Recording`; :func:`to_nwb` and :func:`to_neo` hand it on.

Running a network needs brian2, synchro's ``sims`` extra (``pip install
"synchro[sims]"``); without it the run functions raise
:class:`synchro.errors.MissingDependencyError` saying so. Importing this
package does not import brian2.
"""

from ._brian import CODEGEN_TARGETS
from .api import MODELS, simulate, to_neo, to_nwb
from .izhikevich2003 import izhikevich2003
from .izhikevich2007 import izhikevich2007
from .neuron_types import NEURON_TYPES, run_neuron
from .options import SlowVariable, TsodyksMarkram, tsodyks_markram_steady_state

__all__ = ["simulate", "izhikevich2003", "izhikevich2007", "run_neuron", "NEURON_TYPES", "MODELS", "to_nwb",
           "to_neo", "TsodyksMarkram", "SlowVariable", "tsodyks_markram_steady_state", "CODEGEN_TARGETS"]
