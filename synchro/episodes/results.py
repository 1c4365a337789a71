"""What :func:`~synchro.episodes.rhythm_episodes` returns: episodes per band in a :class:`RhythmEpisodes`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..aperiodic import AperiodicFit
from ..plotting import new_axes, plain_label
from ..results import Result, jsonable

__all__ = ["Episode", "BandEpisodes", "RhythmEpisodes"]

#: Most time columns a time-frequency map draws (a figure is about 1000 pixels wide).
MAX_COLUMNS = 1000


@dataclass(frozen=True)
class Episode:
    """One stretch of time in which a band's power stands above the aperiodic background.

    Attributes
    ----------
    start, stop : float
        Onset and offset (s).
    duration : float
        ``stop - start`` (s).
    cycles : float
        ``duration * peak_hz``.
    peak_hz : float
        Frequency of the largest mean normalised power over the episode (Hz), interpolated between wavelets.
    power_ratio : float
        Mean wavelet power over the background at ``peak_hz``'s nearest wavelet during the episode.
    """

    start: float
    stop: float
    duration: float
    cycles: float
    peak_hz: float
    power_ratio: float


@dataclass(frozen=True, eq=False)
class BandEpisodes:
    """The episodes of one band, their share of time and the time-frequency map they were found on.

    Attributes
    ----------
    name : str
        Band name.
    band : tuple of float
        Band ``[low, high)`` (Hz).
    episodes : tuple of Episode
        In time order.
    fraction_in_rhythm : float
        Time in episodes over the assessed time (observed time less each stretch's cone of influence); NaN
        when no time could be assessed.
    episodes_per_minute : float
        Episodes per minute of assessed time; NaN when none could be assessed.
    assessed_duration : float
        Time (s) assessed: observed, at least a cone of influence away from every edge of an observed stretch.
    threshold : float
        Normalised power (band maximum) that an episode exceeds throughout, calibrated under the aperiodic null.
    min_duration : float
        Shortest episode (s): ``min_cycles / reference_hz``, rounded up to whole samples of the map.
    reference_hz : float
        Frequency (Hz) setting the minimum duration: the band's largest peak of spectrum over background
        in the whole recording, or the band's geometric centre when the band holds none.
    cone : float
        Time (s) dropped at each edge of an observed stretch.
    reason : str
        Why no episode could be looked for (empty otherwise).
    freqs : ndarray
        Wavelet centres (Hz).
    times : ndarray
        Times of the map's samples (s).
    power : ndarray, shape (n_freqs, n_times)
        Wavelet power over the background (float32), NaN where not assessed (gaps and cones).
    """

    name: str
    band: tuple[float, float]
    episodes: tuple[Episode, ...]
    fraction_in_rhythm: float
    episodes_per_minute: float
    assessed_duration: float
    threshold: float
    min_duration: float
    reference_hz: float
    cone: float
    reason: str
    freqs: np.ndarray
    times: np.ndarray
    power: np.ndarray

    def table(self) -> dict:
        """The episodes as columns.

        Returns
        -------
        dict of str to ndarray
            ``start``, ``stop``, ``duration`` (s), ``cycles``, ``peak_hz`` (Hz), ``power_ratio``.
        """
        keys = ("start", "stop", "duration", "cycles", "peak_hz", "power_ratio")
        return {k: np.array([getattr(e, k) for e in self.episodes], dtype=np.float64) for k in keys}

    def sentence(self) -> str:
        """The band's episodes in one sentence.

        Returns
        -------
        str
            E.g. "gamma in 18 % of the recording, in 41 episodes of median 220 ms".
        """
        if self.reason:
            return f"{self.name}: no episodes looked for ({self.reason})"
        if not self.episodes:
            return f"{self.name}: no episode ({self.assessed_duration:.3g} s assessed)"
        median = float(np.median([e.duration for e in self.episodes]))
        n = len(self.episodes)
        return (f"{self.name} in {100 * self.fraction_in_rhythm:.0f} % of the recording, in {n} episode"
                f"{'s' if n != 1 else ''} of median {1e3 * median:.0f} ms")

    def to_dict(self) -> dict:
        """JSON-safe record: the episodes and the band's numbers (the map is left out).

        Returns
        -------
        dict
        """
        skip = {"freqs", "times", "power", "episodes"}
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in skip}
        out["episodes"] = [vars(e) for e in self.episodes]
        out["n_episodes"] = len(self.episodes)
        return jsonable(out)


@dataclass(frozen=True, eq=False)
class RhythmEpisodes(Result):
    """Rhythm episodes of a population rate, per band (:func:`~synchro.episodes.rhythm_episodes`).

    Attributes
    ----------
    bands : tuple of BandEpisodes
        One per band, in the order given.
    population : str or None
        Population analysed.
    n_units : int
        Units in it.
    observed_duration : float
        Observed time analysed (s).
    alpha : float
        Nominal share of time flagged under the aperiodic null.
    n_surrogates : int
        Null series simulated (each ``null_seconds`` long).
    null_seconds : float
        Length of each null series (s).
    seed : int or None
        Seed of the random source (None for a Generator passed in).
    n_cycles : float
        Cycles per Morlet wavelet.
    min_cycles : float
        Minimum episode duration in cycles of the reference frequency.
    aperiodic : AperiodicFit
        The background of the whole recording's rate spectrum.
    parameters : dict
        Binning and estimator of the spectrum, and the fixed rules.
    """

    analysis: ClassVar[str] = "rhythm_episodes"

    bands: tuple[BandEpisodes, ...]
    population: str | None
    n_units: int
    observed_duration: float
    alpha: float
    n_surrogates: int
    null_seconds: float
    seed: int | None
    n_cycles: float
    min_cycles: float
    aperiodic: AperiodicFit
    parameters: dict

    def __getitem__(self, name: str) -> BandEpisodes:
        for b in self.bands:
            if b.name == name:
                return b
        raise KeyError(f"no band {name!r}; bands are {[b.name for b in self.bands]}")

    def summary(self) -> str:
        """One sentence per band.

        Returns
        -------
        str
            E.g. "gamma in 18 % of the recording, in 41 episodes of median 220 ms".
        """
        who = self.population or "all units"
        head = (f"rhythm episodes ({who}, {self.n_units} units, {self.observed_duration:.3g} s observed; threshold "
                f"calibrated to flag {100 * self.alpha:g} % of aperiodic null time, at least {self.min_cycles:g} "
                "cycles)")
        return "\n".join([head, *("  " + b.sentence() for b in self.bands)])

    def to_dict(self) -> dict:
        """Analysis name, parameters, and per band the episodes and their share of time (maps left out).

        Returns
        -------
        dict
        """
        return jsonable({"analysis": self.analysis, "population": self.population, "n_units": self.n_units,
                         "observed_duration": self.observed_duration, "alpha": self.alpha,
                         "n_surrogates": self.n_surrogates, "null_seconds": self.null_seconds, "seed": self.seed,
                         "n_cycles": self.n_cycles, "min_cycles": self.min_cycles, "parameters": self.parameters,
                         "aperiodic": self.aperiodic, "bands": [b.to_dict() for b in self.bands]})

    def plot(self, ax=None):
        """Time-frequency map of the normalised power, every band on one axis, episodes outlined.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure by default.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from matplotlib.colors import LogNorm

        ax = new_axes(ax)
        mesh = None
        for b in self.bands:
            if b.power.size == 0:
                continue
            # More columns than pixels only cost rendering time.
            step = max(1, b.times.size // MAX_COLUMNS)
            mesh = ax.pcolormesh(b.times[::step], b.freqs, np.ma.masked_invalid(b.power[:, ::step]),
                                 shading="nearest", cmap="magma",
                                 norm=LogNorm(vmin=0.1, vmax=max(10.0, 2 * b.threshold)), rasterized=True)
            # All of a band's episodes as one collection of outlined spans (one artist, not one per episode).
            ax.broken_barh([(e.start, e.duration) for e in b.episodes], (b.band[0], b.band[1] - b.band[0]),
                           facecolors="none", edgecolors="c", lw=1)
            ax.text(b.times[0], b.band[1], plain_label(b.name), va="bottom", fontsize="small")
        if mesh is not None:
            bar = ax.figure.colorbar(mesh, ax=ax, label="power / aperiodic background")
            # Plain labels at the decades, no minor ticks: log ticks' mathtext made up most of the drawing time.
            top = mesh.norm.vmax
            ticks = [t for t in (0.1, 1.0, 10.0, 100.0) if t <= top]
            bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
            bar.ax.minorticks_off()
        ax.set_yscale("log")
        edges = sorted({edge for b in self.bands for edge in b.band})
        ax.set_yticks(edges, [f"{edge:g}" for edge in edges])
        ax.minorticks_off()
        ax.set_xlabel("time (s)")
        ax.set_ylabel("frequency (Hz)")
        return ax
