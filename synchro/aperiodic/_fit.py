"""The fit of one spectrum's aperiodic background: starts, peak exclusion, goodness of fit, :class:`AperiodicFit`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UsageError
from ..plotting import new_axes
from ..results import jsonable
from ._model import Model, fit_loss, levenberg_marquardt, log_bias, log_spread

#: Peak exclusion level of the fit, in log-spreads above the model.
EXCLUDE_ABOVE = 2.5


def _starts(f: np.ndarray, y: np.ndarray, independent: np.ndarray | None) -> np.ndarray:
    """A small grid of starting points (rows) for one spectrum."""
    low = max(3, f.size // 20)
    high_bins = f >= np.quantile(f, 0.75)
    level, high = 10 ** float(np.median(y[:low])), 10 ** float(np.median(y[high_bins]))
    if independent is not None:  # what the independent units leave to the shared parts
        level = max(level - float(np.median(independent[:low])), 1e-3 * high)
        high = max(high - float(np.median(independent[high_bins])), 1e-3 * high)
    falling = np.log10(max(level - high, 1e-3 * high))
    return np.array([[falling, chi, knee, 0.1, 1.0, np.log10(high)] for chi in (1.0, 2.0, 3.0)
                     for knee in (-0.5, 1.0, 2.0)])


def fit_rows(model: Model, y: np.ndarray, dof: np.ndarray, allowed: np.ndarray, x0: np.ndarray, *,
              rounds: int = 4, n_iter: int = 40, exclude_from_start: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Fit every row of ``y`` (log10 PSD, bias-corrected) on the ``allowed`` bins, excluding peaks iteratively.

    Bins more than :data:`EXCLUDE_ABOVE` log-spreads above a row's fit are left out and the row refitted,
    until its set of bins no longer changes (at most ``rounds`` fits). ``exclude_from_start`` takes the first
    set from the starting parameters (the bootstrap starts at the truth). Returns the parameter rows and the
    mask of bins kept.
    """
    scale = log_spread(dof)
    lower, upper = model.bounds(y)

    def kept(xr, yr):
        k = allowed & ((yr - model.log(xr)) <= EXCLUDE_ABOVE * scale)
        return k | (allowed & (k.sum(axis=1, keepdims=True) < 8))  # never fewer than 8 bins

    x = np.clip(x0, lower, upper)
    keep = kept(x, y) if exclude_from_start else np.broadcast_to(allowed, y.shape).copy()
    rows = np.arange(y.shape[0])
    for _ in range(rounds):
        x[rows] = levenberg_marquardt(model, y[rows], keep[rows].astype(float), x[rows], lower, upper, scale,
                                       n_iter)
        new = kept(x[rows], y[rows])
        changed = np.any(new != keep[rows], axis=1)
        keep[rows] = new
        rows = rows[changed]
        if rows.size == 0:
            break
    return x, keep


def goodness(log_background: np.ndarray, y: np.ndarray, allowed: np.ndarray, scale: float) -> np.ndarray:
    """RMS of the normalised residuals of the data *below* the background (log10) over the fitted bins, per row.

    The background is a lower envelope: peaks and bumps above it are allowed (they may be rhythms outside
    the band), but a background that cannot get under the data (an unmodelled dip, a wrong bend) has failed.
    """
    z = np.minimum((y - log_background) / scale, 0.0)
    return np.sqrt(np.sum(np.where(allowed, z**2, 0.0), axis=1) / allowed.sum())


