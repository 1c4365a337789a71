"""Series of an NWB file read as :class:`~synchro.core.Signal`: the LFP chosen, sliced to the spikes, in volts."""

from __future__ import annotations

import numpy as np

from ...core import Signal
from ...core.binning import sample_window
from ...core.checks import float_times, number, whole_numbers
from ...errors import NotInFileError, SignalError
from ..assembly import warn
from .layout import VOLT_SCALE, chosen_path, text_attr

__all__ = ["pick_lfp", "read_series", "electrode_channels"]


def pick_lfp(typed: dict[str, str], lfp, source: str) -> str | None:
    """Path of the ElectricalSeries read as the LFP: the one ``lfp`` names, or for "auto" the first found (None).

    With "auto", series inside an ``LFP`` container come first (the raw
    acquisition is rarely what is wanted), then by path.

    Parameters
    ----------
    typed : dict of str to str
        Path -> neurodata_type of the file's objects
        (:func:`~synchro.io.nwb.layout.typed_objects`).
    lfp : str
        "auto", or the path of the ElectricalSeries to read (leading slash
        optional).
    source : str
        The file's name, for messages.

    Returns
    -------
    str or None
        Path of the chosen series, without leading slash; None when ``lfp``
        is "auto" and the file holds no ElectricalSeries.

    Raises
    ------
    NotInFileError
        ``lfp`` names no ElectricalSeries of the file.

    Warns
    -----
    SynchroWarning
        With "auto", when the file holds several ElectricalSeries: names the
        one read and those ignored.
    """
    series = [k for k, t in typed.items() if t == "ElectricalSeries"]
    if lfp != "auto":
        return chosen_path(lfp, series, NotInFileError, "ElectricalSeries", source)
    if not series:
        return None
    # Series inside an LFP container first: the raw 30 kHz acquisition is rarely what is wanted.
    series.sort(key=lambda k: (typed.get(k.rpartition("/")[0]) != "LFP", k))
    if len(series) > 1:
        warn(f"{source} holds several ElectricalSeries; read /{series[0]} as the LFP and ignored "
             f"{', '.join('/' + s for s in series[1:])}; choose with lfp='path' (CLI: --lfp)")
    return series[0]


