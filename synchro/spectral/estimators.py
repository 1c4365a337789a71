"""Spectral estimators: :class:`Welch` and :class:`Multitaper`, and their layout on one series.

An estimator object says *how* a spectrum is estimated (segments and taper,
or DPSS tapers); :meth:`Welch.plan` and :meth:`Multitaper.plan` lay it out on
one series (sampling rate, length, observed stretches) as an
:class:`EstimatorPlan`, which estimates the one-sided PSD of any number of
such series alike: the data, its surrogates and bootstrap series.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy

from ..core.compiled import FFT_WORKERS
from ..errors import UsageError
from ._welch import mean_periodogram

__all__ = ["Welch", "Multitaper", "EstimatorPlan", "check_estimator", "MIN_NPERSEG"]

MIN_NPERSEG = 8  #: Fewest samples in a Welch segment (a shorter segment resolves no band of interest).


@dataclass(frozen=True)
class Welch:
    """Welch's estimator: windowed, mean-removed segments, their periodograms averaged.

    Identical to ``scipy.signal.welch(x, fs, window=window, nperseg=nperseg,
    noverlap=noverlap, detrend="constant", scaling="density")``.

    Parameters
    ----------
    nperseg : int, optional
        Segment length in samples (bins of the rate); at least 8. Default:
        one second of samples (1 Hz resolution), capped at the record (or,
        with gaps in the time support, at its longest observed stretch); see
        :func:`~synchro.spectral.rate_spectrum`.
    noverlap : int, optional
        Overlap of consecutive segments in samples, in ``[0, nperseg)``;
        default ``nperseg // 2``.
    window : str or tuple, default "hann"
        Taper of each segment, any window ``scipy.signal.get_window``
        accepts (periodic).

    Raises
    ------
    UsageError
        A field out of range, or a window scipy does not know.
    """

    nperseg: int | None = None
    noverlap: int | None = None
    window: str | tuple = "hann"

    def __post_init__(self):
        if self.nperseg is not None:
            object.__setattr__(self, "nperseg", _count("nperseg", self.nperseg, MIN_NPERSEG, "Welch(nperseg=1000)"))
        if self.noverlap is not None:
            object.__setattr__(self, "noverlap", _count("noverlap", self.noverlap, 0, "Welch(noverlap=500)"))
            if self.nperseg is not None and self.noverlap >= self.nperseg:
                raise UsageError(f"noverlap must lie in [0, nperseg={self.nperseg}); got {self.noverlap}; "
                                 f"use e.g. Welch(nperseg={self.nperseg}, noverlap={self.nperseg // 2})")
        if isinstance(self.window, list):
            object.__setattr__(self, "window", tuple(self.window))
        if self.window == "hann":  # the default, built when synchro is imported: no scipy.signal import for it
            return
        try:
            scipy.signal.get_window(self.window, 16)
        except (ValueError, TypeError):
            raise UsageError(f"unknown window {self.window!r}; give a name scipy.signal.get_window knows, "
                             "e.g. Welch(window='hann')") from None

    def to_dict(self) -> dict:
        """JSON-safe record: ``name`` ("welch") and the fields.

        Returns
        -------
        dict
        """
        window = list(self.window) if isinstance(self.window, tuple) else self.window
        return {"name": "welch", "nperseg": self.nperseg, "noverlap": self.noverlap, "window": window}

    def plan(self, fs: float, n_samples: int, runs: np.ndarray | None = None) -> EstimatorPlan:
        """Lay the segments out on a series of ``n_samples`` samples at ``fs`` (Hz).

        Parameters
        ----------
        fs : float
            Sampling rate (Hz).
        n_samples : int
            Samples of the series.
        runs : ndarray of int, shape (k, 2), optional
            Observed stretches ``[first, stop)`` in samples; None when all is
            observed. Segments lie wholly inside one stretch, stepped from its start.

        Returns
        -------
        EstimatorPlan
            With ``nperseg`` and ``noverlap`` resolved.
        """
        longest = n_samples if runs is None else int(np.max(runs[:, 1] - runs[:, 0]))
        nperseg = _default_nperseg(fs, runs) if self.nperseg is None else self.nperseg
        nperseg = min(nperseg, longest)  # at least one segment: in the record, or in its longest observed run
        if nperseg < MIN_NPERSEG:
            raise UsageError(f"nperseg must be at least {MIN_NPERSEG} samples; got {nperseg}" + (
                "" if runs is None else f" (the longest observed stretch holds {longest} bins)"))
        noverlap = nperseg // 2 if self.noverlap is None else self.noverlap
        if not 0 <= noverlap < nperseg:
            raise UsageError(f"noverlap must lie in [0, nperseg={nperseg}); got {noverlap}; use a smaller "
                             "Welch(noverlap=...)")
        return EstimatorPlan(dataclasses.replace(self, nperseg=nperseg, noverlap=noverlap), fs, n_samples,
                             nperseg=nperseg, noverlap=noverlap, runs=runs)


@dataclass(frozen=True)
class Multitaper:
    """Thomson's multitaper estimator: DPSS tapers over one continuous record.

    Parameters
    ----------
    nw : float, default 4.0
        Time-half-bandwidth product, at least 1: ``floor(2 nw) - 1`` tapers
        and a resolution of ``2 nw / duration`` Hz.
    adaptive : bool, default False
        Thomson's adaptive weights instead of the tapers' eigenvalues.

    Raises
    ------
    UsageError
        ``nw`` below 1 or not a number.
    """

    nw: float = 4.0
    adaptive: bool = False

    def __post_init__(self):
        try:
            nw = float(self.nw)
        except (TypeError, ValueError):
            nw = float("nan")
        if isinstance(self.nw, bool) or not nw >= 1 or not np.isfinite(nw):
            raise UsageError(f"nw (time-half-bandwidth) must be a number >= 1; got {self.nw!r}; use e.g. "
                             "Multitaper(nw=4.0)")
        object.__setattr__(self, "nw", nw)
        object.__setattr__(self, "adaptive", bool(self.adaptive))

    @property
    def n_tapers(self) -> int:
        """Tapers used, ``floor(2 nw) - 1``."""
        return int(np.floor(2 * self.nw)) - 1

    def to_dict(self) -> dict:
        """JSON-safe record: ``name`` ("multitaper") and the fields.

        Returns
        -------
        dict
        """
        return {"name": "multitaper", "nw": self.nw, "adaptive": self.adaptive}

    def plan(self, fs: float, n_samples: int, runs: np.ndarray | None = None) -> EstimatorPlan:
        """Compute the tapers for a series of ``n_samples`` samples at ``fs`` (Hz).

        Parameters
        ----------
        fs : float
            Sampling rate (Hz).
        n_samples : int
            Samples of the series.
        runs : ndarray of int, shape (k, 2), optional
            Observed stretches ``[first, stop)`` in samples; at most one
            (tapers span one continuous record).

        Returns
        -------
        EstimatorPlan
        """
        if runs is not None and len(runs) > 1:
            # Tapers span one continuous record; across gaps they would taper zeros that were never observed.
            raise UsageError(f"Multitaper() needs one continuous observed stretch, and these data have {len(runs)} "
                             "(gaps in the observation intervals); use estimator=Welch(), which averages segments "
                             "inside each interval, or restrict the data to one interval")
        longest = n_samples if runs is None else int(runs[0, 1] - runs[0, 0])
        if not self.n_tapers < longest:
            raise UsageError(f"Multitaper(nw={self.nw:g}) gives {self.n_tapers} tapers, not fewer than the "
                             f"{longest} samples; use a smaller nw or a longer record")
        tapers, ratios = scipy.signal.windows.dpss(longest, self.nw, Kmax=self.n_tapers, return_ratios=True)
        return EstimatorPlan(self, fs, n_samples, tapers=tapers, eigenvalues=np.asarray(ratios), runs=runs)


def check_estimator(estimator) -> Welch | Multitaper:
    """``estimator`` if it is a :class:`Welch` or :class:`Multitaper`; a one-line UsageError otherwise.

    Parameters
    ----------
    estimator : object
        The ``estimator=`` argument of an analysis.

    Returns
    -------
    Welch or Multitaper
    """
    if isinstance(estimator, (Welch, Multitaper)):
        return estimator
    raise UsageError(f"estimator must be synchro.spectral.Welch() or Multitaper(); got {estimator!r}")


def _count(name: str, value, least: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise UsageError(f"{name} must be an integer >= {least} (samples); got {value!r}; use e.g. {example}")
    return int(value)


@dataclass(frozen=True, eq=False)
class EstimatorPlan:
    """An estimator laid out on one series: applied alike to the data and to every surrogate or bootstrap series.

    Made by :meth:`Welch.plan` or :meth:`Multitaper.plan`.

    Attributes
    ----------
    estimator : Welch or Multitaper
        The estimator, Welch's segment length and overlap resolved.
    fs : float
        Sampling rate of the series (Hz).
    n_samples : int
        Samples of the series.
    nperseg, noverlap : int
        Welch: segment length and overlap (samples); 0 for multitaper.
    tapers, eigenvalues : ndarray or None
        Multitaper: DPSS tapers (n_tapers, n) and their eigenvalues.
    runs : ndarray of int or None
        Observed stretches ``[first, stop)`` of the series (samples); None
        when all of it is observed. Welch takes its segments only inside a
        stretch, multitaper takes its one stretch.
    """

    estimator: Welch | Multitaper
    fs: float
    n_samples: int
    nperseg: int = 0
    noverlap: int = 0
    tapers: np.ndarray | None = None
    eigenvalues: np.ndarray | None = None
    runs: np.ndarray | None = None

    @property
    def welch(self) -> bool:
        """True for Welch's estimator, False for multitaper."""
        return isinstance(self.estimator, Welch)

    @property
    def freqs(self) -> np.ndarray:
        """Frequencies of the estimate (Hz)."""
        n = self.nperseg if self.welch else self.tapers.shape[1]
        return np.fft.rfftfreq(n, 1.0 / self.fs)

    def parameters(self) -> dict:
        """The resolved parameters: Welch's window, segments and detrending, or multitaper's tapers.

        Returns
        -------
        dict
        """
        if self.welch:
            return {"window": self.estimator.window, "nperseg": self.nperseg, "noverlap": self.noverlap,
                    "detrend": "constant"}
        return {"nw": self.estimator.nw, "n_tapers": int(self.tapers.shape[0]), "adaptive": self.estimator.adaptive}

    @property
    def segments_per_run(self) -> np.ndarray:
        """Welch: number of segments inside each run (the whole series when ``runs`` is None)."""
        runs = np.array([[0, self.n_samples]]) if self.runs is None else self.runs
        step = self.nperseg - self.noverlap
        return np.maximum((runs[:, 1] - runs[:, 0] - self.noverlap) // step, 0)

    @property
    def starts(self) -> np.ndarray:
        """Welch: first sample of every segment, run by run, each run stepped from its first sample."""
        runs = np.array([[0, self.n_samples]]) if self.runs is None else self.runs
        step = self.nperseg - self.noverlap
        return np.concatenate([a + step * np.arange(k) for (a, _), k in zip(runs, self.segments_per_run)])

    @property
    def analysed(self) -> np.ndarray:
        """The runs the estimate uses (samples, ``[first, stop)``): those holding a segment, or the taper's span."""
        runs = np.array([[0, self.n_samples]]) if self.runs is None else self.runs
        return runs[self.segments_per_run > 0] if self.welch else runs

    def decimated(self, f_max: float) -> tuple[EstimatorPlan, int]:
        """The same estimator for series sampled ``d`` times more slowly, and ``d``.

        ``d`` is the largest factor that keeps the Nyquist frequency above
        ``1.2 f_max`` (Hz), the frequency grid below it and (Welch) the
        segments; 1 when none does. A bootstrap that needs the spectrum only
        up to ``f_max`` simulates ``d`` times fewer samples: leakage into
        those bins from above the new Nyquist frequency is negligible for
        both tapers.

        Parameters
        ----------
        f_max : float
            Highest frequency needed (Hz).

        Returns
        -------
        plan : EstimatorPlan
        d : int
        """
        step = self.nperseg - self.noverlap
        n_segments = (self.n_samples - self.noverlap) // step if self.welch else 0
        for d in range(int(self.fs / (2.4 * f_max)), 1, -1):
            if self.runs is not None:
                # Every run must start on the coarse grid, so that each segment (or the taper's span) keeps its
                # samples: decimated runs [a / d, floor(b / d)) then hold exactly the same segments.
                fits = bool(np.all(self.runs[:, 0] % d == 0)) and (
                    self.nperseg % d == 0 and step % d == 0 if self.welch
                    else (self.runs[0, 1] - self.runs[0, 0]) % d == 0)
            elif self.welch:
                fits = self.nperseg % d == 0 and step % d == 0 and (
                    (self.n_samples // d - self.noverlap // d) // (step // d) == n_segments)
            else:
                fits = self.n_samples % d == 0
            if fits:
                coarse = (dataclasses.replace(self.estimator, nperseg=self.nperseg // d, noverlap=self.noverlap // d)
                          if self.welch else self.estimator)
                return coarse.plan(self.fs / d, self.n_samples // d, None if self.runs is None else self.runs // d), d
        return self, 1

    def psd(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One-sided PSD of each row of ``x`` and its degrees of freedom per frequency.

        Parameters
        ----------
        x : ndarray, shape (..., n_samples)
            Series sampled at ``fs``.

        Returns
        -------
        psd : ndarray, shape (..., n_freqs)
            In units of ``x`` squared per Hz.
        dof : ndarray
            Equivalent degrees of freedom of each estimate.
        """
        if self.welch:
            p = self._welch(x)
            return p, np.broadcast_to(self._welch_dof, p.shape)
        if self.runs is not None:
            x = x[..., self.runs[0, 0]:self.runs[0, 1]]
        return self._multitaper(x)

    def _welch(self, x: np.ndarray) -> np.ndarray:
        # Welch (1967) as scipy.signal.welch computes it (window, constant detrend, density scaling), batched
        # over rows without scipy's per-segment detrend loop; with gaps, only segments wholly inside a run.
        starts = slice(None, None, self.nperseg - self.noverlap) if self.runs is None else self.starts
        h = scipy.signal.get_window(self.estimator.window, self.nperseg).astype(x.dtype, copy=False)
        mean = mean_periodogram(x, h, starts, hann=self.estimator.window == "hann")
        return _one_sided(mean / (self.fs * np.sum(h**2)), self.nperseg)

    @cached_property
    def _welch_dof(self) -> np.ndarray:  # the same for every series the plan estimates: computed once
        # Equivalent degrees of freedom of overlapped windowed segments (Welch 1967;
        # Percival & Walden 1993, eq. 292b): nu = 2K / (1 + 2 sum_m (1 - m/K) rho(m)^2) for K segments in one
        # run. Segments in different runs do not overlap: the K (K - 1) / 2 pairs of one run become
        # sum_r K_r (K_r - 1) / 2, so (1 - m/K) becomes sum_r (K_r / K) max(0, 1 - m / K_r).
        h = scipy.signal.get_window(self.estimator.window, self.nperseg)
        h = h / np.sqrt(np.sum(h**2))
        step = self.nperseg - self.noverlap
        per_run = self.segments_per_run
        per_run = per_run[per_run > 0]
        k = int(per_run.sum())
        m = np.arange(1, per_run.max())
        rho = np.array([np.dot(h[s:], h[: self.nperseg - s]) if s < self.nperseg else 0.0 for s in m * step])
        pairs = np.sum((per_run[:, None] / k) * np.maximum(1 - m / per_run[:, None], 0.0), axis=0)
        nu = 2 * k / (1 + 2 * np.sum(pairs * rho**2))
        return _edge_half(np.full(self.freqs.size, nu), self.nperseg)

    def _multitaper(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = x - x.mean(axis=-1, keepdims=True)
        lam = self.eigenvalues
        # Two-sided eigenspectra |sum_t h_k(t) x(t) e^{-2 pi i f t}|^2 / fs, shape (..., K, n_freqs).
        eig = np.abs(scipy.fft.rfft(x[..., None, :] * self.tapers, axis=-1, workers=FFT_WORKERS)) ** 2 / self.fs
        if not self.estimator.adaptive:
            weights = np.broadcast_to(lam[:, None], eig.shape)
        else:
            weights = _adaptive_weights(eig, lam, x.var(axis=-1) / self.fs)
        psd = np.sum(weights * eig, axis=-2) / np.sum(weights, axis=-2)
        # A weighted mean of K chi^2_2 eigenspectra: nu = 2 (sum w)^2 / sum w^2 (Percival & Walden eq. 370a).
        dof = 2 * np.sum(weights, axis=-2) ** 2 / np.sum(weights**2, axis=-2)
        n = self.tapers.shape[1]
        return _one_sided(psd, n), _edge_half(dof, n)


def _one_sided(two_sided: np.ndarray, n: int) -> np.ndarray:
    """Fold negative frequencies onto positive ones: double all but DC and (for even n) Nyquist."""
    two_sided[..., 1:] *= 2
    if n % 2 == 0:
        two_sided[..., -1] /= 2
    return two_sided


def _edge_half(dof: np.ndarray, n: int) -> np.ndarray:
    """DC and (for even n) Nyquist estimates are real: half the degrees of freedom."""
    dof = np.array(dof, dtype=np.float64)
    dof[..., 0] /= 2
    if n % 2 == 0:
        dof[..., -1] /= 2
    return dof


def _adaptive_weights(eig: np.ndarray, lam: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Thomson's adaptive weights |d_k(f)|^2 (Percival & Walden 1993, eqs. 368a-370a).

    ``level`` is the two-sided white level sigma^2 / fs of each series; the
    broadband leakage of taper k is ``(1 - lambda_k) * level``.
    """
    lam = lam[:, None]
    leak = (1 - lam) * level[..., None, None]
    est = eig[..., :2, :].mean(axis=-2, keepdims=True)
    for _ in range(100):
        w = (lam * est**2) / (lam * est + leak) ** 2
        new = np.sum(w * eig, axis=-2, keepdims=True) / np.sum(w, axis=-2, keepdims=True)
        done = np.allclose(new, est, rtol=1e-12, atol=0)
        est = new
        if done:
            break
    return (lam * est**2) / (lam * est + leak) ** 2


def _default_nperseg(fs: float, runs: np.ndarray | None) -> int:
    """One second of bins (1 Hz resolution); with gaps, the length ``L`` (at most one second) that maximises ``L``
    times the observed bins in runs at least ``L`` long: resolution and degrees of freedom weighed one for one.

    So 1 s intervals that the bin grid cuts to 999 bins keep one segment each (of 999 bins), while a few short
    fragments neither coarsen the resolution of all nor cost much time.
    """
    one_second = int(round(fs))
    if runs is None:
        return one_second
    lengths = np.sort(runs[:, 1] - runs[:, 0])[::-1]
    candidates = np.minimum(lengths, one_second)
    # Observed bins in the runs at least as long as each candidate (lengths sorted from the longest).
    held = np.cumsum(lengths)[np.searchsorted(-lengths, -candidates, side="right") - 1]
    score = candidates * held
    return int(candidates[np.flatnonzero(score == score.max())[0]])  # ties: the longer segment