@dataclass(frozen=True, eq=False)
class AperiodicFit:
    """Fit of the non-oscillatory background of a rate spectrum (see the module docstring for the model).

    Attributes
    ----------
    freqs : ndarray
        Frequencies of the fitted range (Hz).
    background : ndarray
        Fitted background PSD on ``freqs`` ((spikes/s)^2/Hz).
    independent : ndarray
        The measured independent-units part ``B`` on ``freqs``
        ((spikes/s)^2/Hz); zeros when none was given.
    falling_level : float
        ``A``, the falling part at the lowest fitted frequency ((spikes/s)^2/Hz).
    exponent : float
        ``chi`` of the falling part.
    knee_hz : float
        Knee frequency ``f_k`` of the falling part (Hz).
    white_level : float
        ``F``, the white part at high frequency ((spikes/s)^2/Hz).
    dip_depth : float
        ``d``, fractional depth of the white part's dip at 0 Hz.
    dip_hz : float
        ``f_d``, half-width of the dip (Hz).
    freq_range : tuple of float
        Frequencies fitted (Hz).
    exclude : tuple of float or None
        Band left out of the fit (Hz, half-open), if any.
    n_excluded : int
        Bins left out as peaks in the last round.
    rms_residual : float
        Goodness of fit: RMS of ``log10(psd / background)`` where the
        spectrum lies *below* the background (0 above it), over the fitted
        bins, in units of the estimator's log-spread (about 0.6 for a good fit).
    """

    freqs: np.ndarray
    background: np.ndarray
    independent: np.ndarray
    falling_level: float
    exponent: float
    knee_hz: float
    white_level: float
    dip_depth: float
    dip_hz: float
    freq_range: tuple[float, float]
    exclude: tuple[float, float] | None
    n_excluded: int
    rms_residual: float

    def model_parameters(self) -> np.ndarray:
        """The fitted parameters as one row (a start for related fits).

        Returns
        -------
        ndarray, shape (1, 6)
            ``log10 A``, ``chi``, ``log10 f_k``, ``d``, ``log10 f_d``, ``log10 F`` (see :mod:`synchro.aperiodic`).
        """
        return np.array([[np.log10(self.falling_level), self.exponent, np.log10(self.knee_hz), self.dip_depth,
                          np.log10(self.dip_hz), np.log10(self.white_level)]])

    def model(self, freqs) -> np.ndarray:
        """Background PSD at ``freqs`` (Hz), interpolated on the fitted grid, constant beyond it.

        Parameters
        ----------
        freqs : array_like
            Frequencies (Hz).

        Returns
        -------
        ndarray
            PSD in (spikes/s)^2/Hz.
        """
        return np.interp(np.asarray(freqs, dtype=np.float64), self.freqs, self.background)

    def parts(self, freqs) -> tuple[np.ndarray, np.ndarray]:
        """The background at ``freqs`` (Hz) split into its slow and its fast part.

        Parameters
        ----------
        freqs : array_like
            Positive frequencies (Hz).

        Returns
        -------
        slow : ndarray
            The falling part ``A (f0^chi + fk^chi) / (f^chi + fk^chi)`` ((spikes/s)^2/Hz): shared slow co-fluctuation.
        fast : ndarray
            The white part with its dip plus the independent-units part (interpolated, constant beyond the
            fitted range) ((spikes/s)^2/Hz): the shot noise, whose level follows the firing rate.
        """
        f = np.asarray(freqs, dtype=np.float64)
        model, x = Model(self.freqs, None), self.model_parameters()
        return (model.falling(x, f)[0],
                model.white(x, f)[0] + np.interp(f, self.freqs, self.independent))

    def summary(self) -> str:
        """One line with the parameters and the goodness of fit.

        Returns
        -------
        str
        """
        measured = "measured independent-units part + " if np.any(self.independent) else ""
        return (f"aperiodic fit {self.freq_range[0]:g}-{self.freq_range[1]:g} Hz: {measured}white "
                f"{self.white_level:.3g} with a {self.dip_depth:.0%} dip ({self.dip_hz:.3g} Hz) + falling "
                f"{self.falling_level:.3g} at {self.freq_range[0]:g} Hz (exponent {self.exponent:.2f}, knee "
                f"{self.knee_hz:.3g} Hz); {self.n_excluded} peak bins excluded, RMS residual below "
                f"{self.rms_residual:.2f} spreads")

    def to_dict(self) -> dict:
        """JSON-safe record with the model, its parameters and goodness of fit.

        Returns
        -------
        dict
        """
        return jsonable({
            "fit": "log-space Levenberg-Marquardt, soft-L1 above the model and quadratic below, bins over "
                   "2.5 log-spreads above it excluded",
            "model": "B(f) + F (1 - d / (1 + (f / f_d)^2)) + A (f0^chi + fk^chi) / (f^chi + fk^chi)",
            "independent_part": "measured" if np.any(self.independent) else "none (B = 0)",
            "parameters": {"freq_range": list(self.freq_range), "exclude": self.exclude},
            "falling_level": self.falling_level, "exponent": self.exponent, "knee_hz": self.knee_hz,
            "white_level": self.white_level, "dip_depth": self.dip_depth, "dip_hz": self.dip_hz,
            "n_excluded": self.n_excluded, "rms_residual": self.rms_residual})

    def plot(self, ax=None):
        """Draw the background (dashed) and its independent-units part (dotted).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure by default.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = new_axes(ax)
        ax.semilogy(self.freqs, self.background, color="k", ls="--", lw=1, label="aperiodic background")
        if np.any(self.independent):
            ax.semilogy(self.freqs, self.independent, color="0.3", ls=":", lw=1, label="independent-units part")
        if self.exclude is not None:
            ax.axvspan(*self.exclude, color="0.85", lw=0, zorder=-1, label="left out of the fit")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("PSD ((spikes/s)$^2$/Hz)")
        return ax


def fit_grid(spectrum, freq_range, exclude):
    lo, hi = (float(v) for v in freq_range)
    m = (spectrum.freqs >= lo) & (spectrum.freqs <= hi)
    allowed = np.ones(int(m.sum()), dtype=bool)
    if exclude is not None:
        f = spectrum.freqs[m]
        allowed &= ~((f >= exclude[0]) & (f < exclude[1]))
    if not (0 < lo < hi) or allowed.sum() < 8:
        raise UsageError(f"freq_range must be (low, high) Hz with 0 < low < high spanning at least 8 spectral bins "
                         f"outside the excluded band; got {freq_range}")
    return m, allowed


def corrected_log(psd, dof):
    return np.log10(np.maximum(psd, np.finfo(float).tiny)) - log_bias(dof)


def fit_aperiodic(spectrum, *, independent=None, freq_range: tuple[float, float] = (2.0, 200.0),
                  exclude: tuple[float, float] | None = None) -> AperiodicFit:
    """Fit the aperiodic background of a rate spectrum: independent-units part plus smooth shared part.

    Parameters
    ----------
    spectrum : RateSpectrum
        Spectrum to fit (see :func:`synchro.spectral.rate_spectrum`).
    independent : array_like, optional
        The independent-units spectrum on ``spectrum.freqs``
        ((spikes/s)^2/Hz), e.g. the mean spectrum of circular-shift
        surrogates. Without it the independent part is fitted as a floor with
        a refractory dip, ``F (1 - d / (1 + (f / f_d)^2))``.
    freq_range : (float, float), default (2, 200)
        Frequencies fitted (Hz); must exclude 0 Hz.
    exclude : (float, float), optional
        A band ``[low, high)`` in Hz left out of the fit, so that a peak in
        it cannot be absorbed by the background.

    Returns
    -------
    AperiodicFit
        The background on the fitted frequencies, its parameters and its
        goodness of fit (``rms_residual``, in log-spreads).

    Raises
    ------
    UsageError
        ``freq_range`` not positive or with fewer than 8 bins to fit.

    References
    ----------
    Donoghue, T. et al. (2020). Parameterizing neural power spectra into
    periodic and aperiodic components. Nat. Neurosci. 23, 1655-1665.
    Gabbiani, F. & Koch, C. (1998). Principles of spike train analysis. In
    Methods in Neuronal Modeling, 2nd ed., MIT Press (spectra of renewal
    trains with a dead time).
    """
    m, allowed = fit_grid(spectrum, freq_range, exclude)
    f, dof = spectrum.freqs[m], spectrum.dof[m]
    ind = None if independent is None else np.asarray(independent, dtype=np.float64)[m]
    model = Model(f, ind)
    y = corrected_log(spectrum.psd[m], dof)[None, :]
    x, keep = _fit_best(model, y, dof, allowed)
    return make_fit(model, x[0], y[0], dof, allowed, keep[0], freq_range, exclude)


def _fit_best(model: Model, y: np.ndarray, dof: np.ndarray, allowed: np.ndarray):
    """Fit one spectrum (one row of ``y``): every start of a small grid once, then the best to convergence."""
    starts = _starts(model.f[allowed], y[0, allowed], None if model.independent is None
                     else model.independent[allowed])
    ys = np.broadcast_to(y, (starts.shape[0], y.shape[1]))
    x, _ = fit_rows(model, ys, dof, allowed, starts, rounds=1, n_iter=25)
    best = int(np.argmin(fit_loss(model.log(x) - ys, np.broadcast_to(allowed, ys.shape), log_spread(dof))))
    return fit_rows(model, y, dof, allowed, x[best: best + 1], rounds=3, n_iter=30)


def make_fit(model, x, y, dof, allowed, keep, freq_range, exclude) -> AperiodicFit:
    row = x[None, :]
    return AperiodicFit(
        freqs=model.f.copy(), background=model.background(row)[0],
        independent=np.zeros(model.f.size) if model.independent is None else model.independent.copy(),
        falling_level=float(10 ** x[0]), exponent=float(x[1]), knee_hz=float(10 ** x[2]),
        white_level=float(10 ** x[5]), dip_depth=float(x[3]), dip_hz=float(10 ** x[4]),
        freq_range=(float(freq_range[0]), float(freq_range[1])),
        exclude=None if exclude is None else (float(exclude[0]), float(exclude[1])),
        n_excluded=int((allowed & ~keep).sum()),
        rms_residual=float(goodness(model.log(row), y[None, :], allowed, log_spread(dof))[0]))
