"""Every malformed input raises its specific error with a telling message, and is never modified."""

import hashlib

import pytest
from malformed import build_malformed_corpus

import synchro.io
from synchro.errors import SynchroError

CASE_NAMES = [
    "missing_file", "directory", "unsupported_suffix", "text_as_nwb", "hdf5_not_nwb", "truncated_nwb",
    "csv_is_binary", "fifo", "csv_symlink_to_device", "symlink_loop",
    "nwb_no_units", "nwb_two_units_tables", "nwb_unknown_units_choice", "nwb_unknown_lfp_choice",
    "nwb_units_without_spike_times", "nwb_nan_times", "nwb_corrupt_index", "nwb_times_in_ms",
    "nwb_t_stop_before_last_spike", "nwb_all_units_noise", "nwb_irregular_lfp", "nwb_damaged_synchro_metadata",
    "nwb_synchro_metadata_not_object", "nwb_synchro_metadata_t_stop_text", "nwb_spike_times_bytes",
    "nwb_spike_times_2d", "nwb_ids_text", "nwb_float_spike_times_index",
    "csv_empty", "csv_header_only", "csv_missing_column",
    "csv_non_numeric", "csv_nan", "csv_sample_indices", "csv_fractional_unit_ids",
    "csv_t_stop_text", "csv_unit_ids_text", "csv_unit_ids_beyond_int64", "csv_t_stop_in_milliseconds",
    "phy_without_sample_rate",
    "npz_missing_keys", "npz_not_zip",
    "npz_pickled_objects", "npz_no_units", "npz_t_stop_before_t_start", "npz_unit_index_out_of_range",
    "npz_t_stop_text", "npz_t_stop_array", "npz_metadata_not_object", "npz_intervals_not_pairs", "npz_float16_times",
    "npz_text_times", "npz_signal_channels_scalar",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {case.name: case for case in build_malformed_corpus(tmp_path_factory.mktemp("malformed"))}


def test_corpus_is_listed_in_full(corpus):
    assert sorted(corpus) == sorted(CASE_NAMES)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@pytest.mark.parametrize("name", CASE_NAMES)
@pytest.mark.filterwarnings("ignore::synchro.errors.SynchroWarning")  # repairs made before the fatal problem
def test_malformed_input_raises_specific_error(corpus, name):
    case = corpus[name]
    before = _digest(case.path)
    with pytest.raises(case.error, match=case.match) as info:
        synchro.io.read(case.path, **case.kwargs)
    # The exact class, not a parent: the CLI maps classes to exit codes and messages.
    assert type(info.value) is case.error
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    assert isinstance(info.value, SynchroError) and info.value.exit_code in (2, 3, 4, 5)
    assert _digest(case.path) == before


def test_cli_args_spell_read_keywords(corpus):
    assert corpus["nwb_t_stop_before_last_spike"].cli_args == ["--t-stop", "2.0"]
    assert corpus["nwb_unknown_units_choice"].cli_args == ["--units", "units9"]
    assert corpus["nwb_unknown_lfp_choice"].cli_args == ["--lfp", "nope"]
