"""End to end: a real Brian2 run of the Izhikevich (2003) network, through NWB, into synchrony and coupling."""

import numpy as np
import pytest

from synchro.coupling import phase_locking, spike_field_coherence
from synchro.spectral import Welch
from synchro.surrogates import surrogate_spikes
from synchro.synchrony import golomb_chi, sttc_matrix

# brian2 and pynwb come with the test extra (synchro[all]): no importorskip, so a broken install fails these tests.


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    from sims.api import simulate
    from synchro.io import read_nwb, write_nwb

    path = tmp_path_factory.mktemp("net") / "izh2003.nwb"
    write_nwb(simulate("izhikevich2003", duration=1.0, n=1000, rng=1), path)
    rec = read_nwb(path)
    return rec.spikes, rec.signals["field_proxy"]


def test_network_spikes_lock_to_its_field_and_shifted_spikes_do_not(network):
    spikes, field = network
    locked = phase_locking(spikes, field, band=(20.0, 45.0))
    assert locked.population_n_spikes > 3000
    assert locked.population_ppc0 > 0.02 and locked.population_rayleigh_p < 1e-10
    # Circularly shifted trains keep every unit's rate and rhythm but lose their alignment with the field.
    shifted = surrogate_spikes(spikes, n_surrogates=1, rng=0)[0]
    null = phase_locking(shifted, field, band=(20.0, 45.0))
    assert abs(null.population_ppc0) < locked.population_ppc0 / 5
    sfc = spike_field_coherence(spikes, field, estimator=Welch(nperseg=250))
    low = sfc.freqs <= 45
    assert np.nanmax(sfc.pooled[low]) > 0.5


def test_network_synchrony_exceeds_independent_floor_and_surrogates(network):
    spikes, _ = network
    chi = golomb_chi(spikes, n_surrogates=5, rng=0)
    assert chi.chi > 3 * chi.floor_chi and chi.z > 10
    assert chi.chance == pytest.approx(chi.floor_chi, rel=0.5)
    sttc = sttc_matrix(spikes, n_surrogates=5, rng=0)
    assert sttc.z > 10 and sttc.value > sttc.chance
