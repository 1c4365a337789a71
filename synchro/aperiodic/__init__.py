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

from ._fit import EXCLUDE_ABOVE, AperiodicFit, fit_aperiodic
from ._peaks import MIN_PEAK_HEIGHT, BackgroundSimulation, PeakTest, peak_test, simulate_background

__all__ = ["AperiodicFit", "BackgroundSimulation", "PeakTest", "fit_aperiodic", "peak_test", "simulate_background",
           "MIN_PEAK_HEIGHT", "EXCLUDE_ABOVE"]
