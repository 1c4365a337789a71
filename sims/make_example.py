"""Regenerate the example bundled with synchro: 2 s of the Izhikevich (2003) network, net.m scheme, seed 2003.

Run ``python -m sims.make_example``. It lives in ``sims`` (which may import synchro, never the reverse) so that
the published algorithm is written once, in :mod:`sims.izhikevich2003`. Only the spikes with their unit ids and
populations are stored (no field proxy, no per-neuron a, b, c, d), to keep the file under 200 kB.
"""

from pathlib import Path

from synchro.core import Recording, SpikeData
from synchro.io import example_path, write_npz

from .api import simulate


def main() -> Path:
    """Simulate and write the example NPZ over the bundled one.

    Returns
    -------
    pathlib.Path
        The written file (``synchro.io.example_path()``).
    """
    rec = simulate("izhikevich2003", scheme="netm", duration=2.0, rng=2003)
    s = rec.spikes
    units = {"id": s.units["id"], "population": s.units["population"]}
    spikes = SpikeData(s.times, s.offsets, units, s.t_start, s.t_stop, metadata=s.metadata)
    return write_npz(Recording(spikes, metadata=rec.metadata), example_path(), overwrite=True)


if __name__ == "__main__":
    print(main())
