"""Robustness of simulation results to numerical choices: time step, network size, scheme, noise model.

Each run of a sweep is first reduced to a fixed set of numbers (population
rates, band verdicts with peak frequencies and p-values, Golomb chi, mean
STTC, the onset transient, per-unit counts of the first 100 ms: the
simulation side's ``sims.metrics.run_metrics``). :func:`sensitivity` then
takes the metrics of many runs that differ in one
factor (``dt_ms``, ``n``, ``scheme``, ``noise``, ...) and in the seed, and
says, per metric, how far each level is from a reference level (the finest
time step, the largest network, or a named scheme) and from which level on
it has converged; and, per rhythm, whether it is robust, a numerical
artefact or absent.

Convergence rule, per metric and level: with ``ref`` the mean over seeds at
the reference level and ``delta`` the mean over seeds at the level minus
``ref``, the level is converged when ``|delta| <= rel_tol * |ref|`` (the
stated tolerance) and the level's 95 % seed interval overlaps the
reference's (the change is inside the seed spread). For an ordered factor
the converged level is the one furthest from the reference such that it
and every level between it and the reference are converged: "the dt below
which the metric has converged". A metric converged at the reference only
is ``"not_converged"``: it still changes at the finest level, so its values
at coarse levels are artefacts of the numerics.

Rhythm rule, per band: the band is present at a level when it is present
in at least half the seeds. The converged levels of an ordered factor are
those where every metric of ``converged_by`` (the excitatory and inhibitory
rates by default) has converged; every level of an unordered factor (scheme,
noise model) counts as converged, so a rhythm found with one noise model
and not another is ``"sensitive"``. The rhythm is ``"robust"`` when present at every
converged level, ``"artefact"`` when absent at every converged level but
present at some other level, ``"absent"`` when absent at every level, and
``"sensitive"`` otherwise (present at some converged levels only).
"""

from .results import MetricSensitivity, RhythmRobustness, Sensitivity
from .rules import DIVERGENCE_METRIC, FINEST, sensitivity, spike_count_divergence, tidy_rows

__all__ = [
    "spike_count_divergence",
    "sensitivity",
    "Sensitivity",
    "MetricSensitivity",
    "RhythmRobustness",
    "tidy_rows",
    "DIVERGENCE_METRIC",
    "FINEST",
]
