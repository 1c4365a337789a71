"""What :func:`~synchro.rhythms.band_verdicts` returns: a :class:`BandVerdict` per band in a :class:`RhythmResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..aperiodic import AperiodicFit
from ..plotting import format_p, new_axes, plain_label
from ..results import jsonable
from ..spectral import RateSpectrum

__all__ = ["BandVerdict", "RhythmResult"]


@dataclass(frozen=True)
class BandVerdict:
    """Verdict on one frequency band.

    Attributes
    ----------
    name : str
        Band name.
    band : tuple of float
        Band edges ``[low, high)`` (Hz).
    verdict : str
        ``"present"``, ``"broadband"``, ``"absent"`` or ``"undetermined"``.
    present : bool
        ``verdict == "present"``.
    reason : str
        Why the verdict is undetermined, or a qualification ("single unit");
        empty otherwise.
    peak_hz : float
        Frequency of the largest local maximum of spectrum / background in
        the band (Hz); NaN when the band holds none.
    power_ratio : float
        Spectrum over the aperiodic background at ``peak_hz``.
    power_db : float
        ``10 log10(power_ratio)`` (dB).
    width_hz : float
        Full width at half maximum of the peak's excess over the background (Hz).
    edge : bool
        The band's largest ratio sits on an edge and rises beyond it (a slope, not a peak).
    p_peak, p_peak_holm : float
        Peak test p-value (parametric bootstrap of the aperiodic
        background), raw and Holm-adjusted across the determined bands.
    p_independent, p_independent_holm : float
        Independence test p-value (surrogates), raw and Holm-adjusted; NaN for one unit.
    statistic : float
        Independence statistic: band maximum of spectrum / mean spectrum of data and surrogates.
    threshold : float
        95th percentile of the surrogates' independence statistic.
    band_power : float
        PSD summed over the band's bins times the bin spacing ((spikes/s)^2).
    fit_p_value : float
        Goodness of fit of the background outside the band (share of bootstrap fits that fit worse).
    overshoot : float
        Mean shortfall of the spectrum under the background on the band's flanks, in log-spreads
        (about 0.4 for a good fit; above :data:`~synchro.rhythms.MAX_OVERSHOOT` the verdict is undetermined).
    single_unit : bool
        One unit: the verdict is about single-unit rhythmicity, not population synchrony.
    """

    name: str
    band: tuple[float, float]
    verdict: str
    present: bool
    reason: str
    peak_hz: float
    power_ratio: float
    power_db: float
    width_hz: float
    edge: bool
    p_peak: float
    p_peak_holm: float
    p_independent: float
    p_independent_holm: float
    statistic: float
    threshold: float
    band_power: float
    fit_p_value: float
    overshoot: float
    single_unit: bool

    def sentence(self) -> str:
        """The verdict as one plain sentence.

        Returns
        -------
        str
            E.g. "Gamma: present, 33 Hz, 2.1x above background, p = 0.005".
        """
        name = self.name[:1].upper() + self.name[1:] + (" (single unit)" if self.single_unit else "")
        if self.verdict == "present":
            return (f"{name}: present, {self.peak_hz:.3g} Hz, {self.power_ratio:.2g}x above background, "
                    f"p = {format_p(self.p_peak_holm)}")
        if self.verdict == "broadband":
            return f"{name}: broadband co-fluctuation, no peak (peak p = {format_p(self.p_peak_holm)})"
        if self.verdict == "absent":
            return f"{name}: absent" + (f" ({self.reason})" if self.reason else "")
        return f"{name}: undetermined ({self.reason})"

    def summary(self) -> str:
        """One aligned line for terminals.

        Returns
        -------
        str
            Band, edges, verdict, peak, power over background and both p-values.
        """
        lo, hi = self.band
        return (f"{self.name:<8s}{lo:>5g}-{hi:<5g}Hz  {self.verdict:<12s} peak {self.peak_hz:6.2f} Hz  "
                f"{self.power_db:+5.1f} dB over background  p(peak)={format_p(self.p_peak_holm)}  "
                f"p(independent)={format_p(self.p_independent_holm)}" + (f"  [{self.reason}]" if self.reason else ""))

    def to_dict(self) -> dict:
        """JSON-safe record.

        Returns
        -------
        dict
            Every attribute, with tuples as lists and NaN as None.
        """
        return jsonable(self.__dict__)


@dataclass(frozen=True, eq=False)
class RhythmResult:
    """Band verdicts with the spectrum, backgrounds and surrogate envelope behind them.

    Attributes
    ----------
    verdicts : tuple of BandVerdict
        One per band, in the order given.
    spectrum : RateSpectrum
        Spectrum of the data.
    aperiodic : AperiodicFit
        Background of the whole fitted range, no band left out (the start of each band's own fit).
    peaks : dict of str to PeakTest
        Each determined band's peak test, with its own background
        (:class:`~synchro.aperiodic.AperiodicFit`, fitted without the band) as ``fit``.
    null_mean, null_low, null_high : ndarray
        Mean and pointwise 2.5 % / 97.5 % quantiles of the surrogate spectra
        ((spikes/s)^2/Hz), on ``spectrum.freqs``. The mean is the
        independent-units part of the background.
    null : str
        Surrogate family of the independence test.
    n_surrogates : int
        Number of surrogates, and of bootstrap spectra of the peak test.
    seed : int or None
        Seed of the random generator (``None`` when a Generator was passed).
    alpha : float
        Family-wise error rate across bands.
    parameters : dict
        Every other parameter (binning, estimator, dither window, population, fit range).
    """

    verdicts: tuple[BandVerdict, ...]
    spectrum: RateSpectrum
    aperiodic: AperiodicFit
    peaks: dict
    null_mean: np.ndarray
    null_low: np.ndarray
    null_high: np.ndarray
    null: str
    n_surrogates: int
    seed: int | None
    alpha: float
    parameters: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> BandVerdict:
        for v in self.verdicts:
            if v.name == name:
                return v
        raise KeyError(f"no band {name!r}; bands are {[v.name for v in self.verdicts]}")

    @property
    def present(self) -> dict[str, bool]:
        """Band name -> present."""
        return {v.name: v.present for v in self.verdicts}

    @property
    def words(self) -> dict[str, str]:
        """Band name -> verdict word."""
        return {v.name: v.verdict for v in self.verdicts}

    def summary(self) -> str:
        """Plain text: data, tests and one sentence per band.

        Returns
        -------
        str
            A header line and one :meth:`BandVerdict.sentence` per band.
        """
        s = self.spectrum
        head = (f"rhythms ({s.population or 'all units'}, {s.n_units} units, {s.mean_rate:.3g} Hz/unit): "
                f"{s.estimator['name']} spectrum; peak over the aperiodic background (parametric bootstrap x "
                f"{self.n_surrogates}) and power beyond independent units ({self.null} x {self.n_surrogates}), "
                f"seed {self.seed}, Holm across {len(self.verdicts)} bands at alpha={self.alpha:g}")
        return "\n".join([head] + ["  " + v.sentence() for v in self.verdicts])

    def to_dict(self) -> dict:
        """JSON-safe record: analysis, parameters, verdicts by band, spectrum, backgrounds and envelope.

        Returns
        -------
        dict
            Keys ``analysis``, ``tests``, ``null``, ``n_surrogates``, ``seed``,
            ``alpha``, ``correction``, ``parameters``, ``bands`` (band name ->
            :meth:`BandVerdict.to_dict` plus its ``background``), ``spectrum``,
            ``aperiodic``, ``null_mean``, ``null_low``, ``null_high``.
        """
        bands = {}
        for v in self.verdicts:
            bands[v.name] = v.to_dict()
            if v.name in self.peaks:
                bands[v.name]["background"] = self.peaks[v.name].fit.to_dict()
        return {"analysis": "band_verdicts",
                "tests": {"peak": "largest local maximum of PSD / aperiodic background in the band, against a "
                                  "parametric bootstrap of the background refitted with the band left out",
                          "independent": "band max of PSD / mean PSD of data and surrogates"},
                "null": self.null, "n_surrogates": self.n_surrogates, "seed": self.seed, "alpha": self.alpha,
                "correction": "holm", "parameters": jsonable(self.parameters), "bands": bands,
                "spectrum": self.spectrum.to_dict(), "aperiodic": self.aperiodic.to_dict(),
                "null_mean": self.null_mean.tolist(), "null_low": self.null_low.tolist(),
                "null_high": self.null_high.tolist()}

    def plot(self, ax=None, *, fmax: float = 200.0):
        """Spectrum with CI, surrogate envelope, aperiodic backgrounds, bands shaded and peaks marked.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw into; a new figure by default.
        fmax : float, default 200.0
            Highest frequency shown (Hz).

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = new_axes(ax)
        f = self.spectrum.freqs
        m = (f > 0) & (f <= fmax)
        ax.fill_between(f[m], self.null_low[m], self.null_high[m], color="0.6", alpha=0.35, lw=0,
                        label=f"{self.null} 95 % envelope")
        self.spectrum.plot(ax, fmax=fmax)
        for i, v in enumerate(self.verdicts):
            color = f"C{i + 1}"
            ax.axvspan(*v.band, color=color, alpha=0.12, lw=0)
            if v.name in self.peaks:  # this band's own background, fitted without the band
                bg = self.peaks[v.name].fit
                ax.plot(bg.freqs[bg.freqs <= fmax], bg.background[bg.freqs <= fmax], color=color, ls="--", lw=1,
                        label=f"aperiodic background (fitted without {plain_label(v.name)})")
            label = f"{plain_label(v.name)}: {v.verdict}"
            if np.isfinite(v.peak_hz):
                y = np.interp(v.peak_hz, f, self.spectrum.psd)
                ax.plot([v.peak_hz], [y * 1.3], "v" if v.present else "x", color=color,
                        label=label + (f" {v.peak_hz:.3g} Hz, {v.power_ratio:.2g}x" if v.present else ""))
            else:
                ax.plot([], [], "x", color=color, label=label)
        ax.set_xlim(0, fmax)
        ax.legend(loc="upper right", fontsize="small")
        return ax
