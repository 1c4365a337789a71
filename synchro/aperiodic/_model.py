"""The aperiodic background model (see :mod:`synchro.aperiodic`) and its Levenberg-Marquardt fit of many rows."""

from __future__ import annotations

import numpy as np
import scipy

from ..core.compiled import jit

# Bounds of the shared part: exponent chi and log10 knee frequency (Hz).
_CHI_BOUNDS = (0.0, 6.0)
_KNEE_BOUNDS = (-1.0, 3.0)
_DIP_MAX = 0.95
_LOG10E = np.log10(np.e)


def log_bias(dof: np.ndarray) -> np.ndarray:
    """E[log10(S chi^2_nu / nu)] - log10(S): subtracted so the fit follows the mean PSD, not its log-mean."""
    return _LOG10E * (scipy.special.digamma(dof / 2) - np.log(dof / 2))


def log_spread(dof: np.ndarray) -> float:
    """SD of log10 of a chi^2_nu / nu estimate, about 0.434 sqrt(2 / nu), at the median dof."""
    return float(_LOG10E * np.sqrt(scipy.special.polygamma(1, np.median(dof) / 2)))


class Model:
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
    # log10 of Model's background for each parameter row of x into out, and (if jac has rows) its derivatives
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


class Linearised:
    """:class:`Model` linearised at one parameter row ``x0``: ``log10 P(theta) = log0 + (theta - theta0) J``.

    The bootstrap spectra of the peak test scatter about the background of ``x0`` (they are drawn from it), so
    their fits stay near ``x0`` and the model's first-order expansion there serves them all with one Jacobian.
    The levels (``A``, ``F`` and the dip's ``F d``) are expanded as levels, not logs: a part that ``x0`` has
    (nearly) switched off can still grow, as it can in the model; exponent, knee and dip frequency stay in
    log10. Same interface as :class:`Model` for the fit (``log``, ``log_and_jacobian``, ``bounds``).
    """

    n_params = Model.n_params

    def __init__(self, model: Model, x0: np.ndarray):
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


def fit_loss(r: np.ndarray, w: np.ndarray, scale: float) -> np.ndarray:
    """Fit loss per row of residuals ``r = model - data`` (log10): soft-L1 above the model, quadratic below."""
    return _loss_terms(r, w, scale)[1]


def _loss_terms(r: np.ndarray, w: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The iteratively reweighted weights at residuals ``r`` (``w / sqrt(1 + (r / scale)^2)`` where the data lie
    above the model, ``w`` below) and :func:`fit_loss` per row, in one pass."""
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


def levenberg_marquardt(model: Model, y: np.ndarray, weights: np.ndarray, x: np.ndarray, lower, upper,
                         scale: float, n_iter: int) -> np.ndarray:
    """Levenberg-Marquardt for every row of ``y`` at once; returns the parameter rows.

    The loss is soft-L1 (as iteratively reweighted least squares) where the data lie above the model and
    quadratic where they lie below, so the background follows the spectrum's lower envelope and peaks
    cannot pull it up. Rows stop once their cost no longer falls, so a row started near its optimum
    costs a few iterations. ``model`` is a :class:`Model` or a :class:`Linearised` one (one Jacobian for
    every row, so that ``J'WJ`` of all rows is one product of the weights with each bin's ``J_i J_j``).
    """
    p = x.shape[1]
    eye = np.eye(p)
    shared = isinstance(model, Linearised)
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
