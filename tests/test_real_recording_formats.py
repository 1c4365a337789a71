"""Issue 16's formats and time support on a real recording no one here simulated: the IBL Neuropixels session
of tests/test_rhythms_real.py (289 Kilosort clusters, 120 s, every spike on the 30 kHz sample clock).

IBL publishes spikes as ``spikes.clusters`` and ``spikes.times`` (a CSV of ``cluster,time``), and the sorter
behind them writes a Kilosort folder (uint64 sample indices, int32 clusters, params.py). Both layouts, written from
the real spikes, must read back to the same units and times; and cut into observed pieces, the recording's rates
and verdicts must be those of its observed time, with gaps making no rhythm.
"""

import warnings

import numpy as np
import pytest
from test_rhythms_real import BANDS, neuropixels  # noqa: F401  (the real recording, as a fixture)

from synchro import SynchroWarning, io
from synchro.rhythms import band_verdicts

FS = 30000.0


def test_ibl_cluster_time_csv_and_tsv_read_back_the_real_spikes(neuropixels, tmp_path):  # noqa: F811
    ids = neuropixels.units["id"]
    cluster = ids[neuropixels.unit_index]
    for suffix, sep in ((".csv", ","), (".tsv", "\t")):
        path = tmp_path / f"spikes{suffix}"
        with open(path, "w") as f:  # IBL's order: all spikes by time, clusters mixed
            order = np.argsort(neuropixels.times, kind="stable")
            f.write(f"cluster{sep}time\n" + "".join(f"{c}{sep}{t!r}\n" for c, t in
                                                    zip(cluster[order].tolist(), neuropixels.times[order].tolist())))
        rec = io.read(path, columns="unit=cluster,time=time", t_stop=120.0)
        assert rec.spikes.units["id"].tolist() == ids.tolist()
        np.testing.assert_array_equal(rec.spikes.times, neuropixels.times)  # repr round-trips floats exactly
        np.testing.assert_array_equal(rec.spikes.offsets, neuropixels.offsets)


def test_kilosort_folder_of_the_real_spikes(neuropixels, tmp_path):  # noqa: F811
    # The sorter's sample indices: IBL's times are these over 30 kHz plus a clock-sync shift (under half a sample).
    samples = np.rint(neuropixels.times * FS)
    assert np.max(np.abs(samples / FS - neuropixels.times)) < 0.5 / FS
    ids = neuropixels.units["id"]
    order = np.argsort(samples, kind="stable")
    np.save(tmp_path / "spike_times.npy", samples[order].astype(np.uint64).reshape(-1, 1))
    np.save(tmp_path / "spike_clusters.npy", ids[neuropixels.unit_index][order].astype(np.int32))
    (tmp_path / "params.py").write_text("sample_rate = 30000.\nn_channels_dat = 385\ndtype = 'int16'\n")
    rec = io.read(tmp_path, t_stop=120.0)
    assert rec.metadata["format"] == "phy" and rec.spikes.units["id"].tolist() == ids.tolist()
    np.testing.assert_array_equal(rec.spikes.times, samples / FS)
    np.testing.assert_array_equal(rec.spikes.offsets, neuropixels.offsets)


def test_real_recording_cut_into_observed_pieces(neuropixels):  # noqa: F811
    """Keep 4 s of every 5 s (24 pieces, 96 s observed). The rates are the spikes over observed time; and since
    the recording has no rhythm above 8 Hz (test_rhythms_real: broadband, peaks under 1.3x), its observed pieces
    must have none either: the gaps (a 5 s comb) must not make one, and the shared slow drive stays
    "broadband", as on the whole recording."""
    pieces = np.column_stack([np.arange(0, 120, 5.0), np.arange(0, 120, 5.0) + 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynchroWarning)
        gapped = neuropixels.restrict_to_intervals(pieces)
    assert gapped.observed_duration == pytest.approx(96.0)
    np.testing.assert_allclose(gapped.rates, gapped.spike_counts / 96.0)
    res = band_verdicts(gapped, bands={k: BANDS[k] for k in ("alpha", "beta", "gamma")}, rng=0)
    assert res.words == {"alpha": "broadband", "beta": "broadband", "gamma": "broadband"}, res.summary()
    assert res.spectrum.parameters["nperseg"] <= 4000  # segments fit inside the 4 s pieces