def read_series(f, path: str, t_start: float, t_stop: float, stored: dict | None, *, name: str,
                volts: bool, source: str) -> Signal | None:
    """The part of a TimeSeries overlapping [t_start, t_stop), in physical units; None (warned) if none.

    Samples are scaled by the series' ``conversion`` (and
    ``channel_conversion`` per channel) and shifted by its ``offset``; the
    sampling rate comes from ``starting_time`` or from regular
    ``timestamps``.

    Parameters
    ----------
    f : h5py.File
        The open NWB file.
    path : str
        Path of the TimeSeries group, without leading slash.
    t_start, t_stop : float
        Window to read, in seconds (the spikes' bounds).
    stored : dict or None
        The series' entry in the metadata synchro stores when it writes the
        file (``channels``, ``units``); None for a series synchro did not
        write.
    name : str
        Name of the returned signal ("LFP").
    volts : bool
        Convert to volts from the data's ``unit`` attribute (V, mV, uV; an
        absent or unknown unit is taken as volts) and label the signal "V";
        False keeps the stored unit.
    source : str
        The file's name, for messages.

    Returns
    -------
    Signal or None
        The samples in the window, sampling rate in Hz, start time in
        seconds, channels from ``stored`` or the series' electrodes; None
        when the series does not overlap the window.

    Raises
    ------
    SignalError
        Data that is not a non-empty 1-D or 2-D numeric array, no
        ``starting_time`` or ``timestamps``, irregular timestamps, no usable
        sampling rate, or a ``channel_conversion`` of the wrong length.
    InvalidDataError
        A rate, start time, timestamps, conversion or offset that is not a
        number, or electrode rows or ids that are not whole numbers.

    Warns
    -----
    SynchroWarning
        When the series does not overlap [t_start, t_stop).
    """
    g = f[path]
    data = g["data"]
    if data.dtype.kind not in "iuf" or data.ndim not in (1, 2) or data.shape[0] == 0:
        raise SignalError(f"{source}: /{path}/data must be a 1-D or 2-D array of numbers (samples x channels); "
                          f"found {data.dtype}, shape {data.shape}; re-export it or pass lfp=None (CLI: --lfp none)")
    if "starting_time" in g:
        fs = number(g["starting_time"].attrs.get("rate"), f"/{path}/starting_time rate", source)
        first = number(g["starting_time"][()], f"/{path}/starting_time", source)
    elif "timestamps" in g:
        ts = float_times(g["timestamps"][()], f"/{path}/timestamps", source)
        step = np.diff(ts)
        # The mean step over the whole span: less sensitive to timestamp jitter than any single step.
        fs = (ts.size - 1) / float(ts[-1] - ts[0]) if step.size and ts[-1] > ts[0] else 0.0
        if step.size and np.max(np.abs(step * fs - 1.0)) > 0.01:
            raise SignalError(f"/{path} is sampled irregularly (steps vary by more than 1 %); resample it to a "
                              "regular rate before analysis")
        first = float(ts[0]) if ts.size else 0.0
    else:
        raise SignalError(f"/{path} has neither starting_time nor timestamps; the file is incomplete")
    if not fs > 0:
        raise SignalError(f"/{path} has no usable sampling rate; the file is incomplete")
    n = data.shape[0]
    i0, i1 = sample_window(t_start, t_stop, first, fs, n)
    if i1 <= i0:
        warn(f"/{path} ({first:g}-{first + n / fs:g} s) does not overlap the spikes ({t_start:g}-{t_stop:g} s); "
             f"read no {name}")
        return None
    values = data[i0:i1].astype(np.float64, copy=False)
    conversion = number(data.attrs.get("conversion", 1.0), f"/{path}/data conversion", source)
    offset = number(data.attrs.get("offset", 0.0), f"/{path}/data offset", source)
    if volts:
        unit = text_attr(data, "unit") or "volts"
        conversion *= VOLT_SCALE.get(unit, 1.0)
    if "channel_conversion" in g:
        per_channel = float_times(g["channel_conversion"][()], f"/{path}/channel_conversion", source)
        if per_channel.size != (1 if values.ndim == 1 else values.shape[1]):
            raise SignalError(f"{source}: /{path}/channel_conversion has {per_channel.size} values for "
                              f"{1 if values.ndim == 1 else values.shape[1]} channels; the file is corrupt")
        values = values * (conversion * per_channel)
    elif conversion != 1.0:
        values = values * conversion
    if offset != 0.0:
        values = values + offset
    channels = stored.get("channels") if stored else None
    if channels is None and "electrodes" in g:
        channels = electrode_channels(f, g["electrodes"], source=source)
    units = "V" if volts else (stored or {}).get("units", text_attr(data, "unit") or "")
    return Signal(values, fs, first + i0 / fs, units=units, channels=channels, name=name,
                  metadata={"nwb_path": "/" + path})


def electrode_channels(f, region, *, source: str) -> dict:
    """Channel table of a series from its electrodes region: electrode ids and, when stored, locations.

    Parameters
    ----------
    f : h5py.File
        The open NWB file.
    region : h5py.Dataset
        The series' ``electrodes`` dataset: rows of the electrode table, one
        per channel, with a ``table`` reference to it.
    source : str
        The file's name, for messages.

    Returns
    -------
    dict of str to ndarray
        ``electrode_id`` (int64, one per channel) and, when the electrode
        table stores text locations, ``location`` (object). Without a
        readable electrode table, ``electrode_id`` holds the row numbers.

    Raises
    ------
    InvalidDataError
        Rows or electrode ids that are not whole numbers.
    SignalError
        Rows outside the electrode table.
    """
    rows = whole_numbers(region[()], f"{region.name}", source, floats=False)
    import h5py

    ref = region.attrs.get("table")
    try:
        table = f[ref] if isinstance(ref, h5py.Reference) else f.get("general/extracellular_ephys/electrodes")
    except (ValueError, KeyError):  # a reference to nothing: the channels keep their row numbers
        table = None
    if table is None or "id" not in table:
        return {"electrode_id": rows}
    ids = whole_numbers(table["id"][()], f"{table.name}/id", source)
    if rows.size and (rows.min() < 0 or rows.max() >= len(ids)):
        raise SignalError(f"{source}: {region.name} points at rows {rows.min()}..{rows.max()} of an electrode table "
                          f"of {len(ids)}; the file is corrupt, re-export it or pass lfp=None (CLI: --lfp none)")
    channels = {"electrode_id": ids[rows]}
    location = table.get("location")
    if location is not None and location.ndim == 1 and len(location) == len(ids):
        if h5py.check_string_dtype(location.dtype):
            channels["location"] = location.asstr(encoding="utf-8", errors="replace")[()][rows].astype(object)
    return channels

