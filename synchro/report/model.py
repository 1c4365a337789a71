"""The report of one analysed session: one frozen object, rendered as JSON, text, figures and HTML.

The JSON document (``Report.to_dict()``, written as ``report.json``) is
versioned by :data:`SCHEMA_VERSION`; docs/report-schema.md describes every
field. Values are plain JSON: non-finite numbers become ``null``.

Schema 3.2 (from 3.1): ``input.url`` and ``input.bytes_read`` for an NWB
file read over HTTP(S) (which has no ``path`` and no ``sha256``); the
``sttc`` and ``spike_sync`` records of a session too long to compare every
pair add ``n_pairs``, ``null_pairs`` and ``pairs_sampled`` (the seeded
samples of pairs averaged and tested).

Schema 3.1 (from 3.0): ``episodes`` (when each band's rhythm is there, per
population), ``lag`` (the lag between two populations' band-limited
rates, per band) and ``cross_frequency`` (phase-amplitude coupling between
bands, per population), at the top level and in each section;
``parameters.lag_populations``.

Schema 3.0 (from 2.1): every synchrony index is an object ``{value, chance,
z, p}`` (chi adds ``floor``) against its circular-shift null
(``parameters.synchrony_null``; ``chi_z``, ``sttc_mean``, ``sttc_z`` are
gone); ``timings``, ``parameters.calls`` and ``skipped`` are lists of
records with ``analysis``, ``section``, ``population`` and ``band`` fields
instead of keys like ``"sttc (wake: exc)"``; ``parameters.window`` is
``time_window``, ``fano_window`` is ``fano_bin_width``, with
``sttc_delta_t`` and ``seed_note`` (why ``seed`` is null); the recorded calls name the
spectral estimator as ``estimator`` (``{"name": "welch", "nperseg", "noverlap",
"window"}`` or ``{"name": "multitaper", "nw", "adaptive"}``) instead of
``method``/``nperseg``/``noverlap``/``nw``/``adaptive``, and the population
column as ``population_column`` (was ``column``).

Schema 2.1 (from 2.0): ``sections``, one analysis per epoch label or trial
condition (``synchro analyze --epochs`` / ``--trials``; an empty list
otherwise, when the top-level ``rhythms``/``synchrony``/``coupling`` hold
the whole analysed window), ``parameters.sections`` (null, or the kind,
table and label column), ``input.interval_tables``; every analysis gets
``rng=seed`` itself (no per-analysis derived seeds); population rates
divide by observed time.

Schema 2.0 (from 1.0): each rhythm band carries a verdict word
(``present``, ``broadband``, ``absent``, ``undetermined``) and two tests,
peak over the aperiodic background and power beyond independent units;
``p_value`` and ``p_holm`` are replaced by ``p_peak``/``p_peak_holm`` and
``p_independent``/``p_independent_holm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core import SpikeData
from ..results import jsonable

__all__ = ["SCHEMA_VERSION", "SCHEMA_FILE", "Report", "jsonable"]

#: Version of the report.json layout: major changes break readers, minor ones add fields.
SCHEMA_VERSION = "3.2"
#: The JSON Schema (draft 2020-12) that every report.json of this version satisfies, shipped in the package.
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "report.schema.json"


@dataclass(frozen=True)
class Report:
    """Everything ``synchro analyze`` found in one session.

    Attributes
    ----------
    input : dict
        Source path, format, size and SHA-256, unit and spike counts, bounds
        (s), populations, curation applied and the field signal used.
    parameters : dict
        Every parameter of every analysis (bands in Hz, surrogate count and
        method, seed, windows in s).
    versions : dict
        Versions of synchro, Python and the libraries that computed the numbers.
    rhythms : dict
        ``rhythms[population][band]``: ``verdict`` (``"present"``,
        ``"broadband"``, ``"absent"`` or ``"undetermined"``), ``present``
        (True only for ``"present"``: a spectral peak above the aperiodic
        background, and power beyond independent units), ``reason`` (why
        undetermined, or the single-unit qualification), ``sentence`` (the
        verdict in one plain sentence), the peak (``peak_hz``,
        ``power_ratio`` and ``power_db`` over the background, ``width_hz``,
        ``edge``), the peak test (``p_peak``, ``p_peak_holm``: parametric
        bootstrap of the aperiodic background), the independence test
        (``p_independent``, ``p_independent_holm``: circular-shift
        surrogates; None for one unit), ``fit_p_value`` (the background's
        goodness of fit) and ``single_unit``.
    synchrony : dict
        ``synchrony[population][index]`` for ``chi``, ``sttc``,
        ``spike_sync``, ``spike_contrast``, ``fano``: ``value``, ``chance``
        (mean over the surrogates), ``z``, ``p`` (one-sided Monte Carlo),
        each None when undetermined; chi adds ``floor`` (``1/sqrt(N)``).
    coupling : dict
        ``coupling[population][band]``: ``ppc``, ``plv``,
        ``preferred_phase`` (rad), ``rayleigh_p``, ``n_spikes``.
    episodes : dict
        ``episodes[population][band]``: ``fraction_in_rhythm`` (of the
        assessed observed time), ``episodes_per_minute``, ``n_episodes``,
        ``median_duration`` (s), ``assessed_duration`` (s), ``threshold``
        (power over background), ``sentence``, ``reason`` and ``episodes``,
        one record each: ``start``, ``stop``, ``duration`` (s), ``cycles``,
        ``peak_hz``, ``power_ratio``.
    lag : list of dict
        One record per band: ``first``, ``second`` (the populations),
        ``band``, ``lag`` (s; positive: the second fires after the first) and
        ``lag_ci``, ``phase_degrees`` and ``phase_degrees_ci``,
        ``peak_freq`` (Hz), ``coherence``, ``reason`` (why undetermined).
    cross_frequency : dict
        ``cross_frequency[population]``: one record per band pair,
        ``phase_band``, ``amplitude_band`` (names), ``mi`` (Tort's
        modulation index), ``chance``, ``z``, ``p`` (amplitude-shift null),
        ``preferred_phase`` (rad), ``reason``.
    skipped : list of dict
        ``{"analysis", "section", "population", "band", "reason"}`` for
        every analysis not run (section and band None where they do not apply).
    sections : list of dict
        With epochs or trial conditions, one per label, in order of first
        appearance: ``kind`` (``"epoch"`` or ``"condition"``), ``label``,
        ``table``, ``column``, ``n_rows`` (rows of the table with that
        label), ``intervals`` (the observed time analysed, ``[[start,
        stop], ...]`` in s), ``observed_duration`` (s), and ``populations``,
        ``rhythms``, ``synchrony``, ``coupling``, ``episodes``, ``lag``, ``cross_frequency``,
        ``skipped`` laid out as at
        the top level. Empty without epochs or trials.
    generator : dict
        Program, version, time of creation (UTC) and platform.
    timings : list of dict
        ``{"analysis", "section", "population", "band", "seconds"}`` per step.
    data : SpikeData
        The spikes analysed (for figures; not serialised).
    results : dict
        The analyses' own result objects by ``(kind, population)`` (for
        figures; not serialised).
    drawn : dict
        Figures drawn while the report was built (``build_report(...,
        figures=True)``), as PNG and SVG bytes by name, which
        :func:`~synchro.report.write_report` writes as they are; not serialised.
    """

    input: dict
    parameters: dict
    versions: dict
    rhythms: dict
    synchrony: dict
    coupling: dict
    episodes: dict
    lag: list
    cross_frequency: dict
    skipped: list
    sections: list
    generator: dict
    timings: list
    data: SpikeData = field(repr=False, compare=False)
    results: dict = field(repr=False, compare=False)
    drawn: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def populations(self) -> list[str]:
        """Populations analysed: ``"all"`` first, then each value of the population column."""
        return list(self.input["populations"])

    @property
    def panels(self) -> list[str]:
        """Keys of ``results`` in display order: the populations, or ``"LABEL: population"`` per section."""
        if not self.sections:
            return self.populations
        return [f"{s['label']}: {p}" for s in self.sections for p in s["populations"]]

    def to_dict(self) -> dict:
        """The report.json document.

        Returns
        -------
        dict
            JSON-safe (strict: no NaN), laid out as docs/report-schema.md
            describes, with ``schema_version`` first.
        """
        return jsonable({
            "schema_version": SCHEMA_VERSION,
            "generator": self.generator,
            "input": self.input,
            "parameters": self.parameters,
            "versions": self.versions,
            "rhythms": self.rhythms,
            "synchrony": self.synchrony,
            "coupling": self.coupling,
            "episodes": self.episodes,
            "lag": self.lag,
            "cross_frequency": self.cross_frequency,
            "skipped": self.skipped,
            "sections": self.sections,
            "timings": self.timings,
        })

    def summary(self) -> str:
        """The terminal summary.

        Returns
        -------
        str
            Aligned plain text within 80 columns: verdicts per band and
            population, synchrony, coupling, warnings and skipped analyses.
        """
        from .text import render_text

        return render_text(self)
