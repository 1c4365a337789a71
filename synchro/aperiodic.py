"""The aperiodic background of a population-rate spectrum: model, fit and goodness of fit.

The background of the rate spectrum of ``N`` units is modelled as

``B(f) + F (1 - d / (1 + (f / f_d)^2)) + A (f_0^chi + f_k^chi) / (f^chi + f_k^chi)``

* ``B(f)``, the **independent-units part**: the units' own spectra summed
  over ``N^2``. It tends to the Poisson floor ``2 nu / N`` at high
  frequency, dips below it where units are refractory, and carries
  single-unit regularity and bursts. It is *measured*, not modelled, when
  given (``independent``; :func:`synchro.rhythms.band_verdicts` passes the
  mean spectrum of circular-shift surrogates), and 0 otherwise (one unit,
  or a spectrum alone).
* a **white part with a dip**, ``F (1 - d / (1 + (f / f_d)^2))``: flat at
  high frequency and lower below ``f_d``. Alone (``B = 0``) it is the
  floor of a refractory train, whose spectrum dips below its rate at low
  frequency and rises back (Gabbiani & Koch 1998). Beside a measured ``B``
  it is the shared power of units that fire in brief synchronous volleys
  (flat to high frequency) but are regulated below independence at low
  frequency.
* a **falling part**, level ``A`` at the lowest fitted frequency ``f_0``,
  exponent ``chi`` and knee ``f_k``: slow co-fluctuation (a shared drive,
  up/down states); a Lorentzian for an Ornstein-Uhlenbeck drive (``chi = 2``,
  ``f_k = 1 / (2 pi tau)``), a power law for ``f_k -> 0``.

An oscillation is a peak *above* this background (specparam's definition,
Donoghue et al. 2020), so the fit must not absorb peaks: bins inside a
candidate band (``exclude``) are left out, and bins that stand far above the
fit are excluded iteratively. The fit is a least squares in log10 power with
the chi-square log bias of each estimate removed, robust (soft-L1) to data
above the background and quadratic below it, so that the background follows
the spectrum's lower envelope, solved by Levenberg-Marquardt for many spectra
at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import special

from ._json import jsonable
from ._plotting import new_axes
from .errors import UsageError
from .surrogates import jit, monte_carlo_p

__all__ = ["AperiodicFit", "BackgroundSimulation", "PeakTest", "fit_aperiodic", "peak_test", "simulate_background"]

#: Peak exclusion level of the fit, in log-spreads above the model.
EXCLUDE_ABOVE = 2.5
#: Smallest peak the test claims, in log10 power over the background (0.05: 12 %, 0.5 dB). The background is a
#: model: across a left-out band its interpolation misses a smooth spectrum by a few per cent (measured: +4 % on
#: a shared Ornstein-Uhlenbeck drive of 100 ms in alpha), which a bootstrap simulated from that model cannot
#: see. The null is therefore "no peak higher than this" (specparam's min_peak_height, tested).
MIN_PEAK_HEIGHT = 0.05
# Bootstrap series are simulated in chunks of at most this many samples, to bound memory.
_CHUNK_SAMPLES = 4_000_000
# A local refit (band-excluded, from a nearby start): two rounds of peak exclusion, few iterations each.
_LOCAL = {"rounds": 2, "n_iter": 12, "exclude_from_start": True}
# Bounds of the shared part: exponent chi and log10 knee frequency (Hz).
_CHI_BOUNDS = (0.0, 6.0)
_KNEE_BOUNDS = (-1.0, 3.0)
_DIP_MAX = 0.95
_LOG10E = np.log10(np.e)
_MIN_RATIO = 10.0**MIN_PEAK_HEIGHT


def _log_bias(dof: np.ndarray) -> np.ndarray:
    """E[log10(S chi^2_nu / nu)] - log10(S): subtracted so the fit follows the mean PSD, not its log-mean."""
    return _LOG10E * (special.digamma(dof / 2) - np.log(dof / 2))


def _spread(dof: np.ndarray) -> float:
    """SD of log10 of a chi^2_nu / nu estimate, about 0.434 sqrt(2 / nu), at the median dof."""
    return float(_LOG10E * np.sqrt(special.polygamma(1, np.median(dof) / 2)))


class _Model:
    """``log10(B(f) + F (1 - d / (1 + (f / f_d)^2)) + L(f))`` for rows of parameters.

    Parameters per row: ``log10 A``, ``chi``, ``log10 f_k`` (the falling part ``L``), ``d``, ``log10 f_d``
    (the dip) and ``log10 F`` (the white level). ``B`` is the measured independent-units spectrum, or 0.
    """

    n_params = 6

    def __init__(self, f: np.ndarray, independent: np.ndarray | None):
        self.f = f
        self.f0 = float(f[0])
        self.logf = np.log(f)
        self.f2 = f**2
        self.independent = independent
        self._independent = np.zeros(f.size) if independent is None else np.ascontiguousarray(independent, float)

    def background(self, x: np.ndarray) -> np.ndarray:
        """PSD of the model for parameter rows ``x`` (M, p) on the fitted grid -> (M, n_f)."""
        out = self.white(x) + self.falling(x)
        return out if self.independent is None else out + self.independent

    def falling(self, x, f=None):
        chi = x[:, 1:2]
        fkc = 10.0 ** (x[:, 2:3] * chi)  # f_k^chi
        logf = self.logf if f is None else np.log(f)
        return 10.0 ** x[:, 0:1] * (self.f0**chi + fkc) / (np.exp(chi * logf) + fkc)

    def white(self, x, f=None):
        f2 = self.f2 if f is None else f**2
        return 10.0 ** x[:, 5:6] * (1 - x[:, 3:4] / (1 + f2 * 10.0 ** (-2 * x[:, 4:5])))

    def log(self, x):
        out = np.empty((x.shape[0], self.f.size))
        _model_rows(np.ascontiguousarray(x, dtype=np.float64), self.f0, self.logf, self.f2, self._independent, out,
                    np.empty((0, 0, 0)))
        return out

    def bounds(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Parameter bounds: levels within decades of the spectra's median, exponent, knee, dip."""
        ref = float(np.median(y))
        lower = np.array([ref - 8, _CHI_BOUNDS[0], _KNEE_BOUNDS[0], 0.0, -1.0, ref - 8])
        upper = np.array([ref + 6, _CHI_BOUNDS[1], _KNEE_BOUNDS[1], _DIP_MAX, 3.0, ref + 6])
        return lower, upper

    def log_and_jacobian(self, x):
        """log10 of the model and its derivatives in each parameter, (M, n_f) and (M, p, n_f)."""
        out, jac = np.empty((x.shape[0], self.f.size)), np.empty((x.shape[0], self.n_params, self.f.size))
        _model_rows(np.ascontiguousarray(x, dtype=np.float64), self.f0, self.logf, self.f2, self._independent, out,
                    jac)
        return out, jac


