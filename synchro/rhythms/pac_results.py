"""What the phase-amplitude coupling analyses return: :class:`PhaseAmplitudeCoupling` and :class:`Comodulogram`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..plotting import format_p, new_axes, plain_label
from ..results import Result

__all__ = ["PhaseAmplitudeCoupling", "Comodulogram"]


@dataclass(frozen=True)
class PhaseAmplitudeCoupling(Result):
    """Coupling of a slow band's phase with a fast band's amplitude in the population rate.

    Attributes
    ----------
    mi : float
        Tort's modulation index, between 0 and 1; NaN when undetermined.
    mean_amplitude : ndarray, shape (n_phase_bins,)
        Mean amplitude envelope of the fast band in each phase bin of the
        slow band (spikes/s per unit); bin ``j`` covers phases
        ``[-pi + 2 pi j / n, -pi + 2 pi (j + 1) / n)`` rad, 0 at the slow
        band's peak.
    pairs_per_bin : ndarray of int, shape (n_phase_bins,)
        Phase-amplitude pairs (rate bins) in each phase bin.
    preferred_phase : float
        Angle of the amplitude-weighted mean of the bin centres (rad): the
        slow phase at which the fast amplitude is largest.
    chance, chance_sd : float
        Mean and SD of the MI over the surrogates (NaN without surrogates).
    z : float or None
        ``(mi - chance) / chance_sd``; None when undefined.
    p : float
        One-sided Monte Carlo p-value ``(1 + #{null >= mi}) / (1 + n)``.
    null : str
        Surrogate null (:data:`synchro.rhythms.PAC_NULLS`).
    n_surrogates : int
        Surrogates drawn.
    seed : int or None
        Seed of the random generator (None when a Generator was passed).
    phase_band, amplitude_band : tuple of float
        The slow and fast bands (Hz).
    amplitude : str
        ``"shared"`` (the fast power shared by the two halves of the units)
        or ``"total"`` (the whole rate's envelope); see
        :func:`synchro.rhythms.phase_amplitude_coupling`.
    bin_width : float
        Bin width of the population rate (s).
    n_phase_bins : int
        Phase bins.
    population : str or None
        Population analysed (None: all units).
    n_units : int
        Units in the rate.
    duration : float
        Time covered by the pooled phase-amplitude pairs (s).
    n_stretches : int
        Observed stretches that gave pairs.
    reason : str
        Why the index is undetermined; empty otherwise.
    """

    analysis: ClassVar[str] = "phase_amplitude_coupling"
    mi: float
    mean_amplitude: np.ndarray
    pairs_per_bin: np.ndarray
    preferred_phase: float
    chance: float
    chance_sd: float
    z: float | None
    p: float
    null: str
    n_surrogates: int
    seed: int | None
    phase_band: tuple
    amplitude_band: tuple
    amplitude: str
    bin_width: float
    n_phase_bins: int
    population: str | None
    n_units: int
    duration: float
    n_stretches: int
    reason: str

    @property
    def determined(self) -> bool:
        """True when the index is defined (``reason`` is empty)."""
        return not self.reason

    def summary(self) -> str:
        """One paragraph: bands, MI against chance, preferred phase, or why it is undetermined.

        Returns
        -------
        str
        """
        (plo, phi), (alo, ahi) = self.phase_band, self.amplitude_band
        head = f"phase {plo:g}-{phi:g} Hz -> amplitude {alo:g}-{ahi:g} Hz ({self.population or 'all units'})"
        if not self.determined:
            return f"{head}: undetermined ({self.reason})"
        z = "-" if self.z is None else f"{self.z:.1f}"
        return (f"{head}: MI {self.mi:.3g} against chance {self.chance:.3g} (z {z}, p {format_p(self.p)}, "
                f"{self.n_surrogates} {self.null} surrogates), amplitude largest at {self.preferred_phase:.2f} rad; "
                f"{self.duration:g} s in {self.n_stretches} stretch(es)")

    def plot(self, ax=None, *, name: str | None = None):
        """Mean amplitude per phase bin over two cycles (Tort's figure), one stepped line labelled with the MI.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.
        name : str, optional
            What the line is labelled with before its MI and p; default the
            population ("all units" when none was selected).

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        ax = new_axes(ax)
        n = self.n_phase_bins
        centres = np.degrees(-np.pi + (np.arange(2 * n) + 0.5) * 2 * np.pi / n)
        # One stepped line (not a bar per bin): several populations can share the axes, and it draws fast.
        ax.plot(centres, np.tile(self.mean_amplitude, 2), drawstyle="steps-mid",
                label=plain_label(f"{name or self.population or 'all units'}: MI {self.mi:.3g}, p {format_p(self.p)}"))
        ax.set_xlabel(f"{self.phase_band[0]:g}-{self.phase_band[1]:g} Hz phase (deg)")
        ax.set_ylabel(f"{self.amplitude_band[0]:g}-{self.amplitude_band[1]:g} Hz amplitude (spikes/s)")
        ax.legend(loc="upper right", fontsize="small")
        return ax


@dataclass(frozen=True)
class Comodulogram(Result):
    """Modulation index over a grid of phase and amplitude frequencies.

    Attributes
    ----------
    phase_freqs : ndarray
        Centres of the phase bands (Hz); band ``f +- phase_bandwidth / 2``.
    amplitude_freqs : ndarray
        Centres of the amplitude bands (Hz); for phase band ``(lo, hi)`` the
        amplitude band is ``f +- hi``, twice the phase band's high edge wide.
    mi : ndarray, shape (n_amplitude, n_phase)
        Modulation index; NaN where the amplitude band would reach into the
        phase band (not computed) or is undetermined.
    chance, chance_sd, z, p : ndarray, shape (n_amplitude, n_phase)
        As in :class:`PhaseAmplitudeCoupling`, per pair (p not corrected
        for the number of pairs).
    null : str
        Surrogate null.
    n_surrogates : int
        Surrogates per pair.
    seed : int or None
        Seed of the random generator.
    phase_bandwidth : float
        Width of every phase band (Hz).
    amplitude : str
        ``"shared"`` or ``"total"``, as in :class:`PhaseAmplitudeCoupling`.
    bin_width : float
        Bin width of the population rate (s).
    n_phase_bins : int
        Phase bins.
    population : str or None
        Population analysed.
    n_units : int
        Units in the rate.
    duration : float
        Time covered by the pooled pairs (s), the same for every pair.
    """

    analysis: ClassVar[str] = "comodulogram"
    phase_freqs: np.ndarray
    amplitude_freqs: np.ndarray
    mi: np.ndarray
    chance: np.ndarray
    chance_sd: np.ndarray
    z: np.ndarray
    p: np.ndarray
    null: str
    n_surrogates: int
    seed: int | None
    phase_bandwidth: float
    amplitude: str
    bin_width: float
    n_phase_bins: int
    population: str | None
    n_units: int
    duration: float

    def summary(self) -> str:
        """One line: the pair with the largest MI.

        Returns
        -------
        str
        """
        if not np.isfinite(self.mi).any():
            return "comodulogram: no pair determined"
        i, j = np.unravel_index(np.nanargmax(self.mi), self.mi.shape)
        return (f"comodulogram ({self.population or 'all units'}): largest MI {self.mi[i, j]:.3g} for phase "
                f"{self.phase_freqs[j]:g} Hz -> amplitude {self.amplitude_freqs[i]:g} Hz (p {format_p(self.p[i, j])})")

    def plot(self, ax=None):
        """Heat map of the MI, phase frequency across, amplitude frequency up.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, optional
            Axes to draw on; None (default) creates a new figure and axes.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        ax = new_axes(ax)
        mesh = ax.pcolormesh(self.phase_freqs, self.amplitude_freqs, np.ma.masked_invalid(self.mi),
                             shading="nearest", cmap="viridis")
        ax.figure.colorbar(mesh, ax=ax, label="modulation index")
        ax.set_xlabel("phase frequency (Hz)")
        ax.set_ylabel("amplitude frequency (Hz)")
        ax.set_title(plain_label(self.population or "all units"))
        return ax