@jit
def _model_rows(x, f0, logf, f2, independent, out, jac):
    # log10 of _Model's background for each parameter row of x into out, and (if jac has rows) its derivatives
    # in each parameter, parameters on the middle axis. One loop per row: the fits call this every iteration.
    ln10 = np.log(10.0)
    tiny = 2.2250738585072014e-308
    log_f0 = np.log(f0)
    for i in range(x.shape[0]):
        amp, chi, log_fk = 10.0 ** x[i, 0], x[i, 1], ln10 * x[i, 2]
        depth, inv_fd2, level = x[i, 3], 10.0 ** (-2 * x[i, 4]), 10.0 ** x[i, 5]
        fkc = np.exp(chi * log_fk)  # f_k^chi
        f0c = np.exp(chi * log_f0)
        h = f0c + fkc
        dh = (f0c * log_f0 + fkc * log_fk) / h
        for j in range(logf.size):
            fc = np.exp(chi * logf[j])
            g = fc + fkc
            falling = amp * h / g
            u2 = f2[j] * inv_fd2
            dip = 1 / (1 + u2)
            white = level * (1 - depth * dip)
            total = max(white + falling + independent[j], tiny)
            out[i, j] = np.log10(total)
            if jac.shape[0]:
                c = 1 / (total * ln10)
                jac[i, 0, j] = falling * ln10 * c
                jac[i, 1, j] = falling * (dh - (fc * logf[j] + fkc * log_fk) / g) * c
                jac[i, 2, j] = falling * chi * ln10 * fkc * (1 / h - 1 / g) * c
                jac[i, 3, j] = -level * dip * c
                jac[i, 4, j] = -level * depth * 2 * ln10 * u2 * dip * dip * c
                jac[i, 5, j] = white * ln10 * c


class _Linearised:
    """:class:`_Model` linearised at one parameter row ``x0``: ``log10 P(theta) = log0 + (theta - theta0) J``.

    The bootstrap spectra of the peak test scatter about the background of ``x0`` (they are drawn from it), so
    their fits stay near ``x0`` and the model's first-order expansion there serves them all with one Jacobian.
    The levels (``A``, ``F`` and the dip's ``F d``) are expanded as levels, not logs: a part that ``x0`` has
    (nearly) switched off can still grow, as it can in the model; exponent, knee and dip frequency stay in
    log10. Same interface as :class:`_Model` for the fit (``log``, ``log_and_jacobian``, ``bounds``).
    """

    n_params = _Model.n_params

    def __init__(self, model: _Model, x0: np.ndarray):
        log0, jac = model.log_and_jacobian(x0)
        level_a, level_f, depth = 10.0 ** x0[0, 0], 10.0 ** x0[0, 5], x0[0, 3]
        jac = jac[0].copy()
        jac[0] /= level_a * np.log(10.0)  # d/dA = d/dlog10 A / (A ln 10)
        jac[3] /= level_f  # d/d(F d) at fixed F
        jac[5] = 10.0 ** -log0[0] / np.log(10.0)  # d/dF at fixed F d
        self.model, self.log0, self.jac = model, log0, jac
        self.theta0 = np.array([[level_a, x0[0, 1], x0[0, 2], level_f * depth, x0[0, 4], level_f]])

    def log(self, theta: np.ndarray) -> np.ndarray:
        return self.log0 + (theta - self.theta0) @ self.jac

    def log_and_jacobian(self, theta: np.ndarray):
        """log10 of the model per row and the one Jacobian shared by all rows, (M, n_f) and (p, n_f)."""
        return self.log(theta), self.jac

    def bounds(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The model's bounds in these coordinates (the dip's depth bound taken at ``x0``'s white level)."""
        lower, upper = self.model.bounds(y)
        level_f = self.theta0[0, 5]
        return (np.array([10.0 ** lower[0], lower[1], lower[2], 0.0, lower[4], 10.0 ** lower[5]]),
                np.array([10.0 ** upper[0], upper[1], upper[2], _DIP_MAX * level_f, upper[4], 10.0 ** upper[5]]))


def _loss(r: np.ndarray, w: np.ndarray, scale: float) -> np.ndarray:
    """Fit loss per row of residuals ``r = model - data`` (log10): soft-L1 above the model, quadratic below."""
    return _loss_terms(r, w, scale)[1]


def _loss_terms(r: np.ndarray, w: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The iteratively reweighted weights at residuals ``r`` (``w / sqrt(1 + (r / scale)^2)`` where the data lie
    above the model, ``w`` below) and :func:`_loss` per row, in one pass."""
    r, w = np.ascontiguousarray(r, dtype=np.float64), np.ascontiguousarray(np.broadcast_to(w, r.shape), np.float64)
    reweighted, cost = np.empty_like(r), np.empty(r.shape[0])
    _loss_rows(r, w, float(scale), reweighted, cost)
    return reweighted, cost


@jit
def _loss_rows(r, w, scale, reweighted, cost):
    # One pass per row for the fits' inner loop: soft-L1 above the model (r < 0), quadratic below.
    for i in range(r.shape[0]):
        total = 0.0
        for j in range(r.shape[1]):
            z = r[i, j] / scale
            z2 = z * z
            if r[i, j] < 0:
                q = np.sqrt(1 + z2)
                total += w[i, j] * (2 * (q - 1))
                reweighted[i, j] = w[i, j] / q
            else:
                total += w[i, j] * z2
                reweighted[i, j] = w[i, j]
        cost[i] = total


def _blocks_product(a: np.ndarray, b: np.ndarray, rows: int = 32) -> np.ndarray:
    """``a @ b`` in blocks of ``rows`` rows, each small enough for one BLAS thread: a threaded product of this
    size stalls for milliseconds when the cores are busy."""
    return np.concatenate([a[i: i + rows] @ b for i in range(0, a.shape[0], rows)])


def _levenberg_marquardt(model: _Model, y: np.ndarray, weights: np.ndarray, x: np.ndarray, lower, upper,
                         scale: float, n_iter: int) -> np.ndarray:
    """Levenberg-Marquardt for every row of ``y`` at once; returns the parameter rows.

    The loss is soft-L1 (as iteratively reweighted least squares) where the data lie above the model and
    quadratic where they lie below, so the background follows the spectrum's lower envelope and peaks
    cannot pull it up. Rows stop once their cost no longer falls, so a row started near its optimum
    costs a few iterations. ``model`` is a :class:`_Model` or a :class:`_Linearised` one (one Jacobian for
    every row, so that ``J'WJ`` of all rows is one product of the weights with each bin's ``J_i J_j``).
    """
    p = x.shape[1]
    eye = np.eye(p)
    shared = isinstance(model, _Linearised)
    if shared:
        jac = model.jac
        products = np.ascontiguousarray((jac[:, None, :] * jac[None, :, :]).reshape(p * p, -1).T)
    out = x.copy()
    # The rows still iterating, compacted (rows leave only when they converge): their parameters, damping,
    # data, bins' weights, residuals, reweighted weights (soft-L1 as reweighted least squares) and costs.
    rows, x, lam = np.arange(x.shape[0]), x.copy(), np.full(x.shape[0], 1e-2)
    r = model.log(x) - y
    w, c = _loss_terms(r, weights, scale)
    for _ in range(n_iter):
        if shared:
            a = _blocks_product(w, products).reshape(-1, p, p)
            g = (w * r) @ jac.T
        else:
            jac = model.log_and_jacobian(x)[1]
            wj = jac * w[:, None, :]
            a = wj @ np.swapaxes(jac, 1, 2)
            g = (wj @ r[..., None])[..., 0]
        step = np.linalg.solve(a + lam[:, None, None] * (a * eye + 1e-9 * eye), -g[..., None])[..., 0]
        x_new = np.clip(x + step, lower, upper)
        r_new = model.log(x_new) - y
        w_new, c_new = _loss_terms(r_new, weights, scale)
        better = c_new < c
        lam = np.where(better, lam / 3, lam * 4)
        # Converged: the cost no longer falls (by 1e-5 of itself), or no step downhill is left.
        done = (better & (c - c_new < 1e-5 * c)) | (lam > 1e6)
        if better.all():
            x, r, w, c = x_new, r_new, w_new, c_new
        else:
            x, c = np.where(better[:, None], x_new, x), np.where(better, c_new, c)
            r, w = np.where(better[:, None], r_new, r), np.where(better[:, None], w_new, w)
        if done.any():
            out[rows[done]] = x[done]
            go = ~done
            rows, x, lam, y, weights, r, w, c = rows[go], x[go], lam[go], y[go], weights[go], r[go], w[go], c[go]
            if rows.size == 0:
                break
    out[rows] = x
    return out


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


def _fit_rows(model: _Model, y: np.ndarray, dof: np.ndarray, allowed: np.ndarray, x0: np.ndarray, *,
              rounds: int = 4, n_iter: int = 40, exclude_from_start: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Fit every row of ``y`` (log10 PSD, bias-corrected) on the ``allowed`` bins, excluding peaks iteratively.

    Bins more than :data:`EXCLUDE_ABOVE` log-spreads above a row's fit are left out and the row refitted,
    until its set of bins no longer changes (at most ``rounds`` fits). ``exclude_from_start`` takes the first
    set from the starting parameters (the bootstrap starts at the truth). Returns the parameter rows and the
    mask of bins kept.
    """
    scale = _spread(dof)
    lower, upper = model.bounds(y)

    def kept(xr, yr):
        k = allowed & ((yr - model.log(xr)) <= EXCLUDE_ABOVE * scale)
        return k | (allowed & (k.sum(axis=1, keepdims=True) < 8))  # never fewer than 8 bins

    x = np.clip(x0, lower, upper)
    keep = kept(x, y) if exclude_from_start else np.broadcast_to(allowed, y.shape).copy()
    rows = np.arange(y.shape[0])
    for _ in range(rounds):
        x[rows] = _levenberg_marquardt(model, y[rows], keep[rows].astype(float), x[rows], lower, upper, scale,
                                       n_iter)
        new = kept(x[rows], y[rows])
        changed = np.any(new != keep[rows], axis=1)
        keep[rows] = new
        rows = rows[changed]
        if rows.size == 0:
            break
    return x, keep


def _goodness(log_background: np.ndarray, y: np.ndarray, allowed: np.ndarray, scale: float) -> np.ndarray:
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

    def _params(self) -> np.ndarray:
        """The fitted parameters as one row, in :class:`_Model`'s order (a start for related fits)."""
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
            "method": "log-space Levenberg-Marquardt, soft-L1 above the model and quadratic below, bins over "
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


def _fit_grid(spectrum, freq_range, exclude):
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


def _corrected_log(psd, dof):
    return np.log10(np.maximum(psd, np.finfo(float).tiny)) - _log_bias(dof)


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
    m, allowed = _fit_grid(spectrum, freq_range, exclude)
    f, dof = spectrum.freqs[m], spectrum.dof[m]
    ind = None if independent is None else np.asarray(independent, dtype=np.float64)[m]
    model = _Model(f, ind)
    y = _corrected_log(spectrum.psd[m], dof)[None, :]
    x, keep = _fit_best(model, y, dof, allowed)
    return _make_fit(model, x[0], y[0], dof, allowed, keep[0], freq_range, exclude)


def _fit_best(model: _Model, y: np.ndarray, dof: np.ndarray, allowed: np.ndarray):
    """Fit one spectrum (one row of ``y``): every start of a small grid once, then the best to convergence."""
    starts = _starts(model.f[allowed], y[0, allowed], None if model.independent is None
                     else model.independent[allowed])
    ys = np.broadcast_to(y, (starts.shape[0], y.shape[1]))
    x, _ = _fit_rows(model, ys, dof, allowed, starts, rounds=1, n_iter=25)
    best = int(np.argmin(_loss(model.log(x) - ys, np.broadcast_to(allowed, ys.shape), _spread(dof))))
    return _fit_rows(model, y, dof, allowed, x[best: best + 1], rounds=3, n_iter=30)


def _make_fit(model, x, y, dof, allowed, keep, freq_range, exclude) -> AperiodicFit:
    row = x[None, :]
    return AperiodicFit(
        freqs=model.f.copy(), background=model.background(row)[0],
        independent=np.zeros(model.f.size) if model.independent is None else model.independent.copy(),
        falling_level=float(10 ** x[0]), exponent=float(x[1]), knee_hz=float(10 ** x[2]),
        white_level=float(10 ** x[5]), dip_depth=float(x[3]), dip_hz=float(10 ** x[4]),
        freq_range=(float(freq_range[0]), float(freq_range[1])),
        exclude=None if exclude is None else (float(exclude[0]), float(exclude[1])),
        n_excluded=int((allowed & ~keep).sum()),
        rms_residual=float(_goodness(model.log(row), y[None, :], allowed, _spread(dof))[0]))


# The peak test ------------------------------------------------------------------------------------------------

def _band_peaks(ratio: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Statistic (largest local maximum of ``ratio`` in ``band``, 0 if none) per row, and the edge flag.

    A local maximum is ``ratio[i] >= ratio[i - 1]`` and ``ratio[i] > ratio[i + 1]`` with neighbours taken
    outside the band too, so a band-edge bin counts only if it stands above the bin beyond the edge; a band
    whose largest value sits on an edge and keeps rising beyond it is flagged ``edge``.
    """
    padded = np.pad(ratio, ((0, 0), (1, 1)), constant_values=-np.inf)
    centre, left, right = padded[:, 1:-1], padded[:, :-2], padded[:, 2:]
    local = (centre >= left) & (centre > right) & band
    stat = np.max(np.where(local, ratio, 0.0), axis=1)
    idx = np.flatnonzero(band)
    at = idx[np.argmax(ratio[:, idx], axis=1)]
    rows = np.arange(ratio.shape[0])
    top = ratio[rows, at]
    edge = ((at == idx[0]) & (left[rows, at] > top)) | ((at == idx[-1]) & (right[rows, at] > top))
    return stat, edge


@dataclass(frozen=True, eq=False)
class PeakTest:
    """A spectral peak in one band tested against a parametric bootstrap of the aperiodic background.

    Attributes
    ----------
    freq_range : tuple of float
        Band ``[low, high)`` (Hz).
    peak_hz : float
        Frequency of the largest local maximum of ``psd / background`` in
        the band (Hz); NaN when the band holds none.
    ratio : float
        ``psd / background`` there, the statistic; NaN when the band holds no peak (which counts as 0 against
        the bootstrap).
    ratio_db : float
        ``10 log10(ratio)`` (dB).
    width_hz : float
        Full width at half maximum of the excess ``psd - background``
        around the peak (Hz).
    edge : bool
        The band's largest ratio sits on a band edge and keeps rising
        beyond it: a slope, not a peak.
    p_value : float
        ``(1 + #{h * bootstrap statistic >= ratio}) / (1 + n_boot)``, with
        ``h = 10**MIN_PEAK_HEIGHT`` (1.12): the null is a background with
        no peak higher than :data:`MIN_PEAK_HEIGHT`.
    threshold : float
        95th percentile of the bootstrap statistic, times ``h``.
    fit_p_value : float
        Goodness-of-fit p-value of the background: the share of bootstrap
        spectra fitted worse than the data (RMS residual).
    overshoot : float
        How far the background lies above the spectrum on the band's flanks
        (one band width on each side), in the estimator's log-spreads:
        ``-mean(min(0, log10(psd / background))) / spread``; about 0.4 for a
        background that follows the data, large when it cannot get under them
        there (then it cannot be trusted inside the band either).
    fit : AperiodicFit
        Background fitted with the band left out.
    n_boot : int
        Bootstrap spectra.
    """

    freq_range: tuple[float, float]
    peak_hz: float
    ratio: float
    ratio_db: float
    width_hz: float
    edge: bool
    p_value: float
    threshold: float
    fit_p_value: float
    overshoot: float
    fit: AperiodicFit
    n_boot: int


def _fwhm(excess: np.ndarray, i: int, resolution: float) -> float:
    half = excess[i] / 2
    if not half > 0:
        return float("nan")
    lo = i
    while lo > 0 and excess[lo - 1] > half:
        lo -= 1
    hi = i
    while hi < excess.size - 1 and excess[hi + 1] > half:
        hi += 1
    # Linear interpolation of the half-height crossing on each side (one bin beyond when it exists).
    left = lo - (excess[lo] - half) / (excess[lo] - excess[lo - 1]) if lo > 0 else lo - 0.5
    right = hi + (excess[hi] - half) / (excess[hi] - excess[hi + 1]) if hi < excess.size - 1 else hi + 0.5
    return float((right - left) * resolution)


def _complex_normal(rng, shape) -> np.ndarray:
    """Complex Gaussians with independent unit-variance real and imaginary parts (complex64).

    Box-Muller in polar form: modulus ``sqrt(-2 ln u1)``, phase ``2 pi u2``, which is exactly the complex
    Gaussian's, from two float32 uniforms; about a third of the cost of two ``standard_normal`` draws. The
    float32 uniforms bound the modulus at 5.8 (probability 6e-8 beyond it).
    """
    u = rng.random((2, *shape), dtype=np.float32)
    modulus = np.sqrt(np.float32(-2.0) * np.log1p(-u[0]))
    phase = np.float32(2 * np.pi) * u[1]
    out = np.empty(shape, dtype=np.complex64)
    np.cos(phase, out=out.real)
    np.sin(phase, out=out.imag)
    out *= modulus
    return out


def _simulate(spectrum, model: _Model, x: np.ndarray, independent, estimator, fs: float, envelope: np.ndarray,
              n_boot: int, rng):
    """Spectra of ``n_boot`` Gaussian series whose spectrum is the background of ``x`` (see :func:`peak_test`)."""
    n = envelope.size
    f = np.fft.rfftfreq(n, 1.0 / fs)
    f[0] = f[1]  # the mean is removed by every estimator: the DC value is zeroed below
    slow = model.falling(x, f)[0]
    fast = model.white(x, f)[0]
    if independent is not None:
        fast = fast + np.interp(f, spectrum.freqs, independent)
    # One-sided PSD P -> Fourier amplitude sqrt(P fs n / 4) per real and imaginary part (sqrt(P fs n) at Nyquist).
    # Single precision: the bootstrap's scatter is chi-square, far above float32 rounding, at half the cost.
    scale = np.sqrt(np.stack([slow, fast]) * fs * n / 4).astype(np.float32)
    scale[:, 0] = 0.0
    if n % 2 == 0:
        scale[:, -1] *= np.sqrt(2.0)
    env = envelope.astype(np.float32)
    out = []
    chunk = max(1, _CHUNK_SAMPLES // (2 * n))
    for first in range(0, n_boot, chunk):
        rows = min(n_boot - first, chunk)
        z = _complex_normal(rng, (2, rows, f.size)) * scale[:, None, :]
        if n % 2 == 0:
            z[..., -1] = z[..., -1].real
        series = sfft.irfft(z, n, axis=-1, workers=-1)
        out.append(estimator(series[0] + env * series[1]))
    return np.concatenate(out)


@dataclass(frozen=True, eq=False)
class BackgroundSimulation:
    """Spectra of series simulated from one aperiodic background, on its fitted frequencies.

    Attributes
    ----------
    spectra : ndarray, shape (n_boot, n_freqs)
        Estimated PSD of each simulated series ((spikes/s)^2/Hz) on ``fit.freqs``.
    background : ndarray
        The background they were simulated from, ``fit.background``.
    fit : AperiodicFit
        The fit whose background was simulated.
    """

    spectra: np.ndarray
    background: np.ndarray
    fit: AperiodicFit


def simulate_background(spectrum, fit: AperiodicFit, *, independent, estimator, fs: float, envelope: np.ndarray,
                        n_boot: int, rng) -> BackgroundSimulation:
    """Simulate ``n_boot`` series from the background ``fit`` and estimate their spectra (see :func:`peak_test`).

    Parameters
    ----------
    spectrum : RateSpectrum
        Spectrum of the data (its frequency grid).
    fit : AperiodicFit
        Background to simulate, usually the whole-range fit.
    independent, estimator, fs, envelope, n_boot, rng : see peak_test
        As in :func:`peak_test` (independent-units spectrum, estimator,
        sampling rate in Hz, shot-noise envelope, number of series, random
        generator).

    Returns
    -------
    BackgroundSimulation
    """
    m, _ = _fit_grid(spectrum, fit.freq_range, None)
    model = _Model(fit.freqs, None if independent is None else np.asarray(independent, dtype=np.float64)[m])
    boot = _simulate(spectrum, model, fit._params(), independent, estimator, fs, envelope, n_boot, rng)
    return BackgroundSimulation(boot[:, m[:boot.shape[1]]].astype(np.float64), fit.background, fit)


def peak_test(spectrum, band: tuple[float, float], *, estimator, fs: float, envelope: np.ndarray, n_boot: int,
              rng, independent=None, freq_range: tuple[float, float] = (2.0, 200.0),
              start: AperiodicFit | None = None, simulation: BackgroundSimulation | None = None) -> PeakTest:
    """Test for a spectral peak in ``band`` above the aperiodic background, by parametric bootstrap.

    The background (:func:`fit_aperiodic`) is fitted with the band left
    out. Under the null hypothesis the band holds no peak: the population
    rate is the sum of a slow Gaussian fluctuation with the falling part's
    spectrum and a fast one (the independent and white parts) whose level
    follows the rate's slow ``envelope``, as shot noise does. ``n_boot``
    such series are simulated from the whole-range background (``start``)
    and estimated exactly as the data were (so the estimator's smoothing
    and scatter are in the null, :func:`simulate_background`); their spectra
    are scaled bin by bin to this band's null, its background plus the
    data's own peaks outside the band (the bins the fit left out), so one
    simulation serves every band of a population. Each is refitted by the
    same local procedure as the data (band left out, peaks excluded, the
    same Levenberg-Marquardt iterations) on the model linearised at the
    band's background, and reduced to the same statistic, the largest
    local maximum of ``psd / background`` in the band. The data's statistic
    must exceed a bootstrap statistic by more than :data:`MIN_PEAK_HEIGHT`
    (log10) to count against it: the bootstrap is simulated from the
    background model and so cannot see how far that model, interpolated
    across the band, misses a real smooth spectrum.

    Parameters
    ----------
    spectrum : RateSpectrum
        Spectrum of the data.
    band : (float, float)
        ``[low, high)`` in Hz, inside ``freq_range``.
    estimator : callable
        ``estimator(series)`` -> PSD of each row of ``series`` (shape
        ``(rows, n_samples)``, sampled at ``fs``), as the data's spectrum
        was estimated, on the first bins of ``spectrum.freqs`` (at least up
        to ``freq_range[1]``).
    fs : float
        Sampling rate of the simulated series (Hz): the data's, or lower
        when the estimator is decimated (see ``_Estimator.decimated``).
    envelope : ndarray, shape (n_samples,)
        Slow level of the shot noise at ``fs`` (mean square 1): the square
        root of the smoothed population count over its mean.
    n_boot : int
        Bootstrap series.
    rng : numpy.random.Generator
        Random source.
    independent : array_like, optional
        Independent-units spectrum on ``spectrum.freqs`` (see
        :func:`fit_aperiodic`).
    freq_range : (float, float), default (2, 200)
        Frequencies of the background fit (Hz).
    start : AperiodicFit, optional
        Whole-range fit to start the band's fit from and to simulate; fitted
        here by default.
    simulation : BackgroundSimulation, optional
        ``simulate_background(spectrum, start, ...)`` with the same
        ``independent``, ``estimator``, ``fs``, ``envelope`` and ``n_boot``,
        shared by the bands of one spectrum; simulated here by default.

    Returns
    -------
    PeakTest

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap,
    ch. 6 (parametric bootstrap). Chapman & Hall.
    Percival, D. B. & Walden, A. T. (1993). Spectral Analysis for Physical
    Applications, ch. 6 (sampling distribution of spectral estimates).
    """
    lo, hi = (float(b) for b in band)
    m, allowed = _fit_grid(spectrum, freq_range, (lo, hi))
    f, dof = spectrum.freqs[m], spectrum.dof[m]
    in_band = (f >= lo) & (f < hi)
    if independent is not None:
        independent = np.asarray(independent, dtype=np.float64)
    model = _Model(f, None if independent is None else independent[m])
    y = _corrected_log(spectrum.psd[m], dof)[None, :]
    if start is None:
        start = fit_aperiodic(spectrum, independent=independent, freq_range=freq_range)
    if not np.array_equal(start.freqs, f) or (simulation is not None and simulation.spectra.shape[1] != f.size):
        raise UsageError(f"start and simulation must come from a fit over the same freq_range as the test, "
                         f"{freq_range}; got {start.freq_range}")
    # Data and bootstrap are refitted alike: locally, with the band left out, from a nearby start (the data
    # from the whole-range fit, each bootstrap spectrum from the data's band-excluded fit that made it).
    x, keep = _fit_rows(model, y, dof, allowed, start._params(), **_LOCAL)
    fit = _make_fit(model, x[0], y[0], dof, allowed, keep[0], freq_range, (lo, hi))
    ratio = spectrum.psd[m][None, :] / fit.background
    stat, edge = _band_peaks(ratio, in_band)

    # The null is "no peak in this band", not "no peak anywhere": peaks the fit left out elsewhere stay in the
    # null spectrum, so that the bootstrap fits meet them as the data's fit did.
    elsewhere = allowed & ~keep[0]
    null = fit.background.copy()
    null[elsewhere] = np.maximum(spectrum.psd[m][elsewhere], null[elsewhere])
    if simulation is None:
        simulation = simulate_background(spectrum, start, independent=independent, estimator=estimator, fs=fs,
                                         envelope=envelope, n_boot=n_boot, rng=rng)
    # The simulated spectra scatter about the background they were drawn from; scaled bin by bin they scatter
    # about this band's null (both smooth, so the estimator's smoothing commutes with the scaling).
    boot = simulation.spectra * (null / simulation.background)
    y_boot = _corrected_log(boot, dof)
    # Each bootstrap spectrum is refitted as the data were (locally, band left out, peaks excluded, the same
    # Levenberg-Marquardt), on the model linearised at the background it was drawn from.
    linear = _Linearised(model, x)
    theta, _ = _fit_rows(linear, y_boot, dof, allowed, np.repeat(linear.theta0, boot.shape[0], axis=0), **_LOCAL)
    log_boot = linear.log(theta)
    stat_boot, _ = _band_peaks(boot / 10.0**log_boot, in_band)
    scale = _spread(dof)
    gof_boot = _goodness(log_boot, y_boot, allowed, scale)

    flanks = allowed & (f >= 2 * lo - hi) & (f < 2 * hi - lo)  # one band width on each side
    overshoot = float(-np.mean(np.minimum(y[0, flanks] - np.log10(fit.background[flanks]), 0.0)) / scale)
    nan = float("nan")
    peak_hz = width = nan
    if stat[0] > 0:
        peak = int(np.flatnonzero(in_band & (ratio[0] == stat[0]))[0])
        peak_hz, width = float(f[peak]), _fwhm(spectrum.psd[m] - fit.background, peak, spectrum.resolution)
    return PeakTest(
        freq_range=(lo, hi), peak_hz=peak_hz, ratio=float(stat[0]) if stat[0] > 0 else nan,
        ratio_db=float(10 * np.log10(stat[0])) if stat[0] > 0 else nan, width_hz=width, edge=bool(edge[0]),
        p_value=monte_carlo_p(stat_boot * _MIN_RATIO, stat[0]),
        threshold=float(np.quantile(stat_boot, 0.95) * _MIN_RATIO),
        fit_p_value=monte_carlo_p(gof_boot, fit.rms_residual), overshoot=overshoot,
        fit=fit, n_boot=int(n_boot))
